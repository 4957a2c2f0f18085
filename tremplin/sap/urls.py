from __future__ import annotations

from django.urls import path

from tremplin.sap import views

app_name = "sap"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:entity_slug>/attestations/<int:year>/", views.certificates, name="certificates"),
    path("<slug:entity_slug>/avance-immediate/", views.requests, name="requests"),
    path("attestations/<int:pk>/", views.certificate, name="certificate"),
    path("attestations/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("attestations/<int:pk>/envoyee/", views.certificate_sent, name="certificate_sent"),
    path(
        "attestations/<int:pk>/etablir-a-nouveau/",
        views.certificate_regenerate,
        name="certificate_regenerate",
    ),
    path("clients/<int:pk>/", views.client, name="client"),
    path("clients/<int:pk>/inscription/", views.registration, name="registration"),
    path(
        "clients/<int:pk>/inscription/actualiser/",
        views.registration_refresh,
        name="registration_refresh",
    ),
    path("factures/<int:pk>/avance-immediate/", views.request_submit, name="request_submit"),
    path("demandes/<int:pk>/", views.request_detail, name="request"),
    path("demandes/<int:pk>/actualiser/", views.request_refresh, name="request_refresh"),
]
