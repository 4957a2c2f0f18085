from __future__ import annotations

from django.urls import path

from tremplin.contracts import views

app_name = "contracts"
urlpatterns = [
    path("", views.register, name="register"),
    path("qualite/", views.quality, name="quality"),
    path("personnes/<int:pk>/", views.person_contracts, name="person_contracts"),
    path("personnes/<int:pk>/nouveau/", views.contract_new, name="contract_new"),
    path(
        "personnes/<int:pk>/habilitations/ajouter/",
        views.habilitation_new,
        name="habilitation_new",
    ),
    path(
        "personnes/<int:pk>/visites-medicales/ajouter/",
        views.medical_visit_new,
        name="medical_visit_new",
    ),
    path("<int:pk>/", views.contract_detail, name="contract"),
    path("<int:pk>/avenant/", views.amend, name="amend"),
    path("<int:pk>/renouvellement/", views.renew, name="renew"),
    path("<int:pk>/fin/", views.end, name="end"),
    path("<int:pk>/pret/", views.loan_new, name="loan_new"),
]
