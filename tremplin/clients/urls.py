from __future__ import annotations

from django.urls import path

from tremplin.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("nouveau/", views.client_new, name="new"),
    path("<int:pk>/", views.client_detail, name="client"),
    path("<int:pk>/modifier/", views.client_edit, name="edit"),
    path("<int:pk>/contacts/ajouter/", views.contact_new, name="contact_new"),
    path("<int:pk>/lieux/ajouter/", views.site_new, name="site_new"),
    path("<int:pk>/exigences/ajouter/", views.requirement_new, name="requirement_new"),
    path(
        "contacts/<int:pk>/retirer/",
        views.detail_remove,
        {"kind": "contact"},
        name="contact_remove",
    ),
    path("lieux/<int:pk>/retirer/", views.detail_remove, {"kind": "lieu"}, name="site_remove"),
    path(
        "exigences/<int:pk>/retirer/",
        views.detail_remove,
        {"kind": "exigence"},
        name="requirement_remove",
    ),
]
