"""Starting, running and reopening the monthly close of an entity.

``start_close`` locks the month (the close is RUNNING: no hours of the month may be written any
more) and queues ``close_month``, which runs in the background (``tasks.run_close``) or from
``manage.py close_month``. It reads the month's hours in one aggregation, then writes each
result in its own transaction, replacing an earlier attempt's, so that progress is visible
while it runs and a failed run is repaired by running it again; CLOSED at the end keeps the
month locked until it is reopened (``docs/algorithms/monthly-close.md``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone

from tremplin.closing import rules
from tremplin.closing.models import (
    AspMonthlyFollowUp,
    CloseStatus,
    InvoiceDraft,
    InvoiceDraftLine,
    MonthlyClose,
    PayrollVariables,
)
from tremplin.contracts.models import Contract
from tremplin.contracts.rules import PostType
from tremplin.core import audit, runs
from tremplin.core.money import to_cents
from tremplin.orders.models import Absence, ClientPrice, Order, Service
from tremplin.orders.rules import (
    ServiceKind,
    Unit,
    holiday_subdivision,
    is_public_holiday,
    vat_rate,
)
from tremplin.people.models import Person
from tremplin.timesheets.models import EntryStatus, TimeEntry

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity

Progress = Callable[[int, str], None]

BATCH_SIZE = 1000
DECLARED_NAMES_SHOWN = 10

# Statuses a run may start from; a running close is left alone, a closed one must be reopened.
STARTABLE = frozenset({CloseStatus.FAILED, CloseStatus.REOPENED})
REOPENABLE = frozenset({CloseStatus.CLOSED, CloseStatus.FAILED})


class Superseded(Exception):
    """The close was started again while this run was taken as interrupted: this run stops."""


SUPERSEDED_MESSAGE = (
    "Cette exécution de la clôture a été remplacée par une relance : elle s'arrête sans rien"
    " changer."
)


@dataclass(frozen=True, slots=True)
class CloseResult:
    changed: bool
    message: str


def _hundredths(expression: Any) -> Cast:
    """An exact integer count of hundredths of a 2-decimal expression, row by row, for sums.

    ``numeric`` × 100 is an integer already on PostgreSQL, and summing 4-byte integers is
    several times cheaper there than summing ``numeric``; SQLite keeps decimals as binary
    floats, so ``x × 100`` is rounded first (values are far below 2^31 hundredths).
    """
    if connection.vendor == "postgresql":
        return Cast(expression * 100, models.IntegerField())
    return Cast(Round(expression * 100), models.IntegerField())


def _sum_hundredths(expression: Any, *, filter: Q | None = None) -> Coalesce:
    """The exact sum of a 2-decimal expression as an integer count of hundredths (0 when no
    row counts)."""
    whole = models.BigIntegerField()
    return Coalesce(Sum(_hundredths(expression), filter=filter), Value(0), output_field=whole)


def _week_index(first: date, last: date) -> Any:
    """The ISO week of an entry's day (``rules.iso_week_index``) for the days from the Monday
    of ``first``'s week to ``last``: comparisons of dates, which every database does cheaply,
    rather than extracting a week number from each day."""
    monday = first - timedelta(days=first.weekday())
    mondays = []
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(days=7)
    whens = [
        When(day__lt=next_monday, then=Value(rules.iso_week_index(monday)))
        for monday, next_monday in zip(mondays, mondays[1:], strict=False)
    ]
    default = Value(rules.iso_week_index(mondays[-1]))
    output = models.IntegerField()
    return Case(*whens, default=default, output_field=output) if whens else default


def _month_entries(close: MonthlyClose, *statuses: str) -> models.QuerySet[TimeEntry]:
    first, last = rules.month_bounds(close.year, close.month)
    return TimeEntry.objects.filter(
        entity_id=close.entity_id, day__gte=first, day__lte=last, status__in=statuses
    ).order_by()


# Columns written by ``_insert_rows``, in the order of each row's values.
DRAFT_LINE_FIELDS = (
    "draft",
    "service",
    "label",
    "quantity",
    "unit_price",
    "vat_rate",
    "amount_excl_tax",
)
PAYROLL_FIELDS = (
    "close",
    "person",
    "normal_hours",
    "complementary_hours",
    "overtime_hours",
    "sunday_hours",
    "holiday_hours",
    "absence_days",
    "travel_minutes",
)
ASP_FIELDS = (
    "close",
    "contract",
    "hours_worked",
    "hours_invoiced",
    "missions",
    "gross_pay",
    "etp_share",
)


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column


def _insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert rows of plain values (one per row, in the order of ``fields``) without building
    model instances, for the thousands of rows of a close: COPY on PostgreSQL, which sends the
    rows while they are being computed, one ``executemany`` elsewhere. Every column must be
    given (no model default applies)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            values = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({values})", list(rows))


def _set_progress(close: MonthlyClose, percent: int, step: str, progress: Progress | None) -> None:
    # Outside any transaction of the run: the page polling the close sees it at once. Each
    # step is also a sign of life; none is written once the close was started again.
    now = timezone.now()
    updated = MonthlyClose.objects.filter(
        pk=close.pk, attempt=close.attempt, status=CloseStatus.RUNNING
    ).update(progress=percent, step=step, progress_at=now)
    if not updated:
        raise Superseded
    close.progress, close.step, close.progress_at = percent, step, now
    if progress is not None:
        progress(percent, step)


@transaction.atomic
def start_close(
    entity: Entity, *, year: int, month: int, by: User | None, run_in_background: bool = True
) -> MonthlyClose:
    """Mark the month of ``entity`` as being closed and queue the run (``tasks.run_close``).

    A closed month must be reopened first; a month being closed is left to its run, unless the
    run shows no progress for ``TREMPLIN_STALLED_RUN_AFTER`` (``core.runs.run_stalled``): the close
    then starts again as a new attempt, and the old run, should it go on, stops at its next step
    without writing anything more.
    """
    close, created = MonthlyClose.objects.select_for_update().get_or_create(
        entity=entity, year=year, month=month, defaults={"started_by": by}
    )
    # Wait for the writes of the month's hours under way; later ones find the month frozen.
    MonthlyClose.objects.hold_month(entity.pk, year, month, exclusive=True)
    if not created and close.status == CloseStatus.CLOSED:
        raise ValidationError(
            f"Le mois {month:02d}/{year} est déjà clôturé : rouvrez-le pour le clôturer à nouveau."
        )
    now = timezone.now()
    restarted = (
        not created
        and close.status == CloseStatus.RUNNING
        and runs.run_stalled(close.last_progress, now, after=settings.TREMPLIN_STALLED_RUN_AFTER)
    )
    if not created and close.status not in STARTABLE and not restarted:
        raise ValidationError(f"La clôture de {month:02d}/{year} est déjà en cours.")
    if restarted:
        audit.log(
            close,
            "closing.close_restarted",
            by=by,
            data={
                "attempt": close.attempt,
                "progress": close.progress,
                "step": close.step,
                "last_progress": close.last_progress.isoformat(),
            },
        )
    if not created:
        close.attempt += 1
    close.progress_at = now
    close.status = CloseStatus.RUNNING
    close.progress = 0
    close.step = "En attente de traitement"
    close.error = ""
    close.started_by = by
    close.closed_at = None
    close.save()
    audit.log(close, "closing.close_started", by=by, data={"year": year, "month": month})
    if run_in_background:
        from tremplin.closing.tasks import run_close

        close_id, attempt = close.pk, close.attempt
        transaction.on_commit(lambda: run_close.enqueue(close_id, attempt))
    return close


def close_month(
    close: MonthlyClose, *, attempt: int | None = None, progress: Progress | None = None
) -> CloseResult:
    """Close one month of one entity: read its validated hours, then build invoice drafts,
    payroll variables and the ASP monthly follow-up; status CLOSED at the end, which keeps the
    month's hours locked until it is reopened.

    Idempotent: a closed month is left as it is (and the result says so); each phase deletes
    the results of an earlier attempt before writing its own. Declared (unvalidated) hours
    block the close: status FAILED, nothing else changed.

    ``attempt`` is the start this run was queued for (``start_close``): when the close was
    started again since, the run stops without changing anything (``SUPERSEDED_MESSAGE``).
    """
    close.refresh_from_db()
    if close.status == CloseStatus.CLOSED:
        return CloseResult(
            False, f"Le mois {close.month:02d}/{close.year} est déjà clôturé : rien n'a changé."
        )
    if attempt is not None and attempt != close.attempt:
        return CloseResult(False, SUPERSEDED_MESSAGE)
    try:
        month = _read_month(close, progress)
        if isinstance(month, str):
            return CloseResult(False, month)
        _build_results(month)
        _set_progress(close, 95, "Brouillons, variables de paie et suivi ASP établis", progress)
        with transaction.atomic():
            current = MonthlyClose.objects.select_for_update().filter(
                pk=close.pk, attempt=close.attempt, status=CloseStatus.RUNNING
            )
            if not current.exists():
                raise Superseded
            close.status = CloseStatus.CLOSED
            close.progress = 100
            close.step = "Clôture terminée"
            close.closed_at = timezone.now()
            close.save(update_fields=["status", "progress", "step", "closed_at"])
            audit.log(
                close,
                "closing.month_closed",
                by=close.started_by,
                data={
                    "drafts": close.invoice_drafts.count(),
                    "payroll": close.payroll.count(),
                    "asp": close.asp_follow_ups.count(),
                },
            )
    except Superseded:
        return CloseResult(False, SUPERSEDED_MESSAGE)
    except Exception as exc:
        _fail(close, f"Erreur inattendue pendant la clôture : {exc}")
        raise
    if progress is not None:
        progress(100, close.step)
    return CloseResult(True, f"Le mois {close.month:02d}/{close.year} est clôturé.")


def _fail(close: MonthlyClose, message: str) -> None:
    """Mark the run failed, unless the close was started again since (its new attempt runs)."""
    with transaction.atomic():
        failed = MonthlyClose.objects.filter(pk=close.pk, attempt=close.attempt).update(
            status=CloseStatus.FAILED, error=message
        )
        if not failed:
            return
        close.status, close.error = CloseStatus.FAILED, message
        audit.log(close, "closing.close_failed", by=close.started_by, data={"error": message})


def _declared_message(close: MonthlyClose) -> str:
    per_person = list(
        _month_entries(close, EntryStatus.DECLARED)
        .values("person_id")
        .annotate(count=Count("pk"))
        .order_by("-count", "person_id")
    )
    if not per_person:
        return ""
    total = sum(row["count"] for row in per_person)
    people = Person.objects.in_bulk([row["person_id"] for row in per_person[:DECLARED_NAMES_SHOWN]])
    names = [
        f"{people[row['person_id']]} : {row['count']}" for row in per_person[:DECLARED_NAMES_SHOWN]
    ]
    if len(per_person) > DECLARED_NAMES_SHOWN:
        names.append(f"et {len(per_person) - DECLARED_NAMES_SHOWN} autre(s) salarié(s)")
    noun = (
        "relevé d'heures est encore à valider"
        if total == 1
        else "relevés d'heures sont encore à valider"
    )
    return (
        f"Clôture impossible : {total} {noun} ({', '.join(names)}). "
        "Validez-les ou corrigez-les, puis relancez la clôture."
    )


@dataclass(frozen=True, slots=True)
class _Contract:
    pk: int
    person_id: int
    insertion: bool
    weekly_hours: Decimal | None
    hourly_rate: Decimal
    start: date
    end: date | None

    def is_active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(slots=True)
class MonthHours:
    """What the close reads of a month: its contracts and its validated hours, the hours summed
    by the database as integer hundredths (as are billable units), by worker and ISO week.

    ``days`` holds the hours by day of the workers whose insertion contract changes during the
    month, the only ones whose ASP follow-up needs days (the contract in force on each).
    """

    close: MonthlyClose
    first: date
    last: date
    holidays: frozenset[date]  # public holidays from the first ISO week's Monday to ``last``
    # Contracts running in the month, by start then creation (the last one started wins).
    contracts: list[_Contract]
    # (client, billed service) → [hours, units]: the invoice drafts.
    billed: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    # Person → ISO week (``rules.iso_week_index``) → hours; person → [travel minutes, Sunday
    # hours, holiday hours]: the payroll variables.
    weeks: dict[int, dict[int, int]] = field(default_factory=dict)
    extras: dict[int, list[int]] = field(default_factory=dict)
    # Person → [hours, invoiced hours] and person → orders: the ASP follow-up of a worker with
    # one insertion contract for the whole month.
    worked: dict[int, list[int]] = field(default_factory=dict)
    orders: dict[int, set[int]] = field(default_factory=dict)
    # Person → (day, order, hours, invoiced hours): the other insertion workers' ASP.
    days: dict[int, list[tuple[date, int | None, int, int]]] = field(default_factory=dict)


def _running_contracts(entity_id: int, first: date, last: date) -> list[_Contract]:
    """The contracts of an entity running in a month, by start then creation."""
    running = (
        Contract.objects.filter(entity_id=entity_id)
        .running_between(first, last)
        .order_by("start", "pk")
        .values_list(
            "pk",
            "person_id",
            "post_type",
            "weekly_hours",
            "hourly_rate",
            "start",
            "actual_end",
            "planned_end",
        )
    )
    return [
        _Contract(pk, person, kind == PostType.INSERTION, weekly, rate, start, end or planned)
        for pk, person, kind, weekly, rate, start, end, planned in running
    ]


def _hours_by(query: models.QuerySet[TimeEntry], *fields: str, **sums: Any) -> tuple[str, Any]:
    """The SQL of ``query`` grouped by ``fields`` with ``sums`` as integers (the integer type of
    each database), in the order given, to be read straight from the driver: no per-value
    conversion for the (many) rows of a large entity."""
    whole = models.BigIntegerField()
    grouped = (
        query.order_by()
        .values(*fields)
        .annotate(**{name: Cast(expression, whole) for name, expression in sums.items()})
    )
    return grouped.values_list(*fields, *sums).query.sql_with_params()


def _order_terms(
    entity_id: int, first: date, last: date, order_ids: set[int]
) -> dict[int, tuple[int, int]]:
    """Order → (its service, its units per intervention in hundredths), for the orders of a
    month's entries: those of the entity running in the month, then any other by its key."""
    running = Order.objects.filter(entity_id=entity_id, first_day__lte=last).filter(
        Q(last_day__isnull=True) | Q(last_day__gte=first)
    )
    terms = _terms_of(running)
    missing = order_ids - terms.keys()
    if missing:
        terms |= _terms_of(Order.objects.filter(pk__in=sorted(missing)))
    return terms


