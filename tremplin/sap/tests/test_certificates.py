"""Tax certificates: the figures read from invoices and payments, regeneration and versions,
the background run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.closing.models import CloseStatus, MonthlyClose
from tremplin.closing.tests.factories import TimeEntryFactory
from tremplin.core.models import AuditEntry
from tremplin.invoicing.models import PaymentMethod
from tremplin.invoicing.tests.factories import InvoicingEntityFactory
from tremplin.orders.tests.factories import ServiceFactory
from tremplin.organisations.models import Entity
from tremplin.people.tests.factories import PersonFactory
from tremplin.sap import actions
from tremplin.sap.models import CertificateRun, CertificateStatus, RunStatus, TaxCertificate
from tremplin.sap.rules import SapNature
from tremplin.sap.tests.factories import HouseholdFactory, pay, sap_entity, sap_invoice
from tremplin.timesheets.models import EntryStatus

pytestmark = pytest.mark.django_db
D = Decimal


def activities(certificate: TaxCertificate) -> dict[str, tuple[Decimal, ...]]:
    return {
        a.nature: (a.paid, a.through_advance, a.aid, a.net, a.eligible, a.above_cap, a.hours)
        for a in certificate.activities.all()
    }


def test_amounts_paid_in_the_year_per_activity_with_the_gardening_cap() -> None:
    household = HouseholdFactory(entity=sap_entity())
    housework = sap_invoice(household)  # 10 h × 25,00 € HT, 10 % → 275,00 € TTC
    garden = sap_invoice(
        household,
        [("jardinage", "150", "40.00", "20")],  # 7 200,00 € TTC
        period=(date(2025, 5, 1), date(2025, 5, 31)),
    )
    pay(housework, on=date(2025, 4, 10))
    pay(garden, "3600.00", on=date(2025, 6, 10))
    pay(garden, "3600.00", on=date(2025, 7, 10))
    outcome = actions.generate_certificate(household, year=2025, by=None)
    certificate = outcome.certificate
    assert outcome.outcome == "created" and certificate is not None
    assert activities(certificate) == {
        SapNature.HOUSEWORK: (D("275"), 0, 0, D("275"), D("275"), 0, D("10")),
        SapNature.GARDENING: (D("7200"), 0, 0, D("7200"), D("5000"), D("2200"), D("150")),
    }
    assert (certificate.total_paid, certificate.eligible_total, certificate.capped) == (
        D("7475.00"),
        D("5275.00"),
        True,
    )
    assert certificate.declaration_number == "SAP912345678"
    assert certificate.household_name == household.name
    assert certificate.parameters_confirmed


def test_only_payments_of_the_year_count() -> None:
    household = HouseholdFactory(entity=sap_entity())
    invoice = sap_invoice(household, period=(date(2024, 12, 1), date(2024, 12, 31)))
    pay(invoice, "75.00", on=date(2024, 12, 31))
    pay(invoice, "200.00", on=date(2025, 1, 2))
    certificate = actions.generate_certificate(household, year=2025, by=None).certificate
    assert certificate is not None
    assert activities(certificate)[SapNature.HOUSEWORK][:2] == (D("200"), 0)
    # Settled by a payment of 2025: its hours are on the 2025 certificate, not on 2024's.
    assert certificate.total_hours == D("10")
    earlier = actions.generate_certificate(household, year=2024, by=None).certificate
    assert earlier is not None and earlier.total_paid == D("75") and earlier.total_hours == 0


def test_avance_immediate_counts_as_paid_and_cesu_as_aid() -> None:
    household = HouseholdFactory(entity=sap_entity())
    first = sap_invoice(household)
    second = sap_invoice(household, period=(date(2025, 4, 1), date(2025, 4, 30)))
    pay(first, on=date(2025, 4, 8), method=PaymentMethod.URSSAF_AI)
    pay(second, "75.00", on=date(2025, 5, 5), method=PaymentMethod.CESU)
    pay(second, "200.00", on=date(2025, 5, 6))
    certificate = actions.generate_certificate(household, year=2025, by=None).certificate
    assert certificate is not None
    [row] = certificate.activities.all()
    assert (row.paid, row.through_advance, row.aid, row.net, row.advance_received) == (
        D("550"),
        D("275"),
        D("75"),
        D("475"),
        D("137.50"),
    )
    assert row.acquitted == D("337.50") == certificate.total_acquitted


def test_a_line_outside_the_sap_takes_its_share_of_the_payment() -> None:
    household = HouseholdFactory(entity=sap_entity())
    invoice = sap_invoice(
        household,
        [("menage", "10", "25.00", "10"), ("lavage", "1", "50.00", "20")],  # 275 + 60 TTC
    )
    pay(invoice, "335.00", on=date(2025, 4, 1))
    pay_to_split = actions.generate_certificate(household, year=2025, by=None).certificate
    assert pay_to_split is not None
    assert activities(pay_to_split) == {
        SapNature.HOUSEWORK: (D("275"), 0, 0, D("275"), D("275"), 0, D("10"))
    }


def test_no_certificate_without_eligible_payment_and_not_for_companies() -> None:
    entity = sap_entity()
    household = HouseholdFactory(entity=entity)
    assert actions.generate_certificate(household, year=2025, by=None).outcome == "empty"
    assert not TaxCertificate.objects.exists()
    company = HouseholdFactory(entity=entity, kind="COMPANY")
    with pytest.raises(ValidationError, match="que les particuliers"):
        actions.generate_certificate(company, year=2025, by=None)


def test_regenerating_is_idempotent_then_replaces_then_versions_once_sent() -> None:
    user = user_with_role(Role.ACCOUNTANT)
    household = HouseholdFactory(entity=sap_entity())
    first = sap_invoice(household)
    pay(first, on=date(2025, 4, 10))
    created = actions.generate_certificate(household, year=2025, by=user).certificate
    assert created is not None
    audits = AuditEntry.objects.filter(action="sap.certificate_generated").count()

    same = actions.generate_certificate(household, year=2025, by=user)
    assert (same.outcome, same.certificate) == ("unchanged", created)
    assert AuditEntry.objects.filter(action="sap.certificate_generated").count() == audits

    second = sap_invoice(household, period=(date(2025, 4, 1), date(2025, 4, 30)))
    pay(second, on=date(2025, 5, 10))
    replaced = actions.generate_certificate(household, year=2025, by=user)
    assert replaced.outcome == "replaced" and replaced.certificate == created
    created.refresh_from_db()
    assert (created.version, created.total_paid) == (1, D("550"))

    actions.mark_certificate_sent(created, by=user)
    with pytest.raises(ValidationError, match="déjà été envoyée"):
        actions.mark_certificate_sent(created, by=user)
    assert actions.generate_certificate(household, year=2025, by=user).outcome == "unchanged"

    third = sap_invoice(household, period=(date(2025, 5, 1), date(2025, 5, 31)))
    pay(third, on=date(2025, 6, 10))
    versioned = actions.generate_certificate(household, year=2025, by=user)
    assert versioned.outcome == "versioned" and versioned.certificate is not None
    assert versioned.certificate.version == 2
    assert versioned.certificate.total_paid == D("825")
    created.refresh_from_db()
    assert (created.status, created.total_paid) == (CertificateStatus.SENT, D("550"))


def close_month_of(entity: Entity, day: date) -> None:
    """The month's hours become locked: its close is done."""
    MonthlyClose.objects.create(
        entity=entity, year=day.year, month=day.month, status=CloseStatus.CLOSED
    )


