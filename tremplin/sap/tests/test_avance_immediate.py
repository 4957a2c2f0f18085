"""The avance immédiate end to end: the actions drive the real HTTP gateway against the local
URSSAF server (no mock of the gateway)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.core.models import AuditEntry
from tremplin.invoicing.models import Invoice, Payment, PaymentMethod
from tremplin.sap import actions
from tremplin.sap.fake_urssaf import FakeUrssaf
from tremplin.sap.models import PaymentRequest, UrssafRegistration
from tremplin.sap.rules import RegistrationStatus, RequestStatus
from tremplin.sap.tests.factories import (
    HouseholdFactory,
    household_data,
    sap_entity,
    sap_invoice,
)
from tremplin.sap.urssaf import HttpUrssafGateway

pytestmark = pytest.mark.django_db
D = Decimal
BIRTH = date(1961, 7, 14)
REGISTERED = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
ISSUED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))


@pytest.fixture
def user(fake: FakeUrssaf) -> Any:
    return user_with_role(Role.ACCOUNTANT)


@pytest.fixture
def registered(fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any) -> Iterator[Any]:
    """A household registered on 15/01/2026 and activated, with an issued February invoice."""
    fake.add_taxpayer("Le Gall", "Yann", BIRTH)
    with time_machine.travel(REGISTERED, tick=False):
        client = HouseholdFactory(entity=sap_entity())
        registration = actions.register_household(
            client, household=household_data(), gateway=gateway, by=user
        )
        fake.activate(registration.urssaf_id)
        actions.refresh_registration(registration, gateway=gateway, by=user)
    with time_machine.travel(ISSUED, tick=False):
        invoice = sap_invoice(client, period=FEBRUARY, issue_date=ISSUED.date())
    yield invoice


def test_registration_ok_then_activated(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any
) -> None:
    fake.add_taxpayer("Le Gall", "Yann", BIRTH)
    client = HouseholdFactory(entity=sap_entity())
    registration = actions.register_household(
        client, household=household_data(), gateway=gateway, by=user
    )
    assert registration.status == RegistrationStatus.PENDING and registration.urssaf_id
    assert registration.iban_masked == "FR76…0189"
    assert actions.refresh_registration(registration, gateway=gateway, by=user).status == (
        RegistrationStatus.PENDING
    )
    fake.activate(registration.urssaf_id)
    registration = actions.refresh_registration(registration, gateway=gateway, by=user)
    assert registration.status == RegistrationStatus.ACTIVE
    assert registration.activated_at is not None
    assert registration.status_code == "APPAREILLAGE_VALIDE"
    assert list(
        AuditEntry.objects.filter(object_id=str(registration.pk)).values_list("action", flat=True)
    ) == ["sap.registration_status", "sap.household_registered"]


def test_registration_refused_then_corrected(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any
) -> None:
    client = HouseholdFactory(entity=sap_entity())
    registration = actions.register_household(
        client, household=household_data(), gateway=gateway, by=user
    )
    assert registration.status == RegistrationStatus.REFUSED
    assert registration.rejection_code == "ERR_DGFIP_R2P_INCONNU"
    assert "vérifiez l'état civil" in registration.rejection_message
    fake.add_taxpayer("Le Gall", "Yann", BIRTH)
    again = actions.register_household(client, household=household_data(), gateway=gateway, by=user)
    assert again.pk == registration.pk and again.status == RegistrationStatus.PENDING
    assert again.rejection_code == ""
    with pytest.raises(ValidationError, match="déjà inscrit"):
        actions.register_household(client, household=household_data(), gateway=gateway, by=user)


def test_registration_needs_the_consent_and_calls_nobody_without(
    fake: FakeUrssaf, gateway: HttpUrssafGateway
) -> None:
    client = HouseholdFactory(entity=sap_entity(), immediate_advance_consent=False)
    with pytest.raises(ValidationError, match="n'a pas donné son accord"):
        actions.register_household(client, household=household_data(), gateway=gateway, by=None)
    assert fake.calls == [] and not UrssafRegistration.objects.exists()


def test_validated_by_the_household_then_paid_records_the_payment(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any, registered: Invoice
) -> None:
    invoice = registered
    with time_machine.travel(ISSUED, tick=False):
        request = actions.submit_payment_request(
            invoice, gateway=gateway, by=user, today=ISSUED.date()
        )
    assert request.status == RequestStatus.INTEGRATED
    assert request.deadline == ISSUED + timedelta(hours=48)
    assert (request.amount_incl_tax, request.amount_excl_tax) == (D("275.00"), D("250.00"))
    with time_machine.travel(ISSUED + timedelta(hours=1), tick=False):
        actions.refresh_payment_requests([request], gateway=gateway, by=user)
        request.refresh_from_db()
        assert request.status == RequestStatus.AWAITING_CLIENT
        fake.validate(request.urssaf_id)
        actions.refresh_payment_requests([request], gateway=gateway, by=user)
        request.refresh_from_db()
    assert request.status == RequestStatus.VALIDATED and not request.deemed_validated
    with time_machine.travel(ISSUED + timedelta(days=5), tick=False):
        result = actions.refresh_payment_requests([request], gateway=gateway, by=user)
    request.refresh_from_db()
    assert (result.checked, result.changed) == (1, 1)
    assert request.status == RequestStatus.PAID
    assert request.paid_on == (ISSUED + timedelta(hours=1, days=4)).date()
    payment = Payment.objects.get(invoice=invoice)
    assert request.payment == payment
    assert (payment.method, payment.amount, payment.paid_on) == (
        PaymentMethod.URSSAF_AI,
        D("275.00"),
        request.paid_on,
    )
    assert Invoice.objects.with_balance().get(pk=invoice.pk).balance == 0
    # Paid is final: polling again asks nothing and records nothing more.
    calls = len(fake.calls)
    assert actions.refresh_payment_requests([request], gateway=gateway, by=user).checked == 0
    assert len(fake.calls) == calls and Payment.objects.count() == 1


def test_contested_by_the_household(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any, registered: Invoice
) -> None:
    with time_machine.travel(ISSUED, tick=False):
        request = actions.submit_payment_request(
            registered, gateway=gateway, by=user, today=ISSUED.date()
        )
        fake.contest(request.urssaf_id, "CONTEST_ERR_FACT", "J'ai eu 8 heures, pas 10.")
        actions.refresh_payment_requests([request], gateway=gateway, by=user)
    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED and request.refused_at is not None
    assert (request.rejection_code, request.rejection_comment) == (
        "CONTEST_ERR_FACT",
        "J'ai eu 8 heures, pas 10.",
    )
    assert not Payment.objects.exists()
    # A contested request no longer blocks the invoice (it will be corrected by credit note).
    facts = actions.invoice_facts(registered)
    assert not facts.live_request


def test_deemed_validated_after_48_hours_without_an_answer(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any, registered: Invoice
) -> None:
    with time_machine.travel(ISSUED, tick=False):
        request = actions.submit_payment_request(
            registered, gateway=gateway, by=user, today=ISSUED.date()
        )
    with time_machine.travel(ISSUED + timedelta(hours=47, minutes=59), tick=False):
        actions.refresh_payment_requests([request], gateway=gateway, by=user)
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_CLIENT
    with time_machine.travel(ISSUED + timedelta(hours=48, minutes=1), tick=False):
        actions.refresh_payment_requests([request], gateway=gateway, by=user)
    request.refresh_from_db()
    assert request.status == RequestStatus.VALIDATED and request.deemed_validated
    assert request.validated_at == ISSUED + timedelta(hours=48, minutes=1)


def test_rejected_by_urssaf_with_its_reason(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any, registered: Invoice
) -> None:
    registration = UrssafRegistration.objects.get()
    fake.block(registration.urssaf_id)  # a previous debit of the household was refused
    with time_machine.travel(ISSUED, tick=False):
        request = actions.submit_payment_request(
            registered, gateway=gateway, by=user, today=ISSUED.date()
        )
    assert request.status == RequestStatus.REJECTED and request.urssaf_id == ""
    assert request.rejection_code == "ERR_CMPT_BLOQUE"
    assert "compte du client est bloqué" in request.rejection_comment
    assert AuditEntry.objects.filter(action="sap.payment_request_rejected").count() == 1
    # Nothing more to poll for a rejected request.
    assert actions.refresh_payment_requests([request], gateway=gateway, by=user).checked == 0


def test_cancelled_by_urssaf_with_its_reason(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any, registered: Invoice
) -> None:
    with time_machine.travel(ISSUED, tick=False):
        request = actions.submit_payment_request(
            registered, gateway=gateway, by=user, today=ISSUED.date()
        )
        fake.cancel(request.urssaf_id, "ANNUL_ERR_MNT")
        actions.refresh_payment_requests([request], gateway=gateway, by=user)
    request.refresh_from_db()
    assert (request.status, request.rejection_code) == (RequestStatus.CANCELLED, "ANNUL_ERR_MNT")


def test_what_cannot_be_sent_is_refused_before_calling_urssaf(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any, registered: Invoice
) -> None:
    with time_machine.travel(ISSUED, tick=False):
        actions.submit_payment_request(registered, gateway=gateway, by=user, today=ISSUED.date())
        calls = len(fake.calls)
        with pytest.raises(ValidationError, match="déjà une demande de paiement en cours"):
            actions.submit_payment_request(
                registered, gateway=gateway, by=user, today=ISSUED.date()
            )
        company_invoice = sap_invoice(
            HouseholdFactory(entity=registered.entity, immediate_advance_consent=False),
            period=FEBRUARY,
            issue_date=ISSUED.date(),
        )
        with pytest.raises(ValidationError) as caught:
            actions.submit_payment_request(
                company_invoice, gateway=gateway, by=user, today=ISSUED.date()
            )
    assert "n'a pas donné son accord" in str(caught.value)
    assert "pas inscrit" in str(caught.value)
    assert len(fake.calls) == calls and PaymentRequest.objects.count() == 1


def test_urssaf_unreachable_saves_nothing(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any, registered: Invoice
) -> None:
    fake.stop()
    with (
        time_machine.travel(ISSUED, tick=False),
        pytest.raises(ValidationError, match="ne répond pas"),
    ):
        actions.submit_payment_request(registered, gateway=gateway, by=user, today=ISSUED.date())
    assert not PaymentRequest.objects.exists()


def test_refresh_entity_follows_registrations_and_requests(
    fake: FakeUrssaf, gateway: HttpUrssafGateway, user: Any, registered: Invoice
) -> None:
    waiting = HouseholdFactory(entity=registered.entity)
    fake.add_taxpayer("Le Gall", "Anne", date(1990, 1, 1))
    pending = actions.register_household(
        waiting,
        household=household_data(first_names="Anne", birth_date=date(1990, 1, 1)),
        gateway=gateway,
        by=user,
    )
    with time_machine.travel(ISSUED, tick=False):
        request = actions.submit_payment_request(
            registered, gateway=gateway, by=user, today=ISSUED.date()
        )
    fake.activate(pending.urssaf_id)
    with time_machine.travel(ISSUED + timedelta(days=6), tick=False):
        result = actions.refresh_entity(registered.entity, gateway=gateway, by=None)
    pending.refresh_from_db()
    request.refresh_from_db()
    assert pending.status == RegistrationStatus.ACTIVE
    assert (request.status, request.deemed_validated, result.changed) == (
        RequestStatus.PAID,
        True,
        1,
    )