def _terms_of(orders: models.QuerySet[Order]) -> dict[int, tuple[int, int]]:
    rows = orders.order_by().values_list("pk", "service_id", "quantity")
    return {pk: (service_id, rules.to_hundredths(quantity)) for pk, service_id, quantity in rows}


def _read_month(close: MonthlyClose, progress: Progress | None) -> MonthHours | str:
    """Phase (a): read the month's hours, summed by worker, ISO week, order, client and service
    in one aggregation; return them, or the message blocking the close when hours are still
    declared (status FAILED, nothing else changed).

    The month is locked since ``start_close`` marked it as being closed: no entry of it can
    change any more, so one consistent read serves every phase.
    """
    first, last = rules.month_bounds(close.year, close.month)
    week_start = first - timedelta(days=first.weekday())
    month_days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    subdivision = holiday_subdivision(close.entity.postal_code)
    holidays = frozenset(
        day
        for day in [week_start + timedelta(days=n) for n in range(first.weekday())] + month_days
        if is_public_holiday(day, subdivision=subdivision)
    )
    kinds = {day: rules.day_kind(day, holiday=day in holidays) for day in month_days}
    contracts = _running_contracts(close.entity_id, first, last)
    month = MonthHours(close, first, last, holidays, contracts)
    held: dict[int, list[_Contract]] = defaultdict(list)
    for contract in contracts:
        if contract.insertion:
            held[contract.person_id].append(contract)
    # Workers holding one insertion contract for the whole month: all their hours go to it.
    whole_month = {
        person_id
        for person_id, person_contracts in held.items()
        if len(person_contracts) == 1
        and person_contracts[0].is_active_on(first)
        and person_contracts[0].is_active_on(last)
    }
    changing = set(held) - whole_month

    entries = TimeEntry.objects.filter(entity_id=close.entity_id, day__gte=first, day__lte=last)

    def hours_on(kind: rules.DayKind) -> Any:
        days = [day for day in month_days if kinds[day] == kind]
        return _sum_hundredths(F("hours"), filter=Q(day__in=days)) if days else Value(0)

    # Grouped by the entry's own service, not the billed one (the entry's, else its order's),
    # and with the units given on the entries apart from the count of those left to their
    # order's: the orders are looked up once each afterwards, not joined to every entry.
    sql, params = _hours_by(
        entries.annotate(week=_week_index(first, last)),
        "person_id",
        "week",
        "intervention__order_id",
        "client_id",
        "service_id",
        h=_sum_hundredths(F("hours")),
        u=_sum_hundredths(F("quantity")),
        n=Count("pk", filter=Q(quantity__isnull=True)),
        t=Sum("travel_minutes"),
        sunday=hours_on(rules.DayKind.SUNDAY),
        holiday=hours_on(rules.DayKind.HOLIDAY),
    )
    billed, weeks, extras = month.billed, month.weeks, month.extras
    worked, orders = month.worked, month.orders
    with transaction.atomic(), connection.cursor() as cursor:
        current = MonthlyClose.objects.select_for_update().filter(
            pk=close.pk, attempt=close.attempt, status=CloseStatus.RUNNING
        )
        if current.first() is None:
            raise Superseded
        # Hours still declared block the close (a partial index finds them at once).
        if entries.filter(status=EntryStatus.DECLARED).exists():
            message = _declared_message(close)
            MonthlyClose.objects.filter(pk=close.pk).update(
                status=CloseStatus.FAILED, error=message, progress=0, step="Échec"
            )
            close.status, close.error = CloseStatus.FAILED, message
            audit.log(close, "closing.close_failed", by=close.started_by, data={"error": message})
            return message
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        ordered = _order_terms(
            close.entity_id, first, last, {row[2] for row in rows if row[2] is not None}
        )
        for person_id, week, order_id, client_id, service_id, h, u, n, t, su, ho in rows:
            if order_id is None:
                units = u + 100 * n  # one unit per entry that gives none
            else:
                order_service, order_units = ordered[order_id]
                units = u + order_units * n
                if service_id is None:
                    service_id = order_service
            if service_id is not None:
                totals = billed.get((client_id, service_id))
                if totals is None:
                    billed[(client_id, service_id)] = [h, units]
                else:
                    totals[0] += h
                    totals[1] += units
            person_weeks = weeks.get(person_id)
            if person_weeks is None:
                weeks[person_id] = {week: h}
                extras[person_id] = [t, su, ho]
            else:
                person_weeks[week] = person_weeks.get(week, 0) + h
                person_extras = extras[person_id]
                person_extras[0] += t
                person_extras[1] += su
                person_extras[2] += ho
            if person_id in whole_month:
                person_worked = worked.get(person_id)
                if person_worked is None:
                    worked[person_id] = person_worked = [0, 0]
                    orders[person_id] = set()
                person_worked[0] += h
                if service_id is not None:
                    person_worked[1] += h
                if order_id is not None:
                    orders[person_id].add(order_id)
        del rows
        if changing:
            billed_service = Coalesce("service_id", "intervention__order__service_id")
            sql, params = _hours_by(
                entries.filter(person_id__in=changing).annotate(billed_service=billed_service),
                "person_id",
                "day",
                "intervention__order_id",
                h=_sum_hundredths(F("hours")),
                i=_sum_hundredths(F("hours"), filter=Q(billed_service__isnull=False)),
            )
            cursor.execute(sql, params)
            for person_id, day, order_id, h, i in cursor.fetchall():
                month.days.setdefault(person_id, []).append((day, order_id, h, i))
    _set_progress(close, 20, "Heures du mois verrouillées et relevées", progress)
    return month