def test_recap_of_interventions_from_the_locked_hours() -> None:
    entity = sap_entity()
    household = HouseholdFactory(entity=entity)
    service = ServiceFactory(entity=entity, housework=True)
    worker = PersonFactory(entity=entity, birth_name="Martin", first_name="Léa")
    for day, hours in ((date(2025, 3, 4), "3"), (date(2025, 3, 11), "3"), (date(2025, 3, 18), "4")):
        TimeEntryFactory(
            person=worker,
            client=household,
            intervention=None,
            service=service,
            day=day,
            hours=D(hours),
            status=EntryStatus.VALIDATED,
        )
    close_month_of(entity, date(2025, 3, 1))
    invoice = sap_invoice(household, service=service)
    pay(invoice, on=date(2025, 4, 10))
    other = sap_invoice(
        household,
        [("jardinage", "2", "40.00", "20")],
        period=(date(2025, 4, 1), date(2025, 4, 30)),
        worker_name="DUPONT Marc",
    )
    pay(other, on=date(2025, 5, 10))
    certificate = actions.generate_certificate(household, year=2025, by=None).certificate
    assert certificate is not None
    assert [
        (w.worker_name, w.identifier, w.month, w.nature, w.hours) for w in certificate.workers.all()
    ] == [
        ("MARTIN Léa", str(worker.pk), date(2025, 3, 1), SapNature.HOUSEWORK, D("10")),
        ("DUPONT Marc", "", date(2025, 4, 1), SapNature.GARDENING, D("2")),
    ]


def test_petit_bricolage_beyond_two_hours_is_excluded(monkeypatch: Any) -> None:
    # The day the catalogue sells petit bricolage as a household service.
    from tremplin.invoicing import actions as invoicing_actions

    monkeypatch.setattr(invoicing_actions, "SAP_KINDS", invoicing_actions.SAP_KINDS | {"bricolage"})
    entity = sap_entity()
    household = HouseholdFactory(entity=entity)
    service = ServiceFactory(entity=entity, kind="bricolage", unit_price=D("30.00"))
    worker = PersonFactory(entity=entity)
    for day, hours in ((date(2025, 3, 4), "2"), (date(2025, 3, 11), "3")):
        TimeEntryFactory(
            person=worker,
            client=household,
            intervention=None,
            service=service,
            day=day,
            hours=D(hours),
            status=EntryStatus.VALIDATED,
        )
    close_month_of(entity, date(2025, 3, 1))
    invoice = sap_invoice(household, [("bricolage", "5", "30.00", "10")], service=service)
    pay(invoice, on=date(2025, 4, 10))  # 165,00 € TTC
    certificate = actions.generate_certificate(household, year=2025, by=None).certificate
    assert certificate is not None
    [row] = certificate.activities.all()
    assert (row.nature, row.paid, row.excluded, row.net, row.excluded_interventions) == (
        SapNature.DIY,
        D("165"),
        D("99"),
        D("66"),
        1,
    )


