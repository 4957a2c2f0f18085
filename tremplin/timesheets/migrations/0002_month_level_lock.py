"""The monthly close now locks the month (``closing.MonthlyClose``), not each entry: entries
stored as locked by earlier closes become validated, still locked by their closed month."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def unlock_rows(apps: Any, schema_editor: Any) -> None:
    TimeEntry = apps.get_model("timesheets", "TimeEntry")
    TimeEntry.objects.filter(status="locked").update(status="validated")


def lock_rows_of_closed_months(apps: Any, schema_editor: Any) -> None:
    TimeEntry = apps.get_model("timesheets", "TimeEntry")
    MonthlyClose = apps.get_model("closing", "MonthlyClose")
    for entity_id, year, month in MonthlyClose.objects.filter(status="closed").values_list(
        "entity_id", "year", "month"
    ):
        TimeEntry.objects.filter(
            entity_id=entity_id, day__year=year, day__month=month, status="validated"
        ).update(status="locked")


class Migration(migrations.Migration):
    dependencies = [
        ("closing", "0003_payroll_complementary_hours"),
        ("timesheets", "0001_initial"),
    ]

    operations = [migrations.RunPython(unlock_rows, lock_rows_of_closed_months)]
