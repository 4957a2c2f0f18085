"""The indicator engine: reads one year of a group's records and computes the indicators of
each entity and of them all, in a fixed number of queries whatever the number of rows.

Each figure comes from the raw records (intakes, pathway steps, contracts, exits, hours,
financial annexes, invoices); nothing is stored. The counting rules are in ``rules.py`` and
documented in ``docs/indicators.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Cast, ExtractMonth, ExtractYear, Round

from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.contracts.models import Contract
from tremplin.contracts.rules import ContractKind, PostType
from tremplin.core.money import to_cents
from tremplin.indicators import rules
from tremplin.indicators.rules import ContractFacts, PathwayFacts
from tremplin.invoicing.models import Invoice, InvoiceStatus
from tremplin.organisations.models import Entity, FinancialAnnex, Group
from tremplin.pathways.models import Exit, PathwayStep, StepKind
from tremplin.pathways.rules import ExitCategory
from tremplin.people.models import Intake
from tremplin.timesheets.models import EntryStatus, TimeEntry

type Indicators = dict[str, rules.Value]


@dataclass
class Report:
    """The indicators of a year: of all the entities together, and of each one."""

    year: int
    reference_date: date
    entities: list[Entity]
    total: Indicators
    by_entity: dict[int, Indicators] = field(default_factory=dict)


def _hundredths(expression: Any) -> Cast:
    """An exact integer count of hundredths of a 2-decimal column (SQLite sums floats)."""
    return Cast(Round(expression * 100), models.BigIntegerField())


@dataclass
class _Rows:
    """The records of the year, each with the id of its entity."""

    intakes: list[tuple[int, int]]  # entity, person
    accompanied: list[tuple[int, int]]
    running_kinds: list[tuple[int, str]]
    contracts: list[ContractFacts]
    pathway_steps: list[tuple[int, int, date, date | None, date]]  # …, person, start, end, birth
    exits: list[tuple[int, ExitCategory, bool]]
    hours: dict[int, dict[str, int]]  # entity → hundredths worked, invoiced, on insertion posts
    annexes: list[tuple[int, Decimal]]
    revenue: dict[int, Decimal]
    results: dict[int, Decimal]


def compute(entities: Sequence[Entity], year: int, *, today: date) -> Report:
    """The indicators of ``year`` for ``entities`` (one entity, or every entity of a group).

    Raises ``ValueError`` with a French message for a year that has not begun.
    """
    reference = rules.reference_date(year, today)
    ids = [e.pk for e in entities]
    rows = _read(ids, year, reference)
    report = Report(year, reference, list(entities), _indicators(rows, set(ids), year, reference))
    for entity in entities:
        report.by_entity[entity.pk] = _indicators(rows, {entity.pk}, year, reference)
    return report


def _read(ids: list[int], year: int, reference: date) -> _Rows:
    first, last = rules.year_bounds(year)
    intakes = list(
        Intake.objects.filter(entity_id__in=ids, contacted_on__gte=first, contacted_on__lte=last)
        .order_by()
        .values_list("entity_id", "person_id")
        .distinct()
    )
    insertion = PathwayStep.objects.filter(entity_id__in=ids, kind=StepKind.INSERTION)
    accompanied = list(
        insertion.filter(started_on__lte=last)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
        .order_by()
        .values_list("entity_id", "person_id")
        .distinct()
    )
    open_on_reference = insertion.open_on(reference).values("person_id")
    pathway_steps = list(
        insertion.filter(person_id__in=open_on_reference).values_list(
            "entity_id", "person_id", "started_on", "ended_on", "person__birth_date"
        )
    )
    in_entities = Contract.objects.filter(entity_id__in=ids)
    running_kinds = list(in_entities.running_between(first, last).values_list("entity_id", "kind"))
    # Every contract, with the entity, of the people with a contract starting in the year: their
    # first contract with the entity, and the renewals of the CDDUA concluded.
    starting = in_entities.filter(start__gte=first, start__lte=last).values("person_id")
    contracts = [
        ContractFacts(
            pk=pk,
            entity_id=entity_id,
            person_id=person_id,
            kind=ContractKind(kind),
            start=start,
            planned_end=planned_end,
            renews_id=renews_id,
            weekly_hours=weekly,
            monthly_hours=monthly,
        )
        for pk, entity_id, person_id, kind, start, planned_end, renews_id, weekly, monthly in (
            in_entities.filter(person_id__in=starting).values_list(
                "pk",
                "entity_id",
                "person_id",
                "kind",
                "start",
                "planned_end",
                "renews_id",
                "weekly_hours",
                "monthly_hours",
            )
        )
    ]
    exits = [
        (entity_id, ExitCategory(category), counted)
        for entity_id, category, counted in Exit.objects.filter(
            entity_id__in=ids, exit_on__gte=first, exit_on__lte=last
        ).values_list("entity_id", "category", "counted")
    ]
    return _Rows(
        intakes=intakes,
        accompanied=accompanied,
        running_kinds=running_kinds,
        contracts=contracts,
        pathway_steps=pathway_steps,
        exits=exits,
        hours=_hours(ids, first, last),
        annexes=list(
            FinancialAnnex.objects.filter(convention__entity_id__in=ids, year=year).values_list(
                "convention__entity_id", "etp"
            )
        ),
        revenue=_revenue(ids, first, last),
        results=_results(ids, first, last),
    )


def _hours(ids: list[int], first: date, last: date) -> dict[int, dict[str, int]]:
    """Hundredths of hours per entity: worked (validated), invoiced (of a closed month, with a
    service billed), and worked on an insertion post of the entity."""
    cents = _hundredths(F("hours"))
    month_closed = Exists(
        MonthlyClose.objects.filter(
            entity_id=OuterRef("entity_id"),
            year=ExtractYear(OuterRef("day")),
            month=ExtractMonth(OuterRef("day")),
            status=CloseStatus.CLOSED,
        )
    )
    billed = (Q(status=EntryStatus.LOCKED) | month_closed) & (
        Q(service_id__isnull=False) | Q(intervention__order__service_id__isnull=False)
    )
    on_insertion_post = Exists(
        Contract.objects.filter(
            person_id=OuterRef("person_id"),
            entity_id=OuterRef("entity_id"),
            post_type=PostType.INSERTION,
            start__lte=OuterRef("day"),
        ).filter(
            Q(actual_end__gte=OuterRef("day"))
            | Q(actual_end__isnull=True, planned_end__isnull=True)
            | Q(actual_end__isnull=True, planned_end__gte=OuterRef("day"))
        )
    )

    def when(condition: Q | Exists) -> Case:
        return Case(
            When(condition, then=cents), default=Value(0), output_field=models.BigIntegerField()
        )

    totals = (
        TimeEntry.objects.filter(
            entity_id__in=ids,
            day__gte=first,
            day__lte=last,
            status__in=[EntryStatus.VALIDATED, EntryStatus.LOCKED],
        )
        .order_by()
        .values("entity_id")
        .annotate(
            worked=Sum(cents), invoiced=Sum(when(billed)), insertion=Sum(when(on_insertion_post))
        )
    )
    return {
        row["entity_id"]: {
            "worked": row["worked"] or 0,
            "invoiced": row["invoiced"] or 0,
            "insertion": row["insertion"] or 0,
        }
        for row in totals
    }


def _revenue(ids: list[int], first: date, last: date) -> dict[int, Decimal]:
    """Revenue excluding VAT of the issued invoices dated in the period, credit notes (negative)
    included."""
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    for entity_id, total in (
        Invoice.objects.filter(
            entity_id__in=ids,
            status=InvoiceStatus.ISSUED,
            issue_date__gte=first,
            issue_date__lte=last,
        )
        .order_by()
        .values("entity_id")
        .annotate(cents=Sum(_hundredths(F("total_excl_tax"))))
        .values_list("entity_id", "cents")
    ):
        revenue[entity_id] = rules.hundredths(total)
    return revenue


def _results(ids: list[int], first: date, last: date) -> dict[int, Decimal]:
    """The result of each entity from the group economics (``docs/algorithms/allocation.md``)."""
    # Imported here: the economic model reads every app of the group, the engine's callers
    # (the navigation, the command) need not load it to import this module.
    from tremplin.economics.queries import entity_results

    groups = Group.objects.filter(entities__pk__in=ids).distinct()
    results: dict[int, Decimal] = {}
    for group in groups:
        for entity_id, figures in entity_results(group, first, last).items():
            if entity_id in ids:
                results[entity_id] = figures.result
    return results


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))


def _indicators(rows: _Rows, ids: set[int], year: int, reference: date) -> Indicators:
    """The indicators of the entities ``ids`` (one, or all of them) from the rows read."""
    first, last = rules.year_bounds(year)

    def mine[T](items: Iterable[T], entity_of: Callable[[T], int]) -> list[T]:
        return [item for item in items if entity_of(item) in ids]

    contracts = mine(rows.contracts, lambda c: c.entity_id)
    renewals = {c.renews_id: c for c in contracts if c.renews_id is not None}
    cddua = rules.cddua_figures(contracts, renewals, first, last)
    firsts = rules.first_contracts(contracts)
    jobs = rules.job_figures(firsts, first, last)
    hired = {c.person_id for c in firsts if first <= c.start <= last}

    periods: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    births: dict[int, date] = {}
    open_people: set[int] = set()
    for _, person_id, started, ended, birth in mine(rows.pathway_steps, lambda r: r[0]):
        periods[person_id].append((started, ended))
        births[person_id] = birth
        if started <= reference and (ended is None or reference <= ended):
            open_people.add(person_id)
    long = rules.long_pathway_figures(
        (PathwayFacts(births[p], tuple(periods[p])) for p in sorted(open_people)), reference
    )
    exits = rules.exit_figures((c, counted) for _, c, counted in mine(rows.exits, lambda r: r[0]))

    hours = [h for entity_id, h in rows.hours.items() if entity_id in ids]
    worked = rules.hundredths(sum(h["worked"] for h in hours))
    invoiced = rules.hundredths(sum(h["invoiced"] for h in hours))
    insertion_hours = rules.hundredths(sum(h["insertion"] for h in hours))
    annexes = mine(rows.annexes, lambda r: r[0])
    conventioned = _sum(etp for _, etp in annexes) if annexes else None
    consumed = rules.etp_consumed(insertion_hours, rules.months_covered(year, reference))

    indicators: Indicators = {
        "people_received": len({p for _, p in mine(rows.intakes, lambda r: r[0])}),
        "people_hired": len(hired),
        "people_accompanied": len({p for _, p in mine(rows.accompanied, lambda r: r[0])}),
        "contracts_running": len(mine(rows.running_kinds, lambda r: r[0])),
        "contracts_by_kind": rules.kinds_count(
            ContractKind(kind) for _, kind in mine(rows.running_kinds, lambda r: r[0])
        ),
        "cddua_concluded": cddua.concluded,
        "cddua_average_monthly_hours": cddua.average_monthly_hours,
        "cddua_duration_min_months": cddua.duration_min_months,
        "cddua_duration_max_months": cddua.duration_max_months,
        "jobs_created": jobs.created,
        "jobs_created_by_kind": jobs.by_kind,
        "jobs_created_cdi": jobs.open_ended,
        "jobs_created_part_time": jobs.part_time,
        "jobs_created_part_time_share": jobs.part_time_share,
        "in_pathway_at_reference": long.in_pathway,
        "long_pathways": long.long,
        "long_pathway_share": long.long_share,
        "long_pathway_seniors": long.long_seniors,
        "long_pathway_senior_share": long.long_senior_share,
        "exits": exits.total,
        "exits_counted": exits.counted,
        "exits_by_category": exits.by_category,
        "dynamic_exits": exits.dynamic,
        "dynamic_exit_rate": exits.dynamic_exit_rate,
        "hours_worked": worked,
        "hours_invoiced": invoiced,
        "etp_conventioned": conventioned,
        "etp_consumed": consumed,
        "etp_consumption_rate": (
            rules.share(consumed, conventioned) if conventioned is not None else None
        ),
    }
    indicators["revenue"] = to_cents(_sum(v for e, v in rows.revenue.items() if e in ids))
    indicators["result"] = to_cents(_sum(v for e, v in rows.results.items() if e in ids))
    return indicators


# --- Serialisation -----------------------------------------------------------------------------


def plain(value: rules.Value) -> Any:
    """A value as JSON holds it: decimals as strings (exact), nested counts as they are."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return value


def payload(report: Report, *, scope: Entity | Group) -> dict[str, Any]:
    """The report as a JSON-ready dict: the scope, the period, the indicators, and for a group
    the indicators of each entity."""
    kind = "group" if isinstance(scope, Group) else "entity"
    data: dict[str, Any] = {
        "scope": {"kind": kind, "slug": scope.slug, "name": scope.name},
        "year": report.year,
        "reference_date": report.reference_date.isoformat(),
        "indicators": {key: plain(value) for key, value in report.total.items()},
    }
    if kind == "group":
        data["entities"] = [
            {
                "slug": entity.slug,
                "name": entity.name,
                "indicators": {k: plain(v) for k, v in report.by_entity[entity.pk].items()},
            }
            for entity in report.entities
        ]
    return data