def test_the_run_generates_the_year_for_every_paying_household(
    django_capture_on_commit_callbacks: Any,
) -> None:
    entity = sap_entity()
    user = user_with_role(Role.ACCOUNTANT, entity)
    for _ in range(3):
        household = HouseholdFactory(entity=entity)
        pay(sap_invoice(household), on=date(2025, 4, 10))
    HouseholdFactory(entity=entity)  # paid nothing
    with django_capture_on_commit_callbacks(execute=True):
        run = actions.start_certificate_run(entity, year=2025, by=user, today=date(2026, 1, 15))
    run.refresh_from_db()
    assert (run.status, run.progress, run.total, run.created_count) == (RunStatus.DONE, 100, 3, 3)
    assert run.step.startswith("Terminé : 3 créée(s)")
    assert TaxCertificate.objects.filter(entity=entity, year=2025, run=run).count() == 3
    again = actions.start_certificate_run(
        entity, year=2025, by=user, today=date(2026, 1, 15), run_in_background=False
    )
    steps: list[tuple[int, str]] = []
    actions.run_certificates(again, progress=lambda p, s: steps.append((p, s)))
    assert again.unchanged_count == 3 and steps[-1][0] == 100
    assert [p for p, _ in steps if p] == sorted(p for p, _ in steps if p)


@pytest.mark.parametrize(
    ("year", "declared", "message"),
    [
        pytest.param(2026, True, "n'est pas terminée", id="year_not_over"),
        pytest.param(2025, False, "pas de déclaration de services à la personne", id="undeclared"),
    ],
)
def test_a_run_that_cannot_start(year: int, declared: bool, message: str) -> None:
    entity = sap_entity() if declared else InvoicingEntityFactory()
    with pytest.raises(ValidationError, match=message):
        actions.start_certificate_run(entity, year=year, by=None, today=date(2026, 1, 15))


def test_one_run_at_a_time() -> None:
    entity = sap_entity()
    actions.start_certificate_run(
        entity, year=2025, by=None, today=date(2026, 1, 15), run_in_background=False
    )
    with pytest.raises(ValidationError, match="déjà en cours"):
        actions.start_certificate_run(entity, year=2025, by=None, today=date(2026, 1, 15))


def test_a_run_without_progress_is_taken_as_interrupted_and_another_one_starts() -> None:
    entity = sap_entity()
    households = [HouseholdFactory(entity=entity) for _ in range(3)]
    for household in households:
        pay(sap_invoice(household), on=date(2025, 4, 10))
    with time_machine.travel(datetime(2026, 1, 15, 8, 0, tzinfo=UTC), tick=False) as clock:
        first = actions.start_certificate_run(
            entity, year=2025, by=None, today=date(2026, 1, 15), run_in_background=False
        )
        clock.shift(timedelta(minutes=29))
        with pytest.raises(ValidationError, match="déjà en cours"):
            actions.start_certificate_run(entity, year=2025, by=None, today=date(2026, 1, 15))
        clock.shift(timedelta(minutes=1))
        second = actions.start_certificate_run(
            entity, year=2025, by=None, today=date(2026, 1, 15), run_in_background=False
        )
    first.refresh_from_db()
    assert first.status == RunStatus.FAILED and second.status == RunStatus.QUEUED
    assert first.error == (
        "Aucune progression depuis le 15/01/2026 à 09:00 : le traitement semble interrompu "
        "(processus de tâches arrêté ou absent). Une nouvelle génération a été lancée."
    )
    interrupted = AuditEntry.objects.get(action="sap.certificate_run_interrupted")
    assert interrupted.object_id == str(first.pk)
    # Should the first run's worker come back, it stops without writing anything.
    assert actions.run_certificates(first).status == RunStatus.FAILED
    assert not TaxCertificate.objects.exists()
    assert actions.run_certificates(second).status == RunStatus.DONE
    assert TaxCertificate.objects.filter(run=second).count() == 3


def test_a_run_taken_as_interrupted_stops_at_its_next_household() -> None:
    entity = sap_entity()
    for _ in range(3):
        pay(sap_invoice(HouseholdFactory(entity=entity)), on=date(2025, 4, 10))
    run = actions.start_certificate_run(
        entity, year=2025, by=None, today=date(2026, 1, 15), run_in_background=False
    )

    def interrupted_after_the_first(percent: int, step: str) -> None:
        if step.startswith("1 / 3"):
            CertificateRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="x")

    actions.run_certificates(run, progress=interrupted_after_the_first)
    assert (run.status, run.error, run.created_count) == (RunStatus.FAILED, "x", 1)
    assert TaxCertificate.objects.count() == 1
    assert not AuditEntry.objects.filter(action="sap.certificate_run_done").exists()
