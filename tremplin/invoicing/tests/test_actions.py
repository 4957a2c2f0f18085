"""Drafts, invoices from the close, issue (numbering, snapshot, mentions), credit notes,
payments and overdue invoices, through ``actions.py``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tremplin.clients.rules import french_vat_number
from tremplin.clients.tests.factories import ClientFactory
from tremplin.closing import actions as closing_actions
from tremplin.closing.tests.factories import OrderFactory, ServiceFactory, TimeEntryFactory
from tremplin.contracts.tests.factories import ContractFactory
from tremplin.core.models import AuditEntry
from tremplin.invoicing import actions
from tremplin.invoicing.models import (
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceStatus,
    PaymentMethod,
)
from tremplin.invoicing.tests.factories import (
    InvoicingEntityFactory,
    draft_with_lines,
    issued_invoice,
    sap_declaration,
)
from tremplin.orders.models import ClientPrice
from tremplin.orders.rules import ServiceKind
from tremplin.organisations.rules import VatRegime

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(date(2026, 11, 26), tick=False):
        yield


# --- Drafts by hand ----------------------------------------------------------------------


def test_draft_by_hand_prices_from_the_client_and_vat_from_the_service() -> None:
    entity = InvoicingEntityFactory.create()
    client = ClientFactory.create(entity=entity)
    service = ServiceFactory.create(entity=entity, unit_price=D("25.00"), analytic_code="ENT")
    ClientPrice.objects.create(
        client=client, service=service, unit_price=D("22.50"), valid_from=date(2026, 1, 1)
    )
    draft = actions.create_draft(
        entity,
        client=client,
        by=None,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
    )
    line = actions.add_line(draft, by=None, service=service, quantity=D("3.5"))
    draft.refresh_from_db()
    assert (line.unit_price, line.vat_rate, line.amount_excl_tax) == (D("22.50"), D(20), D("78.75"))
    assert (line.label, line.activity, line.analytic_code) == (service.name, service.kind, "ENT")
    assert (draft.total_excl_tax, draft.total_vat, draft.total_incl_tax) == (
        D("78.75"),
        D("15.75"),
        D("94.50"),
    )
    assert draft.number is None and draft.status == InvoiceStatus.DRAFT
    actions.update_line(line, by=None, label="Bureaux", quantity=D(2), unit_price=D("30.00"))
    draft.refresh_from_db()
    assert draft.total_incl_tax == D("72.00")
    actions.delete_line(line, by=None)
    draft.refresh_from_db()
    assert (draft.lines.count(), draft.total_incl_tax, draft.vat_amounts.count()) == (0, 0, 0)
    assert AuditEntry.objects.filter(object_id=str(draft.pk)).count() == 4


def test_exempt_seller_invoices_at_zero_with_the_mention() -> None:
    entity = InvoicingEntityFactory.create(association=True, vat_number="")
    client = ClientFactory.create(entity=entity)
    service = ServiceFactory.create(entity=entity, placement=True)
    draft = actions.create_draft(entity, client=client, by=None)
    line = actions.add_line(draft, by=None, service=service, quantity=D(10))
    assert line.vat_rate == 0
    invoice = actions.issue_invoice(draft, by=None)
    assert invoice.total_vat == 0 and invoice.total_incl_tax == D("200.00")
    assert invoice.vat_exemption == "TVA non applicable, art. 261-7-1° b du CGI"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        pytest.param(
            {"payment_terms_days": 75}, "payment_terms_days", "60 jours", id="b2b_ceiling"
        ),
    ],
)
def test_draft_errors_are_french_and_name_the_field(
    change: dict[str, Any], field: str, message: str
) -> None:
    entity = InvoicingEntityFactory.create()
    with pytest.raises(ValidationError) as exc:
        actions.create_draft(entity, client=ClientFactory.create(entity=entity), by=None, **change)
    assert message in str(exc.value.message_dict[field])
    assert not Invoice.objects.exists()


def test_a_client_of_another_entity_is_refused() -> None:
    entity = InvoicingEntityFactory.create()
    with pytest.raises(ValidationError, match="n'est pas un client de"):
        actions.create_draft(entity, client=ClientFactory.create(), by=None)


# --- Issue -----------------------------------------------------------------------------------


def test_issue_numbers_snapshots_and_freezes() -> None:
    entity = InvoicingEntityFactory.create()
    client = ClientFactory.create(
        entity=entity, chorus_service_code="SERV-01", local_authority=True, vat_registered=True
    )
    site = client.sites.create(
        name="Médiathèque", address="2 rue Haute", postal_code="79000", city="Niort"
    )
    first = issued_invoice(entity=entity, client=client, delivery_site=site)
    second = issued_invoice(entity=entity, client=client)
    assert (first.number, second.number) == ("FA-2026-00001", "FA-2026-00002")
    assert (first.series, first.year, first.sequence) == ("FA", 2026, 1)
    assert first.issue_date == TODAY and first.due_date == date(2026, 12, 26)
    assert (first.seller_name, first.seller_siren, first.seller_siret) == (
        entity.legal_name,
        entity.siren,
        entity.siret,
    )
    assert first.seller_vat_number == french_vat_number(entity.siren)
    assert (first.buyer_name, first.buyer_siret, first.buyer_siren) == (
        client.name,
        client.siret,
        client.siret[:9],
    )
    assert first.buyer_vat_number == french_vat_number(client.siret[:9]) == client.vat_number
    assert first.buyer_chorus_service_code == "SERV-01"
    assert (first.buyer_delivery_name, first.buyer_delivery_city) == ("Médiathèque", "Niort")
    assert first.late_penalty_rate == D("12.15") and first.recovery_indemnity == D("40.00")
    assert any("Paiement à 30 jours, au plus tard le 26/12/2026" in m for m in first.mentions)
    assert AuditEntry.objects.filter(action="invoicing.issued", object_id=str(first.pk)).exists()
    # The snapshot does not follow later changes of the entity or the client.
    client.name = "Nouveau nom"
    client.vat_number = ""
    client.save()
    frozen = Invoice.objects.get(pk=first.pk)
    assert frozen.buyer_name != "Nouveau nom"
    assert frozen.buyer_vat_number == french_vat_number(client.siret[:9])
    # A client without a VAT number (here from now on) gives an invoice without one.
    assert issued_invoice(entity=entity, client=client).buyer_vat_number == ""


def test_a_failed_issue_takes_no_number() -> None:
    entity = InvoicingEntityFactory.create(vat_number="")
    draft = draft_with_lines(entity=entity)
    with pytest.raises(ValidationError) as exc:
        actions.issue_invoice(draft, by=None)
    assert "n° de TVA intracommunautaire" in exc.value.messages[0]
    assert Invoice.objects.get(pk=draft.pk).number is None
    assert not InvoiceCounter.objects.exists()
    entity.vat_number = french_vat_number(entity.siren)
    entity.save()
    assert actions.issue_invoice(draft, by=None).number == "FA-2026-00001"


def test_missing_buyer_address_is_named() -> None:
    draft = draft_with_lines(client__address="", client__city="")
    with pytest.raises(ValidationError, match="n'a pas de adresse, commune"):
        actions.issue_invoice(draft, by=None)


def test_an_empty_or_null_draft_cannot_be_issued() -> None:
    empty = draft_with_lines(lines=())
    with pytest.raises(ValidationError, match="aucune ligne"):
        actions.issue_invoice(empty, by=None)
    free = draft_with_lines(lines=(("1", "0.00", "20"),))
    with pytest.raises(ValidationError, match="total positif"):
        actions.issue_invoice(free, by=None)


def test_issue_dates_follow_the_numbering() -> None:
    entity = InvoicingEntityFactory.create()
    issued_invoice(entity=entity, issue_date=date(2026, 11, 20))
    late = draft_with_lines(entity=entity)
    with pytest.raises(ValidationError, match="ordre chronologique"):
        actions.issue_invoice(late, by=None, issue_date=date(2026, 11, 19))
    with pytest.raises(ValidationError, match="postérieure"):
        actions.issue_invoice(late, by=None, issue_date=date(2026, 11, 27))
    assert actions.issue_invoice(late, by=None).sequence == 2  # no gap left by the failures


def test_issuing_twice_is_refused() -> None:
    invoice = issued_invoice()
    with pytest.raises(ValidationError, match="est émise"):
        actions.issue_invoice(Invoice.objects.get(pk=invoice.pk), by=None)


def test_numbering_restarts_each_year_and_per_entity() -> None:
    entity = InvoicingEntityFactory.create()
    issued_invoice(entity=entity)
    other = issued_invoice()
    assert other.number == "FA-2026-00001"
    with time_machine.travel(date(2027, 1, 4), tick=False):
        assert issued_invoice(entity=entity).number == "FA-2027-00001"


def test_household_sap_invoice_carries_the_sap_mentions() -> None:
    entity = InvoicingEntityFactory.create()
    sap_declaration(entity)
    client = ClientFactory.create(entity=entity, household=True)
    service = ServiceFactory.create(entity=entity, housework=True)
    draft = actions.create_draft(entity, client=client, by=None, period_end=date(2026, 10, 31))
    line = actions.add_line(
        draft, by=None, service=service, quantity=D(6), worker_name="DUPONT Awa", hours=D(6)
    )
    assert line.vat_rate == D(10) and line.sap_eligible
    invoice = actions.issue_invoice(draft, by=None)
    assert invoice.is_sap and invoice.seller_sap_declaration == "SAP912345678"
    assert invoice.recovery_indemnity is None
    text = " ".join(invoice.mentions)
    assert "Déclaration de services à la personne n° SAP912345678 du 01/01/2020" in text
    assert "199 sexdecies" in text


# --- From the close ---------------------------------------------------------------------------


@pytest.fixture
def closed_month() -> dict[str, Any]:
    entity = InvoicingEntityFactory.create()
    sap_declaration(entity)
    contract = ContractFactory.create(person__entity=entity, start=date(2026, 9, 1))
    person = contract.person
    company = OrderFactory.create(entity=entity, service__unit_price=D("25.00"))
    household = OrderFactory.create(
        entity=entity,
        client=ClientFactory.create(entity=entity, household=True),
        service=ServiceFactory.create(entity=entity, housework=True),
    )
    for day in (5, 6):
        TimeEntryFactory.create(
            person=person, day=date(2026, 10, day), hours=D("2.5"), intervention__order=company
        )
        TimeEntryFactory.create(
            person=person, day=date(2026, 10, day), hours=D(2), intervention__order=household
        )
    close = closing_actions.start_close(
        entity, year=2026, month=10, by=None, run_in_background=False
    )
    closing_actions.close_month(close)
    close.refresh_from_db()
    return {"entity": entity, "close": close, "person": person, "household": household}


def test_invoices_from_close_are_drafts_with_sap_details_and_idempotent(
    closed_month: dict[str, Any],
) -> None:
    close = closed_month["close"]
    invoices = actions.invoices_from_close(close, by=None)
    assert len(invoices) == 2 and all(i.status == InvoiceStatus.DRAFT for i in invoices)
    assert {i.total_excl_tax for i in invoices} == {
        d.total_excl_tax for d in close.invoice_drafts.all()
    }
    home = next(i for i in invoices if i.client == closed_month["household"].client)
    line = home.lines.get()
    assert line.sap_eligible and home.is_sap
    assert (line.hours, line.quantity, line.vat_rate) == (D("4.00"), D("4.00"), D(10))
    assert line.worker_name == f"{closed_month['person'].full_name} (4,00 h)"
    assert (home.period_start, home.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    again = actions.invoices_from_close(close, by=None)
    assert [i.pk for i in again] == [i.pk for i in invoices]
    assert Invoice.objects.count() == 2
    actions.issue_invoice(home, by=None)
    assert len(actions.invoices_from_close(close, by=None)) == 2


def test_invoices_need_a_closed_month(closed_month: dict[str, Any]) -> None:
    close = closed_month["close"]
    closing_actions.reopen_close(close, reason="Correction", by=None)
    with pytest.raises(ValidationError, match="mois clôturé"):
        actions.invoices_from_close(close, by=None)


# --- Credit notes -----------------------------------------------------------------------------


@pytest.fixture
def invoice() -> Invoice:
    return issued_invoice((("3", "33.33", "20"), ("1", "0.05", "10"), ("2", "12.50", "5.5")))


def test_full_credit_note_sums_to_zero(invoice: Invoice) -> None:
    note = actions.issue_credit_note(invoice, by=None, reason="Prestation annulée")
    assert note.kind == InvoiceKind.CREDIT_NOTE and note.number == "AV-2026-00001"
    assert note.corrects == invoice and note.status == InvoiceStatus.ISSUED
    for field in ("total_excl_tax", "total_vat", "total_incl_tax"):
        assert getattr(note, field) == -getattr(invoice, field)
    assert {
        (v.rate, v.base_excl_tax + o.base_excl_tax, v.vat_amount + o.vat_amount)
        for v, o in zip(
            note.vat_amounts.order_by("rate"), invoice.vat_amounts.order_by("rate"), strict=True
        )
    } == {(D("5.50"), 0, 0), (D("10.00"), 0, 0), (D("20.00"), 0, 0)}
    assert sorted(note.lines.values_list("credits_line", flat=True)) == sorted(  # type: ignore[type-var]
        invoice.lines.values_list("pk", flat=True)
    )
    assert note.mentions[0].startswith("Avoir relatif à la facture n° FA-2026-00001 du 26/11/2026")
    with pytest.raises(ValidationError, match="Rien à créditer"):
        actions.issue_credit_note(invoice, by=None, reason="Encore")


def test_partial_credit_notes_cannot_exceed_the_invoice(invoice: Invoice) -> None:
    first, small, third = invoice.lines.order_by("position")
    note = actions.issue_credit_note(invoice, by=None, lines={first.pk: D(1)}, reason="1 h de trop")
    assert (note.total_excl_tax, note.total_vat, note.total_incl_tax) == (
        D("-33.33"),
        D("-6.67"),
        D("-40.00"),
    )
    with pytest.raises(ValidationError) as exc:
        actions.issue_credit_note(invoice, by=None, lines={first.pk: D(3)}, reason="Trop")
    assert "Ligne 1" in exc.value.messages[0] and "(2,00)" in exc.value.messages[0]
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1
    rest = actions.issue_credit_note(invoice, by=None, reason="Le reste")
    assert rest.number == "AV-2026-00002"
    assert note.total_incl_tax + rest.total_incl_tax == -invoice.total_incl_tax


def test_a_credit_note_needs_a_reason_and_an_issued_invoice() -> None:
    draft = draft_with_lines()
    with pytest.raises(ValidationError, match="facture émise"):
        actions.issue_credit_note(draft, by=None, reason="x")
    with pytest.raises(ValidationError, match="motif"):
        actions.issue_credit_note(issued_invoice(), by=None, reason="  ")


# --- Payments and overdue ----------------------------------------------------------------------


def test_payments_balance_and_overdue() -> None:
    with time_machine.travel(date(2026, 9, 1), tick=False):
        invoice = issued_invoice()  # 300,00 € TTC due on 01/10/2026
    assert invoice.due_date == date(2026, 10, 1) and invoice.total_incl_tax == D("300.00")
    entity = invoice.entity
    assert list(actions.overdue_invoices(entity, TODAY)) == [invoice]
    assert list(actions.overdue_invoices(entity, date(2026, 10, 1))) == []
    actions.record_payment(
        invoice, by=None, paid_on=date(2026, 11, 2), amount=D("100.10"), method=PaymentMethod.CHEQUE
    )
    with pytest.raises(ValidationError) as exc:
        actions.record_payment(
            invoice, by=None, paid_on=TODAY, amount=D("200.00"), method=PaymentMethod.TRANSFER
        )
    assert exc.value.message_dict["amount"] == [
        "Le montant (200,00\u00a0€) dépasse le solde restant dû (199,90\u00a0€)."
    ]
    actions.record_payment(
        invoice, by=None, paid_on=TODAY, amount=D("199.90"), method=PaymentMethod.URSSAF_AI
    )
    annotated = Invoice.objects.with_balance().get(pk=invoice.pk)
    assert (annotated.balance, annotated.amount_paid) == (D("0.00"), D("300.00"))
    assert Invoice.objects.get(pk=invoice.pk).balance == 0
    assert list(actions.overdue_invoices(entity, TODAY)) == []
    assert AuditEntry.objects.filter(action="invoicing.payment_recorded").count() == 2


def test_a_paid_then_credited_invoice_is_refunded() -> None:
    invoice = issued_invoice()
    actions.record_payment(
        invoice, by=None, paid_on=TODAY, amount=D("300.00"), method=PaymentMethod.TRANSFER
    )
    actions.issue_credit_note(invoice, by=None, reason="Annulation")
    assert Invoice.objects.get(pk=invoice.pk).balance == D("-300.00")
    with pytest.raises(ValidationError, match="saisissez le remboursement en montant négatif"):
        actions.record_payment(
            invoice, by=None, paid_on=TODAY, amount=D("10.00"), method=PaymentMethod.TRANSFER
        )
    actions.record_payment(
        invoice, by=None, paid_on=TODAY, amount=D("-300.00"), method=PaymentMethod.TRANSFER
    )
    assert Invoice.objects.get(pk=invoice.pk).balance == 0


@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param("draft", "facture émise", id="draft"),
        pytest.param("credit_note", "facture qu'il corrige", id="credit_note"),
        pytest.param("future", "futur", id="future_date"),
    ],
)
def test_payment_refusals(target: str, message: str) -> None:
    invoice = issued_invoice()
    paid_on = TODAY
    if target == "draft":
        invoice = draft_with_lines()
    elif target == "credit_note":
        invoice = actions.issue_credit_note(invoice, by=None, reason="Annulation")
    else:
        paid_on = date(2026, 11, 27)
    with pytest.raises(ValidationError, match=message):
        actions.record_payment(
            invoice, by=None, paid_on=paid_on, amount=D(1), method=PaymentMethod.CARD
        )


def test_service_kinds_map_to_vat_rates_of_the_catalogue() -> None:
    entity = InvoicingEntityFactory.create(vat_regime=VatRegime.NORMAL)
    client = ClientFactory.create(entity=entity, household=True)
    draft = actions.create_draft(entity, client=client, by=None)
    undeclared = actions.add_line(
        draft,
        by=None,
        service=ServiceFactory.create(entity=entity, kind=ServiceKind.HOUSEWORK),
        quantity=D(1),
    )
    assert undeclared.vat_rate == D(20) and not undeclared.sap_eligible  # no SAP declaration
