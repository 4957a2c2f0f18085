"""The Factur-X XML: business rules on plain documents, then real issued invoices, each checked
against the official XSD of the EN 16931 profile."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import facturx as facturx_library
import pytest
import time_machine
from lxml import etree

from tremplin.invoicing import actions
from tremplin.invoicing.facturx import (
    DocumentError,
    DocumentLine,
    InvoiceDocument,
    Note,
    NoteSubject,
    PostalAddress,
    TradeParty,
    TypeCode,
    VatBreakdown,
    VatCategory,
    build_xml,
    check_xsd,
    document_errors,
    document_from_invoice,
    vat_exemption,
)
from tremplin.invoicing.tests import factories_documents as docs
from tremplin.organisations.rules import VatRegime

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
AGREEMENT = "//ram:ApplicableHeaderTradeAgreement"
# BT-48, the buyer's VAT identifier (scheme VA).
BUYER_VAT = AGREEMENT + "/ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
SUMS = SETTLEMENT + "/ram:SpecifiedTradeSettlementHeaderMonetarySummation"

D = Decimal


def xpath(xml: bytes, path: str) -> list[str]:
    found = etree.fromstring(xml).xpath(path, namespaces=NS)
    return [item if isinstance(item, str) else (item.text or "") for item in found]


def one(xml: bytes, path: str) -> str:
    values = xpath(xml, path)
    assert len(values) == 1, f"{path}: {values}"
    return values[0]


def assert_sums_add_up(xml: bytes) -> None:
    """EN 16931 BR-CO-10, BR-CO-14, BR-CO-15: totals are the sums of their parts."""
    lines = [D(v) for v in xpath(xml, "//ram:SpecifiedLineTradeSettlement//ram:LineTotalAmount")]
    vats = [D(v) for v in xpath(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:CalculatedAmount")]
    assert D(one(xml, SUMS + "/ram:LineTotalAmount")) == sum(lines)
    assert D(one(xml, SUMS + "/ram:TaxTotalAmount")) == sum(vats)
    assert D(one(xml, SUMS + "/ram:GrandTotalAmount")) == D(
        one(xml, SUMS + "/ram:TaxBasisTotalAmount")
    ) + D(one(xml, SUMS + "/ram:TaxTotalAmount"))


# --- Plain documents, no database -------------------------------------------------------------

SELLER = TradeParty(
    "Tremplin Services SAS",
    PostalAddress("1 rue de l'Essai", "79000", "Niort"),
    siren="732829320",
    siret="73282932000074",
    vat_number="FR44732829320",
    legal_info="SAS",
)
BUYER = TradeParty(
    "Logistique Atlantique SA",
    PostalAddress("3 avenue de Paris", "79000", "Niort"),
    siren="552100554",
    siret="55210055400013",
    vat_number="FR96552100554",
)
LINE = DocumentLine(
    "1", "Entretien", D("10.50"), "HUR", D("25.00"), D("262.50"), VatCategory.STANDARD, D("20")
)
DOC = InvoiceDocument(
    number="FA-2026-00001",
    type_code=TypeCode.INVOICE,
    issue_date=date(2026, 4, 2),
    seller=SELLER,
    buyer=BUYER,
    lines=(LINE,),
    vat_breakdown=(VatBreakdown(VatCategory.STANDARD, D("20"), D("262.50"), D("52.50")),),
    total_excl_tax=D("262.50"),
    total_vat=D("52.50"),
    total_incl_tax=D("315.00"),
    due_date=date(2026, 5, 2),
    payment_terms="Paiement à 30 jours.",
    notes=(
        Note(NoteSubject.RECOVERY_INDEMNITY, "40,00 €"),
        Note(NoteSubject.LATE_PENALTIES, "12,15 %"),
        Note(NoteSubject.DISCOUNT, "Pas d'escompte."),
    ),
)
EXEMPT_LINE = dataclasses.replace(LINE, vat_category=VatCategory.EXEMPT, vat_rate=D("0"))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, None, id="valid"),
        pytest.param(
            {"seller": dataclasses.replace(SELLER, siren="", siret="")},
            "Le SIREN du vendeur n'est pas renseigné (champ « SIREN » de la structure).",
            id="seller_without_siren",
        ),
        pytest.param(
            {"seller": dataclasses.replace(SELLER, siren="732829321", siret="")},
            "Le SIREN du vendeur « 732829321 » n'est pas valide.",
            id="seller_siren_bad_key",
        ),
        pytest.param(
            {"seller": dataclasses.replace(SELLER, siret="55210055400013")},
            "doit comporter 14 chiffres et commencer par son SIREN",
            id="seller_siret_of_another_siren",
        ),
        pytest.param(
            {"seller": dataclasses.replace(SELLER, vat_number="")},
            "il est obligatoire sur une facture soumise à la TVA",
            id="taxed_without_vat_number",
        ),
        pytest.param(
            {
                "seller": dataclasses.replace(SELLER, vat_number=""),
                "lines": (EXEMPT_LINE,),
                "vat_breakdown": (
                    VatBreakdown(VatCategory.EXEMPT, D("0"), D("262.50"), D("0"), "Art. 293 B"),
                ),
                "total_vat": D("0"),
                "total_incl_tax": D("262.50"),
            },
            "une facture exonérée de TVA le porte aussi (règle BR-E-02)",
            id="exempt_without_vat_number",
        ),
        pytest.param(
            {
                "lines": (EXEMPT_LINE,),
                "vat_breakdown": (VatBreakdown(VatCategory.EXEMPT, D("0"), D("262.50"), D("0")),),
                "total_vat": D("0"),
                "total_incl_tax": D("262.50"),
            },
            "La mention d'exonération de TVA manque pour les lignes à 0,00 %",
            id="exempt_without_reason",
        ),
        pytest.param(
            {"total_excl_tax": D("262.51"), "total_incl_tax": D("315.01")},
            "n'est pas la somme des lignes (262,50",
            id="total_excl_tax_off_by_a_cent",
        ),
        pytest.param(
            {"total_vat": D("52.49"), "total_incl_tax": D("314.99")},
            "n'est pas la somme de la TVA par taux",
            id="total_vat_off_by_a_cent",
        ),
        pytest.param(
            {"total_incl_tax": D("315.01")},
            "n'est pas le total HT plus la TVA",
            id="total_incl_tax_off",
        ),
        pytest.param(
            {"type_code": TypeCode.CREDIT_NOTE},
            "L'avoir ne désigne pas la facture qu'il corrige.",
            id="credit_note_without_original",
        ),
        pytest.param(
            {"buyer": dataclasses.replace(BUYER, siret="", legal_scheme="0009")},
            "Le SIRET du client public n'est pas renseigné (champ « SIRET » du client)",
            id="public_buyer_without_siret",
        ),
        pytest.param(
            {"lines": (dataclasses.replace(LINE, net_price=D("-25.00")),)},
            "Ligne 1 : le prix unitaire ne peut pas être négatif.",
            id="negative_price",
        ),
    ],
)
def test_document_errors_name_the_field(changes: dict[str, object], expected: str | None) -> None:
    errors = document_errors(dataclasses.replace(DOC, **changes))
    if expected is None:
        assert errors == []
    else:
        assert any(expected in error for error in errors), errors


def test_an_invalid_document_is_refused_before_any_xml() -> None:
    with pytest.raises(DocumentError) as exc:
        build_xml(dataclasses.replace(DOC, seller=dataclasses.replace(SELLER, siren="")))
    assert "SIREN du vendeur" in exc.value.messages[0]


def test_the_xsd_check_refuses_an_xml_missing_a_mandatory_element() -> None:
    xml = build_xml(DOC)
    root = etree.fromstring(xml)
    (type_code,) = root.xpath("//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS)
    type_code.getparent().remove(type_code)
    with pytest.raises(DocumentError) as exc:
        check_xsd(etree.tostring(root))
    assert exc.value.messages[0].startswith(
        "Le XML Factur-X n'est pas conforme au schéma XSD EN 16931"
    )


@pytest.mark.parametrize(
    ("regime", "text", "category", "reason", "code"),
    [
        pytest.param(
            VatRegime.NOT_SUBJECT,
            "",
            VatCategory.NOT_SUBJECT,
            "TVA non applicable, art. 261-7-1° b du CGI",
            "VATEX-EU-O",
            id="association_not_subject",
        ),
        pytest.param(
            VatRegime.FRANCHISE,
            "",
            VatCategory.EXEMPT,
            "TVA non applicable, art. 293 B du CGI",
            "VATEX-FR-FRANCHISE",
            id="franchise_en_base",
        ),
        pytest.param(
            VatRegime.NORMAL,
            "Exonération, art. 261 C du CGI",
            VatCategory.EXEMPT,
            "Exonération, art. 261 C du CGI",
            "",
            id="taxed_seller_with_frozen_mention",
        ),
        pytest.param(
            VatRegime.FRANCHISE,
            "Mention figée",
            VatCategory.EXEMPT,
            "Mention figée",
            "VATEX-FR-FRANCHISE",
            id="frozen_mention_wins",
        ),
    ],
)
def test_vat_exemption_by_regime(
    regime: VatRegime, text: str, category: VatCategory, reason: str, code: str
) -> None:
    exemption = vat_exemption(regime, text)
    assert (exemption.category, exemption.text, exemption.code) == (category, reason, code)


def test_a_plain_document_makes_a_valid_xml_with_the_french_notes() -> None:
    xml = build_xml(DOC)
    assert facturx_library.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert one(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:cen.eu:en16931:2017"
    )
    assert one(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == "S1"
    assert xpath(xml, "//ram:IncludedNote/ram:SubjectCode") == ["PMT", "PMD", "AAB"]
    # VAT on services is due on payment unless the seller opted for the debits.
    assert xpath(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:DueDateTypeCode") == ["72"]
    on_debits = build_xml(dataclasses.replace(DOC, vat_on_debits=True))
    assert xpath(on_debits, SETTLEMENT + "/ram:ApplicableTradeTax/ram:DueDateTypeCode") == ["5"]
    assert one(xml, BUYER_VAT) == "FR96552100554"
    assert_sums_add_up(xml)


@pytest.mark.parametrize(
    ("vat_number", "expected"),
    [
        pytest.param("FR96552100554", ["FR96552100554"], id="french"),
        pytest.param("NL004495445B01", ["NL004495445B01"], id="dutch_fourteen_characters"),
        pytest.param("", [], id="none"),
    ],
)
def test_the_buyer_vat_number_is_bt_48(vat_number: str, expected: list[str]) -> None:
    xml = build_xml(
        dataclasses.replace(DOC, buyer=dataclasses.replace(BUYER, vat_number=vat_number))
    )
    assert facturx_library.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert xpath(xml, BUYER_VAT) == expected
    # The seller's number (BT-31) stays where it is.
    seller_vat = AGREEMENT + "/ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"
    assert xpath(xml, seller_vat) == ["FR44732829320"]


def test_an_invoice_outside_the_scope_of_vat_names_no_buyer_vat_number() -> None:
    """BR-O-02: neither the seller's nor the buyer's VAT identifier on a category O invoice."""
    line = dataclasses.replace(LINE, vat_category=VatCategory.NOT_SUBJECT, vat_rate=D("0"))
    doc = dataclasses.replace(
        DOC,
        lines=(line,),
        vat_breakdown=(
            VatBreakdown(
                VatCategory.NOT_SUBJECT,
                D("0"),
                D("262.50"),
                D("0"),
                "TVA non applicable, art. 261-7-1° b du CGI",
                "VATEX-EU-O",
            ),
        ),
        total_vat=D("0"),
        total_incl_tax=D("262.50"),
    )
    assert doc.buyer.vat_number
    xml = build_xml(doc)
    assert facturx_library.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert xpath(xml, BUYER_VAT) == []
    assert xpath(xml, "//ram:SpecifiedTaxRegistration") == []


# --- Issued invoices ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _april_2026() -> object:
    with time_machine.travel(date(2026, 4, 10), tick=False):
        yield


@pytest.mark.django_db
def test_company_invoice() -> None:
    invoice = docs.company_invoice(vat_on_debits=True)
    xml = build_xml(document_from_invoice(invoice))
    assert facturx_library.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert one(xml, "//rsm:ExchangedDocument/ram:ID") == invoice.number
    assert one(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert one(xml, "//rsm:ExchangedDocument//udt:DateTimeString") == "20260402"
    seller = AGREEMENT + "/ram:SellerTradeParty"
    buyer = AGREEMENT + "/ram:BuyerTradeParty"
    assert one(xml, seller + "/ram:Name") == invoice.seller_name
    assert one(xml, seller + "/ram:SpecifiedLegalOrganization/ram:ID") == invoice.seller_siren
    assert one(xml, seller + "/ram:SpecifiedLegalOrganization/ram:ID/@schemeID") == "0002"
    assert one(xml, seller + "/ram:GlobalID[@schemeID='0009']") == invoice.seller_siret
    assert one(xml, seller + "/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == (
        invoice.seller_vat_number
    )
    assert one(xml, seller + "/ram:PostalTradeAddress/ram:CityName") == "Niort"
    assert one(xml, buyer + "/ram:Name") == "Logistique Atlantique SA"
    assert one(xml, buyer + "/ram:SpecifiedLegalOrganization/ram:ID") == invoice.buyer_siren
    assert one(xml, buyer + "/ram:SpecifiedLegalOrganization/ram:ID/@schemeID") == "0002"
    assert one(xml, buyer + "/ram:PostalTradeAddress/ram:LineOne") == "3 avenue de Paris"
    assert invoice.buyer_vat_number == invoice.client.vat_number != ""
    assert one(xml, BUYER_VAT) == invoice.buyer_vat_number
    ship_to = "//ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty"
    assert one(xml, ship_to + "/ram:Name") == "Entrepôt nord"
    assert one(xml, ship_to + "/ram:PostalTradeAddress/ram:LineOne") == "12 rue des Docks"
    terms = SETTLEMENT + "/ram:SpecifiedTradePaymentTerms"
    assert one(xml, terms + "//udt:DateTimeString") == "20260502"
    assert one(xml, terms + "/ram:Description") == invoice.payment_terms
    assert xpath(xml, "//ram:IncludedSupplyChainTradeLineItem//ram:BilledQuantity") == [
        "12.5",
        "3",
    ]
    assert xpath(xml, "//ram:BilledQuantity/@unitCode") == ["HUR", "C62"]
    assert xpath(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["25.00", "25.00"]
    assert xpath(
        xml, "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"
    ) == [
        "S",
        "S",
    ]
    assert xpath(
        xml, "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent"
    ) == ["20.00", "20.00"]
    assert xpath(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:BasisAmount") == ["387.50"]
    assert xpath(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:CalculatedAmount") == ["77.50"]
    assert one(xml, SUMS + "/ram:GrandTotalAmount") == "465.00"
    assert one(xml, SUMS + "/ram:DuePayableAmount") == "465.00"
    notes = dict(
        zip(
            xpath(xml, "//ram:IncludedNote/ram:SubjectCode"),
            xpath(xml, "//ram:IncludedNote/ram:Content"),
            strict=True,
        )
    )
    assert "40,00\u00a0€" in notes["PMT"]
    assert "12,15 %" in notes["PMD"]
    assert notes["AAB"] == "Pas d'escompte pour paiement anticipé."
    assert notes["TXD"] == "Option pour le paiement de la taxe d'après les débits."
    assert xpath(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:DueDateTypeCode") == ["5"]
    assert_sums_add_up(xml)


@pytest.mark.django_db
def test_household_sap_invoice_at_the_reduced_rate() -> None:
    invoice = docs.household_invoice()
    xml = build_xml(document_from_invoice(invoice))
    assert facturx_library.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    buyer = AGREEMENT + "/ram:BuyerTradeParty"
    assert one(xml, buyer + "/ram:Name") == "Mme Jeanne Martin"
    assert xpath(xml, buyer + "/ram:SpecifiedLegalOrganization") == []  # a household: no SIREN
    assert xpath(xml, BUYER_VAT) == []  # nor VAT number
    assert xpath(xml, "//ram:SpecifiedLineTradeSettlement//ram:RateApplicablePercent") == ["10.00"]
    assert one(xml, "//ram:SpecifiedTradeProduct/ram:Description") == (
        "Intervenant : Aïcha Benali — 6,50 h d'intervention"
    )
    assert one(xml, "//ram:SpecifiedTradeProduct/ram:SellerAssignedID") == "menage"
    assert one(xml, SETTLEMENT + "/ram:ApplicableTradeTax/ram:CalculatedAmount") == "15.60"
    notes = xpath(xml, "//ram:IncludedNote/ram:Content")
    assert any("sans objet pour un client particulier" in note for note in notes)
    assert "Déclaration de services à la personne n° SAP123456789 du 06/01/2020" in notes
    assert any("199 sexdecies" in note for note in notes)
    assert_sums_add_up(xml)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("regime", "category", "reason", "code", "vat_ids"),
    [
        pytest.param(
            VatRegime.NOT_SUBJECT,
            "O",
            "TVA non applicable, art. 261-7-1° b du CGI",
            "VATEX-EU-O",
            0,
            id="association_not_subject",
        ),
        pytest.param(
            VatRegime.FRANCHISE,
            "E",
            "TVA non applicable, art. 293 B du CGI",
            "VATEX-FR-FRANCHISE",
            1,
            id="franchise_en_base",
        ),
    ],
)
def test_vat_exempt_invoice(
    regime: VatRegime, category: str, reason: str, code: str, vat_ids: int
) -> None:
    invoice = docs.exempt_invoice(regime=regime)
    assert invoice.total_vat == 0
    xml = build_xml(document_from_invoice(invoice))
    assert facturx_library.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    breakdown = SETTLEMENT + "/ram:ApplicableTradeTax"
    assert one(xml, breakdown + "/ram:CategoryCode") == category
    assert one(xml, breakdown + "/ram:ExemptionReason") == reason
    assert one(xml, breakdown + "/ram:ExemptionReasonCode") == code
    assert one(xml, breakdown + "/ram:CalculatedAmount") == "0.00"
    assert xpath(xml, "//ram:SpecifiedLineTradeSettlement//ram:CategoryCode") == [category]
    # BR-O-02: no VAT identifier on an invoice outside the scope of VAT.
    assert len(xpath(xml, "//ram:SpecifiedTaxRegistration")) == vat_ids
    assert_sums_add_up(xml)


@pytest.mark.django_db
def test_public_client_invoice_carries_the_chorus_pro_data() -> None:
    invoice = docs.public_invoice()
    xml = build_xml(document_from_invoice(invoice))
    assert facturx_library.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert one(xml, AGREEMENT + "/ram:BuyerReference") == "SERV-TECH-01"
    assert one(xml, AGREEMENT + "/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == (
        "EJ-2026-0042"
    )
    legal = AGREEMENT + "/ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"
    assert one(xml, legal) == invoice.buyer_siret
    assert one(xml, legal + "/@schemeID") == "0009"
    assert_sums_add_up(xml)


@pytest.mark.django_db
def test_public_client_without_siret_is_a_missing_configuration() -> None:
    invoice = docs.public_invoice(siret="")
    with pytest.raises(DocumentError) as exc:
        build_xml(document_from_invoice(invoice))
    assert (
        "Le SIRET du client public n'est pas renseigné (champ « SIRET » du client)"
        in (exc.value.messages[0])
    )


@pytest.mark.django_db
def test_credit_note_refers_to_the_original_with_positive_amounts() -> None:
    original = docs.company_invoice()
    first_line = original.lines.order_by("position").first()
    assert first_line is not None
    note = actions.issue_credit_note(
        original,
        by=original.issued_by,
        lines={first_line.pk: D("2.50")},
        reason="Heures non réalisées",
        issue_date=date(2026, 4, 9),
    )
    assert note.total_incl_tax < 0
    xml = build_xml(document_from_invoice(note))
    assert facturx_library.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert one(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert one(xml, "//rsm:ExchangedDocument/ram:ID") == note.number
    reference = SETTLEMENT + "/ram:InvoiceReferencedDocument"
    assert one(xml, reference + "/ram:IssuerAssignedID") == original.number
    assert one(xml, reference + "//qdt:DateTimeString") == "20260402"
    assert xpath(xml, "//ram:BilledQuantity") == ["2.5"]
    assert one(xml, SUMS + "/ram:TaxBasisTotalAmount") == "62.50"
    assert one(xml, SUMS + "/ram:GrandTotalAmount") == "75.00"
    assert -D(one(xml, SUMS + "/ram:GrandTotalAmount")) == note.total_incl_tax
    assert any(
        "Heures non réalisées" in text for text in xpath(xml, "//ram:IncludedNote/ram:Content")
    )
    assert_sums_add_up(xml)
