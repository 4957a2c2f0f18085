"""The invoice PDF: PDF/A-3 with its Factur-X XML embedded, the legal mentions in its text, and
the download views (roles, drafts, a French page when the configuration is incomplete)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import facturx as facturx_library
import pypdf
import pytest
import time_machine
from django.urls import reverse

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.tests.factories import ClientFactory
from tremplin.core.tests.pdf import pdf_text
from tremplin.invoicing import actions
from tremplin.invoicing.facturx import build_xml, document_from_invoice
from tremplin.invoicing.models import Invoice
from tremplin.invoicing.pdf import invoice_pdf
from tremplin.invoicing.rules import SAP_TAX_CREDIT_STATEMENT
from tremplin.invoicing.tests import factories_documents as docs
from tremplin.orders.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _april_2026() -> Any:
    with time_machine.travel(date(2026, 4, 10), tick=False):
        yield


def test_the_pdf_is_pdf_a_3_with_the_factur_x_xml_embedded() -> None:
    invoice = docs.company_invoice()
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    xmp = reader.xmp_metadata
    assert xmp is not None
    xmp_bytes = xmp.stream.get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp_bytes
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in xmp_bytes
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp_bytes
    assert b"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp_bytes
    # PDF/A: an output intent with its ICC profile; the XML is an associated file (/AF).
    (intent,) = root["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1"
    (filespec,) = [ref.get_object() for ref in root["/AF"]]
    assert filespec["/F"] == "factur-x.xml"
    assert filespec["/AFRelationship"] == "/Data"
    assert list(reader.attachments) == ["factur-x.xml"]
    (embedded,) = reader.attachments["factur-x.xml"]
    assert embedded == build_xml(document_from_invoice(invoice))
    assert facturx_library.xml_check_xsd(embedded, flavor="factur-x", level="en16931")
    name, xml = facturx_library.get_xml_from_pdf(pdf, check_xsd=True)
    assert (name, xml) == ("factur-x.xml", embedded)


def test_the_pdf_carries_the_legal_mentions_of_a_company_invoice() -> None:
    invoice = docs.company_invoice(vat_on_debits=True)
    assert invoice.buyer_vat_number.startswith("FR")
    text = pdf_text(invoice_pdf(invoice))
    for expected in (
        f"Facture n° {invoice.number}",
        invoice.seller_name,
        f"SIREN {invoice.seller_siren}",
        f"N° de TVA intracommunautaire : {invoice.seller_vat_number}",
        "Logistique Atlantique SA",
        f"SIREN {invoice.buyer_siren}",
        f"N° de TVA intracommunautaire : {invoice.buyer_vat_number}",
        "Date d'échéance 02/05/2026",
        "Paiement à 30 jours, au plus tard le 02/05/2026. Pas d'escompte pour paiement anticipé.",
        "pénalités au taux annuel de 12,15 %",
        "indemnité forfaitaire pour frais de recouvrement de 40,00 €",
        "Entrepôt nord",
        "12 rue des Docks",
        "79180 Chauray",
        "Nature des opérations : Prestations de services.",
        "Option pour le paiement de la taxe d'après les débits.",
        "Total TTC à payer 465,00 €",
        "20,0 %",
    ):
        assert expected in text, expected


def test_the_pdf_of_a_household_sap_invoice() -> None:
    invoice = docs.household_invoice()
    text = pdf_text(invoice_pdf(invoice))
    for expected in (
        "Déclaration de services à la personne n° SAP123456789 du 06/01/2020",
        "Aïcha Benali",
        "6,50 h",
        "10,0 %",
        " ".join(SAP_TAX_CREDIT_STATEMENT.split()),
        "Identique à l'adresse du client.",
    ):
        assert expected in text, expected
    assert "40,00 €" not in text  # no recovery indemnity for a consumer
    assert text.count("N° de TVA intracommunautaire") == 1  # the seller's: a household has none


def test_the_pdf_of_a_credit_note_names_the_invoice_it_corrects() -> None:
    original = docs.company_invoice()
    note = actions.issue_credit_note(
        original, by=original.issued_by, reason="Prestation annulée", issue_date=date(2026, 4, 9)
    )
    pdf = invoice_pdf(note)
    text = pdf_text(pdf)
    assert f"Avoir n° {note.number}" in text
    assert f"Facture corrigée n° {original.number} du 02/04/2026" in text
    assert "Prestation annulée" in text
    assert "-465,00 €" in text
    _, xml = facturx_library.get_xml_from_pdf(pdf, check_xsd=True)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml


def test_the_pdf_of_an_exempt_association_prints_the_exemption() -> None:
    text = pdf_text(invoice_pdf(docs.exempt_invoice()))
    assert "TVA non applicable, art. 261-7-1° b du CGI" in text
    assert "Sans numéro de TVA intracommunautaire" in text


# --- Views ------------------------------------------------------------------------------------


def test_the_accountant_downloads_the_pdf_and_the_xml(client: Any) -> None:
    invoice = docs.company_invoice()
    client.force_login(user_with_role(Role.ACCOUNTANT, invoice.entity))
    response = client.get(reverse("invoicing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="facture-{invoice.number}.pdf"'
    )
    name, _ = facturx_library.get_xml_from_pdf(response.content, check_xsd=True)
    assert name == "factur-x.xml"
    response = client.get(reverse("invoicing:invoice_xml", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == (
        f'attachment; filename="facture-{invoice.number}.xml"'
    )
    assert facturx_library.xml_check_xsd(response.content, flavor="factur-x", level="en16931")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        pytest.param(Role.ACCOUNTANT, 200, id="accountant"),
        pytest.param(Role.DIRECTION, 200, id="direction"),
        pytest.param(Role.PLANNER, 403, id="planner"),
        pytest.param(Role.CIP, 403, id="cip"),
    ],
)
def test_who_may_download_the_xml(client: Any, role: Role, status: int) -> None:
    invoice = docs.company_invoice()
    client.force_login(user_with_role(role, invoice.entity))
    assert client.get(reverse("invoicing:invoice_xml", args=[invoice.pk])).status_code == status


def test_a_draft_has_no_document_yet(client: Any) -> None:
    entity = docs.seller()
    user = docs.accountant(entity)
    draft = actions.create_draft(entity, client=ClientFactory(entity=entity), by=user)
    actions.add_line(draft, by=user, service=ServiceFactory(entity=entity), quantity=2)
    client.force_login(user)
    assert client.get(reverse("invoicing:invoice_pdf", args=[draft.pk])).status_code == 404
    assert client.get(reverse("invoicing:invoice_xml", args=[draft.pk])).status_code == 404


def test_an_invoice_of_another_entity_of_the_group_is_404_without_its_role(client: Any) -> None:
    invoice = docs.company_invoice()
    elsewhere = docs.seller(group=invoice.entity.group)
    client.force_login(user_with_role(Role.ACCOUNTANT, elsewhere))
    assert client.get(reverse("invoicing:invoice_pdf", args=[invoice.pk])).status_code == 404


def test_a_missing_configuration_gets_a_french_page_naming_the_field(client: Any) -> None:
    invoice = docs.public_invoice(siret="")
    client.force_login(user_with_role(Role.ACCOUNTANT, invoice.entity))
    response = client.get(reverse("invoicing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Le SIRET du client public n&#x27;est pas renseigné (champ « SIRET » du client)" in page
    assert reverse("invoicing:invoice", args=[invoice.pk]) in page
    assert Invoice.objects.get(pk=invoice.pk).number == invoice.number  # nothing changed


def test_the_detail_page_of_an_issued_invoice_links_its_documents(client: Any) -> None:
    invoice = docs.company_invoice()
    client.force_login(user_with_role(Role.ACCOUNTANT, invoice.entity))
    page = client.get(reverse("invoicing:invoice", args=[invoice.pk])).content.decode()
    assert reverse("invoicing:invoice_pdf", args=[invoice.pk]) in page
    assert reverse("invoicing:invoice_xml", args=[invoice.pk]) in page
