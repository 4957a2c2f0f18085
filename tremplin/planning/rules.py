"""Rules the planning engine's loader and pages apply: a worker's bounds for the week, the
hours of the day a route may use, what is left under the MAD cap, and how a route and an
hours bar are drawn.

Pure functions on plain values: no database, no clock. Times are minutes of the week as in
:mod:`tremplin.planning.problem`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from tremplin.accounts.rules import Role
from tremplin.contracts import rules as contract_rules
from tremplin.contracts.rules import ContractKind
from tremplin.core.parameters import DatedParameter, Period
from tremplin.planning.problem import (
    MINUTES_PER_DAY,
    Assignment,
    Interval,
    Location,
    Route,
    Week,
    day_of,
    to_minute,
)
from tremplin.planning.travel import TravelModel

# Who runs the engine and accepts its proposals: those who plan the work (orders.rules).
ENGINE_ROLES = frozenset({Role.DIRECTION, Role.HR, Role.PLANNER})

# Search time a planner may give the engine, in seconds.
MIN_SECONDS = 1
MAX_SECONDS = 600
DEFAULT_SECONDS = 30

CENT = Decimal("0.01")
SIXTY = Decimal(60)


def week_monday(day: date) -> date:
    """The Monday of the ISO week holding ``day``."""
    return day - timedelta(days=day.weekday())


def hours_to_minutes(hours: Decimal) -> int:
    """Whole minutes of a number of hours, rounded down (a ceiling is never exceeded)."""
    return int((hours * SIXTY).to_integral_value(rounding=ROUND_FLOOR))


def minutes_to_hours(minutes: int) -> Decimal:
    """Hours with two decimals of a number of minutes, rounded half up."""
    return (Decimal(minutes) / SIXTY).quantize(CENT, rounding=ROUND_HALF_UP)


# --- The working day ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkingDay:
    """The days of the week (0 = Monday) and the hours of the day a route may use."""

    weekdays: frozenset[int]
    start_minute: int
    end_minute: int


WORKING_DAY: DatedParameter[WorkingDay] = DatedParameter(
    "planning_working_day",
    "Jours et heures où l'on planifie une tournée",
    (
        Period(
            WorkingDay(frozenset(range(6)), start_minute=6 * 60, end_minute=21 * 60),
            date(2008, 5, 1),
            None,
            "Code du travail, art. L3122-2 (travail de nuit de 21 h à 6 h à défaut d'accord "
            "collectif) et L3132-3 (repos dominical) : on ne planifie ni la nuit ni le dimanche",
        ),
    ),
)


def availability(contract_days: Iterable[int], working_day: WorkingDay) -> tuple[Interval, ...]:
    """When a worker may be on the road: the working hours of each day of the week on which a
    suitable contract runs (``contract_days``, 0 = Monday), in order."""
    return tuple(
        Interval(
            day * MINUTES_PER_DAY + working_day.start_minute,
            day * MINUTES_PER_DAY + working_day.end_minute,
        )
        for day in sorted(set(contract_days))
        if day in working_day.weekdays
    )


def absence_intervals(absences: Iterable[tuple[date, date]], monday: date) -> list[Interval]:
    """Whole days of absence (``(first, last)`` inclusive) that fall in the week."""
    sunday = monday + timedelta(days=6)
    result = []
    for first, last in absences:
        if last < monday or first > sunday:
            continue
        start = (max(first, monday) - monday).days * MINUTES_PER_DAY
        end = ((min(last, sunday) - monday).days + 1) * MINUTES_PER_DAY
        result.append(Interval(start, end))
    return result


def busy_interval(start: datetime, end: datetime, monday: date) -> Interval | None:
    """An engagement elsewhere (another entity's intervention) as minutes of the week, clipped
    to the week; ``None`` when it lies outside."""
    first = max(to_minute(start, monday), 0)
    last = min(to_minute(end, monday), 7 * MINUTES_PER_DAY)
    return Interval(first, last) if first < last else None


def merge_intervals(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Overlapping or touching intervals merged, in order."""
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: (i.start, i.end)):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, interval.end))
        else:
            merged.append(interval)
    return tuple(merged)


