from __future__ import annotations

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "tremplin.people"
    label = "people"
    verbose_name = "Personnes et accueil"
