"""Rules of the services à la personne: what a household's annual tax certificate states (the
amounts paid per activity, the caps of each activity), and the avance immédiate of the tax
credit (statuses, reasons, the 48-hour validation window, what may be sent). Pure functions: no
database, no clock.

The worked tables behind these rules are in ``docs/algorithms/sap.md``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from tremplin.accounts.rules import Role
from tremplin.core.dates import format_date
from tremplin.core.money import CENT, format_euros, to_cents
from tremplin.core.parameters import DatedParameter, Period
from tremplin.core.runs import stalled_since

# Who may generate, send and read tax certificates, register households for the avance
# immédiate and send payment requests: the people who answer for invoices and payments.
SAP_ROLES = frozenset({Role.ACCOUNTANT, Role.DIRECTION})

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


class SapNature(models.TextChoices):
    """Nature of a household service as the certificate groups it (Code du travail, D7231-1)."""

    HOUSEWORK = "menage", "Entretien de la maison et travaux ménagers"
    GARDENING = "jardinage", "Petits travaux de jardinage"
    DIY = "bricolage", "Travaux de petit bricolage dits « homme toutes mains »"
    IT_SUPPORT = "informatique", "Assistance informatique à domicile"
    SCHOOL_SUPPORT = "soutien_scolaire", "Soutien scolaire ou cours à domicile"
    CHILDCARE = "garde_enfants", "Garde d'enfants de plus de trois ans à domicile"
    ADMIN_SUPPORT = "conciergerie", "Assistance administrative à domicile"


# The activity codes of invoice lines (orders.ServiceKind, organisations.SapActivity) and the
# nature they fall under. Ironing at home is part of "entretien de la maison" (D7231-1, 1°).
NATURE_BY_ACTIVITY: Mapping[str, SapNature] = {
    "menage": SapNature.HOUSEWORK,
    "repassage": SapNature.HOUSEWORK,
    "jardinage": SapNature.GARDENING,
    "bricolage": SapNature.DIY,
    "informatique": SapNature.IT_SUPPORT,
    "soutien_scolaire": SapNature.SCHOOL_SUPPORT,
    "garde_enfants": SapNature.CHILDCARE,
    "conciergerie": SapNature.ADMIN_SUPPORT,
}

# URSSAF "code nature" of each nature (API Tiers de prestation, InputPrestation.codeNature: the
# natures of D7231-1). The values are URSSAF's nomenclature as published client code quotes it
# from the API's PDF documentation, which was not read itself [?].
URSSAF_NATURE_CODES: Mapping[SapNature, str] = {
    SapNature.HOUSEWORK: "60",
    SapNature.GARDENING: "70",
    SapNature.DIY: "80",
    SapNature.CHILDCARE: "90",
    SapNature.SCHOOL_SUPPORT: "100",
    SapNature.IT_SUPPORT: "160",
    SapNature.ADMIN_SUPPORT: "190",
}
# "Divers – non éligible": a line of the invoice that opens no tax credit.
URSSAF_NOT_ELIGIBLE_CODE = "270"

_CGI_199 = (
    "CGI art. 199 sexdecies ; Code du travail art. D7233-5 (jardinage 5 000 €, petit bricolage "
    "500 €, assistance informatique 3 000 €) — domain.md §5.3"
)
_LFI_2026 = (
    "Loi spéciale de janvier 2026 : droit antérieur reconduit ; contenu définitif de la loi de "
    "finances 2026 non confirmé (PLF 2026 : plafonds par activité débattus) — domain.md §5.3, §11"
)

# Annual cap of the expenses of one household per activity, in euros (D7233-5). Activities
# absent from the table only fall under the overall ceiling (12 000 € and its increases).
SPECIFIC_CAPS: DatedParameter[dict[SapNature, Decimal]] = DatedParameter(
    "sap_specific_caps",
    "Plafonds annuels de dépenses par activité (€)",
    (
        Period(
            {
                SapNature.GARDENING: Decimal("5000"),
                SapNature.DIY: Decimal("500"),
                SapNature.IT_SUPPORT: Decimal("3000"),
            },
            date(2017, 1, 1),
            date(2025, 12, 31),
            _CGI_199,
        ),
        Period(
            {
                SapNature.GARDENING: Decimal("5000"),
                SapNature.DIY: Decimal("500"),
                SapNature.IT_SUPPORT: Decimal("3000"),
            },
            date(2026, 1, 1),
            None,
            _LFI_2026,
            confirmed=False,
        ),
    ),
)

# Longest intervention of petit bricolage inside the SAP scope, in hours (D7231-1: "dont la
# durée n'excède pas deux heures"; domain.md §5.3).
DIY_MAX_HOURS: DatedParameter[Decimal] = DatedParameter(
    "sap_diy_max_hours",
    "Durée maximale d'une intervention de petit bricolage (h)",
    (
        Period(Decimal(2), date(2017, 1, 1), date(2025, 12, 31), _CGI_199),
        Period(Decimal(2), date(2026, 1, 1), None, _LFI_2026, confirmed=False),
    ),
)

# Rate of the tax credit (CGI 199 sexdecies: 50 % of the expenses), in percent: the share of
# the amounts paid through the avance immédiate that URSSAF advanced to the household.
TAX_CREDIT_RATE: DatedParameter[Decimal] = DatedParameter(
    "sap_tax_credit_rate",
    "Taux du crédit d'impôt services à la personne (%)",
    (
        Period(Decimal(50), date(2017, 1, 1), date(2025, 12, 31), "CGI art. 199 sexdecies"),
        Period(Decimal(50), date(2026, 1, 1), None, _LFI_2026, confirmed=False),
    ),
)

# The household validates or contests a payment request within 48 hours; without an answer it
# is deemed validated (URSSAF, FAQ of the API Tiers de prestation; Code de la sécurité sociale
# L133-8-4 II 2°: "deux jours francs").
VALIDATION_WINDOW_HOURS: DatedParameter[int] = DatedParameter(
    "urssaf_validation_window_hours",
    "Délai de validation d'une demande de paiement par le client (h)",
    (
        Period(
            48,
            date(2022, 6, 14),
            None,
            "urssaf.fr, FAQ prestataires « Inscription » (48 heures) ; CSS art. L133-8-4 — "
            "domain.md §5.7",
        ),
    ),
)

# The mandatory statement of the certificate (CGI 199 sexdecies; servicesalapersonne.gouv.fr,
# "L'attestation fiscale annuelle").
TAX_CREDIT_STATEMENT = (
    "Les sommes versées au titre de ces prestations de services à la personne ouvrent droit au "
    "crédit d'impôt prévu à l'article 199 sexdecies du code général des impôts, dans les "
    "conditions et limites prévues par cet article. Reportez le montant retenu sur la "
    "déclaration de revenus (formulaire 2042 RICI)."
)
CESU_STATEMENT = (
    "Une partie de ces prestations a été réglée en CESU préfinancés : vous devez identifier "
    "clairement, lors de votre déclaration de revenus, le montant des CESU que vous avez "
    "personnellement financés, ce montant seul donnant lieu à l'avantage fiscal."
)
ADVANCE_STATEMENT = (
    "Une partie de ces prestations a été réglée par l'avance immédiate de crédit d'impôt de "
    "l'URSSAF : le crédit d'impôt déjà perçu est déduit du montant effectivement acquitté et "
    "figure sur votre espace particulier.urssaf.fr."
)


def nature_of(activity: str) -> SapNature | None:
    """The certificate nature of an invoice line's activity code, ``None`` when it is none."""
    return NATURE_BY_ACTIVITY.get(activity)


