"""Starting, running and reopening the monthly close of an entity.

``close_month`` runs in the background (``tasks.run_close``) or from ``manage.py close_month``.
It works in one transaction per phase, each phase replacing its own results, so that progress
is visible while it runs and a failed run is repaired by running it again
(``docs/algorithms/monthly-close.md``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, F, Q, Sum, Value
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
from tremplin.core import audit
from tremplin.core.money import to_cents
from tremplin.orders.models import Absence, ClientPrice, Service
from tremplin.orders.rules import ServiceKind, Unit, is_public_holiday, vat_rate
from tremplin.people.models import Person
from tremplin.timesheets.models import EntryStatus, TimeEntry

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity

Progress = Callable[[int, str], None]

BATCH_SIZE = 1000
# Workers per committed chunk of payroll and ASP rows: one progress update per chunk.
CHUNK_SIZE = 250
DECLARED_NAMES_SHOWN = 10

# Statuses a run may start from; a running close is left alone, a closed one must be reopened.
STARTABLE = frozenset({CloseStatus.FAILED, CloseStatus.REOPENED})
REOPENABLE = frozenset({CloseStatus.CLOSED, CloseStatus.FAILED})


@dataclass(frozen=True, slots=True)
class CloseResult:
    changed: bool
    message: str


def _hundredths(expression: Any) -> Cast:
    """An exact integer count of hundredths of a 2-decimal column, summable by any database.

    SQLite keeps decimals as binary floats; rounding ``x × 100`` to an integer before summing
    gives the exact total there too (values are far below 2^53 hundredths).
    """
    return Cast(Round(expression * 100), models.BigIntegerField())


def _month_entries(close: MonthlyClose, *statuses: str) -> models.QuerySet[TimeEntry]:
    first, last = rules.month_bounds(close.year, close.month)
    return TimeEntry.objects.filter(
        entity_id=close.entity_id, day__gte=first, day__lte=last, status__in=statuses
    ).order_by()


def _set_progress(close: MonthlyClose, percent: int, step: str, progress: Progress | None) -> None:
    # Outside any transaction of the run: the page polling the close sees it at once.
    MonthlyClose.objects.filter(pk=close.pk).update(progress=percent, step=step)
    close.progress, close.step = percent, step
    if progress is not None:
        progress(percent, step)


@transaction.atomic
def start_close(
    entity: Entity, *, year: int, month: int, by: User | None, run_in_background: bool = True
) -> MonthlyClose:
    """Mark the month of ``entity`` as being closed and queue the run (``tasks.run_close``).

    A closed month must be reopened first; a month being closed is left to its run.
    """
    close, created = MonthlyClose.objects.select_for_update().get_or_create(
        entity=entity, year=year, month=month, defaults={"started_by": by}
    )
    if not created and close.status == CloseStatus.CLOSED:
        raise ValidationError(
            f"Le mois {month:02d}/{year} est déjà clôturé : rouvrez-le pour le clôturer à nouveau."
        )
    if not created and close.status not in STARTABLE:
        raise ValidationError(f"La clôture de {month:02d}/{year} est déjà en cours.")
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

        close_id = close.pk
        transaction.on_commit(lambda: run_close.enqueue(close_id))
    return close


def close_month(close: MonthlyClose, *, progress: Progress | None = None) -> CloseResult:
    """Close one month of one entity: lock its validated hours, then build invoice drafts,
    payroll variables and the ASP monthly follow-up; status CLOSED at the end.

    Idempotent: a closed month is left as it is (and the result says so); each phase deletes
    the results of an earlier attempt before writing its own. Declared (unvalidated) hours
    block the close: status FAILED, nothing else changed.
    """
    close.refresh_from_db()
    if close.status == CloseStatus.CLOSED:
        return CloseResult(
            False, f"Le mois {close.month:02d}/{close.year} est déjà clôturé : rien n'a changé."
        )
    try:
        blocked = _lock_entries(close, progress)
        if blocked:
            return CloseResult(False, blocked)
        _build_invoice_drafts(close, progress)
        _build_payroll(close, progress)
        _build_asp_follow_ups(close, progress)
        with transaction.atomic():
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
    except Exception as exc:
        _fail(close, f"Erreur inattendue pendant la clôture : {exc}")
        raise
    if progress is not None:
        progress(100, close.step)
    return CloseResult(True, f"Le mois {close.month:02d}/{close.year} est clôturé.")


def _fail(close: MonthlyClose, message: str) -> None:
    with transaction.atomic():
        MonthlyClose.objects.filter(pk=close.pk).update(status=CloseStatus.FAILED, error=message)
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


def _lock_entries(close: MonthlyClose, progress: Progress | None) -> str:
    """Phase (a): lock the validated entries; return the blocking message, if any."""
    with transaction.atomic():
        MonthlyClose.objects.select_for_update().filter(pk=close.pk).first()
        message = _declared_message(close)
        if message:
            MonthlyClose.objects.filter(pk=close.pk).update(
                status=CloseStatus.FAILED, error=message, progress=0, step="Échec"
            )
            close.status, close.error = CloseStatus.FAILED, message
            audit.log(close, "closing.close_failed", by=close.started_by, data={"error": message})
            return message
        _month_entries(close, EntryStatus.VALIDATED).update(status=EntryStatus.LOCKED)
    _set_progress(close, 20, "Heures verrouillées", progress)
    return ""


def _sap_declared(entity: Entity, on: date) -> bool:
    return entity.sap_declarations.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on), declared_on__lte=on
    ).exists()


def _build_invoice_drafts(close: MonthlyClose, progress: Progress | None) -> None:
    """Phase (b): one draft per client, one line per service, priced on the month's last day."""
    _, last = rules.month_bounds(close.year, close.month)
    billed = Coalesce("service_id", "intervention__order__service_id")
    units = Coalesce(
        "quantity",
        "intervention__order__quantity",
        Value(Decimal(1)),
        output_field=models.DecimalField(max_digits=8, decimal_places=2),
    )
    rows = list(
        _month_entries(close, EntryStatus.LOCKED)
        .annotate(billed_service=billed)
        .filter(billed_service__isnull=False)
        .values("client_id", "billed_service")
        .annotate(hours=Sum(_hundredths(F("hours"))), units=Sum(_hundredths(units)))
        .order_by("client_id", "billed_service")
    )
    services = Service.objects.in_bulk({row["billed_service"] for row in rows})
    prices: dict[tuple[int, int], Decimal] = {}
    for client_id, service_id, price in (
        ClientPrice.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=last),
            service_id__in=services,
            client_id__in={row["client_id"] for row in rows},
            valid_from__lte=last,
        )
        .order_by("valid_from", "pk")
        .values_list("client_id", "service_id", "unit_price")
    ):
        prices[(client_id, service_id)] = price  # the latest start wins
    sap_declared = _sap_declared(close.entity, last)
    lines_by_client: dict[int, list[InvoiceDraftLine]] = defaultdict(list)
    for row in rows:
        service = services[row["billed_service"]]
        by_hour = service.unit == Unit.HOUR
        quantity = rules.hundredths(row["hours"] if by_hour else row["units"])
        unit_price = prices.get((row["client_id"], service.pk), service.unit_price)
        lines_by_client[row["client_id"]].append(
            InvoiceDraftLine(
                service=service,
                label=service.name,
                quantity=quantity,
                unit_price=unit_price,
                vat_rate=vat_rate(ServiceKind(service.kind), on=last, sap_declared=sap_declared),
                amount_excl_tax=to_cents(quantity * unit_price),
            )
        )
    with transaction.atomic():
        close.invoice_drafts.all().delete()
        drafts = InvoiceDraft.objects.bulk_create(
            [
                InvoiceDraft(
                    close=close,
                    client_id=client_id,
                    total_excl_tax=sum((line.amount_excl_tax for line in lines), Decimal(0)),
                )
                for client_id, lines in lines_by_client.items()
            ],
            batch_size=BATCH_SIZE,
        )
        draft_lines = []
        for draft in drafts:
            for line in lines_by_client[draft.client_id]:
                line.draft = draft
                draft_lines.append(line)
        InvoiceDraftLine.objects.bulk_create(draft_lines, batch_size=BATCH_SIZE)
    _set_progress(close, 40, "Brouillons de facture établis", progress)


