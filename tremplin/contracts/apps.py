from __future__ import annotations

from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "tremplin.contracts"
    label = "contracts"
    verbose_name = "Contrats et ressources humaines"
