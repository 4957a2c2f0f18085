"""Factories of the economics rows, and issued invoices built as the invoicing app stores them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import factory

from tremplin.clients.models import Client
from tremplin.clients.tests.factories import ClientFactory
from tremplin.economics.models import (
    AllocationRun,
    CostPool,
    FinancialEntry,
    PoolCost,
    Scenario,
    TimeRecord,
)
from tremplin.economics.rules import EntryKind, KeyMethod, SharedFunction
from tremplin.invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from tremplin.organisations.models import Entity
from tremplin.organisations.tests.factories import EntityFactory

_numbers = itertools.count(1)


class FinancialEntryFactory(factory.django.DjangoModelFactory[FinancialEntry]):
    class Meta:
        model = FinancialEntry

    entity = factory.SubFactory(EntityFactory)
    kind = EntryKind.COST
    day = date(2026, 3, 15)
    label = "Loyer"
    account = "6132"
    amount = Decimal("1000.00")

    class Params:
        grant = factory.Trait(
            kind=EntryKind.GRANT, label="Subvention du département", account="7410"
        )


class CostPoolFactory(factory.django.DjangoModelFactory[CostPool]):
    class Meta:
        model = CostPool

    entity = factory.SubFactory(EntityFactory)
    function = SharedFunction.DIRECTION
    name = factory.Sequence(lambda n: f"Direction {n}")
    key_method = KeyMethod.HOURS


class PoolCostFactory(factory.django.DjangoModelFactory[PoolCost]):
    class Meta:
        model = PoolCost

    pool = factory.SubFactory(CostPoolFactory)
    day = date(2026, 3, 31)
    label = "Salaires et charges"
    amount = Decimal("3000.00")


class TimeRecordFactory(factory.django.DjangoModelFactory[TimeRecord]):
    class Meta:
        model = TimeRecord

    pool = factory.SubFactory(CostPoolFactory)
    beneficiary = factory.SelfAttribute("pool.entity")
    day = date(2026, 3, 10)
    hours = Decimal(7)


class AllocationRunFactory(factory.django.DjangoModelFactory[AllocationRun]):
    class Meta:
        model = AllocationRun

    entity = factory.SubFactory(EntityFactory)
    period_code = "2026"
    start = date(2026, 1, 1)
    end = date(2026, 12, 31)
    group_result = Decimal(0)
    pnl = factory.LazyFunction(lambda: {"entities": [], "rows": []})


class ScenarioFactory(factory.django.DjangoModelFactory[Scenario]):
    class Meta:
        model = Scenario

    entity = factory.SubFactory(EntityFactory)
    name = "Scénario d'essai"
    period_code = "2026"
    base = factory.LazyAttribute(
        lambda o: {
            "start": "2026-01-01",
            "end": "2026-12-31",
            "entities": [{"id": o.entity.pk, "name": o.entity.name, "slug": o.entity.slug}],
        }
    )


def issued_invoice(
    entity: Entity,
    lines: Iterable[tuple[str, Decimal]],
    *,
    day: date = date(2026, 3, 31),
    client: Client | None = None,
    kind: InvoiceKind = InvoiceKind.INVOICE,
    corrects: Invoice | None = None,
    period_end: date | None = None,
) -> Invoice:
    """An issued invoice (or credit note, whose lines are stored negative) of ``entity``, one
    line per ``(activity, amount excl. VAT)``."""
    client = client or Client.objects.get(pk=ClientFactory(entity=entity).pk)
    invoice = Invoice.objects.create(
        entity=entity,
        client=client,
        kind=kind,
        corrects=corrects,
        period_start=(period_end or day).replace(day=1),
        period_end=period_end or day,
    )
    sign = -1 if kind == InvoiceKind.CREDIT_NOTE else 1
    total = Decimal(0)
    for position, (activity, amount) in enumerate(lines, start=1):
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            label=f"Prestation {activity}",
            activity=activity,
            quantity=Decimal(1),
            unit_price=abs(amount),
            vat_rate=Decimal(20),
            amount_excl_tax=sign * abs(amount),
        )
        total += sign * abs(amount)
    number = next(_numbers)
    invoice.status = InvoiceStatus.ISSUED
    invoice.series = "AV" if sign < 0 else "FA"
    invoice.year = day.year
    invoice.sequence = number
    invoice.number = f"{invoice.series}-{day.year}-{number:05d}"
    invoice.issue_date = day
    invoice.buyer_siren = client.siret[:9]
    invoice.total_excl_tax = total
    invoice.save()
    return invoice
