from __future__ import annotations

from django.urls import path

from tremplin.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("nouveau/", views.client_new, name="new"),
    path("<int:pk>/", views.client_detail, name="client"),
    path("<int:pk>/modifier/", views.client_edit, name="edit"),
]
