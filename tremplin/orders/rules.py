"""Rules on the service catalogue and orders: VAT by activity, quotes, recurrences.

Pure functions: no database, no clock. Recurrences are computed in the Europe/Paris time zone so
that "every Tuesday 9:00–11:00" stays 9:00–11:00 across daylight-saving changes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import holidays
from django.db import models

from tremplin.accounts.rules import Role
from tremplin.core.dates import format_date
from tremplin.core.money import format_euros, format_number
from tremplin.core.parameters import DatedParameter, Period

PARIS = ZoneInfo("Europe/Paris")


class ServiceKind(models.TextChoices):
    """What the group sells (seed: placements, B2B services, household services)."""

    PLACEMENT = "placement", "Mise à disposition de personnel (à l'heure)"
    HOUSEWORK = "menage", "Ménage à domicile"
    IRONING = "repassage", "Repassage à domicile"
    GARDENING = "jardinage", "Petits travaux de jardinage"
    CAR_WASH = "lavage", "Lavage de véhicule sans eau"
    DOCUMENT_MANAGEMENT = "ged", "Gestion électronique de documents"
    OFFICE_CLEANING = "entretien_locaux", "Entretien de locaux"
    CONCIERGE = "conciergerie", "Conciergerie"


class Unit(models.TextChoices):
    HOUR = "hour", "heure"
    VEHICLE = "vehicle", "véhicule"
    UNIT = "unit", "unité"
    MONTH = "month", "mois"


# VAT rate per service kind when sold by a declared SAP organisation meeting the exclusivity
# condition (domain.md §5.4: CGI 279 i for housework 10 %, gardening 20 % since 01/07/2013);
# B2B services and placements 20 % (normal rate, CGI 278). Rates are in percent.
_NORMAL = Decimal("20.0")
VAT_RATES: DatedParameter[dict[ServiceKind, Decimal]] = DatedParameter(
    "vat_rate_by_service",
    "Taux de TVA par prestation (%)",
    (
        Period(
            {
                ServiceKind.PLACEMENT: _NORMAL,
                ServiceKind.HOUSEWORK: Decimal("10.0"),
                ServiceKind.IRONING: Decimal("10.0"),
                ServiceKind.GARDENING: _NORMAL,
                ServiceKind.CAR_WASH: _NORMAL,
                ServiceKind.DOCUMENT_MANAGEMENT: _NORMAL,
                ServiceKind.OFFICE_CLEANING: _NORMAL,
                ServiceKind.CONCIERGE: _NORMAL,
            },
            date(2014, 1, 1),
            None,
            "CGI art. 278 (taux normal 20 %), art. 279 i (SAP 10 %), jardinage 20 % depuis le "
            "01/07/2013 — domain.md §5.4",
        ),
    ),
)

# Services that open the household tax credit (CGI 199 sexdecies) when sold by a declared
# SAP organisation (Code du travail D7231-1).
SAP_KINDS = frozenset({ServiceKind.HOUSEWORK, ServiceKind.IRONING, ServiceKind.GARDENING})

QUOTE_THRESHOLD_TTC: DatedParameter[Decimal] = DatedParameter(
    "sap_quote_threshold",
    "Devis obligatoire à partir d'un prix mensuel TTC de (€)",
    (
        Period(
            Decimal("100"),
            date(2015, 7, 1),
            None,
            "Arrêté du 17/03/2015 relatif à l'information préalable du consommateur (SAP), "
            "en vigueur le 01/07/2015 — domain.md §5.6",
        ),
    ),
)


def vat_rate(kind: ServiceKind, *, on: date, sap_declared: bool = True) -> Decimal:
    """VAT rate in percent of a service on a day (CGI 278, 279 i; domain.md §5.4).

    A household service sold by an organisation that is not declared (or not exclusive) takes
    the normal rate.
    """
    rates = VAT_RATES.on(on)
    if kind in SAP_KINDS and not sap_declared:
        return rates[ServiceKind.PLACEMENT]
    return rates[kind]


def quote_required(monthly_price_ttc: Decimal, *, on: date) -> bool:
    """Whether a household order needs a prior written quote (arrêté du 17/03/2015)."""
    return monthly_price_ttc >= QUOTE_THRESHOLD_TTC.on(on)


def is_public_holiday(day: date, *, subdivision: str | None = None) -> bool:
    """Whether ``day`` is a French public holiday (Code du travail L3133-1) where
    ``subdivision`` applies (``holiday_subdivision``; ``None``: mainland France)."""
    return day in public_holidays(day.year, subdivision)


@functools.cache
def public_holidays(year: int, subdivision: str | None = None) -> frozenset[date]:
    """The French public holidays of ``year`` (of Alsace-Moselle with its ``subdivision``).

    A fixed calendar computed once per year and subdivision in each process: building it with
    ``holidays`` costs far more than looking a day up, and a recurrence or a close looks up
    every day of a month.
    """
    return frozenset(holidays.France(years=year, subdiv=subdivision))


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A weekly pattern: these weekdays (0 = Monday), from ``start_time`` to ``end_time``,
    every ``interval_weeks`` weeks from ``first_day``, until ``last_day`` (inclusive)."""

    weekdays: tuple[int, ...]
    start_time: time
    end_time: time
    first_day: date
    last_day: date | None
    interval_weeks: int = 1
    skip_public_holidays: bool = True


