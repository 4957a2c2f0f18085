"""Rules on the service catalogue and orders: VAT by activity, quotes, recurrences.

Pure functions: no database, no clock. Recurrences are computed in the Europe/Paris time zone so
that "every Tuesday 9:00–11:00" stays 9:00–11:00 across daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
from django.db import models

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
    """Whether ``day`` is a French public holiday (``subdivision`` "57", "67", "68" for
    Alsace-Moselle's extra days; Code du travail L3133-1)."""
    return day in holidays.France(years=day.year, subdiv=subdivision)


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
