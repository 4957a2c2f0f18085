"""An issued invoice is immutable: every write path raises; drafts stay editable."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import ProtectedError

from tremplin.invoicing import actions
from tremplin.invoicing.models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    InvoiceVatAmount,
    IssuedInvoiceError,
)
from tremplin.invoicing.tests.factories import InvoiceLineFactory, draft_with_lines, issued_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued() -> Invoice:
    return issued_invoice((("10", "25.00", "20"), ("2", "12.50", "10")))


def _unchanged(invoice: Invoice) -> None:
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.status, fresh.number, fresh.total_incl_tax) == (
        InvoiceStatus.ISSUED,
        invoice.number,
        Decimal("327.50"),
    )
    assert fresh.lines.count() == 2 and fresh.vat_amounts.count() == 2


def test_saving_an_issued_invoice_raises(issued: Invoice) -> None:
    issued.total_incl_tax = Decimal("1.00")
    with pytest.raises(IssuedInvoiceError, match="établissez un avoir"):
        issued.save()
    stale = Invoice.objects.get(pk=issued.pk)
    stale.status = InvoiceStatus.DRAFT  # an instance edited in memory does not fool the guard
    with pytest.raises(IssuedInvoiceError):
        stale.save()
    _unchanged(issued)


def test_deleting_an_issued_invoice_raises(issued: Invoice) -> None:
    with pytest.raises(IssuedInvoiceError):
        issued.delete()
    _unchanged(issued)


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda qs: qs.update(total_incl_tax=0), id="update"),
        pytest.param(lambda qs: qs.delete(), id="delete"),
        pytest.param(lambda qs: qs.bulk_update(list(qs), ["note"]), id="bulk_update"),
    ],
)
def test_queryset_writes_on_issued_invoices_raise(issued: Invoice, write: object) -> None:
    draft_with_lines(entity=issued.entity, client=issued.client)
    with pytest.raises(IssuedInvoiceError):
        write(Invoice.objects.filter(entity=issued.entity))  # type: ignore[operator]
    _unchanged(issued)
    assert Invoice.objects.filter(entity=issued.entity).count() == 2


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda line: line.save(), id="save"),
        pytest.param(lambda line: line.delete(), id="delete"),
        pytest.param(
            lambda line: InvoiceLine.objects.filter(pk=line.pk).update(quantity=1), id="qs_update"
        ),
        pytest.param(lambda line: InvoiceLine.objects.filter(pk=line.pk).delete(), id="qs_delete"),
        pytest.param(
            lambda line: InvoiceLine.objects.bulk_update([line], ["label"]), id="bulk_update"
        ),
        pytest.param(
            lambda line: InvoiceLineFactory.create(invoice=line.invoice), id="new_line_on_issued"
        ),
        pytest.param(
            lambda line: InvoiceLine.objects.bulk_create(
                [
                    InvoiceLine(
                        invoice=line.invoice,
                        label="x",
                        activity="menage",
                        quantity=1,
                        unit_price=1,
                        vat_rate=20,
                        amount_excl_tax=1,
                    )
                ]
            ),
            id="bulk_create_on_issued",
        ),
    ],
)
def test_lines_of_an_issued_invoice_cannot_change(issued: Invoice, write: object) -> None:
    line = issued.lines.first()
    assert line is not None
    line.quantity = Decimal(1)
    with pytest.raises(IssuedInvoiceError):
        write(line)  # type: ignore[operator]
    _unchanged(issued)


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda vat: vat.save(), id="save"),
        pytest.param(lambda vat: vat.delete(), id="delete"),
        pytest.param(
            lambda vat: InvoiceVatAmount.objects.filter(pk=vat.pk).update(vat_amount=0),
            id="qs_update",
        ),
        pytest.param(
            lambda vat: InvoiceVatAmount.objects.filter(pk=vat.pk).delete(), id="qs_delete"
        ),
    ],
)
def test_vat_rows_of_an_issued_invoice_cannot_change(issued: Invoice, write: object) -> None:
    with pytest.raises(IssuedInvoiceError):
        write(issued.vat_amounts.first())  # type: ignore[operator]
    _unchanged(issued)


def test_an_issued_invoice_cannot_be_issued_by_update(issued: Invoice) -> None:
    draft = draft_with_lines(entity=issued.entity, client=issued.client)
    with pytest.raises(IssuedInvoiceError, match="action d'émission"):
        Invoice.objects.filter(pk=draft.pk).update(status=InvoiceStatus.ISSUED)
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT


def test_issued_invoice_protects_its_client_and_delivery_site() -> None:
    draft = draft_with_lines()
    site = draft.client.sites.create(
        name="Dépôt", address="1 rue", postal_code="79000", city="Niort"
    )
    draft.delivery_site = site
    draft.save()
    issued = actions.issue_invoice(draft, by=None)
    with pytest.raises(ProtectedError):
        issued.client.delete()
    with pytest.raises(ProtectedError):
        site.delete()  # a cascade SET_NULL would have written into the issued invoice
    assert Invoice.objects.get(pk=issued.pk).delivery_site == site


def test_drafts_stay_editable_and_deletable() -> None:
    draft = draft_with_lines()
    draft.note = "À envoyer avec le relevé"
    draft.save()
    line = draft.lines.get()
    line.label = "Entretien des bureaux"
    line.save()
    InvoiceLine.objects.filter(invoice=draft).update(analytic_code="ENT")
    assert Invoice.objects.filter(pk=draft.pk).update(note="") == 1
    Invoice.objects.filter(pk=draft.pk).delete()
    assert not Invoice.objects.filter(pk=draft.pk).exists()
    assert not InvoiceLine.objects.filter(pk=line.pk).exists()


def test_only_a_credit_note_corrects(issued: Invoice) -> None:
    note = actions.issue_credit_note(issued, by=None, reason="Erreur de tarif")
    assert note.corrects == issued
    assert Invoice.objects.with_balance().get(pk=issued.pk).balance == 0
    _unchanged(issued)
