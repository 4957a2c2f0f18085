"""Rules of invoicing: amounts and rounding, VAT by rate, numbering, due dates, overdue
invoices, credit-note limits and the legal mentions. Pure functions: no database, no clock.

The rounding policy and the numbering algorithm, with worked tables, are in
``docs/algorithms/invoicing.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from tremplin.accounts.rules import Role
from tremplin.clients.rules import ClientKind
from tremplin.core.dates import format_date
from tremplin.core.money import CENT, format_euros, format_number, to_cents
from tremplin.core.parameters import DatedParameter, Period
from tremplin.organisations.rules import VatRegime

# Who may prepare, issue and correct invoices and record payments: the people who answer for
# the figures (same as the monthly close).
INVOICING_ROLES = frozenset({Role.ACCOUNTANT, Role.DIRECTION})

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# Numbering series: invoices and credit notes each have their own gapless series per entity
# and year (CGI ann. II art. 242 nonies A, 7°: distinct series are allowed when justified).
INVOICE_SERIES = "FA"
CREDIT_NOTE_SERIES = "AV"
SEQUENCE_DIGITS = 5


# Late-payment penalties between professionals (Code de commerce, art. L441-10 II): failing a
# contractual rate, the ECB's main refinancing rate on the first day of the half-year plus
# 10 points. The ECB rates below are the rate in force on 1 January / 1 July, not re-verified
# against the Banque de France notice, hence ``confirmed=False``.
_L441_10 = "Code de commerce, art. L441-10 II : taux de refinancement BCE du semestre + 10 points"
LATE_PENALTY_RATE: DatedParameter[Decimal] = DatedParameter(
    "late_payment_penalty_rate",
    "Taux annuel des pénalités de retard (%)",
    (
        Period(Decimal("12.50"), date(2023, 1, 1), date(2023, 6, 30), _L441_10, False),
        Period(Decimal("14.00"), date(2023, 7, 1), date(2023, 12, 31), _L441_10, False),
        Period(Decimal("14.50"), date(2024, 1, 1), date(2024, 6, 30), _L441_10, False),
        Period(Decimal("14.25"), date(2024, 7, 1), date(2024, 12, 31), _L441_10, False),
        Period(Decimal("13.15"), date(2025, 1, 1), date(2025, 6, 30), _L441_10, False),
        Period(Decimal("12.15"), date(2025, 7, 1), date(2025, 12, 31), _L441_10, False),
        Period(Decimal("12.15"), date(2026, 1, 1), None, _L441_10, False),
    ),
)

# Fixed indemnity for recovery costs owed by a professional debtor in late payment
# (Code de commerce, art. L441-10 II and D441-5, décret 2012-1115 of 2 October 2012).
RECOVERY_INDEMNITY: DatedParameter[Decimal] = DatedParameter(
    "recovery_indemnity",
    "Indemnité forfaitaire pour frais de recouvrement (€)",
    (
        Period(
            Decimal("40.00"),
            date(2013, 1, 1),
            None,
            "Code de commerce, art. D441-5 (décret 2012-1115 du 02/10/2012) — domain.md §6.1",
        ),
    ),
)

# Default payment term and the legal ceiling between professionals (Code de commerce,
# art. L441-10 I: 30 days after the service when nothing is agreed; 60 days from the invoice
# date at most).
DEFAULT_PAYMENT_DAYS: DatedParameter[int] = DatedParameter(
    "default_payment_days",
    "Délai de paiement par défaut (jours)",
    (Period(30, date(2009, 1, 1), None, "Code de commerce, art. L441-10 I (LME 2008)"),),
)
MAX_PAYMENT_DAYS: DatedParameter[int] = DatedParameter(
    "max_payment_days",
    "Délai de paiement maximal entre professionnels (jours)",
    (Period(60, date(2009, 1, 1), None, "Code de commerce, art. L441-10 I (LME 2008)"),),
)

# VAT exemption mentions (CGI ann. II art. 242 nonies A, 13°): the regime that exempts and the
# article to print on the invoice (domain.md §6.1, §6.3).
VAT_EXEMPTION_MENTIONS: Mapping[str, str] = {
    VatRegime.FRANCHISE: "TVA non applicable, art. 293 B du CGI",
    VatRegime.NOT_SUBJECT: "TVA non applicable, art. 261-7-1° b du CGI",
}

# Household services (arrêté du 17/03/2015, art. 5; CGI art. 199 sexdecies): the tax-credit
# statement printed on the invoice of a declared organisation.
SAP_TAX_CREDIT_STATEMENT = (
    "Les sommes versées au titre de ces prestations de services à la personne ouvrent droit au "
    "crédit d'impôt prévu à l'article 199 sexdecies du code général des impôts, dans les "
    "conditions et limites prévues par cet article."
)

# Clients that are not professionals: no recovery indemnity, no B2B payment-term ceiling.
CONSUMER_KINDS = frozenset({ClientKind.HOUSEHOLD})


# --- Amounts -------------------------------------------------------------------------------


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """The amount excl. VAT of one line: quantity × unit price, rounded half up to the cent."""
    return to_cents(quantity * unit_price)


def vat_of(base: Decimal, rate: Decimal) -> Decimal:
    """VAT on ``base`` at ``rate`` percent, rounded half up to the cent (symmetric for credits)."""
    return to_cents(base * rate / HUNDRED)


def effective_vat_rate(rate: Decimal, regime: str) -> Decimal:
    """The rate to invoice: 0 when the seller's regime exempts it (CGI 261-7-1° b, 293 B)."""
    return Decimal(0) if regime in VAT_EXEMPTION_MENTIONS else rate


