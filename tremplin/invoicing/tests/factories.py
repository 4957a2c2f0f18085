"""Factories of invoices. Issued invoices are made through ``actions.issue_invoice`` (the real
numbering and snapshot path), never by writing an issued row directly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import factory

from tremplin.accounts.models import User
from tremplin.clients.rules import french_vat_number
from tremplin.clients.tests.factories import ClientFactory
from tremplin.invoicing import actions
from tremplin.invoicing.models import Invoice, InvoiceLine
from tremplin.orders.rules import ServiceKind, Unit
from tremplin.organisations.models import Entity, SapDeclaration
from tremplin.organisations.rules import SapActivity
from tremplin.organisations.tests.factories import EntityFactory


class InvoicingEntityFactory(EntityFactory):
    """An entity that can issue invoices: VAT-registered with its VAT number."""

    vat_number = factory.LazyAttribute(lambda o: french_vat_number(o.siren))


class InvoiceFactory(factory.django.DjangoModelFactory[Invoice]):
    """A draft invoice (add lines with ``InvoiceLineFactory``, issue with ``issue``)."""

    class Meta:
        model = Invoice

    entity = factory.SubFactory(InvoicingEntityFactory)
    client = factory.SubFactory(ClientFactory, entity=factory.SelfAttribute("..entity"))
    period_start = date(2026, 10, 1)
    period_end = date(2026, 10, 31)
    payment_terms_days = 30


class InvoiceLineFactory(factory.django.DjangoModelFactory[InvoiceLine]):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    position = factory.Sequence(lambda n: n + 1)
    label = "Entretien de locaux"
    activity = ServiceKind.OFFICE_CLEANING
    quantity = Decimal("10.00")
    unit = Unit.HOUR
    unit_price = Decimal("25.00")
    vat_rate = Decimal("20.0")
    amount_excl_tax = factory.LazyAttribute(
        lambda o: (o.quantity * o.unit_price).quantize(Decimal("0.01"))
    )


def sap_declaration(entity: Entity, *, declared_on: date = date(2020, 1, 1)) -> SapDeclaration:
    return SapDeclaration.objects.create(
        entity=entity,
        number="SAP912345678",
        declared_on=declared_on,
        activities=[SapActivity.HOUSEWORK, SapActivity.GARDENING],
    )


def draft_with_lines(
    lines: Sequence[tuple[str, str, str]] = (("10", "25.00", "20"),), **invoice: Any
) -> Invoice:
    """A draft with ``(quantity, unit price, VAT rate)`` lines, totals computed."""
    draft = InvoiceFactory(**invoice)
    for position, (quantity, price, rate) in enumerate(lines, start=1):
        InvoiceLineFactory(
            invoice=draft,
            position=position,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            vat_rate=Decimal(rate),
        )
    actions.refresh_totals(draft)
    return draft


def issued_invoice(
    lines: Sequence[tuple[str, str, str]] = (("10", "25.00", "20"),),
    *,
    by: User | None = None,
    issue_date: date | None = None,
    **invoice: Any,
) -> Invoice:
    """An invoice issued through ``actions.issue_invoice``."""
    return actions.issue_invoice(draft_with_lines(lines, **invoice), by=by, issue_date=issue_date)
