"""Changes to the group's clients: atomic, by a user, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from tremplin.clients.models import Client, ClientContact, ClientRequirement, ClientSite
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


@transaction.atomic
def add_client_contact(contact: ClientContact, *, by: User) -> ClientContact:
    """Save the already validated, unsaved contact of its client."""
    contact.save()
    audit.log(contact.client, "clients.contact_added", by=by, data={"name": contact.name})
    return contact


@transaction.atomic
def add_client_site(site: ClientSite, *, by: User) -> ClientSite:
    """Save the already validated, unsaved place of work of its client."""
    site.save()
    audit.log(site.client, "clients.site_added", by=by, data={"name": site.name, "city": site.city})
    return site


@transaction.atomic
def add_client_requirement(requirement: ClientRequirement, *, by: User) -> ClientRequirement:
    """Save the already validated, unsaved habilitation the client requires."""
    requirement.save()
    audit.log(
        requirement.client,
        "clients.requirement_added",
        by=by,
        data={"habilitation": requirement.habilitation},
    )
    return requirement


@transaction.atomic
def remove_client_detail(
    detail: ClientContact | ClientSite | ClientRequirement, *, by: User
) -> None:
    """Delete a contact, site or requirement of a client and record it on the client."""
    client = detail.client
    label = str(detail)
    kind = type(detail).__name__.removeprefix("Client").lower()
    detail.delete()
    audit.log(client, f"clients.{kind}_removed", by=by, data={"label": label})
