"""The Factur-X XML of an invoice: CII syntax, EN 16931 profile (norme NF EN 16931-1).

Two steps. ``document_from_invoice`` reads an issued invoice (its frozen snapshot, lines and VAT
by rate) into an :class:`InvoiceDocument`, a plain dataclass with the values of the EN 16931
business terms, already signed the way the standard wants them (a credit note, type 381, carries
positive amounts). ``build_xml`` turns such a document into CII XML with the factur-x library and
checks it against the official XSD of the profile, offline. Everything between the two steps is
pure: tests build documents by hand, without the database.

The mapping business term → model field is in ``docs/algorithms/invoice-documents.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from tremplin.clients.rules import ClientKind
from tremplin.core.dates import format_date
from tremplin.core.money import format_euros, format_number
from tremplin.invoicing.rules import SAP_TAX_CREDIT_STATEMENT
from tremplin.orders.rules import Unit
from tremplin.organisations.rules import VatRegime

if TYPE_CHECKING:
    from tremplin.invoicing.models import Invoice

LEVEL = "en16931"
FLAVOR = "factur-x"
CURRENCY = "EUR"
ZERO = Decimal("0.00")


class DocumentError(ValueError):
    """The invoice cannot be expressed as a valid Factur-X document; ``messages`` say why."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


class TypeCode(StrEnum):
    """BT-3, UNTDID 1001."""

    INVOICE = "380"  # Commercial invoice
    CREDIT_NOTE = "381"  # Credit note


class VatCategory(StrEnum):
    """BT-118 / BT-151, UNTDID 5305 as restricted by EN 16931."""

    STANDARD = "S"
    EXEMPT = "E"
    NOT_SUBJECT = "O"


class BillingFrame(StrEnum):
    """BT-23, the French *cadre de facturation* of the e-invoicing reform: first submission
    of an invoice of goods (B1), services (S1) or both (M1)."""

    GOODS = "B1"
    SERVICES = "S1"
    MIXED = "M1"


class NoteSubject(StrEnum):
    """BT-21, UNTDID 4451 codes the French rules require in the notes (BR-FR-05)."""

    RECOVERY_INDEMNITY = "PMT"  # indemnité forfaitaire pour frais de recouvrement
    LATE_PENALTIES = "PMD"  # pénalités de retard
    DISCOUNT = "AAB"  # escompte, or its absence
    TAX = "TXD"  # tax mention: the VAT-on-debits option
    GENERAL = "AAI"  # general information (SAP mentions, reason of a credit note)


# UN/ECE Recommendation 20 unit codes (BT-130).
UNIT_CODES: dict[Unit, str] = {
    Unit.HOUR: "HUR",
    Unit.VEHICLE: "C62",  # one (a vehicle washed)
    Unit.UNIT: "C62",
    Unit.MONTH: "MON",
}

# ISO/IEC 6523 identification schemes used in France.
SCHEME_SIREN = "0002"
SCHEME_SIRET = "0009"

# Buyers invoiced through Chorus Pro: the State, local authorities and public bodies
# (ordonnance 2014-697; their SIRET identifies them in Chorus Pro).
PUBLIC_BUYER_KINDS = frozenset({ClientKind.LOCAL_AUTHORITY, ClientKind.PUBLIC_BODY})


@dataclass(frozen=True, slots=True)
class VatExemption:
    """The exemption reason of a VAT category (BT-120 text, BT-121 VATEX code)."""

    category: VatCategory
    text: str
    code: str


# What a line at 0 % means for each VAT regime of the seller (domain.md §6.1, §6.3).
EXEMPTIONS: dict[VatRegime, VatExemption] = {
    VatRegime.FRANCHISE: VatExemption(
        VatCategory.EXEMPT, "TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE"
    ),
    VatRegime.NOT_SUBJECT: VatExemption(
        VatCategory.NOT_SUBJECT, "TVA non applicable, art. 261-7-1° b du CGI", "VATEX-EU-O"
    ),
}


@dataclass(frozen=True, slots=True)
class PostalAddress:
    line: str
    postal_code: str
    city: str
    country_code: str = "FR"


