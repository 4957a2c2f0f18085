from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

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
