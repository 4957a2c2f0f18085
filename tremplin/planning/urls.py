from __future__ import annotations

from django.urls import path

from tremplin.planning import views

app_name = "planning"
urlpatterns = [
    path("", views.index, name="index"),
    path("heures/", views.week_hours, name="week_hours"),
    path("points-de-depart/", views.homes, name="homes"),
    path("calculs/<int:pk>/", views.run, name="run"),
    path("calculs/<int:pk>/accepter/", views.accept, name="accept"),
    path("calculs/<int:pk>/verrouiller/", views.lock, name="lock"),
    path("calculs/<int:pk>/deverrouiller/", views.unlock, name="unlock"),
    path("calculs/<int:pk>/relancer/", views.rerun, name="rerun"),
]
