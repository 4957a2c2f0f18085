from __future__ import annotations

from django.contrib import admin

from tremplin.closing.models import MonthlyClose


@admin.register(MonthlyClose)
class MonthlyCloseAdmin(admin.ModelAdmin[MonthlyClose]):
    """Read-only: a close changes only through its actions (start, run, reopen)."""

    list_display = ["entity", "year", "month", "status", "progress", "closed_at"]
    list_filter = ["status", "entity"]
    readonly_fields = [f.name for f in MonthlyClose._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
