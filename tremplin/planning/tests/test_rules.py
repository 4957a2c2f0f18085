from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from tremplin.clients.rules import ClientKind
from tremplin.contracts.rules import ContractKind, Placement
from tremplin.planning import rules
from tremplin.planning.problem import PARIS, Assignment, Interval, Location, Visit, Week, Worker
from tremplin.planning.travel import SpeedModel

MONDAY = date(2026, 1, 12)
D = Decimal


@pytest.mark.parametrize(
    ("hours", "minutes"),
    [
        (D("0"), 0),
        (D("1.5"), 90),
        (D("19.62"), 1177),  # 1 177.2 minutes: a ceiling rounds down
        (D("48"), 2880),
    ],
    ids=["zero", "half_hour", "rounded_down", "legal_max"],
)
def test_hours_to_minutes(hours: Decimal, minutes: int) -> None:
    assert rules.hours_to_minutes(hours) == minutes


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [(0, D("0.00")), (90, D("1.50")), (1177, D("19.62")), (20, D("0.33"))],
    ids=["zero", "half_hour", "target", "third_of_an_hour"],
)
def test_minutes_to_hours(minutes: int, hours: Decimal) -> None:
    assert rules.minutes_to_hours(minutes) == hours


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 1, 12), date(2026, 1, 12)),
        (date(2026, 1, 18), date(2026, 1, 12)),
        (date(2026, 1, 1), date(2025, 12, 29)),
    ],
    ids=["monday", "sunday", "across_years"],
)
def test_week_monday(day: date, monday: date) -> None:
    assert rules.week_monday(day) == monday


def test_working_day_excludes_nights_and_sundays() -> None:
    working = rules.WORKING_DAY.on(MONDAY)
    assert rules.availability([0, 2, 6], working) == (
        Interval(360, 1260),
        Interval(2 * 1440 + 360, 2 * 1440 + 1260),
    )
    assert rules.availability([], working) == ()


@pytest.mark.parametrize(
    ("absence", "expected"),
    [
        ((date(2026, 1, 13), date(2026, 1, 13)), [Interval(1440, 2880)]),
        ((date(2026, 1, 1), date(2026, 1, 12)), [Interval(0, 1440)]),
        ((date(2026, 1, 16), date(2026, 2, 1)), [Interval(4 * 1440, 7 * 1440)]),
        ((date(2026, 1, 1), date(2026, 1, 11)), []),
        ((date(2026, 1, 19), date(2026, 1, 20)), []),
    ],
    ids=["one_day", "ends_on_monday", "runs_past_sunday", "before_the_week", "after_the_week"],
)
def test_absence_intervals(absence: tuple[date, date], expected: list[Interval]) -> None:
    assert rules.absence_intervals([absence], MONDAY) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (datetime(2026, 1, 13, 9, tzinfo=PARIS), datetime(2026, 1, 13, 11, tzinfo=PARIS),
         Interval(1440 + 540, 1440 + 660)),
        (datetime(2026, 1, 11, 22, tzinfo=PARIS), datetime(2026, 1, 12, 2, tzinfo=PARIS),
         Interval(0, 120)),
        (datetime(2026, 1, 19, 9, tzinfo=PARIS), datetime(2026, 1, 19, 11, tzinfo=PARIS), None),
    ],
    ids=["inside", "clipped_at_monday", "next_week"],
)  # fmt: skip
def test_busy_interval(start: datetime, end: datetime, expected: Interval | None) -> None:
    assert rules.busy_interval(start, end, MONDAY) == expected


def test_merge_intervals() -> None:
    merged = rules.merge_intervals(
        [Interval(600, 700), Interval(100, 200), Interval(150, 300), Interval(300, 400)]
    )
    assert merged == (Interval(100, 400), Interval(600, 700))


@pytest.mark.parametrize(
    ("kind", "weekly", "monthly", "same", "group", "expected"),
    [
        # Fixed weekly hours: minimum = target = ceiling.
        (ContractKind.CDDI, D(26), None, D(0), D(0), (1560, 1560, 1560)),
        # Hours already planned under the same contract lower the ceiling, and the bounds.
        (ContractKind.CDDI, D(26), None, D(20), D(20), (360, 360, 360)),
        # A CDDUA: target from the monthly volume, no weekly minimum, legal ceiling.
        (ContractKind.CDDUA, None, D(85), D(0), D(0), (0, 1177, 2880)),
        # A CDDU guarantees nothing.
        (ContractKind.CDDU, None, None, D(0), D(0), (0, 0, 2880)),
        # Hours in another entity of the group count against the legal 48 h only.
        (ContractKind.CDDUA, None, D(85), D(0), D(40), (0, 480, 480)),
        # Past every ceiling already: nothing left, never negative.
        (ContractKind.CDI, D(35), None, D(36), D(36), (0, 0, 0)),
    ],
    ids=[
        "fixed_weekly_hours",
        "same_contract_hours_elsewhere",
        "cddua_monthly_volume",
        "cddu_nothing_guaranteed",
        "group_hours_against_legal_max",
        "already_past_the_ceiling",
    ],
)
def test_week_bounds(
    kind: ContractKind,
    weekly: Decimal | None,
    monthly: Decimal | None,
    same: Decimal,
    group: Decimal,
    expected: tuple[int, int, int],
) -> None:
    bounds = rules.week_bounds(
        kind=kind,
        weekly_hours=weekly,
        monthly_hours=monthly,
        legal_max_hours=D(48),
        same_contract_hours=same,
        group_hours=group,
    )
    assert (bounds.min_minutes, bounds.target_minutes, bounds.max_minutes) == expected