@dataclass(frozen=True, slots=True)
class TradeParty:
    """A seller (BG-4), buyer (BG-7) or place of delivery (BG-13)."""

    name: str
    address: PostalAddress
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    trade_name: str = ""
    legal_info: str = ""
    # Legal registration scheme: SIREN (0002) in general, SIRET (0009) for public buyers,
    # whom Chorus Pro identifies by their SIRET.
    legal_scheme: str = SCHEME_SIREN

    @property
    def legal_identifier(self) -> str:
        return self.siret if self.legal_scheme == SCHEME_SIRET else self.siren


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """An invoice line (BG-25)."""

    line_id: str
    name: str
    quantity: Decimal
    unit_code: str
    net_price: Decimal
    net_amount: Decimal
    vat_category: VatCategory
    vat_rate: Decimal
    description: str = ""
    seller_item_id: str = ""


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """The VAT of one category and rate (BG-23)."""

    category: VatCategory
    rate: Decimal
    basis: Decimal
    amount: Decimal
    exemption_reason: str = ""
    exemption_code: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    """An invoice note (BG-1): subject code BT-21, text BT-22."""

    subject: NoteSubject
    text: str


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """An invoice or credit note as EN 16931 sees it (amounts of a credit note are positive)."""

    number: str
    type_code: TypeCode
    issue_date: date
    seller: TradeParty
    buyer: TradeParty
    lines: tuple[DocumentLine, ...]
    vat_breakdown: tuple[VatBreakdown, ...]
    total_excl_tax: Decimal
    total_vat: Decimal
    total_incl_tax: Decimal
    billing_frame: BillingFrame = BillingFrame.SERVICES
    delivery: TradeParty | None = None
    due_date: date | None = None
    payment_terms: str = ""
    period_start: date | None = None
    period_end: date | None = None
    # BT-72: when the service was completed (the end of the invoiced period); the CII
    # delivery block may not be empty, so it is always given.
    delivery_date: date | None = None
    buyer_reference: str = ""  # BT-10: Chorus Pro service code
    order_reference: str = ""  # BT-13: engagement number (bon de commande)
    preceding_number: str = ""  # BT-25: the invoice a credit note corrects
    preceding_date: date | None = None  # BT-26
    vat_on_debits: bool = False
    notes: tuple[Note, ...] = field(default_factory=tuple)
    currency: str = CURRENCY

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == TypeCode.CREDIT_NOTE


# --- Checks -----------------------------------------------------------------------------------


def _siren_ok(value: str) -> bool:
    try:
        stdnum_siren.validate(value)
    except StdnumError:
        return False
    return True


def _siret_ok(value: str, siren: str) -> bool:
    try:
        stdnum_siret.validate(value)
    except StdnumError:
        return False
    return not siren or value[:9] == siren


