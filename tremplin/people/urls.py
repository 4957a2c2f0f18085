from __future__ import annotations

from django.urls import path

from tremplin.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("accueil/", views.intakes, name="intakes"),
    path("accueil/nouveau/", views.intake_new, name="intake_new"),
    path("accueil/<int:pk>/", views.intake_detail, name="intake"),
    path("accueil/<int:pk>/etape/", views.intake_move, name="intake_move"),
    path("accueil/<int:pk>/orienter/", views.intake_orient, name="intake_orient"),
    path("<int:pk>/", views.person_detail, name="person"),
    path("<int:pk>/modifier/", views.person_edit, name="person_edit"),
    path("<int:pk>/nir/", views.nir_reveal, name="nir_reveal"),
    path("<int:pk>/metiers/ajouter/", views.job_add, name="job_add"),
    path("<int:pk>/metiers/<int:job_pk>/retirer/", views.job_remove, name="job_remove"),
    path("<int:pk>/documents/ajouter/", views.document_add, name="document_add"),
    path("documents/<int:pk>/", views.document_download, name="document"),
]
