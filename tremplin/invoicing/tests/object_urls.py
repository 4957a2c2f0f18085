"""Object URLs of this app, for the cross-group 404 test (core/tests/test_url_walk.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tremplin.clients.rules import french_vat_number
from tremplin.closing.models import CloseStatus
from tremplin.closing.tests.factories import MonthlyCloseFactory
from tremplin.invoicing.tests.factories import (
    InvoiceLineFactory,
    draft_with_lines,
    issued_invoice,
)
from tremplin.organisations.models import Entity


def make_objects(entity: Entity) -> dict[str, Any]:
    entity.vat_number = french_vat_number(entity.siren)
    entity.save(update_fields=["vat_number"])
    draft = draft_with_lines(entity=entity)
    return {
        "invoice": issued_invoice(entity=entity),
        "draft": draft,
        "draft_line": InvoiceLineFactory.create(invoice=draft),
        "invoicing_close": MonthlyCloseFactory.create(
            entity=entity, year=2025, month=3, status=CloseStatus.CLOSED
        ),
    }


def _draft(w: dict[str, Any]) -> str:
    return f"/factures/facture/{w['draft'].pk}/"


def _line(w: dict[str, Any]) -> str:
    return _draft(w) + f"lignes/{w['draft_line'].pk}/"


OBJECT_URLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "invoicing:invoice": lambda w: f"/factures/facture/{w['invoice'].pk}/",
    "invoicing:invoice_edit": lambda w: _draft(w) + "modifier/",
    "invoicing:invoice_delete": lambda w: _draft(w) + "supprimer/",
    "invoicing:invoice_issue": lambda w: _draft(w) + "emettre/",
    "invoicing:line_add": lambda w: _draft(w) + "lignes/ajouter/",
    "invoicing:line_edit": _line,
    "invoicing:line_delete": lambda w: _line(w) + "supprimer/",
    "invoicing:credit_note_new": lambda w: f"/factures/facture/{w['invoice'].pk}/avoir/",
    "invoicing:payment_new": lambda w: f"/factures/facture/{w['invoice'].pk}/paiement/",
    "invoicing:list": lambda w: f"/factures/{w['entity'].slug}/",
    "invoicing:invoice_new": lambda w: f"/factures/{w['entity'].slug}/nouvelle/",
    "invoicing:overdue": lambda w: f"/factures/{w['entity'].slug}/impayees/",
    "invoicing:prepare_from_close": lambda w: f"/factures/{w['entity'].slug}/cloture/2025/3/",
    "invoicing:invoice_pdf": lambda w: f"/factures/facture/{w['invoice'].pk}/facture.pdf",
    "invoicing:invoice_xml": lambda w: f"/factures/facture/{w['invoice'].pk}/factur-x.xml",
}
