"""The monthly close checked against a naive reference, on generated months.

Each seed builds one month of one entity (workers with contracts starting, ending and
overlapping in the month, orders of hourly and per-unit services, entries with and without an
intervention, client prices, absences, hours on Sundays, public holidays, in the first ISO
week's days of the previous month and in the next month), closes it with the real code, and
compares the drafts, payroll variables and ASP follow-ups with what a plain Python reading of
the rows and the pure rules gives, entry by entry. The reference shares nothing with
``closing.actions`` but the rules it applies.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tremplin.clients.models import Client
from tremplin.clients.tests.factories import ClientFactory
from tremplin.closing import actions, rules
from tremplin.closing.models import (
    AspMonthlyFollowUp,
    CloseStatus,
    InvoiceDraft,
    InvoiceDraftLine,
    MonthlyClose,
    PayrollVariables,
)
from tremplin.closing.tests.factories import (
    AbsenceFactory,
    InterventionFactory,
    OrderFactory,
    TimeEntryFactory,
)
from tremplin.contracts.models import Contract
from tremplin.contracts.rules import ContractKind, PostType
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.money import to_cents
from tremplin.orders.models import Absence, ClientPrice, Intervention, Service
from tremplin.orders.rules import (
    ServiceKind,
    Unit,
    holiday_subdivision,
    is_public_holiday,
    vat_rate,
)
from tremplin.orders.tests.factories import ServiceFactory
from tremplin.organisations.models import Entity, SapDeclaration
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.people.models import Person
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets.models import EntryStatus, TimeEntry

pytestmark = pytest.mark.django_db
D = Decimal

# One month per seed: public holidays (May; 1 November a Sunday; Good Friday and 26 December in
# Alsace-Moselle), daylight-saving changes (March, October), a first ISO week starting in the
# previous month (in the previous year for January 2027) or on the 1st (June 2026).
MONTHS = [(2026, 10), (2026, 4), (2026, 5), (2026, 12), (2026, 11), (2027, 1), (2026, 6), (2026, 3)]
# Odd seeds: an Alsace-Moselle entity (its own public holidays).
ALSACE_POSTAL_CODES = ["67000", "57000", "68100", "57070"]

WEEKLY_HOURS = [D(20), D(26), D(35), None, D("24.50"), D(39)]
ORDER_QUANTITIES = [D(1), D(1), D(2), D("1.50"), D(3)]
HOURLY_KINDS = [
    ServiceKind.OFFICE_CLEANING,
    ServiceKind.HOUSEWORK,
    ServiceKind.PLACEMENT,
    ServiceKind.GARDENING,
    ServiceKind.IRONING,
]
CORE_SCENARIOS = ["whole", "starts", "ends", "two", "permanent"]
EXTRA_SCENARIOS = ["whole", "two", "mixed", "none", "starts", "ends", "permanent"]


def hundredths(rng: random.Random, low: int, high: int) -> Decimal:
    """A random decimal of two places from ``low`` to ``high`` hundredths."""
    return D(rng.randint(low, high)).scaleb(-2)


def hourly_rate(rng: random.Random) -> Decimal:
    """A gross hourly rate of four decimals, e.g. 12.3456."""
    return D(rng.randint(118_000, 165_000)).scaleb(-4)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@dataclass
class Month:
    entity: Entity
    year: int
    month: int
    first: date
    last: date


# --- Generation ------------------------------------------------------------------------------


def make_contracts(
    rng: random.Random, entity: Entity, person: Person, scenario: str, first: date, last: date
) -> None:
    """The contracts of one worker for a scenario; some not running in the month (ignored)."""

    def insertion(start: date, **kwargs: Any) -> Contract:
        kwargs.setdefault("planned_end", last + timedelta(days=rng.randint(0, 90)))
        return ContractFactory(
            person=person,
            entity=entity,
            start=start,
            weekly_hours=rng.choice(WEEKLY_HOURS),
            hourly_rate=hourly_rate(rng),
            **kwargs,
        )

    def before() -> date:
        return first - timedelta(days=rng.randint(0, 200))

    def mid() -> date:
        return first + timedelta(days=rng.randint(1, (last - first).days - 1))

    def ending_on(day: date) -> dict[str, Any]:
        # Ended early (actual end) or at its planned term.
        if rng.random() < 0.5:
            return {"planned_end": day + timedelta(days=rng.randint(1, 60)), "actual_end": day}
        return {"planned_end": day}

    if rng.random() < 0.3:
        # An earlier contract that ended before the month: not running.
        start = first - timedelta(days=rng.randint(200, 400))
        insertion(start, planned_end=first - timedelta(days=rng.randint(1, 30)))
    if scenario == "whole":
        insertion(before(), planned_end=rng.choice([None, last, last + timedelta(days=40)]))
    elif scenario == "starts":
        insertion(mid())
    elif scenario == "ends":
        insertion(before(), **ending_on(mid()))
    elif scenario == "two":
        change = mid()
        variant = rng.choice(["next_day", "overlap", "gap", "same_start"])
        if variant == "same_start":
            # Two contracts starting the same day: the later created one is in force while
            # both run, whichever ends first.
            ends = ending_on(change + timedelta(days=rng.randint(0, 5)))
            if rng.random() < 0.5:
                insertion(change, **ends)
                insertion(change)
            else:
                insertion(change)
                insertion(change, **ends)
        else:
            starts = {"next_day": 1, "overlap": 0, "gap": 4}[variant]
            second_first = rng.random() < 0.5  # created before the first: a smaller key
            later_start = change + timedelta(days=starts)
            if second_first:
                insertion(later_start)
            insertion(before(), **ending_on(change))
            if not second_first:
                insertion(later_start)
    elif scenario == "permanent":
        ContractFactory(
            person=person,
            entity=entity,
            kind=rng.choice([ContractKind.CDI, ContractKind.PEC]),
            post_type=PostType.PERMANENT,
            start=before(),
            planned_end=None,
            weekly_hours=rng.choice(WEEKLY_HOURS),
            hourly_rate=hourly_rate(rng),
        )
    elif scenario == "mixed":
        # An insertion contract ending mid-month, then a permanent one.
        change = mid()
        insertion(before(), **ending_on(change))
        ContractFactory(
            person=person,
            entity=entity,
            kind=ContractKind.CDI,
            post_type=PostType.PERMANENT,
            start=change + timedelta(days=1),
            planned_end=None,
            weekly_hours=rng.choice(WEEKLY_HOURS),
            hourly_rate=D("13.0001"),
        )
    if rng.random() < 0.2:
        # A contract with another entity of the group: not this entity's.
        ContractFactory(
            person=person,
            entity=EntityFactory(group=entity.group),
            start=first - timedelta(days=10),
            weekly_hours=D(10),
        )


def make_prices(
    rng: random.Random, clients: list[Client], services: list[Service], last: date
) -> None:
    """Client prices for some (client, service) pairs, with later, expired, future ones."""
    for client in clients:
        for service in services:
            if rng.random() < 0.45:
                continue
            base = ClientPrice.objects.create(
                client=client,
                service=service,
                unit_price=hundredths(rng, 1000, 4999),
                valid_from=last - timedelta(days=rng.randint(30, 300)),
            )
            variant = rng.choice(["none", "later", "future", "expired", "ends_last", "same_day"])
            valid_from, valid_to = {
                "none": (None, None),
                "later": (last - timedelta(days=rng.randint(0, 20)), None),
                "future": (last + timedelta(days=rng.randint(1, 30)), None),
                "expired": (last - timedelta(days=20), last - timedelta(days=1)),
                "ends_last": (last - timedelta(days=20), last),
                "same_day": (base.valid_from, None),
            }[variant]
            if valid_from is not None:
                ClientPrice.objects.create(
                    client=client,
                    service=service,
                    unit_price=hundredths(rng, 1000, 4999),
                    valid_from=valid_from,
                    valid_to=valid_to,
                )


def generate(seed: int) -> Month:
    rng = random.Random(seed)
    year, month_number = MONTHS[seed % len(MONTHS)]
    first, last = rules.month_bounds(year, month_number)
    postal_code = ALSACE_POSTAL_CODES[seed // 2 % 4] if seed % 2 else "79000"
    entity = EntityFactory.create(postal_code=postal_code)
    sap = rng.choice(["valid", "expired", "future", "none"])
    if sap != "none":
        SapDeclaration.objects.create(
            entity=entity,
            number=f"SAP{seed}",
            declared_on=last + timedelta(days=1) if sap == "future" else date(2024, 1, 1),
            valid_until={
                "valid": rng.choice([None, last]),
                "expired": last - timedelta(days=1),
            }.get(sap),
        )

    clients = [ClientFactory(entity=entity) for _ in range(rng.randint(2, 3))]
    hourly = [
        ServiceFactory(
            entity=entity, kind=kind, unit=Unit.HOUR, unit_price=hundredths(rng, 1500, 3500)
        )
        for kind in rng.sample(HOURLY_KINDS, rng.randint(2, 3))
    ]
    per_unit = [ServiceFactory(entity=entity, car_wash=True, unit_price=hundredths(rng, 800, 2500))]
    if rng.random() < 0.6:
        per_unit.append(
            ServiceFactory(
                entity=entity,
                kind=ServiceKind.DOCUMENT_MANAGEMENT,
                unit=Unit.UNIT,
                unit_price=hundredths(rng, 50, 900),
            )
        )
    services = hourly + per_unit
    others = hourly[1:] + per_unit[1:]
    order_services = [hourly[0], per_unit[0]] + rng.sample(
        others, rng.randint(0, min(2, len(others)))
    )
    orders = [
        OrderFactory(
            entity=entity,
            client=rng.choice(clients),
            service=service,
            quantity=rng.choice(ORDER_QUANTITIES),
        )
        for service in order_services
    ]
    if rng.random() < 0.4:
        # An order that ended before the month, still holding some of its entries.
        order = rng.choice(orders)
        order.last_day = first - timedelta(days=3)
        order.save()
    make_prices(rng, clients, services, last)

    scenarios = rng.sample(CORE_SCENARIOS, 4)
    scenarios += rng.sample(EXTRA_SCENARIOS, 2)
    workers = []
    for scenario in scenarios[: rng.randint(3, 6)]:
        person = PersonFactory(entity=entity)
        make_contracts(rng, entity, person, scenario, first, last)
        workers.append(person)

    subdivision = holiday_subdivision(postal_code)
    week_start = first - timedelta(days=first.weekday())
    span = days_between(week_start, last + timedelta(days=6))
    interventions: dict[tuple[int, date], Intervention] = {}

    def entry(person: Person, day: date, max_hours: int) -> None:
        quantity = hundredths(rng, 50, 600) if rng.random() < 0.3 else None
        travel = rng.choice([0, 0, 0, 5, 10, 15, 25, 40])
        hours = hundredths(rng, 25, max_hours)
        if rng.random() < 0.75:
            order = rng.choice(orders)
            intervention = interventions.get((order.pk, day))
            if intervention is None or rng.random() < 0.5:
                intervention = InterventionFactory.create(order=order, day=day, worker=person)
                interventions[(order.pk, day)] = intervention
            own = rng.choice([s for s in services if s != order.service])
            TimeEntryFactory(
                person=person,
                day=day,
                hours=hours,
                intervention=intervention,
                client=order.client,
                service=own if rng.random() < 0.15 else None,
                quantity=quantity,
                travel_minutes=travel,
            )
        else:
            TimeEntryFactory(
                person=person,
                day=day,
                hours=hours,
                intervention=None,
                client=rng.choice(clients),
                service=rng.choice(services) if rng.random() < 0.6 else None,
                quantity=quantity,
                travel_minutes=travel,
            )

    # One worker sometimes has no hours in the month, only absences; one works long days in
    # the first ISO week's days of the previous month, reaching its thresholds early.
    idle = rng.choice(workers) if rng.random() < 0.5 else None
    busy = [person for person in workers if person != idle]
    early = rng.choice(busy)
    for person in busy:
        chance = rng.choice([0.25, 0.4, 0.6])
        max_hours = rng.choice([600, 900, 1200])
        for day in span:
            if person == early and day < first:
                entry(person, day, 1000)
                entry(person, day, 500)
            elif rng.random() < chance:
                for _ in range(1 if rng.random() < 0.8 else 2):
                    entry(person, day, max_hours)
    # Hours on each public holiday of the month and on a Sunday or two.
    month_days = days_between(first, last)
    sundays = [day for day in month_days if day.weekday() == 6]
    for day in [d for d in month_days if is_public_holiday(d, subdivision=subdivision)]:
        entry(rng.choice(busy), day, 800)
    for day in rng.sample(sundays, 2):
        entry(rng.choice(busy), day, 800)

    for person in workers:
        if person == idle:  # absent within the month
            start = first + timedelta(days=rng.randint(-5, (last - first).days))
            AbsenceFactory(person=person, start=start, end=start + timedelta(rng.randint(5, 9)))
        for _ in range(rng.choice([0, 0, 1, 2])):
            start = first + timedelta(days=rng.randint(-12, (last - first).days + 3))
            AbsenceFactory(person=person, start=start, end=start + timedelta(rng.randint(0, 9)))
    # Another entity's hours in the month: ignored.
    TimeEntryFactory(day=first + timedelta(days=3), hours=D("4.25"))
    return Month(entity, year, month_number, first, last)


# --- Reference -------------------------------------------------------------------------------


def contract_end(contract: Contract) -> date | None:
    return contract.actual_end or contract.planned_end


def active_on(contract: Contract, day: date) -> bool:
    end = contract_end(contract)
    return contract.start <= day and (end is None or day <= end)


def billed_service_id(entry: TimeEntry) -> int | None:
    if entry.service_id is not None:
        return entry.service_id
    if entry.intervention is not None:
        return entry.intervention.order.service_id
    return None


def entry_units(entry: TimeEntry) -> Decimal:
    if entry.quantity is not None:
        return entry.quantity
    if entry.intervention is not None:
        return entry.intervention.order.quantity
    return D(1)


def reference(month: Month) -> dict[str, list[Any]]:
    """What the close must produce, from the rows and the rules (module docstring)."""
    entity, first, last = month.entity, month.first, month.last
    week_start = first - timedelta(days=first.weekday())
    entries = list(
        TimeEntry.objects.filter(entity=entity, day__gte=week_start, day__lte=last)
        .select_related("intervention__order")
        .order_by("pk")
    )
    assert all(entry.status == EntryStatus.VALIDATED for entry in entries)
    in_month = [entry for entry in entries if entry.day >= first]

    # 1. Invoice drafts.
    sap_declared = any(
        declaration.declared_on <= last
        and (declaration.valid_until is None or declaration.valid_until >= last)
        for declaration in SapDeclaration.objects.filter(entity=entity)
    )
    billed: dict[tuple[int, int], list[Decimal]] = {}
    for entry in in_month:
        service_id = billed_service_id(entry)
        if service_id is not None:
            totals = billed.setdefault((entry.client_id, service_id), [D(0), D(0)])
            totals[0] += entry.hours
            totals[1] += entry_units(entry)
    services = {service.pk: service for service in Service.objects.all()}
    lines = []
    totals_by_client: dict[int, Decimal] = defaultdict(Decimal)
    for (client_id, service_id), (hours, units) in billed.items():
        service = services[service_id]
        prices = [
            price
            for price in ClientPrice.objects.filter(client_id=client_id, service_id=service_id)
            if price.valid_from <= last and (price.valid_to is None or price.valid_to >= last)
        ]
        unit_price = (
            max(prices, key=lambda p: (p.valid_from, p.pk)).unit_price
            if prices
            else service.unit_price
        )
        quantity = hours if service.unit == Unit.HOUR else units
        amount = to_cents(quantity * unit_price)
        vat = vat_rate(ServiceKind(service.kind), on=last, sap_declared=sap_declared)
        lines.append((client_id, service_id, service.name, quantity, unit_price, vat, amount))
        totals_by_client[client_id] += amount

    # 2. Payroll variables.
    subdivision = holiday_subdivision(entity.postal_code)
    month_holidays = frozenset(
        day for day in days_between(first, last) if is_public_holiday(day, subdivision=subdivision)
    )
    contracts = [
        contract
        for contract in Contract.objects.filter(entity=entity)
        if contract.start <= last and (contract_end(contract) or last) >= first
    ]
    absences: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for absence in Absence.objects.filter(entity=entity):
        if absence.start <= last and absence.end >= first:
            absences[absence.person_id].append((absence.start, absence.end))
    payroll = []
    for person_id in {entry.person_id for entry in in_month} | set(absences):
        mine = [entry for entry in entries if entry.person_id == person_id]
        hours_by_day: dict[date, Decimal] = defaultdict(Decimal)
        for entry in mine:
            hours_by_day[entry.day] += entry.hours
        held = [contract for contract in contracts if contract.person_id == person_id]
        latest = max(held, key=lambda c: (c.start, c.pk)) if held else None
        split = rules.split_hours(
            hours_by_day,
            contractual_weekly=latest.weekly_hours if latest else None,
            first=first,
            last=last,
        )
        sunday = holiday = D(0)
        travel = 0
        for entry in mine:
            if entry.day < first:
                continue
            travel += entry.travel_minutes
            if is_public_holiday(entry.day, subdivision=subdivision):
                holiday += entry.hours
            elif entry.day.weekday() == 6:
                sunday += entry.hours
        days_absent = rules.absence_days(
            absences[person_id], first=first, last=last, holidays=month_holidays
        )
        payroll.append(
            (
                person_id,
                split.normal,
                split.complementary,
                split.overtime,
                sunday,
                holiday,
                days_absent,
                travel,
            )
        )

    # 3. ASP follow-up.
    insertion = [c for c in contracts if c.post_type == PostType.INSERTION]
    asp = []
    for contract in insertion:
        covered = []
        for entry in in_month:
            if entry.person_id != contract.person_id:
                continue
            in_force = [
                c for c in insertion if c.person_id == entry.person_id and active_on(c, entry.day)
            ]
            if in_force and max(in_force, key=lambda c: (c.start, c.pk)) == contract:
                covered.append(entry)
        worked = sum((entry.hours for entry in covered), D(0))
        invoiced = sum(
            (entry.hours for entry in covered if billed_service_id(entry) is not None), D(0)
        )
        missions = len(
            {entry.intervention.order_id for entry in covered if entry.intervention is not None}
        )
        asp.append(
            (
                contract.person_id,
                contract.pk,
                worked,
                invoiced,
                missions,
                to_cents(worked * contract.hourly_rate),
                rules.etp_share(worked),
            )
        )
    return {
        "lines": sorted(lines),
        "drafts": sorted(totals_by_client.items()),
        "payroll": sorted(payroll),
        "asp": sorted(asp),
    }


def produced(close: MonthlyClose) -> dict[str, list[Any]]:
    """What the close wrote, in the reference's shape."""
    return {
        "lines": sorted(
            InvoiceDraftLine.objects.filter(draft__close=close).values_list(
                "draft__client_id",
                "service_id",
                "label",
                "quantity",
                "unit_price",
                "vat_rate",
                "amount_excl_tax",
            )
        ),
        "drafts": sorted(
            InvoiceDraft.objects.filter(close=close).values_list("client_id", "total_excl_tax")
        ),
        "payroll": sorted(
            PayrollVariables.objects.filter(close=close).values_list(
                "person_id",
                "normal_hours",
                "complementary_hours",
                "overtime_hours",
                "sunday_hours",
                "holiday_hours",
                "absence_days",
                "travel_minutes",
            )
        ),
        "asp": sorted(
            AspMonthlyFollowUp.objects.filter(close=close).values_list(
                "contract__person_id",
                "contract_id",
                "hours_worked",
                "hours_invoiced",
                "missions",
                "gross_pay",
                "etp_share",
            )
        ),
    }


@pytest.mark.parametrize("seed", range(8))
def test_close_matches_the_reference(seed: int) -> None:
    month = generate(seed)
    expected = reference(month)
    close = actions.start_close(
        month.entity, year=month.year, month=month.month, by=None, run_in_background=False
    )
    actions.close_month(close)
    close.refresh_from_db()
    assert close.status == CloseStatus.CLOSED, close.error
    actual = produced(close)
    # The generated month exercises what the reference checks.
    assert expected["lines"] and expected["payroll"] and expected["asp"]
    for part in ("lines", "drafts", "payroll", "asp"):
        assert actual[part] == expected[part], part
