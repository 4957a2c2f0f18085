from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.core.models import AuditEntry
from tremplin.organisations.tests.factories import EntityFactory
from tremplin.pathways import actions, rules
from tremplin.pathways.models import (
    AppointmentKind,
    BarrierTheme,
    DiagnosisAuthor,
    Exit,
    HealthCategory,
    PathwayStep,
    TaskStatus,
    TrainingKind,
)
from tremplin.pathways.rules import AdministrativeCriterion as C
from tremplin.pathways.rules import (
    ExitCategory,
    ExitReason,
    ProlongationReason,
    SiaeKind,
    SuspensionReason,
)
from tremplin.pathways.tests.factories import PassIaeFactory, PathwayStepFactory
from tremplin.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

SECRET = "Information confidentielle"


@pytest.fixture
def world() -> dict[str, Any]:
    entity = EntityFactory(association=True)
    person = PersonFactory(entity=entity)
    cip = user_with_role(Role.CIP, entity)
    return {"entity": entity, "person": person, "cip": cip}


def _objective(w: dict[str, Any]) -> Any:
    return actions.add_objective(
        w["person"],
        entity=w["entity"],
        title=SECRET,
        theme="",
        owner=w["cip"],
        due_on=None,
        by=w["cip"],
    )


# Each action and how to call it; every one must leave exactly one audit entry.
ACTIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "record_diagnosis": lambda w: actions.record_diagnosis(
        w["person"],
        entity=w["entity"],
        siae_kind=SiaeKind.AI,
        author_kind=DiagnosisAuthor.EMPLOYER,
        prescriber_name="",
        made_on=date(2026, 3, 2),
        criteria={C.RSA: None, C.QPV: None},
        by=w["cip"],
    ),
    "record_pass": lambda w: actions.record_pass(
        w["person"],
        entity=w["entity"],
        number="999992600001",
        start=date(2026, 3, 2),
        end=date(2028, 3, 1),
        diagnosis=None,
        by=w["cip"],
    ),
    "suspend_pass": lambda w: actions.suspend_pass(
        PassIaeFactory(person=w["person"]),
        entity=w["entity"],
        start=date(2026, 2, 1),
        end=date(2026, 2, 28),
        reason=SuspensionReason.CONTRACT_SUSPENDED,
        by=w["cip"],
    ),
    "prolong_pass": lambda w: actions.prolong_pass(
        PassIaeFactory(person=w["person"]),
        entity=w["entity"],
        start=date(2027, 1, 5),
        end=date(2028, 1, 5),
        reason=ProlongationReason.RQTH,
        prescriber_name="Cap emploi",
        report=None,
        by=w["cip"],
    ),
    "record_exit": lambda w: actions.record_exit(
        PathwayStepFactory(person=w["person"]),
        exit_on=date(2026, 2, 27),
        reason=ExitReason.CDI,
        hours_worked=Decimal(400),
        employer="",
        by=w["cip"],
    ),
    "record_follow_up": lambda w: actions.record_follow_up(
        actions.record_exit(
            PathwayStepFactory(person=w["person"]),
            exit_on=date(2025, 6, 30),
            reason=ExitReason.TRAINING,
            hours_worked=Decimal(200),
            employer="",
            by=None,
        ).follow_ups.first(),
        done_on=date(2025, 10, 1),
        situation=ExitReason.CDI,
        comment=SECRET,
        by=w["cip"],
    ),
    "assess_barriers": lambda w: actions.assess_barriers(
        w["person"],
        entity=w["entity"],
        assessed_on=date(2026, 3, 2),
        barriers=[
            (BarrierTheme.HEALTH, 2, HealthCategory.NO_COVER, ""),
            (BarrierTheme.HOUSING, 3, "", SECRET),
        ],
        by=w["cip"],
    ),
    "add_objective": _objective,
    "add_action": lambda w: actions.add_action(
        _objective(w), title=SECRET, owner=w["cip"], due_on=None, by=w["cip"]
    ),
    "change_objective_status": lambda w: actions.change_objective_status(
        _objective(w), status=TaskStatus.IN_PROGRESS, by=w["cip"]
    ),
    "change_action_status": lambda w: actions.change_action_status(
        actions.add_action(_objective(w), title=SECRET, owner=w["cip"], due_on=None, by=w["cip"]),
        status=TaskStatus.DONE,
        by=w["cip"],
    ),
    "log_appointment": lambda w: actions.log_appointment(
        w["person"],
        entity=w["entity"],
        held_on=date(2026, 3, 2),
        kind=AppointmentKind.INDIVIDUAL,
        notes=SECRET,
        by=w["cip"],
    ),
    "add_training": lambda w: actions.add_training(
        w["person"],
        entity=w["entity"],
        kind=TrainingKind.PMSMP,
        title="Immersion",
        organisation="Boulangerie",
        start=date(2026, 3, 2),
        end=None,
        rome=None,
        completed=False,
        certification="",
        by=w["cip"],
    ),
}


AUDIT_CODES = {
    "record_diagnosis": "pathways.diagnosis_recorded",
    "record_pass": "pathways.pass_recorded",
    "suspend_pass": "pathways.pass_suspended",
    "prolong_pass": "pathways.pass_prolonged",
    "record_exit": "pathways.exit_recorded",
    "record_follow_up": "pathways.follow_up_recorded",
    "assess_barriers": "pathways.barriers_assessed",
    "add_objective": "pathways.objective_added",
    "add_action": "pathways.action_added",
    "change_objective_status": "pathways.objective_status_changed",
    "change_action_status": "pathways.action_status_changed",
    "log_appointment": "pathways.appointment_logged",
    "add_training": "pathways.training_added",
}


