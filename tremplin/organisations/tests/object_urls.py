"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.organisations.models import Entity
from tremplin.organisations.tests.factories import ConventionFactory


def make_objects(entity: Entity) -> dict[str, Any]:
    return {"convention": ConventionFactory(entity=entity)}


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "organisations:entity": lambda w: f"/groupe/{w['entity'].slug}/",
    "organisations:entity_edit": lambda w: f"/groupe/{w['entity'].slug}/modifier/",
    "organisations:convention_add": lambda w: f"/groupe/{w['entity'].slug}/conventions/ajouter/",
    "organisations:annex_add": lambda w: (
        f"/groupe/{w['entity'].slug}/conventions/{w['convention'].pk}/annexes/ajouter/"
    ),
}
