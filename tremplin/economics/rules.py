"""Rules of the group's economic model: periods, dated parameters (aide au poste, employer
contributions, the association's tax franchise), the largest-remainder allocation, allocation
keys and the fiscal warning. Pure functions: no database, no clock.

The computation of the model itself (results per entity, eliminations, scenarios) is in
:mod:`tremplin.economics.economic_model`; the allocation method is explained in
``docs/algorithms/allocation.md``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from dateutil.relativedelta import relativedelta
from django.db import models

from tremplin.accounts.rules import Role
from tremplin.contracts.rules import INSERTION_KINDS, LEGAL_MONTHLY_HOURS, ContractKind
from tremplin.core.parameters import DatedParameter, Period
from tremplin.orders.rules import ServiceKind
from tremplin.organisations.rules import SiaeKind

# Who may read and run the group's economics: the direction and the accountants.
ECONOMICS_ROLES = frozenset({Role.DIRECTION, Role.ACCOUNTANT})

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
PERCENT = Decimal(100)


# --- Periods ------------------------------------------------------------------------------------


class PeriodKind(models.TextChoices):
    MONTH = "month", "Mois"
    QUARTER = "quarter", "Trimestre"
    YEAR = "year", "Année"


MONTH_NAMES = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre")  # fmt: skip


@dataclass(frozen=True, slots=True)
class EconomicPeriod:
    """A month, a quarter or a calendar year; ``code`` is how URLs name it."""

    kind: PeriodKind
    start: date
    end: date
    code: str

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return f"année {self.start.year}"
        if self.kind is PeriodKind.QUARTER:
            return f"{(self.start.month - 1) // 3 + 1}e trimestre {self.start.year}"
        return f"{MONTH_NAMES[self.start.month - 1]} {self.start.year}"

    def previous(self) -> EconomicPeriod:
        months = {PeriodKind.YEAR: 12, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 1}[self.kind]
        return period_of(self.kind, self.start - relativedelta(months=months))

    def next(self) -> EconomicPeriod:
        return period_of(self.kind, self.end + relativedelta(days=1))


_PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<quarter>T[1-4])|(?P<month>\d{2})))?$")


def period_of(kind: PeriodKind, day: date) -> EconomicPeriod:
    """The month, quarter or year holding ``day``."""
    year = day.year
    if kind is PeriodKind.YEAR:
        return EconomicPeriod(kind, date(year, 1, 1), date(year, 12, 31), f"{year}")
    if kind is PeriodKind.QUARTER:
        quarter = (day.month - 1) // 3 + 1
        first = date(year, 3 * quarter - 2, 1)
        last_month = 3 * quarter
        last = date(year, last_month, calendar.monthrange(year, last_month)[1])
        return EconomicPeriod(kind, first, last, f"{year}-T{quarter}")
    last = date(year, day.month, calendar.monthrange(year, day.month)[1])
    return EconomicPeriod(kind, date(year, day.month, 1), last, f"{year}-{day.month:02d}")


def parse_period(text: str) -> EconomicPeriod:
    """``"2026"`` (year), ``"2026-T3"`` (quarter) or ``"2026-10"`` (month); ``ValueError`` with a
    French message otherwise."""
    match = _PERIOD_RE.match(text.strip())
    month = int(match["month"]) if match and match["month"] else None
    if not match or (month is not None and not 1 <= month <= 12):
        raise ValueError(
            f"Période invalide : « {text} » (formats acceptés : 2026, 2026-T3 ou 2026-10)."
        )
    year = int(match["year"])
    if match["quarter"]:
        return period_of(PeriodKind.QUARTER, date(year, 3 * int(match["quarter"][1]) - 2, 1))
    if month is not None:
        return period_of(PeriodKind.MONTH, date(year, month, 1))
    return period_of(PeriodKind.YEAR, date(year, 1, 1))


def months_between(start: date, end: date) -> list[date]:
    """The first day of each month from ``start`` to ``end`` (both included)."""
    months = []
    day = start.replace(day=1)
    while day <= end:
        months.append(day)
        day += relativedelta(months=1)
    return months


def overlap_days(start: date, end: date | None, first: date, last: date) -> int:
    """Days of ``[start, end]`` (``end`` None: open) within ``[first, last]``."""
    low, high = max(start, first), min(end or last, last)
    return max(0, (high - low).days + 1)


# --- Dated parameters ---------------------------------------------------------------------------

_AID_2019 = {
    SiaeKind.EI: Decimal(10520),
    SiaeKind.ETTI: Decimal(4472),
    SiaeKind.AI: Decimal(1367),
    SiaeKind.ACI: Decimal(20199),
    SiaeKind.EITI: Decimal(5548),
}
_AID_11_2024 = {
    SiaeKind.EI: Decimal(12459),
    SiaeKind.ETTI: Decimal(4781),
    SiaeKind.AI: Decimal(1619),
    SiaeKind.ACI: Decimal(23921),
    SiaeKind.EITI: Decimal(6570),
}

# Aide au poste d'insertion, montant socle per full-time post and year, hors Mayotte
# (Code du travail R5132-8 EI, R5132-10-13 ETTI, R5132-24 AI, R5132-38 ACI; domain.md §1.3).
# EITI amounts are for 1 505 hours worked, read here as one post. The part modulée (0 to 10 %)
# is decided each year by the préfet and is not modelled.
AID_AMOUNTS: DatedParameter[dict[SiaeKind, Decimal]] = DatedParameter(
    "aide_au_poste_socle",
    "Aide au poste : montant socle annuel par ETP (€)",
    (
        Period(
            {
                SiaeKind.EI: Decimal(10363),
                SiaeKind.ETTI: Decimal(4405),
                SiaeKind.AI: Decimal(1347),
                SiaeKind.ACI: Decimal(19897),
            },
            date(2018, 1, 1),
            date(2018, 12, 31),
            "Arrêté du 05/02/2018 (directions.fr 2018/2)",
        ),
        Period(
            _AID_2019,
            date(2019, 1, 1),
            date(2021, 12, 31),
            "Arrêté du 27/02/2019 (chantierecole.org) ; montants 2020 et 2021 non retrouvés, "
            "ceux de 2019 reconduits",
            confirmed=False,
        ),
        Period(
            {
                SiaeKind.EI: Decimal(11087),
                SiaeKind.ETTI: Decimal(4253),
                SiaeKind.AI: Decimal(1441),
                SiaeKind.ACI: Decimal(21286),
                SiaeKind.EITI: Decimal(5548),
            },
            date(2022, 1, 1),
            date(2022, 4, 30),
            "directions.fr 2022/9 (EITI : montant 2019 reconduit)",
            confirmed=False,
        ),
        Period(
            {
                SiaeKind.EI: Decimal(11381),
                SiaeKind.ETTI: Decimal(4366),
                SiaeKind.AI: Decimal(1479),
                SiaeKind.ACI: Decimal(21850),
                SiaeKind.EITI: Decimal(6001),
            },
            date(2022, 5, 1),
            date(2022, 7, 31),
            "Arrêté du 05/07/2022 (ash.tm.fr n° 3272)",
        ),
        Period(
            {
                SiaeKind.EI: Decimal(11609),
                SiaeKind.ETTI: Decimal(4454),
                SiaeKind.AI: Decimal(1509),
                SiaeKind.ACI: Decimal(22289),
                SiaeKind.EITI: Decimal(6001),
            },
            date(2022, 8, 1),
            date(2023, 4, 30),
            "associatheque.fr, revalorisation du 01/08/2022",
        ),
        Period(
            {
                SiaeKind.EI: Decimal(12081),
                SiaeKind.ETTI: Decimal(4636),
                SiaeKind.AI: Decimal(1570),
                SiaeKind.ACI: Decimal(23196),
                SiaeKind.EITI: Decimal(6001),
            },
            date(2023, 5, 1),
            date(2023, 12, 31),
            "agcr-expertise.fr (ActuEL RH), revalorisation du 01/05/2023",
        ),
        Period(
            {
                SiaeKind.EI: Decimal(12218),
                SiaeKind.ETTI: Decimal(4688),
                SiaeKind.AI: Decimal(1588),
                SiaeKind.ACI: Decimal(23458),
                SiaeKind.EITI: Decimal(6443),
            },
            date(2024, 1, 1),
            date(2024, 10, 31),
            "Arrêté du 30/04/2024 (jbaudit.com, Centre Inffo)",
        ),
        Period(
            _AID_11_2024,
            date(2024, 11, 1),
            date(2024, 12, 31),
            "Arrêté du 04/12/2024 (inae-nouvelleaquitaine.org)",
        ),
        Period(
            {**_AID_11_2024, SiaeKind.EI: Decimal(13304)},
            date(2025, 1, 1),
            date(2025, 12, 31),
            "Arrêté du 04/12/2024 : EI 13 304 € au 01/01/2025 ; montants AI, ETTI, ACI, EITI "
            "2025 non retrouvés, ceux du 01/11/2024 reconduits (domain.md §11, point 1)",
            confirmed=False,
        ),
        Period(
            {**_AID_11_2024, SiaeKind.EI: Decimal(13304)},
            date(2026, 1, 1),
            None,
            "Montants 2026 non publiés à notre connaissance : ceux de 2025 reconduits "
            "(domain.md §11, point 1)",
            confirmed=False,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class EmployerRates:
    """Employer contributions as a share of gross pay, after the réduction générale.

    ``insertion``: insertion posts of a conventioned SIAE, by kind; ``assisted``: PEC (CUI-CAE);
    ``common_law``: every other contract.
    """

    insertion: Mapping[SiaeKind, Decimal]
    assisted: Decimal
    common_law: Decimal


_RATES_BASIS = (
    "Hypothèse de gestion Tremplin : taux effectif de cotisations patronales au voisinage du "
    "SMIC après réduction générale (étendue à l'assurance chômage des AI et ACI depuis le "
    "01/01/2019 ; AI exonérées du versement mobilité) — domain.md §1.5 ; à valider par "
    "l'expert-comptable"
)

# Effective employer contribution rates used to turn gross pay into payroll cost
# (domain.md §1.5: the AI-specific "750 heures" exemption ended on 01/01/2019).
EMPLOYER_RATES: DatedParameter[EmployerRates] = DatedParameter(
    "employer_contribution_rates",
    "Taux effectif de cotisations patronales",
    (
        Period(
            EmployerRates(
                insertion={
                    SiaeKind.AI: Decimal("0.10"),
                    SiaeKind.ACI: Decimal("0.10"),
                    SiaeKind.EI: Decimal("0.12"),
                    SiaeKind.ETTI: Decimal("0.12"),
                    SiaeKind.EITI: Decimal("0.12"),
                },
                assisted=Decimal("0.12"),
                common_law=Decimal("0.14"),
            ),
            date(2019, 1, 1),
            date(2025, 12, 31),
            _RATES_BASIS,
            confirmed=False,
        ),
        Period(
            EmployerRates(
                insertion={
                    SiaeKind.AI: Decimal("0.10"),
                    SiaeKind.ACI: Decimal("0.10"),
                    SiaeKind.EI: Decimal("0.12"),
                    SiaeKind.ETTI: Decimal("0.12"),
                    SiaeKind.EITI: Decimal("0.12"),
                },
                assisted=Decimal("0.12"),
                common_law=Decimal("0.14"),
            ),
            date(2026, 1, 1),
            None,
            _RATES_BASIS + " ; réforme 2026 de la réduction générale (RGDU) non intégrée "
            "(domain.md §11, point 14)",
            confirmed=False,
        ),
    ),
)

# Franchise des impôts commerciaux of a non-lucrative association (CGI art. 206-1 bis):
# accessory lucrative receipts excl. VAT of the calendar year (domain.md §6.3).
LUCRATIVE_FRANCHISE: DatedParameter[Decimal] = DatedParameter(
    "association_lucrative_franchise",
    "Franchise des recettes lucratives accessoires d'une association (€ HT)",
    (
        Period(Decimal(63059), date(2019, 1, 1), date(2019, 12, 31), "CGI art. 206-1 bis, 2019"),
        Period(
            Decimal(72000),
            date(2020, 1, 1),
            date(2022, 12, 31),
            "CGI art. 206-1 bis, seuil 2020 (associatheque.fr)",
        ),
        Period(Decimal(76679), date(2023, 1, 1), date(2023, 12, 31), "CGI art. 206-1 bis, 2023"),
        Period(
            Decimal(78596),
            date(2024, 1, 1),
            date(2024, 12, 31),
            "CGI art. 206-1 bis, 2024 (horizon63.cerfrance.fr)",
        ),
        Period(
            Decimal(80011),
            date(2025, 1, 1),
            date(2025, 12, 31),
            "CGI art. 206-1 bis, 2025 (enligne.biz)",
        ),
        Period(
            Decimal(80011),
            date(2026, 1, 1),
            None,
            "Seuil 2026 non retrouvé : celui de 2025 reconduit (domain.md §6.3)",
            confirmed=False,
        ),
    ),
)

# From this share of the franchise threshold the fiscal view warns (Tremplin management choice).
FRANCHISE_WARNING_SHARE: DatedParameter[Decimal] = DatedParameter(
    "association_franchise_warning_share",
    "Seuil d'avertissement de la franchise (part du seuil)",
    (
        Period(
            Decimal("0.80"),
            date(2019, 1, 1),
            None,
            "Paramètre de gestion Tremplin (avertissement à 80 % du seuil)",
        ),
    ),
)


def aid_amount(kind: SiaeKind, month: date) -> Decimal | None:
    """Yearly montant socle of the aide au poste per ETP for ``kind`` in force on ``month``;
    ``None`` when the table has no amount for that kind then (domain.md §1.3)."""
    return AID_AMOUNTS.on(month).get(kind)


def employer_rate(kind: ContractKind, *, siae_kind: SiaeKind | None, on: date) -> Decimal:
    """Effective employer contribution rate of a contract of ``kind`` on day ``on``.

    An insertion contract of an entity holding a convention of ``siae_kind`` takes the SIAE's
    rate; a PEC the assisted-contract rate; any other contract the common-law rate
    (domain.md §1.5 — rates are management hypotheses, see :data:`EMPLOYER_RATES`).
    """
    rates = EMPLOYER_RATES.on(on)
    if kind is ContractKind.PEC:
        return rates.assisted
    if siae_kind is not None and kind in INSERTION_KINDS:
        return rates.insertion.get(siae_kind, rates.common_law)
    return rates.common_law


def payroll_cost(hours: Decimal, hourly_rate: Decimal, rate: Decimal) -> Decimal:
    """Cost of ``hours`` paid ``hourly_rate`` gross with employer contributions at ``rate``:
    hours × rate × (1 + contributions), to the cent, half up."""
    return to_cents(hours * hourly_rate * (1 + rate))


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def etp_months(hours: Decimal) -> Decimal:
    """Full-time posts occupied over one month by ``hours`` worked: hours / 151,67 (35 h × 52 /
    12, the ASP's monthly reference; domain.md §4.3, §11 point 4)."""
    return hours / LEGAL_MONTHLY_HOURS


@dataclass(frozen=True, slots=True)
class AidMonth:
    month: date
    etp: Decimal  # ETP consumed in the month (ETP-months)
    paid_etp: Decimal  # within the annex's financed posts
    amount: Decimal


def aid_earned(
    kind: SiaeKind,
    consumed: Mapping[date, Decimal],
    *,
    annex_etp: Decimal | None,
    consumed_before: Decimal = ZERO,
) -> list[AidMonth]:
    """Aide au poste earned month by month from the ETP consumed (``consumed``: month → ETP of
    that month, all of one calendar year).

    The aid is prorated to the posts actually occupied and limited to the posts the annexe
    financière finances (domain.md §1.1): over a year, at most ``annex_etp`` × 12 ETP-months;
    ``consumed_before`` counts the months of the same year before the first one given. Each
    month earns its paid ETP × the yearly amount in force that month / 12, to the cent. No
    annex, no aid.
    """
    months: list[AidMonth] = []
    used = consumed_before
    for month in sorted(consumed):
        etp = consumed[month]
        amount = aid_amount(kind, month)
        if annex_etp is None or amount is None:
            months.append(AidMonth(month, etp, ZERO, ZERO))
            continue
        room = max(Decimal(0), annex_etp * 12 - used)
        paid = min(etp, room)
        used += etp
        months.append(AidMonth(month, etp, paid, to_cents(paid * amount / 12)))
    return months


def aid_advance(kind: SiaeKind, annex_etp: Decimal, month: date) -> Decimal:
    """Monthly advance of the aide au poste paid by the ASP: 1/12 of the annex's yearly amount
    (financed ETP × montant socle in force that month; domain.md §1.1)."""
    amount = aid_amount(kind, month) or Decimal(0)
    return to_cents(annex_etp * amount / 12)


# --- Allocation ---------------------------------------------------------------------------------


class SharedFunction(models.TextChoices):
    """The group's transversal functions (seed: direction, HR, accompaniment, reception,
    development)."""

    DIRECTION = "direction", "Direction"
    HR = "hr", "Ressources humaines transversales"
    ACCOMPANIMENT = "accompaniment", "Accompagnement socio-professionnel"
    RECEPTION = "reception", "Accueil"
    DEVELOPMENT = "development", "Développement"


class KeyMethod(models.TextChoices):
    """What an allocation key divides a pool by (domain.md §7: practice, set by the board)."""

    HOURS = "hours", "Heures travaillées (relevés validés)"
    HEADCOUNT = "headcount", "Effectif (salariés sous contrat)"
    ETP = "etp", "ETP sous contrat"
    REVENUE = "revenue", "Chiffre d'affaires facturé"
    TIME_SPENT = "time_spent", "Temps passé par structure"
    FIXED = "fixed", "Parts fixes"


def largest_remainder[K: Hashable](
    total: Decimal, weights: Mapping[K, Decimal]
) -> dict[K, Decimal]:
    """Split ``total`` (in cents) among ``weights`` in proportion, to the cent, so that the parts
    add up exactly to ``total`` (largest-remainder, or Hamilton, method).

    Each key first gets the whole cents of its exact quota; the cents left go one each to the
    keys with the largest fractional parts, ties to the larger weight, then to the key given
    first. A negative total is split like its absolute value, then negated. ``ValueError``
    when a weight is negative or all are zero (``docs/algorithms/allocation.md``).
    """
    if any(w < 0 for w in weights.values()):
        raise ValueError("Une clé de répartition ne peut pas contenir de valeur négative.")
    weight_sum = sum((Fraction(w) for w in weights.values()), Fraction(0))
    if weight_sum == 0:
        raise ValueError("La clé de répartition est nulle pour toutes les structures.")
    cents = Fraction(total) * 100
    if cents.denominator != 1:
        raise ValueError("Le montant à répartir doit être exprimé au centime.")
    sign = -1 if cents < 0 else 1
    whole = abs(cents.numerator)
    quotas = {k: whole * Fraction(w) / weight_sum for k, w in weights.items()}
    shares = {k: q.numerator // q.denominator for k, q in quotas.items()}
    left = whole - sum(shares.values())
    order = list(weights)
    ranked = sorted(
        order, key=lambda k: (-(quotas[k] - shares[k]), -Fraction(weights[k]), order.index(k))
    )
    for key in ranked[:left]:
        shares[key] += 1
    return {k: Decimal(sign * shares[k]).scaleb(-2) for k in order}


def fixed_share_errors(shares: Mapping[object, Decimal]) -> list[str]:
    """Fixed shares are percentages between 0 and 100 that add up to 100."""
    errors = []
    if any(s < 0 or s > PERCENT for s in shares.values()):
        errors.append("Chaque part fixe est un pourcentage compris entre 0 et 100.")
    total = sum(shares.values(), Decimal(0))
    if total != PERCENT:
        errors.append(f"Les parts fixes totalisent {total} % au lieu de 100 %.")
    return errors


# --- The association's fiscal view --------------------------------------------------------------


class FranchiseState(models.TextChoices):
    UNDER = "under", "Sous le seuil"
    NEAR = "near", "Proche du seuil"
    ABOVE = "above", "Au-dessus du seuil"


# Activities the association carries out in non-lucrative conditions by default: its insertion
# placements (mise à disposition), commonly treated as non-lucrative under the "4P" because of
# their public (domain.md §6.3 — [?] no specific doctrine found; each entity can change it).
NON_LUCRATIVE_BY_DEFAULT = frozenset({ServiceKind.PLACEMENT})


def is_lucrative_by_default(activity: str) -> bool:
    return activity not in NON_LUCRATIVE_BY_DEFAULT


@dataclass(frozen=True, slots=True)
class FranchiseCheck:
    lucrative: Decimal
    threshold: Decimal
    share: Decimal  # of the threshold, in percent, one decimal
    state: FranchiseState
    confirmed: bool

    @property
    def room(self) -> Decimal:
        return self.threshold - self.lucrative


def franchise_check(lucrative: Decimal, *, year: int) -> FranchiseCheck:
    """Compare an association's lucrative receipts of ``year`` with the franchise of CGI art.
    206-1 bis: above it, every lucrative profit is taxed; from the warning share (80 %) the
    view warns. Threshold and share are read on 1 January of ``year``."""
    day = date(year, 1, 1)
    period = LUCRATIVE_FRANCHISE.period_on(day)
    threshold = period.value
    share = (lucrative * PERCENT / threshold).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if lucrative > threshold:
        state = FranchiseState.ABOVE
    elif lucrative >= threshold * FRANCHISE_WARNING_SHARE.on(day):
        state = FranchiseState.NEAR
    else:
        state = FranchiseState.UNDER
    return FranchiseCheck(lucrative, threshold, share, state, period.confirmed)


# --- Accounting import --------------------------------------------------------------------------


class EntryKind(models.TextChoices):
    GRANT = "grant", "Subvention"
    COST = "cost", "Charge"


IMPORT_COLUMNS = ("date", "compte", "libellé", "montant", "code analytique", "activité", "pièce")
REQUIRED_COLUMNS = ("date", "compte", "libellé", "montant")


@dataclass(frozen=True, slots=True)
class ImportProblem:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"Ligne {self.line}, colonne « {self.column} » : {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportedLine:
    line: int
    day: date
    account: str
    label: str
    amount: Decimal
    kind: EntryKind
    analytic_code: str
    activity: str
    reference: str


def kind_of_account(account: str) -> EntryKind | None:
    """Charges are class 6 of the plan comptable général; operating grants account 74
    (subventions d'exploitation). Other accounts are not read by the economic model."""
    if account.startswith("6"):
        return EntryKind.COST
    if account.startswith("74"):
        return EntryKind.GRANT
    return None


def parse_amount(text: str) -> Decimal:
    """A French amount: ``1 234,56``, ``-12,5``, ``1234.56`` (spaces as thousands)."""
    cleaned = text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d{1,2})?", cleaned):
        raise ValueError(f"montant illisible « {text} » (attendu par exemple 1 234,56)")
    return Decimal(cleaned)


def parse_day(text: str) -> date:
    """``31/12/2025`` or ``2025-12-31``."""
    text = text.strip()
    for pattern, order in (
        (r"(\d{2})/(\d{2})/(\d{4})", "dmy"),
        (r"(\d{4})-(\d{2})-(\d{2})", "ymd"),
    ):
        if match := re.fullmatch(pattern, text):
            a, b, c = (int(g) for g in match.groups())
            try:
                return date(c, b, a) if order == "dmy" else date(a, b, c)
            except ValueError:
                break
    raise ValueError(f"date invalide « {text} » (attendu jj/mm/aaaa)")


def parse_import_row(line: int, row: Mapping[str, str]) -> ImportedLine | list[ImportProblem]:
    """Read one line of an accounting CSV (columns :data:`IMPORT_COLUMNS`); return the line, or
    the errors found in it, each naming the line, the column and the reason, in French."""
    errors: list[ImportProblem] = []
    for column in REQUIRED_COLUMNS:
        if not (row.get(column) or "").strip():
            errors.append(ImportProblem(line, column, "valeur obligatoire manquante"))
    if errors:
        return errors
    day = amount = None
    try:
        day = parse_day(row["date"])
    except ValueError as exc:
        errors.append(ImportProblem(line, "date", str(exc)))
    account = row["compte"].strip()
    kind = kind_of_account(account)
    if not account.isdigit():
        errors.append(ImportProblem(line, "compte", f"numéro de compte invalide « {account} »"))
    elif kind is None:
        errors.append(
            ImportProblem(
                line,
                "compte",
                f"le compte {account} n'est ni une charge (classe 6) ni une subvention "
                "d'exploitation (74)",
            )
        )
    try:
        amount = parse_amount(row["montant"])
    except ValueError as exc:
        errors.append(ImportProblem(line, "montant", str(exc)))
    activity = (row.get("activité") or "").strip()
    if activity and activity not in ServiceKind.values:
        errors.append(ImportProblem(line, "activité", f"activité inconnue « {activity} »"))
    label = row["libellé"].strip()
    if len(label) > 255:
        errors.append(ImportProblem(line, "libellé", "255 caractères au plus"))
    analytic = (row.get("code analytique") or "").strip()
    if len(analytic) > 20:
        errors.append(ImportProblem(line, "code analytique", "20 caractères au plus"))
    reference = (row.get("pièce") or "").strip()
    if len(reference) > 50:
        errors.append(ImportProblem(line, "pièce", "50 caractères au plus"))
    if errors or day is None or amount is None or kind is None:
        return errors
    return ImportedLine(line, day, account, label, amount, kind, analytic, activity, reference)