def _build_results(month: MonthHours) -> None:
    """Phases (b) to (d): the invoice drafts, the payroll variables and the ASP follow-ups,
    each written by its own transaction into its own tables.

    On PostgreSQL, when the caller holds no transaction (a task, the command), the three run at
    the same time, each on a connection of its own: the read used every core, and these writes
    (their rows checked against their foreign keys at commit) each keep one server process
    busy. Inside a transaction (tests), or on SQLite, which writes one transaction at a time,
    they run one after the other. A failure of any of them fails the run.
    """
    builders = [_build_invoice_drafts, _build_payroll, _build_asp_follow_ups]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        for build in builders:
            build(month)
        return

    def on_own_connection(build: Callable[[MonthHours], None]) -> None:
        try:
            build(month)
        finally:
            connection.close()  # this thread's

    with ThreadPoolExecutor(max_workers=len(builders) - 1) as pool:
        others = [pool.submit(on_own_connection, build) for build in builders[1:]]
        builders[0](month)
    for other in others:
        other.result()


def _sap_declared(entity: Entity, on: date) -> bool:
    return entity.sap_declarations.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on), declared_on__lte=on
    ).exists()


def _build_invoice_drafts(month: MonthHours) -> None:
    """Phase (b): one draft per client, one line per service, priced on the month's last day."""
    close, last = month.close, month.last
    keys = sorted(month.billed)
    services = Service.objects.in_bulk({service_id for _, service_id in keys})
    prices: dict[tuple[int, int], Decimal] = {}
    for client_id, service_id, price in (
        ClientPrice.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=last),
            service_id__in=services,
            client_id__in={client_id for client_id, _ in keys},
            valid_from__lte=last,
        )
        .order_by("valid_from", "pk")
        .values_list("client_id", "service_id", "unit_price")
    ):
        prices[(client_id, service_id)] = price  # the latest start wins
    sap_declared = _sap_declared(close.entity, last)
    rates = {
        kind: vat_rate(ServiceKind(kind), on=last, sap_declared=sap_declared)
        for kind in {service.kind for service in services.values()}
    }
    # Client → lines as (service, label, quantity, unit price, VAT rate, amount excl. tax).
    lines_by_client: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for client_id, service_id in keys:
        hours, units = month.billed[(client_id, service_id)]
        service = services[service_id]
        quantity = rules.hundredths(hours if service.unit == Unit.HOUR else units)
        unit_price = prices.get((client_id, service_id), service.unit_price)
        lines_by_client[client_id].append(
            (
                service_id,
                service.name,
                quantity,
                unit_price,
                rates[service.kind],
                to_cents(quantity * unit_price),
            )
        )
    with transaction.atomic():
        close.invoice_drafts.all().delete()
        drafts = InvoiceDraft.objects.bulk_create(
            [
                InvoiceDraft(
                    close=close,
                    client_id=client_id,
                    total_excl_tax=sum((line[-1] for line in lines), Decimal(0)),
                )
                for client_id, lines in lines_by_client.items()
            ],
            batch_size=BATCH_SIZE,
        )
        _insert_rows(
            InvoiceDraftLine,
            DRAFT_LINE_FIELDS,
            ((draft.pk, *line) for draft in drafts for line in lines_by_client[draft.client_id]),
        )


