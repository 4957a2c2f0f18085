"""The sales journal of an entity as a *fichier des écritures comptables* (FEC).

Livre des procédures fiscales, art. L47 A and A47 A-1: a flat file, one line per posting, the
18 columns below in this order, a header line with their names, one separator (tab), dates as
``AAAAMMJJ``, amounts with a comma and no thousands separator, file named
``<SIREN>FEC<AAAAMMJJ>.txt`` after the closing date of the period.

One entry per issued invoice or credit note, balanced: the client (411, with the client as
auxiliary account) against revenue (706, one account per activity, one line per analytic code)
and VAT collected (44571, one account per rate). A credit note is the same entry reversed.
The accounts and a worked example are in ``docs/algorithms/invoice-documents.md``.

``journal_rows`` and ``fec_text`` are pure; ``sales_of`` and ``export_fec`` read the database.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from tremplin.core.dates import format_date
from tremplin.core.money import format_euros, format_number
from tremplin.orders.rules import ServiceKind
from tremplin.organisations.rules import siren_error

if TYPE_CHECKING:
    from tremplin.invoicing.models import Invoice
    from tremplin.organisations.models import Entity

ZERO = Decimal("0.00")

# LPF art. A47 A-1: the 18 columns of the FEC of a company keeping commercial accounts.
COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
SEPARATOR = "\t"
LINE_END = "\r\n"
# LPF art. A47 A-1: characters coded in ASCII, EBCDIC or ISO 8859-15 (which has « € » and
# every French letter).
ENCODING = "iso8859_15"

JOURNAL_CODE = "VT"
JOURNAL_LABEL = "Journal des ventes"

# Plan comptable général (règlement ANC 2014-03): 411 clients, 706 prestations de services,
# 44571 TVA collectée. Sub-accounts are the group's own chart, one per activity and per rate.
CLIENT_ACCOUNT = ("411000", "Clients")
REVENUE_ACCOUNTS: dict[ServiceKind, tuple[str, str]] = {
    ServiceKind.PLACEMENT: ("706100", "Prestations - mise à disposition de personnel"),
    ServiceKind.HOUSEWORK: ("706210", "Prestations SAP - ménage à domicile"),
    ServiceKind.IRONING: ("706220", "Prestations SAP - repassage à domicile"),
    ServiceKind.GARDENING: ("706230", "Prestations SAP - petits travaux de jardinage"),
    ServiceKind.CAR_WASH: ("706310", "Prestations - lavage de véhicules"),
    ServiceKind.DOCUMENT_MANAGEMENT: ("706320", "Prestations - gestion électronique de documents"),
    ServiceKind.OFFICE_CLEANING: ("706330", "Prestations - entretien de locaux"),
    ServiceKind.CONCIERGE: ("706340", "Prestations - conciergerie"),
}
VAT_ACCOUNTS: dict[Decimal, tuple[str, str]] = {
    Decimal("20"): ("445711", "TVA collectée 20 %"),
    Decimal("10"): ("445712", "TVA collectée 10 %"),
    Decimal("5.5"): ("445713", "TVA collectée 5,5 %"),
    Decimal("2.1"): ("445714", "TVA collectée 2,1 %"),
}


class FecError(ValueError):
    """The journal cannot be exported; ``messages`` say why, in French, naming the field."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


@dataclass(frozen=True, slots=True)
class SaleLine:
    """Revenue of one invoice line: activity, analytic code, amount excl. VAT (signed)."""

    activity: str
    analytic_code: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SaleVat:
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Sale:
    """An issued invoice or credit note, amounts signed as stored (negative for a credit)."""

    number: str
    issue_date: date
    validated_on: date
    is_credit_note: bool
    client_code: str
    client_name: str
    total_excl_tax: Decimal
    total_vat: Decimal
    total_incl_tax: Decimal
    lines: tuple[SaleLine, ...]
    vat: tuple[SaleVat, ...]


@dataclass(frozen=True, slots=True)
class FecRow:
    """One posting: the 18 columns, amounts as ``Decimal`` (formatted by ``fec_text``)."""

    journal_code: str
    journal_label: str
    entry_number: str
    entry_date: date
    account: str
    account_label: str
    aux_account: str
    aux_label: str
    piece_ref: str
    piece_date: date
    label: str
    debit: Decimal
    credit: Decimal
    lettering: str
    lettering_date: date | None
    valid_date: date
    currency_amount: Decimal | None
    currency: str


def client_code(client_id: int) -> str:
    """The auxiliary account of a client: ``C`` and its number on 6 digits."""
    return f"C{client_id:06d}"


