"""Running the planning engine on a week, accepting its proposal, locking assignments.

``run_planning`` runs in the background (``tasks.run_planning_task``) or from ``manage.py
plan_week``. It writes its progress to the ``PlanningRun`` row outside any transaction, so the
page polling it sees it at once, then saves the whole proposal in one transaction. Accepting
goes through :func:`tremplin.orders.actions.assign_worker` for every changed intervention, so
every check of the orders still applies, after the independent checker has accepted the
resulting plan.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tremplin.core import audit
from tremplin.core.dates import format_date
from tremplin.orders.actions import AssignmentRefused, assign_worker
from tremplin.orders.models import Intervention
from tremplin.planning import checker, engine, loader, rules
from tremplin.planning.models import (
    PlanningLock,
    PlanningRun,
    ProposedAssignment,
    RunRoute,
    RunStatus,
    RunWorker,
    UnservedIntervention,
    UnservedReason,
    WorkerHome,
)
from tremplin.planning.problem import (
    Assignment,
    Location,
    Plan,
    Reason,
    Unserved,
    Violation,
    to_datetime,
    to_minute,
)
from tremplin.planning.travel import SpeedModel, TravelModel

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity
    from tremplin.people.models import Person

# Called with the percent done and a French step label (the command's display).
Progress = Callable[[int, str], None]

# Travel times from coordinates (docs/algorithms/planning.md).
TRAVEL: TravelModel = SpeedModel()

# A run still queued or running this long after its time limit is taken as abandoned (its
# worker stopped): a new run of the same week may start.
ABANDONED_AFTER = timedelta(minutes=10)

# Share of the progress bar before and after the engine's own search.
LOADED_PERCENT = 10
SOLVED_PERCENT = 90
COORDINATES = Decimal("0.000001")


# --- Starting and running ------------------------------------------------------------------


def _is_alive(run: PlanningRun) -> bool:
    deadline = run.created_at + timedelta(seconds=run.seconds) + ABANDONED_AFTER
    return run.is_running and timezone.now() < deadline


@transaction.atomic
def start_run(
    entity: Entity,
    *,
    week: date,
    seconds: int,
    by: User | None,
    run_in_background: bool = True,
) -> PlanningRun:
    """Queue a run of the engine on the week of ``entity`` starting on ``week`` (a Monday).

    Refused while another run of the same week is queued or running. The run reads the
    planner's locks when it starts, so a new run after locking keeps them ("Relancer").
    """
    if week.weekday() != 0:
        raise ValueError("A planning week starts on a Monday.")
    # One run at a time per entity: the entity row is the lock.
    type(entity).objects.select_for_update().only("pk").get(pk=entity.pk)
    running = [
        run
        for run in PlanningRun.objects.filter(
            entity=entity, week=week, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        )
        if _is_alive(run)
    ]
    if running:
        raise ValidationError(
            f"Un calcul de la semaine du {format_date(week)} est déjà en cours pour "
            f"{entity.name} : attendez qu'il se termine."
        )
    run = PlanningRun.objects.create(
        entity=entity,
        week=week,
        seconds=seconds,
        started_by=by,
        step="En attente de traitement",
    )
    audit.log(
        run,
        "planning.run_started",
        by=by,
        data={"week": week.isoformat(), "seconds": seconds},
    )
    if run_in_background:
        from tremplin.planning.tasks import run_planning_task

        run_id = run.pk
        transaction.on_commit(lambda: run_planning_task.enqueue(run_id))
    return run


class _Reporter:
    """Writes the progress to the run's row (only when it changes) and to ``progress``."""

    def __init__(self, run: PlanningRun, progress: Progress | None) -> None:
        self.run = run
        self.progress = progress
        self.last: tuple[int, str] | None = None

    def __call__(self, percent: int, step: str) -> None:
        # The bar never goes back, even when a stage reports less than the one before.
        percent = max(percent, self.last[0] if self.last else 0)
        step = step[:200]
        if (percent, step) == self.last:
            return
        self.last = (percent, step)
        PlanningRun.objects.filter(pk=self.run.pk).update(progress=percent, step=step)
        self.run.progress, self.run.step = percent, step
        if self.progress is not None:
            self.progress(percent, step)

    def engine(self, fraction: float, step: str) -> None:
        share = min(max(fraction, 0.0), 1.0)
        self(LOADED_PERCENT + int(share * (SOLVED_PERCENT - LOADED_PERCENT)), step)


