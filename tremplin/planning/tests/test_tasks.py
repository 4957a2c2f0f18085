from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.tasks import TaskResultStatus

from tremplin.planning import actions
from tremplin.planning.models import RunStatus
from tremplin.planning.tasks import run_planning_task
from tremplin.planning.tests.factories import MONDAY, intervention, located_entity, order, worker

pytestmark = pytest.mark.django_db


def test_starting_a_run_queues_the_task_once_committed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    entity = located_entity()
    person = worker(entity, "Ana")
    item = intervention(order(entity), MONDAY + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = actions.start_run(entity, week=MONDAY, seconds=1, by=None)
    assert run.status == RunStatus.QUEUED and run.step == "En attente de traitement"
    assert len(callbacks) == 1
    callbacks[0]()  # the immediate backend of the tests runs the task at once
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.progress == 100
    assert run.assignments.get().intervention == item
    assert run.assignments.get().worker == person


def test_the_task_runs_a_queued_run_and_reports_success() -> None:
    entity = located_entity()
    worker(entity, "Ana")
    run = actions.start_run(entity, week=MONDAY, seconds=1, by=None, run_in_background=False)
    result = run_planning_task.enqueue(run.pk)
    assert result.status == TaskResultStatus.SUCCESSFUL
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


def test_a_failing_run_is_marked_failed_by_the_task() -> None:
    entity = located_entity()
    entity.sites.update(latitude=None, longitude=None)
    worker(entity, "Sans point de départ")
    run = actions.start_run(entity, week=MONDAY, seconds=1, by=None, run_in_background=False)
    result = run_planning_task.enqueue(run.pk)
    assert result.status == TaskResultStatus.SUCCESSFUL  # the planner's error is on the row
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "siège" in run.error
