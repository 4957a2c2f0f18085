"""No hours enter a month that is closed or being closed, whatever the path."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import MembershipFactory, UserFactory, user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.closing.models import CloseStatus
from tremplin.closing.tests.factories import MonthlyCloseFactory
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.orders.models import InterventionStatus
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets import actions
from tremplin.timesheets.forms import EntryForm
from tremplin.timesheets.models import EntryStatus, TimeEntry
from tremplin.timesheets.tests.factories import InterventionFactory, TimeEntryFactory

FROZEN = "les heures de ce mois ne peuvent plus être modifiées."

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


# --- The close locks the month, not the rows --------------------------------------------------


def test_hours_of_a_closed_month_are_neither_corrected_nor_validated_again() -> None:
    declared = TimeEntryFactory.create(day=date(2026, 10, 7))  # left declared before the close
    entry = TimeEntryFactory(entity=declared.entity, day=date(2026, 10, 6), locked=True)
    with pytest.raises(ValidationError, match="octobre 2026 est clôturé"):
        actions.correct_entry(entry, changes={"hours": Decimal(9)}, by=UserFactory())
    assert actions.validate_entries([declared], by=UserFactory()) == 0
    entry.refresh_from_db()
    declared.refresh_from_db()
    assert (entry.hours, entry.status) == (Decimal("3.50"), EntryStatus.VALIDATED)
    assert declared.status == EntryStatus.DECLARED
    assert list(TimeEntry.objects.locked().order_by("day")) == [entry, declared]


def test_the_entry_form_names_the_closed_month() -> None:
    entry = TimeEntryFactory(day=date(2026, 10, 6), locked=True)
    data = {"client": entry.client.pk, "day": "2026-10-08", "hours": "2", "travel_minutes": "0"}
    new = EntryForm({**data, "person": entry.person.pk}, entity=entry.entity)
    assert not new.is_valid()
    assert new.errors["day"] == ["Le mois de octobre 2026 est clôturé : " + FROZEN]
    edit = EntryForm({**data, "day": "2026-11-08"}, instance=entry, entity=entry.entity)
    assert not edit.is_valid()
    assert edit.non_field_errors() == ["Le mois de octobre 2026 est clôturé : " + FROZEN]


def test_rows_of_a_month_closed_while_the_file_is_read_are_refused(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    contract = ContractFactory(start=date(2026, 1, 5), planned_end=None)
    entity, customer = contract.entity, ClientFactory(entity=contract.entity)
    checked = actions.load_import_context(entity, today=date(2026, 11, 26))
    # The close starts after the file was checked, before its rows are stored.
    monkeypatch.setattr(actions, "load_import_context", lambda *args, **kwargs: checked)
    MonthlyCloseFactory(entity=entity, year=2026, month=10, status=CloseStatus.RUNNING)
    data = "\r\n".join(
        [
            "date;matricule;client;heures",
            f"30/10/2026;{contract.person.pk};{customer.pk};3",
            f"02/11/2026;{contract.person.pk};{customer.pk};4",
        ]
    ).encode()
    outcome = actions.import_hours_file(
        entity, io.BytesIO(data), "heures.csv", today=date(2026, 11, 26), by=None
    )
    assert (outcome.imported_rows, outcome.error_rows) == (1, 1)
    assert outcome.errors == [
        {
            "line": 2,
            "column": "date",
            "value": "30/10/2026",
            "message": "le mois de octobre 2026 est clôturé",
        }
    ]
    assert list(TimeEntry.objects.values_list("day", flat=True)) == [date(2026, 11, 2)]


def test_the_hours_list_shows_a_closed_month_locked(client: Any) -> None:
    entry = TimeEntryFactory(day=date(2026, 10, 6), locked=True)
    client.force_login(user_with_role(Role.PLANNER, entry.entity))
    url = reverse("timesheets:index")
    page = client.get(url, {"mois": "2026-10"}).content.decode()
    assert "Clôturée" in page
    assert reverse("timesheets:entry_edit", args=[entry.pk]) not in page
    assert client.get(url, {"mois": "2026-10", "etat": "locked"}).context["page"].paginator.count
    assert (
        not client.get(url, {"mois": "2026-10", "etat": "validated"})
        .context["page"]
        .paginator.count
    )
    open_month = client.get(url, {"mois": "2026-11", "etat": "locked"})
    assert not open_month.context["page"].paginator.count


def test_a_worker_sees_the_hours_of_a_closed_month_locked(client: Any) -> None:
    membership = MembershipFactory(worker=True)
    person = PersonFactory(entity=membership.entity, user=membership.user)
    intervention = InterventionFactory(
        entity=membership.entity, worker=person, day=date(2026, 11, 20)
    )
    TimeEntryFactory(
        entity=membership.entity,
        person=person,
        client=intervention.order.client,
        intervention=intervention,
        day=intervention.day,
        locked=True,
    )
    client.force_login(membership.user)
    card = client.get(reverse("timesheets:declare", args=[intervention.pk])).content.decode()
    assert "Clôturée" in card and "Déclarer ces heures" not in card
