from __future__ import annotations

from django.urls import path

from tremplin.organisations import views

app_name = "organisations"
urlpatterns = [
    path("", views.group, name="group"),
    path("<slug:entity_slug>/", views.entity_detail, name="entity"),
    path("<slug:entity_slug>/modifier/", views.entity_edit, name="entity_edit"),
    path("<slug:entity_slug>/conventions/ajouter/", views.convention_add, name="convention_add"),
    path(
        "<slug:entity_slug>/conventions/<int:pk>/annexes/ajouter/",
        views.annex_add,
        name="annex_add",
    ),
]
