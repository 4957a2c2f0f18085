"""Background work of the monthly close (Django tasks; django-tasks-db in production)."""

from __future__ import annotations

from django.tasks import task

from tremplin.closing import actions
from tremplin.closing.models import MonthlyClose


@task
def run_close(close_id: int, attempt: int | None = None) -> None:
    """Run the close queued by ``actions.start_close`` (for its ``attempt``: a run queued before
    the close was started again does nothing)."""
    actions.close_month(
        MonthlyClose.objects.select_related("entity").get(pk=close_id), attempt=attempt
    )
