from __future__ import annotations

from django.urls import path

from tremplin.timesheets import views

app_name = "timesheets"
urlpatterns = [
    path("", views.index, name="index"),
    path("valider/", views.validate, name="validate"),
    path("saisir/", views.entry_new, name="entry_new"),
    path("<int:pk>/modifier/", views.entry_edit, name="entry_edit"),
    path("mes-heures/", views.my_hours, name="my_hours"),
    path("mes-heures/<int:pk>/", views.declare, name="declare"),
    path("compteurs/", views.counters, name="counters"),
    path("validations/envoyer/", views.signoff_new, name="signoff_new"),
    path("validation/<str:token>/", views.signoff, name="signoff"),
    path("imports/nouveau/", views.import_new, name="import_new"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/erreurs.csv", views.import_errors, name="import_errors"),
]
