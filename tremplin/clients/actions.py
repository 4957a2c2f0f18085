"""Changes to the group's clients: atomic, by a user, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from tremplin.clients.models import Client
from tremplin.core import audit

if TYPE_CHECKING:
    from tremplin.accounts.models import User


@transaction.atomic
def create_client(client: Client, *, by: User) -> Client:
    """Save the already validated, unsaved ``client`` of its entity and record its creation."""
    client.save()
    audit.log(
        client,
        "clients.client_created",
        by=by,
        data={"name": client.name, "kind": client.kind, "siret": client.siret},
    )
    return client


@transaction.atomic
def update_client(client: Client, *, changes: dict[str, list[str]], by: User) -> Client:
    """Save the already validated ``client`` and record which fields changed."""
    if not changes:
        return client
    client.save(update_fields=list(changes))
    audit.log(client, "clients.client_updated", by=by, data={"changes": changes})
    return client
