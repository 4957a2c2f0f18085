from __future__ import annotations

from typing import Any

import pytest

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients import actions
from tremplin.clients.models import Client
from tremplin.clients.rules import ClientKind
from tremplin.clients.tests.factories import ClientFactory
from tremplin.core.models import AuditEntry
from tremplin.organisations.tests.factories import EntityFactory

pytestmark = pytest.mark.django_db


def test_create_and_update_are_audited() -> None:
    entity: Any = EntityFactory()
    user = user_with_role(Role.PLANNER, entity)
    client = actions.create_client(
        Client(entity=entity, name="Famille Martin", kind=ClientKind.HOUSEHOLD), by=user
    )
    assert client.pk is not None
    created = AuditEntry.objects.get()
    assert (created.action, created.entity, created.data["kind"]) == (
        "clients.client_created",
        entity,
        "HOUSEHOLD",
    )
    client.city = "Parthenay"
    actions.update_client(client, changes={"city": ["", "Parthenay"]}, by=user)
    assert Client.objects.get().city == "Parthenay"
    assert AuditEntry.objects.filter(action="clients.client_updated").count() == 1


def test_an_update_without_changes_writes_nothing() -> None:
    client = ClientFactory()
    actions.update_client(client, changes={}, by=user_with_role(Role.PLANNER, client.entity))
    assert not AuditEntry.objects.exists()
