"""An intervention is "réalisée" once hours worked on it are validated (``mark_interventions``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.orders import actions as orders_actions
from tremplin.orders.models import Intervention, InterventionStatus
from tremplin.timesheets import actions
from tremplin.timesheets.models import EntryStatus
from tremplin.timesheets.tests.factories import InterventionFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    intervention = InterventionFactory()
    entity = intervention.entity
    entry = TimeEntryFactory(
        entity=entity,
        person=intervention.worker,
        client=intervention.order.client,
        intervention=intervention,
        day=intervention.day,
        hours=Decimal(3),
    )
    return {
        "intervention": intervention,
        "entry": entry,
        "staff": user_with_role(Role.PLANNER, entity),
    }


def status_of(intervention: Intervention) -> str:
    intervention.refresh_from_db()
    return intervention.status


def test_declared_hours_leave_the_intervention_planned_validated_ones_realise_it(
    world: dict[str, Any],
) -> None:
    intervention = world["intervention"]
    assert status_of(intervention) == InterventionStatus.PLANNED
    assert actions.validate_entries([world["entry"]], by=world["staff"]) == 1
    assert status_of(intervention) == InterventionStatus.DONE


def test_a_corrected_entry_sends_the_intervention_back_to_planned(world: dict[str, Any]) -> None:
    intervention = world["intervention"]
    actions.validate_entries([world["entry"]], by=world["staff"])
    corrected = actions.correct_entry(
        world["entry"], changes={"hours": Decimal("2.50")}, by=world["staff"]
    )
    assert corrected.status == EntryStatus.DECLARED
    assert status_of(intervention) == InterventionStatus.PLANNED
    actions.validate_entries([corrected], by=world["staff"])
    assert status_of(intervention) == InterventionStatus.DONE


def test_another_validated_entry_keeps_it_realised(world: dict[str, Any]) -> None:
    intervention = world["intervention"]
    second = TimeEntryFactory.create(
        entity=intervention.entity,
        person=intervention.worker,
        client=intervention.order.client,
        intervention=intervention,
        day=intervention.day,
        hours=Decimal(1),
    )
    actions.validate_entries([world["entry"], second], by=world["staff"])
    actions.correct_entry(second, changes={"hours": Decimal(2)}, by=world["staff"])
    assert status_of(intervention) == InterventionStatus.DONE


def test_a_cancelled_intervention_stays_cancelled(world: dict[str, Any]) -> None:
    intervention = world["intervention"]
    Intervention.objects.filter(pk=intervention.pk).update(status=InterventionStatus.CANCELLED)
    actions.validate_entries([world["entry"]], by=world["staff"])
    assert status_of(intervention) == InterventionStatus.CANCELLED


def test_a_realised_intervention_is_no_longer_reassigned(world: dict[str, Any]) -> None:
    intervention = world["intervention"]
    actions.validate_entries([world["entry"]], by=world["staff"])
    intervention.refresh_from_db()
    _, reasons = orders_actions.assignment_check(
        intervention, intervention.worker, today=date(2026, 11, 20)
    )
    assert reasons == [
        "État : l'intervention est « Réalisée » ; seule une intervention prévue peut être "
        "attribuée."
    ]


def test_hours_without_an_intervention_change_nothing(world: dict[str, Any]) -> None:
    loose = TimeEntryFactory.create(entity=world["intervention"].entity, day=date(2026, 11, 12))
    actions.validate_entries([loose], by=world["staff"])
    assert status_of(world["intervention"]) == InterventionStatus.PLANNED
