from __future__ import annotations

from django.contrib import admin

from tremplin.core.models import AccessLogEntry, AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs are evidence: the admin shows them and never edits them."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_repr", "entity"]
    list_filter = ["action"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "what", "entity", "ip_address"]
    list_filter = ["what"]
