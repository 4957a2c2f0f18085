from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from tremplin.planning.checker import check
from tremplin.planning.problem import (
    Assignment,
    BreakRule,
    Lock,
    Plan,
    Reason,
    Route,
    Rule,
    Unserved,
    Week,
)
from tremplin.planning.tests.weeks import (
    HOME_B,
    PLAN,
    ROUTE_A_MONDAY,
    ROUTE_A_TUESDAY,
    ROUTE_B_MONDAY,
    VISIT_3,
    WEEK,
    WORKER_A,
    at,
    matrix_travel,
)


def with_routes(*routes: Route, unserved: tuple[Unserved, ...] = ()) -> Plan:
    return Plan(routes=routes, unserved=unserved)


def with_stops(route: Route, *stops: Assignment, **changes: int) -> Route:
    return replace(route, stops=stops, **changes)


def with_worker_a(**changes: object) -> Week:
    worker = replace(WORKER_A, **changes)
    return replace(WEEK, workers=(worker, *WEEK.workers[1:]))


def test_the_reference_plan_is_valid() -> None:
    assert check(WEEK, PLAN, matrix_travel()) == []


# Each case breaks one constraint of the reference plan (or of its week) and names the rule
# the checker must report.
CASES: list[tuple[str, Callable[[], tuple[Week, Plan]], Rule]] = [
    (
        "starts_before_window",
        lambda: (
            WEEK,
            with_routes(
                ROUTE_A_MONDAY,
                ROUTE_A_TUESDAY,
                with_stops(
                    ROUTE_B_MONDAY,
                    Assignment(103, 2, at(0, 8, 50), at(0, 10, 20)),
                    leave=at(0, 8, 40),
                ),
            ),
        ),
        Rule.WINDOW,
    ),
    (
        "starts_after_window",
        lambda: (
            WEEK,
            with_routes(
                ROUTE_A_MONDAY,
                ROUTE_A_TUESDAY,
                with_stops(
                    ROUTE_B_MONDAY,
                    Assignment(103, 2, at(0, 10, 10), at(0, 11, 40)),
                    back=at(0, 11, 50),
                ),
            ),
        ),
        Rule.WINDOW,
    ),
    (
        "wrong_duration",
        lambda: (
            WEEK,
            with_routes(
                ROUTE_A_MONDAY,
                ROUTE_A_TUESDAY,
                with_stops(ROUTE_B_MONDAY, Assignment(103, 2, at(0, 9), at(0, 10))),
            ),
        ),
        Rule.OVERLAP,
    ),
    (
        "overlapping_visits",
        lambda: (
            replace(
                WEEK,
                visits=tuple(
                    replace(v, earliest_start=at(0, 10)) if v.id == 102 else v for v in WEEK.visits
                ),
            ),
            with_routes(
                with_stops(
                    ROUTE_A_MONDAY,
                    ROUTE_A_MONDAY.stops[0],
                    Assignment(102, 1, at(0, 10, 30), at(0, 11, 30)),
                    back=at(0, 11, 40),
                ),
                ROUTE_A_TUESDAY,
                ROUTE_B_MONDAY,
            ),
        ),
        Rule.OVERLAP,
    ),
    ("missing_skill", lambda: (with_worker_a(skills=frozenset({"menage"})), PLAN), Rule.SKILL),
    (
        "missing_habilitation",
        lambda: (with_worker_a(habilitations=frozenset()), PLAN),
        Rule.HABILITATION,
    ),
    (
        "route_during_absence",
        lambda: (
            with_worker_a(
                absences=(
                    WORKER_A.absences[0],
                    replace(WORKER_A.absences[0], start=at(0, 11), end=at(0, 11, 15)),
                )
            ),
            PLAN,
        ),
        Rule.AVAILABILITY,
    ),
    (
        "route_outside_availability",
        lambda: (
            with_worker_a(
                availability=(
                    replace(WORKER_A.availability[0], start=at(0, 9)),
                    WORKER_A.availability[1],
                )
            ),
            PLAN,
        ),
        Rule.AVAILABILITY,
    ),
    ("daily_maximum", lambda: (with_worker_a(daily_max_minutes=150), PLAN), Rule.DAILY_MAX),
    (
        "no_break",
        lambda: (replace(WEEK, breaks=BreakRule(after_minutes=150, length_minutes=20)), PLAN),
        Rule.BREAK,
    ),
    ("weekly_maximum", lambda: (with_worker_a(weekly_max_minutes=200), PLAN), Rule.WEEKLY_MAX),
    ("mad_cap", lambda: (with_worker_a(mad_cap_minutes=30), PLAN), Rule.MAD_CAP),
    ("locked_to_another_worker", lambda: (replace(WEEK, locks=(Lock(101, 2),)), PLAN), Rule.LOCK),
    (
        "locked_at_another_time",
        lambda: (replace(WEEK, locks=(Lock(104, 1, start=at(1, 9, 30)),)), PLAN),
        Rule.LOCK,
    ),
    (
        "does_not_leave_home",
        lambda: (
            WEEK,
            with_routes(replace(ROUTE_A_MONDAY, start=HOME_B), ROUTE_A_TUESDAY, ROUTE_B_MONDAY),
        ),
        Rule.HOME,
    ),
    (
        "does_not_come_home",
        lambda: (
            WEEK,
            with_routes(replace(ROUTE_A_MONDAY, end=HOME_B), ROUTE_A_TUESDAY, ROUTE_B_MONDAY),
        ),
        Rule.HOME,
    ),
    (
        "no_time_to_travel_between_visits",
        lambda: (
            WEEK,
            with_routes(
                with_stops(
                    ROUTE_A_MONDAY,
                    ROUTE_A_MONDAY.stops[0],
                    Assignment(102, 1, at(0, 11, 5), at(0, 12, 5)),
                    back=at(0, 12, 15),
                ),
                ROUTE_A_TUESDAY,
                ROUTE_B_MONDAY,
            ),
        ),
        Rule.TRAVEL,
    ),
    (
        "leaves_home_too_late",
        lambda: (
            WEEK,
            with_routes(
                replace(ROUTE_A_MONDAY, leave=at(0, 8, 55)), ROUTE_A_TUESDAY, ROUTE_B_MONDAY
            ),
        ),
        Rule.TRAVEL,
    ),
    (
        "wrong_travel_total",
        lambda: (
            WEEK,
            with_routes(
                replace(ROUTE_A_MONDAY, travel_minutes=25), ROUTE_A_TUESDAY, ROUTE_B_MONDAY
            ),
        ),
        Rule.TRAVEL,
    ),
    (
        "served_twice",
        lambda: (
            WEEK,
            with_routes(
                ROUTE_A_MONDAY,
                ROUTE_A_TUESDAY,
                ROUTE_B_MONDAY,
                replace(
                    ROUTE_B_MONDAY,
                    leave=at(0, 16),
                    back=at(0, 18),
                    stops=(Assignment(103, 2, at(0, 9), at(0, 10, 30)),),
                ),
            ),
        ),
        Rule.DUPLICATE,
    ),
    (
        "served_and_reported_unserved",
        lambda: (
            WEEK,
            replace(PLAN, unserved=(Unserved(103, Reason.CAPACITY, "Capacité insuffisante."),)),
        ),
        Rule.DUPLICATE,
    ),
    (
        "neither_served_nor_reported",
        lambda: (WEEK, with_routes(ROUTE_A_MONDAY, ROUTE_A_TUESDAY)),
        Rule.MISSING,
    ),
    (
        "unknown_worker",
        lambda: (
            WEEK,
            with_routes(ROUTE_A_MONDAY, ROUTE_A_TUESDAY, replace(ROUTE_B_MONDAY, worker_id=99)),
        ),
        Rule.UNKNOWN,
    ),
    (
        "unknown_visit",
        lambda: (
            WEEK,
            with_routes(
                ROUTE_A_MONDAY,
                ROUTE_A_TUESDAY,
                with_stops(
                    ROUTE_B_MONDAY,
                    ROUTE_B_MONDAY.stops[0],
                    Assignment(999, 2, at(0, 11), at(0, 12)),
                ),
            ),
        ),
        Rule.UNKNOWN,
    ),
    (
        "unknown_unserved_visit",
        lambda: (WEEK, replace(PLAN, unserved=(Unserved(999, Reason.CAPACITY, "?"),))),
        Rule.UNKNOWN,
    ),
    (
        "stop_of_another_worker",
        lambda: (
            WEEK,
            with_routes(
                ROUTE_A_MONDAY,
                ROUTE_A_TUESDAY,
                with_stops(ROUTE_B_MONDAY, replace(ROUTE_B_MONDAY.stops[0], worker_id=1)),
            ),
        ),
        Rule.UNKNOWN,
    ),
    (
        "site_without_coordinates",
        lambda: (
            replace(
                WEEK,
                visits=tuple(
                    replace(v, location=None) if v.id == VISIT_3.id else v for v in WEEK.visits
                ),
            ),
            PLAN,
        ),
        Rule.TRAVEL,
    ),
]