def run_planning(
    run: PlanningRun, *, progress: Progress | None = None, seed: int = 0
) -> PlanningRun:
    """Load the week, run the engine, check its plan and save the proposal on ``run``.

    A run already done, accepted or failed is left as it is. Bad data the planner can fix (no
    starting point for the routes) fails the run with a French message; any other error fails
    it too, and is raised again for the logs.
    """
    run.refresh_from_db()
    if not run.is_running:
        return run
    report = _Reporter(run, progress)
    PlanningRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), error=""
    )
    run.status = RunStatus.RUNNING
    try:
        report(2, "Lecture des interventions et des intervenants de la semaine")
        loaded = loader.load_week(run.entity, run.week)
        week = loaded.week
        report(
            LOADED_PERCENT,
            f"{len(week.visits)} intervention(s) et {len(week.workers)} intervenant(s) à planifier",
        )
        if week.visits:
            plan = engine.solve(
                week,
                travel=TRAVEL,
                seconds=run.seconds,
                progress=report.engine,
                seed=seed,
            )
        else:
            plan = Plan(routes=(), unserved=())
        report(SOLVED_PERCENT, "Vérification indépendante de la proposition")
        findings = checker.check(week, plan, TRAVEL)
        _save_proposal(run, loaded, plan, findings)
    except loader.LoaderError as exc:
        _fail(run, str(exc))
        return run
    except Exception as exc:
        _fail(run, f"Erreur inattendue pendant le calcul : {exc}")
        raise
    if progress is not None:
        progress(100, run.step)
    return run


def _fail(run: PlanningRun, message: str) -> None:
    with transaction.atomic():
        PlanningRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=message, step="Échec", finished_at=timezone.now()
        )
        run.status, run.error, run.step = RunStatus.FAILED, message, "Échec"
        audit.log(run, "planning.run_failed", by=run.started_by, data={"error": message})


