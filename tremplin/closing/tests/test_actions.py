from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction

from tremplin.closing import actions, rules
from tremplin.closing.models import (
    AspMonthlyFollowUp,
    CloseStatus,
    InvoiceDraft,
    InvoiceDraftLine,
    MonthlyClose,
    PayrollVariables,
)
from tremplin.closing.tests.factories import (
    AbsenceFactory,
    InterventionFactory,
    OrderFactory,
    ServiceFactory,
    TimeEntryFactory,
)
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.models import AuditEntry
from tremplin.orders.models import ClientPrice
from tremplin.people.tests.factories import PersonFactory
from tremplin.timesheets.models import EntryStatus, TimeEntry

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def month() -> dict[str, Any]:
    """Two workers of one entity in October 2026, hours at two clients."""
    contract = ContractFactory(start=date(2026, 9, 1), weekly_hours=D(26), hourly_rate=D("12.3456"))
    person, entity = contract.person, contract.entity
    order = OrderFactory.create(entity=entity, service__unit_price=D("25.00"))
    wash = OrderFactory.create(
        entity=entity, service=ServiceFactory(entity=entity, car_wash=True, unit_price=D("17.00"))
    )
    ClientPrice.objects.create(
        client=order.client,
        service=order.service,
        unit_price=D("22.22"),
        valid_from=date(2026, 10, 31),
    )
    ClientPrice.objects.create(
        client=order.client,
        service=order.service,
        unit_price=D("99.99"),
        valid_from=date(2026, 11, 1),
    )
    for day, hours in [
        (5, "7.33"),
        (6, "7.33"),
        (7, "7.33"),
        (8, "7.33"),
        (9, "7.33"),
        (11, "2.5"),
        (11, "0.01"),
    ]:
        TimeEntryFactory(
            person=person,
            day=date(2026, 10, day),
            hours=D(hours),
            intervention__order=order,
            travel_minutes=10,
        )
    TimeEntryFactory(person=person, day=date(2026, 11, 1), hours=D(3), intervention__order=order)
    other = PersonFactory(entity=entity)
    TimeEntryFactory(
        person=other, day=date(2026, 10, 14), hours=D(2), quantity=D(3), intervention__order=wash
    )
    AbsenceFactory(person=other, start=date(2026, 10, 19), end=date(2026, 10, 20))
    return {
        "entity": entity,
        "person": person,
        "other": other,
        "contract": contract,
        "order": order,
        "wash": wash,
    }


def run(entity: Any) -> MonthlyClose:
    close = actions.start_close(entity, year=2026, month=10, by=None, run_in_background=False)
    actions.close_month(close)
    close.refresh_from_db()
    return close


def snapshot(close: MonthlyClose) -> list[Any]:
    return [
        sorted(
            InvoiceDraftLine.objects.filter(draft__close=close).values_list(
                "draft__client_id", "label", "quantity", "unit_price", "vat_rate", "amount_excl_tax"
            )
        ),
        sorted(
            PayrollVariables.objects.filter(close=close).values_list(
                "person_id",
                "normal_hours",
                "complementary_hours",
                "overtime_hours",
                "sunday_hours",
                "holiday_hours",
                "absence_days",
                "travel_minutes",
            )
        ),
        sorted(
            AspMonthlyFollowUp.objects.filter(close=close).values_list(
                "contract__person_id",
                "contract_id",
                "hours_worked",
                "hours_invoiced",
                "missions",
                "gross_pay",
                "etp_share",
            )
        ),
    ]


