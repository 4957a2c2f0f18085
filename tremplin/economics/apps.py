from __future__ import annotations

from django.apps import AppConfig


class EconomicsConfig(AppConfig):
    name = "tremplin.economics"
    label = "economics"
    verbose_name = "Économie du groupe"