def rate_key(rate: Decimal) -> Decimal:
    """A VAT rate in one canonical form (two places), so that 20, 20.0 and 20.00 group."""
    return Decimal(rate).quantize(CENT)


@dataclass(frozen=True, slots=True)
class VatGroup:
    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    excl_tax: Decimal
    vat: Decimal
    incl_tax: Decimal
    groups: tuple[VatGroup, ...]


def vat_groups(lines: Iterable[tuple[Decimal, Decimal]]) -> tuple[VatGroup, ...]:
    """Group ``(amount excl. VAT, rate)`` lines by rate; the VAT of each rate is computed once on
    the sum of its lines and rounded to the cent (CGI art. 242 nonies A, 14°: VAT per rate).
    """
    bases: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for amount, rate in lines:
        bases[rate_key(rate)] += amount
    return tuple(
        VatGroup(rate=rate, base=to_cents(base), vat=vat_of(base, rate))
        for rate, base in sorted(bases.items())
    )


def totals_from_groups(groups: Iterable[VatGroup]) -> Totals:
    groups = tuple(groups)
    excl = sum((g.base for g in groups), ZERO)
    vat = sum((g.vat for g in groups), ZERO)
    return Totals(excl_tax=excl, vat=vat, incl_tax=excl + vat, groups=groups)


def totals(lines: Iterable[tuple[Decimal, Decimal]]) -> Totals:
    """Totals of an invoice from its ``(amount excl. VAT, rate)`` lines: total excl. VAT is the
    sum of the lines, total VAT the sum of the per-rate VAT, total incl. VAT their sum.
    """
    return totals_from_groups(vat_groups(lines))


# --- Credit notes --------------------------------------------------------------------------


def credit_note_groups(
    credited_bases: Mapping[Decimal, Decimal], remaining: Mapping[Decimal, VatGroup]
) -> tuple[VatGroup, ...]:
    """VAT of a credit note, rate by rate, never refunding more VAT than is left to credit.

    ``credited_bases``: the (negative) base credited now per rate; ``remaining``: per rate, the
    base and VAT of the original not yet credited (positive). When a credit note takes the whole
    remaining base of a rate, its VAT is exactly the remaining VAT, so that the original and all
    its credit notes sum to zero; otherwise the VAT is computed as for an invoice and capped at
    what remains (rounding several partial credits could otherwise exceed the original by a cent).
    """
    groups = []
    for rate, base in sorted(credited_bases.items()):
        left = remaining.get(rate, VatGroup(rate, ZERO, ZERO))
        vat = -left.vat if -base == left.base else max(vat_of(base, rate), -left.vat)
        groups.append(VatGroup(rate=rate, base=base, vat=vat))
    return tuple(groups)


def credit_line_amount(
    quantity: Decimal, unit_price: Decimal, *, left_quantity: Decimal, left_amount: Decimal
) -> Decimal:
    """The (negative) amount excl. VAT credited on a line for ``quantity`` of it.

    Crediting all that is left of the line gives exactly what is left of its amount; a part
    is priced like an invoice line but never beyond what is left (two halves of a 0,01 € line
    would otherwise credit 0,02 €).
    """
    if quantity == left_quantity:
        return -left_amount
    return -min(line_amount(quantity, unit_price), left_amount)


