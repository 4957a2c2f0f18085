from __future__ import annotations

from django.urls import path

from tremplin.orders import views

app_name = "orders"
urlpatterns = [
    path("", views.board, name="board"),
    path("catalogue/", views.services, name="services"),
    path("catalogue/ajouter/", views.service_new, name="service_new"),
    path("catalogue/<int:pk>/modifier/", views.service_edit, name="service_edit"),
    path("clients/<int:pk>/tarifs/ajouter/", views.price_new, name="price_new"),
    path("clients/<int:pk>/devis/ajouter/", views.quote_new, name="quote_new"),
    path("devis/<int:pk>/decision/", views.quote_decide, name="quote_decide"),
    path("clients/<int:pk>/commandes/ajouter/", views.order_new, name="order_new"),
    path("commandes/<int:pk>/", views.order_detail, name="order"),
    path("commandes/<int:pk>/modifier/", views.order_edit, name="order_edit"),
    path("commandes/<int:pk>/exceptions/ajouter/", views.exception_new, name="exception_new"),
    path("commandes/<int:pk>/generer/", views.generate, name="generate"),
    path(
        "commandes/<int:pk>/attribuer-intervenant-habituel/",
        views.assign_usual,
        name="assign_usual",
    ),
    path("interventions/<int:pk>/attribuer/", views.assign, name="assign"),
    path("personnes/<int:pk>/absences/ajouter/", views.absence_new, name="absence_new"),
]
