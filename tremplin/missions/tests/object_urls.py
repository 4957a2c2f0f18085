"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.missions.tests.factories import MadDerogationFactory, PlacementFactory
from tremplin.organisations.models import Entity
from tremplin.organisations.tests.factories import ConventionFactory


def make_objects(entity: Entity) -> dict[str, Any]:
    ConventionFactory(entity=entity, kind="AI")
    placement = PlacementFactory(contract__entity=entity)
    return {
        "missions_placement": placement,
        "missions_contract": placement.contract,
        "missions_person": placement.contract.person,
        "missions_derogation": MadDerogationFactory(entity=entity),
    }


_BASE = "/mises-a-disposition"

OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "missions:ledger": lambda w: f"{_BASE}/salaries/{w['missions_person'].pk}/",
    "missions:placement_new": lambda w: f"{_BASE}/contrats/{w['missions_contract'].pk}/nouvelle/",
    "missions:placement_pdf": lambda w: f"{_BASE}/{w['missions_placement'].pk}/contrat.pdf",
    "missions:derogations": lambda w: f"{_BASE}/structures/{w['entity'].slug}/derogations/",
    "missions:derogation_new": lambda w: (
        f"{_BASE}/structures/{w['entity'].slug}/derogations/ajouter/"
    ),
}
