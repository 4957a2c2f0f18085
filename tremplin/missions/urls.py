from __future__ import annotations

from django.urls import path

from tremplin.missions import views

app_name = "missions"
urlpatterns = [
    path("", views.index, name="index"),
    path("salaries/<int:pk>/", views.ledger, name="ledger"),
    path("contrats/<int:pk>/nouvelle/", views.placement_new, name="placement_new"),
    path("<int:pk>/contrat.pdf", views.placement_pdf, name="placement_pdf"),
    path("structures/<slug:entity_slug>/derogations/", views.derogations, name="derogations"),
    path(
        "structures/<slug:entity_slug>/derogations/ajouter/",
        views.derogation_new,
        name="derogation_new",
    ),
]
