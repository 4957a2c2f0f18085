"""Background work of the monthly close (Django tasks; django-tasks-db in production)."""

from __future__ import annotations

from django.tasks import task

from tremplin.closing import actions
from tremplin.closing.models import MonthlyClose


@task
def run_close(close_id: int) -> None:
    """Run the close queued by ``actions.start_close``."""
    actions.close_month(MonthlyClose.objects.select_related("entity").get(pk=close_id))
