"""Issued invoices for the document tests, made through the invoicing actions themselves.

Each helper drafts, fills and issues an invoice the way the application does, so the frozen
snapshot (seller, buyer, mentions, VAT by rate) is the real one. Callers freeze the clock: an
invoice cannot be dated after today.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import factory

from tremplin.accounts.models import User
from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.models import Client, ClientSite
from tremplin.clients.rules import french_vat_number
from tremplin.clients.tests.factories import ClientFactory
from tremplin.invoicing import actions
from tremplin.invoicing.models import Invoice
from tremplin.orders.tests.factories import ServiceFactory
from tremplin.organisations.models import Entity, SapDeclaration
from tremplin.organisations.rules import VatRegime
from tremplin.organisations.tests.factories import EntityFactory


def seller(**kwargs: Any) -> Entity:
    """A VAT-registered company (normal regime, with its VAT number) unless told otherwise."""
    kwargs.setdefault("vat_number", factory.LazyAttribute(lambda o: french_vat_number(o.siren)))
    return EntityFactory(**kwargs)


def sap_seller(**kwargs: Any) -> Entity:
    """A household-services company holding a SAP declaration since 2020."""
    entity = seller(**kwargs)
    SapDeclaration.objects.create(
        entity=entity, number="SAP123456789", declared_on=date(2020, 1, 6)
    )
    return entity


def accountant(entity: Entity) -> User:
    return user_with_role(Role.ACCOUNTANT, entity)


def delivery_site(client: Client, **kwargs: Any) -> ClientSite:
    values = {
        "name": "Entrepôt nord",
        "address": "12 rue des Docks",
        "postal_code": "79180",
        "city": "Chauray",
    } | kwargs
    return ClientSite.objects.create(client=client, **values)


def issued_invoice(
    entity: Entity,
    client: Client,
    lines: list[tuple[Any, Decimal]],
    *,
    by: User,
    issue_date: date,
    period: tuple[date, date] = (date(2026, 3, 1), date(2026, 3, 31)),
    workers: dict[int, tuple[str, Decimal]] | None = None,
    **draft: Any,
) -> Invoice:
    """Draft, fill and issue an invoice from (service, quantity) lines; ``workers`` gives
    (name, hours) per line index."""
    invoice = actions.create_draft(
        entity, client=client, by=by, period_start=period[0], period_end=period[1], **draft
    )
    for index, (service, quantity) in enumerate(lines):
        worker, hours = (workers or {}).get(index, ("", None))
        actions.add_line(
            invoice, by=by, service=service, quantity=quantity, worker_name=worker, hours=hours
        )
    return actions.issue_invoice(invoice, by=by, issue_date=issue_date)


def company_invoice(*, issue_date: date = date(2026, 4, 2), **draft: Any) -> Invoice:
    """A B2B invoice: two services at 20 %, a delivery site, 30 days, a buyer with its VAT
    number."""
    entity = seller()
    client = ClientFactory(entity=entity, name="Logistique Atlantique SA", vat_registered=True)
    site = delivery_site(client)
    cleaning = ServiceFactory(entity=entity, name="Entretien des bureaux")
    washing = ServiceFactory(entity=entity, car_wash=True, name="Lavage sans eau")
    return issued_invoice(
        entity,
        client,
        [(cleaning, Decimal("12.50")), (washing, Decimal("3"))],
        by=accountant(entity),
        issue_date=issue_date,
        delivery_site=site,
        **draft,
    )


def household_invoice(*, issue_date: date = date(2026, 4, 2), **kwargs: Any) -> Invoice:
    """A SAP household invoice: housework at the reduced 10 % rate, worker and hours."""
    entity = sap_seller(**kwargs)
    client = ClientFactory(entity=entity, household=True, name="Mme Jeanne Martin")
    housework = ServiceFactory(entity=entity, housework=True, name="Ménage à domicile")
    return issued_invoice(
        entity,
        client,
        [(housework, Decimal("6.50"))],
        by=accountant(entity),
        issue_date=issue_date,
        workers={0: ("Aïcha Benali", Decimal("6.50"))},
    )


def exempt_invoice(
    *, regime: VatRegime = VatRegime.NOT_SUBJECT, issue_date: date = date(2026, 4, 2)
) -> Invoice:
    """An invoice of a VAT-exempt seller: an association (not subject) or a franchise."""
    entity: Any
    if regime == VatRegime.NOT_SUBJECT:
        entity = EntityFactory(association=True, legal_name="Tremplin Emploi association")
    else:
        entity = seller(vat_regime=regime)
    client = ClientFactory(entity=entity, household=True, name="M. Paul Girard")
    placement = ServiceFactory(entity=entity, placement=True, name="Mise à disposition")
    return issued_invoice(
        entity,
        client,
        [(placement, Decimal("8"))],
        by=accountant(entity),
        issue_date=issue_date,
    )


def public_invoice(*, issue_date: date = date(2026, 4, 2), **client_kwargs: Any) -> Invoice:
    """An invoice to a local authority invoiced through Chorus Pro."""
    entity = seller()
    values = {
        "name": "Commune de Chauray",
        "chorus_service_code": "SERV-TECH-01",
        "chorus_engagement_number": "EJ-2026-0042",
    } | client_kwargs
    client = ClientFactory(entity=entity, local_authority=True, **values)
    cleaning = ServiceFactory(entity=entity, name="Entretien des espaces communaux")
    return issued_invoice(
        entity,
        client,
        [(cleaning, Decimal("20"))],
        by=accountant(entity),
        issue_date=issue_date,
    )
