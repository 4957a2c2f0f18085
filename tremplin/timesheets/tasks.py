"""Background work of the timesheets app (Django tasks; ``manage.py db_worker`` runs them)."""

from __future__ import annotations

from django.tasks import task

from tremplin.core.dates import today
from tremplin.timesheets import actions
from tremplin.timesheets.models import TimesheetImport


@task
def run_import(import_id: int) -> None:
    """Import the rows of an uploaded hours file."""
    actions.run_import(
        TimesheetImport.objects.select_related("entity").get(pk=import_id), today=today()
    )