def revenue_account(activity: str) -> tuple[str, str]:
    if activity in ServiceKind.values:
        return REVENUE_ACCOUNTS[ServiceKind(activity)]
    return ("706000", "Prestations de services")


def vat_account(rate: Decimal) -> tuple[str, str] | None:
    return VAT_ACCOUNTS.get(Decimal(rate).normalize())


def _sides(amount: Decimal) -> tuple[Decimal, Decimal]:
    """(debit, credit) of an amount counted positive on the debit side."""
    return (amount, ZERO) if amount >= 0 else (ZERO, -amount)


def sale_errors(sale: Sale) -> list[str]:
    """Why ``sale`` cannot make a balanced entry: unknown VAT rate, totals that do not add up."""
    errors = []
    kind = "l'avoir" if sale.is_credit_note else "la facture"
    for vat in sale.vat:
        if vat.amount and vat_account(vat.rate) is None:
            errors.append(
                f"Pas de compte de TVA collectée pour le taux de {format_number(vat.rate)} % "
                f"de {kind} {sale.number}."
            )
    lines = sum((line.amount for line in sale.lines), ZERO)
    vat_total = sum((vat.amount for vat in sale.vat), ZERO)
    if lines != sale.total_excl_tax or vat_total != sale.total_vat:
        errors.append(
            f"Les lignes ou la TVA de {kind} {sale.number} ne correspondent pas à ses totaux."
        )
    if sale.total_excl_tax + sale.total_vat != sale.total_incl_tax:
        errors.append(
            f"Le total TTC de {kind} {sale.number} ({format_euros(sale.total_incl_tax)}) "
            "n'est pas le total HT plus la TVA."
        )
    return errors


def journal_rows(sales: Iterable[Sale]) -> list[FecRow]:
    """The postings of the sales journal, entries numbered from 1 in chronological order.

    Raises :class:`FecError` when an entry would not balance.
    """
    ordered = sorted(sales, key=lambda s: (s.issue_date, s.is_credit_note, s.number))
    errors = [message for sale in ordered for message in sale_errors(sale)]
    if errors:
        raise FecError(errors)
    rows: list[FecRow] = []
    for index, sale in enumerate(ordered, start=1):
        kind = "Avoir" if sale.is_credit_note else "Facture"
        label = f"{kind} {sale.number} {sale.client_name}"
        postings: list[tuple[tuple[str, str], str, str, str, Decimal]] = []
        # The client owes the total incl. VAT: debit for an invoice, credit for a credit note.
        postings.append(
            (CLIENT_ACCOUNT, sale.client_code, sale.client_name, label, sale.total_incl_tax)
        )
        revenue: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for line in sale.lines:
            revenue[(line.activity, line.analytic_code)] += line.amount
        for (activity, analytic), amount in sorted(revenue.items()):
            if amount:
                line_label = f"{label} [analytique {analytic}]" if analytic else label
                postings.append((revenue_account(activity), "", "", line_label, -amount))
        for vat in sorted(sale.vat, key=lambda v: v.rate):
            account = vat_account(vat.rate)
            if vat.amount and account is not None:
                postings.append((account, "", "", label, -vat.amount))
        for (account_number, account_label), aux, aux_label, text, amount in postings:
            debit, credit = _sides(amount)
            rows.append(
                FecRow(
                    journal_code=JOURNAL_CODE,
                    journal_label=JOURNAL_LABEL,
                    entry_number=f"{JOURNAL_CODE}{index:06d}",
                    entry_date=sale.issue_date,
                    account=account_number,
                    account_label=account_label,
                    aux_account=aux,
                    aux_label=aux_label,
                    piece_ref=sale.number,
                    piece_date=sale.issue_date,
                    label=text,
                    debit=debit,
                    credit=credit,
                    lettering="",
                    lettering_date=None,
                    valid_date=sale.validated_on,
                    currency_amount=None,
                    currency="",
                )
            )
    return rows


def fec_amount(value: Decimal | None) -> str:
    """``Decimal("1234.5")`` → ``"1234,50"``: comma, two decimals, no thousands separator."""
    if value is None:
        return ""
    return f"{value:.2f}".replace(".", ",")


def fec_date(value: date | None) -> str:
    return "" if value is None else value.strftime("%Y%m%d")


def _field(text: str) -> str:
    """A text field that cannot break the file: no separator, no line end, no pipe."""
    return " ".join(text.replace("|", " ").split())


