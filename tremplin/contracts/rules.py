from __future__ import annotations

# Employment-contract and mise à disposition (MAD) rules, as pure functions.
#
# Inputs are plain values (dates, ``Decimal``, enums, frozen dataclasses); nothing here reads the
# clock or the database: callers pass ``today`` or the day a rule is evaluated for. Every legal
# amount, duration, threshold and cap is a :class:`~tremplin.core.parameters.DatedParameter`
# defined in this module, with its source; periods marked ``confirmed=False`` hold values the
# domain brief lists as unverified and must be checked before they are relied on.
#
# Conventions:
#
# - a contract of *N months* starting on day D ends on the day before D's quantième N months later
#   (:func:`period_end`; Code civil, art. 641 for the missing-quantième case);
# - numbers in messages use the French format (``1 234,5``: decimal comma, narrow no-break space
#   between thousands), dates ``dd/mm/yyyy``;
# - the MAD cap algorithm is explained with worked tables in ``docs/algorithms/mad-cap.md``.
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import models

from tremplin.accounts.rules import Role
from tremplin.clients.rules import ClientKind
from tremplin.core import dates, money
from tremplin.core.parameters import DatedParameter, ParameterNotInForce, Period
from tremplin.pathways.rules import ExitCategory

# Earliest day the tables below are recorded for. Rules already in force before that day keep it
# as ``valid_from``: their enactment is older and contracts before it are out of scope.
RECORDED_FROM = date(2018, 1, 1)


# --- Formatting and calendar helpers ----------------------------------------------------------


def format_decimal(value: Decimal) -> str:
    """Format hours or a ratio the French way, without trailing zeros: ``412,5``, ``1 234``.

    Delegates to :func:`tremplin.core.money.format_number` (decimal comma, narrow no-break space
    between thousands) with as many decimals as the value carries.
    """
    exponent = value.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return money.format_number(value, places)


def _hours(value: Decimal) -> str:
    """Format hours for a message: ``412,5 h``."""
    return f"{format_decimal(value)} h"


def _euros(value: Decimal) -> str:
    """Format an amount in euros for a message: ``11,88 €``."""
    return money.format_euros(value)


def _day(value: date) -> str:
    """Format a date for a message: ``dd/mm/yyyy``."""
    return dates.format_date(value)


def period_end(start: date, months: int) -> date:
    """Return the last day of a period of ``months`` months starting on ``start`` (inclusive).

    The period ends the day before the same quantième ``months`` later; when that month has no
    such day, it ends on the month's last day (Code civil, art. 641).

    >>> period_end(date(2025, 1, 15), 4), period_end(date(2025, 1, 31), 1)
    (datetime.date(2025, 5, 14), datetime.date(2025, 2, 28))
    """
    shifted = start + relativedelta(months=months)
    if shifted.day != start.day:  # clamped to the end of a shorter month
        return shifted
    return shifted - timedelta(days=1)


def started_months(start: date, end: date) -> int:
    """Return the number of months begun between ``start`` and ``end`` (both inclusive).

    A started month counts as a whole one, so cumulated durations never understate the time
    already spent under contract (Code du travail, art. L1242-8-1 counts renewals in the total).

    >>> started_months(date(2025, 1, 15), date(2025, 5, 14)), started_months(
    ...     date(2025, 1, 15), date(2025, 5, 15))
    (4, 5)
    """
    if end < start:
        return 0
    months = max((end.year - start.year) * 12 + end.month - start.month, 1)
    while months > 1 and period_end(start, months - 1) >= end:
        months -= 1
    while period_end(start, months) < end:
        months += 1
    return months


def age_on(birth_date: date, day: date) -> int:
    """Return the age in whole years reached on ``day`` (age conditions of the Code du travail).

    Counted from birthday to birthday; someone born on 29 February gains a year on 28 February in
    common years.
    """
    return relativedelta(day, birth_date).years


def _as_day(value: date) -> date:
    """Return the calendar day of a date or datetime (a datetime keeps its own time zone)."""
    return value.date() if isinstance(value, datetime) else value


# --- Enums --------------------------------------------------------------------------------------


class ContractKind(models.TextChoices):
    CDDU = "CDDU", "CDD d'usage (CDDU)"
    CDDUA = "CDDUA", "CDD d'usage amélioré (CDDUA)"
    CDDI = "CDDI", "CDD d'insertion (CDDI)"
    ETTI_MISSION = "ETTI_MISSION", "Contrat de mission en ETTI"
    CDI_INCLUSION = "CDI_INCLUSION", "CDI inclusion (57 ans et plus)"
    PEC = "PEC", "Parcours emploi compétences (CUI-CAE)"
    CDI = "CDI", "CDI de droit commun"
    CDD = "CDD", "CDD de droit commun"


# Short names used inside sentences ("d'un CDDI").
_SHORT_NAMES: dict[ContractKind, str] = {
    ContractKind.CDDU: "CDDU",
    ContractKind.CDDUA: "CDDUA",
    ContractKind.CDDI: "CDDI",
    ContractKind.ETTI_MISSION: "contrat de mission en ETTI",
    ContractKind.CDI_INCLUSION: "CDI inclusion",
    ContractKind.PEC: "PEC (CUI-CAE)",
    ContractKind.CDI: "CDI",
    ContractKind.CDD: "CDD",
}

FIXED_TERM_KINDS = frozenset(
    {
        ContractKind.CDDU,
        ContractKind.CDDUA,
        ContractKind.CDDI,
        ContractKind.ETTI_MISSION,
        ContractKind.CDD,
    }
)
OPEN_ENDED_KINDS = frozenset({ContractKind.CDI, ContractKind.CDI_INCLUSION})
INSERTION_KINDS = frozenset(
    {
        ContractKind.CDDU,
        ContractKind.CDDUA,
        ContractKind.CDDI,
        ContractKind.ETTI_MISSION,
        ContractKind.CDI_INCLUSION,
    }
)


class PostType(models.TextChoices):
    INSERTION = "INSERTION", "Poste d'insertion"
    PERMANENT = "PERMANENT", "Poste permanent"


class JobCategory(models.TextChoices):
    WORKER_EMPLOYEE = "WORKER_EMPLOYEE", "Ouvrier ou employé"
    SUPERVISOR = "SUPERVISOR", "Agent de maîtrise ou technicien"
    EXECUTIVE = "EXECUTIVE", "Cadre"


class PartTimeDerogation(models.TextChoices):
    EMPLOYEE_REQUEST = "EMPLOYEE_REQUEST", "Demande écrite et motivée du salarié"
    SHORT_CONTRACT = "SHORT_CONTRACT", "Contrat de 7 jours au plus"
    REPLACEMENT = "REPLACEMENT", "CDD de remplacement"
    STUDENT = "STUDENT", "Étudiant de moins de 26 ans"
    BRANCH_AGREEMENT = "BRANCH_AGREEMENT", "Accord de branche étendu"
    INSERTION_PATHWAY = "INSERTION_PATHWAY", "Parcours d'insertion (SIAE)"


class CddiDerogation(models.TextChoices):
    COURT_SENTENCE = "COURT_SENTENCE", "Personne sous main de justice (aménagement de peine)"
    TRAINING_IN_PROGRESS = "TRAINING_IN_PROGRESS", "Achèvement d'une action de formation"
    SENIOR_50 = "SENIOR_50", "Salarié âgé de 50 ans et plus"
    DISABLED_WORKER = "DISABLED_WORKER", "Travailleur handicapé (RQTH)"
    SEVERE_DIFFICULTIES = "SEVERE_DIFFICULTIES", "Difficultés particulièrement importantes"


class EndReason(models.TextChoices):
    END_OF_TERM = "END_OF_TERM", "Fin du contrat à son terme"
    RESIGNATION = "RESIGNATION", "Démission"
    DISMISSAL = "DISMISSAL", "Licenciement"
    PROBATION_END_BY_EMPLOYER = (
        "PROBATION_END_BY_EMPLOYER",
        "Rupture de la période d'essai par l'employeur",
    )
    PROBATION_END_BY_EMPLOYEE = (
        "PROBATION_END_BY_EMPLOYEE",
        "Rupture de la période d'essai par le salarié",
    )
    MUTUAL_AGREEMENT = "MUTUAL_AGREEMENT", "Rupture d'un commun accord"
    HIRED_CDI = "HIRED_CDI", "Embauche en CDI"
    HIRED_CDD_OVER_6_MONTHS = (
        "HIRED_CDD_OVER_6_MONTHS",
        "Embauche en CDD ou intérim de plus de 6 mois",
    )
    HIRED_CDD_UNDER_6_MONTHS = (
        "HIRED_CDD_UNDER_6_MONTHS",
        "Embauche en CDD ou intérim de moins de 6 mois",
    )
    HIRED_ASSISTED_CONTRACT = (
        "HIRED_ASSISTED_CONTRACT",
        "Contrat aidé chez un employeur de droit commun",
    )
    HIRED_OTHER_SIAE = "HIRED_OTHER_SIAE", "Embauche dans une autre structure d'insertion"
    HIRED_CDI_INCLUSION = "HIRED_CDI_INCLUSION", "Embauche en CDI inclusion"
    PUBLIC_SERVICE = "PUBLIC_SERVICE", "Stage ou titularisation dans la fonction publique"
    BUSINESS_CREATION = "BUSINESS_CREATION", "Création d'entreprise"
    TRAINING = "TRAINING", "Entrée en formation qualifiante ou pré-qualifiante"
    JOB_SEEKING = "JOB_SEEKING", "Demandeur d'emploi"
    INACTIVE = "INACTIVE", "Inactivité"
    HEALTH = "HEALTH", "Raisons de santé"
    MOVED_AWAY = "MOVED_AWAY", "Déménagement"
    RETIREMENT = "RETIREMENT", "Départ à la retraite"
    DEATH = "DEATH", "Décès"


