from __future__ import annotations

from django.apps import AppConfig


class MissionsConfig(AppConfig):
    name = "tremplin.missions"
    label = "missions"
    verbose_name = "Mises à disposition"
