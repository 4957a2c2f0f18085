"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.organisations.models import Entity
from tremplin.planning.tests.factories import PlanningRunFactory, ProposedAssignmentFactory


def make_objects(entity: Entity) -> dict[str, Any]:
    run = PlanningRunFactory(entity=entity)
    return {"planning_run": run, "planning_row": ProposedAssignmentFactory(run=run)}


def _run(w: dict[str, Any]) -> str:
    return f"/planning/moteur/calculs/{w['planning_run'].pk}/"


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "planning:run": _run,
    "planning:accept": lambda w: _run(w) + "accepter/",
    "planning:lock": lambda w: _run(w) + "verrouiller/",
    "planning:unlock": lambda w: _run(w) + "deverrouiller/",
    "planning:rerun": lambda w: _run(w) + "relancer/",
}