def document_errors(doc: InvoiceDocument) -> list[str]:
    """What prevents ``doc`` from being a valid EN 16931 invoice, in French, naming the field.

    Besides the XSD, these are the business rules the XSD cannot check: the seller's SIREN
    (BR-FR-10), SIRET of the SIREN (BR-FR-09), the seller's VAT number when VAT is charged
    (BR-S-02), totals equal to the sum of their parts (BR-CO-10, 14, 15), a credit note's
    reference to the invoice it corrects, the Chorus Pro identity of a public buyer.
    """
    errors: list[str] = []
    seller, buyer = doc.seller, doc.buyer
    if not seller.siren:
        errors.append("Le SIREN du vendeur n'est pas renseigné (champ « SIREN » de la structure).")
    elif not _siren_ok(seller.siren):
        errors.append(f"Le SIREN du vendeur « {seller.siren} » n'est pas valide.")
    if seller.siret and not _siret_ok(seller.siret, seller.siren):
        errors.append(
            f"Le SIRET du vendeur « {seller.siret} » doit comporter 14 chiffres et commencer "
            "par son SIREN."
        )
    if buyer.siret and not _siret_ok(buyer.siret, buyer.siren):
        errors.append(
            f"Le SIRET du client « {buyer.siret} » doit comporter 14 chiffres et commencer "
            "par son SIREN."
        )
    if buyer.legal_scheme == SCHEME_SIRET and not buyer.siret:
        errors.append(
            "Le SIRET du client public n'est pas renseigné (champ « SIRET » du client) : "
            "Chorus Pro identifie l'acheteur public par son SIRET."
        )
    categories = {line.vat_category for line in doc.lines}
    if VatCategory.STANDARD in categories and not seller.vat_number:
        errors.append(
            "Le numéro de TVA intracommunautaire du vendeur n'est pas renseigné (champ « n° de "
            "TVA intracommunautaire » de la structure) : il est obligatoire sur une facture "
            "soumise à la TVA."
        )
    if VatCategory.EXEMPT in categories and not seller.vat_number:
        errors.append(
            "Le numéro de TVA intracommunautaire du vendeur n'est pas renseigné (champ « n° de "
            "TVA intracommunautaire » de la structure) : une facture exonérée de TVA le porte "
            "aussi (règle BR-E-02)."
        )
    if VatCategory.NOT_SUBJECT in categories and len(categories) > 1:
        errors.append(
            "Une facture d'un vendeur non assujetti ne peut pas mêler des lignes soumises à la "
            "TVA et des lignes hors champ."
        )
    if not doc.lines:
        errors.append("La facture n'a aucune ligne.")
    for line in doc.lines:
        if line.net_price < 0:
            errors.append(f"Ligne {line.line_id} : le prix unitaire ne peut pas être négatif.")
    for vat in doc.vat_breakdown:
        if vat.category != VatCategory.STANDARD and not (
            vat.exemption_reason or vat.exemption_code
        ):
            errors.append(
                f"La mention d'exonération de TVA manque pour les lignes à "
                f"{format_number(vat.rate)} % (champ « mention d'exonération de TVA »)."
            )
    line_total = sum((line.net_amount for line in doc.lines), ZERO)
    if line_total != doc.total_excl_tax:
        errors.append(
            f"Le total HT ({format_euros(doc.total_excl_tax)}) n'est pas la somme des lignes "
            f"({format_euros(line_total)})."
        )
    vat_total = sum((vat.amount for vat in doc.vat_breakdown), ZERO)
    if vat_total != doc.total_vat:
        errors.append(
            f"Le total de TVA ({format_euros(doc.total_vat)}) n'est pas la somme de la TVA par "
            f"taux ({format_euros(vat_total)})."
        )
    for vat in doc.vat_breakdown:
        basis = sum(
            (
                line.net_amount
                for line in doc.lines
                if (line.vat_category, line.vat_rate) == (vat.category, vat.rate)
            ),
            ZERO,
        )
        if basis != vat.basis:
            errors.append(
                f"La base HT de la TVA à {format_number(vat.rate)} % ({format_euros(vat.basis)}) "
                f"n'est pas la somme des lignes à ce taux ({format_euros(basis)})."
            )
    if doc.total_excl_tax + doc.total_vat != doc.total_incl_tax:
        errors.append(
            f"Le total TTC ({format_euros(doc.total_incl_tax)}) n'est pas le total HT plus la TVA."
        )
    if doc.is_credit_note and not doc.preceding_number:
        errors.append("L'avoir ne désigne pas la facture qu'il corrige.")
    return errors


# --- XML --------------------------------------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _party(party: TradeParty, *, with_vat: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": party.name,
        "country_code": party.address.country_code,
        "addr_l1": party.address.line,
        "postcode": party.address.postal_code,
        "city": party.address.city,
    }
    if party.siret:
        data["identifiers"] = {SCHEME_SIRET: party.siret}
    if party.legal_identifier:
        data["legal_identifier"] = party.legal_identifier
        data["legal_identifier_schemeid"] = party.legal_scheme
    if with_vat and party.vat_number:
        data["vat_identifier"] = party.vat_number
    if party.trade_name and party.trade_name != party.name:
        data["biz_name"] = party.trade_name
    if party.legal_info:
        data["legal_info"] = party.legal_info
    return {key: value for key, value in data.items() if value}