def _chunks[T](items: list[T]) -> list[list[T]]:
    return [items[i : i + CHUNK_SIZE] for i in range(0, len(items), CHUNK_SIZE)] or [[]]


def _build_payroll(close: MonthlyClose, progress: Progress | None) -> None:
    """Phase (c): per worker, hours split for pay, Sunday and holiday hours, absences, travel."""
    first, last = rules.month_bounds(close.year, close.month)
    subdivision = rules.holiday_subdivision(close.entity.postal_code)
    week_start = first - timedelta(days=first.weekday())
    holidays = frozenset(
        day
        for day in (week_start + timedelta(days=n) for n in range((last - week_start).days + 1))
        if is_public_holiday(day, subdivision=subdivision)
    )
    hours: dict[int, dict[date, Decimal]] = defaultdict(dict)
    travel: dict[int, int] = defaultdict(int)
    for person_id, day, hundredths, minutes in (
        _month_entries(close, EntryStatus.LOCKED)
        .values("person_id", "day")
        .annotate(h=Sum(_hundredths(F("hours"))), t=Sum("travel_minutes"))
        .values_list("person_id", "day", "h", "t")
    ):
        hours[person_id][day] = rules.hundredths(hundredths)
        travel[person_id] += minutes
    if week_start < first:
        # Days of the previous month in the first ISO week count towards its thresholds.
        for person_id, day, hundredths in (
            TimeEntry.objects.filter(
                entity_id=close.entity_id,
                day__gte=week_start,
                day__lt=first,
                status__in=[EntryStatus.VALIDATED, EntryStatus.LOCKED],
                person_id__in=list(hours),
            )
            .order_by()
            .values("person_id", "day")
            .annotate(h=Sum(_hundredths(F("hours"))))
            .values_list("person_id", "day", "h")
        ):
            hours[person_id][day] = rules.hundredths(hundredths)
    absences: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for person_id, start, end in Absence.objects.filter(
        entity_id=close.entity_id, start__lte=last, end__gte=first
    ).values_list("person_id", "start", "end"):
        absences[person_id].append((start, end))
    weekly: dict[int, Decimal | None] = {}
    for person_id, weekly_hours in (
        Contract.objects.filter(entity_id=close.entity_id)
        .running_between(first, last)
        .order_by("start", "pk")
        .values_list("person_id", "weekly_hours")
    ):
        weekly[person_id] = weekly_hours  # the contract started last is the one in force

    def variables(person_id: int) -> PayrollVariables:
        days = hours.get(person_id, {})
        split = rules.split_hours(
            days, contractual_weekly=weekly.get(person_id), first=first, last=last
        )
        kinds = {day: rules.day_kind(day, holiday=day in holidays) for day in days if day >= first}
        return PayrollVariables(
            close=close,
            person_id=person_id,
            normal_hours=split.normal,
            complementary_hours=split.complementary,
            overtime_hours=split.overtime,
            sunday_hours=sum(
                (days[d] for d, k in kinds.items() if k == rules.DayKind.SUNDAY), Decimal(0)
            ),
            holiday_hours=sum(
                (days[d] for d, k in kinds.items() if k == rules.DayKind.HOLIDAY), Decimal(0)
            ),
            absence_days=rules.absence_days(
                absences.get(person_id, []), first=first, last=last, holidays=holidays
            ),
            travel_minutes=travel.get(person_id, 0),
        )

    people = sorted(set(hours) | set(absences))
    with transaction.atomic():
        close.payroll.all().delete()
    chunks = _chunks(people)
    for n, chunk in enumerate(chunks, start=1):
        with transaction.atomic():
            PayrollVariables.objects.bulk_create(
                [variables(p) for p in chunk], batch_size=BATCH_SIZE
            )
        _set_progress(
            close, 40 + 40 * n // len(chunks), f"Variables de paie : {n}/{len(chunks)}", progress
        )


