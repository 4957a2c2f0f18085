from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tremplin.missions.models import MadDerogation, Placement


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin[Placement]):
    """Read-only: a placement is created through the cap check, never by hand."""

    list_display = ["number", "contract", "client", "start", "end", "hours"]
    list_select_related = ["contract__person", "client"]
    search_fields = ["number", "client__name", "contract__person__name_key"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(MadDerogation)
class MadDerogationAdmin(admin.ModelAdmin[MadDerogation]):
    """Read-only: derogations are recorded, checked and audited on the AI's page."""

    list_display = ["entity", "reference", "valid_from", "valid_to"]
    list_filter = ["entity"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