def credit_quantity_error(
    *, label: str, position: int, asked: Decimal, invoiced: Decimal, already_credited: Decimal
) -> str:
    """Why a credited quantity is not acceptable on a line, or ``""``."""
    left = invoiced - already_credited
    if asked < 0:
        return f"Ligne {position} ({label}) : la quantité à créditer ne peut pas être négative."
    if asked > left:
        return (
            f"Ligne {position} ({label}) : la quantité à créditer ({format_number(asked)}) "
            f"dépasse la quantité restant à créditer ({format_number(left)})."
        )
    return ""


# --- Numbering -----------------------------------------------------------------------------


def format_number_of(series: str, year: int, sequence: int) -> str:
    """The printed number: ``FA-2026-00001`` (series, year, rank on 5 digits)."""
    return f"{series}-{year}-{sequence:0{SEQUENCE_DIGITS}d}"


def series_for(is_credit_note: bool) -> str:
    return CREDIT_NOTE_SERIES if is_credit_note else INVOICE_SERIES


def numbering_gaps(sequences: Iterable[int]) -> list[int]:
    """The ranks missing from 1 to the highest given rank (should always be empty)."""
    seen = set(sequences)
    return [n for n in range(1, max(seen, default=0) + 1) if n not in seen]


def issue_date_error(issue_date: date, last_issue_date: date | None, today: date) -> str:
    """Invoices are numbered in chronological order and never back-dated nor dated ahead."""
    if issue_date > today:
        return (
            f"La date de facture ({format_date(issue_date)}) ne peut pas être postérieure "
            f"à aujourd'hui ({format_date(today)})."
        )
    if last_issue_date is not None and issue_date < last_issue_date:
        return (
            f"La date de facture ({format_date(issue_date)}) est antérieure à celle de la "
            f"dernière facture émise de la série ({format_date(last_issue_date)}) : la "
            "numérotation doit suivre l'ordre chronologique."
        )
    return ""


# --- Terms, due dates, overdue ---------------------------------------------------------------


def due_date(issue_date: date, payment_days: int) -> date:
    """The due date: ``payment_days`` days after the invoice date (0: on receipt)."""
    return issue_date + timedelta(days=payment_days)


def payment_days_error(payment_days: int, *, client_kind: str, on: date) -> str:
    """Between professionals, at most 60 days from the invoice date (C. com. L441-10 I)."""
    ceiling = MAX_PAYMENT_DAYS.on(on)
    if payment_days < 0:
        return "Le délai de paiement ne peut pas être négatif."
    if client_kind not in CONSUMER_KINDS and payment_days > ceiling:
        return (
            f"Le délai de paiement entre professionnels est de {ceiling} jours au plus à "
            f"compter de la date de facture (Code de commerce, art. L441-10) : {payment_days} "
            "jours demandés."
        )
    return ""


def payment_terms_text(payment_days: int, due: date) -> str:
    """The payment terms as printed, with the early-payment discount (C. com. L441-9)."""
    if payment_days == 0:
        when = f"Paiement à réception de la facture, le {format_date(due)} au plus tard."
    else:
        when = f"Paiement à {payment_days} jours, au plus tard le {format_date(due)}."
    return f"{when} Pas d'escompte pour paiement anticipé."


def is_overdue(due: date | None, balance: Decimal, today: date) -> bool:
    """Overdue: something is left to pay and the due date has passed."""
    return due is not None and balance > 0 and due < today


def days_overdue(due: date, today: date) -> int:
    return max((today - due).days, 0)


