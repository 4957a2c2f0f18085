from __future__ import annotations

from django.urls import path

from tremplin.pathways import views

app_name = "pathways"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("personnes/<int:pk>/", views.person_pathway, name="person"),
    path("personnes/<int:pk>/eligibilite/", views.eligibility, name="eligibility"),
    path("personnes/<int:pk>/eligibilite/diagnostic/", views.diagnosis_new, name="diagnosis_new"),
    path("personnes/<int:pk>/eligibilite/pass/", views.pass_new, name="pass_new"),
    path("pass/<int:pk>/suspension/", views.suspension_new, name="suspension_new"),
    path("pass/<int:pk>/prolongation/", views.prolongation_new, name="prolongation_new"),
    path("personnes/<int:pk>/sortie/", views.exit_new, name="exit_new"),
    path("suivis/<int:pk>/", views.follow_up, name="follow_up"),
    path("personnes/<int:pk>/accompagnement/", views.accompaniment, name="accompaniment"),
    path("personnes/<int:pk>/accompagnement/freins/", views.barriers_new, name="barriers_new"),
    path(
        "personnes/<int:pk>/accompagnement/objectifs/ajouter/",
        views.objective_new,
        name="objective_new",
    ),
    path("objectifs/<int:pk>/actions/ajouter/", views.action_new, name="action_new"),
    path("objectifs/<int:pk>/etat/", views.objective_status, name="objective_status"),
    path("actions/<int:pk>/etat/", views.action_status, name="action_status"),
    path(
        "personnes/<int:pk>/accompagnement/entretiens/ajouter/",
        views.appointment_new,
        name="appointment_new",
    ),
    path(
        "personnes/<int:pk>/accompagnement/formations/ajouter/",
        views.training_new,
        name="training_new",
    ),
]
