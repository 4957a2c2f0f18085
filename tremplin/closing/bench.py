"""Benchmark of the monthly close on PostgreSQL: ``python -m tremplin.closing.bench``.

Generates (once, then reuses) one entity with 5,000 insertion workers, each with a contract, an
order and 50 interventions in October 2026, each with a validated time entry (250,000 entries);
times ``close_month`` end to end and phase by phase (read, results, end, from its progress
reports) against the floor: raw SQL aggregations of the same hours in the groupings
the close's results need, read only (by client and billed service for the invoice drafts, by
worker for the payroll and the ASP follow-up); writes the figures as JSON. ``make bench`` runs
it.

The first close runs in this fresh process and is reported on its own (it pays for loading
libraries a task worker has loaded once for all). Then ``ROUNDS`` rounds each time the floor
and the close, one after the other, so that both see the same state of the machine; the ratio
is the median of the rounds' ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time as clock
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

WORKERS = 5_000
INTERVENTIONS_PER_WORKER = 50
CLIENTS = 250
YEAR, MONTH = 2026, 10
ENTITY_SLUG = "bench-cloture"
BATCH = 5_000
TARGET_SECONDS = 60
TARGET_RATIO = 3
ROUNDS = 7


def _generate(entity_slug: str) -> Any:
    from django.db import transaction

    from tremplin.clients.models import Client
    from tremplin.clients.rules import ClientKind
    from tremplin.contracts.models import Contract, Funding
    from tremplin.contracts.rules import ContractKind, PostType
    from tremplin.orders.models import ClientPrice, Intervention, Order, OrderKind, Service
    from tremplin.orders.rules import PARIS, ServiceKind, Unit
    from tremplin.organisations.tests.factories import EntityFactory, GroupFactory
    from tremplin.people.models import Person
    from tremplin.people.rules import Civility
    from tremplin.timesheets.models import EntrySource, EntryStatus, TimeEntry

    with transaction.atomic():
        entity = EntityFactory.create(
            slug=entity_slug,
            name="Banc d'essai clôture",
            group=GroupFactory.create(slug=entity_slug),
        )
        services = Service.objects.bulk_create(
            [
                Service(entity=entity, kind=ServiceKind.HOUSEWORK, name="Ménage", unit=Unit.HOUR,
                        unit_price=Decimal("24.90")),
                Service(entity=entity, kind=ServiceKind.PLACEMENT, name="Mise à disposition",
                        unit=Unit.HOUR, unit_price=Decimal("21.35")),
                Service(entity=entity, kind=ServiceKind.CAR_WASH, name="Lavage",
                        unit=Unit.VEHICLE, unit_price=Decimal("17.00")),
            ]
        )  # fmt: skip
        clients = Client.objects.bulk_create(
            Client(entity=entity, name=f"Client {n:04d}", kind=ClientKind.COMPANY)
            for n in range(CLIENTS)
        )
        ClientPrice.objects.bulk_create(
            ClientPrice(
                client=client,
                service=services[n % 3],
                unit_price=Decimal("19.99") + n % 7,
                valid_from=date(2026, 1, 1),
            )
            for n, client in enumerate(clients)
            if n % 2 == 0
        )
        birth = date(1990, 1, 1)
        people = Person.objects.bulk_create(
            (
                Person(
                    entity=entity,
                    civility=Civility.MME,
                    birth_name=f"Banc{n:05d}",
                    first_name="Camille",
                    birth_date=birth,
                    identity_key=Person.make_identity_key(f"Banc{n:05d}", "Camille", birth),
                    name_key=Person.make_name_key(f"Banc{n:05d}", "", "Camille"),
                )
                for n in range(WORKERS)
            ),
            batch_size=BATCH,
        )
        contracts = Contract.objects.bulk_create(
            (
                Contract(
                    entity=entity,
                    person=person,
                    kind=ContractKind.CDDI,
                    post_type=PostType.INSERTION,
                    start=date(2026, 1, 5),
                    planned_end=date(2026, 12, 31),
                    weekly_hours=Decimal(26) if n % 2 else Decimal(35),
                    hourly_rate=Decimal("12.3456"),
                    job_title="Agent d'entretien",
                    funding=Funding.AIDE_AU_POSTE,
                )
                for n, person in enumerate(people)
            ),
            batch_size=BATCH,
        )
        orders = Order.objects.bulk_create(
            (
                Order(
                    entity=entity,
                    client=clients[n % CLIENTS],
                    service=services[n % 3],
                    kind=OrderKind.RECURRING,
                    first_day=date(2026, 1, 5),
                    weekdays=[0, 1, 2, 3, 4, 5, 6],
                    start_time=time(8),
                    end_time=time(11),
                )
                for n in range(WORKERS)
            ),
            batch_size=BATCH,
        )
    hours = [Decimal("3.25"), Decimal("3.50"), Decimal("3.75")]
    first = date(YEAR, MONTH, 1)
    for chunk_start in range(0, WORKERS, 500):
        with transaction.atomic():
            interventions = []
            for n in range(chunk_start, min(chunk_start + 500, WORKERS)):
                for k in range(INTERVENTIONS_PER_WORKER):
                    day = first + timedelta(days=k // 2)
                    start = datetime(day.year, day.month, day.day, 8 + 6 * (k % 2), tzinfo=PARIS)
                    length = hours[(n + k) % 3]
                    interventions.append(
                        Intervention(
                            order=orders[n],
                            entity=entity,
                            day=day,
                            start=start,
                            end=start + timedelta(hours=float(length)),
                            planned_hours=length,
                            worker=people[n],
                            contract=contracts[n],
                        )
                    )
            Intervention.objects.bulk_create(interventions, batch_size=BATCH)
            TimeEntry.objects.bulk_create(
                (
                    TimeEntry(
                        entity=entity,
                        person=people[chunk_start + j // INTERVENTIONS_PER_WORKER],
                        client_id=orders[chunk_start + j // INTERVENTIONS_PER_WORKER].client_id,
                        intervention=i,
                        day=i.day,
                        hours=i.planned_hours,
                        quantity=Decimal(1) if j % 3 == 0 else None,
                        travel_minutes=15,
                        status=EntryStatus.VALIDATED,
                        source=EntrySource.STAFF,
                    )
                    for j, i in enumerate(interventions)
                ),
                batch_size=BATCH,
            )
        print(f"  données : {min(chunk_start + 500, WORKERS)}/{WORKERS} salariés", flush=True)
    return entity


def _reset(entity: Any) -> None:
    """Remove a previous run's close and its results: the month is open again, its hours
    untouched (the close writes none)."""
    from tremplin.closing.models import MonthlyClose

    MonthlyClose.objects.filter(entity=entity).delete()


def _floor(entity: Any) -> float:
    """Seconds of the least any close must do in SQL: read the month's hours once per grouping
    its results need, summed by the database. By client and billed service (the entry's
    service, else its order's: hence the joins), what the invoice drafts add up; by worker, what
    the payroll variables and the ASP follow-up add up. Read only: the close writes no entry
    (it locks the month, not the rows).
    """
    from django.db import connection, transaction

    from tremplin.closing.rules import month_bounds
    from tremplin.orders.models import Intervention, Order
    from tremplin.timesheets.models import TimeEntry

    first, last = month_bounds(YEAR, MONTH)
    table = TimeEntry._meta.db_table
    interventions, orders = Intervention._meta.db_table, Order._meta.db_table
    queries = (
        f"SELECT e.client_id, COALESCE(e.service_id, o.service_id), SUM(e.hours) "  # noqa: S608 (constant names)
        f"FROM {table} e LEFT JOIN {interventions} i ON i.id = e.intervention_id "
        f"LEFT JOIN {orders} o ON o.id = i.order_id "
        "WHERE e.entity_id = %s AND e.day BETWEEN %s AND %s GROUP BY 1, 2",
        f"SELECT person_id, SUM(hours) FROM {table} "  # noqa: S608 (constant names)
        "WHERE entity_id = %s AND day BETWEEN %s AND %s GROUP BY 1",
    )
    started = clock.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for query in queries:
            cursor.execute(query, [entity.pk, first, last])
            cursor.fetchall()
    return clock.perf_counter() - started


def _plain_floor(entity: Any) -> float:
    """The floor measured before 12/2026, for comparison: by worker and by client only, without
    the billed service (so without the joins)."""
    from django.db import connection, transaction

    from tremplin.closing.rules import month_bounds
    from tremplin.timesheets.models import TimeEntry

    first, last = month_bounds(YEAR, MONTH)
    table = TimeEntry._meta.db_table
    started = clock.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for column in ("person_id", "client_id"):
            cursor.execute(
                f"SELECT {column}, SUM(hours) FROM {table} "  # noqa: S608 (constant names)
                "WHERE entity_id = %s AND day BETWEEN %s AND %s GROUP BY 1",
                [entity.pk, first, last],
            )
            cursor.fetchall()
    return clock.perf_counter() - started


# The progress steps reported by ``close_month`` (``actions``), one per phase: the read of the
# month, the results (drafts, payroll variables and ASP follow-ups, written side by side), the end.
PHASE_STEPS = (
    ("read", "Heures du mois"),
    ("results", "Brouillons, variables de paie et suivi ASP"),
    ("finish", "Clôture terminée"),
)


class PhaseTimer:
    """Seconds spent in each phase of the close, from the times its progress is reported: a
    phase runs from the last report of the phase before it to its own last report."""

    def __init__(self) -> None:
        self.started = 0.0
        self.last_report: dict[str, float] = {}

    def start(self) -> None:
        self.started = clock.perf_counter()
        self.last_report = {}

    def mark(self, step: str) -> None:
        now = clock.perf_counter()
        for name, prefix in PHASE_STEPS:
            if step.startswith(prefix):
                self.last_report[name] = now

    def seconds(self) -> dict[str, float]:
        figures: dict[str, float] = {}
        previous = self.started
        for name, _ in PHASE_STEPS:
            if name in self.last_report:
                figures[name] = round(self.last_report[name] - previous, 3)
                previous = self.last_report[name]
        return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Banc d'essai de la clôture mensuelle.")
    parser.add_argument("--output", default="bench-results/close.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from tremplin.closing import actions
    from tremplin.closing.models import MonthlyClose
    from tremplin.organisations.models import Entity
    from tremplin.timesheets.models import TimeEntry

    if connection.vendor != "postgresql":
        print("Le banc d'essai se lance sur PostgreSQL (DATABASE_URL).", file=sys.stderr)
        return 2
    entity = Entity.objects.filter(slug=ENTITY_SLUG).first()
    generated = 0.0
    if entity is None:
        print("Génération des données…", flush=True)
        started = clock.perf_counter()
        entity = _generate(ENTITY_SLUG)
        generated = clock.perf_counter() - started
    else:
        _reset(entity)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    entries = TimeEntry.objects.filter(entity=entity).count()
    _floor(entity)  # warm the cache, as the close reads the same pages
    plain_floor = min(_plain_floor(entity) for _ in range(3))

    last_shown = [-10]
    phases = PhaseTimer()

    def show(percent: int, step: str) -> None:
        phases.mark(step)
        if percent - last_shown[0] >= 10 or percent == 100:
            last_shown[0] = percent
            print(f"  {percent:3d} % {step}", flush=True)

    def run(progress: Any = None) -> tuple[float, Any]:
        started = clock.perf_counter()
        close = actions.start_close(
            entity, year=YEAR, month=MONTH, by=None, run_in_background=False
        )
        phases.start()
        result = actions.close_month(close, progress=progress)
        return clock.perf_counter() - started, result

    fresh, result = run(show)
    fresh_phases = phases.seconds()
    closes: list[float] = []
    floors: list[float] = []
    round_phases: list[dict[str, float]] = []
    for number in range(ROUNDS):
        _reset(entity)
        floors.append(_floor(entity))
        elapsed, result = run(lambda percent, step: phases.mark(step))
        closes.append(elapsed)
        round_phases.append(phases.seconds())
        print(
            f"  tour {number + 1}/{ROUNDS} : clôture {elapsed:.3f} s, plancher {floors[-1]:.3f} s",
            flush=True,
        )
    close_seconds, floor = statistics.median(closes), statistics.median(floors)
    close = MonthlyClose.objects.get(entity=entity, year=YEAR, month=MONTH)
    figures = {
        "benchmark": "monthly close",
        "database": f"PostgreSQL {connection.pg_version}",  # type: ignore[attr-defined]
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "workers": WORKERS,
        "time_entries": entries,
        "generation_seconds": round(generated, 2),
        "rounds": ROUNDS,
        "close_seconds": round(close_seconds, 3),
        "floor_seconds": round(floor, 3),
        "ratio": round(statistics.median(c / f for c, f in zip(closes, floors, strict=True)), 2),
        "close_seconds_by_round": [round(seconds, 3) for seconds in closes],
        "floor_seconds_by_round": [round(seconds, 3) for seconds in floors],
        "ratio_by_round": [round(c / f, 2) for c, f in zip(closes, floors, strict=True)],
        "phase_seconds": {
            name: round(statistics.median(p[name] for p in round_phases), 3)
            for name in round_phases[0]
        },
        "fresh_process_close_seconds": round(fresh, 3),
        "fresh_process_ratio": round(fresh / floor, 2),
        "fresh_process_phase_seconds": fresh_phases,
        "plain_floor_seconds": round(plain_floor, 3),
        "ratio_to_plain_floor": round(close_seconds / plain_floor, 1),
        "target_close_seconds": TARGET_SECONDS,
        "target_ratio": TARGET_RATIO,
        "status": close.status,
        "message": result.message,
        "invoice_drafts": close.invoice_drafts.count(),
        "payroll_rows": close.payroll.count(),
        "asp_rows": close.asp_follow_ups.count(),
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
