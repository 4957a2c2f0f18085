"""The close locks the month, not its rows: no path writes the hours of a month that is closed
or being closed, until it is reopened."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tremplin.accounts.tests.factories import UserFactory
from tremplin.closing import actions
from tremplin.closing.models import CloseStatus
from tremplin.closing.tests.factories import MonthlyCloseFactory, TimeEntryFactory
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.timesheets import actions as timesheets
from tremplin.timesheets.models import TimeEntry

pytestmark = pytest.mark.django_db

CLOSED = "Le mois de octobre 2026 est clôturé"


@pytest.fixture
def closed() -> dict[str, Any]:
    contract = ContractFactory(start=date(2026, 9, 1))
    entry = TimeEntryFactory(person=contract.person, day=date(2026, 10, 6), hours=Decimal(3))
    november = TimeEntryFactory(person=contract.person, day=date(2026, 11, 3), hours=Decimal(2))
    close = actions.start_close(
        contract.entity, year=2026, month=10, by=None, run_in_background=False
    )
    actions.close_month(close)
    close.refresh_from_db()
    assert close.status == CloseStatus.CLOSED
    return {"entry": entry, "november": november, "close": close, "contract": contract}


def test_no_write_reaches_the_hours_of_a_closed_month(closed: dict[str, Any]) -> None:
    entry, october = closed["entry"], TimeEntry.objects.filter(day__month=10)
    entry.hours = Decimal(9)
    with pytest.raises(ValidationError, match=CLOSED):
        entry.save()
    with pytest.raises(ValidationError, match=CLOSED):
        october.update(hours=Decimal(9))
    with pytest.raises(ValidationError, match=CLOSED):
        entry.delete()
    with pytest.raises(ValidationError, match=CLOSED):
        october.delete()
    extra = TimeEntry(
        entity=entry.entity,
        person=entry.person,
        client=entry.client,
        day=date(2026, 10, 20),
        hours=Decimal(1),
        status=entry.status,
        source=entry.source,
    )
    with pytest.raises(ValidationError, match=CLOSED):
        TimeEntry.objects.bulk_create([extra])
    # Nor may an entry of an open month move into it, by itself or in bulk.
    november = closed["november"]
    november.day = date(2026, 10, 30)
    with pytest.raises(ValidationError, match=CLOSED):
        november.save()
    with pytest.raises(ValidationError, match=CLOSED):
        TimeEntry.objects.filter(pk=november.pk).update(day=date(2026, 10, 30))
    assert list(TimeEntry.objects.order_by("day").values_list("day", "hours")) == [
        (date(2026, 10, 6), Decimal(3)),
        (date(2026, 11, 3), Decimal(2)),
    ]
    assert list(TimeEntry.objects.locked()) == [entry]


def test_the_hours_of_a_reopened_month_change_again(closed: dict[str, Any]) -> None:
    assert actions.reopen_close(closed["close"], reason="Heures oubliées", by=None).unlocked == 1
    entry = TimeEntry.objects.get(pk=closed["entry"].pk)
    entry.hours = Decimal(4)
    entry.save()
    assert TimeEntry.objects.filter(day__month=10).update(hours=Decimal(5)) == 1
    assert not TimeEntry.objects.locked().exists()


def test_a_month_being_closed_is_frozen_too() -> None:
    entry = TimeEntryFactory(day=date(2026, 10, 6))
    MonthlyCloseFactory(entity=entry.entity, status=CloseStatus.RUNNING)
    with pytest.raises(ValidationError, match=CLOSED):
        TimeEntry.objects.filter(pk=entry.pk).update(hours=Decimal(1))
    # Frozen, but not yet closed: its entries are not shown locked.
    assert not TimeEntry.objects.locked().exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks: PostgreSQL")
def test_writers_hold_their_month_against_a_close_starting(closed: dict[str, Any]) -> None:
    """A write of hours holds its month shared until it commits: ``start_close`` (exclusive)
    waits for it, other writers do not."""
    november = closed["november"]
    timesheets.correct_entry(november, changes={"hours": Decimal(4)}, by=UserFactory())
    key = [november.entity_id, 2026 * 100 + 11]
    other = psycopg.connect(
        **{
            k: v
            for k, v in connection.get_connection_params().items()
            if k in {"dbname", "user", "password", "host", "port"}
        },
        autocommit=True,
    )
    try:
        exclusive = other.execute(
            "SELECT pg_try_advisory_xact_lock(%s::integer, %s::integer)", key
        ).fetchone()
        shared = other.execute(
            "SELECT pg_try_advisory_xact_lock_shared(%s::integer, %s::integer)", key
        ).fetchone()
    finally:
        other.close()
    assert (exclusive, shared) == ((False,), (True,))
