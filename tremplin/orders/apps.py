from __future__ import annotations

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "tremplin.orders"
    label = "orders"
    verbose_name = "Prestations, commandes et interventions"