# ASP RefCategorieSort, domain brief §4.5. The second item says whether the mapping is confirmed:
# the official list of motifs falling in "retrait" was not found (domain §11, point 3).
_EXIT_CATEGORIES: dict[EndReason, tuple[ExitCategory, bool]] = {
    EndReason.HIRED_CDI: (ExitCategory.DURABLE_EMPLOYMENT, True),
    EndReason.HIRED_CDD_OVER_6_MONTHS: (ExitCategory.DURABLE_EMPLOYMENT, True),
    EndReason.PUBLIC_SERVICE: (ExitCategory.DURABLE_EMPLOYMENT, True),
    EndReason.BUSINESS_CREATION: (ExitCategory.DURABLE_EMPLOYMENT, True),
    EndReason.HIRED_CDI_INCLUSION: (
        ExitCategory.DURABLE_EMPLOYMENT,
        False,
    ),  # motif 96, category [?]
    EndReason.HIRED_CDD_UNDER_6_MONTHS: (ExitCategory.TRANSITIONAL_EMPLOYMENT, True),
    EndReason.HIRED_ASSISTED_CONTRACT: (ExitCategory.TRANSITIONAL_EMPLOYMENT, True),
    EndReason.TRAINING: (ExitCategory.POSITIVE_EXIT, True),
    EndReason.HIRED_OTHER_SIAE: (ExitCategory.POSITIVE_EXIT, True),
    EndReason.END_OF_TERM: (ExitCategory.OTHER_EXIT, True),
    EndReason.RESIGNATION: (ExitCategory.OTHER_EXIT, True),
    EndReason.DISMISSAL: (ExitCategory.OTHER_EXIT, True),
    EndReason.PROBATION_END_BY_EMPLOYER: (ExitCategory.OTHER_EXIT, True),
    EndReason.PROBATION_END_BY_EMPLOYEE: (ExitCategory.OTHER_EXIT, True),
    EndReason.MUTUAL_AGREEMENT: (ExitCategory.OTHER_EXIT, True),
    EndReason.JOB_SEEKING: (ExitCategory.OTHER_EXIT, True),
    EndReason.INACTIVE: (ExitCategory.OTHER_EXIT, True),
    EndReason.HEALTH: (ExitCategory.WITHDRAWN, False),
    EndReason.MOVED_AWAY: (ExitCategory.WITHDRAWN, False),
    EndReason.RETIREMENT: (ExitCategory.WITHDRAWN, False),
    EndReason.DEATH: (ExitCategory.WITHDRAWN, False),
}


def exit_category_for(end_reason: EndReason) -> ExitCategory:
    """Return the ASP exit category of an end reason (ASP ``RefCategorieSort``, domain §4.5).

    Contract-ending reasons that say nothing about what comes next (end of term, resignation,
    dismissal…) fall in "autres sorties" until the destination is known. Mappings to "retrait"
    (health, moving away, retirement, death) and of the CDI inclusion are not confirmed: see
    :func:`exit_category_is_confirmed`.
    """
    return _EXIT_CATEGORIES[end_reason][0]


def exit_category_is_confirmed(end_reason: EndReason) -> bool:
    """Say whether the exit category of a reason comes from a confirmed source (domain §4.5)."""
    return _EXIT_CATEGORIES[end_reason][1]


def post_type_for(kind: ContractKind) -> PostType:
    """Return whether a contract kind fills an insertion post (Code du travail, art. L5132-1)."""
    return PostType.INSERTION if kind in INSERTION_KINDS else PostType.PERMANENT


def requires_pass_iae(kind: ContractKind) -> bool:
    """Say whether a contract kind needs a valid PASS IAE (Code du travail, art. L5132-3).

    DGEFP Q&A of 5/5/2022 (Q5.2): an AI cannot place anyone without a PASS IAE.
    """
    return kind in INSERTION_KINDS


# Code du travail, art. L5132-9 and R5132-18 2°: the cap covers MAD to employers of art. L2211-1.
# Exempt: natural persons for non-professional activities, non-profit private legal persons
# (associations) and, per URSSAF, local authorities (domain §1.4). Social landlords (OPH are
# EPIC, ESH are companies) and public bodies (EPIC fall under L2211-1) are counted; mutual
# insurers are counted too although they are non-profit private persons: a cautious reading to
# be confirmed (see docs/algorithms/mad-cap.md).
_MAD_CAP_APPLIES: dict[ClientKind, bool] = {
    ClientKind.HOUSEHOLD: False,
    ClientKind.COMPANY: True,
    ClientKind.ASSOCIATION: False,
    ClientKind.LOCAL_AUTHORITY: False,
    ClientKind.SOCIAL_LANDLORD: True,
    ClientKind.MUTUAL_INSURER: True,
    ClientKind.PUBLIC_BODY: True,
}

_EXEMPT_CLIENT_PHRASES: dict[ClientKind, str] = {
    ClientKind.HOUSEHOLD: "d'un particulier",
    ClientKind.ASSOCIATION: "d'une association",
    ClientKind.LOCAL_AUTHORITY: "d'une collectivité territoriale",
}


def mad_cap_applies(client_kind: ClientKind) -> bool:
    """Say whether MAD to this kind of client counts in the 480 h cap (art. R5132-18 2°).

    Code du travail, art. L5132-9: households (non-professional use), associations and, per
    URSSAF, local authorities are outside the cap; other clients are counted.
    """
    return _MAD_CAP_APPLIES[client_kind]


# --- Dated parameters ----------------------------------------------------------------------------

_CT = "Code du travail"

