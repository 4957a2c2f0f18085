from __future__ import annotations

from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "tremplin.pathways"
    label = "pathways"
    verbose_name = "Parcours et accompagnement"
