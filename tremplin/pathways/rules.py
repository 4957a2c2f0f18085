"""Rules on a person's insertion pathway: eligibility, PASS IAE, exits and alerts.

Pure functions over plain values (dates, ``Decimal``, enums, frozen dataclasses): nothing here
reads the clock or the database, the caller passes ``today``. Figures come from the domain brief
(``domain.md`` §3 PASS IAE, §4.5 exits) and live in :class:`DatedParameter` tables.

Dating policy. A period starts on the earliest day its source vouches for. Where the source is
the State platform's code or statistics and gives no effective date, the period starts on
31/08/2021, entry into force of décrets 2021-1128 and 2021-1129 (current PASS IAE regime), and
its ``source`` says so. Reading a parameter for an earlier day raises
:class:`~tremplin.core.parameters.ParameterNotInForce`; the ``*_errors`` functions return that
message instead of raising.

Unconfirmed values (``confirmed=False``): the contrat passerelle suspension reason after
31/12/2025, the figures of the closed "contexte sanitaire" prolongation reason, the post-exit
follow-up at 3 and 6 months and the 30-day appointment gap (house practice, no legal text).
The exit reasons classed as "retrait des sorties constatées" are listed in
:data:`EXIT_REASONS_UNCONFIRMED`.

Date conventions (worked tables in ``docs/algorithms/pass-iae.md``): PASS and suspension end
dates are inclusive; a suspension pushes the PASS end by its length in days, both ends counted;
a prolongation runs from the PASS end date it extends to the new end date and adds
``end - start`` days.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from dateutil.relativedelta import relativedelta
from django.db import models

from tremplin.core.parameters import DatedParameter, ParameterNotInForce, Period
from tremplin.organisations.rules import SiaeKind as SiaeKind  # re-exported for callers

# Entry into force of décrets 2021-1128 and 2021-1129 of 30/08/2021 (loi 2020-1577): start of
# the periods whose source gives no earlier effective date (see the module docstring).
PASS_IAE_REGIME_START = date(2021, 8, 31)

_REGIME_NOTE = "date d'effet : entrée en vigueur des décrets 2021-1128/1129 (source non datée)"


def _fr(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _kinds_text(kinds: Collection[SiaeKind]) -> str:
    return " et ".join(k.value for k in SiaeKind if k in kinds)


# --------------------------------------------------------------------------------------------
# Enums
# --------------------------------------------------------------------------------------------


class CriterionLevel(models.IntegerChoices):
    """Level of an administrative eligibility criterion (domain.md §3.2)."""

    LEVEL_1 = 1, "Niveau 1"
    LEVEL_2 = 2, "Niveau 2"


class AdministrativeCriterion(models.TextChoices):
    """Administrative criteria of eligibility to the IAE (décret 2021-1128, domain.md §3.2).

    Values are the criterion codes of the State platform "Les emplois de l'inclusion"
    (``LE:itou/eligibility``), kept as they are for data exchange; ``level`` gives the level.
    """

    RSA = "RSA", "Bénéficiaire du RSA"
    ASS = "ASS", "Allocataire de l'ASS"
    AAH = "AAH", "Allocataire de l'AAH"
    DETLD = "DETLD", "Demandeur d'emploi de très longue durée (24 mois et plus)"
    CAP_BEP = "CAP_BEP", "Niveau d'études 3 (CAP, BEP) ou infra"
    SENIOR = "SENIOR", "Senior (50 ans et plus)"
    JEUNE = "JEUNE", "Jeune (moins de 26 ans)"
    ASE = "ASE", "Sortant de l'aide sociale à l'enfance"
    DELD = "DELD", "Demandeur d'emploi de longue durée (12 à 24 mois)"
    TH = "TH", "Travailleur handicapé"
    PI = "PI", "Parent isolé"
    PSH_PR = "PSH_PR", "Sans hébergement, hébergé ou ayant un parcours de rue"
    REF_DA = "REF_DA", "Réfugié, protection temporaire ou subsidiaire, demandeur d'asile"
    ZRR = "ZRR", "Résident en ZRR ou ZFRR"
    QPV = "QPV", "Résident en QPV"
    DETENTION_MJ = "DETENTION_MJ", "Sortant de détention ou placé sous main de justice"
    FLE = "FLE", "Maîtrise du français inférieure au niveau A1"
    PM = "PM", "Problème de mobilité"

    @property
    def level(self) -> CriterionLevel:
        """Level of the criterion (1: one suffices; 2: several needed, see §3.2)."""
        return CRITERION_LEVELS[self]


CRITERION_LEVELS: Mapping[AdministrativeCriterion, CriterionLevel] = MappingProxyType(
    {
        criterion: (
            CriterionLevel.LEVEL_1
            if criterion
            in {
                AdministrativeCriterion.RSA,
                AdministrativeCriterion.ASS,
                AdministrativeCriterion.AAH,
                AdministrativeCriterion.DETLD,
            }
            else CriterionLevel.LEVEL_2
        )
        for criterion in AdministrativeCriterion
    }
)


class SuspensionReason(models.TextChoices):
    """Reasons for suspending a PASS IAE (LE:itou/approvals/models.py ``Suspension``, §3.4)."""

    CONTRACT_SUSPENDED = "CONTRACT_SUSPENDED", "Contrat de travail suspendu depuis plus de 15 jours"
    CONTRACT_BROKEN = "CONTRACT_BROKEN", "Contrat de travail rompu"
    FINISHED_CONTRACT = "FINISHED_CONTRACT", "Contrat de travail terminé"
    APPROVAL_BETWEEN_CTA_MEMBERS = (
        "APPROVAL_BETWEEN_CTA_MEMBERS",
        "Situation faisant l'objet d'un accord entre les acteurs membres du CTA",
    )
    CONTRAT_PASSERELLE = "CONTRAT_PASSERELLE", "Bascule dans l'expérimentation contrat passerelle"
    # Historical reasons: kept to read old suspensions, refused for new ones.
    SICKNESS = "SICKNESS", "Arrêt pour longue maladie"
    MATERNITY = "MATERNITY", "Congé de maternité"
    INCARCERATION = "INCARCERATION", "Incarcération"
    TRIAL_OUTSIDE_IAE = "TRIAL_OUTSIDE_IAE", "Période d'essai auprès d'un employeur hors IAE"
    DETOXIFICATION = "DETOXIFICATION", "Période de cure pour désintoxication"
    FORCE_MAJEURE = "FORCE_MAJEURE", "Raison de force majeure"


class ProlongationReason(models.TextChoices):
    """Reasons for prolonging a PASS IAE (Code du travail R5132-1-8, domain.md §3.5)."""

    SENIOR_CDI = "SENIOR_CDI", "CDI conclu avec une personne de 57 ans et plus"
    COMPLETE_TRAINING = "COMPLETE_TRAINING", "Fin d'une formation"
    RQTH = "RQTH", "Reconnaissance de la qualité de travailleur handicapé"
    SENIOR = "SENIOR", "50 ans et plus"
    PARTICULAR_DIFFICULTIES = (
        "PARTICULAR_DIFFICULTIES",
        "Difficultés particulièrement importantes",
    )
    HEALTH_CONTEXT = "HEALTH_CONTEXT", "Contexte sanitaire"


class ExitCategory(models.TextChoices):
    """Exit categories of the ASP table ``RefCategorieSort`` (domain.md §4.5)."""

    DURABLE_EMPLOYMENT = "DURABLE_EMPLOYMENT", "Emploi durable"
    TRANSITIONAL_EMPLOYMENT = "TRANSITIONAL_EMPLOYMENT", "Emploi de transition"
    POSITIVE_EXIT = "POSITIVE_EXIT", "Sortie positive"
    OTHER_EXIT = "OTHER_EXIT", "Autre sortie"
    WITHDRAWN = "WITHDRAWN", "Retrait des sorties constatées"

    @property
    def is_dynamic(self) -> bool:
        """Whether the category is a *sortie dynamique* (the first three categories)."""
        return self in _DYNAMIC_EXIT_CATEGORIES

    @property
    def counts_in_rates(self) -> bool:
        """Whether exits of this category count in exit rates (ASP code 5 is neutralised)."""
        return self is not ExitCategory.WITHDRAWN


_DYNAMIC_EXIT_CATEGORIES = frozenset(
    {
        ExitCategory.DURABLE_EMPLOYMENT,
        ExitCategory.TRANSITIONAL_EMPLOYMENT,
        ExitCategory.POSITIVE_EXIT,
    }
)


class ExitReason(models.TextChoices):
    """Reasons for leaving the pathway, each in one ASP category (domain.md §4.5).

    The official ASP list of *motifs de sortie* was not found ([?], §11 point 3): these are the
    situations the category definitions name. The reasons classed as withdrawn are unconfirmed.
    """

    CDI = "CDI", "CDI hors IAE"
    LONG_FIXED_TERM = "LONG_FIXED_TERM", "CDD ou mission d'intérim de plus de 6 mois"
    PUBLIC_SERVICE = "PUBLIC_SERVICE", "Stage ou titularisation dans la fonction publique"
    BUSINESS_CREATION = "BUSINESS_CREATION", "Création d'entreprise"
    SHORT_FIXED_TERM = "SHORT_FIXED_TERM", "CDD ou mission d'intérim de moins de 6 mois"
    SUBSIDISED_CONTRACT = "SUBSIDISED_CONTRACT", "Contrat aidé chez un employeur de droit commun"
    TRAINING = "TRAINING", "Entrée en formation pré-qualifiante ou qualifiante"
    OTHER_SIAE = "OTHER_SIAE", "Embauche dans une autre structure IAE"
    JOB_SEEKER = "JOB_SEEKER", "Demandeur d'emploi"
    INACTIVE = "INACTIVE", "Inactif"
    OTHER = "OTHER", "Autre motif"
    DEATH = "DEATH", "Décès"
    MOVED_AWAY = "MOVED_AWAY", "Déménagement"
    ILLNESS = "ILLNESS", "Maladie"


# Category of each exit reason: communauté de l'inclusion, "Les sorties dynamiques dans l'IAE"
# (domain.md §4.5). ASP motif 2 "CDD dans une autre structure IAE" is OTHER_SIAE.
EXIT_REASON_CATEGORIES: Mapping[ExitReason, ExitCategory] = MappingProxyType(
    {
        ExitReason.CDI: ExitCategory.DURABLE_EMPLOYMENT,
        ExitReason.LONG_FIXED_TERM: ExitCategory.DURABLE_EMPLOYMENT,
        ExitReason.PUBLIC_SERVICE: ExitCategory.DURABLE_EMPLOYMENT,
        ExitReason.BUSINESS_CREATION: ExitCategory.DURABLE_EMPLOYMENT,
        ExitReason.SHORT_FIXED_TERM: ExitCategory.TRANSITIONAL_EMPLOYMENT,
        ExitReason.SUBSIDISED_CONTRACT: ExitCategory.TRANSITIONAL_EMPLOYMENT,
        ExitReason.TRAINING: ExitCategory.POSITIVE_EXIT,
        ExitReason.OTHER_SIAE: ExitCategory.POSITIVE_EXIT,
        ExitReason.JOB_SEEKER: ExitCategory.OTHER_EXIT,
        ExitReason.INACTIVE: ExitCategory.OTHER_EXIT,
        ExitReason.OTHER: ExitCategory.OTHER_EXIT,
        ExitReason.DEATH: ExitCategory.WITHDRAWN,
        ExitReason.MOVED_AWAY: ExitCategory.WITHDRAWN,
        ExitReason.ILLNESS: ExitCategory.WITHDRAWN,
    }
)

# [?] Which motifs fall in "retrait des sorties constatées" is not confirmed (§4.5, §11 point 3).
EXIT_REASONS_UNCONFIRMED: frozenset[ExitReason] = frozenset(
    {ExitReason.DEATH, ExitReason.MOVED_AWAY, ExitReason.ILLNESS}
)


# --------------------------------------------------------------------------------------------
# Small value objects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EligibilityResult:
    """Outcome of the administrative-criteria check, with the reasons in French."""

    eligible: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SuspensionPeriod:
    """A suspension of a PASS IAE, both dates inclusive."""

    start: date
    end: date
    reason: SuspensionReason

    @property
    def length_days(self) -> int:
        """Days suspended, both ends counted: the PASS end moves by this many days."""
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class ProlongationPeriod:
    """A prolongation: ``start`` is the PASS end it extends, ``end`` the new PASS end."""

    start: date
    end: date
    reason: ProlongationReason

    @property
    def duration_days(self) -> int:
        """Days added to the PASS: ``end - start``."""
        return (self.end - self.start).days


@dataclass(frozen=True, slots=True)
class ProlongationRule:
    """Caps and conditions of one prolongation reason (R5132-1-8)."""

    max_months: int
    max_cumulated_months: int | None
    needs_prescriber: bool
    needs_report_file: bool
    kinds: frozenset[SiaeKind] | None = None


@dataclass(frozen=True, slots=True)
class ProlongationWindow:
    """Months before and after the PASS end during which a prolongation may be requested."""

    months_before: int
    months_after: int


@dataclass(frozen=True, slots=True)
class SeniorFlags:
    """Which age thresholds a person has reached (50+: senior criterion; 57+: CDI inclusion)."""

    aged_50_plus: bool
    aged_57_plus: bool


# --------------------------------------------------------------------------------------------
# Dated parameters
# --------------------------------------------------------------------------------------------


def _single[T](
    code: str,
    label: str,
    value: T,
    source: str,
    *,
    valid_from: date = PASS_IAE_REGIME_START,
    confirmed: bool = True,
) -> DatedParameter[T]:
    return DatedParameter(code, label, (Period(value, valid_from, None, source, confirmed),))


LEVEL_1_CRITERIA_REQUIRED = _single(
    "iae_level_1_criteria_required",
    "Nombre de critères de niveau 1 requis (auto-prescription)",
    1,
    "LE:itou/eligibility/utils.py iae_has_required_criteria — domain.md §3.2; " + _REGIME_NOTE,
)
LEVEL_2_CRITERIA_REQUIRED: DatedParameter[Mapping[SiaeKind, int]] = _single(
    "iae_level_2_criteria_required",
    "Nombre de critères de niveau 2 requis par type de SIAE (auto-prescription)",
    MappingProxyType(
        {SiaeKind.AI: 2, SiaeKind.ETTI: 2, SiaeKind.ACI: 3, SiaeKind.EI: 3, SiaeKind.EITI: 3}
    ),
    "LE:itou/eligibility/enums.py ADMINISTRATIVE_CRITERIA_LEVEL_2_REQUIRED_FOR_SIAE_KIND"
    " — domain.md §3.2; " + _REGIME_NOTE,
)
PRESCRIBER_DIAGNOSIS_VALIDITY_MONTHS = _single(
    "prescriber_diagnosis_validity_months",
    "Validité d'un diagnostic d'éligibilité d'un prescripteur habilité (mois)",
    6,
    "LE:itou/eligibility/models/common.py EXPIRATION_DELAY_MONTHS — domain.md §3.2; "
    + _REGIME_NOTE,
)
EMPLOYER_DIAGNOSIS_VALIDITY_DAYS = _single(
    "employer_diagnosis_validity_days",
    "Validité d'un diagnostic d'éligibilité de l'employeur (jours)",
    92,
    "LE:itou/eligibility/models, aligné sur la validité de 3 mois des justificatifs"
    " — domain.md §3.2; " + _REGIME_NOTE,
)
PASS_DURATION_DAYS = _single(
    "pass_iae_duration_days",
    "Durée du PASS IAE (jours)",
    730,
    "PASS IAE de 2 ans codé 730 jours, fin incluse = début + 730 j - 1 j"
    " (LE:itou/approvals/models.py DEFAULT_APPROVAL_DAYS ; décret 2021-1128) — domain.md §3.3",
)
WAITING_PERIOD_YEARS = _single(
    "pass_iae_waiting_period_years",
    "Période de carence après la fin du PASS IAE (ans)",
    2,
    "LE:itou/approvals/models.py WAITING_PERIOD_YEARS — domain.md §3.3; " + _REGIME_NOTE,
)
SUSPENSION_MAX_MONTHS = _single(
    "pass_iae_suspension_max_months",
    "Durée maximale d'une suspension du PASS IAE (mois)",
    36,
    "LE:itou/approvals/models.py Suspension.MAX_DURATION_MONTHS; doc.inclusion.beta.gouv.fr"
    " « Suspendre un PASS IAE » — domain.md §3.4; " + _REGIME_NOTE,
)
SUSPENSION_MAX_RETROACTIVITY_DAYS = _single(
    "pass_iae_suspension_max_retroactivity_days",
    "Rétroactivité maximale d'une suspension du PASS IAE (jours)",
    365,
    "LE:itou/approvals/models.py Suspension.MAX_RETROACTIVITY_DURATION_DAYS — domain.md §3.4; "
    + _REGIME_NOTE,
)
SUSPENSION_REASONS_OPEN: DatedParameter[frozenset[SuspensionReason]] = _single(
    "pass_iae_suspension_reasons",
    "Motifs de suspension du PASS IAE ouverts à toutes les SIAE",
    frozenset(
        {
            SuspensionReason.CONTRACT_SUSPENDED,
            SuspensionReason.CONTRACT_BROKEN,
            SuspensionReason.FINISHED_CONTRACT,
            SuspensionReason.APPROVAL_BETWEEN_CTA_MEMBERS,
        }
    ),
    "LE:itou/approvals/models.py Suspension.Reason (motifs affichés) — domain.md §3.4; "
    + _REGIME_NOTE,
)
CONTRAT_PASSERELLE_KINDS: DatedParameter[frozenset[SiaeKind]] = DatedParameter(
    "contrat_passerelle_kinds",
    "Types de SIAE pouvant suspendre un PASS IAE pour contrat passerelle",
    (
        Period(
            frozenset({SiaeKind.EI, SiaeKind.ACI}),
            PASS_IAE_REGIME_START,
            date(2025, 12, 31),
            "Loi 2020-1577 art. 5, décret 2021-1129; expérimentation prolongée au 31/12/2025"
            " — domain.md §2.9",
        ),
        Period(
            frozenset({SiaeKind.EI, SiaeKind.ACI}),
            date(2026, 1, 1),
            None,
            "[?] Statut du contrat passerelle après le 31/12/2025 non confirmé"
            " — domain.md §2.9, §11 point 6",
            confirmed=False,
        ),
    ),
)

type ProlongationRules = Mapping[ProlongationReason, ProlongationRule]

# R5132-1-8 table (domain.md §3.5). SENIOR_CDI: "jusqu'à la retraite", coded as 10 years;
# COMPLETE_TRAINING: no cumulated cap, bounded by the end of the training.
_RULES_SINCE_DECEMBER_2021: dict[ProlongationReason, ProlongationRule] = {
    ProlongationReason.SENIOR_CDI: ProlongationRule(120, None, False, False),
    ProlongationReason.COMPLETE_TRAINING: ProlongationRule(12, None, False, False),
    ProlongationReason.RQTH: ProlongationRule(12, 36, True, True),
    ProlongationReason.SENIOR: ProlongationRule(12, 60, True, True),
    ProlongationReason.PARTICULAR_DIFFICULTIES: ProlongationRule(
        12, 36, True, True, frozenset({SiaeKind.AI, SiaeKind.ACI})
    ),
}
PROLONGATION_RULES: DatedParameter[ProlongationRules] = DatedParameter(
    "pass_iae_prolongation_rules",
    "Motifs et plafonds de prolongation du PASS IAE",
    (
        Period(
            MappingProxyType(
                _RULES_SINCE_DECEMBER_2021
                | {ProlongationReason.HEALTH_CONTEXT: ProlongationRule(12, 12, True, False)}
            ),
            PASS_IAE_REGIME_START,
            date(2021, 11, 30),
            "R5132-1-8; motif « contexte sanitaire » fermé le 1/12/2021, ses plafonds"
            " (365 jours) lus dans LE:itou/approvals/models.py, absents du brief — domain.md §3.5",
            confirmed=False,
        ),
        Period(
            MappingProxyType(_RULES_SINCE_DECEMBER_2021),
            date(2021, 12, 1),
            None,
            "R5132-1-8; LE:itou/approvals/models.py PROLONGATION_RULES — domain.md §3.5",
        ),
    ),
)
PROLONGATION_WINDOW = _single(
    "pass_iae_prolongation_window",
    "Période de demande de prolongation autour de la fin du PASS IAE",
    ProlongationWindow(months_before=12, months_after=6),
    "LE:itou/approvals/models.py is_open_to_prolongation — domain.md §3.5; "
    + _REGIME_NOTE
    + " (la plateforme a d'abord ouvert 3 puis 7 mois avant la fin)",
)
EXIT_MIN_HOURS_WORKED = _single(
    "exit_min_hours_worked",
    "Heures travaillées minimales pour compter une sortie (AI, ETTI)",
    Decimal("150"),
    "PA:dbt/models/indexed/heures_ai_etti.sql (statistiques de l'État) — domain.md §4.5; "
    + _REGIME_NOTE,
)
EXIT_MIN_CONTRACT_MONTHS = _single(
    "exit_min_contract_months",
    "Durée de contrat minimale pour compter une sortie (ACI, EI), en mois",
    Decimal("3"),
    "PA:dbt/models/staging/stg_sorties_aci_ei.sql (statistiques de l'État) — domain.md §4.5; "
    + _REGIME_NOTE,
)
EXIT_FOLLOW_UP_MONTHS: DatedParameter[tuple[int, ...]] = _single(
    "exit_follow_up_months",
    "Suivis après la sortie (mois après la date de sortie)",
    (3, 6),
    "Pratique d'accompagnement (suivi post-sortie à 3 et 6 mois), sans texte : à confirmer",
    confirmed=False,
)
LONG_PATHWAY_MONTHS = _single(
    "long_pathway_months",
    "Durée au-delà de laquelle un parcours est long (mois)",
    24,
    "CDDI de 24 mois au plus (domain.md §2.3) et PASS IAE de 2 ans (§3.3)",
)
SENIOR_AGE = _single(
    "senior_age",
    "Âge du critère senior et du motif de prolongation « 50 ans et plus »",
    50,
    "Critère de niveau 2 SENIOR et R5132-1-8 — domain.md §3.2, §3.5",
)
CDI_INCLUSION_AGE = _single(
    "cdi_inclusion_age",
    "Âge minimal pour un CDI inclusion",
    57,
    "Loi 2020-1577 du 14/12/2020 (CDI inclusion) — domain.md §2.5",
    valid_from=date(2020, 12, 14),
)
APPOINTMENT_MAX_GAP_DAYS = _single(
    "appointment_max_gap_days",
    "Délai maximal entre deux rendez-vous d'accompagnement (jours)",
    30,
    "Pratique d'accompagnement, sans texte : à confirmer",
    confirmed=False,
)


# --------------------------------------------------------------------------------------------
# Eligibility
# --------------------------------------------------------------------------------------------


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n < 2 else plural}"


def is_eligible_by_criteria(
    kind: SiaeKind, criteria: Collection[AdministrativeCriterion], *, today: date
) -> EligibilityResult:
    """Apply the auto-prescription thresholds: enough level-1 or level-2 criteria for ``kind``.

    One level-1 criterion suffices; otherwise 2 level-2 criteria for AI and ETTI, 3 for ACI, EI
    and EITI (LE:itou/eligibility/enums.py, domain.md §3.2). A criterion given twice counts once.
    Raises ``ParameterNotInForce`` before 31/08/2021.
    """
    given = set(criteria)
    level_1 = [
        c for c in AdministrativeCriterion if c in given and c.level is CriterionLevel.LEVEL_1
    ]
    level_2 = [
        c for c in AdministrativeCriterion if c in given and c.level is CriterionLevel.LEVEL_2
    ]
    required_1 = LEVEL_1_CRITERIA_REQUIRED.on(today)
    required_2 = LEVEL_2_CRITERIA_REQUIRED.on(today)[kind]
    if len(level_1) >= required_1:
        labels = ", ".join(str(c.label) for c in level_1)
        return EligibilityResult(True, (f"Critère de niveau 1 rempli : {labels}.",))
    if len(level_2) >= required_2:
        labels = ", ".join(str(c.label) for c in level_2)
        return EligibilityResult(
            True,
            (
                f"{_count(len(level_2), 'critère', 'critères')} de niveau 2 ({labels}),"
                f" {required_2} requis pour le type de SIAE « {kind.label} ».",
            ),
        )
    return EligibilityResult(
        False,
        (
            "Aucun critère de niveau 1.",
            f"{_count(len(level_2), 'critère', 'critères')} de niveau 2 sur {required_2}"
            f" requis pour le type de SIAE « {kind.label} ».",
        ),
    )


def diagnosis_valid_until(made_on: date, *, prescriber_is_authorised: bool) -> date:
    """Return the last day (inclusive) an eligibility diagnosis made on ``made_on`` is valid.

    Authorised prescriber: 6 months; employer (auto-prescription): 92 days
    (LE:itou/eligibility/models, domain.md §3.2). Raises ``ParameterNotInForce`` before
    31/08/2021.
    """
    if prescriber_is_authorised:
        months = PRESCRIBER_DIAGNOSIS_VALIDITY_MONTHS.on(made_on)
        return made_on + relativedelta(months=months) - timedelta(days=1)
    return made_on + timedelta(days=EMPLOYER_DIAGNOSIS_VALIDITY_DAYS.on(made_on) - 1)


def is_diagnosis_valid(
    made_on: date,
    today: date,
    *,
    prescriber_is_authorised: bool,
    pass_end: date | None = None,
) -> bool:
    """Whether a diagnosis made on ``made_on`` is valid on ``today``.

    A diagnosis is also considered valid as long as a PASS IAE is valid (``pass_end`` given and
    not passed), as the State platform does (LE:itou/eligibility/models/iae.py, domain.md §3.2).
    """
    if pass_end is not None and today <= pass_end:
        return True
    return (
        made_on
        <= today
        <= diagnosis_valid_until(made_on, prescriber_is_authorised=prescriber_is_authorised)
    )


# --------------------------------------------------------------------------------------------
# PASS IAE: duration, suspensions, prolongations, waiting period
# --------------------------------------------------------------------------------------------


def pass_end(start: date) -> date:
    """Return the inclusive end date of a PASS IAE starting on ``start``: start + 730 d - 1 d.

    Duration of 2 years coded as 730 days by the State platform (LE:itou/approvals/models.py,
    domain.md §3.3); a span crossing 29 February therefore ends one calendar day earlier than
    "two years minus one day". Raises ``ParameterNotInForce`` before 31/08/2021.
    """
    return start + timedelta(days=PASS_DURATION_DAYS.on(start) - 1)


def pass_end_with_suspensions_and_prolongations(
    start: date,
    suspensions: Iterable[SuspensionPeriod] = (),
    prolongations: Iterable[ProlongationPeriod] = (),
) -> date:
    """Return the PASS end once suspensions and prolongations are applied (domain.md §3.4-3.5).

    Each suspension pushes the end by its length, both ends counted; each prolongation adds
    ``end - start`` days, so a prolongation starting on the PASS end sets the new end to its
    own end. Periods are assumed valid (see :func:`suspension_errors` and
    :func:`prolongation_errors`).
    """
    suspended = sum(s.length_days for s in suspensions)
    prolonged = sum(p.duration_days for p in prolongations)
    return pass_end(start) + timedelta(days=suspended + prolonged)


def is_pass_valid_on(start: date, end: date, day: date) -> bool:
    """Whether a PASS IAE running from ``start`` to ``end`` (inclusive) covers ``day`` (§3.3)."""
    return start <= day <= end


def ends_within(end: date, today: date, months: int = 3) -> bool:
    """Whether ``end`` falls between ``today`` and ``today`` + ``months`` months, both included.

    Worklist helper for PASS or contract ends (domain.md §3.7 "PASS end in N months"); an end
    already passed is not "within".
    """
    return today <= end <= today + relativedelta(months=months)


def suspension_max_end(start: date) -> date:
    """Return the last day a suspension starting on ``start`` may end: start + 36 months - 1 d.

    Max 36 months per suspension, consecutive suspensions allowed (LE:itou/approvals/models.py
    ``Suspension.get_max_end_at``, domain.md §3.4). Raises ``ParameterNotInForce`` before
    31/08/2021.
    """
    months = SUSPENSION_MAX_MONTHS.on(start)
    return start + relativedelta(months=months) - timedelta(days=1)


def suspension_errors(
    suspension: SuspensionPeriod,
    *,
    kind: SiaeKind,
    pass_start: date,
    pass_end: date,
    today: date,
    others: Sequence[SuspensionPeriod] = (),
) -> list[str]:
    """Check a new suspension of a PASS IAE; return French messages, empty when valid.

    Rules (domain.md §3.4, LE:itou/approvals/models.py ``Suspension``): end on or after start;
    at most 36 months; start within the PASS, not in the future and at most 365 days before
    ``today``; an open reason (contrat passerelle for EI and ACI only); no overlap with
    ``others``. ``pass_end`` is the current end, previous suspensions included.
    """
    errors: list[str] = []
    try:
        if suspension.end < suspension.start:
            errors.append(
                "La date de fin de la suspension doit être postérieure ou égale à sa date de début."
            )
        max_end = suspension_max_end(suspension.start)
        if suspension.end > max_end:
            months = SUSPENSION_MAX_MONTHS.on(suspension.start)
            errors.append(
                f"La suspension dépasse la durée maximale de {months} mois (suspension du"
                f" PASS IAE) : date de fin maximale le {_fr(max_end)}."
            )
        if not pass_start <= suspension.start <= pass_end:
            errors.append(
                "La suspension doit commencer pendant la validité du PASS IAE"
                f" (du {_fr(pass_start)} au {_fr(pass_end)})."
            )
        if suspension.start > today:
            errors.append("La suspension ne peut pas commencer dans le futur.")
        retroactivity = SUSPENSION_MAX_RETROACTIVITY_DAYS.on(today)
        if suspension.start < today - timedelta(days=retroactivity):
            errors.append(
                f"La suspension ne peut pas commencer plus de {retroactivity} jours avant"
                " aujourd'hui (rétroactivité maximale de la suspension du PASS IAE)."
            )
        errors.extend(_suspension_reason_errors(suspension, kind))
    except ParameterNotInForce as exc:
        errors.append(str(exc))
    for other in others:
        if other.start <= suspension.end and suspension.start <= other.end:
            errors.append(
                "La suspension chevauche une suspension existante"
                f" (du {_fr(other.start)} au {_fr(other.end)})."
            )
    return errors


def _suspension_reason_errors(suspension: SuspensionPeriod, kind: SiaeKind) -> list[str]:
    reason = suspension.reason
    if reason is SuspensionReason.CONTRAT_PASSERELLE:
        kinds = CONTRAT_PASSERELLE_KINDS.on(suspension.start)
        if kind not in kinds:
            allowed = _kinds_text(kinds)
            return [f"Le motif de suspension « {reason.label} » est réservé aux {allowed}."]
        return []
    if reason not in SUSPENSION_REASONS_OPEN.on(suspension.start):
        return [f"Le motif de suspension « {reason.label} » n'est plus accepté."]
    return []


def prolongation_rule(reason: ProlongationReason, *, on: date) -> ProlongationRule | None:
    """Return the caps of a prolongation reason in force on ``on``, ``None`` if it is closed.

    Table of R5132-1-8 (domain.md §3.5); "contexte sanitaire" closed since 01/12/2021. Raises
    ``ParameterNotInForce`` before 31/08/2021.
    """
    return PROLONGATION_RULES.on(on).get(reason)


def prolongation_max_end(
    start: date,
    reason: ProlongationReason,
    *,
    previous: Iterable[ProlongationPeriod] = (),
    training_ends_on: date | None = None,
) -> date | None:
    """Return the latest end of a prolongation starting on ``start``, ``None`` if not allowed.

    Caps of R5132-1-8 (domain.md §3.5): months per request from ``start``; the cumulated cap
    for the reason is counted in calendar months from the start of its first prolongation and
    the days already used are deducted; "fin d'une formation" stops at ``training_ends_on``.
    """
    rule = prolongation_rule(reason, on=start)
    if rule is None:
        return None
    max_end = start + relativedelta(months=rule.max_months)
    if rule.max_cumulated_months is not None:
        same_reason = [p for p in previous if p.reason is reason]
        anchor = min([p.start for p in same_reason] + [start])
        cap_days = (anchor + relativedelta(months=rule.max_cumulated_months) - anchor).days
        remaining = cap_days - sum(p.duration_days for p in same_reason)
        max_end = min(max_end, start + timedelta(days=remaining))
    if reason is ProlongationReason.COMPLETE_TRAINING and training_ends_on is not None:
        max_end = min(max_end, training_ends_on)
    return max_end


def prolongation_window(end: date) -> tuple[date, date]:
    """Return the first and last days a prolongation of a PASS ending on ``end`` may be asked.

    From 12 months before to 6 months after the PASS end (LE:itou/approvals/models.py
    ``is_open_to_prolongation``, domain.md §3.5), rules in force on ``end``.
    """
    window = PROLONGATION_WINDOW.on(end)
    return (
        end - relativedelta(months=window.months_before),
        end + relativedelta(months=window.months_after),
    )


def is_in_prolongation_window(end: date, today: date) -> bool:
    """Whether a prolongation of a PASS ending on ``end`` may be asked on ``today`` (§3.5)."""
    first, last = prolongation_window(end)
    return first <= today <= last


def prolongation_errors(
    prolongation: ProlongationPeriod,
    *,
    kind: SiaeKind,
    pass_end: date,
    today: date,
    previous: Sequence[ProlongationPeriod] = (),
    is_suspended: bool = False,
    has_pending_request: bool = False,
    training_ends_on: date | None = None,
) -> list[str]:
    """Check a prolongation request of a PASS IAE; return French messages, empty when valid.

    Rules of R5132-1-8 and of the platform (domain.md §3.5): starts on the current PASS end;
    lasts at least one day; reason open on that day and allowed for ``kind``; caps per request
    and cumulated per reason (``previous`` holds the granted prolongations of this PASS); asked
    from 12 months before to 6 months after the end; not while suspended or with a pending
    request.
    """
    errors: list[str] = []
    reason = prolongation.reason
    try:
        if prolongation.start != pass_end:
            errors.append(
                f"La prolongation doit commencer à la date de fin du PASS IAE ({_fr(pass_end)})."
            )
        if prolongation.end <= prolongation.start:
            errors.append("La prolongation doit durer au moins un jour.")
        rule = prolongation_rule(reason, on=prolongation.start)
        if rule is None:
            errors.append(
                f"Le motif de prolongation « {reason.label} » n'est pas ouvert le"
                f" {_fr(prolongation.start)} (R5132-1-8)."
            )
        else:
            errors.extend(
                _prolongation_cap_errors(prolongation, rule, kind, previous, training_ends_on)
            )
        if not is_in_prolongation_window(pass_end, today):
            first, last = prolongation_window(pass_end)
            window = PROLONGATION_WINDOW.on(pass_end)
            errors.append(
                f"La prolongation doit être demandée entre le {_fr(first)} et le {_fr(last)}"
                f" (de {window.months_before} mois avant à {window.months_after} mois après"
                " la fin du PASS IAE)."
            )
    except ParameterNotInForce as exc:
        errors.append(str(exc))
    if is_suspended:
        errors.append("Un PASS IAE suspendu ne peut pas être prolongé.")
    if has_pending_request:
        errors.append("Une demande de prolongation est déjà en attente pour ce PASS IAE.")
    return errors


def _prolongation_cap_errors(
    prolongation: ProlongationPeriod,
    rule: ProlongationRule,
    kind: SiaeKind,
    previous: Sequence[ProlongationPeriod],
    training_ends_on: date | None,
) -> list[str]:
    errors: list[str] = []
    reason = prolongation.reason
    if rule.kinds is not None and kind not in rule.kinds:
        allowed = _kinds_text(rule.kinds)
        errors.append(
            f"Le motif de prolongation « {reason.label} » est réservé aux {allowed} (R5132-1-8)."
        )
    per_request_end = prolongation.start + relativedelta(months=rule.max_months)
    if prolongation.end > per_request_end:
        errors.append(
            f"La prolongation dépasse la durée maximale de {rule.max_months} mois par demande"
            f" pour le motif « {reason.label} » (R5132-1-8) : date de fin maximale le"
            f" {_fr(per_request_end)}."
        )
    max_end = prolongation_max_end(
        prolongation.start, reason, previous=previous, training_ends_on=training_ends_on
    )
    if max_end is None or prolongation.end <= max_end:
        return errors
    if rule.max_cumulated_months is not None and max_end < per_request_end:
        errors.append(
            f"La durée cumulée des prolongations pour le motif « {reason.label} » dépasse"
            f" {rule.max_cumulated_months} mois (R5132-1-8) : date de fin maximale le"
            f" {_fr(max_end)}."
        )
    if (
        training_ends_on is not None
        and reason is ProlongationReason.COMPLETE_TRAINING
        and prolongation.end > training_ends_on
    ):
        errors.append(
            "La prolongation pour fin de formation ne peut pas dépasser la fin de la"
            f" formation ({_fr(training_ends_on)})."
        )
    return errors


def waiting_period_end(end: date) -> date:
    """Return the last day of the *période de carence* after a PASS ending on ``end``.

    Two years after expiry, only an authorised prescriber's diagnosis may open a new PASS
    (LE:itou/approvals/models.py ``waiting_period_end``, domain.md §3.3). Raises
    ``ParameterNotInForce`` before 31/08/2021.
    """
    return end + relativedelta(years=WAITING_PERIOD_YEARS.on(end))


def is_in_waiting_period(end: date, today: date) -> bool:
    """Whether ``today`` falls in the waiting period after a PASS ending on ``end`` (§3.3)."""
    return end < today <= waiting_period_end(end)


def can_get_new_pass(
    previous_end: date, today: date, *, prescriber_is_authorised: bool = False
) -> bool:
    """Whether a new PASS IAE may be obtained on ``today`` after one ending on ``previous_end``.

    Not while the previous PASS runs (one person, one PASS); during the 2-year waiting period
    only through an authorised prescriber; freely afterwards (domain.md §3.1, §3.3).
    """
    if today <= previous_end:
        return False
    if today > waiting_period_end(previous_end):
        return True
    return prescriber_is_authorised


# --------------------------------------------------------------------------------------------
# Exits
# --------------------------------------------------------------------------------------------

_HOURS_COUNTED_KINDS = frozenset({SiaeKind.AI, SiaeKind.ETTI})
_MONTHS_COUNTED_KINDS = frozenset({SiaeKind.ACI, SiaeKind.EI})


def exit_counts(
    kind: SiaeKind, *, hours_worked: Decimal, contract_months: Decimal, on: date
) -> bool:
    """Whether an exit on ``on`` counts as a *sortie* in the State statistics (§4.5).

    AI and ETTI: at least 150 hours worked on the last annexe financière; ACI and EI: a
    contract of at least 3 months (PA:dbt sortie models). No rule is known for EITI: raises
    ``ValueError``. Raises ``ParameterNotInForce`` before 31/08/2021.
    """
    if kind in _HOURS_COUNTED_KINDS:
        return hours_worked >= EXIT_MIN_HOURS_WORKED.on(on)
    if kind in _MONTHS_COUNTED_KINDS:
        return contract_months >= EXIT_MIN_CONTRACT_MONTHS.on(on)
    raise ValueError(f"Aucune règle de comptage des sorties connue pour le type {kind.value}.")


def exit_category(reason: ExitReason) -> ExitCategory:
    """Return the ASP exit category of ``reason`` (RefCategorieSort, domain.md §4.5)."""
    return EXIT_REASON_CATEGORIES[reason]


def is_exit_category_confirmed(reason: ExitReason) -> bool:
    """Whether the category of ``reason`` is confirmed by a source ([?] for withdrawals, §4.5)."""
    return reason not in EXIT_REASONS_UNCONFIRMED


def follow_up_dates(exit_on: date) -> tuple[date, ...]:
    """Return the post-exit follow-up dates: 3 and 6 months after ``exit_on``.

    House practice with no legal text (parameter ``confirmed=False``); month arithmetic clips
    to the end of the month (31/08 + 3 months = 30/11).
    """
    return tuple(exit_on + relativedelta(months=m) for m in EXIT_FOLLOW_UP_MONTHS.on(exit_on))


# --------------------------------------------------------------------------------------------
# Worklist alerts
# --------------------------------------------------------------------------------------------


def age_on(birth_date: date, day: date) -> int:
    """Return the age in whole years on ``day``; a 29 February birthday falls on 28 February."""
    return relativedelta(day, birth_date).years


def is_long_pathway(start: date, today: date) -> bool:
    """Whether a pathway started on ``start`` has lasted more than 24 months on ``today``.

    24 months is the CDDI maximum and the default PASS duration (domain.md §2.3, §3.3). Days
    count inclusively, so the 24 months end the day before ``start`` + 24 months.
    """
    return today >= start + relativedelta(months=LONG_PATHWAY_MONTHS.on(today))


def senior_threshold_flags(birth_date: date, today: date) -> SeniorFlags:
    """Return which age thresholds apply on ``today``: 50+ and 57+.

    50: level-2 criterion SENIOR and prolongation reason "50 ans et plus" (R5132-1-8); 57: CDI
    inclusion (loi 2020-1577). Domain.md §2.5, §3.2, §3.5.
    """
    age = age_on(birth_date, today)
    return SeniorFlags(
        aged_50_plus=age >= SENIOR_AGE.on(today),
        aged_57_plus=age >= CDI_INCLUSION_AGE.on(today),
    )


def appointment_overdue(last_appointment: date | None, today: date) -> bool:
    """Whether more than 30 days have passed since the last appointment (or there was none).

    House practice with no legal text (parameter ``confirmed=False``): a next appointment on
    the 30th day after the last one is on time.
    """
    if last_appointment is None:
        return True
    return (today - last_appointment).days > APPOINTMENT_MAX_GAP_DAYS.on(today)


# --------------------------------------------------------------------------------------------
# Time spent in insertion
# --------------------------------------------------------------------------------------------

# Average month in days (365.25 / 12): converts days spent to months for the pathway length.
DAYS_PER_MONTH = Decimal("30.4375")


def insertion_days(periods: Iterable[tuple[date, date | None]], today: date) -> int:
    """Days spent in insertion posts up to ``today``, both ends counted, overlaps counted once.

    An open period (no end) runs until ``today``; periods starting after ``today`` count nothing.
    """
    clipped = sorted((start, min(end or today, today)) for start, end in periods if start <= today)
    total = 0
    current_start: date | None = None
    current_end: date | None = None
    for start, end in clipped:
        if end < start:
            continue
        if current_end is not None and start <= current_end + timedelta(days=1):
            current_end = max(current_end, end)
            continue
        if current_start is not None and current_end is not None:
            total += (current_end - current_start).days + 1
        current_start, current_end = start, end
    if current_start is not None and current_end is not None:
        total += (current_end - current_start).days + 1
    return total


def insertion_months(periods: Iterable[tuple[date, date | None]], today: date) -> Decimal:
    """Months spent in insertion up to ``today`` (days / 30,4375), one decimal, half up."""
    days = insertion_days(periods, today)
    return (Decimal(days) / DAYS_PER_MONTH).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------
# Pathway pages: PASS number and status, diagnosis outcome, task statuses, worklist alerts
# --------------------------------------------------------------------------------------------

PASS_NUMBER_LENGTH = 12


def normalize_pass_number(number: str) -> str:
    """Return ``number`` without the spaces the platform prints between groups of digits."""
    return "".join(number.split())


def pass_number_errors(number: str) -> list[str]:
    """Check a PASS IAE number as the State platform issues it; return French messages.

    12 digits: the ASP prefix 99999 followed by a 7-digit sequence, or a former agrément number
    re-issued with its own 12 digits (LE:itou/approvals/models.py ``get_next_number``,
    domain.md §3.3). Spaces are ignored.
    """
    value = normalize_pass_number(number)
    if len(value) != PASS_NUMBER_LENGTH or not value.isascii() or not value.isdigit():
        return [
            f"Le numéro de PASS IAE comporte {PASS_NUMBER_LENGTH} chiffres"
            " (par exemple 99999 suivi de 7 chiffres)."
        ]
    return []


class PassStatus(models.TextChoices):
    """What a PASS IAE allows on a given day, shown as badges (domain.md §3.3-3.5)."""

    NOT_STARTED = "not_started", "Pas encore commencé"
    VALID = "valid", "Valide"
    ENDING_SOON = "ending_soon", "Se termine dans moins de 3 mois"
    PROLONGATION_WINDOW = "prolongation_window", "Prolongation possible"
    ENDED = "ended", "Terminé"
    WAITING_PERIOD = "waiting_period", "Période de carence"


# Months before the PASS end from which the worklist and the badges warn (domain.md §3.7).
PASS_ENDING_ALERT_MONTHS = 3


def pass_statuses(start: date, end: date, today: date) -> tuple[PassStatus, ...]:
    """Return the statuses of a PASS running from ``start`` to ``end`` (effective) on ``today``.

    Valid between both dates included; ending within 3 months (:func:`ends_within`); in the
    prolongation window (12 months before to 6 months after the end, §3.5); ended the day after
    the end; in the 2-year waiting period after it (§3.3). Several may hold at once.
    """
    statuses: list[PassStatus] = []
    if today < start:
        statuses.append(PassStatus.NOT_STARTED)
    elif is_pass_valid_on(start, end, today):
        statuses.append(PassStatus.VALID)
        if ends_within(end, today, PASS_ENDING_ALERT_MONTHS):
            statuses.append(PassStatus.ENDING_SOON)
    else:
        statuses.append(PassStatus.ENDED)
    if is_in_prolongation_window(end, today):
        statuses.append(PassStatus.PROLONGATION_WINDOW)
    if is_in_waiting_period(end, today):
        statuses.append(PassStatus.WAITING_PERIOD)
    return tuple(statuses)


def diagnosis_eligibility(
    kind: SiaeKind,
    criteria: Collection[AdministrativeCriterion],
    *,
    prescriber_is_authorised: bool,
    on: date,
) -> EligibilityResult:
    """Return the outcome of an eligibility diagnosis made on ``on``.

    An authorised prescriber's diagnosis states eligibility by itself: the administrative
    criteria are then optional (loi 2020-1577, L5132-3; domain.md §3.1). A diagnosis made by the
    SIAE (auto-prescription) must meet :func:`is_eligible_by_criteria`.
    """
    if prescriber_is_authorised:
        return EligibilityResult(
            True,
            (
                "Diagnostic d'un prescripteur habilité : les critères administratifs ne sont"
                " pas exigés.",
            ),
        )
    return is_eligible_by_criteria(kind, criteria, today=on)


def exit_counting_rule_known(kind: SiaeKind) -> bool:
    """Whether :func:`exit_counts` knows how to count an exit for ``kind`` (not EITI, §4.5)."""
    return kind in _HOURS_COUNTED_KINDS or kind in _MONTHS_COUNTED_KINDS


def exit_counts_or_false(
    kind: SiaeKind, *, hours_worked: Decimal, contract_months: Decimal, on: date
) -> bool:
    """Apply :func:`exit_counts`, counting as *not counted* an exit of a kind with no rule.

    No counting rule is known for EITI (domain.md §4.5): such an exit is recorded and shown as
    not counted until the State statistics define one.
    """
    if not exit_counting_rule_known(kind):
        return False
    return exit_counts(kind, hours_worked=hours_worked, contract_months=contract_months, on=on)


def exit_hours_required(kind: SiaeKind) -> bool:
    """Whether the hours worked decide the counting of an exit of ``kind`` (AI, ETTI, §4.5)."""
    return kind in _HOURS_COUNTED_KINDS


class TaskStatus(models.TextChoices):
    """State of an accompaniment objective or action."""

    TODO = "todo", "À faire"
    IN_PROGRESS = "in_progress", "En cours"
    DONE = "done", "Réalisé"
    ABANDONED = "abandoned", "Abandonné"


# Allowed status changes of objectives and actions: a finished one can be reopened.
TASK_TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = MappingProxyType(
    {
        TaskStatus.TODO: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.ABANDONED}),
        TaskStatus.IN_PROGRESS: frozenset({TaskStatus.TODO, TaskStatus.DONE, TaskStatus.ABANDONED}),
        TaskStatus.DONE: frozenset({TaskStatus.IN_PROGRESS}),
        TaskStatus.ABANDONED: frozenset({TaskStatus.TODO}),
    }
)


def can_change_task_status(current: TaskStatus, new: TaskStatus) -> bool:
    """Whether an objective or action in ``current`` may move to ``new`` (house workflow)."""
    return new in TASK_TRANSITIONS[current]


def next_task_statuses(current: TaskStatus) -> tuple[TaskStatus, ...]:
    """Return the statuses reachable from ``current``, in the order of :class:`TaskStatus`."""
    return tuple(s for s in TaskStatus if can_change_task_status(current, s))


# What the button that makes each transition says: (from, to) → verb.
TASK_TRANSITION_VERBS: Mapping[tuple[TaskStatus, TaskStatus], str] = MappingProxyType(
    {
        (TaskStatus.TODO, TaskStatus.IN_PROGRESS): "Commencer",
        (TaskStatus.TODO, TaskStatus.DONE): "Marquer réalisé",
        (TaskStatus.TODO, TaskStatus.ABANDONED): "Abandonner",
        (TaskStatus.IN_PROGRESS, TaskStatus.TODO): "Remettre à faire",
        (TaskStatus.IN_PROGRESS, TaskStatus.DONE): "Marquer réalisé",
        (TaskStatus.IN_PROGRESS, TaskStatus.ABANDONED): "Abandonner",
        (TaskStatus.DONE, TaskStatus.IN_PROGRESS): "Rouvrir",
        (TaskStatus.ABANDONED, TaskStatus.TODO): "Reprendre",
    }
)


def next_task_steps(current: TaskStatus) -> tuple[tuple[TaskStatus, str], ...]:
    """Return each status reachable from ``current`` with the verb of its button."""
    return tuple((s, TASK_TRANSITION_VERBS[(current, s)]) for s in next_task_statuses(current))


DIAGNOSIS_EXPIRY_ALERT_DAYS = _single(
    "diagnosis_expiry_alert_days",
    "Délai d'alerte avant l'expiration d'un diagnostic de l'employeur sans PASS IAE (jours)",
    15,
    "Choix fonctionnel de Tremplin (listes de travail du parcours), sans portée réglementaire",
)


def ends_within_days(end: date, today: date, days: int) -> bool:
    """Whether ``end`` falls between ``today`` and ``today`` + ``days`` days, both included."""
    return today <= end <= today + timedelta(days=days)


def is_long_insertion(periods: Iterable[tuple[date, date | None]], today: date) -> bool:
    """Whether the insertion periods, across entities, add up to more than 24 months on ``today``.

    The days spent (:func:`insertion_days`, overlaps counted once) are laid end to end up to
    ``today`` and checked with :func:`is_long_pathway`, so one uninterrupted step gives the
    same answer as its start date.
    """
    days = insertion_days(periods, today)
    if days <= 0:
        return False
    return is_long_pathway(today - timedelta(days=days - 1), today)


def follow_up_is_due(due_on: date, done_on: date | None, today: date) -> bool:
    """Whether a post-exit follow-up planned on ``due_on`` is to be done on ``today``."""
    return done_on is None and due_on <= today


class AlertKind(models.TextChoices):
    """Alerts of the pathway worklists (domain.md §3.7, §2.5, §4.5), most urgent first."""

    FOLLOW_UP_DUE = "follow_up_due", "Suivi après sortie à réaliser"
    DIAGNOSIS_EXPIRING = "diagnosis_expiring", "Diagnostic d'éligibilité bientôt expiré"
    PASS_ENDING = "pass_ending", "Fin du PASS IAE proche"
    NO_APPOINTMENT = "no_appointment", "Pas d'entretien récent"
    PROLONGATION_WINDOW = "prolongation_window", "PASS IAE en période de prolongation"
    LONG_PATHWAY = "long_pathway", "Parcours de plus de 24 mois"
    SENIOR_57 = "senior_57", "57 ans et plus"
    SENIOR_50 = "senior_50", "50 ans et plus"


@dataclass(frozen=True, slots=True)
class PathwayFacts:
    """What the alerts need to know about one person, as plain values.

    ``pass_start``/``pass_end``: the latest PASS IAE, end with suspensions and prolongations;
    ``latest_diagnosis``: date of the latest eligibility diagnosis and whether an authorised
    prescriber made it; ``insertion_periods``: insertion steps in every entity of the group;
    ``in_insertion``: an insertion step is open today.
    """

    birth_date: date
    pass_start: date | None = None
    pass_end: date | None = None
    latest_diagnosis: tuple[date, bool] | None = None
    insertion_periods: tuple[tuple[date, date | None], ...] = ()
    in_insertion: bool = False
    last_appointment: date | None = None


@dataclass(frozen=True, slots=True)
class PathwayAlert:
    """One alert: its kind, the date it refers to, and a French sentence for the row."""

    kind: AlertKind
    day: date | None
    detail: str


def pathway_alerts(facts: PathwayFacts, today: date) -> tuple[PathwayAlert, ...]:
    """Return the worklist alerts of one person on ``today``.

    Only for a person in a pathway (an open insertion step, or a PASS valid or in its
    prolongation window), except the diagnosis alert, which concerns people waiting for a PASS:
    PASS ending within 3 months; PASS in its prolongation window (§3.5); employer diagnosis
    expiring within 15 days without a valid PASS (§3.2); more than 24 months in insertion across
    the group; 50+ (prolongation "50 ans et plus", R5132-1-8) or 57+ (CDI inclusion, loi
    2020-1577); more than 30 days without an appointment.
    """
    alerts: list[PathwayAlert] = []
    start, end = facts.pass_start, facts.pass_end
    pass_valid = start is not None and end is not None and is_pass_valid_on(start, end, today)
    in_window = False
    if end is not None:
        try:
            in_window = is_in_prolongation_window(end, today)
            window_last = prolongation_window(end)[1]
        except ParameterNotInForce:
            in_window = False
        if pass_valid and ends_within(end, today, PASS_ENDING_ALERT_MONTHS):
            alerts.append(
                PathwayAlert(AlertKind.PASS_ENDING, end, f"Le PASS IAE prend fin le {_fr(end)}.")
            )
        if in_window:
            alerts.append(
                PathwayAlert(
                    AlertKind.PROLONGATION_WINDOW,
                    end,
                    f"Prolongation à demander au plus tard le {_fr(window_last)}"
                    f" (fin du PASS IAE le {_fr(end)}).",
                )
            )
    if facts.latest_diagnosis is not None and not pass_valid:
        made_on, by_prescriber = facts.latest_diagnosis
        if not by_prescriber:
            valid_until = diagnosis_valid_until(made_on, prescriber_is_authorised=False)
            if ends_within_days(valid_until, today, DIAGNOSIS_EXPIRY_ALERT_DAYS.on(today)):
                alerts.append(
                    PathwayAlert(
                        AlertKind.DIAGNOSIS_EXPIRING,
                        valid_until,
                        "Diagnostic de l'employeur valable jusqu'au"
                        f" {_fr(valid_until)}, sans PASS IAE.",
                    )
                )
    if not (facts.in_insertion or pass_valid or in_window):
        return tuple(alerts)
    if is_long_insertion(facts.insertion_periods, today):
        months = insertion_months(facts.insertion_periods, today)
        days = insertion_days(facts.insertion_periods, today)
        since = (
            today - timedelta(days=days - 1) + relativedelta(months=LONG_PATHWAY_MONTHS.on(today))
        )
        alerts.append(
            PathwayAlert(
                AlertKind.LONG_PATHWAY,
                since,
                f"{str(months).replace('.', ',')} mois en insertion dans le groupe.",
            )
        )
    flags = senior_threshold_flags(facts.birth_date, today)
    if flags.aged_57_plus:
        alerts.append(
            PathwayAlert(
                AlertKind.SENIOR_57,
                facts.birth_date + relativedelta(years=CDI_INCLUSION_AGE.on(today)),
                "CDI inclusion possible (57 ans et plus) ; prolongation du PASS IAE"
                " « 50 ans et plus » aussi.",
            )
        )
    elif flags.aged_50_plus:
        alerts.append(
            PathwayAlert(
                AlertKind.SENIOR_50,
                facts.birth_date + relativedelta(years=SENIOR_AGE.on(today)),
                "Prolongation du PASS IAE possible (motif « 50 ans et plus »).",
            )
        )
    if appointment_overdue(facts.last_appointment, today):
        detail = (
            "Aucun entretien enregistré."
            if facts.last_appointment is None
            else f"Dernier entretien le {_fr(facts.last_appointment)}."
        )
        alerts.append(PathwayAlert(AlertKind.NO_APPOINTMENT, facts.last_appointment, detail))
    return tuple(alerts)
