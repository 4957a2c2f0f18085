"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.organisations.models import Entity


def make_objects(entity: Entity) -> dict[str, Any]:
    return {}  # the dashboards name the entity and its group, nothing else


def _group(w: dict[str, Any]) -> str:
    return f"/pilotage/groupe/{w['entity'].group.slug}/"


def _entity(w: dict[str, Any]) -> str:
    return f"/pilotage/structure/{w['entity'].slug}/"


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "indicators:group": _group,
    "indicators:group_csv": lambda w: _group(w) + "indicateurs.csv",
    "indicators:group_xlsx": lambda w: _group(w) + "indicateurs.xlsx",
    "indicators:group_pdf": lambda w: _group(w) + "rapport-activite.pdf",
    "indicators:entity": _entity,
    "indicators:entity_csv": lambda w: _entity(w) + "indicateurs.csv",
    "indicators:entity_xlsx": lambda w: _entity(w) + "indicateurs.xlsx",
    "indicators:entity_pdf": lambda w: _entity(w) + "rapport-activite.pdf",
}
