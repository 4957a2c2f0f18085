from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.closing.tests.factories import AbsenceFactory
from tremplin.core.models import AuditEntry
from tremplin.orders.models import Intervention, InterventionStatus
from tremplin.organisations.models import Site
from tremplin.planning import actions, engine
from tremplin.planning.models import (
    PlanningLock,
    PlanningRun,
    RunStatus,
    UnservedReason,
)
from tremplin.planning.tests.factories import (
    MONDAY,
    PlanningRunFactory,
    ProposedAssignmentFactory,
    intervention,
    located_entity,
    order,
    worker,
)

pytestmark = pytest.mark.django_db

TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)
TODAY = date(2026, 1, 10)


@pytest.fixture
def week() -> dict[str, Any]:
    """Two CDDI workers, three located interventions (one assigned), a planner."""
    entity = located_entity()
    ana = worker(entity, "Ana")
    bruno = worker(entity, "Bruno")
    first = order(entity)
    second = order(entity)
    return {
        "entity": entity,
        "ana": ana,
        "bruno": bruno,
        "tuesday": intervention(first, TUESDAY),
        "wednesday": intervention(second, WEDNESDAY, worker=ana, contract=ana.contracts.get()),
        "afternoon": intervention(first, TUESDAY, time(14)),
        "planner": user_with_role(Role.PLANNER, entity),
    }


def _run(week: dict[str, Any], **kwargs: Any) -> PlanningRun:
    run = actions.start_run(
        week["entity"], week=MONDAY, seconds=1, by=week["planner"], run_in_background=False
    )
    return actions.run_planning(run, **kwargs)


# --- Starting and running ------------------------------------------------------------------


def test_a_run_proposes_every_intervention_once_and_saves_its_figures(
    week: dict[str, Any],
) -> None:
    steps: list[tuple[int, str]] = []
    run = _run(week, progress=lambda percent, step: steps.append((percent, step)))

    assert run.status == RunStatus.DONE
    run.refresh_from_db()
    assert (run.progress, run.step) == (100, "Proposition prête")
    proposed = {a.intervention_id: a for a in run.assignments.all()}
    unserved = set(run.unserved.values_list("intervention_id", flat=True))
    all_ids = {week[k].pk for k in ("tuesday", "wednesday", "afternoon")}
    assert set(proposed) | unserved == all_ids and not set(proposed) & unserved
    assert run.visit_count == 3
    assert run.served_count == len(proposed)
    assert run.changed_count == sum(1 for a in proposed.values() if a.changed)
    for row in proposed.values():
        item = Intervention.objects.get(pk=row.intervention_id)
        assert (row.start, row.end) == (item.start, item.end)
        assert row.previous_worker_id == item.worker_id
        assert row.changed == (item.worker_id != row.worker_id)
    # One route per worker and day worked, with its travel.
    routes = list(run.routes.all())
    assert {(r.person_id, r.day) for r in routes} == {
        (a.worker_id, a.start.date()) for a in proposed.values()
    }
    assert run.travel_minutes == sum(r.travel_minutes for r in routes)
    # Every worker of the week gets their bounds.
    workers = {w.person_id: w for w in run.workers.all()}
    assert set(workers) == {week["ana"].pk, week["bruno"].pk}
    assert workers[week["ana"].pk].max_hours == Decimal(26)
    assert workers[week["ana"].pk].current_hours == Decimal(2)
    assert sum(w.planned_hours for w in workers.values()) == run.planned_hours
    assert run.findings == [f for f in run.findings if not f["blocking"]]
    # Progress is shown from the first step to the end, never going back.
    percents = [p for p, _ in steps]
    assert percents == sorted(percents) and percents[-1] == 100
    assert AuditEntry.objects.filter(action="planning.run_done", object_id=str(run.pk)).exists()


def test_an_intervention_without_coordinates_is_unserved_with_a_clear_reason(
    week: dict[str, Any],
) -> None:
    unlocated = intervention(order(week["entity"], located=False), TUESDAY, time(16))
    run = _run(week)
    row = run.unserved.get(intervention=unlocated)
    assert row.reason == UnservedReason.NO_LOCATION
    assert "n'a le lieu" in row.message and "latitude et une longitude" in row.message
    assert run.unserved_count >= 1


def test_a_lock_is_kept_by_the_next_run(week: dict[str, Any]) -> None:
    first = _run(week)
    row = first.assignments.get(intervention=week["tuesday"])
    other = week["bruno"] if row.worker_id == week["ana"].pk else week["ana"]
    PlanningLock.objects.create(
        entity=week["entity"], intervention=week["tuesday"], worker=other, created_by=None
    )
    again = _run(week)
    kept = again.assignments.get(intervention=week["tuesday"])
    assert kept.worker == other
    assert kept.locked is True
    assert again.locked_count == 1


