from __future__ import annotations

from django.apps import AppConfig


class ClosingConfig(AppConfig):
    name = "tremplin.closing"
    label = "closing"
    verbose_name = "Clôture mensuelle"