def test_every_action_of_the_module_is_exercised() -> None:
    import inspect

    public = {
        name
        for name, f in inspect.getmembers(actions, inspect.isfunction)
        if not name.startswith("_") and f.__module__ == actions.__name__
    }
    assert public == set(ACTIONS) == set(AUDIT_CODES)


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_action_writes_one_audit_entry_without_confidential_text(
    world: dict[str, Any], name: str
) -> None:
    # Actions used to prepare the object under test write their own entries: count the last.
    ACTIONS[name](world)
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry is not None and entry.action == AUDIT_CODES[name]
    assert entry.actor == world["cip"]
    assert entry.data["person"] == world["person"].pk
    assert SECRET not in str(entry.data)
    preparation = {"add_action": 1, "change_objective_status": 1, "change_action_status": 2}
    expected = 1 + preparation.get(name, 0) + (1 if name == "record_follow_up" else 0)
    assert AuditEntry.objects.count() == expected


def test_exit_closes_the_step_and_plans_follow_ups(world: dict[str, Any]) -> None:
    step = PathwayStepFactory(person=world["person"], started_on=date(2025, 8, 31))
    exit_ = actions.record_exit(
        step,
        exit_on=date(2025, 8, 31),
        reason=ExitReason.DEATH,
        hours_worked=Decimal(10),
        employer="",
        by=world["cip"],
    )
    step.refresh_from_db()
    assert step.ended_on == date(2025, 8, 31)
    assert exit_.step == step and exit_.entity == step.entity
    assert exit_.category == ExitCategory.WITHDRAWN
    assert [f.due_on for f in exit_.follow_ups.all()] == [date(2025, 11, 30), date(2026, 2, 28)]


@pytest.mark.parametrize(
    ("kind", "started_on", "exit_on", "hours", "counted"),
    [
        pytest.param(
            "AI", date(2025, 1, 6), date(2026, 2, 27), "149.99", False, id="ai_below_150h"
        ),
        pytest.param("ETTI", date(2025, 1, 6), date(2026, 2, 27), "150", True, id="etti_at_150h"),
        pytest.param("ACI", date(2025, 12, 1), date(2026, 2, 27), None, False, id="aci_2_9_months"),
        pytest.param("EI", date(2025, 12, 1), date(2026, 2, 28), None, True, id="ei_3_months"),
        pytest.param("EITI", date(2024, 1, 1), date(2026, 2, 28), "900", False, id="eiti_no_rule"),
    ],
)
def test_exit_counting(
    world: dict[str, Any],
    kind: str,
    started_on: date,
    exit_on: date,
    hours: str | None,
    counted: bool,
) -> None:
    step = PathwayStepFactory(person=world["person"], siae_kind=kind, started_on=started_on)
    exit_ = actions.record_exit(
        step,
        exit_on=exit_on,
        reason=ExitReason.SHORT_FIXED_TERM,
        hours_worked=Decimal(hours) if hours else None,
        employer="",
        by=world["cip"],
    )
    assert Exit.objects.get(pk=exit_.pk).counted is counted
    assert exit_.contract_months == rules.insertion_months([(started_on, exit_on)], exit_on)
    # Hours decide for AI and ETTI only; they are not kept for the other kinds.
    assert exit_.hours_worked == (Decimal(hours) if kind in {"AI", "ETTI"} and hours else 0)


def test_a_forbidden_transition_raises_and_changes_nothing(world: dict[str, Any]) -> None:
    objective = _objective(world)
    actions.change_objective_status(objective, status=TaskStatus.ABANDONED, by=world["cip"])
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError, match="n'est pas possible"):
        actions.change_objective_status(objective, status=TaskStatus.DONE, by=world["cip"])
    objective.refresh_from_db()
    assert objective.status == TaskStatus.ABANDONED
    assert AuditEntry.objects.count() == before


def test_barriers_keep_health_as_a_category_only(world: dict[str, Any]) -> None:
    assessment = actions.assess_barriers(
        world["person"],
        entity=world["entity"],
        assessed_on=date(2026, 3, 2),
        barriers=[
            (BarrierTheme.HEALTH, 1, HealthCategory.WORK_CAPACITY, ""),
            (BarrierTheme.MOBILITY, 1, HealthCategory.WORK_CAPACITY, "Pas de voiture"),
        ],
        by=world["cip"],
    )
    by_theme = {b.theme: b for b in assessment.barriers.all()}
    assert by_theme["health"].health_category == HealthCategory.WORK_CAPACITY
    assert by_theme["mobility"].health_category == ""
    assert assessment.assessed_by == world["cip"]


def test_open_steps_queryset(world: dict[str, Any]) -> None:
    open_step = PathwayStepFactory(person=world["person"], started_on=date(2026, 1, 1))
    PathwayStepFactory(
        person=world["person"], started_on=date(2025, 1, 1), ended_on=date(2025, 12, 31)
    )
    PathwayStepFactory(person=world["person"], started_on=date(2026, 4, 1))
    assert list(PathwayStep.objects.open_on(date(2026, 3, 2))) == [open_step]
    assert PathwayStep.objects.open_on(date(2025, 12, 31)).count() == 1
