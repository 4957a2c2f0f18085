"""From the database to the planning problem of one entity for one week.

:func:`load_week` reads, in a fixed number of queries whatever the size of the week:

- the entity's planned interventions of the week, each with its site's coordinates (the
  order's site, else the client's first site that has coordinates), the habilitations the
  client requires, the usual worker of the order, and whether it is a mise à disposition to an
  employer (counted in the 480 h cap);
- the workers: people with a contract of the entity running in the week, each with the days
  it runs, the point their day starts from (``WorkerHome``, else the entity's head office),
  the habilitations valid all week, absences (in any entity: the orders' checks read them all),
  the interventions they already have elsewhere in the group (busy times, hours counted against
  the weekly ceilings), the contract's bounds for the week and what is left under the MAD cap;
- the planner's locks on the week's interventions.

Interventions no worker may take whatever the plan (a placement with a client under the
economic-dismissal ban, a lock for someone without a contract this week) are set aside with
their reason instead of being given to the engine. The checks mirror
:func:`tremplin.orders.actions.assignment_check`, so that an accepted proposal passes them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q

from tremplin.clients.models import ClientRequirement, ClientSite
from tremplin.clients.rules import ClientKind
from tremplin.contracts import rules as contract_rules
from tremplin.contracts.models import Contract, Habilitation
from tremplin.contracts.rules import ContractKind, PostType
from tremplin.core.dates import format_date
from tremplin.missions.models import MadDerogation
from tremplin.missions.models import Placement as MissionPlacement
from tremplin.missions.rules import PLACEMENT_CONTRACT_KINDS
from tremplin.orders.models import Absence, Intervention, InterventionStatus, OrderKind
from tremplin.orders.rules import MAX_WEEKLY_HOURS, ServiceKind
from tremplin.organisations.models import Entity, Site
from tremplin.people.models import Person
from tremplin.planning import rules
from tremplin.planning.models import PlanningLock, UnservedReason, WorkerHome
from tremplin.planning.problem import (
    DAILY_MAX_MINUTES,
    Interval,
    Location,
    Lock,
    Visit,
    Week,
    Worker,
    to_minute,
)

# The skill a worker needs for a placement: a CDDU or CDDUA of the association (art. L5132-7).
PLACEMENT_SKILL = ServiceKind.PLACEMENT.value


class LoaderError(Exception):
    """The week cannot be planned as the data stands; the message says what to fix, in French."""


@dataclass(frozen=True, slots=True)
class SetAside:
    """An intervention no worker may take this week, whatever the plan."""

    intervention_id: int
    reason: UnservedReason
    message: str


@dataclass(frozen=True, slots=True)
class WorkerFacts:
    """What the pages show about a worker besides the problem: the contract's bounds, whether
    the starting point is the worker's own, the minutes of the current plan."""

    person: Person
    bounds: rules.WeekBounds
    home_known: bool
    is_insertion: bool
    current_minutes: int


@dataclass(frozen=True, slots=True)
class LoadedWeek:
    week: Week
    set_aside: tuple[SetAside, ...]
    workers: dict[int, WorkerFacts]
    interventions: dict[int, Intervention]
    """Every planned intervention of the week: the visits and those set aside."""
    current: dict[int, int | None] = field(default_factory=dict)
    """Worker of each intervention in the current plan (``None`` when unassigned)."""


def _location(latitude: Decimal | None, longitude: Decimal | None) -> Location | None:
    if latitude is None or longitude is None:
        return None
    return Location(float(latitude), float(longitude))


def _contract_end(contract: Contract) -> date | None:
    return contract.actual_end or contract.planned_end


def _runs_on(contract: Contract, day: date) -> bool:
    end = _contract_end(contract)
    return contract.start <= day and (end is None or day <= end)