# --- Hours of the week ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeekBounds:
    """A worker's minutes for the week: the guaranteed minimum, the target and the ceiling."""

    min_minutes: int
    target_minutes: int
    max_minutes: int


def week_bounds(
    *,
    kind: ContractKind,
    weekly_hours: Decimal | None,
    monthly_hours: Decimal | None,
    legal_max_hours: Decimal,
    same_contract_hours: Decimal = Decimal(0),
    group_hours: Decimal = Decimal(0),
) -> WeekBounds:
    """The bounds of a worker's week, as the orders' assignment checks apply them.

    Ceiling: the contract's weekly hours, or the legal maximum (art. L3121-20) when the contract
    sets none (CDDU, CDDUA), less the hours already planned under the same contract outside the
    run; and never past the legal maximum less the hours planned anywhere in the group outside
    the run. Target: the contract's weekly hours, or a CDDUA's guaranteed monthly volume × 12 /
    52 (domain.md §2.2). Minimum: the weekly hours a contract fixes (art. L3123-6 for part
    time); a CDDUA guarantees its volume over the month, a CDDU guarantees nothing, so their
    weekly minimum is zero. Minimum and target never exceed the ceiling.
    """
    ceiling = weekly_hours or legal_max_hours
    left = min(ceiling - same_contract_hours, legal_max_hours - group_hours)
    max_minutes = max(hours_to_minutes(left), 0)
    if weekly_hours:
        target = weekly_hours
    elif monthly_hours:
        target = monthly_hours * 12 / 52
    else:
        target = Decimal(0)
    guaranteed = weekly_hours if weekly_hours and kind != ContractKind.CDDU else Decimal(0)
    target_minutes = int((target * SIXTY).to_integral_value(rounding=ROUND_HALF_UP))
    return WeekBounds(
        min_minutes=min(hours_to_minutes(guaranteed), max_minutes),
        target_minutes=min(target_minutes, max_minutes),
        max_minutes=max_minutes,
    )


def mad_minutes_left(
    placements: Sequence[contract_rules.Placement],
    *,
    monday: date,
    derogations: Sequence[tuple[date, date]] = (),
) -> int | None:
    """Minutes of mise à disposition to employers a worker may still take in the week.

    Code du travail, art. L5132-9 and R5132-18 2°: 480 h over 24 months from the first MAD. The
    week's placements are counted against the window holding its Monday; when no window holds
    it, against a window opening that Monday (every later counted placement within its length
    included). ``None`` when a préfet derogation (art. D5132-18-1) covers the whole week: the
    cap does not apply.
    """
    sunday = monday + timedelta(days=6)
    if any(first <= monday and sunday <= last for first, last in derogations):
        return None
    windows = contract_rules.mad_windows(placements)
    window = next((w for w in windows if w.start <= monday <= w.end), None)
    if window is not None:
        left = window.cap - window.hours
    else:
        months = contract_rules.MAD_CAP_WINDOW_MONTHS.on(monday)
        end = contract_rules.period_end(monday, months)
        cap = contract_rules.MAD_CAP_HOURS.on(monday)
        counted = sum(
            (
                p.hours
                for p in placements
                if contract_rules.mad_cap_applies(p.client_kind) and monday <= p.day <= end
            ),
            Decimal(0),
        )
        left = cap - counted
    return max(hours_to_minutes(left), 0)


# --- Routes of a plan made by hand ----------------------------------------------------------