def _coordinate(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(COORDINATES)


def _no_location_message(intervention: Intervention) -> str:
    order = intervention.order
    where = f"le lieu « {order.site.name} »" if order.site else "aucun lieu d'intervention"
    return (
        f"Adresse sans coordonnées : {order.client.name} n'a {where} avec une latitude et une "
        "longitude ; renseignez-les dans la fiche du client pour que le moteur calcule les "
        "trajets."
    )


@transaction.atomic
def _save_proposal(
    run: PlanningRun, loaded: loader.LoadedWeek, plan: Plan, findings: list[Violation]
) -> None:
    week = loaded.week
    monday = week.monday
    visits = week.visits_by_id()
    locked = {lock.visit_id for lock in week.locks}
    proposed: list[ProposedAssignment] = []
    routes: list[RunRoute] = []
    travel_by_worker: dict[int, int] = {}
    for route in plan.routes:
        previous: Location = route.start
        for position, stop in enumerate(route.stops):
            location = visits[stop.visit_id].location
            assert location is not None  # the engine routes located visits only
            current = loaded.current.get(stop.visit_id)
            proposed.append(
                ProposedAssignment(
                    run=run,
                    intervention_id=stop.visit_id,
                    worker_id=stop.worker_id,
                    previous_worker_id=current,
                    start=to_datetime(stop.start, monday),
                    end=to_datetime(stop.end, monday),
                    position=position,
                    travel_minutes=TRAVEL.minutes(previous, location),
                    latitude=_coordinate(location.lat),
                    longitude=_coordinate(location.lon),
                    changed=current != stop.worker_id,
                    locked=stop.visit_id in locked,
                )
            )
            previous = location
        if route.stops:
            routes.append(
                RunRoute(
                    run=run,
                    person_id=route.worker_id,
                    day=monday + timedelta(days=route.day),
                    leave=to_datetime(route.leave, monday),
                    back=to_datetime(route.back, monday),
                    travel_minutes=route.travel_minutes,
                )
            )
            travel_by_worker[route.worker_id] = (
                travel_by_worker.get(route.worker_id, 0) + route.travel_minutes
            )
    unserved = [
        UnservedIntervention(
            run=run,
            intervention_id=item.visit_id,
            reason=UnservedReason(item.reason.value),
            message=_no_location_message(loaded.interventions[item.visit_id])
            if item.reason == Reason.NO_LOCATION
            else item.message,
        )
        for item in plan.unserved
    ]
    unserved += [
        UnservedIntervention(
            run=run, intervention_id=item.intervention_id, reason=item.reason, message=item.message
        )
        for item in loaded.set_aside
    ]
    minutes = plan.minutes_by_worker()
    homes = week.workers_by_id()
    workers = [
        RunWorker(
            run=run,
            person_id=person_id,
            min_hours=rules.minutes_to_hours(facts.bounds.min_minutes),
            target_hours=rules.minutes_to_hours(facts.bounds.target_minutes),
            max_hours=rules.minutes_to_hours(facts.bounds.max_minutes),
            planned_hours=rules.minutes_to_hours(minutes.get(person_id, 0)),
            current_hours=rules.minutes_to_hours(facts.current_minutes),
            travel_minutes=travel_by_worker.get(person_id, 0),
            home_latitude=_coordinate(homes[person_id].home.lat),
            home_longitude=_coordinate(homes[person_id].home.lon),
            home_is_known=facts.home_known,
            is_insertion=facts.is_insertion,
        )
        for person_id, facts in loaded.workers.items()
    ]
    RunWorker.objects.bulk_create(workers)
    ProposedAssignment.objects.bulk_create(proposed)
    RunRoute.objects.bulk_create(routes)
    UnservedIntervention.objects.bulk_create(unserved)

    run.status = RunStatus.DONE
    run.progress = 100
    run.step = "Proposition prête"
    run.finished_at = timezone.now()
    run.visit_count = len(loaded.interventions)
    run.served_count = len(proposed)
    run.unserved_count = len(unserved)
    run.changed_count = sum(1 for p in proposed if p.changed)
    run.locked_count = len(locked)
    run.travel_minutes = plan.travel_minutes()
    run.planned_hours = rules.minutes_to_hours(sum(minutes.values()))
    run.solve_seconds = Decimal(str(round(plan.seconds, 2)))
    run.findings = [
        {"rule": str(v.rule), "message": v.message, "blocking": v.blocking} for v in findings
    ]
    run.save()
    audit.log(
        run,
        "planning.run_done",
        by=run.started_by,
        data={
            "served": run.served_count,
            "unserved": run.unserved_count,
            "changed": run.changed_count,
            "travel_minutes": run.travel_minutes,
            "blocking_findings": sum(1 for v in findings if v.blocking),
        },
    )


# --- Accepting -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Acceptance:
    accepted: int
    """Rows accepted (changed or not)."""
    changed: int
    """Interventions given to another worker."""


def _label(intervention: Intervention) -> str:
    start = timezone.localtime(intervention.start)
    return f"{intervention.order.client.name}, le {format_date(intervention.day)} à {start:%Hh%M}"


def _check_accepted(loaded: loader.LoadedWeek, rows: list[ProposedAssignment]) -> list[str]:
    """The French reasons the plan resulting from accepting ``rows`` breaks a constraint.

    The plan checked is the current one with ``rows`` applied: accepted interventions go to the
    proposed worker, the others keep their current worker (or none). Only the findings that
    concern an accepted intervention, or a worker who receives one, refuse the acceptance.
    """
    week = loaded.week
    visits = week.visits_by_id()
    workers = week.workers_by_id()
    set_aside = {item.intervention_id: item for item in loaded.set_aside}
    errors: list[str] = []
    chosen: dict[int, ProposedAssignment] = {}
    for row in rows:
        if row.intervention_id in set_aside:
            errors.append(f"{_label(row.intervention)} : {set_aside[row.intervention_id].message}")
        elif row.intervention_id not in visits:
            errors.append(
                f"{_label(row.intervention)} : l'intervention n'est plus à planifier cette "
                "semaine (annulée, réalisée ou déplacée) ; relancez le calcul."
            )
        elif row.worker_id not in workers:
            errors.append(
                f"{_label(row.intervention)} : {row.worker.full_name} n'a plus de contrat en "
                "cours cette semaine ; relancez le calcul."
            )
        else:
            chosen[row.intervention_id] = row
    if errors:
        return errors

    assignments: list[Assignment] = []
    unserved: list[Unserved] = []
    for visit in week.visits:
        accepted = chosen.get(visit.id)
        worker_id = accepted.worker_id if accepted is not None else loaded.current.get(visit.id)
        if worker_id is None or worker_id not in workers or visit.location is None:
            unserved.append(Unserved(visit.id, Reason.CAPACITY, ""))
            continue
        start = (
            to_minute(accepted.start, week.monday) if accepted is not None else visit.earliest_start
        )
        assignments.append(Assignment(visit.id, worker_id, start, start + visit.duration))
    plan = Plan(
        routes=rules.routes_from_assignments(week, assignments, TRAVEL), unserved=tuple(unserved)
    )
    receiving = {
        row.worker_id for row in rows if loaded.current.get(row.intervention_id) != row.worker_id
    }

    return [
        violation.message
        for violation in checker.check(week, plan, TRAVEL)
        if violation.blocking and (violation.visit_id in chosen or violation.worker_id in receiving)
    ]


@transaction.atomic
def accept_proposal(
    run: PlanningRun,
    *,
    assignment_ids: Collection[int] | None,
    today: date,
    by: User,
) -> Acceptance:
    """Apply the proposed assignments ``assignment_ids`` of ``run`` (all not yet accepted when
    ``None``) to the orders.

    Refused (``ValidationError`` in French, nothing written) when a newer run of the week exists,
    when the independent checker finds that the resulting plan breaks a constraint, or when
    the orders' assignment checks refuse one of them (contract, double booking, absence,
    habilitation, weekly hours, MAD cap). The changed interventions are first freed, then each
    is assigned through :func:`tremplin.orders.actions.assign_worker`, in start order.
    """
    run = PlanningRun.objects.select_for_update().select_related("entity").get(pk=run.pk)
    if not run.has_proposal:
        raise ValidationError(
            f"Ce calcul est « {run.get_status_display()} » : il n'a pas de proposition à accepter."
        )
    latest = (
        PlanningRun.objects.filter(entity=run.entity, week=run.week)
        .exclude(status=RunStatus.FAILED)
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is not None and latest.pk != run.pk:
        raise ValidationError(
            "Une proposition plus récente existe pour cette semaine : acceptez-la, ou relancez "
            "le calcul."
        )
    pending = run.assignments.filter(accepted_at__isnull=True).select_related(
        "intervention__order__client", "worker"
    )
    if assignment_ids is not None:
        pending = pending.filter(pk__in=list(assignment_ids))
    rows = list(pending.order_by("start", "pk"))
    if not rows:
        raise ValidationError("Aucune affectation à accepter : cochez au moins une ligne.")

    errors = _check_accepted(loader.load_week(run.entity, run.week), rows)
    if errors:
        raise ValidationError(["Proposition refusée par la vérification : ", *errors])

    changed = [row for row in rows if row.intervention.worker_id != row.worker_id]
    Intervention.objects.filter(pk__in=[row.intervention_id for row in changed]).update(
        worker=None, contract=None
    )
    for row in changed:
        intervention = Intervention.objects.select_related(
            "order__client", "order__entity", "entity"
        ).get(pk=row.intervention_id)
        try:
            assign_worker(intervention, worker=row.worker, today=today, by=by)
        except AssignmentRefused as exc:
            raise ValidationError(
                [f"{_label(intervention)}, {row.worker.full_name} : {e}" for e in exc.errors]
            ) from exc
    now = timezone.now()
    run.assignments.filter(pk__in=[row.pk for row in rows]).update(accepted_at=now)
    run.status = RunStatus.ACCEPTED
    run.accepted_at = now
    run.accepted_by = by
    run.save(update_fields=["status", "accepted_at", "accepted_by"])
    audit.log(
        run,
        "planning.proposal_accepted",
        by=by,
        data={
            "accepted": len(rows),
            "changed": [
                {"intervention": row.intervention_id, "worker": row.worker.full_name}
                for row in changed
            ],
        },
    )
    return Acceptance(accepted=len(rows), changed=len(changed))


# --- Locks ---------------------------------------------------------------------------------


@transaction.atomic
def lock_assignment(row: ProposedAssignment, *, by: User) -> PlanningLock:
    """Keep the proposed worker on this intervention in the next runs of the week."""
    lock, _ = PlanningLock.objects.update_or_create(
        intervention_id=row.intervention_id,
        defaults={"entity_id": row.run.entity_id, "worker": row.worker, "created_by": by},
    )
    audit.log(
        row.run,
        "planning.assignment_locked",
        by=by,
        data={"intervention": row.intervention_id, "worker": row.worker.full_name},
    )
    return lock


@transaction.atomic
def unlock_intervention(lock: PlanningLock, *, run: PlanningRun, by: User) -> None:
    """Let the next runs give this intervention to anyone again."""
    data = {"intervention": lock.intervention_id, "worker": lock.worker.full_name}
    lock.delete()
    audit.log(run, "planning.assignment_unlocked", by=by, data=data)


# --- Starting points -----------------------------------------------------------------------


@transaction.atomic
def set_worker_home(
    entity: Entity,
    person: Person,
    *,
    latitude: Decimal | None,
    longitude: Decimal | None,
    by: User,
) -> WorkerHome | None:
    """Record where ``person``'s days start for ``entity``'s routes; without coordinates, the
    days start from the entity's head office again. The audit entry says that the point
    changed, not where the person lives."""
    if latitude is None or longitude is None:
        WorkerHome.objects.filter(entity=entity, person=person).delete()
        audit.log(person, "planning.worker_home_cleared", by=by, entity=entity)
        return None
    home, _ = WorkerHome.objects.update_or_create(
        entity=entity, person=person, defaults={"latitude": latitude, "longitude": longitude}
    )
    audit.log(person, "planning.worker_home_set", by=by, entity=entity)
    return home
