"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.clients.tests.factories import ClientFactory
from tremplin.organisations.models import Entity


def make_objects(entity: Entity) -> dict[str, Any]:
    return {"clients_client": ClientFactory(entity=entity)}


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "clients:client": lambda w: f"/clients/{w['clients_client'].pk}/",
    "clients:edit": lambda w: f"/clients/{w['clients_client'].pk}/modifier/",
}