def urssaf_nature_code(activity: str, *, sap_eligible: bool) -> str:
    """The API's code nature of an invoice line."""
    nature = nature_of(activity) if sap_eligible else None
    return URSSAF_NOT_ELIGIBLE_CODE if nature is None else URSSAF_NATURE_CODES[nature]


def diy_within_limit(hours: Decimal, *, on: date) -> bool:
    """Whether an intervention of petit bricolage of ``hours`` stays in the SAP scope
    (D7231-1: two hours at most; a longer one opens no tax credit)."""
    return hours <= DIY_MAX_HOURS.on(on)


# --- Allocating payments ------------------------------------------------------------------


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` in cents in proportion to ``weights``; the parts add up to ``amount``.

    Each part is rounded down to the cent; the cents left go one by one to the largest
    remainders (ties: the first weight). All-zero weights put the amount on the first part.

    >>> allocate(Decimal("100.00"), [Decimal(1), Decimal(1), Decimal(1)])
    [Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
    """
    if not weights:
        return []
    weights = [max(w, Decimal(0)) for w in weights]  # a fully credited nature takes nothing
    total = sum(weights, Decimal(0))
    if total == 0:
        return [to_cents(amount)] + [ZERO] * (len(weights) - 1)
    cents = int(to_cents(amount) / CENT)
    sign = -1 if cents < 0 else 1
    exact = [abs(cents) * w / total for w in weights]
    floors = [int(x) for x in exact]
    left = abs(cents) - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(sign * f) * CENT for f in floors]


# --- The certificate ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActivityPayments:
    """What the household paid in the year for one nature of service, all payers together.

    ``paid``: every payment received in the year, the part paid through the avance immédiate
    included; ``through_advance``: the part URSSAF paid through the avance immédiate; ``aid``:
    the part paid by a third party the certificate must deduct (CESU préfinancés, APA/PCH paid
    by the département); ``excluded``: the part of interventions outside the SAP scope (petit
    bricolage beyond two hours); ``hours``: the hours of the invoices settled in the year.
    """

    nature: SapNature
    paid: Decimal
    through_advance: Decimal = ZERO
    aid: Decimal = ZERO
    excluded: Decimal = ZERO
    hours: Decimal = ZERO
    excluded_interventions: int = 0


@dataclass(frozen=True, slots=True)
class ActivityTotal:
    nature: SapNature
    paid: Decimal
    through_advance: Decimal
    aid: Decimal
    excluded: Decimal
    net: Decimal  # paid - aid - excluded: the expense of the household
    advance_received: Decimal  # tax credit already advanced through URSSAF
    cap: Decimal | None
    eligible: Decimal  # net within the cap: what the tax credit is computed on
    above_cap: Decimal
    hours: Decimal
    excluded_interventions: int

    @property
    def capped(self) -> bool:
        return self.above_cap > 0

    @property
    def acquitted(self) -> Decimal:
        """The amount effectively paid by the household after the avance immédiate."""
        return self.net - self.advance_received


@dataclass(frozen=True, slots=True)
class CertificateTotals:
    year: int
    activities: tuple[ActivityTotal, ...]
    parameters_confirmed: bool
    parameter_sources: tuple[str, ...]

    @property
    def paid(self) -> Decimal:
        return sum((a.paid for a in self.activities), ZERO)

    @property
    def net(self) -> Decimal:
        return sum((a.net for a in self.activities), ZERO)

    @property
    def eligible(self) -> Decimal:
        return sum((a.eligible for a in self.activities), ZERO)

    @property
    def capped(self) -> bool:
        return any(a.capped for a in self.activities)


def activity_total(payments: ActivityPayments, *, year: int) -> ActivityTotal:
    """Apply the deductions and the cap of one activity for one calendar year.

    The net expense is what was paid minus third-party aid and out-of-scope interventions; the
    cap of the activity (D7233-5) limits the eligible amount, the rest is flagged as above the
    cap. A negative net (refunds above payments) makes nothing eligible. The caps apply to the
    household's expenses with every provider: the certificate applies them to this provider's
    amounts and flags them, the household's tax return adds up the rest.
    """
    day = date(year, 12, 31)
    net = payments.paid - payments.aid - payments.excluded
    cap = SPECIFIC_CAPS.on(day).get(payments.nature)
    eligible = max(ZERO, net if cap is None else min(net, cap))
    above = max(ZERO, net - eligible) if net > 0 else ZERO
    advance = to_cents(payments.through_advance * TAX_CREDIT_RATE.on(day) / HUNDRED)
    return ActivityTotal(
        nature=payments.nature,
        paid=payments.paid,
        through_advance=payments.through_advance,
        aid=payments.aid,
        excluded=payments.excluded,
        net=net,
        advance_received=advance,
        cap=cap,
        eligible=eligible,
        above_cap=above,
        hours=payments.hours,
        excluded_interventions=payments.excluded_interventions,
    )


def certificate_totals(payments: Iterable[ActivityPayments], *, year: int) -> CertificateTotals:
    """The figures of a household's certificate for ``year``, one row per nature of service
    (several inputs of one nature add up), in the order of :class:`SapNature`."""
    merged: dict[SapNature, ActivityPayments] = {}
    for p in payments:
        if (seen := merged.get(p.nature)) is not None:
            p = ActivityPayments(
                p.nature,
                seen.paid + p.paid,
                seen.through_advance + p.through_advance,
                seen.aid + p.aid,
                seen.excluded + p.excluded,
                seen.hours + p.hours,
                seen.excluded_interventions + p.excluded_interventions,
            )
        merged[p.nature] = p
    order = list(SapNature)
    rows = tuple(activity_total(merged[n], year=year) for n in sorted(merged, key=order.index))
    day = date(year, 12, 31)
    periods = [
        SPECIFIC_CAPS.period_on(day),
        DIY_MAX_HOURS.period_on(day),
        TAX_CREDIT_RATE.period_on(day),
    ]
    return CertificateTotals(
        year=year,
        activities=rows,
        parameters_confirmed=all(p.confirmed for p in periods),
        parameter_sources=tuple(dict.fromkeys(p.source for p in periods)),
    )


@dataclass(frozen=True, slots=True)
class WorkerHours:
    """Hours one worker did for the household in one month, for one nature of service."""

    worker: str
    identifier: str
    month: date  # first day of the month
    nature: SapNature
    hours: Decimal


def group_worker_hours(rows: Iterable[WorkerHours]) -> list[WorkerHours]:
    """The recap of interventions, grouped by month (allowed for periodic services,
    servicesalapersonne.gouv.fr): one row per month, worker and nature, in that order."""
    totals: dict[tuple[date, str, str, SapNature], Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[(row.month, row.worker, row.identifier, row.nature)] += row.hours
    return [
        WorkerHours(worker, identifier, month, nature, hours)
        for (month, worker, identifier, nature), hours in sorted(
            totals.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3])
        )
        if hours
    ]


def certificate_deadline(year: int) -> date:
    """The certificate of ``year`` reaches the household before 31 March of the next year
    (servicesalapersonne.gouv.fr, "L'attestation fiscale annuelle")."""
    return date(year + 1, 3, 31)


def certificate_year_error(year: int, today: date) -> str:
    """A French message when certificates of ``year`` cannot be generated on ``today``."""
    if year >= today.year:
        return (
            f"L'année {year} n'est pas terminée : les attestations fiscales s'établissent "
            f"pour une année civile écoulée (au plus tard l'année {today.year - 1})."
        )
    if year < SPECIFIC_CAPS.periods[0].valid_from.year:
        return (
            f"Les plafonds du crédit d'impôt ne sont pas connus pour l'année {year} : "
            f"Tremplin établit les attestations à partir de "
            f"{SPECIFIC_CAPS.periods[0].valid_from.year}."
        )
    return ""


# --- Avance immédiate: statuses ------------------------------------------------------------


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", "En attente d'activation par le client"
    ACTIVE = "active", "Compte activé : demandes de paiement possibles"
    REFUSED = "refused", "Inscription refusée"
    BLOCKED = "blocked", "Compte bloqué par l'URSSAF"
    MANDATE_EXPIRED = "mandate_expired", "Mandat de prélèvement expiré"


# Client account codes returned by the API (the status call exists, urssaf.fr "Comment proposer
# le service"; the codes are those read by published client code, not the API contract [?]).
REGISTRATION_STATUS_BY_CODE: Mapping[str, RegistrationStatus] = {
    "APPAREILLAGE_EC": RegistrationStatus.PENDING,
    "APPAREILLAGE_NF": RegistrationStatus.PENDING,
    "APPAREILLAGE_VALIDE": RegistrationStatus.ACTIVE,
    "PARTICULIER_BLOQUE": RegistrationStatus.BLOCKED,
    "MANDAT_ECHU": RegistrationStatus.MANDATE_EXPIRED,
}


def registration_status(code: str, *, active: bool) -> RegistrationStatus:
    """Our status of a household's URSSAF account from the code and state the API returns."""
    if code in REGISTRATION_STATUS_BY_CODE:
        return REGISTRATION_STATUS_BY_CODE[code]
    return RegistrationStatus.ACTIVE if active else RegistrationStatus.PENDING


class RequestStatus(models.TextChoices):
    """A payment request (demande de paiement) as URSSAF follows it; the code is URSSAF's."""

    INTEGRATED = "10", "Intégrée par l'URSSAF"
    AIDS_COMPUTED = "15", "Aides calculées"
    AWAITING_CLIENT = "20", "En attente de validation par le client"
    VALIDATED = "30", "Validée"
    REFUSED = "40", "Refusée (contestée par le client)"
    DEBITED = "50", "Client prélevé"
    DEBIT_REFUSED = "60", "Prélèvement refusé"
    PAID = "70", "Payée par l'URSSAF"
    AWAITING_EXCHANGE = "80", "En attente d'échanges"
    CLOSED = "90", "Clôturée"
    DELETED = "100", "Supprimée"
    CANCELLED = "110", "Annulée"
    RECOVERED = "120", "Recouvrée"
    REJECTED = "rejected", "Rejetée à la transmission"


# Statuses after which URSSAF changes nothing more that Tremplin acts upon: no more polling.
FINAL_REQUEST_STATUSES = frozenset(
    {
        RequestStatus.REFUSED,
        RequestStatus.PAID,
        RequestStatus.CLOSED,
        RequestStatus.DELETED,
        RequestStatus.CANCELLED,
        RequestStatus.RECOVERED,
        RequestStatus.REJECTED,
    }
)
# Statuses in which the invoice is taken in charge by URSSAF: another request would be a duplicate.
LIVE_REQUEST_STATUSES = frozenset(RequestStatus) - {
    RequestStatus.REFUSED,
    RequestStatus.DELETED,
    RequestStatus.CANCELLED,
    RequestStatus.REJECTED,
}


def request_status(code: str) -> RequestStatus | None:
    """Our status for a status code of the API, ``None`` for a code Tremplin does not know."""
    try:
        return RequestStatus(code)
    except ValueError:
        return None


# Reasons of a refusal by the household (CONTEST_, REGUL_), a cancellation (ANNUL_), and the
# errors of a rejected submission or registration (ERR_). The API contract names the fields
# (infoRejet.code, errors[].code); the codes are those of published client code [?].
REASON_LABELS: Mapping[str, str] = {
    "CONTEST_ERR_FACT": "Le client conteste : la facture comporte une erreur.",
    "CONTEST_FACT_REGLEE": "Le client conteste : la facture a déjà été réglée.",
    "CONTEST_AUTRE": "Le client conteste la demande (autre motif).",
    "REGUL_MNT_FACT": "Régularisation : montant facturé ou tarif erroné.",
    "REGUL_NB_QTE_FACT": "Régularisation : nombre d'heures ou quantité facturée erroné.",
    "REGUL_PRESTA_FACT": "Régularisation : prestations facturées erronées.",
    "REGUL_AUTRE": "Régularisation (autre motif).",
    "ANNUL_DBL": "Annulée : demande de paiement en doublon.",
    "ANNUL_ERR_MNT": "Annulée : montant facturé erroné.",
    "ANNUL_ERR_TECH": "Annulée : erreur technique.",
    "ANNUL_AUTRE": "Annulée (autre motif).",
    "PREST_ABS": "Le client indique que la prestation n'a pas eu lieu.",
    "ERR_PARTICULIER_INCONNU": (
        "Client inconnu de l'URSSAF ou date de naissance différente de celle de l'inscription."
    ),
    "ERR_LIEN_PARTICULIER_PRESTATAIRE": (
        "Le client n'a pas encore activé son compte, ou il l'a activé après la période facturée."
    ),
    "ERR_FACTURE_DOUBLON": "Ce numéro de facture a déjà été transmis à l'URSSAF.",
    "ERR_PERIODE_EMPLOI_MOIS_NON_UNIQUE": (
        "Les dates de début et de fin de la prestation doivent être dans le même mois."
    ),
    "ERR_DATE_FUTUR": "La date de début ou de fin de la prestation est dans le futur.",
    "ERR_CMPT_BLOQUE": (
        "Le compte du client est bloqué par l'URSSAF après un prélèvement refusé : il doit "
        "régler directement la facture."
    ),
    "ERR_MANDAT_ECHU": "Le mandat de prélèvement du client a expiré : il doit le renouveler.",
    "ERR_MONTANT_INCOHERENT": (
        "Les montants ne concordent pas (prix unitaire × quantité, HT + TVA, total des lignes)."
    ),
    "ERR_VALEUR_NEGATIVE": "Un montant est négatif.",
    "ERR_NBRE_PREST_MAX": "Trop de demandes de paiement en un envoi (10 au plus).",
    "ERR_DGFIP_R2P_INCONNU": (
        "L'administration fiscale ne retrouve pas cette personne : vérifiez l'état civil "
        "(nom de naissance, prénoms, date et lieu de naissance)."
    ),
    "ERR_DGFIP_IMPOTPART_INCONNU": (
        "La situation fiscale de la personne ne permet pas l'inscription : elle doit avoir "
        "déjà déposé une déclaration de revenus."
    ),
    "ERR_APPEL_BACB": "Le BIC ou l'IBAN est refusé par l'URSSAF.",
    "ERR_ECV_PARTICULIERS_EXISTENT": (
        "Plusieurs personnes ont cet état civil : le client doit contacter son centre des impôts."
    ),
    "PARAM_INVALIDE": "Une donnée transmise est invalide.",
}


def reason_label(code: str, fallback: str = "") -> str:
    """The French explanation of an URSSAF reason or error code."""
    if code in REASON_LABELS:
        return REASON_LABELS[code]
    return fallback or f"Motif communiqué par l'URSSAF : {code}."


def reason_text(code: str, detail: str = "") -> str:
    """The French explanation of a code, followed by URSSAF's own detail when it adds one
    (which field is invalid, for instance)."""
    label = reason_label(code, detail)
    return label if not detail or detail == label else f"{label} Précision de l'URSSAF : {detail}"


def validation_deadline(submitted_at: datetime) -> datetime:
    """The end of the household's window to validate or contest a request; past it, the
    request is deemed validated (CSS L133-8-4 II 2°)."""
    hours = VALIDATION_WINDOW_HOURS.on(submitted_at.date())
    return submitted_at + timedelta(hours=hours)


def deemed_validated(status: str, *, deadline: datetime, seen_at: datetime) -> bool:
    """Whether a validated request is validated for want of an answer in time."""
    return status == RequestStatus.VALIDATED and seen_at >= deadline


# --- Avance immédiate: what may be sent ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """What decides whether an invoice may be sent as a payment request."""

    number: str
    issued: bool
    is_credit_note: bool
    is_sap: bool
    household: bool
    consent: bool
    registration: RegistrationStatus | None
    registered_on: date | None
    period_start: date | None
    period_end: date | None
    total_incl_tax: Decimal
    balance: Decimal
    live_request: bool


def payment_request_errors(facts: InvoiceFacts, *, today: date) -> list[str]:
    """French messages saying why an invoice cannot be sent to URSSAF as a payment request.

    The API refuses periods across two months and dates in the future, and the household must
    have an active account; an invoice already taken in charge, or already paid, is not sent
    again (API Tiers de prestation, demande de paiement; domain.md §5.7).
    """
    label = f"La facture {facts.number or ''}".strip()
    errors: list[str] = []
    if not facts.issued:
        errors.append(f"{label} n'est pas émise : émettez-la avant de la transmettre.")
    if facts.is_credit_note:
        errors.append("Un avoir ne se transmet pas à l'URSSAF.")
    if not facts.is_sap:
        errors.append(f"{label} n'est pas une facture de services à la personne.")
    if not facts.household:
        errors.append("L'avance immédiate ne concerne que les clients particuliers.")
    elif not facts.consent:
        errors.append(
            "Le client n'a pas donné son accord à l'avance immédiate : enregistrez son accord "
            "sur sa fiche."
        )
    if facts.registration is None:
        errors.append("Le client n'est pas inscrit à l'avance immédiate : inscrivez-le d'abord.")
    elif facts.registration != RegistrationStatus.ACTIVE:
        errors.append(
            f"Le compte URSSAF du client n'est pas actif ({facts.registration.label.lower()})."
        )
    if facts.period_start is None or facts.period_end is None:
        errors.append(f"{label} n'indique pas sa période de prestation.")
    else:
        if (facts.period_start.year, facts.period_start.month) != (
            facts.period_end.year,
            facts.period_end.month,
        ):
            errors.append(
                f"La période de prestation ({format_date(facts.period_start)} – "
                f"{format_date(facts.period_end)}) doit tenir dans un seul mois civil."
            )
        if facts.period_end > today:
            errors.append(
                f"La prestation se termine le {format_date(facts.period_end)}, après "
                "aujourd'hui : transmettez la demande une fois la prestation faite."
            )
        if facts.registered_on is not None and facts.period_start < facts.registered_on:
            errors.append(
                f"La période de prestation commence avant l'inscription du client "
                f"({format_date(facts.registered_on)}) : l'URSSAF la refuserait."
            )
    if facts.live_request:
        errors.append(f"{label} a déjà une demande de paiement en cours auprès de l'URSSAF.")
    if facts.total_incl_tax <= 0:
        errors.append(f"{label} n'a pas de montant à payer.")
    elif facts.balance < facts.total_incl_tax:
        settled = format_euros(facts.total_incl_tax - facts.balance)
        errors.append(
            f"{label} est déjà réglée ou corrigée par avoir pour {settled} : l'URSSAF ne "
            "paie qu'une facture entière."
        )
    return errors


@dataclass(frozen=True, slots=True)
class UrssafAmounts:
    """The amounts of one service line as the API wants them (mntUnitaireTTC × quantite =
    mntPrestationTTC; mntPrestationHT + mntPrestationTVA = mntPrestationTTC)."""

    quantity: Decimal
    per_hour: bool
    unit_incl_tax: Decimal
    incl_tax: Decimal
    excl_tax: Decimal
    vat: Decimal


def urssaf_amounts(
    *, excl_tax: Decimal, vat: Decimal, quantity: Decimal, per_hour: bool
) -> UrssafAmounts:
    """Express one invoice line in the API's terms, exact to the cent.

    The unit price incl. VAT is the line's amount incl. VAT divided by the quantity; when that
    price, rounded to the cent, times the quantity does not give the line's amount back, the
    line is sent as one flat-rate unit (FORFAIT) so that the amounts still concord.
    """
    incl_tax = to_cents(excl_tax + vat)
    if quantity > 0:
        unit = (incl_tax / quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        if to_cents(unit * quantity) == incl_tax:
            return UrssafAmounts(quantity, per_hour, unit, incl_tax, to_cents(excl_tax), vat)
    return UrssafAmounts(Decimal(1), False, incl_tax, incl_tax, to_cents(excl_tax), vat)


# --- Avance immédiate: the household's identity --------------------------------------------

FRANCE_COUNTRY_CODE = "99100"
# API Tiers de prestation, InputParticulierDTO: letters, apostrophe, hyphen and space only, not
# at either end; a French mobile number; INSEE codes.
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+|[^\W\d_])*$")
_MOBILE = re.compile(r"^(0|\+33)[67]\d{8}$")
_COUNTRY = re.compile(r"^\d{5}$")
_COMMUNE = re.compile(r"^\d[\dAB]\d{3}$")
_POSTAL_CODE = re.compile(r"^\d{5}$")
_STREET_NUMBER = re.compile(r"^[1-9]\d{0,19}$")


def normalise_mobile(value: str) -> str:
    """``"06 12 34 56 78"`` → ``"0612345678"``: the API wants the digits without spaces."""
    return re.sub(r"[\s.\-]", "", value)


def normalise_iban(value: str) -> str:
    return re.sub(r"\s", "", value).upper()


def mask_iban(value: str) -> str:
    """``FR76…0189`` kept to recognise an account without storing it."""
    iban = normalise_iban(value)
    return f"{iban[:4]}…{iban[-4:]}" if len(iban) > 8 else "…"


def registration_errors(
    *,
    birth_name: str,
    usual_name: str,
    first_names: str,
    birth_date: date,
    birth_country_code: str,
    birth_commune_code: str,
    mobile: str,
    street_number: str,
    postal_code: str,
    commune_code: str,
    iban: str,
    bic: str,
    today: date,
) -> dict[str, list[str]]:
    """French messages, by form field, of what the API would refuse in a registration
    (InputParticulierDTO of the API Tiers de prestation, version 1.29.1)."""
    errors: dict[str, list[str]] = defaultdict(list)
    for field, value, label in (
        ("birth_name", birth_name, "Le nom de naissance"),
        ("usual_name", usual_name, "Le nom d'usage"),
        ("first_names", first_names, "Les prénoms"),
    ):
        if value and not _NAME.fullmatch(value.strip()):
            errors[field].append(
                f"{label} ne peut contenir que des lettres, l'apostrophe, le tiret et l'espace, "
                "sans commencer ni finir par l'un d'eux."
            )
    if birth_date >= today:
        errors["birth_date"].append("La date de naissance doit être passée.")
    if not _COUNTRY.fullmatch(birth_country_code):
        errors["birth_country_code"].append(
            "Le pays de naissance s'indique par son code INSEE à 5 chiffres (France : 99100)."
        )
    if birth_country_code == FRANCE_COUNTRY_CODE and not _COMMUNE.fullmatch(
        birth_commune_code.upper()
    ):
        errors["birth_commune_code"].append(
            "Né(e) en France : indiquez le code INSEE à 5 caractères de la commune de naissance "
            "(ex. 69123, 2B033)."
        )
    if not _MOBILE.fullmatch(normalise_mobile(mobile)):
        errors["mobile"].append(
            "Le téléphone portable doit commencer par 06, 07 ou +336/+337 et compter 10 chiffres."
        )
    if street_number and not _STREET_NUMBER.fullmatch(street_number):
        errors["street_number"].append("Le numéro de voie ne contient que des chiffres (pas 0).")
    if not _POSTAL_CODE.fullmatch(postal_code):
        errors["postal_code"].append("Le code postal compte 5 chiffres.")
    if not _COMMUNE.fullmatch(commune_code.upper()):
        errors["commune_code"].append(
            "Indiquez le code INSEE à 5 caractères de la commune (ex. 69123), distinct du code "
            "postal."
        )
    try:
        stdnum_iban.validate(normalise_iban(iban))
    except StdnumError:
        errors["iban"].append("L'IBAN est invalide (longueur ou clé de contrôle).")
    try:
        stdnum_bic.validate(bic.strip().upper())
    except StdnumError:
        errors["bic"].append("Le BIC compte 8 ou 11 caractères (ex. BNPAFRPPXXX).")
    return dict(errors)


def birth_place_parts(commune_code: str) -> tuple[str, str]:
    """The API's (département, commune) codes of a French INSEE commune code: ``"69123"`` →
    ``("069", "123")``, ``"97411"`` → ``("974", "411")``, ``"2B033"`` → ``("02B", "033")``."""
    code = commune_code.upper()
    if code.startswith("97") or code.startswith("98"):
        return code[:3], code[2:]
    return f"0{code[:2]}", code[2:]


def stalled_message(last_progress: datetime) -> str:
    """Why a certificate run still "en cours" may be started again, in French (local time)."""
    return stalled_since(last_progress) + (
        " Vous pouvez relancer la génération ; l'ancienne, si elle reprenait, s'arrêterait au "
        "client suivant."
    )
