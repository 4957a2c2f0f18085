"""Changes to the catalogue, quotes, orders, interventions and absences: atomic, audited.

Also the delivery details of a client the orders rely on (contacts, sites, requirements).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum

from tremplin.clients.models import Client, ClientRequirement
from tremplin.clients.rules import ClientKind
from tremplin.contracts import rules as contract_rules
from tremplin.contracts.models import Contract
from tremplin.core import audit
from tremplin.missions.models import MadDerogation
from tremplin.missions.models import Placement as MissionPlacement
from tremplin.missions.rules import PLACEMENT_CONTRACT_KINDS
from tremplin.orders import rules
from tremplin.orders.models import (
    Absence,
    AbsenceKind,
    ClientPrice,
    Intervention,
    InterventionStatus,
    Order,
    OrderException,
    OrderKind,
    Quote,
    QuoteStatus,
    Service,
)
from tremplin.people.models import Person

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity


# --- Catalogue, prices, quotes --------------------------------------------------------------


@transaction.atomic
def create_service(service: Service, *, by: User) -> Service:
    """Save the already validated, unsaved ``service`` of its entity's catalogue."""
    service.save()
    audit.log(
        service,
        "orders.service_created",
        by=by,
        data={"name": service.name, "kind": service.kind, "unit_price": str(service.unit_price)},
    )
    return service


@transaction.atomic
def update_service(service: Service, *, changes: dict[str, list[str]], by: User) -> Service:
    """Save the already validated ``service`` and record which fields changed."""
    if not changes:
        return service
    service.save(update_fields=list(changes))
    audit.log(service, "orders.service_updated", by=by, data={"changes": changes})
    return service


@transaction.atomic
def add_client_price(
    client: Client,
    *,
    service: Service,
    unit_price: Decimal,
    valid_from: date,
    valid_to: date | None,
    by: User,
) -> ClientPrice:
    """Give ``client`` its own price for ``service`` over a period."""
    price = ClientPrice.objects.create(
        client=client,
        service=service,
        unit_price=unit_price,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    audit.log(
        client,
        "orders.client_price_added",
        by=by,
        data={
            "service": service.name,
            "unit_price": str(unit_price),
            "valid_from": valid_from.isoformat(),
        },
    )
    return price


@transaction.atomic
def create_quote(
    client: Client,
    *,
    issued_on: date,
    monthly_amount_ttc: Decimal,
    description: str,
    by: User,
) -> Quote:
    """Issue a quote to ``client`` under the next number of its entity for the year.

    The entity row is locked so that two quotes issued at once do not take the same number.
    """
    entity = type(client.entity).objects.select_for_update().get(pk=client.entity_id)
    number = rules.next_quote_number(
        Quote.objects.filter(entity=entity).values_list("number", flat=True), year=issued_on.year
    )
    quote = Quote.objects.create(
        entity=entity,
        client=client,
        number=number,
        issued_on=issued_on,
        monthly_amount_ttc=monthly_amount_ttc,
        description=description,
    )
    audit.log(
        quote,
        "orders.quote_issued",
        by=by,
        data={"number": number, "monthly_amount_ttc": str(monthly_amount_ttc)},
    )
    return quote


@transaction.atomic
def decide_quote(quote: Quote, *, accepted: bool, on: date, by: User) -> Quote:
    """Record the client's answer to a sent quote (sent → accepted or refused)."""
    quote.status = QuoteStatus.ACCEPTED if accepted else QuoteStatus.REFUSED
    quote.accepted_on = on if accepted else None
    quote.save(update_fields=["status", "accepted_on"])
    audit.log(quote, f"orders.quote_{quote.status}", by=by, data={"on": on.isoformat()})
    return quote


# --- Orders and their interventions ---------------------------------------------------------


@transaction.atomic
def create_order(order: Order, *, by: User) -> Order:
    """Save the already validated, unsaved ``order``."""
    order.save()
    audit.log(
        order,
        "orders.order_created",
        by=by,
        data={"kind": order.kind, "service": order.service.name, "client": order.client.name},
    )
    return order


@transaction.atomic
def update_order(order: Order, *, changes: dict[str, list[str]], by: User) -> Order:
    """Save the already validated ``order`` and record which fields changed.

    Interventions already generated keep their times; generating a new period follows the
    changed pattern.
    """
    if not changes:
        return order
    order.save(update_fields=list(changes))
    audit.log(order, "orders.order_updated", by=by, data={"changes": changes})
    return order


@transaction.atomic
def add_order_exception(order: Order, *, day: date, reason: str, by: User) -> OrderException:
    """Cancel one day of a recurring order; an intervention already planned that day is
    cancelled with it."""
    exception = OrderException.objects.create(order=order, day=day, reason=reason)
    cancelled = order.interventions.filter(day=day, status=InterventionStatus.PLANNED).update(
        status=InterventionStatus.CANCELLED
    )
    audit.log(
        order,
        "orders.exception_added",
        by=by,
        data={"day": day.isoformat(), "reason": reason, "cancelled": cancelled},
    )
    return exception


def order_recurrence(order: Order) -> rules.Recurrence:
    """The weekly pattern of an order; a one-off order is its single day, even a holiday."""
    if order.kind == OrderKind.ONE_OFF:
        return rules.Recurrence(
            weekdays=(order.first_day.weekday(),),
            start_time=order.start_time,
            end_time=order.end_time,
            first_day=order.first_day,
            last_day=order.first_day,
            skip_public_holidays=False,
        )
    return rules.Recurrence(
        weekdays=tuple(int(d) for d in order.weekdays),
        start_time=order.start_time,
        end_time=order.end_time,
        first_day=order.first_day,
        last_day=order.last_day,
        interval_weeks=order.interval_weeks,
    )


def order_subdivision(order: Order) -> str | None:
    """The public-holiday subdivision of the place of work: the site, else the client."""
    postal_code = order.site.postal_code if order.site else order.client.postal_code
    return rules.holiday_subdivision(postal_code or order.entity.postal_code)


@dataclass(frozen=True, slots=True)
class Generation:
    created: int
    existing: int


@transaction.atomic
def generate_interventions(order: Order, *, start: date, end: date, by: User) -> Generation:
    """Create the interventions of ``order`` from ``start`` to ``end`` (both included).

    Idempotent: an intervention already generated for the same start is left as it is, so a
    second run adds nothing. The order row is locked so that two runs do not race.
    """
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("entity", "client", "site")
        .get(pk=order.pk)
    )
    planned = rules.occurrences(
        order_recurrence(order),
        period_start=start,
        period_end=end,
        exceptions=frozenset(order.exceptions.values_list("day", flat=True)),
        subdivision=order_subdivision(order),
    )
    existing = set(
        order.interventions.filter(start__in=[o.start for o in planned]).values_list(
            "start", flat=True
        )
    )
    new = [
        Intervention(
            order=order,
            entity=order.entity,
            day=o.day,
            start=o.start,
            end=o.end,
            planned_hours=o.hours,
        )
        for o in planned
        if o.start not in existing
    ]
    Intervention.objects.bulk_create(new)
    audit.log(
        order,
        "orders.interventions_generated",
        by=by,
        data={
            "start": start.isoformat(),
            "end": end.isoformat(),
            "created": len(new),
            "existing": len(existing),
        },
    )
    return Generation(created=len(new), existing=len(existing))