def data_dict(doc: InvoiceDocument) -> dict[str, Any]:
    """The document as the factur-x library's dictionary, keyed by EN 16931 business terms."""
    # BR-O-02: an invoice outside the scope of VAT names no VAT identifier.
    with_vat = all(line.vat_category != VatCategory.NOT_SUBJECT for line in doc.lines)
    data: dict[str, Any] = {
        "BT-1": doc.number,
        "BT-2": doc.issue_date,
        "BT-3": str(doc.type_code),
        "BT-5": doc.currency,
        "BT-23": str(doc.billing_frame),
        "BG-1": [{"BT-21": str(note.subject), "BT-22": note.text} for note in doc.notes],
        "BG-4": _party(doc.seller, with_vat=with_vat),
        "BG-7": _party(doc.buyer, with_vat=with_vat),
        "BG-23": [
            {
                "BT-116": _amount(vat.basis),
                "BT-117": _amount(vat.amount),
                "BT-118": str(vat.category),
                **(
                    {"BT-119": _amount(vat.rate)} if vat.category != VatCategory.NOT_SUBJECT else {}
                ),
                **({"BT-120": vat.exemption_reason} if vat.exemption_reason else {}),
                **({"BT-121": vat.exemption_code} if vat.exemption_code else {}),
            }
            for vat in doc.vat_breakdown
        ],
        "BG-25": [
            {
                "BT-126": line.line_id,
                "BT-129": _quantity(line.quantity),
                "BT-130": line.unit_code,
                "BT-131": _amount(line.net_amount),
                "BT-146": f"{line.net_price:f}",
                "BT-151": str(line.vat_category),
                **(
                    {"BT-152": _amount(line.vat_rate)}
                    if line.vat_category != VatCategory.NOT_SUBJECT
                    else {}
                ),
                "BT-153": line.name,
                **({"BT-154": line.description} if line.description else {}),
                **({"BT-155": line.seller_item_id} if line.seller_item_id else {}),
            }
            for line in doc.lines
        ],
        "BT-106": _amount(doc.total_excl_tax),
        "BT-109": _amount(doc.total_excl_tax),
        "BT-110": _amount(doc.total_vat),
        "BT-112": _amount(doc.total_incl_tax),
        "BT-115": _amount(doc.total_incl_tax),
    }
    optional: dict[str, Any] = {
        "BT-9": doc.due_date,
        "BT-10": doc.buyer_reference,
        "BT-13": doc.order_reference,
        "BT-20": doc.payment_terms,
        "BT-73": doc.period_start,
        "BT-74": doc.period_end,
        "BT-72": doc.delivery_date or doc.period_end or doc.issue_date,
    }
    data.update({key: value for key, value in optional.items() if value})
    if doc.billing_frame == BillingFrame.SERVICES and with_vat:
        # BT-8: VAT on services falls due on payment, or on the invoice under the option for
        # the debits (CGI art. 269, 2, c); the library writes UNTDID 2005 codes 72 and 5.
        data["BT-8"] = "invoice" if doc.vat_on_debits else "payment"
    if doc.delivery is not None:
        data["BG-13"] = {
            "name": doc.delivery.name,
            "country_code": doc.delivery.address.country_code,
            "addr_l1": doc.delivery.address.line,
            "postcode": doc.delivery.address.postal_code,
            "city": doc.delivery.address.city,
        }
    if doc.preceding_number:
        preceding: dict[str, Any] = {"BT-25": doc.preceding_number}
        if doc.preceding_date:
            preceding["BT-26"] = doc.preceding_date
        data["BG-3"] = [preceding]
    return data


def build_xml(doc: InvoiceDocument) -> bytes:
    """The Factur-X XML (CII, EN 16931) of ``doc``, checked against the profile's XSD.

    Raises :class:`DocumentError` with French messages when the document breaks a business
    rule or the XSD.
    """
    if errors := document_errors(doc):
        raise DocumentError(errors)
    import facturx

    try:
        xml: bytes = facturx.generate_xml(
            data_dict(doc), flavor=FLAVOR, level=LEVEL, check_xsd=False, check_schematron=False
        )
    except ValueError as exc:
        raise DocumentError([f"Le XML Factur-X ne peut pas être produit : {exc}"]) from exc
    check_xsd(xml)
    return xml