def routes_from_assignments(
    week: Week, assignments: Iterable[Assignment], travel: TravelModel
) -> tuple[Route, ...]:
    """The day routes that a set of assignments implies, for the checker.

    Each worker's stops of a day in start order; the worker leaves home just in time for the
    first one and comes straight back after the last one. Visits without a location cannot be
    routed: the caller lists them as unserved.
    """
    workers = week.workers_by_id()
    visits = week.visits_by_id()
    days: dict[tuple[int, int], list[Assignment]] = {}
    for assignment in assignments:
        key = (assignment.worker_id, day_of(assignment.start))
        days.setdefault(key, []).append(assignment)
    routes = []
    for (worker_id, day), stops in sorted(days.items()):
        stops.sort(key=lambda stop: (stop.start, stop.visit_id))
        home = workers[worker_id].home
        places: list[Location] = [home]
        for stop in stops:
            location = visits[stop.visit_id].location
            if location is None:
                raise ValueError(f"Visit {stop.visit_id} has no location to route.")
            places.append(location)
        places.append(home)
        legs = [travel.minutes(a, b) for a, b in zip(places, places[1:], strict=False)]
        routes.append(
            Route(
                worker_id=worker_id,
                day=day,
                start=home,
                end=home,
                leave=stops[0].start - legs[0],
                back=stops[-1].end + legs[-1],
                stops=tuple(stops),
                travel_minutes=sum(legs),
            )
        )
    return tuple(routes)


# --- Drawing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HoursBar:
    """An hours bar: the planned part and the marks, in whole percent of the bar's scale."""

    planned: int
    min_mark: int | None
    target_mark: int | None
    max_mark: int
    state: str
    """``below`` the minimum, ``within`` the bounds, ``over`` the ceiling."""


def percent(value: Decimal, scale: Decimal) -> int:
    """``value`` as a whole percent of ``scale``, between 0 and 100."""
    if scale <= 0:
        return 0
    share = (value * 100 / scale).to_integral_value(rounding=ROUND_HALF_UP)
    return int(min(max(share, Decimal(0)), Decimal(100)))


def hours_bar(planned: Decimal, *, minimum: Decimal, target: Decimal, maximum: Decimal) -> HoursBar:
    """Where the planned hours and the minimum, target and ceiling fall on one bar.

    The bar's scale is the ceiling, or the planned hours when they pass it. A zero minimum or
    target draws no mark.
    """
    scale = max(maximum, planned)
    if planned > maximum:
        state = "over"
    elif planned < minimum:
        state = "below"
    else:
        state = "within"
    return HoursBar(
        planned=percent(planned, scale),
        min_mark=percent(minimum, scale) if minimum > 0 else None,
        target_mark=percent(target, scale) if target > 0 else None,
        max_mark=percent(maximum, scale),
        state=state,
    )


def sketch_points(
    points: Sequence[tuple[float, float]], *, width: int, height: int, margin: int
) -> list[tuple[int, int]]:
    """Latitude/longitude pairs placed in a ``width`` × ``height`` drawing.

    An equirectangular projection around the points' mean latitude (a degree of longitude is
    shorter than a degree of latitude by its cosine), scaled to fit inside the margins with the
    same scale on both axes, centred, north up. A single point, or points at one place, sit in
    the middle.
    """
    if not points:
        return []
    mean_lat = sum(lat for lat, _ in points) / len(points)
    shrink = math.cos(math.radians(mean_lat))
    xs = [lon * shrink for _, lon in points]
    ys = [lat for lat, _ in points]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    inner_w, inner_h = width - 2 * margin, height - 2 * margin
    if span_x == 0 and span_y == 0:
        return [(width // 2, height // 2) for _ in points]
    scale = min(
        inner_w / span_x if span_x else math.inf,
        inner_h / span_y if span_y else math.inf,
    )
    offset_x = margin + (inner_w - span_x * scale) / 2
    offset_y = margin + (inner_h - span_y * scale) / 2
    return [
        (
            round(offset_x + (x - min(xs)) * scale),
            round(offset_y + (max(ys) - y) * scale),
        )
        for x, y in zip(xs, ys, strict=True)
    ]
