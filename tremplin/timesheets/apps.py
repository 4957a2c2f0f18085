from __future__ import annotations

from django.apps import AppConfig


class TimesheetsConfig(AppConfig):
    name = "tremplin.timesheets"
    label = "timesheets"
    verbose_name = "Relevés d'heures"
