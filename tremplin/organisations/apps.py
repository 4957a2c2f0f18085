from __future__ import annotations

from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "tremplin.organisations"
    label = "organisations"
    verbose_name = "Groupe et structures"