def load_week(entity: Entity, monday: date) -> LoadedWeek:
    """The planning problem of ``entity`` for the week starting on ``monday``."""
    if monday.weekday() != 0:
        raise ValueError("A planning week starts on a Monday.")
    sunday = monday + timedelta(days=6)
    days = [monday + timedelta(days=n) for n in range(7)]

    interventions = list(
        Intervention.objects.filter(
            entity=entity, day__range=(monday, sunday), status=InterventionStatus.PLANNED
        )
        .select_related("order__client", "order__site", "order__service")
        .order_by("start", "pk")
    )
    client_ids = {i.order.client_id for i in interventions}
    client_sites: dict[int, ClientSite] = {}
    for client_site in ClientSite.objects.filter(
        client_id__in=client_ids, latitude__isnull=False, longitude__isnull=False
    ).order_by("name", "pk"):
        client_sites.setdefault(client_site.client_id, client_site)
    required: dict[int, set[str]] = defaultdict(set)
    for client_id, kind in ClientRequirement.objects.filter(client_id__in=client_ids).values_list(
        "client_id", "habilitation"
    ):
        required[client_id].add(kind)

    # Workers: one row per person, bounds read from the contract that started last.
    contracts = list(
        Contract.objects.filter(entity=entity)
        .running_between(monday, sunday)
        .select_related("person")
        .order_by("person_id", "-start", "-pk")
    )
    by_person: dict[int, list[Contract]] = defaultdict(list)
    for contract in contracts:
        by_person[contract.person_id].append(contract)
    person_ids = list(by_person)
    visit_ids = [i.pk for i in interventions]

    elsewhere = list(
        Intervention.objects.filter(worker_id__in=person_ids, day__range=(monday, sunday))
        .exclude(status=InterventionStatus.CANCELLED)
        .exclude(pk__in=visit_ids)
        .values_list("worker_id", "contract_id", "start", "end", "planned_hours")
    )
    absences = Absence.objects.filter(
        person_id__in=person_ids, start__lte=sunday, end__gte=monday
    ).values_list("person_id", "start", "end")
    held: dict[int, set[str]] = defaultdict(set)
    for person_id, kind in (
        Habilitation.objects.filter(person_id__in=person_ids)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=sunday))
        .values_list("person_id", "kind")
    ):
        held[person_id].add(kind)
    homes = {
        home.person_id: Location(float(home.latitude), float(home.longitude))
        for home in WorkerHome.objects.filter(entity=entity, person_id__in=person_ids)
    }
    office = (
        Site.objects.filter(entity=entity, latitude__isnull=False, longitude__isnull=False)
        .order_by("-is_head_office", "name", "pk")
        .first()
    )
    office_location = _location(office.latitude, office.longitude) if office else None
    if office_location is None and any(pk not in homes for pk in person_ids):
        raise LoaderError(
            f"Point de départ des tournées : {entity.name} n'a aucun site avec des coordonnées "
            "et certains intervenants n'ont pas de point de départ connu ; renseignez la "
            "latitude et la longitude du siège."
        )

    placements = any(i.order.kind == OrderKind.PLACEMENT for i in interventions)
    mad_left = _mad_minutes_left(entity, person_ids, visit_ids, monday) if placements else {}

    busy: dict[int, list[Interval]] = defaultdict(list)
    group_hours: dict[int, Decimal] = defaultdict(Decimal)
    same_contract_hours: dict[int, Decimal] = defaultdict(Decimal)
    for worker_id, contract_id, busy_start, busy_end, hours in elsewhere:
        interval = rules.busy_interval(busy_start, busy_end, monday)
        if interval is not None:
            busy[worker_id].append(interval)
        group_hours[worker_id] += hours
        if contract_id == by_person[worker_id][0].pk:
            same_contract_hours[worker_id] += hours
    for person_id, first, last in absences:
        busy[person_id].extend(rules.absence_intervals([(first, last)], monday))

    current_minutes: dict[int, int] = defaultdict(int)
    for intervention in interventions:
        if intervention.worker_id is not None:
            current_minutes[intervention.worker_id] += _duration(intervention)

    legal_max = MAX_WEEKLY_HOURS.on(monday)
    working_day = rules.WORKING_DAY.on(monday)
    daily_max = DAILY_MAX_MINUTES.on(monday)
    workers: list[Worker] = []
    facts: dict[int, WorkerFacts] = {}
    for person_id, person_contracts in by_person.items():
        contract = person_contracts[0]
        person = contract.person
        bounds = rules.week_bounds(
            kind=ContractKind(contract.kind),
            weekly_hours=contract.weekly_hours,
            monthly_hours=contract.monthly_hours,
            legal_max_hours=legal_max,
            same_contract_hours=same_contract_hours[person_id],
            group_hours=group_hours[person_id],
        )
        contract_days = [
            n for n, day in enumerate(days) if any(_runs_on(c, day) for c in person_contracts)
        ]
        can_be_placed = any(c.kind in PLACEMENT_CONTRACT_KINDS for c in person_contracts)
        is_insertion = contract.post_type == PostType.INSERTION
        home = homes.get(person_id)
        workers.append(
            Worker(
                id=person_id,
                name=person.full_name,
                home=home or office_location,  # type: ignore[arg-type]
                availability=rules.availability(contract_days, working_day),
                daily_max_minutes=daily_max,
                weekly_max_minutes=bounds.max_minutes,
                weekly_target_minutes=bounds.target_minutes,
                weekly_min_minutes=bounds.min_minutes,
                absences=rules.merge_intervals(busy[person_id]),
                skills=frozenset({PLACEMENT_SKILL}) if can_be_placed else frozenset(),
                habilitations=frozenset(held[person_id]),
                is_insertion=is_insertion,
                mad_cap_minutes=mad_left.get(person_id) if placements else None,
            )
        )
        facts[person_id] = WorkerFacts(
            person=person,
            bounds=bounds,
            home_known=home is not None,
            is_insertion=is_insertion,
            current_minutes=current_minutes[person_id],
        )

    locks = {
        lock.intervention_id: lock
        for lock in PlanningLock.objects.filter(
            entity=entity, intervention_id__in=visit_ids
        ).select_related("worker")
    }
    visits: list[Visit] = []
    set_aside: list[SetAside] = []
    kept_locks: list[Lock] = []
    for intervention in interventions:
        order = intervention.order
        client = order.client
        placement = order.kind == OrderKind.PLACEMENT
        if placement and contract_rules.economic_dismissal_blocks(
            client.economic_dismissal_on, intervention.day
        ):
            assert client.economic_dismissal_on is not None
            ban_end = contract_rules.economic_dismissal_ban_end(client.economic_dismissal_on)
            set_aside.append(
                SetAside(
                    intervention.pk,
                    UnservedReason.ECONOMIC_DISMISSAL,
                    f"{client.name} a procédé à un licenciement économique le "
                    f"{format_date(client.economic_dismissal_on)} : aucune mise à disposition "
                    f"chez ce client jusqu'au {format_date(ban_end)} (6 mois, domain.md §1.4).",
                )
            )
            continue
        lock = locks.get(intervention.pk)
        if lock is not None and lock.worker_id not in facts:
            set_aside.append(
                SetAside(
                    intervention.pk,
                    UnservedReason.LOCKED_WORKER,
                    f"Intervention verrouillée pour {lock.worker.full_name}, qui n'a pas de "
                    f"contrat avec {entity.name} cette semaine : retirez le verrou ou "
                    "choisissez un autre intervenant.",
                )
            )
            continue
        if lock is not None:
            kept_locks.append(Lock(visit_id=intervention.pk, worker_id=lock.worker_id))
        site = order.site if order.site_id else client_sites.get(client.pk)
        start = to_minute(intervention.start, monday)
        visits.append(
            Visit(
                id=intervention.pk,
                client_id=client.pk,
                location=_location(site.latitude, site.longitude) if site else None,
                earliest_start=start,
                latest_start=start,
                duration=_duration(intervention),
                required_skills=frozenset({PLACEMENT_SKILL}) if placement else frozenset(),
                required_habilitations=frozenset(required[client.pk]),
                usual_worker_id=order.usual_worker_id,
                counts_toward_mad_cap=placement
                and contract_rules.mad_cap_applies(ClientKind(client.kind)),
                label=f"{client.name} — {order.service.name}",
            )
        )

    week = Week(
        entity_id=entity.pk,
        monday=monday,
        workers=tuple(workers),
        visits=tuple(visits),
        locks=tuple(kept_locks),
    )
    return LoadedWeek(
        week=week,
        set_aside=tuple(set_aside),
        workers=facts,
        interventions={i.pk: i for i in interventions},
        current={i.pk: i.worker_id for i in interventions},
    )