@pytest.mark.parametrize(("build", "rule"), [pytest.param(b, r, id=i) for i, b, r in CASES])
def test_the_checker_rejects_a_plan_breaking(
    build: Callable[[], tuple[Week, Plan]], rule: Rule
) -> None:
    week, plan = build()
    violations = check(week, plan, matrix_travel())
    assert rule in {v.rule for v in violations}
    assert all(v.message and v.message[0].isupper() for v in violations)
    assert any(v.blocking for v in violations if v.rule == rule)


def test_weekly_minimum_is_reported_without_blocking() -> None:
    violations = check(with_worker_a(weekly_min_minutes=300), PLAN, matrix_travel())
    assert [(v.rule, v.blocking, v.worker_id) for v in violations] == [(Rule.WEEKLY_MIN, False, 1)]
    assert "4 h 00" in violations[0].message and "5 h 00" in violations[0].message


def test_messages_name_the_worker_and_the_intervention() -> None:
    violations = check(with_worker_a(skills=frozenset({"menage"})), PLAN, matrix_travel())
    assert [v.message for v in violations] == [
        "Garage Dupuis (lundi 11:20) : Alice Martin n'a pas la compétence « repassage »."
    ]


def test_a_break_long_enough_satisfies_the_rule() -> None:
    # 20 free minutes between the visits (10 of travel + 20 waiting) reset the count.
    week = replace(WEEK, breaks=BreakRule(after_minutes=150, length_minutes=20))
    plan = with_routes(
        with_stops(
            ROUTE_A_MONDAY,
            ROUTE_A_MONDAY.stops[0],
            Assignment(102, 1, at(0, 11, 30), at(0, 12, 30)),
            back=at(0, 12, 40),
        ),
        ROUTE_A_TUESDAY,
        ROUTE_B_MONDAY,
    )
    assert check(week, plan, matrix_travel()) == []
