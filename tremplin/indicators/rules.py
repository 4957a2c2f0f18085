"""How each indicator of the yearly activity report is counted. Pure: no database, no clock.

The engine (``engine.py``) reads the rows; these functions turn plain values into figures. Every
indicator is defined in ``docs/indicators.md`` under its JSON key; the order and French labels
of the exports are :data:`INDICATORS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from tremplin.accounts.rules import Role
from tremplin.closing.rules import FULL_TIME_MONTHLY_HOURS
from tremplin.contracts.rules import (
    OPEN_ENDED_KINDS,
    ContractKind,
    is_part_time,
    percentage,
    started_months,
)
from tremplin.pathways import rules as pathway_rules
from tremplin.pathways.rules import ExitCategory

# Who reads the indicators of an entity: the direction, the accountant, the federation (its
# role reads indicators only) and the accompaniment team (CIP), who reports on the pathways at
# the dialogue de gestion. The group's figures need one of these roles in every entity.
INDICATOR_ROLES = frozenset({Role.DIRECTION, Role.ACCOUNTANT, Role.FEDERATION, Role.CIP})

HUNDREDTH = Decimal("0.01")


# --- The period -------------------------------------------------------------------------------


def year_bounds(year: int) -> tuple[date, date]:
    """First and last day of a calendar year."""
    return date(year, 1, 1), date(year, 12, 31)


def reference_date(year: int, today: date) -> date:
    """The day stocks are read on: 31 December, or ``today`` for the year under way.

    Raises ``ValueError`` (French message) for a year that has not begun.
    """
    first, last = year_bounds(year)
    if first > today:
        raise ValueError(f"L'année {year} n'a pas commencé : choisissez {today.year} au plus tard.")
    return min(last, today)


def months_covered(year: int, reference: date) -> int:
    """Months of ``year`` up to the reference date, the month under way included (1 to 12)."""
    return reference.month if reference.year == year else 12


# --- Small arithmetic ------------------------------------------------------------------------


def average(values: Sequence[Decimal]) -> Decimal | None:
    """Mean of ``values`` rounded half up to the hundredth; ``None`` when there is none."""
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def share(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole``, one decimal, half up; ``None`` when empty."""
    return percentage(part, whole)


def hundredths(value: int | None) -> Decimal:
    """An integer count of hundredths, as the database sums them exactly, as hours."""
    return Decimal(value or 0).scaleb(-2)


# --- Contracts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractFacts:
    """What the contract indicators read of one contract."""

    pk: int
    entity_id: int
    person_id: int
    kind: ContractKind
    start: date
    planned_end: date | None
    renews_id: int | None
    weekly_hours: Decimal | None
    monthly_hours: Decimal | None


