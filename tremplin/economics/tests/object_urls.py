"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.economics.tests.factories import (
    AllocationRunFactory,
    CostPoolFactory,
    ScenarioFactory,
)
from tremplin.organisations.models import Entity


def make_objects(entity: Entity) -> dict[str, Any]:
    return {
        "pool": CostPoolFactory(entity=entity),
        "run": AllocationRunFactory(entity=entity),
        "scenario": ScenarioFactory(entity=entity),
    }


def _slug(w: dict[str, Any]) -> str:
    return w["entity"].slug


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "economics:entity": lambda w: f"/economie/structure/{_slug(w)}/",
    "economics:add_entry": lambda w: f"/economie/structure/{_slug(w)}/saisie/",
    "economics:import": lambda w: f"/economie/structure/{_slug(w)}/import/",
    "economics:aid": lambda w: f"/economie/structure/{_slug(w)}/aide-au-poste/",
    "economics:pool": lambda w: f"/economie/fonctions/{w['pool'].pk}/",
    "economics:pool_cost": lambda w: f"/economie/fonctions/{w['pool'].pk}/cout/",
    "economics:pool_time": lambda w: f"/economie/fonctions/{w['pool'].pk}/temps/",
    "economics:run": lambda w: f"/economie/repartitions/{w['run'].pk}/",
    "economics:run_csv": lambda w: f"/economie/repartitions/{w['run'].pk}/refacturations.csv",
    "economics:scenario": lambda w: f"/economie/scenarios/{w['scenario'].pk}/",
    "economics:scenario_change": lambda w: f"/economie/scenarios/{w['scenario'].pk}/modifier/",
    "economics:scenario_remove": lambda w: f"/economie/scenarios/{w['scenario'].pk}/retirer/0/",
    "economics:fiscal_status": lambda w: f"/economie/fiscalite/{_slug(w)}/",
}
