from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tremplin.closing.actions import start_close
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.closing.tests.factories import TimeEntryFactory
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.timesheets.models import EntryStatus, TimeEntry

pytestmark = pytest.mark.django_db


def test_close_then_reopen_from_the_command_line() -> None:
    contract = ContractFactory(start=date(2026, 9, 1))
    TimeEntryFactory(person=contract.person, day=date(2026, 10, 6))
    slug = contract.entity.slug
    out = io.StringIO()
    call_command("close_month", "--entity", slug, "--month", "2026-10", stdout=out)
    assert "100 %" in out.getvalue() and "est clôturé" in out.getvalue()
    again = io.StringIO()
    call_command("close_month", "--entity", slug, "--month", "2026-10", stdout=again)
    assert "rien n'a changé" in again.getvalue()
    with pytest.raises(CommandError, match="motif"):
        call_command("close_month", "--entity", slug, "--month", "2026-10", "--reopen")
    call_command(
        "close_month",
        "--entity",
        slug,
        "--month",
        "2026-10",
        "--reopen",
        "--reason",
        "Correction des heures",
        stdout=(reopened := io.StringIO()),
    )
    assert "10/2026 : Le mois est rouvert : 1 relevé(s) d'heures" in reopened.getvalue()
    assert MonthlyClose.objects.get().status == CloseStatus.REOPENED
    assert TimeEntry.objects.get().status == EntryStatus.VALIDATED


def test_declared_hours_fail_the_command() -> None:
    contract = ContractFactory(start=date(2026, 9, 1))
    TimeEntryFactory(person=contract.person, day=date(2026, 10, 6), declared=True)
    with pytest.raises(CommandError, match="1 relevé d'heures est encore à valider"):
        call_command(
            "close_month",
            "--entity",
            contract.entity.slug,
            "--month",
            "2026-10",
            stdout=io.StringIO(),
        )


def test_the_command_starts_again_a_close_without_progress() -> None:
    contract = ContractFactory(start=date(2026, 9, 1))
    TimeEntryFactory(person=contract.person, day=date(2026, 10, 6))
    slug = contract.entity.slug
    with time_machine.travel(datetime(2026, 11, 2, 8, 0, tzinfo=UTC), tick=False) as clock:
        start_close(contract.entity, year=2026, month=10, by=None)  # no worker takes it
        clock.shift(timedelta(minutes=5))
        with pytest.raises(CommandError, match="déjà en cours"):
            call_command("close_month", "--entity", slug, "--month", "2026-10")
        clock.shift(timedelta(minutes=30))
        out = io.StringIO()
        call_command("close_month", "--entity", slug, "--month", "2026-10", stdout=out)
    assert "Aucune progression depuis le 02/11/2026 à 09:00" in out.getvalue()
    assert "Relance (tentative 2)." in out.getvalue()
    assert "est clôturé" in out.getvalue()
    assert MonthlyClose.objects.get().status == CloseStatus.CLOSED