def kinds_count(kinds: Iterable[ContractKind]) -> dict[str, int]:
    """How many contracts of each kind, in the order of :class:`ContractKind`."""
    counts: dict[ContractKind, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return {kind.value: counts[kind] for kind in ContractKind if kind in counts}


def chain_end(contract: ContractFacts, renewals: Mapping[int, ContractFacts]) -> date | None:
    """The planned end of the last renewal of ``contract`` (``renewals``: renewed pk → renewal).

    A renewal extends the same contract (Code du travail, art. L1243-13): the duration agreed
    for a CDDUA is the one of its whole chain.
    """
    current = contract
    seen = {current.pk}
    while current.pk in renewals and renewals[current.pk].pk not in seen:
        current = renewals[current.pk]
        seen.add(current.pk)
    return current.planned_end


@dataclass(frozen=True, slots=True)
class CdduaFigures:
    concluded: int
    average_monthly_hours: Decimal | None
    duration_min_months: int | None
    duration_max_months: int | None


def cddua_figures(
    contracts: Iterable[ContractFacts],
    renewals: Mapping[int, ContractFacts],
    first: date,
    last: date,
) -> CdduaFigures:
    """The CDDUA concluded from ``first`` to ``last``: count, guaranteed hours, durations.

    Concluded: a CDDUA starting in the period that renews no other contract (a renewal extends
    the contract already concluded). Hours: the mean of the guaranteed monthly volumes. Duration:
    months begun from the first day to the planned end of the last renewal (domain §2.2: the
    seed's CDDUA last 6 to 18 months).
    """
    concluded = [
        c
        for c in contracts
        if c.kind is ContractKind.CDDUA and c.renews_id is None and first <= c.start <= last
    ]
    hours = [c.monthly_hours for c in concluded if c.monthly_hours is not None]
    durations = [
        started_months(c.start, end)
        for c in concluded
        if (end := chain_end(c, renewals)) is not None
    ]
    return CdduaFigures(
        concluded=len(concluded),
        average_monthly_hours=average(hours),
        duration_min_months=min(durations, default=None),
        duration_max_months=max(durations, default=None),
    )


def first_contracts(contracts: Iterable[ContractFacts]) -> list[ContractFacts]:
    """Each person's first contract with each entity (earliest start, then the first saved)."""
    first: dict[tuple[int, int], ContractFacts] = {}
    for contract in sorted(contracts, key=lambda c: (c.start, c.pk)):
        first.setdefault((contract.entity_id, contract.person_id), contract)
    return list(first.values())


@dataclass(frozen=True, slots=True)
class JobFigures:
    created: int
    by_kind: dict[str, int]
    open_ended: int
    part_time: int
    part_time_share: Decimal | None


def job_figures(firsts: Iterable[ContractFacts], first: date, last: date) -> JobFigures:
    """The jobs created from ``first`` to ``last``: people whose first contract with the entity
    starts in the period, by kind of that contract.

    ``open_ended`` counts CDI of any kind (CDI, CDI inclusion); part time is below 35 hours a
    week or 151,67 hours a month (Code du travail, art. L3123-1), its share taken over the
    contracts stating their hours.
    """
    created = [c for c in firsts if first <= c.start <= last]
    part_time = [is_part_time(c.weekly_hours, c.monthly_hours) for c in created]
    known = [p for p in part_time if p is not None]
    return JobFigures(
        created=len(created),
        by_kind=kinds_count(c.kind for c in created),
        open_ended=sum(1 for c in created if c.kind in OPEN_ENDED_KINDS),
        part_time=sum(known),
        part_time_share=share(sum(known), len(known)),
    )


# --- Long pathways ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathwayFacts:
    """One person in an insertion post on the reference date: birth date and insertion periods."""

    birth_date: date
    periods: tuple[tuple[date, date | None], ...]


@dataclass(frozen=True, slots=True)
class LongPathwayFigures:
    in_pathway: int
    long: int
    long_share: Decimal | None
    long_seniors: int
    long_senior_share: Decimal | None


def long_pathway_figures(people: Iterable[PathwayFacts], reference: date) -> LongPathwayFigures:
    """Among the people in an insertion post on ``reference``, those whose insertion periods add
    up to more than two years, and the seniors (50 and over on ``reference``) among them.

    The two years and the age are the pathway rules' (``is_long_insertion``, ``SENIOR_AGE``;
    domain §3.2, §3.3): the seed's "près de 30 % … depuis plus de deux ans, en particulier des
    séniors".
    """
    people = list(people)
    long = [p for p in people if pathway_rules.is_long_insertion(p.periods, reference)]
    seniors = [
        p
        for p in long
        if pathway_rules.senior_threshold_flags(p.birth_date, reference).aged_50_plus
    ]
    return LongPathwayFigures(
        in_pathway=len(people),
        long=len(long),
        long_share=share(len(long), len(people)),
        long_seniors=len(seniors),
        long_senior_share=share(len(seniors), len(long)),
    )


# --- Exits ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExitFigures:
    total: int
    counted: int
    by_category: dict[str, dict[str, int]]
    dynamic: int
    dynamic_exit_rate: Decimal | None


def exit_figures(exits: Iterable[tuple[ExitCategory, bool]]) -> ExitFigures:
    """Exits by ASP category and the dynamic-exit rate (domain §4.5).

    ``exits`` holds the category of each exit and whether it counts in the State statistics
    (the rule of the pathways: 150 hours in an AI or ETTI, 3 months of contract in an ACI or EI,
    applied when the exit is recorded). The rate is the counted dynamic exits (emploi durable,
    emploi de transition, sorties positives) over the counted exits, the withdrawn ones
    (*retrait des sorties constatées*, ASP code 5) left out of both.
    """
    rows = list(exits)
    by_category = {
        category.value: {
            "total": sum(1 for c, _ in rows if c is category),
            "counted": sum(1 for c, counted in rows if c is category and counted),
        }
        for category in ExitCategory
    }
    in_rates = [c for c, counted in rows if counted and c.counts_in_rates]
    dynamic = sum(1 for c in in_rates if c.is_dynamic)
    return ExitFigures(
        total=len(rows),
        counted=sum(1 for _, counted in rows if counted),
        by_category=by_category,
        dynamic=dynamic,
        dynamic_exit_rate=share(dynamic, len(in_rates)),
    )


# --- Full-time equivalents --------------------------------------------------------------------


def etp_consumed(insertion_hours: Decimal, months: int) -> Decimal:
    """Average monthly ETP over ``months``: the hours worked on insertion posts over 151,67 hours
    a month, two decimals, half up.

    The sum over the months of the ASP monthly follow-up's ETP share (hours / 151,67, domain
    §4.3), divided by the months: what the DDETS compares with the ETP of the annexe financière.
    """
    if months <= 0:
        return Decimal("0.00")
    etp = insertion_hours / (FULL_TIME_MONTHLY_HOURS * months)
    return etp.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


# --- The catalogue of indicators, in the order of the exports ---------------------------------


@dataclass(frozen=True, slots=True)
class Indicator:
    key: str
    label: str
    unit: str = ""  # "h", "%", "ETP", "€", "mois" or "" for a count


INDICATORS: tuple[Indicator, ...] = (
    Indicator("people_received", "Personnes accueillies"),
    Indicator("people_hired", "Personnes embauchées"),
    Indicator("people_accompanied", "Salariés en parcours d'insertion accompagnés"),
    Indicator("contracts_running", "Contrats en cours dans l'année"),
    Indicator("contracts_by_kind", "Contrats en cours par type"),
    Indicator("cddua_concluded", "CDDUA conclus"),
    Indicator("cddua_average_monthly_hours", "Volume mensuel moyen garanti des CDDUA", "h"),
    Indicator("cddua_duration_min_months", "Durée du CDDUA le plus court", "mois"),
    Indicator("cddua_duration_max_months", "Durée du CDDUA le plus long", "mois"),
    Indicator("jobs_created", "Emplois créés"),
    Indicator("jobs_created_by_kind", "Emplois créés par type de contrat"),
    Indicator("jobs_created_cdi", "Emplois créés en CDI"),
    Indicator("jobs_created_part_time", "Emplois créés à temps partiel"),
    Indicator("jobs_created_part_time_share", "Part des emplois créés à temps partiel", "%"),
    Indicator("in_pathway_at_reference", "Salariés en parcours à la date de référence"),
    Indicator("long_pathways", "Salariés en parcours depuis plus de deux ans"),
    Indicator("long_pathway_share", "Part des parcours de plus de deux ans", "%"),
    Indicator("long_pathway_seniors", "dont seniors (50 ans et plus)"),
    Indicator("long_pathway_senior_share", "Part des seniors parmi les parcours longs", "%"),
    Indicator("exits", "Sorties"),
    Indicator("exits_counted", "Sorties comptabilisées"),
    Indicator("exits_by_category", "Sorties par catégorie (total / comptabilisées)"),
    Indicator("dynamic_exits", "Sorties dynamiques comptabilisées"),
    Indicator("dynamic_exit_rate", "Taux de sorties dynamiques", "%"),
    Indicator("hours_worked", "Heures travaillées", "h"),
    Indicator("hours_invoiced", "Heures facturées", "h"),
    Indicator("etp_conventioned", "ETP conventionnés (annexe financière)", "ETP"),
    Indicator("etp_consumed", "ETP consommés (moyenne mensuelle)", "ETP"),
    Indicator("etp_consumption_rate", "Taux de consommation des ETP", "%"),
    Indicator("revenue", "Chiffre d'affaires (factures émises, HT)", "€"),
    Indicator("result", "Résultat", "€"),
)
INDICATOR_BY_KEY = {indicator.key: indicator for indicator in INDICATORS}

EXIT_CATEGORY_LABELS = {category.value: category.label for category in ExitCategory}
CONTRACT_KIND_LABELS = {kind.value: kind.label for kind in ContractKind}

type Value = int | Decimal | str | None | dict[str, int] | dict[str, dict[str, int]]


def export_rows(indicators: Mapping[str, Value]) -> list[tuple[str, str, str, Value]]:
    """``(key, label, unit, value)`` lines of an export, nested counts on their own lines.

    ``contracts_by_kind`` becomes one line per kind (``contracts_by_kind.CDDUA``), and
    ``exits_by_category`` two lines per category (``….total`` and ``….counted``). Indicators
    missing from ``indicators`` (not computed for this scope) are left out.
    """
    rows: list[tuple[str, str, str, Value]] = []
    for indicator in INDICATORS:
        if indicator.key not in indicators:
            continue
        value = indicators[indicator.key]
        if indicator.key in {"contracts_by_kind", "jobs_created_by_kind"}:
            assert isinstance(value, dict)
            for kind, count in value.items():
                label = f"{indicator.label} — {CONTRACT_KIND_LABELS[kind]}"
                rows.append((f"{indicator.key}.{kind}", label, "", count))
        elif indicator.key == "exits_by_category":
            assert isinstance(value, dict)
            for category, counts in value.items():
                assert isinstance(counts, dict)
                name = EXIT_CATEGORY_LABELS[category]
                rows.append(
                    (f"{indicator.key}.{category}.total", f"Sorties — {name}", "", counts["total"])
                )
                rows.append(
                    (
                        f"{indicator.key}.{category}.counted",
                        f"Sorties comptabilisées — {name}",
                        "",
                        counts["counted"],
                    )
                )
        else:
            rows.append((indicator.key, indicator.label, indicator.unit, value))
    return rows