def test_a_week_without_interventions_gives_an_empty_proposal() -> None:
    entity = located_entity()
    worker(entity, "Seul")
    run = actions.start_run(entity, week=MONDAY, seconds=1, by=None, run_in_background=False)
    run = actions.run_planning(run)
    assert run.status == RunStatus.DONE
    assert (run.visit_count, run.served_count, run.unserved_count) == (0, 0, 0)
    assert run.workers.count() == 1


def test_data_the_planner_must_fix_fails_the_run_with_a_french_message(
    week: dict[str, Any],
) -> None:
    Site.objects.filter(entity=week["entity"]).delete()
    run = _run(week)
    assert run.status == RunStatus.FAILED
    run.refresh_from_db()
    assert "renseignez la latitude et la longitude du siège" in run.error
    assert not run.assignments.exists()
    assert AuditEntry.objects.filter(action="planning.run_failed", object_id=str(run.pk)).exists()


def test_an_unexpected_error_fails_the_run_and_is_raised(
    week: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("panne du moteur")

    monkeypatch.setattr(engine, "solve", broken)
    run = actions.start_run(
        week["entity"], week=MONDAY, seconds=1, by=None, run_in_background=False
    )
    with pytest.raises(RuntimeError):
        actions.run_planning(run)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "Erreur inattendue pendant le calcul : panne du moteur"


def test_a_finished_run_is_not_run_again(week: dict[str, Any]) -> None:
    run = PlanningRunFactory(entity=week["entity"], status=RunStatus.FAILED, error="x")
    assert actions.run_planning(run).status == RunStatus.FAILED
    assert not run.workers.exists()


def test_one_run_at_a_time_per_week_unless_abandoned(week: dict[str, Any]) -> None:
    running = actions.start_run(
        week["entity"], week=MONDAY, seconds=5, by=None, run_in_background=False
    )
    with pytest.raises(ValidationError, match="déjà en cours"):
        actions.start_run(week["entity"], week=MONDAY, seconds=5, by=None)
    # Another week may run meanwhile.
    actions.start_run(week["entity"], week=MONDAY + timedelta(7), seconds=5, by=None)
    # A run left running long past its time limit no longer blocks the week.
    PlanningRun.objects.filter(pk=running.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    assert actions.start_run(week["entity"], week=MONDAY, seconds=5, by=None).pk != running.pk


# --- Accepting -----------------------------------------------------------------------------


def _proposal(week: dict[str, Any], *rows: tuple[Intervention, Any]) -> PlanningRun:
    """A run whose proposal gives each intervention to a worker (as the engine would)."""
    run = PlanningRunFactory(entity=week["entity"])
    for item, person in rows:
        ProposedAssignmentFactory(
            run=run,
            intervention=item,
            worker=person,
            previous_worker=item.worker,
            changed=item.worker_id != person.pk,
        )
    return run


def test_accepting_assigns_through_the_orders_checks_and_audits(week: dict[str, Any]) -> None:
    ana, bruno = week["ana"], week["bruno"]
    run = _proposal(week, (week["tuesday"], ana), (week["wednesday"], bruno))
    result = actions.accept_proposal(run, assignment_ids=None, today=TODAY, by=week["planner"])

    assert (result.accepted, result.changed) == (2, 2)
    tuesday = Intervention.objects.get(pk=week["tuesday"].pk)
    wednesday = Intervention.objects.get(pk=week["wednesday"].pk)
    assert (tuesday.worker, tuesday.contract) == (ana, ana.contracts.get())
    assert (wednesday.worker, wednesday.contract) == (bruno, bruno.contracts.get())
    run.refresh_from_db()
    assert run.status == RunStatus.ACCEPTED and run.accepted_by == week["planner"]
    assert not run.assignments.filter(accepted_at__isnull=True).exists()
    assigned = AuditEntry.objects.filter(action="orders.worker_assigned", actor=week["planner"])
    assert assigned.count() == 2
    entry = AuditEntry.objects.get(action="planning.proposal_accepted", object_id=str(run.pk))
    assert entry.actor == week["planner"] and entry.data["accepted"] == 2


def test_a_swap_between_two_full_weeks_is_accepted(week: dict[str, Any]) -> None:
    """Each worker may take 2 h this week: the changed interventions are freed first."""
    entity = week["entity"]
    cyril = worker(entity, "Cyril", weekly_hours=Decimal(2))
    dora = worker(entity, "Dora", weekly_hours=Decimal(2))
    cyril_now = intervention(order(entity), TUESDAY, time(16), worker=cyril)
    dora_now = intervention(order(entity), WEDNESDAY, time(16), worker=dora)
    run = _proposal(week, (cyril_now, dora), (dora_now, cyril))
    actions.accept_proposal(run, assignment_ids=None, today=TODAY, by=week["planner"])
    assert Intervention.objects.get(pk=cyril_now.pk).worker == dora
    assert Intervention.objects.get(pk=dora_now.pk).worker == cyril


def test_accepting_part_of_the_proposal(week: dict[str, Any]) -> None:
    run = _proposal(week, (week["tuesday"], week["ana"]), (week["afternoon"], week["bruno"]))
    chosen = run.assignments.get(intervention=week["afternoon"])
    result = actions.accept_proposal(
        run, assignment_ids=[chosen.pk], today=TODAY, by=week["planner"]
    )
    assert result.accepted == 1
    assert Intervention.objects.get(pk=week["afternoon"].pk).worker == week["bruno"]
    assert Intervention.objects.get(pk=week["tuesday"].pk).worker is None
    # The rest may be accepted later.
    actions.accept_proposal(run, assignment_ids=None, today=TODAY, by=week["planner"])
    assert Intervention.objects.get(pk=week["tuesday"].pk).worker == week["ana"]


def test_the_checker_refuses_and_nothing_changes(week: dict[str, Any]) -> None:
    # Since the run, Ana has been signed off sick on Tuesday.
    run = _proposal(week, (week["tuesday"], week["ana"]), (week["afternoon"], week["bruno"]))
    AbsenceFactory(person=week["ana"], entity=week["entity"], start=TUESDAY, end=TUESDAY)
    with pytest.raises(ValidationError) as refused:
        actions.accept_proposal(run, assignment_ids=None, today=TODAY, by=week["planner"])
    text = " ".join(refused.value.messages)
    assert "Proposition refusée par la vérification" in text
    assert "absence" in text.lower()
    assert Intervention.objects.get(pk=week["afternoon"].pk).worker is None
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert not run.assignments.filter(accepted_at__isnull=False).exists()


def test_findings_of_workers_the_acceptance_does_not_touch_do_not_block(
    week: dict[str, Any],
) -> None:
    # Bruno was double-booked by hand on Wednesday; accepting Ana on Tuesday is still fine.
    bruno_contract = week["bruno"].contracts.get()
    intervention(order(week["entity"]), WEDNESDAY, time(14), worker=week["bruno"],
                 contract=bruno_contract)  # fmt: skip
    intervention(order(week["entity"]), WEDNESDAY, time(15), worker=week["bruno"],
                 contract=bruno_contract)  # fmt: skip
    run = _proposal(week, (week["tuesday"], week["ana"]))
    actions.accept_proposal(run, assignment_ids=None, today=TODAY, by=week["planner"])
    assert Intervention.objects.get(pk=week["tuesday"].pk).worker == week["ana"]


def test_an_intervention_cancelled_since_the_run_is_refused(week: dict[str, Any]) -> None:
    run = _proposal(week, (week["tuesday"], week["ana"]))
    Intervention.objects.filter(pk=week["tuesday"].pk).update(status=InterventionStatus.CANCELLED)
    with pytest.raises(ValidationError, match="n'est plus à planifier cette semaine"):
        actions.accept_proposal(run, assignment_ids=None, today=TODAY, by=week["planner"])


def test_only_the_latest_proposal_with_rows_left_may_be_accepted(week: dict[str, Any]) -> None:
    old = _proposal(week, (week["tuesday"], week["ana"]))
    PlanningRunFactory(entity=week["entity"])
    with pytest.raises(ValidationError, match="plus récente"):
        actions.accept_proposal(old, assignment_ids=None, today=TODAY, by=week["planner"])
    latest = _proposal(week, (week["tuesday"], week["ana"]))
    with pytest.raises(ValidationError, match="cochez au moins une ligne"):
        actions.accept_proposal(latest, assignment_ids=[], today=TODAY, by=week["planner"])
    running = PlanningRunFactory(entity=week["entity"], running=True)
    with pytest.raises(ValidationError, match="pas de proposition"):
        actions.accept_proposal(running, assignment_ids=None, today=TODAY, by=week["planner"])


def test_the_engine_s_proposal_is_accepted_as_a_whole(week: dict[str, Any]) -> None:
    run = _run(week)
    actions.accept_proposal(run, assignment_ids=None, today=TODAY, by=week["planner"])
    for row in run.assignments.all():
        assert Intervention.objects.get(pk=row.intervention_id).worker_id == row.worker_id


# --- Locks ---------------------------------------------------------------------------------


def test_lock_and_unlock_an_assignment(week: dict[str, Any]) -> None:
    run = _proposal(week, (week["tuesday"], week["ana"]))
    row = run.assignments.get()
    lock = actions.lock_assignment(row, by=week["planner"])
    assert (lock.intervention, lock.worker, lock.entity) == (
        week["tuesday"],
        week["ana"],
        week["entity"],
    )
    # Locking again for someone else moves the lock.
    other = ProposedAssignmentFactory(
        run=PlanningRunFactory(entity=week["entity"]),
        intervention=week["tuesday"],
        worker=week["bruno"],
    )
    actions.lock_assignment(other, by=week["planner"])
    assert PlanningLock.objects.get().worker == week["bruno"]
    actions.unlock_intervention(PlanningLock.objects.get(), run=run, by=week["planner"])
    assert not PlanningLock.objects.exists()
    actions_logged = set(
        AuditEntry.objects.filter(actor=week["planner"]).values_list("action", flat=True)
    )
    assert {"planning.assignment_locked", "planning.assignment_unlocked"} <= actions_logged