SMIC_HOURLY: DatedParameter[Decimal] = DatedParameter(
    "smic_hourly_gross",
    "SMIC horaire brut (métropole et DROM hors Mayotte)",
    (
        Period(
            Decimal("9.88"),
            date(2018, 1, 1),
            date(2018, 12, 31),
            "Décret n° 2017-1719 du 20/12/2017",
        ),
        Period(
            Decimal("10.03"),
            date(2019, 1, 1),
            date(2019, 12, 31),
            "Décret n° 2018-1173 du 19/12/2018",
        ),
        Period(
            Decimal("10.15"),
            date(2020, 1, 1),
            date(2020, 12, 31),
            "Décret n° 2019-1387 du 18/12/2019",
        ),
        Period(
            Decimal("10.25"),
            date(2021, 1, 1),
            date(2021, 9, 30),
            "Décret n° 2020-1598 du 16/12/2020",
        ),
        Period(Decimal("10.48"), date(2021, 10, 1), date(2021, 12, 31), "Arrêté du 27/09/2021"),
        Period(
            Decimal("10.57"),
            date(2022, 1, 1),
            date(2022, 4, 30),
            "Décret n° 2021-1741 du 22/12/2021",
        ),
        Period(Decimal("10.85"), date(2022, 5, 1), date(2022, 7, 31), "Arrêté du 29/04/2022"),
        Period(Decimal("11.07"), date(2022, 8, 1), date(2022, 12, 31), "Arrêté du 29/07/2022"),
        Period(
            Decimal("11.27"),
            date(2023, 1, 1),
            date(2023, 4, 30),
            "Décret n° 2022-1608 du 22/12/2022",
        ),
        Period(Decimal("11.52"), date(2023, 5, 1), date(2023, 12, 31), "Arrêté du 26/04/2023"),
        Period(
            Decimal("11.65"),
            date(2024, 1, 1),
            date(2024, 10, 31),
            "Décret n° 2023-1216 du 20/12/2023",
        ),
        Period(
            Decimal("11.88"),
            date(2024, 11, 1),
            date(2025, 12, 31),
            "Décret n° 2024-951 du 23/10/2024",
        ),
        # Value of the décret presented in Conseil des ministres on 17/12/2025 (+1,18 %); its
        # number and JO reference are still to be checked.
        Period(
            Decimal("12.02"),
            date(2026, 1, 1),
            None,
            "Décret portant relèvement du SMIC au 01/01/2026 (référence JO à vérifier)",
            confirmed=False,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class DurationRule:
    """Duration bounds of a fixed-term contract kind, in months (``None``: no bound)."""

    legal_basis: str
    min_months: int | None = None  # initial contract
    max_months: int | None = None  # initial contract
    renewal_min_months: int | None = None
    renewal_max_months: int | None = None
    total_max_months: int | None = None  # cumulated, renewals included
    extended_total_max_months: int | None = None  # with a derogation (CDDI)


_CDDI_BASIS = f"{_CT}, art. L5132-5, L5132-11-1 et L5132-15-1"

DURATION_RULES: dict[ContractKind, DatedParameter[DurationRule]] = {
    ContractKind.CDDUA: DatedParameter(
        "cddua_duration",
        "Durée du CDD d'usage amélioré",
        (
            Period(
                DurationRule(
                    "pratique du groupe pour le CDD d'usage amélioré",
                    min_months=6,
                    total_max_months=18,
                ),
                RECORDED_FROM,
                None,
                "Pratique IPSO² (6 à 18 mois) ; COORACE 2010 : 3 à 6 mois (domain §2.2) [?]",
                confirmed=False,
            ),
        ),
    ),
    ContractKind.CDDI: DatedParameter(
        "cddi_duration",
        "Durée du CDD d'insertion",
        (
            Period(
                DurationRule(
                    _CDDI_BASIS, min_months=4, total_max_months=24, extended_total_max_months=60
                ),
                RECORDED_FROM,
                None,
                f"{_CDDI_BASIS} (domain §2.3)",
            ),
        ),
    ),
    ContractKind.ETTI_MISSION: DatedParameter(
        "etti_mission_duration",
        "Durée des missions en ETTI",
        (
            Period(
                DurationRule(f"{_CT}, art. L5132-6", total_max_months=24),
                RECORDED_FROM,
                None,
                f"{_CT}, art. L5132-6 dérogeant aux art. L1251-12 et L1251-12-1 (domain §2.4)",
            ),
        ),
    ),
    ContractKind.PEC: DatedParameter(
        "pec_duration",
        "Durée du parcours emploi compétences",
        (
            Period(
                DurationRule(
                    f"{_CT}, art. L5134-25 ; circulaire DGEFP du 11/01/2018",
                    min_months=9,
                    max_months=12,
                    renewal_min_months=6,
                    renewal_max_months=12,
                    total_max_months=24,
                ),
                RECORDED_FROM,
                None,
                "travail-emploi.gouv.fr, parcours emploi compétences (domain §2.6)",
            ),
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class HoursBounds:
    """Bounds on contractual hours (``None``: no bound) and the text they come from."""

    minimum: Decimal | None
    maximum: Decimal | None
    legal_basis: str


PART_TIME_MINIMUM: DatedParameter[HoursBounds] = DatedParameter(
    "part_time_weekly_minimum",
    "Durée minimale du travail à temps partiel",
    (
        Period(
            HoursBounds(Decimal(24), None, f"{_CT}, art. L3123-27"),
            RECORDED_FROM,
            None,
            f"{_CT}, art. L3123-27, loi n° 2013-504 du 14/06/2013 (domain §2.7)",
        ),
    ),
)

WEEKLY_HOURS_RULES: dict[ContractKind, DatedParameter[HoursBounds]] = {
    ContractKind.CDDI: DatedParameter(
        "cddi_weekly_hours",
        "Durée hebdomadaire du CDD d'insertion",
        (
            Period(
                HoursBounds(Decimal(20), Decimal(35), _CDDI_BASIS),
                RECORDED_FROM,
                None,
                f"{_CDDI_BASIS} ; dérogations : décret 2015-1435, loi 2020-1577 (domain §2.3)",
            ),
        ),
    ),
    ContractKind.PEC: DatedParameter(
        "pec_weekly_hours",
        "Durée hebdomadaire du CUI-CAE",
        (
            Period(
                HoursBounds(Decimal(20), None, f"{_CT}, art. L5134-26"),
                RECORDED_FROM,
                None,
                f"{_CT}, art. L5134-26 ; domain §2.6 ne cite que 20 h aidées [?]",
                confirmed=False,
            ),
        ),
    ),
    ContractKind.CDI: PART_TIME_MINIMUM,
    ContractKind.CDD: PART_TIME_MINIMUM,
}

CDDUA_MONTHLY_HOURS: DatedParameter[HoursBounds] = DatedParameter(
    "cddua_guaranteed_monthly_hours",
    "Volume mensuel garanti du CDD d'usage amélioré",
    (
        # No legal minimum: the guaranteed volume is a clause of the COORACE model (not accessible);
        # the ceiling is a full-time month, 35 h × 52 / 12.
        Period(
            HoursBounds(None, Decimal("151.67"), f"temps plein, {_CT}, art. L3121-27"),
            RECORDED_FROM,
            None,
            "Modèle COORACE « CDD d'usage amélioré » non consulté (domain §2.2, §11 point 7) [?]",
            confirmed=False,
        ),
    ),
)

CDI_INCLUSION_MIN_AGE: DatedParameter[int] = DatedParameter(
    "cdi_inclusion_min_age",
    "Âge minimal du CDI inclusion",
    (
        Period(
            57,
            date(2020, 12, 16),
            None,
            "Loi n° 2020-1577 du 14/12/2020 (domain §2.5)",
        ),
    ),
)

CDDI_SENIOR_AGE: DatedParameter[int] = DatedParameter(
    "cddi_senior_extension_age",
    "Âge ouvrant la prolongation du CDDI au-delà de 24 mois",
    (Period(50, RECORDED_FROM, None, f"{_CDDI_BASIS} (domain §2.3)"),),
)

STUDENT_MAX_AGE: DatedParameter[int] = DatedParameter(
    "part_time_student_max_age",
    "Âge en deçà duquel un étudiant peut travailler moins de 24 h",
    (Period(26, RECORDED_FROM, None, f"{_CT}, art. L3123-7 (domain §2.7)"),),
)

SHORT_CONTRACT_MAX_DAYS: DatedParameter[int] = DatedParameter(
    "part_time_short_contract_max_days",
    "Durée maximale d'un contrat dispensé de la durée minimale de temps partiel",
    (Period(7, RECORDED_FROM, None, f"{_CT}, art. L3123-7 1° (domain §2.7)"),),
)


@dataclass(frozen=True, slots=True)
class FixedTermProbation:
    """Probation of a fixed-term contract: per week of contract, capped, or a flat length."""

    days_per_week: int
    short_max_days: int
    short_contract_max_months: int
    long_months: int


@dataclass(frozen=True, slots=True)
class MissionProbation:
    """Probation of a temporary-work mission, in working days, by mission length in months."""

    tiers: tuple[tuple[int, int], ...]  # (up to N months, working days)
    beyond_days: int


FIXED_TERM_PROBATION: DatedParameter[FixedTermProbation] = DatedParameter(
    "fixed_term_probation",
    "Période d'essai du CDD",
    (
        Period(
            FixedTermProbation(
                days_per_week=1, short_max_days=14, short_contract_max_months=6, long_months=1
            ),
            RECORDED_FROM,
            None,
            f"{_CT}, art. L1242-10 (domain §2.8)",
        ),
    ),
)

MISSION_PROBATION: DatedParameter[MissionProbation] = DatedParameter(
    "mission_probation",
    "Période d'essai du contrat de mission",
    (
        Period(
            MissionProbation(tiers=((1, 2), (2, 3)), beyond_days=5),
            RECORDED_FROM,
            None,
            f"{_CT}, art. L1251-14 (domain §2.8)",
        ),
    ),
)

PERMANENT_PROBATION_MONTHS: DatedParameter[tuple[tuple[JobCategory, int], ...]] = DatedParameter(
    "permanent_probation_months",
    "Période d'essai du CDI (durée légale, hors renouvellement)",
    (
        Period(
            (
                (JobCategory.WORKER_EMPLOYEE, 2),
                (JobCategory.SUPERVISOR, 3),
                (JobCategory.EXECUTIVE, 4),
            ),
            RECORDED_FROM,
            None,
            f"{_CT}, art. L1221-19 (domain §2.8)",
        ),
    ),
)

MAD_CAP_HOURS: DatedParameter[Decimal] = DatedParameter(
    "mad_cap_hours",
    "Plafond d'heures de mise à disposition en entreprise",
    (Period(Decimal(480), RECORDED_FROM, None, f"{_CT}, art. R5132-18 2° (domain §1.4)"),),
)

MAD_CAP_WINDOW_MONTHS: DatedParameter[int] = DatedParameter(
    "mad_cap_window_months",
    "Période de décompte du plafond de mise à disposition",
    (Period(24, RECORDED_FROM, None, f"{_CT}, art. R5132-18 2° (domain §1.4)"),),
)

MAD_WARNING_SHARE: DatedParameter[Decimal] = DatedParameter(
    "mad_cap_warning_share",
    "Seuil d'alerte du plafond de mise à disposition",
    (
        # Management choice, not a legal value (domain §1.6: "blocking or warning").
        Period(Decimal("0.80"), RECORDED_FROM, None, "Paramètre de gestion Tremplin"),
    ),
)

MAD_DEROGATION_MAX_YEARS: DatedParameter[int] = DatedParameter(
    "mad_derogation_max_years",
    "Durée maximale d'une dérogation préfectorale au plafond de mise à disposition",
    (
        Period(
            3,
            date(2021, 8, 31),
            None,
            f"{_CT}, art. D5132-18-1, décret n° 2021-1129 du 30/08/2021 (domain §1.4)",
        ),
    ),
)

ECONOMIC_DISMISSAL_BAN_MONTHS: DatedParameter[int] = DatedParameter(
    "mad_economic_dismissal_ban_months",
    "Interdiction de mise à disposition après un licenciement économique",
    (
        Period(
            6,
            RECORDED_FROM,
            None,
            "Page URSSAF archivée sur les associations intermédiaires ; article non vérifié "
            "(domain §1.4, §11 point 13) [?]",
            confirmed=False,
        ),
    ),
)


# --- Contract checks ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """The terms of one employment contract, as entered, for :func:`contract_errors`.

    ``previous_cumulated_months`` counts the months (started months, see
    :func:`started_months`) already spent under the same kind of contract that renewals add up
    with. ``derogation_reason`` states why weekly hours are below the minimum of a CDDI or PEC
    (préfet decision); ``part_time_derogation`` names the legal case for a CDI or CDD under 24 h;
    ``cddi_derogation`` the case for a CDDI shorter than 4 months or longer than 24 months.
    """

    kind: ContractKind
    start: date
    planned_end: date | None
    weekly_hours: Decimal | None
    monthly_hours: Decimal | None
    hourly_rate: Decimal
    birth_date: date
    derogation_reason: str | None = None
    pass_iae_end: date | None = None
    is_renewal: bool = False
    previous_cumulated_months: int = 0
    pass_iae_start: date | None = None
    part_time_derogation: PartTimeDerogation | None = None
    cddi_derogation: CddiDerogation | None = None


FIELD_LABELS: dict[str, str] = {
    "kind": "Type de contrat",
    "start": "Date de début",
    "planned_end": "Date de fin prévue",
    "weekly_hours": "Durée hebdomadaire",
    "monthly_hours": "Volume mensuel garanti",
    "hourly_rate": "Taux horaire brut",
    "birth_date": "Date de naissance",
    "derogation_reason": "Motif de dérogation",
    "pass_iae_end": "PASS IAE",
    "previous_cumulated_months": "Durée déjà accomplie",
    "part_time_derogation": "Dérogation à la durée minimale",
    "cddi_derogation": "Dérogation à la durée du CDDI",
}

_Errors = dict[str, list[str]]


def _add(errors: _Errors, field: str, message: str) -> None:
    """Record ``message`` under ``field``."""
    errors.setdefault(field, []).append(message)


def contract_errors_by_field(terms: ContractTerms, *, today: date) -> dict[str, list[str]]:
    """Return French error messages keyed by :class:`ContractTerms` field name.

    Same checks as :func:`contract_errors` (Code du travail, art. L1242-12, L3123-27, L3231-2,
    L5132-3 and the articles of each contract kind), for forms that attach errors to fields.
    """
    errors: _Errors = {}
    _check_term(terms, errors)
    checks: tuple[Callable[[ContractTerms, _Errors], None], ...] = (
        _check_duration,
        _check_weekly_hours,
        _check_monthly_hours,
        _check_cdi_inclusion_age,
        _check_pass_iae,
        _check_smic,
    )
    for check in checks:
        try:
            check(terms, errors)
        except ParameterNotInForce as exc:  # a start date before the recorded rules
            _add(errors, "start", str(exc))
    _check_renewal_timing(terms, today, errors)
    return errors


def contract_errors(terms: ContractTerms, *, today: date) -> list[str]:
    """Return the French messages of every rule the contract terms break (empty when valid).

    Code du travail: term of fixed-term contracts (art. L1242-12), duration bounds per kind
    (CDDI art. L5132-5/L5132-11-1/L5132-15-1, ETTI art. L5132-6, PEC art. L5134-25, CDDUA group
    practice [?]), weekly hours (CDDI 20–35 h, part-time minimum art. L3123-27 and derogations
    art. L3123-7, L5132-6, L5132-7), CDI inclusion age (loi 2020-1577), PASS IAE coverage
    (art. L5132-3), SMIC in force on the start date (art. L3231-2), renewal agreed before the
    term (art. L1243-13). ``today`` is the day the terms are agreed: for imports of past
    contracts, pass their signature date. Each message starts with the field's French label.
    """
    return [
        f"{FIELD_LABELS[field]} : {message}"
        for field, messages in contract_errors_by_field(terms, today=today).items()
        for message in messages
    ]


def _check_term(terms: ContractTerms, errors: _Errors) -> None:
    """Check the term: required for a CDD (Code du travail, art. L1242-12), absent for a CDI."""
    name = _SHORT_NAMES[terms.kind]
    if terms.planned_end is None:
        if terms.kind in FIXED_TERM_KINDS:
            _add(errors, "planned_end", f"obligatoire pour un {name} ({_CT}, art. L1242-12).")
    elif terms.kind in OPEN_ENDED_KINDS:
        _add(errors, "planned_end", f"un {name} est conclu sans terme : laisser la date vide.")
    elif terms.planned_end < terms.start:
        _add(errors, "planned_end", f"antérieure à la date de début ({_day(terms.start)}).")
    if terms.is_renewal and terms.kind in OPEN_ENDED_KINDS:
        _add(errors, "kind", f"un {name} ne se renouvelle pas.")


def _check_duration(terms: ContractTerms, errors: _Errors) -> None:
    """Check the duration bounds of the kind, renewals included (:data:`DURATION_RULES`)."""
    parameter = DURATION_RULES.get(terms.kind)
    if parameter is None or terms.planned_end is None or terms.planned_end < terms.start:
        return
    try:
        rule = parameter.on(terms.start)
    except ParameterNotInForce as exc:
        _add(errors, "kind", str(exc))
        return
    name = _SHORT_NAMES[terms.kind]
    end = terms.planned_end
    derogation = terms.cddi_derogation if terms.kind is ContractKind.CDDI else None
    if terms.is_renewal:
        low, high, what = rule.renewal_min_months, rule.renewal_max_months, "d'un renouvellement"
    else:
        low, high, what = rule.min_months, rule.max_months, "initiale"
        if derogation is CddiDerogation.COURT_SENTENCE:
            low = None
    if low is not None and end < period_end(terms.start, low):
        _add(
            errors,
            "planned_end",
            f"durée {what} d'un {name} : {low} mois au moins ({rule.legal_basis}) ; "
            f"fin au plus tôt le {_day(period_end(terms.start, low))}.",
        )
    if high is not None and end > period_end(terms.start, high):
        _add(
            errors,
            "planned_end",
            f"durée {what} d'un {name} : {high} mois au plus ({rule.legal_basis}) ; "
            f"fin au plus tard le {_day(period_end(terms.start, high))}.",
        )
    total = _total_cap(terms, rule, derogation, errors)
    if total is None:
        return
    left = total - terms.previous_cumulated_months
    if left <= 0:
        _add(
            errors,
            "previous_cumulated_months",
            f"les {terms.previous_cumulated_months} mois déjà accomplis atteignent la durée "
            f"totale de {total} mois d'un {name}, renouvellements compris ({rule.legal_basis}).",
        )
    elif end > period_end(terms.start, left):
        _add(
            errors,
            "planned_end",
            f"durée totale d'un {name}, renouvellements compris : {total} mois au plus "
            f"({rule.legal_basis}) ; avec {terms.previous_cumulated_months} mois déjà accomplis, "
            f"fin au plus tard le {_day(period_end(terms.start, left))}.",
        )


def _total_cap(
    terms: ContractTerms, rule: DurationRule, derogation: CddiDerogation | None, errors: _Errors
) -> int | None:
    """Return the cumulated-duration cap in months for these terms, ``None`` when uncapped."""
    if derogation is CddiDerogation.TRAINING_IN_PROGRESS:
        return None  # until the training ends: its end date is checked by the training module
    if derogation is CddiDerogation.SENIOR_50:
        minimum_age = CDDI_SENIOR_AGE.on(terms.start)
        if age_on(terms.birth_date, terms.start) < minimum_age:
            _add(
                errors,
                "cddi_derogation",
                f"réservée aux salariés de {minimum_age} ans et plus au début du contrat "
                f"({rule.legal_basis}).",
            )
            return rule.total_max_months
    if derogation in {
        CddiDerogation.SENIOR_50,
        CddiDerogation.DISABLED_WORKER,
        CddiDerogation.SEVERE_DIFFICULTIES,
    }:
        return rule.extended_total_max_months
    return rule.total_max_months


def _check_weekly_hours(terms: ContractTerms, errors: _Errors) -> None:
    """Check weekly hours (CDDI art. L5132-11-1, PEC art. L5134-26, part time art. L3123-27)."""
    hours = terms.weekly_hours
    parameter = WEEKLY_HOURS_RULES.get(terms.kind)
    name = _SHORT_NAMES[terms.kind]
    if hours is None:
        if parameter is not None:
            _add(errors, "weekly_hours", f"obligatoire pour un {name}.")
        return
    if hours <= 0:
        _add(errors, "weekly_hours", "doit être supérieure à 0 h.")
        return
    if parameter is None:
        return
    bounds = parameter.on(terms.start)
    if bounds.maximum is not None and hours > bounds.maximum:
        _add(
            errors,
            "weekly_hours",
            f"{_hours(bounds.maximum)} par semaine au plus pour un {name} ({bounds.legal_basis}).",
        )
    if bounds.minimum is None or hours >= bounds.minimum:
        return
    floor = f"{_hours(bounds.minimum)} par semaine au moins pour un {name} ({bounds.legal_basis})"
    if parameter is PART_TIME_MINIMUM:
        _check_part_time_derogation(terms, floor, errors)
    elif not (terms.derogation_reason or "").strip():
        _add(
            errors,
            "weekly_hours",
            f"{floor} ; en dessous, indiquer le motif de la dérogation préfectorale.",
        )


def _check_part_time_derogation(terms: ContractTerms, floor: str, errors: _Errors) -> None:
    """Check the case invoked to go under 24 h a week (Code du travail, art. L3123-7)."""
    derogation = terms.part_time_derogation
    basis = f"{_CT}, art. L3123-7"
    if derogation is None:
        _add(
            errors,
            "weekly_hours",
            f"{floor}, sauf dérogation légale ({basis}, L5132-6 et L5132-7) : la préciser.",
        )
    elif derogation is PartTimeDerogation.STUDENT:
        limit = STUDENT_MAX_AGE.on(terms.start)
        if age_on(terms.birth_date, terms.start) >= limit:
            _add(
                errors,
                "part_time_derogation",
                f"réservée aux étudiants de moins de {limit} ans au début du contrat ({basis}).",
            )
    elif derogation is PartTimeDerogation.SHORT_CONTRACT:
        limit = SHORT_CONTRACT_MAX_DAYS.on(terms.start)
        end = terms.planned_end
        if (
            terms.kind is not ContractKind.CDD
            or end is None
            or (end - terms.start).days + 1 > limit
        ):
            _add(
                errors,
                "part_time_derogation",
                f"réservée aux contrats de {limit} jours au plus ({basis} 1°).",
            )
    elif derogation is PartTimeDerogation.REPLACEMENT and terms.kind is not ContractKind.CDD:
        _add(errors, "part_time_derogation", f"réservée aux CDD de remplacement ({basis} 2°).")


def _check_monthly_hours(terms: ContractTerms, errors: _Errors) -> None:
    """Check the CDDUA guaranteed monthly volume (COORACE model [?], art. L3121-27 ceiling)."""
    hours = terms.monthly_hours
    if terms.kind is not ContractKind.CDDUA:
        if hours is not None and hours <= 0:
            _add(errors, "monthly_hours", "doit être supérieur à 0 h.")
        return
    if hours is None:
        _add(errors, "monthly_hours", "obligatoire pour un CDDUA, qui garantit un volume d'heures.")
        return
    bounds = CDDUA_MONTHLY_HOURS.on(terms.start)
    if hours <= 0:
        _add(errors, "monthly_hours", "doit être supérieur à 0 h.")
    elif bounds.maximum is not None and hours > bounds.maximum:
        _add(
            errors,
            "monthly_hours",
            f"{_hours(bounds.maximum)} par mois au plus ({bounds.legal_basis}).",
        )


def _check_cdi_inclusion_age(terms: ContractTerms, errors: _Errors) -> None:
    """Check the CDI inclusion age condition on the start date (loi n° 2020-1577)."""
    if terms.kind is not ContractKind.CDI_INCLUSION:
        return
    try:
        minimum = CDI_INCLUSION_MIN_AGE.on(terms.start)
    except ParameterNotInForce:
        opened_on = min(period.valid_from for period in CDI_INCLUSION_MIN_AGE.periods)
        _add(
            errors,
            "kind",
            f"le CDI inclusion n'est ouvert qu'aux contrats commençant à compter du "
            f"{_day(opened_on)} (loi n° 2020-1577 du 14/12/2020).",
        )
        return
    if age_on(terms.birth_date, terms.start) < minimum:
        birthday = terms.birth_date + relativedelta(years=minimum)
        _add(
            errors,
            "birth_date",
            f"le CDI inclusion est réservé aux personnes de {minimum} ans et plus au début du "
            f"contrat (loi n° 2020-1577 du 14/12/2020) ; {minimum} ans le {_day(birthday)}.",
        )


def _check_pass_iae(terms: ContractTerms, errors: _Errors) -> None:
    """Check that a valid PASS IAE covers the insertion contract (Code du travail, art. L5132-3)."""
    if not requires_pass_iae(terms.kind):
        return
    name = _SHORT_NAMES[terms.kind]
    basis = f"{_CT}, art. L5132-3"
    if terms.pass_iae_end is None:
        _add(
            errors,
            "pass_iae_end",
            f"un {name} exige un PASS IAE valide à la date de début ({basis}).",
        )
        return
    if terms.pass_iae_start is not None and terms.start < terms.pass_iae_start:
        _add(
            errors,
            "pass_iae_end",
            f"le PASS IAE ne commence que le {_day(terms.pass_iae_start)}, après le début du "
            f"contrat ({_day(terms.start)}) ({basis}).",
        )
    if terms.start > terms.pass_iae_end:
        _add(
            errors,
            "pass_iae_end",
            f"le PASS IAE a pris fin le {_day(terms.pass_iae_end)}, avant le début du contrat "
            f"({_day(terms.start)}) ({basis}).",
        )
    elif terms.planned_end is not None and terms.planned_end > terms.pass_iae_end:
        _add(
            errors,
            "pass_iae_end",
            f"le contrat se termine après la fin du PASS IAE ({_day(terms.pass_iae_end)}) : "
            "prolonger le PASS IAE ou avancer la fin du contrat (contrôle des Emplois de "
            "l'inclusion).",
        )


def _check_smic(terms: ContractTerms, errors: _Errors) -> None:
    """Check the hourly rate against the SMIC on the start day (Code du travail, art. L3231-2)."""
    try:
        period = SMIC_HOURLY.period_on(terms.start)
    except ParameterNotInForce as exc:
        _add(errors, "hourly_rate", str(exc))
        return
    if terms.hourly_rate < period.value:
        _add(
            errors,
            "hourly_rate",
            f"{_euros(terms.hourly_rate)} est inférieur au SMIC horaire brut en vigueur le "
            f"{_day(terms.start)} ({_euros(period.value)}, {period.source} ; {_CT}, "
            "art. L3231-2).",
        )


def _check_renewal_timing(terms: ContractTerms, today: date, errors: _Errors) -> None:
    """Check a renewal is agreed by the previous term (Code du travail, art. L1243-13, L1251-35)."""
    if not terms.is_renewal or terms.kind in OPEN_ENDED_KINDS:
        return
    term = terms.start - timedelta(days=1)
    if today > term:
        article = "L1251-35" if terms.kind is ContractKind.ETTI_MISSION else "L1243-13"
        _add(
            errors,
            "start",
            f"un renouvellement se conclut au plus tard au terme du contrat précédent "
            f"({_day(term)}) ; saisi le {_day(today)} ({_CT}, art. {article}).",
        )


def renewal_errors(previous: ContractTerms, renewal: ContractTerms) -> list[str]:
    """Return the French messages of every way ``renewal`` fails to continue ``previous``.

    Code du travail, art. L1243-13 (CDD) and L1251-35 (missions): a renewal is the same contract
    continued without interruption, so it has the same kind, starts the day after the previous
    term, is flagged ``is_renewal`` and carries the months already accomplished. The renewal's
    own terms (durations, cumulated cap, hours…) are checked by :func:`contract_errors`.
    """
    errors: list[str] = []
    name = _SHORT_NAMES[previous.kind]
    if renewal.kind is not previous.kind:
        errors.append(
            f"Type de contrat : un renouvellement garde le type du contrat renouvelé ({name})."
        )
    if previous.kind in OPEN_ENDED_KINDS or previous.planned_end is None:
        errors.append(f"Type de contrat : un {name} sans terme ne se renouvelle pas.")
        return errors
    next_day = previous.planned_end + timedelta(days=1)
    if renewal.start != next_day:
        errors.append(
            f"Date de début : un renouvellement commence le lendemain du terme du contrat "
            f"renouvelé, soit le {_day(next_day)} ; sinon, c'est un nouveau contrat."
        )
    if not renewal.is_renewal:
        errors.append("Type de contrat : le contrat doit être indiqué comme un renouvellement.")
    expected = previous.previous_cumulated_months + started_months(
        previous.start, previous.planned_end
    )
    if renewal.previous_cumulated_months != expected:
        errors.append(
            f"Durée déjà accomplie : {expected} mois entamés avant ce renouvellement "
            f"({renewal.previous_cumulated_months} indiqués)."
        )
    return errors


def probation_period(
    kind: ContractKind,
    duration_months: int | None,
    *,
    on: date,
    duration_weeks: int | None = None,
    category: JobCategory = JobCategory.WORKER_EMPLOYEE,
) -> relativedelta | int:
    """Return the legal maximum probation period, absent a more favourable agreement.

    Code du travail, art. L1242-10 (CDD: one day per week within two weeks up to six months,
    one month beyond), art. L1251-14 (missions: 2, 3 or 5 *working* days), art. L1221-19 (CDI:
    2, 3 or 4 months by category, renewal not included). A ``relativedelta`` is a length in
    months; an ``int`` is a number of days (calendar days for a CDD, working days for a mission).
    ``duration_months`` is the contract length in started months (``None`` for a contract
    without term); ``duration_weeks`` refines the day-per-week count, else derived as
    ``months × 52 / 12``; ``on`` is the contract start, which selects the rules in force.
    """
    if kind in OPEN_ENDED_KINDS or duration_months is None:
        months = dict(PERMANENT_PROBATION_MONTHS.on(on))[category]
        return relativedelta(months=months)
    if kind is ContractKind.ETTI_MISSION:
        mission = MISSION_PROBATION.on(on)
        for up_to_months, days in mission.tiers:
            if duration_months <= up_to_months:
                return days
        return mission.beyond_days
    fixed = FIXED_TERM_PROBATION.on(on)
    if duration_months > fixed.short_contract_max_months:
        return relativedelta(months=fixed.long_months)
    weeks = duration_weeks if duration_weeks is not None else duration_months * 52 // 12
    return min(weeks * fixed.days_per_week, fixed.short_max_days)


# --- Mise à disposition (MAD) cap --------------------------------------------------------------


class MadCapState(models.TextChoices):
    OK = "OK", "Dans la limite"
    WARNING = "WARNING", "Seuil d'alerte atteint"
    REFUSED = "REFUSED", "Refusée"


@dataclass(frozen=True, slots=True)
class Placement:
    """One mise à disposition of the salarié: its first day, hours and client."""

    start: date | datetime
    hours: Decimal
    client_kind: ClientKind
    client_economic_dismissal_on: date | None = None

    def __post_init__(self) -> None:
        """Refuse a placement without hours: it would open a cap window for nothing."""
        if self.hours <= 0:
            raise ValueError("A placement has a positive number of hours.")

    @property
    def day(self) -> date:
        """The calendar day the placement starts, which is when its hours count."""
        return _as_day(self.start)


@dataclass(frozen=True, slots=True)
class MadWindow:
    """One 24-month counting period of the cap and the company hours placed in it."""

    start: date
    end: date
    hours: Decimal
    cap: Decimal

    @property
    def excess(self) -> Decimal:
        """Hours placed beyond the window's cap (art. R5132-18 2°), zero when within it."""
        return max(self.hours - self.cap, Decimal(0))


@dataclass(frozen=True, slots=True)
class MadCapStatus:
    """Where a proposed placement leaves the salarié against the MAD cap.

    ``hours_used`` are the counted hours already placed in the proposal's window (the proposal
    excluded; ``hours_planned`` of them start after ``today``); ``hours_left`` is what the window
    can still take before the proposal (never negative).
    """

    state: MadCapState
    hours_used: Decimal
    hours_left: Decimal
    hours_planned: Decimal
    cap: Decimal
    window_start: date | None
    window_end: date | None
    cap_applies: bool
    derogation: tuple[date, date] | None
    message: str


def mad_windows(placements: Iterable[Placement]) -> list[MadWindow]:
    """Split counted placements into cap windows (Code du travail, art. R5132-18 2°).

    A window opens on the first counted placement and lasts 24 months; the first counted
    placement after it ends opens the next one. A window's length and cap are those in force on
    its first day. Placements for clients outside the cap are ignored.
    """
    counted = sorted(
        ((p.day, p.hours) for p in placements if mad_cap_applies(p.client_kind)),
        key=lambda item: item[0],
    )
    windows: list[MadWindow] = []
    for day, hours in counted:
        if windows and day <= windows[-1].end:
            windows[-1] = replace(windows[-1], hours=windows[-1].hours + hours)
        else:
            end = period_end(day, MAD_CAP_WINDOW_MONTHS.on(day))
            windows.append(MadWindow(day, end, hours, MAD_CAP_HOURS.on(day)))
    return windows


def _window_on(windows: Sequence[MadWindow], day: date) -> MadWindow | None:
    """Return the window holding ``day``, if any."""
    return next((w for w in windows if w.start <= day <= w.end), None)


def _used_phrase(used: Decimal, planned: Decimal, today: date) -> str:
    """Phrase the hours used in a window, with the planned part when there is one."""
    verb = "utilisée" if used < 2 else "utilisées"
    if planned > 0:
        return f"{_hours(used)} {verb} (dont {_hours(planned)} planifiées après le {_day(today)})"
    return f"{_hours(used)} {verb}"


MAD_RULE = f"Plafond de mise à disposition en entreprise (art. R5132-18 2° du {_CT})"


def mad_cap_status(
    placements: Iterable[Placement],
    *,
    proposed: Placement,
    derogations: Sequence[tuple[date, date]] = (),
    today: date,
) -> MadCapStatus:
    """Check a proposed mise à disposition against the 480 h / 24 months cap of an AI.

    Code du travail, art. L5132-9 and R5132-18 2°: MAD of one salarié to companies are capped
    at 480 h over 24 months from the first MAD; art. D5132-18-1: a préfet derogation (given as
    inclusive ``(valid_from, valid_to)`` ranges) in force on the proposal's day lifts the cap.
    Households, associations and local authorities do not count (:func:`mad_cap_applies`).
    The state is REFUSED when the proposal would take any window past the cap (including a
    later window it shifts, see ``docs/algorithms/mad-cap.md``) or falls within 6 months after
    the client's economic dismissal (:func:`economic_dismissal_blocks`), WARNING when the
    proposal's window reaches 80 % of the cap, OK otherwise.
    """
    existing = list(placements)
    day = proposed.day
    cap_applies = mad_cap_applies(proposed.client_kind)
    windows = mad_windows([*existing, proposed] if cap_applies else existing)
    window = _window_on(windows, day)
    months = MAD_CAP_WINDOW_MONTHS.on(day)
    cap = window.cap if window is not None else MAD_CAP_HOURS.on(day)
    counted_hours = proposed.hours if cap_applies else Decimal(0)
    used = window.hours - counted_hours if window is not None else Decimal(0)
    planned = sum(
        (
            p.hours
            for p in existing
            if window is not None
            and mad_cap_applies(p.client_kind)
            and window.start <= p.day <= window.end
            and p.day > today
        ),
        Decimal(0),
    )
    left = max(cap - used, Decimal(0))
    derogation = next(((f, t) for f, t in derogations if f <= day <= t), None)
    summary = _used_phrase(used, planned, today)

    state = MadCapState.OK
    if not cap_applies:
        message = (
            f"La mise à disposition auprès {_EXEMPT_CLIENT_PHRASES[proposed.client_kind]} "
            f"n'entre pas dans le plafond de {_hours(cap)} sur {months} mois (art. L5132-9 et "
            f"R5132-18 2° du {_CT})."
        )
        if window is not None:
            message += (
                f" En entreprise : {summary} depuis le {_day(window.start)} ; "
                f"il reste {_hours(left)}."
            )
    elif window is None:  # unreachable: the proposal is counted, so a window holds it
        raise AssertionError("a counted placement always falls in a window")
    elif derogation is not None:
        message = (
            f"Dérogation préfectorale en vigueur du {_day(derogation[0])} au "
            f"{_day(derogation[1])} (art. D5132-18-1 du {_CT}) : le plafond de {_hours(cap)} "
            f"sur {months} mois ne s'applique pas à cette mise à disposition ; {summary} "
            f"depuis le {_day(window.start)}."
        )
    else:
        message = (
            f"{MAD_RULE} : {summary} sur {_hours(cap)} depuis le {_day(window.start)} ; "
            f"il reste {_hours(left)}."
        )
        after = window.hours
        without = mad_windows(existing)
        overflow = next((w for w in windows if w.start >= window.start and w.excess > 0), None)
        if sum((w.excess for w in windows), Decimal(0)) > sum(
            (w.excess for w in without), Decimal(0)
        ):
            state = MadCapState.REFUSED
            if overflow is not None and overflow.start > window.start:
                message += (
                    f" La mise à disposition proposée ({_hours(proposed.hours)}) décale le "
                    f"décompte et porterait la période commençant le {_day(overflow.start)} à "
                    f"{_hours(overflow.hours)}, au-delà du plafond."
                )
            else:
                message += (
                    f" La mise à disposition proposée ({_hours(proposed.hours)}) porterait le "
                    f"total à {_hours(after)}, au-delà du plafond."
                )
        elif after >= cap * MAD_WARNING_SHARE.on(day):
            state = MadCapState.WARNING
            message += (
                f" Seuil d'alerte de {format_decimal(MAD_WARNING_SHARE.on(day) * 100)} % atteint :"
                f" après cette mise à disposition ({_hours(proposed.hours)}), il restera "
                f"{_hours(cap - after)}."
            )

    dismissal_on = proposed.client_economic_dismissal_on
    if dismissal_on is not None and economic_dismissal_blocks(dismissal_on, day):
        state = MadCapState.REFUSED
        message = (
            f"Mise à disposition interdite : le client a procédé à un licenciement économique le "
            f"{_day(dismissal_on)} ; pas de mise à disposition avant le "
            f"{_day(economic_dismissal_ban_end(dismissal_on) + timedelta(days=1))} "
            f"(interdiction de {ECONOMIC_DISMISSAL_BAN_MONTHS.on(dismissal_on)} mois après un "
            "licenciement économique)."
        )

    return MadCapStatus(
        state=state,
        hours_used=used,
        hours_left=left,
        hours_planned=planned,
        cap=cap,
        window_start=window.start if window is not None else None,
        window_end=window.end if window is not None else None,
        cap_applies=cap_applies,
        derogation=derogation if cap_applies else None,
        message=message,
    )


def economic_dismissal_ban_end(client_dismissal_on: date) -> date:
    """Return the last day MAD to a client is barred after its economic dismissal.

    URSSAF (archived AI page, article not re-checked [?]): no MAD in an establishment that made
    an economic dismissal in the previous 6 months; a dismissal on 15/01 bars MAD up to 15/07.
    """
    months = ECONOMIC_DISMISSAL_BAN_MONTHS.on(client_dismissal_on)
    return client_dismissal_on + relativedelta(months=months)


def economic_dismissal_blocks(client_dismissal_on: date | None, placement_on: date) -> bool:
    """Say whether a client's economic dismissal bars a MAD starting on ``placement_on``.

    URSSAF (archived AI page, article not re-checked [?]): MAD is forbidden in establishments
    that made an economic dismissal in the 6 months before it; see
    :func:`economic_dismissal_ban_end` for the last barred day.
    """
    if client_dismissal_on is None or placement_on < client_dismissal_on:
        return False
    return placement_on <= economic_dismissal_ban_end(client_dismissal_on)


def mad_derogation_errors(valid_from: date, valid_to: date) -> list[str]:
    """Return the French messages of what is wrong with a préfet derogation's dates.

    Code du travail, art. D5132-18-1 (décret n° 2021-1129): the préfet may let an AI exceed the
    MAD cap for at most 3 years, renewable (each renewal is a new range).
    """
    if valid_to < valid_from:
        return [f"Fin de la dérogation : antérieure à son début ({_day(valid_from)})."]
    try:
        years = MAD_DEROGATION_MAX_YEARS.on(valid_from)
    except ParameterNotInForce as exc:
        return [f"Début de la dérogation : {exc}"]
    latest = period_end(valid_from, 12 * years)
    if valid_to > latest:
        return [
            f"Fin de la dérogation : {years} ans au plus (art. D5132-18-1 du {_CT}) ; "
            f"fin au plus tard le {_day(latest)}."
        ]
    return []


# --- Contract pages: who may do what, probation end, ending, staff loans ------------------------

# Who may read and write contracts (need-to-know, domain.md §10): the transversal HR function
# and the direction write for the whole group; CIP, planners and accountants read the contracts
# of their entities; other roles get 403.
CONTRACT_READ_ROLES = frozenset({Role.DIRECTION, Role.HR, Role.CIP, Role.PLANNER, Role.ACCOUNTANT})
CONTRACT_WRITE_ROLES = frozenset({Role.DIRECTION, Role.HR})


def add_working_days(start: date, days: int) -> date:
    """Return the last of ``days`` working days (Monday to Friday) counted from ``start``.

    ``start`` counts when it is a working day. Public holidays are not known here: the result
    may be one or two days early in weeks that hold one, which keeps a probation end cautious.
    """
    day = start
    counted = 0
    while True:
        if day.weekday() < 5:
            counted += 1
            if counted >= days:
                return day
        day += timedelta(days=1)


def probation_end(
    kind: ContractKind,
    start: date,
    planned_end: date | None,
    *,
    category: JobCategory = JobCategory.WORKER_EMPLOYEE,
) -> date:
    """Return the last day of the legal maximum probation period of a contract.

    Applies :func:`probation_period` (Code du travail, art. L1242-10, L1251-14, L1221-19):
    a length in months ends on :func:`period_end`; calendar days (CDD) count from the start day
    included, working days (missions) skip week-ends. Never after the contract's term.
    """
    months = started_months(start, planned_end) if planned_end is not None else None
    weeks = ((planned_end - start).days + 1) // 7 if planned_end is not None else None
    length = probation_period(kind, months, on=start, duration_weeks=weeks, category=category)
    if isinstance(length, relativedelta):
        last = period_end(start, length.months)
    elif kind is ContractKind.ETTI_MISSION:
        last = add_working_days(start, length)
    else:
        last = start + timedelta(days=max(length, 1) - 1)
    return last if planned_end is None else min(last, planned_end)


END_FIELD_LABELS: dict[str, str] = {"actual_end": "Fin effective", "end_reason": "Motif de fin"}
_PROBATION_END_REASONS = frozenset(
    {EndReason.PROBATION_END_BY_EMPLOYER, EndReason.PROBATION_END_BY_EMPLOYEE}
)


def end_errors(
    *,
    start: date,
    planned_end: date | None,
    probation_end: date | None,
    actual_end: date,
    reason: EndReason,
) -> dict[str, list[str]]:
    """Return French messages, keyed ``actual_end`` or ``end_reason``, on ending a contract.

    A contract ends on or after its first day; a fixed-term contract that goes on after its term
    becomes a contract without term (Code du travail, art. L1243-11), so the actual end never
    passes the planned one (a longer contract is a renewal, art. L1243-13); "end of term" is
    the planned end itself; a break during the probation period happens within it
    (art. L1221-20, L1242-10).
    """
    errors: _Errors = {}
    if actual_end < start:
        _add(errors, "actual_end", f"antérieure au début du contrat ({_day(start)}).")
        return errors
    if planned_end is not None and actual_end > planned_end:
        _add(
            errors,
            "actual_end",
            f"postérieure au terme prévu ({_day(planned_end)}) : un contrat à durée déterminée "
            f"qui se poursuit après son terme devient à durée indéterminée ({_CT}, "
            "art. L1243-11) ; le renouveler plutôt (art. L1243-13).",
        )
    if reason is EndReason.END_OF_TERM:
        if planned_end is None:
            _add(errors, "end_reason", "un contrat sans terme ne prend pas fin « à son terme ».")
        elif actual_end != planned_end:
            _add(
                errors,
                "end_reason",
                f"« fin du contrat à son terme » suppose une fin effective au terme prévu, le "
                f"{_day(planned_end)} ; sinon, indiquer le motif de la rupture anticipée.",
            )
    elif reason in _PROBATION_END_REASONS:
        if probation_end is None:
            _add(
                errors,
                "end_reason",
                "aucune période d'essai n'est enregistrée pour ce contrat.",
            )
        elif actual_end > probation_end:
            _add(
                errors,
                "end_reason",
                f"la période d'essai a pris fin le {_day(probation_end)} : une rupture le "
                f"{_day(actual_end)} n'est plus une rupture de la période d'essai ({_CT}, "
                "art. L1221-20 et L1242-10).",
            )
    return errors


LOAN_FIELD_LABELS: dict[str, str] = {
    "borrower": "Structure utilisatrice",
    "start": "Début",
    "end": "Fin",
    "weekly_hours": "Heures par semaine",
    "consent_on": "Accord écrit du salarié le",
}
_LOAN_BASIS = f"{_CT}, art. L8241-2"


def staff_loan_errors(
    *,
    lender_id: int,
    lender_group_id: int,
    borrower_id: int,
    borrower_group_id: int,
    contract_start: date,
    contract_end: date | None,
    start: date,
    end: date,
    consent_on: date,
    weekly_hours: Decimal,
    contract_weekly_hours: Decimal | None,
    other_loans: Sequence[tuple[date, date]] = (),
) -> dict[str, list[str]]:
    """Return French messages, keyed by loan field, on lending a worker inside the group.

    Code du travail, art. L8241-1 and L8241-2: a non-profit loan of staff needs an agreement
    between the lender and the user company, the worker's written consent given beforehand and
    an amendment to the contract; within Tremplin it is limited to the entities of one group.
    The loan lies within the contract, does not exceed its weekly hours and does not overlap
    another loan of the same contract.
    """
    errors: _Errors = {}
    if borrower_id == lender_id:
        _add(errors, "borrower", "le salarié ne peut pas être prêté à son propre employeur.")
    elif borrower_group_id != lender_group_id:
        _add(
            errors,
            "borrower",
            f"le prêt de main-d'œuvre ne se fait ici qu'entre structures du même groupe "
            f"({_LOAN_BASIS}).",
        )
    if end < start:
        _add(errors, "end", f"antérieure au début du prêt ({_day(start)}).")
        return errors
    if start < contract_start:
        _add(
            errors,
            "start",
            f"antérieur au début du contrat ({_day(contract_start)}) : le prêt s'inscrit dans "
            f"le contrat de travail ({_LOAN_BASIS}).",
        )
    if contract_end is not None and end > contract_end:
        _add(
            errors,
            "end",
            f"postérieure à la fin du contrat ({_day(contract_end)}) : le prêt s'inscrit dans "
            f"le contrat de travail ({_LOAN_BASIS}).",
        )
    if consent_on > start:
        _add(
            errors,
            "consent_on",
            f"l'accord écrit du salarié précède le début du prêt ({_day(start)}) ({_LOAN_BASIS}).",
        )
    if weekly_hours <= 0:
        _add(errors, "weekly_hours", "doit être supérieur à 0 h.")
    elif contract_weekly_hours is not None and weekly_hours > contract_weekly_hours:
        _add(
            errors,
            "weekly_hours",
            f"{_hours(weekly_hours)} dépassent la durée hebdomadaire du contrat "
            f"({_hours(contract_weekly_hours)}).",
        )
    for other_start, other_end in other_loans:
        if start <= other_end and other_start <= end:
            _add(
                errors,
                "start",
                f"un autre prêt de ce contrat couvre déjà la période du {_day(other_start)} au "
                f"{_day(other_end)}.",
            )
    return errors


# --- HR register: alerts ------------------------------------------------------------------------

_TREMPLIN_CHOICE = "Paramètre de gestion Tremplin (délai d'alerte du registre du personnel)"

CONTRACT_ENDING_ALERT_DAYS: DatedParameter[int] = DatedParameter(
    "register_contract_ending_alert_days",
    "Délai d'alerte avant la fin d'un contrat (jours)",
    (Period(30, RECORDED_FROM, None, _TREMPLIN_CHOICE),),
)
WORK_PERMIT_ALERT_DAYS: DatedParameter[int] = DatedParameter(
    "register_work_permit_alert_days",
    "Délai d'alerte avant l'expiration d'une autorisation de travail (jours)",
    (Period(60, RECORDED_FROM, None, _TREMPLIN_CHOICE),),
)
MEDICAL_VISIT_ALERT_DAYS: DatedParameter[int] = DatedParameter(
    "register_medical_visit_alert_days",
    "Délai d'alerte avant l'échéance d'une visite médicale (jours)",
    (Period(30, RECORDED_FROM, None, _TREMPLIN_CHOICE),),
)
HABILITATION_ALERT_DAYS: DatedParameter[int] = DatedParameter(
    "register_habilitation_alert_days",
    "Délai d'alerte avant l'expiration d'une habilitation (jours)",
    (Period(60, RECORDED_FROM, None, _TREMPLIN_CHOICE),),
)


class AlertKind(models.TextChoices):
    CONTRACT_ENDING = "contract_ending", "Fin de contrat proche"
    WORK_PERMIT_EXPIRING = "work_permit_expiring", "Autorisation de travail bientôt expirée"
    WORK_PERMIT_EXPIRED = "work_permit_expired", "Autorisation de travail expirée"
    MEDICAL_VISIT_DUE = "medical_visit_due", "Visite médicale à prévoir"
    MEDICAL_VISIT_OVERDUE = "medical_visit_overdue", "Visite médicale en retard"
    HABILITATION_EXPIRING = "habilitation_expiring", "Habilitation bientôt expirée"
    HABILITATION_EXPIRED = "habilitation_expired", "Habilitation expirée"
    BELOW_SMIC = "below_smic", "Taux horaire inférieur au SMIC"


_URGENT_ALERTS = frozenset(
    {
        AlertKind.WORK_PERMIT_EXPIRED,
        AlertKind.MEDICAL_VISIT_OVERDUE,
        AlertKind.HABILITATION_EXPIRED,
        AlertKind.BELOW_SMIC,
    }
)


@dataclass(frozen=True, slots=True)
class RegisterAlert:
    """One alert of the HR register on a worker: its kind, the date concerned, a sentence."""

    kind: AlertKind
    day: date
    message: str

    @property
    def is_urgent(self) -> bool:
        """Expired, overdue or unlawful now, rather than coming."""
        return self.kind in _URGENT_ALERTS


def _within(day: date, today: date, days: int) -> bool:
    """Whether ``day`` falls between ``today`` and ``today`` + ``days``, both included."""
    return today <= day <= today + timedelta(days=days)


def register_alerts(
    *,
    today: date,
    contract_end: date | None = None,
    work_permit_until: date | None = None,
    medical_visit_due: date | None = None,
    habilitations: Sequence[tuple[str, date | None]] = (),
    hourly_rate: Decimal | None = None,
) -> list[RegisterAlert]:
    """Return the alerts of one line of the HR register on ``today``.

    - contract ending within :data:`CONTRACT_ENDING_ALERT_DAYS` (its last day included);
    - work permit (titre de séjour, Code du travail, art. L5221-8: the employer checks it)
      expiring within :data:`WORK_PERMIT_ALERT_DAYS`, or expired (valid through its last day);
    - medical visit (art. R4624-10 and R4624-16) due within :data:`MEDICAL_VISIT_ALERT_DAYS`,
      or overdue;
    - habilitation, given as ``(label, expires_on)``, expiring within
      :data:`HABILITATION_ALERT_DAYS`, or expired;
    - hourly rate below the SMIC in force today (art. L3231-2), after a SMIC increase.
    """
    alerts: list[RegisterAlert] = []
    if contract_end is not None and _within(
        contract_end, today, CONTRACT_ENDING_ALERT_DAYS.on(today)
    ):
        alerts.append(
            RegisterAlert(
                AlertKind.CONTRACT_ENDING,
                contract_end,
                f"Contrat se terminant le {_day(contract_end)}.",
            )
        )
    if work_permit_until is not None:
        if work_permit_until < today:
            alerts.append(
                RegisterAlert(
                    AlertKind.WORK_PERMIT_EXPIRED,
                    work_permit_until,
                    f"Autorisation de travail expirée depuis le {_day(work_permit_until)} "
                    f"({_CT}, art. L5221-8).",
                )
            )
        elif _within(work_permit_until, today, WORK_PERMIT_ALERT_DAYS.on(today)):
            alerts.append(
                RegisterAlert(
                    AlertKind.WORK_PERMIT_EXPIRING,
                    work_permit_until,
                    f"Autorisation de travail valable jusqu'au {_day(work_permit_until)}.",
                )
            )
    if medical_visit_due is not None:
        if medical_visit_due < today:
            alerts.append(
                RegisterAlert(
                    AlertKind.MEDICAL_VISIT_OVERDUE,
                    medical_visit_due,
                    f"Visite médicale en retard : prévue avant le {_day(medical_visit_due)}.",
                )
            )
        elif _within(medical_visit_due, today, MEDICAL_VISIT_ALERT_DAYS.on(today)):
            alerts.append(
                RegisterAlert(
                    AlertKind.MEDICAL_VISIT_DUE,
                    medical_visit_due,
                    f"Visite médicale à réaliser avant le {_day(medical_visit_due)}.",
                )
            )
    for label, expires_on in habilitations:
        if expires_on is None:
            continue
        if expires_on < today:
            alerts.append(
                RegisterAlert(
                    AlertKind.HABILITATION_EXPIRED,
                    expires_on,
                    f"{label} : expirée depuis le {_day(expires_on)}.",
                )
            )
        elif _within(expires_on, today, HABILITATION_ALERT_DAYS.on(today)):
            alerts.append(
                RegisterAlert(
                    AlertKind.HABILITATION_EXPIRING,
                    expires_on,
                    f"{label} : valable jusqu'au {_day(expires_on)}.",
                )
            )
    if hourly_rate is not None:
        smic = SMIC_HOURLY.period_on(today)
        if hourly_rate < smic.value:
            alerts.append(
                RegisterAlert(
                    AlertKind.BELOW_SMIC,
                    smic.valid_from,
                    f"Taux horaire de {_euros(hourly_rate)} inférieur au SMIC en vigueur depuis "
                    f"le {_day(smic.valid_from)} ({_euros(smic.value)}) : un avenant s'impose "
                    f"({_CT}, art. L3231-2).",
                )
            )
    return sorted(alerts, key=lambda a: (not a.is_urgent, a.day))


# --- Quality of employment ----------------------------------------------------------------------

# Code du travail, art. L3121-27 and L3123-1: part time is below the legal duration, 35 h a week
# or 151,67 h a month (35 × 52 / 12).
LEGAL_WEEKLY_HOURS = Decimal(35)
LEGAL_MONTHLY_HOURS = Decimal("151.67")
WEEKS_PER_YEAR = Decimal(52)


def contractual_monthly_hours(
    weekly_hours: Decimal | None, monthly_hours: Decimal | None
) -> Decimal | None:
    """Return the contractual hours of a month: weekly × 52 / 12, else the guaranteed volume.

    Rounded half up to the hundredth; ``None`` when the contract states neither (a CDDU paid on
    the hours of each mission).
    """
    if weekly_hours:
        return money.to_cents(weekly_hours * WEEKS_PER_YEAR / 12)
    if monthly_hours:
        return money.to_cents(monthly_hours)
    return None


def is_part_time(weekly_hours: Decimal | None, monthly_hours: Decimal | None) -> bool | None:
    """Say whether contractual hours are part time (Code du travail, art. L3123-1).

    Below 35 h a week, or below 151,67 h a month for a guaranteed monthly volume; ``None`` when
    the contract states no hours.
    """
    if weekly_hours:
        return weekly_hours < LEGAL_WEEKLY_HOURS
    if monthly_hours:
        return monthly_hours < LEGAL_MONTHLY_HOURS
    return None


def is_cddu_conversion(
    kind: ContractKind, start: date, earlier: Iterable[tuple[ContractKind, date]]
) -> bool:
    """Say whether a contract turns a CDDU worker into a CDDUA one (the seed's first goal).

    ``earlier`` holds the kind and start of the same person's contracts in the same entity: a
    CDDUA counts as a conversion when one of them is a CDDU started before it (domain §2.2).
    """
    return kind is ContractKind.CDDUA and any(
        k is ContractKind.CDDU and s < start for k, s in earlier
    )


def percentage(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """Return ``part`` as a percentage of ``whole``, one decimal, half up; ``None`` if empty."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class KindShare:
    """How many contracts of one kind, and their share of all contracts, in percent."""

    kind: ContractKind
    count: int
    share: Decimal | None


def kind_mix(kinds: Iterable[ContractKind]) -> list[KindShare]:
    """Return the count and share of each contract kind present, in the order of the enum."""
    counts: dict[ContractKind, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    total = sum(counts.values())
    return [
        KindShare(kind, counts[kind], percentage(counts[kind], total))
        for kind in ContractKind
        if kind in counts
    ]