def test_close_builds_drafts_payroll_and_asp(month: dict[str, Any]) -> None:
    close = run(month["entity"])
    assert close.status == CloseStatus.CLOSED and close.progress == 100
    lines, payroll, asp = snapshot(close)
    # 39.16 h at the client's price in force on 31/10 (22.22): 870.1352 → 870.14; the car wash
    # is invoiced per vehicle at the service price.
    assert lines == sorted(
        [
            (
                month["order"].client_id,
                month["order"].service.name,
                D("39.16"),
                D("22.22"),
                D("20.0"),
                D("870.14"),
            ),
            (
                month["wash"].client_id,
                month["wash"].service.name,
                D("3.00"),
                D("17.00"),
                D("20.0"),
                D("51.00"),
            ),
        ]
    )
    assert InvoiceDraft.objects.get(close=close, client=month["order"].client).total_excl_tax == D(
        "870.14"
    )
    # Week of 05/10 to Sunday 11/10: 39.16 h on a 26 h contract → 26 normal, 9 complementary,
    # 4.16 overtime; the Sunday holds 2.51 h (two entries).
    assert payroll == sorted(
        [
            (
                month["person"].pk,
                D("26.00"),
                D("9.00"),
                D("4.16"),
                D("2.51"),
                D("0.00"),
                D("0.0"),
                70,
            ),
            (month["other"].pk, D("2.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("2.0"), 0),
        ]
    )
    assert asp == [
        (
            month["person"].pk,
            month["contract"].pk,
            D("39.16"),
            D("39.16"),
            1,
            D("483.45"),
            D("0.258"),
        ),
    ]
    # The month is locked, not its rows: every October entry is locked by the closed month.
    october = TimeEntry.objects.filter(entity=month["entity"], day__month=10)
    assert october.locked().count() == october.count() == 8
    assert not TimeEntry.objects.filter(day=date(2026, 11, 1)).locked().exists()
    assert TimeEntry.objects.get(day=date(2026, 11, 1)).status == EntryStatus.VALIDATED
    assert list(
        AuditEntry.objects.filter(object_id=str(close.pk))
        .values_list("action", flat=True)
        .order_by("pk")
    ) == [
        "closing.close_started",
        "closing.month_closed",
    ]


def test_closing_twice_changes_nothing(month: dict[str, Any]) -> None:
    close = run(month["entity"])
    before = snapshot(close)
    result = actions.close_month(close)
    assert not result.changed and "déjà clôturé" in result.message
    assert snapshot(close) == before
    with pytest.raises(ValidationError, match="déjà clôturé"):
        actions.start_close(month["entity"], year=2026, month=10, by=None)


def test_declared_entries_block_the_close_and_change_nothing(month: dict[str, Any]) -> None:
    TimeEntryFactory(person=month["other"], day=date(2026, 10, 20), declared=True)
    TimeEntryFactory(person=month["other"], day=date(2026, 10, 21), declared=True)
    close = run(month["entity"])
    assert close.status == CloseStatus.FAILED
    assert "2 relevés d'heures sont encore à valider" in close.error
    assert str(month["other"]) in close.error
    assert not TimeEntry.objects.locked().exists()
    assert snapshot(close) == [[], [], []]
    # Once the hours are validated, the failed close runs again.
    TimeEntry.objects.filter(status=EntryStatus.DECLARED).update(status=EntryStatus.VALIDATED)
    close = run(month["entity"])
    assert close.status == CloseStatus.CLOSED and close.error == ""
    assert len(snapshot(close)[1]) == 2


def test_rerun_after_a_failure_replaces_partial_results(
    month: dict[str, Any], monkeypatch: Any
) -> None:
    def broken(month: object) -> None:
        raise RuntimeError("panne")

    monkeypatch.setattr(actions, "_build_asp_follow_ups", broken)
    close = actions.start_close(
        month["entity"], year=2026, month=10, by=None, run_in_background=False
    )
    with pytest.raises(RuntimeError):
        actions.close_month(close)
    close.refresh_from_db()
    assert close.status == CloseStatus.FAILED and "panne" in close.error
    assert PayrollVariables.objects.filter(close=close).count() == 2
    monkeypatch.undo()
    close = run(month["entity"])
    assert close.status == CloseStatus.CLOSED
    assert PayrollVariables.objects.filter(close=close).count() == 2
    assert InvoiceDraft.objects.filter(close=close).count() == 2


def test_reopen_unlocks_and_deletes_results(month: dict[str, Any]) -> None:
    close = run(month["entity"])
    before = snapshot(close)
    reopened = actions.reopen_close(close, reason="Erreur de saisie chez Client 1", by=None)
    close.refresh_from_db()
    assert reopened == actions.Reopened(unlocked=8, drafts_deleted=0, issued=0)
    assert close.status == CloseStatus.REOPENED
    assert snapshot(close) == [[], [], []]
    assert not TimeEntry.objects.locked().exists()
    entry = AuditEntry.objects.filter(object_id=str(close.pk), action="closing.reopened").get()
    assert entry.data["reason"] == "Erreur de saisie chez Client 1"
    with pytest.raises(ValidationError):
        actions.reopen_close(close, reason="Encore", by=None)
    assert snapshot(run(month["entity"])) == before


def test_start_close_queues_the_task(
    month: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        close = actions.start_close(month["entity"], year=2026, month=10, by=None)
    close.refresh_from_db()
    assert close.status == CloseStatus.CLOSED


def test_entries_of_other_entities_are_ignored(month: dict[str, Any]) -> None:
    stranger = InterventionFactory(day=date(2026, 10, 6))
    TimeEntryFactory(day=date(2026, 10, 6), declared=True, intervention=stranger)
    close = run(month["entity"])
    assert close.status == CloseStatus.CLOSED


@pytest.mark.django_db(transaction=True)
def test_results_written_side_by_side_match_those_written_one_after_the_other(
    month: dict[str, Any],
) -> None:
    # Outside any transaction the three results are written at the same time on PostgreSQL,
    # each on its own connection (one after the other on SQLite); inside one, in turn.
    side_by_side = snapshot(run(month["entity"]))
    close = MonthlyClose.objects.get(entity=month["entity"], year=2026, month=10)
    actions.reopen_close(close, reason="contrôle", by=None)
    with transaction.atomic():
        one_after_the_other = snapshot(run(month["entity"]))
    assert side_by_side == one_after_the_other
    assert all(side_by_side)


def test_reopen_deletes_the_draft_invoices_of_the_close_and_keeps_the_issued_ones(
    month: dict[str, Any],
) -> None:
    from tremplin.clients.rules import french_vat_number
    from tremplin.invoicing import actions as invoicing
    from tremplin.invoicing.models import Invoice, InvoiceStatus

    entity = month["entity"]
    entity.vat_number = french_vat_number(entity.siren)  # to issue invoices
    entity.save()
    close = run(entity)
    kept, dropped = sorted(invoicing.invoices_from_close(close, by=None), key=lambda i: i.pk)
    invoicing.issue_invoice(kept, by=None)
    reopened = actions.reopen_close(close, reason="Heures du 14/10 à corriger", by=None)
    assert reopened == actions.Reopened(unlocked=8, drafts_deleted=1, issued=1)
    assert list(Invoice.objects.filter(close=close).values_list("pk", "status")) == [
        (kept.pk, InvoiceStatus.ISSUED)
    ]
    entry = AuditEntry.objects.filter(object_id=str(close.pk), action="closing.reopened").get()
    assert (entry.data["draft_invoices_deleted"], entry.data["issued_invoices_kept"]) == (1, 1)
    assert AuditEntry.objects.filter(action="invoicing.draft_deleted").count() == 1
    # Closed again, the month's drafts are prepared again for the client not yet invoiced only.
    close = run(entity)
    again = invoicing.invoices_from_close(close, by=None)
    assert {i.client_id for i in again} == {kept.client_id, dropped.client_id}
    assert next(i for i in again if i.client_id == kept.client_id).pk == kept.pk
    assert rules.reopened_message(unlocked=8, drafts_deleted=1, issued=1) == (
        "Le mois est rouvert : 8 relevé(s) d'heures à nouveau modifiable(s) ; 1 facture(s) en "
        "brouillon issue(s) de la clôture supprimée(s), à préparer à nouveau après la prochaine "
        "clôture. 1 facture(s) déjà émise(s) à partir de cette clôture reste(nt) inchangée(s) : "
        "la prochaine clôture ne refacture pas ces clients ; corrigez un écart par un avoir ou "
        "une facture complémentaire."
    )


# --- Interrupted runs ----------------------------------------------------------------------------

STALLED = timedelta(minutes=31)  # beyond TREMPLIN_STALLED_RUN_AFTER (30 minutes)


def started(entity: Any) -> MonthlyClose:
    return actions.start_close(entity, year=2026, month=10, by=None, run_in_background=False)


def test_a_running_close_is_left_to_its_run_while_it_shows_progress(
    month: dict[str, Any],
) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        started(month["entity"])
        clock.shift(timedelta(minutes=29))
        with pytest.raises(ValidationError, match="déjà en cours"):
            started(month["entity"])
    close = MonthlyClose.objects.get()
    assert close.attempt == 1
    assert not AuditEntry.objects.filter(action="closing.close_restarted").exists()


def test_a_close_without_progress_starts_again_and_its_old_run_stops(
    month: dict[str, Any], django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        first = started(month["entity"])  # its worker never came
        clock.shift(STALLED)
        with django_capture_on_commit_callbacks(execute=True):
            again = actions.start_close(month["entity"], year=2026, month=10, by=None)
    assert again.pk == first.pk and again.attempt == 2 and again.status == CloseStatus.RUNNING
    assert again.progress_at == datetime(2026, 11, 2, 9, 31, tzinfo=UTC)
    restarted = AuditEntry.objects.get(action="closing.close_restarted")
    assert restarted.data["attempt"] == 1 and restarted.data["step"] == "En attente de traitement"
    from tremplin.closing.tasks import run_close

    queued = run_close.get_backend().results
    assert [result.args for result in queued] == [[first.pk, 2]]
    # The first run, should its worker come back, changes nothing; the second one closes.
    stale = actions.close_month(first, attempt=1)
    assert stale == actions.CloseResult(False, actions.SUPERSEDED_MESSAGE)
    assert snapshot(first) == [[], [], []]
    assert MonthlyClose.objects.get().status == CloseStatus.RUNNING
    assert actions.close_month(again, attempt=2).changed
    assert MonthlyClose.objects.get().status == CloseStatus.CLOSED


def test_a_run_overtaken_during_its_work_stops_at_its_next_step(month: dict[str, Any]) -> None:
    close = started(month["entity"])

    def restarted_meanwhile(percent: int, step: str) -> None:
        # The close was started again while this run was reading the month.
        MonthlyClose.objects.filter(pk=close.pk).update(attempt=2)

    result = actions.close_month(close, attempt=1, progress=restarted_meanwhile)
    assert result.message == actions.SUPERSEDED_MESSAGE
    close.refresh_from_db()
    assert close.status == CloseStatus.RUNNING and close.attempt == 2 and close.error == ""
    assert not AuditEntry.objects.filter(action="closing.month_closed").exists()


def test_a_failure_of_an_overtaken_run_leaves_the_new_attempt_alone(
    month: dict[str, Any], monkeypatch: Any
) -> None:
    close = started(month["entity"])

    def broken(month: object) -> None:
        MonthlyClose.objects.filter(pk=close.pk).update(attempt=2)
        raise RuntimeError("panne")

    monkeypatch.setattr(actions, "_build_asp_follow_ups", broken)
    with pytest.raises(RuntimeError):
        actions.close_month(close, attempt=1)
    close.refresh_from_db()
    assert close.status == CloseStatus.RUNNING and close.error == ""