@dataclass(frozen=True, slots=True)
class Occurrence:
    day: date
    start: datetime  # aware, Europe/Paris
    end: datetime

    @property
    def hours(self) -> Decimal:
        """Hours actually elapsed: across a daylight-saving change at night, 01:00–04:00 lasts
        2 h in March and 4 h in October (the difference is taken in UTC)."""
        elapsed = self.end.astimezone(UTC) - self.start.astimezone(UTC)
        return (Decimal(elapsed.total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"))


def occurrences(
    recurrence: Recurrence,
    *,
    period_start: date,
    period_end: date,
    exceptions: frozenset[date] = frozenset(),
    subdivision: str | None = None,
) -> list[Occurrence]:
    """The dated interventions of a recurrence within ``[period_start, period_end]``.

    Wall-clock times are kept across daylight-saving changes (a 9:00 visit stays at 9:00 local
    time, so it lasts its usual length in hours); public holidays are skipped unless the
    recurrence says otherwise; ``exceptions`` are days cancelled by the client.
    """
    if recurrence.end_time <= recurrence.start_time:
        raise ValueError("A recurrence ends after it starts on the same day.")
    first = max(period_start, recurrence.first_day)
    last = period_end if recurrence.last_day is None else min(period_end, recurrence.last_day)
    anchor_monday = recurrence.first_day - timedelta(days=recurrence.first_day.weekday())
    result: list[Occurrence] = []
    day = first
    while day <= last:
        weeks = (day - anchor_monday).days // 7
        if (
            day.weekday() in recurrence.weekdays
            and weeks % recurrence.interval_weeks == 0
            and day not in exceptions
            and not (
                recurrence.skip_public_holidays and is_public_holiday(day, subdivision=subdivision)
            )
        ):
            result.append(
                Occurrence(
                    day,
                    datetime.combine(day, recurrence.start_time, tzinfo=PARIS),
                    datetime.combine(day, recurrence.end_time, tzinfo=PARIS),
                )
            )
        day += timedelta(days=1)
    return result


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime


def overlaps(a: Slot, b: Slot) -> bool:
    """Whether two intervals share time (touching ends do not overlap)."""
    return a.start < b.end and b.start < a.end


# --- Roles ----------------------------------------------------------------------------------

# Who plans the work: orders, interventions, assignments, absences and the weekly board.
PLANNING_ROLES = frozenset({Role.DIRECTION, Role.HR, Role.PLANNER})
# Who maintains the catalogue, client prices and quotes: those who sell, plan and invoice.
CATALOGUE_ROLES = frozenset({Role.DIRECTION, Role.HR, Role.PLANNER, Role.ACCOUNTANT})


# --- Prices, VAT and quotes -----------------------------------------------------------------

CENT = Decimal("0.01")
# Average number of weeks in a month (52 weeks / 12 months), to turn a weekly pattern into a
# monthly price as the arrêté du 17/03/2015 asks for a "prix mensuel".
WEEKS_PER_MONTH = Decimal(52) / Decimal(12)


def price_ttc(amount_ht: Decimal, vat_percent: Decimal) -> Decimal:
    """An amount including VAT, rounded half up to the cent (CGI art. 266 base × rate)."""
    return (amount_ht * (1 + vat_percent / 100)).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_price_on(
    client_prices: Sequence[tuple[date, date | None, Decimal]], default: Decimal, day: date
) -> Decimal:
    """The client's own price in force on ``day`` (latest start first), else ``default``."""
    in_force = [
        (start, price)
        for start, end, price in client_prices
        if start <= day and (end is None or day <= end)
    ]
    return max(in_force, key=lambda item: item[0])[1] if in_force else default


def estimated_monthly_price_ttc(
    *,
    visits_per_week: Decimal,
    units_per_visit: Decimal,
    unit_price_ht: Decimal,
    vat_percent: Decimal,
    recurring: bool,
) -> Decimal:
    """The monthly price TTC of an order: visits a month × units × price × (1 + VAT).

    A recurring order makes ``visits_per_week × 52 / 12`` visits a month; a one-off order is
    one visit (its price is the month's price). Arrêté du 17/03/2015, art. 1: the quote
    threshold is a monthly price including taxes.
    """
    visits = visits_per_week * WEEKS_PER_MONTH if recurring else Decimal(1)
    return price_ttc(visits * units_per_visit * unit_price_ht, vat_percent)


def quote_error(
    monthly_price_ttc: Decimal,
    *,
    on: date,
    household: bool,
    sap_service: bool,
    has_accepted_quote: bool,
) -> str | None:
    """The French message when a household SAP order lacks the quote the law requires.

    Arrêté du 17/03/2015 (information préalable du consommateur, services à la personne): a
    written quote is given before any service whose monthly price reaches 100 € TTC.
    """
    if not (household and sap_service) or has_accepted_quote:
        return None
    if not quote_required(monthly_price_ttc, on=on):
        return None
    threshold = QUOTE_THRESHOLD_TTC.on(on)
    return (
        f"Devis obligatoire : le prix mensuel estimé de cette commande est de "
        f"{format_euros(monthly_price_ttc)} TTC, ce qui atteint le seuil de "
        f"{format_euros(threshold)} TTC (arrêté du 17/03/2015, services à la personne) ; "
        "rattachez un devis accepté par le client."
    )


def next_quote_number(numbers: Iterable[str], *, year: int) -> str:
    """The next quote number of an entity for ``year``: ``2026-0001``, ``2026-0002``…

    Numbers are chronological and without gaps within a year for each entity (the quote is kept
    with the order, arrêté du 17/03/2015, art. 3).
    """
    prefix = f"{year}-"
    used = [
        int(n[len(prefix) :])
        for n in numbers
        if n.startswith(prefix) and n[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(used, default=0) + 1:04d}"


# Subdivisions of ``holidays.France`` whose public holidays differ from mainland France's, by
# the postal codes that lead to them: Alsace-Moselle's local law adds Good Friday and 26/12
# (Code du travail, art. L3134-13); overseas, the abolition of slavery is a holiday on a date of
# its own. Saint-Barthélemy and Saint-Martin share the 971 codes of Guadeloupe.
HOLIDAY_SUBDIVISIONS_BY_POSTAL_CODE = {"97133": "BL", "97150": "MF"}
HOLIDAY_SUBDIVISIONS_BY_PREFIX = {
    "57": "57",  # Moselle
    "67": "6AE",  # Bas-Rhin
    "68": "6AE",  # Haut-Rhin
    "971": "971",
    "972": "972",
    "973": "973",
    "974": "974",
    "975": "PM",
    "976": "976",
}


def holiday_subdivision(postal_code: str) -> str | None:
    """The ``holidays.France`` subdivision of an address from its postal code, else ``None``
    (mainland France)."""
    code = postal_code.strip()
    if code in HOLIDAY_SUBDIVISIONS_BY_POSTAL_CODE:
        return HOLIDAY_SUBDIVISIONS_BY_POSTAL_CODE[code]
    return HOLIDAY_SUBDIVISIONS_BY_PREFIX.get(code[:3]) or HOLIDAY_SUBDIVISIONS_BY_PREFIX.get(
        code[:2]
    )


# --- Weeks ----------------------------------------------------------------------------------


def parse_iso_week(text: str) -> date | None:
    """The Monday of an ISO week written ``2026-W48``; ``None`` when the text is not one."""
    try:
        year, week = text.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return None


def iso_week_label(day: date) -> str:
    """The ISO 8601 week holding ``day``: ``date(2026, 11, 25)`` → ``"2026-W48"``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_target(weekly_hours: Decimal | None, monthly_hours: Decimal | None) -> Decimal | None:
    """A contract's hours for one week: its weekly hours, or its guaranteed monthly volume
    × 12 / 52 (a CDDUA guarantees hours a month, domain.md §2.2)."""
    if weekly_hours:
        return weekly_hours
    if monthly_hours:
        return (monthly_hours * 12 / 52).quantize(CENT, rounding=ROUND_HALF_UP)
    return None


# --- Assignment checks ----------------------------------------------------------------------

# Maximum hours of work in one week (Code du travail, art. L3121-20): the ceiling when the
# contract sets no weekly hours (CDDU, CDDUA).
MAX_WEEKLY_HOURS: DatedParameter[Decimal] = DatedParameter(
    "max_weekly_hours",
    "Durée maximale hebdomadaire de travail (h)",
    (Period(Decimal(48), date(2008, 5, 1), None, "Code du travail, art. L3121-20"),),
)


def _time(value: datetime) -> str:
    return value.astimezone(PARIS).strftime("%Hh%M")


def _hours(value: Decimal) -> str:
    return f"{format_number(value)} h"


def contract_error(*, has_contract: bool, day: date, entity_name: str, placement: bool) -> str:
    """The French message when the worker holds no suitable contract on the day (L1221-1)."""
    if has_contract:
        return ""
    if placement:
        return (
            f"Contrat : aucun contrat de mise à disposition (CDDU ou CDDUA) de {entity_name} ne "
            f"court le {format_date(day)} ; une mise à disposition se fait sous contrat de "
            "l'association intermédiaire (art. L5132-7 du Code du travail)."
        )
    return (
        f"Contrat : aucun contrat de travail avec {entity_name} ne court le {format_date(day)} ; "
        "on ne planifie un salarié que pendant son contrat."
    )


def double_booking_error(slot: Slot, busy: Sequence[tuple[Slot, str]]) -> str:
    """The French message when the worker already works at that time, in any entity."""
    clash = next((label for other, label in busy if overlaps(slot, other)), None)
    if clash is None:
        return ""
    return (
        f"Double réservation : le salarié intervient déjà de {_time(slot.start)} à "
        f"{_time(slot.end)} ce jour-là ou sur une partie de ce créneau ({clash})."
    )


def absence_error(day: date, absences: Sequence[tuple[date, date, str]]) -> str:
    """The French message when an absence of the worker covers the day."""
    for start, end, label in absences:
        if start <= day <= end:
            return (
                f"Absence : le salarié est absent du {format_date(start)} au {format_date(end)} "
                f"({label}) ; il ne peut pas intervenir le {format_date(day)}."
            )
    return ""


def habilitation_error(
    required: Iterable[tuple[str, str]],
    held: Iterable[tuple[str, date | None]],
    day: date,
) -> str:
    """The French message naming the habilitations the client requires that the worker lacks
    or that have expired on the day (``required``: ``(kind, label)``; ``held``: ``(kind,
    expires_on)``). The employer checks the qualifications a task requires (art. R4323-55,
    R4544-9 of the Code du travail for driving and electrical work)."""
    valid = {kind for kind, expires in held if expires is None or expires >= day}
    missing = [label for kind, label in required if kind not in valid]
    if not missing:
        return ""
    return (
        f"Habilitation exigée par le client : {', '.join(missing)} manquante ou expirée le "
        f"{format_date(day)}."
    )


def weekly_hours_error(
    *,
    proposed: Decimal,
    contract_week_hours: Decimal,
    all_week_hours: Decimal,
    weekly_hours: Decimal | None,
    day: date,
) -> str:
    """The French message when the intervention takes the worker's week past a ceiling.

    ``contract_week_hours``: planned hours already assigned under the same contract in the ISO
    week; ``all_week_hours``: under every contract of the group. The contract's weekly hours
    bound the first (hours are those written in the contract, art. L3123-6 for part time); the
    legal maximum of 48 h (art. L3121-20) bounds the second, and the first when the contract
    sets no weekly hours.
    """
    legal = MAX_WEEKLY_HOURS.on(day)
    ceiling = weekly_hours or legal
    if contract_week_hours + proposed > ceiling:
        rule = (
            f"durée hebdomadaire du contrat de {_hours(ceiling)}"
            if weekly_hours
            else f"durée maximale légale de {_hours(legal)} (art. L3121-20 du Code du travail)"
        )
        return (
            f"Durée hebdomadaire : {_hours(contract_week_hours)} déjà planifiées cette semaine "
            f"+ {_hours(proposed)} dépasseraient la {rule}."
        )
    if all_week_hours + proposed > legal:
        return (
            f"Durée hebdomadaire : {_hours(all_week_hours)} déjà planifiées cette semaine dans le "
            f"groupe + {_hours(proposed)} dépasseraient la durée maximale légale de "
            f"{_hours(legal)} (art. L3121-20 du Code du travail)."
        )
    return ""


@dataclass(frozen=True, slots=True)
class AssignmentFacts:
    """What the assignment checks need to know about a worker around one intervention."""

    day: date
    slot: Slot
    hours: Decimal
    entity_name: str
    placement: bool
    has_contract: bool
    busy: tuple[tuple[Slot, str], ...] = ()
    absences: tuple[tuple[date, date, str], ...] = ()
    required: tuple[tuple[str, str], ...] = ()
    held: tuple[tuple[str, date | None], ...] = ()
    contract_week_hours: Decimal = Decimal(0)
    all_week_hours: Decimal = Decimal(0)
    weekly_hours: Decimal | None = None


def assignment_errors(facts: AssignmentFacts) -> list[str]:
    """Every reason, in French, to refuse assigning the worker; empty when none applies.

    Without a contract the other checks are meaningless, so only that one is reported.
    """
    first = contract_error(
        has_contract=facts.has_contract,
        day=facts.day,
        entity_name=facts.entity_name,
        placement=facts.placement,
    )
    if first:
        return [first]
    errors = [
        double_booking_error(facts.slot, facts.busy),
        absence_error(facts.day, facts.absences),
        habilitation_error(facts.required, facts.held, facts.day),
        weekly_hours_error(
            proposed=facts.hours,
            contract_week_hours=facts.contract_week_hours,
            all_week_hours=facts.all_week_hours,
            weekly_hours=facts.weekly_hours,
            day=facts.day,
        ),
    ]
    return [error for error in errors if error]