def _build_payroll(month: MonthHours) -> None:
    """Phase (c): per worker, hours split for pay, Sunday and holiday hours, absences, travel."""
    close, first, last = month.close, month.first, month.last
    weeks = month.weeks
    # Days of the previous month in the first ISO week count towards its thresholds.
    before: dict[int, int] = {}
    week_start = first - timedelta(days=first.weekday())
    if week_start < first:
        before = dict(
            TimeEntry.objects.filter(
                entity_id=close.entity_id,
                day__gte=week_start,
                day__lt=first,
                status=EntryStatus.VALIDATED,
            )
            .order_by()
            .values("person_id")
            .annotate(h=Sum(_hundredths(F("hours"))))
            .values_list("person_id", "h")
        )
    first_week = rules.iso_week_index(first)
    absences: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for person_id, start, end in Absence.objects.filter(
        entity_id=close.entity_id, start__lte=last, end__gte=first
    ).values_list("person_id", "start", "end"):
        absences[person_id].append((start, end))
    # The contract started last among those running in the month gives the weekly hours.
    weekly = {c.person_id: c.weekly_hours for c in month.contracts}
    thresholds: dict[Decimal | None, int] = {}

    def variables(person_id: int) -> tuple[Any, ...]:
        person_weeks = weeks.get(person_id, {})
        weekly_hours = weekly.get(person_id)
        threshold = thresholds.get(weekly_hours)
        if threshold is None:
            threshold = rules.to_hundredths(rules.weekly_threshold(weekly_hours))
            thresholds[weekly_hours] = threshold
        normal, complementary, overtime = rules.split_weeks(
            [
                (before.get(person_id, 0) if week == first_week else 0, worked)
                for week, worked in person_weeks.items()
            ],
            threshold=threshold,
        )
        travel, sunday, holiday = month.extras.get(person_id, (0, 0, 0))
        absent = absences.get(person_id)
        return (
            close.pk,
            person_id,
            rules.hundredths(normal),
            rules.hundredths(complementary),
            rules.hundredths(overtime),
            rules.hundredths(sunday),
            rules.hundredths(holiday),
            rules.absence_days(absent, first=first, last=last, holidays=month.holidays)
            if absent
            else Decimal(0),
            travel,
        )

    payroll = (variables(person_id) for person_id in sorted(set(weeks) | set(absences)))
    with transaction.atomic():
        close.payroll.all().delete()
        _insert_rows(PayrollVariables, PAYROLL_FIELDS, payroll)


