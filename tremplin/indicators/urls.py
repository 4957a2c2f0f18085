from __future__ import annotations

from django.urls import path

from tremplin.indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.index, name="index"),
    path("groupe/<slug:group_slug>/", views.group_dashboard, name="group"),
    path("groupe/<slug:group_slug>/indicateurs.csv", views.group_csv, name="group_csv"),
    path("groupe/<slug:group_slug>/indicateurs.xlsx", views.group_xlsx, name="group_xlsx"),
    path("groupe/<slug:group_slug>/rapport-activite.pdf", views.group_pdf, name="group_pdf"),
    path("structure/<slug:entity_slug>/", views.entity_dashboard, name="entity"),
    path("structure/<slug:entity_slug>/indicateurs.csv", views.entity_csv, name="entity_csv"),
    path("structure/<slug:entity_slug>/indicateurs.xlsx", views.entity_xlsx, name="entity_xlsx"),
    path("structure/<slug:entity_slug>/rapport-activite.pdf", views.entity_pdf, name="entity_pdf"),
]
