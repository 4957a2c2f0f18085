from __future__ import annotations

from django.contrib import admin

from tremplin.timesheets.models import ClientSignOff, TimeEntry, TimesheetImport


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin[TimeEntry]):
    list_display = ["day", "person", "client", "hours", "status", "source"]
    list_filter = ["status", "source", "entity"]
    raw_id_fields = ["person", "client", "intervention", "service", "declared_by", "validated_by"]
    date_hierarchy = "day"


@admin.register(ClientSignOff)
class ClientSignOffAdmin(admin.ModelAdmin[ClientSignOff]):
    list_display = ["client", "month", "year", "expires_on", "signed_at", "signed_by_name"]
    raw_id_fields = ["client"]


@admin.register(TimesheetImport)
class TimesheetImportAdmin(admin.ModelAdmin[TimesheetImport]):
    list_display = [
        "original_name",
        "entity",
        "status",
        "imported_rows",
        "error_rows",
        "created_at",
    ]
    list_filter = ["status"]
    raw_id_fields = ["entity", "uploaded_by"]
