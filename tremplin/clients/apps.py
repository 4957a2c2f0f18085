from __future__ import annotations

from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "tremplin.clients"
    label = "clients"
    verbose_name = "Clients"
