"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.closing.models import CloseStatus
from tremplin.closing.tests.factories import MonthlyCloseFactory
from tremplin.organisations.models import Entity


def make_objects(entity: Entity) -> dict[str, Any]:
    return {"close": MonthlyCloseFactory(entity=entity, status=CloseStatus.CLOSED)}


def _month(w: dict[str, Any]) -> str:
    return f"/cloture/{w['entity'].slug}/{w['close'].year}/{w['close'].month}/"


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "closing:close": _month,
    "closing:reopen": lambda w: _month(w) + "rouvrir/",
    "closing:payroll_csv": lambda w: _month(w) + "variables-de-paie.csv",
    "closing:asp_csv": lambda w: _month(w) + "suivi-asp.csv",
}