def _build_asp_follow_ups(close: MonthlyClose, progress: Progress | None) -> None:
    """Phase (d): per insertion contract running in the month, the ASP monthly follow-up."""
    first, last = rules.month_bounds(close.year, close.month)
    contracts = list(
        Contract.objects.filter(entity_id=close.entity_id, post_type=PostType.INSERTION)
        .running_between(first, last)
        .order_by("person_id", "start", "pk")
    )
    by_person: dict[int, list[Contract]] = defaultdict(list)
    for contract in contracts:
        by_person[contract.person_id].append(contract)
    cents = _hundredths(F("hours"))
    invoiced = models.Case(
        models.When(
            Q(service_id__isnull=False) | Q(intervention__order__service_id__isnull=False),
            then=cents,
        ),
        default=Value(0),
        output_field=models.BigIntegerField(),
    )
    totals: dict[int, dict[str, Any]] = {}
    for person_id, day, order_id, worked, billed in (
        _month_entries(close, EntryStatus.LOCKED)
        .filter(person_id__in=list(by_person))
        .values("person_id", "day", "intervention__order_id")
        .annotate(worked=Sum(cents), billed=Sum(invoiced))
        .values_list("person_id", "day", "intervention__order_id", "worked", "billed")
    ):
        # The insertion contract in force that day; the one started last if two overlap.
        contract_of_day = next(
            (c for c in reversed(by_person[person_id]) if c.is_active_on(day)), None
        )
        if contract_of_day is None:
            continue
        row = totals.setdefault(contract_of_day.pk, {"worked": 0, "invoiced": 0, "orders": set()})
        row["worked"] += worked
        row["invoiced"] += billed
        if order_id is not None:
            row["orders"].add(order_id)

    def follow_up(contract: Contract) -> AspMonthlyFollowUp:
        row = totals.get(contract.pk, {"worked": 0, "invoiced": 0, "orders": set()})
        worked = rules.hundredths(row["worked"])
        return AspMonthlyFollowUp(
            close=close,
            person_id=contract.person_id,
            contract=contract,
            hours_worked=worked,
            hours_invoiced=rules.hundredths(row["invoiced"]),
            missions=len(row["orders"]),
            gross_pay=to_cents(worked * contract.hourly_rate),
            etp_share=rules.etp_share(worked),
        )

    with transaction.atomic():
        close.asp_follow_ups.all().delete()
    chunks = _chunks(contracts)
    for n, chunk in enumerate(chunks, start=1):
        with transaction.atomic():
            AspMonthlyFollowUp.objects.bulk_create(
                [follow_up(c) for c in chunk], batch_size=BATCH_SIZE
            )
        _set_progress(
            close, 80 + 15 * n // len(chunks), f"Suivi mensuel ASP : {n}/{len(chunks)}", progress
        )


@transaction.atomic
def reopen_close(close: MonthlyClose, *, reason: str, by: User | None) -> int:
    """Reopen a closed (or failed) month: its hours back to validated, its drafts, payroll
    variables and ASP follow-ups deleted. Returns how many entries were unlocked."""
    close = MonthlyClose.objects.select_for_update().get(pk=close.pk)
    if close.status not in REOPENABLE:
        raise ValidationError(
            "Seule une clôture terminée ou en échec peut être rouverte "
            f"(état : {close.get_status_display().lower()})."
        )
    unlocked = _month_entries(close, EntryStatus.LOCKED).update(status=EntryStatus.VALIDATED)
    close.invoice_drafts.all().delete()
    close.payroll.all().delete()
    close.asp_follow_ups.all().delete()
    close.status = CloseStatus.REOPENED
    close.progress = 0
    close.step = ""
    close.error = ""
    close.closed_at = None
    close.save(update_fields=["status", "progress", "step", "error", "closed_at"])
    audit.log(close, "closing.reopened", by=by, data={"reason": reason, "unlocked": unlocked})
    return unlocked
