"""Background work of the planning engine (Django tasks; ``manage.py db_worker`` runs them)."""

from __future__ import annotations

from django.tasks import task

from tremplin.planning import actions
from tremplin.planning.models import PlanningRun


@task
def run_planning_task(run_id: int) -> None:
    """Run the engine on the week queued by ``actions.start_run``."""
    actions.run_planning(PlanningRun.objects.select_related("entity").get(pk=run_id))
