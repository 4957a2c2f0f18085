from __future__ import annotations

from django.urls import path

from tremplin.closing import views

app_name = "closing"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:entity_slug>/<int:year>/<int:month>/", views.close, name="close"),
    path("<slug:entity_slug>/<int:year>/<int:month>/rouvrir/", views.reopen, name="reopen"),
    path(
        "<slug:entity_slug>/<int:year>/<int:month>/variables-de-paie.csv",
        views.payroll_csv,
        name="payroll_csv",
    ),
    path("<slug:entity_slug>/<int:year>/<int:month>/suivi-asp.csv", views.asp_csv, name="asp_csv"),
]
