from __future__ import annotations

from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "tremplin.planning"
    label = "planning"
    verbose_name = "Moteur de planification"
