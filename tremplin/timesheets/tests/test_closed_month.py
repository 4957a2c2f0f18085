"""No hours enter a month that is closed or being closed, whatever the path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from tremplin.accounts.tests.factories import MembershipFactory, UserFactory
from tremplin.closing.models import CloseStatus
from tremplin.closing.tests.factories import MonthlyCloseFactory
from tremplin.orders.models import InterventionStatus
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets import actions
from tremplin.timesheets.models import TimeEntry
from tremplin.timesheets.tests.factories import InterventionFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(date(2026, 11, 26), tick=False):
        yield


@pytest.mark.parametrize("status", [CloseStatus.CLOSED, CloseStatus.RUNNING])
def test_a_worker_cannot_declare_in_a_closed_month(status: CloseStatus) -> None:
    intervention = InterventionFactory(day=date(2026, 11, 20))
    MonthlyCloseFactory(entity=intervention.entity, year=2026, month=11, status=status)
    with pytest.raises(ValidationError, match="novembre 2026 est clôturé"):
        actions.declare_hours(
            intervention,
            hours=Decimal(3),
            travel_minutes=0,
            today=date(2026, 11, 26),
            by=UserFactory(),
        )
    assert not TimeEntry.objects.exists()


def test_a_reopened_month_takes_hours_again() -> None:
    intervention = InterventionFactory(day=date(2026, 11, 20))
    MonthlyCloseFactory(
        entity=intervention.entity, year=2026, month=11, status=CloseStatus.REOPENED
    )
    entry = actions.declare_hours(
        intervention, hours=Decimal(3), travel_minutes=0, today=date(2026, 11, 26), by=None
    )
    assert entry.pk is not None


def test_staff_cannot_add_or_move_hours_into_a_closed_month() -> None:
    entry = TimeEntryFactory(day=date(2026, 11, 10))
    MonthlyCloseFactory(entity=entry.entity, year=2026, month=10, status=CloseStatus.CLOSED)
    with pytest.raises(ValidationError, match="octobre 2026 est clôturé"):
        actions.add_entry(
            entry.entity,
            person=entry.person,
            client=entry.client,
            day=date(2026, 10, 10),
            hours=Decimal(2),
            travel_minutes=0,
            service=None,
            by=UserFactory(),
        )
    with pytest.raises(ValidationError, match="octobre 2026 est clôturé"):
        actions.correct_entry(entry, changes={"day": date(2026, 10, 11)}, by=UserFactory())
    entry.refresh_from_db()
    assert entry.day == date(2026, 11, 10) and TimeEntry.objects.count() == 1


def test_declared_hours_of_a_closing_month_are_not_validated() -> None:
    entry = TimeEntryFactory.create(day=date(2026, 10, 10))
    MonthlyCloseFactory(entity=entry.entity, year=2026, month=10, status=CloseStatus.RUNNING)
    assert actions.validate_entries([entry], by=UserFactory()) == 0


def test_a_cancelled_intervention_takes_no_hours(client: Any) -> None:
    membership = MembershipFactory(worker=True)
    person = PersonFactory(entity=membership.entity, user=membership.user)
    intervention = InterventionFactory(
        entity=membership.entity, worker=person, status=InterventionStatus.CANCELLED
    )
    client.force_login(membership.user)
    response = client.post(
        reverse("timesheets:declare", args=[intervention.pk]),
        {"hours": "3", "travel_minutes": "0"},
    )
    assert response.status_code == 404
    assert not TimeEntry.objects.exists()