# --- Assignment -----------------------------------------------------------------------------


class AssignmentRefused(Exception):
    """The worker cannot take the intervention; ``errors`` says why, in French."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(" ".join(errors))
        self.errors = errors


def _contract_for(worker: Person, order: Order, day: date) -> Contract | None:
    contracts = Contract.objects.filter(person=worker, entity=order.entity).active_on(day)
    if order.kind == OrderKind.PLACEMENT:
        contracts = contracts.filter(kind__in=PLACEMENT_CONTRACT_KINDS)
    return contracts.order_by("-start", "-pk").first()


def _week_hours(queryset: object) -> Decimal:
    total = queryset.aggregate(total=Sum("planned_hours"))["total"]  # type: ignore[attr-defined]
    return total or Decimal(0)


def mad_cap_message(intervention: Intervention, worker: Person, *, today: date) -> str:
    """The MAD cap refusal for an AI placement intervention, or an empty string.

    Counted for the 480 h cap (art. R5132-18 2°): the worker's mission orders with this AI
    (``missions.Placement``) and the planned or done interventions of this AI's placement
    orders already assigned to the worker, each at its day with its planned hours.
    """
    order = intervention.order
    if order.kind != OrderKind.PLACEMENT:
        return ""
    existing = [p.as_rule() for p in MissionPlacement.objects.of_worker(worker.pk, order.entity_id)]
    others = (
        Intervention.objects.filter(
            worker=worker, entity_id=order.entity_id, order__kind=OrderKind.PLACEMENT
        )
        .exclude(status=InterventionStatus.CANCELLED)
        .exclude(pk=intervention.pk)
        .values_list("day", "planned_hours", "order__client__kind")
    )
    existing += [
        contract_rules.Placement(start=day, hours=hours, client_kind=ClientKind(kind))
        for day, hours, kind in others
        if hours > 0
    ]
    status = contract_rules.mad_cap_status(
        existing,
        proposed=contract_rules.Placement(
            start=intervention.day,
            hours=intervention.planned_hours,
            client_kind=ClientKind(order.client.kind),
            client_economic_dismissal_on=order.client.economic_dismissal_on,
        ),
        derogations=MadDerogation.objects.filter(entity_id=order.entity_id).ranges(),
        today=today,
    )
    if status.state == contract_rules.MadCapState.REFUSED:
        return status.message
    return ""


def assignment_check(
    intervention: Intervention, worker: Person, *, today: date
) -> tuple[Contract | None, list[str]]:
    """The contract the worker would work under, and every reason to refuse the assignment."""
    order = intervention.order
    day = intervention.day
    if intervention.status != InterventionStatus.PLANNED:
        return None, [
            f"État : l'intervention est « {intervention.get_status_display()} » ; seule une "
            "intervention prévue peut être attribuée."
        ]
    contract = _contract_for(worker, order, day)
    monday = day - timedelta(days=day.weekday())
    week = (
        Intervention.objects.filter(worker=worker, day__range=(monday, monday + timedelta(days=6)))
        .exclude(status=InterventionStatus.CANCELLED)
        .exclude(pk=intervention.pk)
    )
    busy = tuple(
        (rules.Slot(other.start, other.end), f"{other.order.client.name}, {other.entity.name}")
        for other in week.filter(day=day).select_related("order__client", "entity")
    )
    facts = rules.AssignmentFacts(
        day=day,
        slot=rules.Slot(intervention.start, intervention.end),
        hours=intervention.planned_hours,
        entity_name=order.entity.name,
        placement=order.kind == OrderKind.PLACEMENT,
        has_contract=contract is not None,
        busy=busy,
        absences=tuple(
            (a.start, a.end, a.get_kind_display())
            for a in Absence.objects.filter(person=worker, start__lte=day, end__gte=day)
        ),
        required=tuple(
            (r.habilitation, r.get_habilitation_display())
            for r in ClientRequirement.objects.filter(client_id=order.client_id)
        ),
        held=tuple(worker.habilitations.values_list("kind", "expires_on")),
        contract_week_hours=_week_hours(week.filter(contract=contract)) if contract else Decimal(0),
        all_week_hours=_week_hours(week),
        weekly_hours=contract.weekly_hours if contract else None,
    )
    errors = rules.assignment_errors(facts)
    if contract is not None and not errors:
        mad = mad_cap_message(intervention, worker, today=today)
        if mad:
            errors.append(mad)
    return contract, errors


def _lock_worker(worker: Person) -> None:
    # Row lock on PostgreSQL; SQLite takes its single write lock at BEGIN (IMMEDIATE mode).
    Person.objects.select_for_update().only("pk").get(pk=worker.pk)


@transaction.atomic
def assign_worker(
    intervention: Intervention, *, worker: Person, today: date, by: User
) -> Intervention:
    """Assign ``worker`` to ``intervention`` if every planning rule allows it.

    Refused (``AssignmentRefused``, nothing written) without a running contract in the order's
    entity (a CDDU/CDDUA of the AI for a placement), on a double booking in any entity of the
    group, during an absence, without a habilitation the client requires, past the weekly hours
    of the contract or the legal 48 h, or past the AI's MAD cap.
    """
    _lock_worker(worker)
    contract, errors = assignment_check(intervention, worker, today=today)
    if errors:
        raise AssignmentRefused(errors)
    intervention.worker = worker
    intervention.contract = contract
    intervention.save(update_fields=["worker", "contract"])
    audit.log(
        intervention.order,
        "orders.worker_assigned",
        by=by,
        data={
            "intervention": intervention.day.isoformat(),
            "worker": worker.full_name,
            "contract": contract.pk if contract else None,
        },
    )
    return intervention


@dataclass(frozen=True, slots=True)
class BulkAssignment:
    assigned: int
    refused: list[tuple[Intervention, list[str]]]


@transaction.atomic
def assign_usual_worker(order: Order, *, today: date, by: User) -> BulkAssignment:
    """Assign the order's usual worker to its future interventions still without a worker.

    Each intervention goes through the same checks as :func:`assign_worker`, in date order, so
    the hours assigned earlier in the loop count for the weekly ceilings of later ones.
    """
    worker = order.usual_worker
    if worker is None:
        return BulkAssignment(assigned=0, refused=[])
    _lock_worker(worker)
    assigned = 0
    refused: list[tuple[Intervention, list[str]]] = []
    pending = (
        order.interventions.filter(
            worker__isnull=True, day__gte=today, status=InterventionStatus.PLANNED
        )
        .select_related("order__client", "order__entity")
        .order_by("start")
    )
    for intervention in pending:
        contract, errors = assignment_check(intervention, worker, today=today)
        if errors:
            refused.append((intervention, errors))
            continue
        intervention.worker = worker
        intervention.contract = contract
        intervention.save(update_fields=["worker", "contract"])
        assigned += 1
    audit.log(
        order,
        "orders.usual_worker_assigned",
        by=by,
        data={"worker": worker.full_name, "assigned": assigned, "refused": len(refused)},
    )
    return BulkAssignment(assigned=assigned, refused=refused)


@transaction.atomic
def add_absence(
    person: Person, *, entity: Entity, kind: AbsenceKind, start: date, end: date, by: User
) -> Absence:
    """Record that ``person`` is not available from ``start`` to ``end`` (reason code only)."""
    absence = Absence.objects.create(
        person=person, entity=entity, kind=kind, start=start, end=end, created_by=by
    )
    audit.log(
        person,
        "orders.absence_added",
        by=by,
        entity=entity,
        data={"kind": kind, "start": start.isoformat(), "end": end.isoformat()},
    )
    return absence