def _build_asp_follow_ups(month: MonthHours) -> None:
    """Phase (d): per insertion contract running in the month, the ASP monthly follow-up."""
    close = month.close
    contracts: dict[int, list[_Contract]] = defaultdict(list)
    for held in month.contracts:
        if held.insertion:
            contracts[held.person_id].append(held)
    totals: dict[int, list[int]] = {}  # contract → [worked, invoiced]
    orders: dict[int, set[int]] = {}
    for person_id, person_worked in month.worked.items():
        (only,) = contracts[person_id]  # for the whole month
        totals[only.pk] = person_worked
        orders[only.pk] = month.orders[person_id]
    for person_id, rows in month.days.items():
        person_contracts = contracts[person_id]
        # The insertion contract in force that day; the one started last if two overlap.
        in_force: dict[date, _Contract | None] = {}
        for day, order_id, hours, invoiced in rows:
            if day in in_force:
                contract = in_force[day]
            else:
                contract = in_force[day] = next(
                    (c for c in reversed(person_contracts) if c.is_active_on(day)), None
                )
            if contract is None:
                continue
            row = totals.setdefault(contract.pk, [0, 0])
            row[0] += hours
            row[1] += invoiced
            if order_id is not None:
                orders.setdefault(contract.pk, set()).add(order_id)

    def follow_up(contract: _Contract) -> tuple[Any, ...]:
        worked_hundredths, invoiced = totals.get(contract.pk, (0, 0))
        worked = rules.hundredths(worked_hundredths)
        return (
            close.pk,
            contract.pk,
            worked,
            rules.hundredths(invoiced),
            len(orders.get(contract.pk, ())),
            to_cents(worked * contract.hourly_rate),
            rules.etp_share(worked),
        )

    follow_ups = (
        follow_up(contract) for person_id in sorted(contracts) for contract in contracts[person_id]
    )
    with transaction.atomic():
        close.asp_follow_ups.all().delete()
        _insert_rows(AspMonthlyFollowUp, ASP_FIELDS, follow_ups)


