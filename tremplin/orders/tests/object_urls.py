"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py).

Also the client detail pages (contacts, sites, requirements) added with the orders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.clients.models import Client, ClientContact, ClientRequirement, ClientSite
from tremplin.clients.tests.factories import ClientFactory
from tremplin.contracts.models import HabilitationKind
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.orders.tests.factories import (
    InterventionFactory,
    OrderFactory,
    QuoteFactory,
    ServiceFactory,
)
from tremplin.organisations.models import Entity
from tremplin.people.tests.factories import PersonFactory


def make_objects(entity: Entity) -> dict[str, Any]:
    client: Client = ClientFactory(entity=entity)  # type: ignore[assignment]
    order = OrderFactory(client=client)
    person = PersonFactory(entity=entity)
    ContractFactory(person=person, entity=entity)
    return {
        "orders_client": client,
        "orders_service": ServiceFactory(entity=entity),
        "orders_quote": QuoteFactory(client=ClientFactory(entity=entity, household=True)),
        "orders_order": order,
        "orders_intervention": InterventionFactory(order=order),
        "orders_person": person,
        "orders_contact": ClientContact.objects.create(client=client, name="Mme Martin"),
        "orders_site": ClientSite.objects.create(
            client=client, name="Atelier", address="1 rue", postal_code="79000", city="Niort"
        ),
        "orders_requirement": ClientRequirement.objects.create(
            client=client, habilitation=HabilitationKind.FIRST_AID
        ),
    }


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "orders:service_edit": lambda w: f"/planning/catalogue/{w['orders_service'].pk}/modifier/",
    "orders:price_new": lambda w: f"/planning/clients/{w['orders_client'].pk}/tarifs/ajouter/",
    "orders:quote_new": lambda w: f"/planning/clients/{w['orders_client'].pk}/devis/ajouter/",
    "orders:quote_decide": lambda w: f"/planning/devis/{w['orders_quote'].pk}/decision/",
    "orders:order_new": lambda w: f"/planning/clients/{w['orders_client'].pk}/commandes/ajouter/",
    "orders:order": lambda w: f"/planning/commandes/{w['orders_order'].pk}/",
    "orders:order_edit": lambda w: f"/planning/commandes/{w['orders_order'].pk}/modifier/",
    "orders:exception_new": lambda w: (
        f"/planning/commandes/{w['orders_order'].pk}/exceptions/ajouter/"
    ),
    "orders:generate": lambda w: f"/planning/commandes/{w['orders_order'].pk}/generer/",
    "orders:assign_usual": lambda w: (
        f"/planning/commandes/{w['orders_order'].pk}/attribuer-intervenant-habituel/"
    ),
    "orders:assign": lambda w: f"/planning/interventions/{w['orders_intervention'].pk}/attribuer/",
    "orders:absence_new": lambda w: (
        f"/planning/personnes/{w['orders_person'].pk}/absences/ajouter/"
    ),
    "clients:contact_new": lambda w: f"/clients/{w['orders_client'].pk}/contacts/ajouter/",
    "clients:site_new": lambda w: f"/clients/{w['orders_client'].pk}/lieux/ajouter/",
    "clients:requirement_new": lambda w: f"/clients/{w['orders_client'].pk}/exigences/ajouter/",
    "clients:contact_remove": lambda w: f"/clients/contacts/{w['orders_contact'].pk}/retirer/",
    "clients:site_remove": lambda w: f"/clients/lieux/{w['orders_site'].pk}/retirer/",
    "clients:requirement_remove": lambda w: (
        f"/clients/exigences/{w['orders_requirement'].pk}/retirer/"
    ),
}
