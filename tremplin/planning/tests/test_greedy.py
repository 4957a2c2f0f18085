from __future__ import annotations

from dataclasses import replace

from tremplin.planning.checker import check
from tremplin.planning.generate import generate_week
from tremplin.planning.greedy import plan_greedy
from tremplin.planning.problem import Reason, Visit
from tremplin.planning.tests.weeks import (
    SITE_1,
    VISIT_3,
    WEEK,
    WORKER_A,
    WORKER_B,
    at,
    matrix_travel,
)
from tremplin.planning.travel import SpeedModel


def worker_of(week_plan: object) -> dict[int, int]:
    return {stop.visit_id: stop.worker_id for stop in week_plan.assignments()}


def test_first_fit_plans_of_generated_weeks_pass_the_checker() -> None:
    week = generate_week(20, 300, seed=2)
    travel = SpeedModel()
    plan = plan_greedy(week, travel=travel)
    assert [v.message for v in check(week, plan, travel) if v.blocking] == []
    assert len(plan.assignments()) + len(plan.unserved) == len(week.visits)


def test_the_hand_made_week_is_valid_and_keeps_the_lock() -> None:
    plan = plan_greedy(WEEK, travel=matrix_travel())
    assert [v for v in check(WEEK, plan, matrix_travel()) if v.blocking] == []
    assert worker_of(plan)[104] == 1


def test_the_usual_worker_comes_first_then_the_first_of_the_list() -> None:
    usual = replace(VISIT_3, usual_worker_id=2)
    other = replace(
        VISIT_3,
        id=110,
        client_id=510,
        location=SITE_1,
        earliest_start=at(0, 14),
        latest_start=at(0, 14),
    )
    week = replace(WEEK, visits=(usual, other), locks=())
    plan = plan_greedy(week, travel=matrix_travel())
    assert worker_of(plan) == {103: 2, 110: 1}


def test_a_visit_nobody_can_take_is_reported() -> None:
    gardening = Visit(
        120, 520, SITE_1, at(0, 9), at(0, 9), 60, frozenset({"jardinage"}), label="Parc"
    )
    busy = replace(VISIT_3, id=121, client_id=521, earliest_start=at(0, 9), latest_start=at(0, 9))
    week = replace(WEEK, workers=(WORKER_A, WORKER_B), visits=(VISIT_3, busy, gardening), locks=())
    plan = plan_greedy(week, travel=matrix_travel())
    reasons = {u.visit_id: u.reason for u in plan.unserved}
    assert reasons[120] == Reason.NO_SKILL
    assert set(worker_of(plan)) == {103, 121}