def fec_text(rows: Sequence[FecRow]) -> str:
    """The file's text: header line, then one line per posting."""
    lines = [SEPARATOR.join(COLUMNS)]
    for row in rows:
        lines.append(
            SEPARATOR.join(
                (
                    _field(row.journal_code),
                    _field(row.journal_label),
                    _field(row.entry_number),
                    fec_date(row.entry_date),
                    _field(row.account),
                    _field(row.account_label),
                    _field(row.aux_account),
                    _field(row.aux_label),
                    _field(row.piece_ref),
                    fec_date(row.piece_date),
                    _field(row.label),
                    fec_amount(row.debit),
                    fec_amount(row.credit),
                    _field(row.lettering),
                    fec_date(row.lettering_date),
                    fec_date(row.valid_date),
                    fec_amount(row.currency_amount),
                    _field(row.currency),
                )
            )
        )
    return LINE_END.join(lines) + LINE_END


# Typography outside ISO 8859-15, written the plain way.
_PLAIN = {
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u202f": " ",
}


def _plain_letters(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler for what ISO 8859-15 lacks: typography made plain, a letter without
    its accent, else ``?``."""
    assert isinstance(error, UnicodeEncodeError)
    plain = "".join(
        _PLAIN.get(char)
        or unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        or "?"
        for char in error.object[error.start : error.end]
    )
    return plain, error.end


codecs.register_error("tremplin.fec_plain_letters", _plain_letters)


def encode(text: str) -> bytes:
    """ISO 8859-15 bytes: typographic quotes and dashes made plain, a letter outside the set
    loses its accent (``ź`` → ``z``), what remains becomes ``?`` rather than the file failing."""
    return text.encode(ENCODING, errors="tremplin.fec_plain_letters")


def fec_filename(siren: str, closing_date: date) -> str:
    """``<SIREN>FEC<AAAAMMJJ>.txt``, the date being the closing date of the period."""
    return f"{siren}FEC{fec_date(closing_date)}.txt"


def configuration_errors(entity: Entity) -> list[str]:
    """What the entity lacks to export a FEC, naming the field to fill in."""
    if not entity.siren:
        return [
            f"Le SIREN de la structure « {entity.name} » n'est pas renseigné (champ « SIREN » "
            "de la fiche structure) : il nomme le fichier des écritures comptables "
            "(SIRENFECAAAAMMJJ)."
        ]
    if error := siren_error(entity.siren):
        return [f"Le SIREN de la structure « {entity.name} » n'est pas valide : {error}"]
    return []


# --- From the database ------------------------------------------------------------------------


def sale_of(invoice: Invoice) -> Sale:
    """An issued invoice as a sale (reads its lines and VAT amounts: prefetch them)."""
    issued_at = invoice.issued_at
    return Sale(
        number=invoice.number or "",
        issue_date=invoice.issue_date,  # type: ignore[arg-type]  # issued: never None
        validated_on=timezone.localdate(issued_at) if issued_at else invoice.issue_date,  # type: ignore[arg-type]
        is_credit_note=invoice.is_credit_note,
        client_code=client_code(invoice.client_id),
        client_name=invoice.buyer_name,
        total_excl_tax=invoice.total_excl_tax,
        total_vat=invoice.total_vat,
        total_incl_tax=invoice.total_incl_tax,
        lines=tuple(
            SaleLine(line.activity, line.analytic_code, line.amount_excl_tax)
            for line in invoice.lines.all()
        ),
        vat=tuple(SaleVat(vat.rate, vat.vat_amount) for vat in invoice.vat_amounts.all()),
    )


def sales_of(entity: Entity, start: date, end: date) -> list[Sale]:
    """The invoices and credit notes the entity issued between ``start`` and ``end``."""
    from tremplin.invoicing.models import Invoice

    invoices = (
        Invoice.objects.issued()
        .filter(entity=entity, issue_date__gte=start, issue_date__lte=end)
        .prefetch_related("lines", "vat_amounts")
        .order_by("issue_date", "number")
    )
    return [sale_of(invoice) for invoice in invoices]


@dataclass(frozen=True, slots=True)
class FecExport:
    filename: str
    content: bytes
    entries: int
    rows: int


def export_fec(entity: Entity, *, start: date, end: date) -> FecExport:
    """The FEC of the entity's sales journal from ``start`` to ``end`` (inclusive).

    Raises :class:`FecError` when the entity lacks its SIREN or an entry would not balance.
    """
    if errors := configuration_errors(entity):
        raise FecError(errors)
    if end < start:
        raise FecError(
            [f"La fin de la période ({format_date(end)}) précède son début ({format_date(start)})."]
        )
    sales = sales_of(entity, start, end)
    rows = journal_rows(sales)
    return FecExport(
        filename=fec_filename(entity.siren, end),
        content=encode(fec_text(rows)),
        entries=len(sales),
        rows=len(rows),
    )