def check_xsd(xml: bytes) -> None:
    """Check ``xml`` against the XSD of the Factur-X EN 16931 profile (offline).

    Raises :class:`DocumentError` naming the failure.
    """
    import facturx

    try:
        facturx.xml_check_xsd(xml, flavor=FLAVOR, level=LEVEL)
    except Exception as exc:  # the library raises a bare Exception on an XSD failure
        raise DocumentError(
            [f"Le XML Factur-X n'est pas conforme au schéma XSD EN 16931 : {exc}"]
        ) from exc


# --- From the model ---------------------------------------------------------------------------


def vat_exemption(regime: str, text: str) -> VatExemption:
    """The VAT category and exemption of a line at 0 % for a seller under ``regime``.

    ``text`` is the mention frozen on the invoice, if any; it wins over the regime's default.
    """
    default = EXEMPTIONS.get(VatRegime(regime)) if regime in VatRegime.values else None
    if default is None:
        return VatExemption(VatCategory.EXEMPT, text, "")
    return VatExemption(default.category, text or default.text, default.code)


def notes_for(invoice: Invoice) -> tuple[Note, ...]:
    """The notes (BG-1) of an invoice: the French rules require PMT, PMD and AAB (BR-FR-05)."""
    notes = []
    if invoice.recovery_indemnity is not None:
        notes.append(
            Note(
                NoteSubject.RECOVERY_INDEMNITY,
                "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
                f"{format_euros(invoice.recovery_indemnity)} (Code de commerce, art. L441-10 et "
                "D441-5).",
            )
        )
    else:
        notes.append(
            Note(
                NoteSubject.RECOVERY_INDEMNITY,
                "Indemnité forfaitaire pour frais de recouvrement : sans objet pour un client "
                "particulier.",
            )
        )
    if invoice.late_penalty_rate is not None:
        notes.append(
            Note(
                NoteSubject.LATE_PENALTIES,
                "Pénalités de retard exigibles le jour suivant la date d'échéance, au taux annuel "
                f"de {format_number(invoice.late_penalty_rate)} % (Code de commerce, art. "
                "L441-10).",
            )
        )
    else:
        notes.append(
            Note(
                NoteSubject.LATE_PENALTIES,
                "En cas de retard de paiement, des pénalités au taux de l'intérêt légal peuvent "
                "être appliquées.",
            )
        )
    notes.append(Note(NoteSubject.DISCOUNT, "Pas d'escompte pour paiement anticipé."))
    if invoice.vat_on_debits:
        notes.append(
            Note(NoteSubject.TAX, "Option pour le paiement de la taxe d'après les débits.")
        )
    if invoice.credit_reason:
        notes.append(Note(NoteSubject.GENERAL, f"Motif de l'avoir : {invoice.credit_reason}"))
    if invoice.is_sap:
        declaration = f"Déclaration de services à la personne n° {invoice.seller_sap_declaration}"
        if invoice.seller_sap_declared_on:
            declaration += f" du {format_date(invoice.seller_sap_declared_on)}"
        notes.append(Note(NoteSubject.GENERAL, declaration))
        notes.append(Note(NoteSubject.GENERAL, SAP_TAX_CREDIT_STATEMENT))
    return tuple(notes)


def _line_description(line: Any) -> str:
    parts = []
    if line.worker_name:
        parts.append(f"Intervenant : {line.worker_name}")
    if line.hours is not None:
        parts.append(f"{format_number(abs(line.hours))} h d'intervention")
    return " — ".join(parts)


