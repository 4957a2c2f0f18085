from __future__ import annotations

from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "tremplin.indicators"
    label = "indicators"
    verbose_name = "Indicateurs"