def _duration(intervention: Intervention) -> int:
    """Minutes actually elapsed on site (a night across a clock change included)."""
    return int((intervention.end - intervention.start).total_seconds() // 60)


def _mad_minutes_left(
    entity: Entity, person_ids: list[int], visit_ids: list[int], monday: date
) -> dict[int, int | None]:
    """Minutes each worker may still be placed with employers this week (480 h cap).

    Counted as :func:`tremplin.orders.actions.mad_cap_message` counts them: the worker's mission
    orders with this association and its placement interventions, less those of the week being
    planned (the plan replaces them).
    """
    counted: dict[int, list[contract_rules.Placement]] = defaultdict(list)
    for placement in MissionPlacement.objects.filter(
        contract__person_id__in=person_ids, contract__entity=entity
    ).select_related("contract", "client"):
        counted[placement.contract.person_id].append(placement.as_rule())
    others = (
        Intervention.objects.filter(
            worker_id__in=person_ids, entity=entity, order__kind=OrderKind.PLACEMENT
        )
        .exclude(status=InterventionStatus.CANCELLED)
        .exclude(pk__in=visit_ids)
        .values_list("worker_id", "day", "planned_hours", "order__client__kind")
    )
    for worker_id, day, hours, kind in others:
        if hours > 0:
            counted[worker_id].append(
                contract_rules.Placement(start=day, hours=hours, client_kind=ClientKind(kind))
            )
    derogations = MadDerogation.objects.filter(entity=entity).ranges()
    return {
        person_id: rules.mad_minutes_left(
            counted[person_id], monday=monday, derogations=derogations
        )
        for person_id in person_ids
    }