@dataclass(frozen=True, slots=True)
class Reopened:
    unlocked: int  # entries of the month that can be changed again
    drafts_deleted: int  # draft invoices prepared from the close, deleted
    issued: int  # invoices issued from the close, kept as they are


@transaction.atomic
def reopen_close(close: MonthlyClose, *, reason: str, by: User | None) -> Reopened:
    """Reopen a closed (or failed) month: its hours can be changed again, its drafts, payroll
    variables and ASP follow-ups are deleted.

    Draft invoices prepared from the close would keep its figures: they are deleted (each
    audited), and the next close prepares them again. Invoices already issued from it stay as
    they are (immutable); the next close does not invoice their clients again, so a difference
    is corrected by a credit note or a further invoice.
    """
    from tremplin.invoicing import actions as invoicing
    from tremplin.invoicing.models import InvoiceStatus

    close = MonthlyClose.objects.select_for_update().get(pk=close.pk)
    if close.status not in REOPENABLE:
        raise ValidationError(
            "Seule une clôture terminée ou en échec peut être rouverte "
            f"(état : {close.get_status_display().lower()})."
        )
    unlocked = _month_entries(close, EntryStatus.VALIDATED).count()
    drafts = list(close.invoices.filter(status=InvoiceStatus.DRAFT).order_by("pk"))
    for draft in drafts:
        invoicing.delete_draft(draft, by=by)
    issued = close.invoices.filter(status=InvoiceStatus.ISSUED).count()
    close.invoice_drafts.all().delete()
    close.payroll.all().delete()
    close.asp_follow_ups.all().delete()
    close.status = CloseStatus.REOPENED
    close.progress = 0
    close.step = ""
    close.error = ""
    close.closed_at = None
    close.save(update_fields=["status", "progress", "step", "error", "closed_at"])
    audit.log(
        close,
        "closing.reopened",
        by=by,
        data={
            "reason": reason,
            "unlocked": unlocked,
            "draft_invoices_deleted": len(drafts),
            "issued_invoices_kept": issued,
        },
    )
    return Reopened(unlocked, len(drafts), issued)
