"""Rules of the monthly close: who may close, how worked hours split for payroll, the ASP share
of a full-time post, CSV cells. Pure functions: no database, no clock.

The worked tables behind these rules are in ``docs/algorithms/monthly-close.md``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from tremplin.accounts.rules import Role
from tremplin.core.runs import stalled_since
from tremplin.core.spreadsheets import csv_cell as csv_cell  # the exports' cell rule

# Who may see and run the monthly close, and who may reopen a closed month (the accountant
# answers for the figures sent to payroll and the ASP once they are out).
CLOSING_ROLES = frozenset({Role.ACCOUNTANT, Role.DIRECTION})
REOPEN_ROLES = frozenset({Role.ACCOUNTANT})

# Code du travail, art. L3121-27: legal weekly duration; L3121-28: hours beyond it are overtime
# (heures supplémentaires). Art. L3123-1: part time is below it; L3123-28: hours a part-timer
# works beyond the contractual duration are heures complémentaires, and may not reach 35 h.
LEGAL_WEEKLY_HOURS = Decimal(35)
LEGAL_WEEKLY_HUNDREDTHS = int(LEGAL_WEEKLY_HOURS * 100)
# 35 h × 52 / 12: the monthly hours of a full-time post, the ASP's ETP reference (domain §4.3).
FULL_TIME_MONTHLY_HOURS = Decimal("151.67")

HUNDREDTH = Decimal("0.01")
THOUSANDTH = Decimal("0.001")


class DayKind(models.TextChoices):
    WORKDAY = "workday", "Jour ordinaire"
    SUNDAY = "sunday", "Dimanche"
    HOLIDAY = "holiday", "Jour férié"


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def day_kind(day: date, *, holiday: bool) -> DayKind:
    """Classify a worked day for payroll: a public holiday first (Code du travail, L3133-1),
    then a Sunday (L3132-3), else an ordinary day.

    A public holiday falling on a Sunday counts once, as a holiday: payroll pays the larger of
    the two premiums, never both. The classification is by calendar day in Paris, so the
    23-hour and 25-hour days of daylight-saving changes are ordinary Sundays.
    """
    if holiday:
        return DayKind.HOLIDAY
    if day.weekday() == 6:
        return DayKind.SUNDAY
    return DayKind.WORKDAY


@dataclass(frozen=True, slots=True)
class HoursSplit:
    normal: Decimal
    complementary: Decimal
    overtime: Decimal

    @property
    def total(self) -> Decimal:
        return self.normal + self.complementary + self.overtime


def weekly_threshold(contractual_weekly: Decimal | None) -> Decimal:
    """Weekly hours up to which worked hours are normal hours: the contractual weekly hours of a
    part-time contract (below 35 h, Code du travail L3123-1), else 35 h (L3121-27). A contract
    without weekly hours (a CDDU paid by the mission, a guaranteed monthly volume) is treated
    as full time."""
    if contractual_weekly is not None and 0 < contractual_weekly < LEGAL_WEEKLY_HOURS:
        return contractual_weekly
    return LEGAL_WEEKLY_HOURS


def split_hours(
    hours_by_day: Mapping[date, Decimal],
    *,
    contractual_weekly: Decimal | None,
    first: date,
    last: date,
) -> HoursSplit:
    """Split the hours worked from ``first`` to ``last`` into normal, complementary and overtime
    hours, week by week (ISO weeks, Monday to Sunday): ``split_weeks`` on the weekly totals of
    hours of at most two decimals (the precision of every hours column).

    ``hours_by_day`` may hold days before ``first`` in the same ISO week: they count towards
    the week's thresholds but were paid with the previous month, so a week across two months is
    split the same way whichever month is closed first. Days after ``last`` are ignored.
    """
    weeks: dict[int, list[int]] = {}  # week → [hundredths before the month, in the month]
    for day, hours in hours_by_day.items():
        if day <= last:
            totals = weeks.setdefault(iso_week_index(day), [0, 0])
            totals[0 if day < first else 1] += to_hundredths(hours)
    normal, complementary, overtime = split_weeks(
        [(before, worked) for before, worked in weeks.values()],
        threshold=to_hundredths(weekly_threshold(contractual_weekly)),
    )
    return HoursSplit(hundredths(normal), hundredths(complementary), hundredths(overtime))


def iso_week_index(day: date) -> int:
    """The ISO week (Monday to Sunday) of a day, as a count of weeks: 01/01/0001 is a Monday."""
    return (day.toordinal() - 1) // 7


def split_weeks(weeks: Iterable[tuple[int, int]], *, threshold: int) -> tuple[int, int, int]:
    """Normal, complementary and overtime hundredths of the hours of a month, given for each of
    its ISO weeks the hundredths worked that week before the month (its first days may belong
    to the previous month) and those worked in the month; ``threshold`` is
    ``weekly_threshold`` in hundredths.

    Within a week, hours are taken in the order of the days: those up to the threshold are
    normal; for a part-time contract, those from the threshold up to 35 h are heures
    complémentaires (L3123-28); every hour beyond 35 h is overtime (L3121-28). Taken in that
    order, the month's hours of a week run from what was worked before them to the week's
    total, so the split of a week depends on these two figures only, not on how the hours
    spread over its days (table in ``docs/algorithms/monthly-close.md``). Integers keep the
    arithmetic exact and cheap: the close splits thousands of workers' months.
    """
    legal = LEGAL_WEEKLY_HUNDREDTHS
    normal = complementary = overtime = 0
    for before, worked in weeks:
        after = before + worked
        in_normal = max(0, min(after, threshold) - min(before, threshold))
        in_overtime = max(0, max(after, legal) - max(before, legal))
        normal += in_normal
        overtime += in_overtime
        complementary += worked - in_normal - in_overtime
    return normal, complementary, overtime


def absence_days(
    periods: Iterable[tuple[date, date]],
    *,
    first: date,
    last: date,
    holidays: frozenset[date],
) -> Decimal:
    """Working days (Monday to Friday, public holidays excepted: jours ouvrés) of absence within
    ``[first, last]``; overlapping periods count each day once."""
    days: set[date] = set()
    for start, end in periods:
        day = max(start, first)
        while day <= min(end, last):
            if day.weekday() < 5 and day not in holidays:
                days.add(day)
            day += timedelta(days=1)
    return Decimal(len(days))


def etp_share(hours: Decimal) -> Decimal:
    """Share of a full-time post (ETP) the month's hours represent: hours / 151,67, three
    decimals, half up (ASP EtatMensuelIndiv ``emi_part_etp``; domain §4.3 — the reference is a
    Tremplin choice pending an official formula)."""
    return (hours / FULL_TIME_MONTHLY_HOURS).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def parse_month(text: str) -> tuple[int, int]:
    """``"2026-10"`` → ``(2026, 10)``; ``ValueError`` with a French message otherwise."""
    year, _, month = text.partition("-")
    if not (year.isdigit() and month.isdigit() and len(year) == 4 and 1 <= int(month) <= 12):
        raise ValueError(f"Mois invalide : « {text} » (format attendu AAAA-MM, ex. 2026-10).")
    return int(year), int(month)


def hundredths(value: int) -> Decimal:
    """An integer count of hundredths (as summed exactly by the database) as a Decimal."""
    return Decimal(value).scaleb(-2)


def to_hundredths(value: Decimal) -> int:
    """Hours of at most two decimals as an integer count of hundredths (``ValueError`` if more
    decimals: they would be lost)."""
    scaled = value.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} : deux décimales au plus.")
    return int(scaled)


def reopened_message(*, unlocked: int, drafts_deleted: int, issued: int) -> str:
    """What a reopening did, in French: entries unlocked, draft invoices deleted, issued
    invoices kept (the next close does not invoice their clients again)."""
    parts = [f"{unlocked} relevé(s) d'heures à nouveau modifiable(s)"]
    if drafts_deleted:
        parts.append(
            f"{drafts_deleted} facture(s) en brouillon issue(s) de la clôture supprimée(s), "
            "à préparer à nouveau après la prochaine clôture"
        )
    message = "Le mois est rouvert : " + " ; ".join(parts) + "."
    if issued:
        message += (
            f" {issued} facture(s) déjà émise(s) à partir de cette clôture reste(nt) inchangée(s)"
            " : la prochaine clôture ne refacture pas ces clients ; corrigez un écart par un avoir"
            " ou une facture complémentaire."
        )
    return message


def stalled_message(last_progress: datetime) -> str:
    """Why a close still "en cours" may be started again, in French (local time)."""
    return (
        stalled_since(last_progress) + " Vous pouvez relancer la clôture ; si l'ancien traitement"
        " reprenait, il s'arrêterait sans rien changer."
    )