def document_from_invoice(invoice: Invoice) -> InvoiceDocument:
    """Read an issued invoice into a document (credit notes: amounts made positive, type 381).

    Reads ``invoice.lines``, ``invoice.vat_amounts`` and ``invoice.corrects``: prefetch them
    when building many documents.
    """
    sign = Decimal(-1) if invoice.is_credit_note else Decimal(1)
    exemption = vat_exemption(invoice.seller_vat_regime, invoice.vat_exemption)

    def category(rate: Decimal) -> VatCategory:
        return VatCategory.STANDARD if rate > 0 else exemption.category

    lines = []
    for position, line in enumerate(invoice.lines.all(), start=1):
        amount = sign * line.amount_excl_tax
        quantity = abs(line.quantity) if amount >= 0 else -abs(line.quantity)
        lines.append(
            DocumentLine(
                line_id=str(line.position or position),
                name=line.label,
                quantity=quantity,
                unit_code=UNIT_CODES.get(Unit(line.unit), "C62")
                if line.unit in Unit.values
                else "C62",
                net_price=abs(line.unit_price),
                net_amount=amount,
                vat_category=category(line.vat_rate),
                vat_rate=line.vat_rate,
                description=_line_description(line),
                seller_item_id=line.activity,
            )
        )
    breakdown = tuple(
        VatBreakdown(
            category=category(vat.rate),
            rate=vat.rate,
            basis=sign * vat.base_excl_tax,
            amount=sign * vat.vat_amount,
            exemption_reason="" if vat.rate > 0 else exemption.text,
            exemption_code="" if vat.rate > 0 else exemption.code,
        )
        for vat in invoice.vat_amounts.all()
    )
    public = invoice.buyer_kind in PUBLIC_BUYER_KINDS
    seller = TradeParty(
        name=invoice.seller_name,
        trade_name=invoice.seller_trade_name,
        address=PostalAddress(
            invoice.seller_address, invoice.seller_postal_code, invoice.seller_city
        ),
        siren=invoice.seller_siren,
        siret=invoice.seller_siret,
        vat_number=invoice.seller_vat_number,
        legal_info=invoice.seller_legal_form,
    )
    buyer = TradeParty(
        name=invoice.buyer_name,
        address=PostalAddress(invoice.buyer_address, invoice.buyer_postal_code, invoice.buyer_city),
        siren=invoice.buyer_siren or invoice.buyer_siret[:9],
        siret=invoice.buyer_siret,
        vat_number=invoice.buyer_vat_number,
        legal_scheme=SCHEME_SIRET if public else SCHEME_SIREN,
    )
    delivery = None
    if invoice.buyer_delivery_address or invoice.buyer_delivery_city:
        delivery = TradeParty(
            name=invoice.buyer_delivery_name or invoice.buyer_name,
            address=PostalAddress(
                invoice.buyer_delivery_address,
                invoice.buyer_delivery_postal_code,
                invoice.buyer_delivery_city,
            ),
        )
    original = invoice.corrects
    return InvoiceDocument(
        number=invoice.number or "",
        type_code=TypeCode.CREDIT_NOTE if invoice.is_credit_note else TypeCode.INVOICE,
        issue_date=invoice.issue_date,  # type: ignore[arg-type]  # issued: never None
        seller=seller,
        buyer=buyer,
        delivery=delivery,
        lines=tuple(lines),
        vat_breakdown=breakdown,
        total_excl_tax=sign * invoice.total_excl_tax,
        total_vat=sign * invoice.total_vat,
        total_incl_tax=sign * invoice.total_incl_tax,
        billing_frame={
            "services": BillingFrame.SERVICES,
            "goods": BillingFrame.GOODS,
            "mixed": BillingFrame.MIXED,
        }.get(invoice.operation_nature, BillingFrame.SERVICES),
        due_date=invoice.due_date,
        payment_terms=invoice.payment_terms or _default_terms(invoice),
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        delivery_date=invoice.period_end or invoice.issue_date,
        buyer_reference=invoice.buyer_chorus_service_code,
        order_reference=invoice.buyer_chorus_engagement_number,
        preceding_number=(original.number or "") if original else "",
        preceding_date=original.issue_date if original else None,
        vat_on_debits=invoice.vat_on_debits,
        notes=notes_for(invoice),
    )


def _default_terms(invoice: Invoice) -> str:
    if invoice.due_date is None:
        return ""
    if invoice.payment_terms_days == 0:
        return f"Paiement à réception, au plus tard le {format_date(invoice.due_date)}."
    return (
        f"Paiement à {invoice.payment_terms_days} jours, au plus tard le "
        f"{format_date(invoice.due_date)}."
    )
