from __future__ import annotations

from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "tremplin.invoicing"
    label = "invoicing"
    verbose_name = "Facturation"