def _placement(day: date, hours: int, kind: ClientKind = ClientKind.COMPANY) -> Placement:
    return Placement(start=day, hours=D(hours), client_kind=kind)


@pytest.mark.parametrize(
    ("placements", "derogations", "expected"),
    [
        ([], [], 480 * 60),
        ([_placement(date(2025, 6, 2), 400)], [], 80 * 60),
        ([_placement(date(2025, 6, 2), 500)], [], 0),
        # Households and associations are outside the cap.
        ([_placement(date(2025, 6, 2), 400, ClientKind.HOUSEHOLD)], [], 480 * 60),
        # A window closed before the week: a new one opens on its Monday, counting the
        # placements already planned after it.
        ([_placement(date(2023, 6, 1), 470), _placement(date(2026, 3, 2), 100)], [], 380 * 60),
        ([_placement(date(2025, 6, 2), 480)], [(date(2026, 1, 1), date(2026, 12, 31))], None),
        # A derogation ending mid-week does not lift the cap for the week.
        ([_placement(date(2025, 6, 2), 400)], [(date(2025, 1, 1), date(2026, 1, 14))], 80 * 60),
    ],
    ids=[
        "no_placement_yet",
        "window_partly_used",
        "window_past_the_cap",
        "exempt_clients",
        "next_window_opens",
        "derogation_covers_the_week",
        "derogation_ends_mid_week",
    ],
)
def test_mad_minutes_left(
    placements: list[Placement], derogations: list[tuple[date, date]], expected: int | None
) -> None:
    assert rules.mad_minutes_left(placements, monday=MONDAY, derogations=derogations) == expected


@pytest.mark.parametrize(
    ("planned", "bounds", "expected"),
    [
        (D(20), (D(20), D(26), D(26)), rules.HoursBar(77, 77, 100, 100, "within")),
        (D(10), (D(20), D(26), D(26)), rules.HoursBar(38, 77, 100, 100, "below")),
        (D(30), (D(0), D(26), D(26)), rules.HoursBar(100, None, 87, 87, "over")),
        (D(0), (D(0), D(0), D(48)), rules.HoursBar(0, None, None, 100, "within")),
        (D(0), (D(0), D(0), D(0)), rules.HoursBar(0, None, None, 0, "within")),
    ],
    ids=["within_bounds", "below_minimum", "over_the_ceiling", "nothing_due", "no_hours_at_all"],
)
def test_hours_bar(
    planned: Decimal, bounds: tuple[Decimal, Decimal, Decimal], expected: rules.HoursBar
) -> None:
    minimum, target, maximum = bounds
    assert rules.hours_bar(planned, minimum=minimum, target=target, maximum=maximum) == expected


def test_sketch_points_keep_the_aspect_and_put_north_up() -> None:
    # Two points 0.1° of latitude apart on one meridian: a vertical line, north on top.
    points = rules.sketch_points([(46.4, -0.4), (46.3, -0.4)], width=200, height=100, margin=10)
    assert points == [(100, 10), (100, 90)]
    # East–west: a degree of longitude is shorter than one of latitude (cos 46.3° ≈ 0.69).
    wide = rules.sketch_points(
        [(46.3, -0.5), (46.3, -0.4), (46.4, -0.5)], width=1000, height=1000, margin=0
    )
    (x0, y0), (x1, _), (_, y2) = wide
    assert x1 - x0 == pytest.approx(0.69 * (y0 - y2), rel=0.01)


@pytest.mark.parametrize(
    "points",
    [[], [(46.3, -0.4)], [(46.3, -0.4), (46.3, -0.4)]],
    ids=["none", "one_point", "same_place"],
)
def test_sketch_points_degenerate(points: list[tuple[float, float]]) -> None:
    assert rules.sketch_points(points, width=200, height=100, margin=10) == [(100, 50)] * len(
        points
    )


def test_routes_from_assignments_time_the_legs_from_home() -> None:
    home, a, b = Location(46.32, -0.46), Location(46.33, -0.45), Location(46.30, -0.50)
    travel = SpeedModel()
    week = Week(
        entity_id=1,
        monday=MONDAY,
        workers=(
            Worker(
                id=7,
                name="X",
                home=home,
                availability=(Interval(360, 1260),),
                daily_max_minutes=600,
                weekly_max_minutes=2880,
                weekly_target_minutes=0,
            ),
        ),
        visits=(
            Visit(id=1, client_id=1, location=a, earliest_start=540, latest_start=540, duration=60),
            Visit(id=2, client_id=2, location=b, earliest_start=720, latest_start=720, duration=90),
        ),
    )
    (route,) = rules.routes_from_assignments(
        week, [Assignment(2, 7, 720, 810), Assignment(1, 7, 540, 600)], travel
    )
    legs = [travel.minutes(home, a), travel.minutes(a, b), travel.minutes(b, home)]
    assert [stop.visit_id for stop in route.stops] == [1, 2]
    assert route.leave == 540 - legs[0]
    assert route.back == 810 + legs[2]
    assert route.travel_minutes == sum(legs)
