from __future__ import annotations

from django.apps import AppConfig


class SapConfig(AppConfig):
    name = "tremplin.sap"
    label = "sap"
    verbose_name = "Services à la personne"