def payment_error(amount: Decimal, balance: Decimal) -> str:
    """Why a payment of ``amount`` cannot be recorded against ``balance``, or ``""``.

    A positive balance takes payments up to it; a negative balance (a paid invoice credited
    afterwards) takes refunds, entered as negative amounts, down to it.
    """
    if amount == 0:
        return "Le montant du paiement doit être différent de zéro."
    if balance == 0:
        return "Cette facture est soldée : aucun paiement ne reste à enregistrer."
    if balance > 0 and amount < 0:
        return (
            "Un remboursement (montant négatif) n'est possible que sur une facture dont le "
            "solde est en faveur du client."
        )
    if balance > 0 and amount > balance:
        return (
            f"Le montant ({format_euros(amount)}) dépasse le solde restant dû "
            f"({format_euros(balance)})."
        )
    if balance < 0 and amount > 0:
        return (
            f"Le solde est en faveur du client ({format_euros(-balance)} à rembourser) : "
            "saisissez le remboursement en montant négatif."
        )
    if balance < 0 and amount < balance:
        return (
            f"Le remboursement ({format_euros(-amount)}) dépasse la somme due au client "
            f"({format_euros(-balance)})."
        )
    return ""


# --- Legal mentions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MentionFacts:
    """What the mentions of one invoice depend on."""

    issue_date: date
    due_date: date
    payment_days: int
    client_kind: str
    seller_vat_regime: str
    operation_nature_label: str
    vat_on_debits: bool
    is_sap: bool = False
    sap_declaration: str = ""
    sap_declared_on: date | None = None
    corrects_number: str = ""
    corrects_issue_date: date | None = None
    credit_reason: str = ""


@dataclass(frozen=True, slots=True)
class Mentions:
    lines: tuple[str, ...]
    late_penalty_rate: Decimal | None
    recovery_indemnity: Decimal | None
    vat_exemption: str
    payment_terms: str


def legal_mentions(facts: MentionFacts) -> Mentions:
    """The mentions an invoice must carry, in print order (C. com. L441-9; CGI ann. II
    art. 242 nonies A; décret 2022-1299 for the nature of operations and the VAT on debits
    option; arrêté du 17/03/2015 and CGI 199 sexdecies for household services).
    """
    lines: list[str] = []
    if facts.corrects_number:
        original = f"Avoir relatif à la facture n° {facts.corrects_number}"
        if facts.corrects_issue_date:
            original += f" du {format_date(facts.corrects_issue_date)}"
        if facts.credit_reason:
            original += f" — motif : {facts.credit_reason}"
        lines.append(original + ".")
    lines.append(f"Nature des opérations : {facts.operation_nature_label}.")
    if facts.vat_on_debits:
        lines.append("Option pour le paiement de la taxe d'après les débits.")
    exemption = VAT_EXEMPTION_MENTIONS.get(facts.seller_vat_regime, "")
    if exemption:
        lines.append(exemption + ".")
    penalty: Decimal | None = None
    indemnity: Decimal | None = None
    if facts.corrects_number:
        terms = (
            f"Montant à déduire du règlement de la facture n° {facts.corrects_number} ; "
            "toute somme déjà réglée au-delà est remboursée."
        )
        lines.append(terms)
    else:
        terms = payment_terms_text(facts.payment_days, facts.due_date)
        lines.append(terms)
        if facts.client_kind in CONSUMER_KINDS:
            lines.append(
                "En cas de retard de paiement, des pénalités au taux de l'intérêt légal peuvent "
                "être appliquées."
            )
        else:
            penalty = LATE_PENALTY_RATE.on(facts.issue_date)
            indemnity = RECOVERY_INDEMNITY.on(facts.issue_date)
            lines.append(
                f"En cas de retard de paiement : pénalités au taux annuel de "
                f"{format_number(penalty)} % (Code de commerce, art. L441-10) et indemnité "
                f"forfaitaire pour frais de recouvrement de {format_euros(indemnity)} "
                "(art. D441-5)."
            )
    if facts.is_sap:
        declaration = f"Déclaration de services à la personne n° {facts.sap_declaration}"
        if facts.sap_declared_on:
            declaration += f" du {format_date(facts.sap_declared_on)}"
        lines.append(declaration + " — prestations réalisées en mode prestataire.")
        lines.append(SAP_TAX_CREDIT_STATEMENT)
    return Mentions(
        lines=tuple(lines),
        late_penalty_rate=penalty,
        recovery_indemnity=indemnity,
        vat_exemption=exemption,
        payment_terms=terms,
    )


def missing_identity(fields: Mapping[str, str]) -> list[str]:
    """The French names of the mandatory identity fields left empty, for the issue error."""
    return [label for label, value in fields.items() if not value]


def siren_of(siret: str) -> str:
    """A SIREN is the first 9 digits of a SIRET."""
    return siret[:9] if len(siret) == 14 else ""
