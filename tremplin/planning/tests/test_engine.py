from __future__ import annotations

from dataclasses import replace

import pytest

from tremplin.planning import engine
from tremplin.planning.bench import band_reachable
from tremplin.planning.checker import check
from tremplin.planning.engine.equity import equity_repair
from tremplin.planning.engine.model import Clock, Context, State, analyse, objective
from tremplin.planning.engine.pipeline import build_plan
from tremplin.planning.generate import generate_week
from tremplin.planning.greedy import plan_greedy
from tremplin.planning.problem import (
    Interval,
    Lock,
    Plan,
    Reason,
    Rule,
    Visit,
    Week,
)
from tremplin.planning.tests.weeks import (
    SITE_1,
    SITE_2,
    VISIT_2,
    VISIT_3,
    WEEK,
    WORKER_A,
    WORKER_B,
    at,
    matrix_travel,
)
from tremplin.planning.travel import SpeedModel


def blocking(week: Week, plan: Plan, travel: object = None) -> list[str]:
    model = travel or matrix_travel()
    return [v.message for v in check(week, plan, model) if v.blocking]


def reasons(plan: Plan) -> dict[int, Reason]:
    return {item.visit_id: item.reason for item in plan.unserved}


def worker_of(plan: Plan) -> dict[int, int]:
    return {stop.visit_id: stop.worker_id for stop in plan.assignments()}


def test_the_hand_made_week_is_fully_served_and_valid() -> None:
    plan = engine.solve(WEEK, travel=matrix_travel(), seconds=5)
    assert blocking(WEEK, plan) == []
    assert plan.unserved == ()
    # Only Alice does ironing; the Tuesday visit is locked to her.
    assert worker_of(plan)[102] == 1
    assert worker_of(plan)[104] == 1


@pytest.mark.parametrize("seed", [1, 2])
def test_plans_of_small_generated_weeks_pass_the_checker(seed: int) -> None:
    week = generate_week(8, 70, seed=seed, lock_share=0.2)
    travel = SpeedModel()
    plan = engine.solve(week, travel=travel, seconds=5, seed=seed)
    assert blocking(week, plan, travel) == []
    accounted = {stop.visit_id for stop in plan.assignments()} | {u.visit_id for u in plan.unserved}
    assert accounted == {visit.id for visit in week.visits}
    # Locks are kept: the visit goes to the locked worker or is reported with that reason.
    assert week.locks
    for lock in week.locks:
        if lock.visit_id in worker_of(plan):
            assert worker_of(plan)[lock.visit_id] == lock.worker_id
        else:
            assert reasons(plan)[lock.visit_id] == Reason.LOCKED_WORKER


def test_a_lock_with_a_start_time_is_kept() -> None:
    week = replace(WEEK, locks=(Lock(103, 2, start=at(0, 9, 45)),))
    plan = engine.solve(week, travel=matrix_travel(), seconds=3)
    stop = next(s for s in plan.assignments() if s.visit_id == 103)
    assert (stop.worker_id, stop.start) == (2, at(0, 9, 45))
    assert blocking(week, plan) == []


def visit(number: int, **changes: object) -> Visit:
    return replace(VISIT_3, id=number, client_id=900 + number, **changes)


# Each case adds one intervention that cannot be staffed, for the reason named.
REASON_CASES = [
    ("site_without_coordinates", visit(201, location=None), WEEK, Reason.NO_LOCATION),
    (
        "nobody_knows_the_service",
        visit(202, required_skills=frozenset({"jardinage"})),
        WEEK,
        Reason.NO_SKILL,
    ),
    (
        "nobody_holds_the_habilitation",
        visit(203, required_habilitations=frozenset({"caces"})),
        WEEK,
        Reason.NO_HABILITATION,
    ),
    (
        "everybody_absent_that_day",
        visit(204, earliest_start=at(2, 9), latest_start=at(2, 10)),
        WEEK,
        Reason.ABSENT,
    ),
    (
        "window_too_tight_to_get_home",
        visit(205, earliest_start=at(0, 17), latest_start=at(0, 17), duration=55),
        WEEK,
        Reason.WINDOW,
    ),
    (
        "longer_than_the_weekly_maximum",
        visit(
            206,
            required_skills=frozenset({"repassage"}),
            duration=240,
            earliest_start=at(0, 13),
            latest_start=at(0, 13),
        ),
        replace(WEEK, workers=(replace(WORKER_A, weekly_max_minutes=230), WORKER_B)),
        Reason.WEEKLY_MAX,
    ),
    (
        "mad_cap_reached",
        visit(
            207,
            required_skills=frozenset({"repassage"}),
            counts_toward_mad_cap=True,
            earliest_start=at(0, 14),
            latest_start=at(0, 14),
        ),
        replace(WEEK, workers=(replace(WORKER_A, mad_cap_minutes=60), WORKER_B)),
        Reason.MAD_CAP,
    ),
    (
        "locked_worker_not_working_that_day",
        visit(208, earliest_start=at(1, 15), latest_start=at(1, 15)),
        replace(WEEK, locks=(*WEEK.locks, Lock(208, 2))),
        Reason.LOCKED_WORKER,
    ),
    (
        "only_qualified_worker_already_busy",
        visit(
            209,
            required_skills=frozenset({"repassage"}),
            location=SITE_1,
            earliest_start=at(0, 9, 30),
            latest_start=at(0, 9, 30),
        ),
        WEEK,
        Reason.CAPACITY,
    ),
]


@pytest.mark.parametrize(
    ("extra", "week", "reason"), [pytest.param(e, w, r, id=i) for i, e, w, r in REASON_CASES]
)
def test_an_intervention_that_cannot_be_staffed_gets_its_reason(
    extra: Visit, week: Week, reason: Reason
) -> None:
    week = replace(week, visits=(*week.visits, extra))
    plan = engine.solve(week, travel=matrix_travel(), seconds=3)
    assert reasons(plan) == {extra.id: reason}
    message = next(u.message for u in plan.unserved)
    assert extra.name in message
    assert blocking(week, plan) == []


def test_the_weekly_maximum_reached_during_planning_is_the_reason() -> None:
    # Only Alice irons; with 110 minutes a week she can take one of the two 60-minute visits.
    second = replace(
        VISIT_2, id=210, client_id=910, earliest_start=at(0, 14), latest_start=at(0, 15)
    )
    week = replace(
        WEEK,
        workers=(replace(WORKER_A, weekly_max_minutes=110), WORKER_B),
        visits=(VISIT_2, VISIT_3, second),
        locks=(),
    )
    plan = engine.solve(week, travel=matrix_travel(), seconds=3)
    assert list(reasons(plan).values()) == [Reason.WEEKLY_MAX]
    assert blocking(week, plan) == []


def test_a_week_with_too_little_capacity_reports_every_unserved_intervention() -> None:
    week = generate_week(3, 90, seed=4, lock_share=0.0)
    travel = SpeedModel()
    plan = engine.solve(week, travel=travel, seconds=4)
    assert len(plan.unserved) > 20
    assert len(plan.assignments()) + len(plan.unserved) == len(week.visits)
    assert blocking(week, plan, travel) == []
    assert {u.reason for u in plan.unserved} <= {
        Reason.CAPACITY,
        Reason.WEEKLY_MAX,
        Reason.NO_SKILL,
        Reason.NO_HABILITATION,
        Reason.ABSENT,
        Reason.WINDOW,
        Reason.MAD_CAP,
    }
    assert Reason.CAPACITY in {u.reason for u in plan.unserved}


def test_the_client_keeps_the_usual_worker_when_possible() -> None:
    # Alice lives nearer, but Bruno is the usual worker and is free.
    workers = (replace(WORKER_A, is_insertion=False, weekly_min_minutes=0), WORKER_B)
    week = replace(
        WEEK, workers=workers, visits=(VISIT_2, replace(VISIT_3, usual_worker_id=2)), locks=()
    )
    plan = engine.solve(week, travel=matrix_travel(), seconds=3)
    assert worker_of(plan)[103] == 2


def test_hours_are_shared_to_bring_insertion_workers_near_target() -> None:
    # Six two-hour visits over two days for two insertion workers wanting six hours each:
    # first fit gives the first worker everything, the engine six hours each.
    days = (Interval(at(0, 8), at(0, 18)), Interval(at(1, 8), at(1, 18)))
    first = replace(
        WORKER_A,
        weekly_target_minutes=360,
        weekly_max_minutes=720,
        weekly_min_minutes=0,
        absences=(),
    )
    second = replace(
        WORKER_B,
        is_insertion=True,
        weekly_target_minutes=360,
        weekly_max_minutes=720,
        availability=days,
    )
    visits = tuple(
        Visit(
            300 + k,
            800 + k,
            SITE_2,
            at(k // 3, 8, 30) + 135 * (k % 3),
            at(k // 3, 8, 30) + 135 * (k % 3) + 5,
            120,
            frozenset({"menage"}),
        )
        for k in range(6)
    )
    week = Week(1, WEEK.monday, (first, second), visits)
    plan = engine.solve(week, travel=matrix_travel(), seconds=3)
    assert plan.minutes_by_worker() == {1: 360, 2: 360}
    assert blocking(week, plan) == []
    assert plan_greedy(week, travel=matrix_travel()).minutes_by_worker() == {1: 720}


def test_the_legal_break_is_placed_in_a_long_day() -> None:
    # Four 100-minute visits with room to move: more than 6 h of work needs a 20-minute pause.
    worker = replace(WORKER_B, daily_max_minutes=480)
    visits = tuple(
        Visit(
            400 + k,
            850 + k,
            SITE_1,
            at(0, 8, 30) + 110 * k,
            at(0, 8, 30) + 110 * k + 60,
            100,
            frozenset({"menage"}),
        )
        for k in range(4)
    )
    week = Week(1, WEEK.monday, (worker,), visits)
    plan = engine.solve(week, travel=matrix_travel(), seconds=3)
    assert plan.unserved == ()
    assert blocking(week, plan) == []
    starts = sorted(stop.start for stop in plan.assignments())
    gaps = [b - a - 100 for a, b in zip(starts, starts[1:], strict=False)]
    assert max(gaps) >= 20


def test_the_same_seed_gives_the_same_plan() -> None:
    week = generate_week(6, 50, seed=7)
    travel = SpeedModel()
    first = engine.solve(week, travel=travel, seconds=8, seed=3)
    second = engine.solve(week, travel=travel, seconds=8, seed=3)
    assert first.routes == second.routes
    assert first.unserved == second.unserved


def test_progress_is_reported_up_to_the_end() -> None:
    steps: list[tuple[float, str]] = []
    engine.solve(
        WEEK, travel=matrix_travel(), seconds=2, progress=lambda f, s: steps.append((f, s))
    )
    fractions = [fraction for fraction, _ in steps]
    assert fractions == sorted(fractions)
    assert steps[0] == (0.0, "Analyse de la semaine")
    assert steps[-1] == (1.0, "Terminé")


def test_the_engine_beats_first_fit_on_a_generated_week() -> None:
    week = generate_week(20, 300, seed=5)
    travel = SpeedModel()
    plan = engine.solve(week, travel=travel, seconds=8, seed=5)
    greedy = plan_greedy(week, travel=travel)
    assert blocking(week, plan, travel) == []
    assert blocking(week, greedy, travel) == []
    assert len(plan.unserved) < len(greedy.unserved)

    def within_band(result: Plan) -> int:
        minutes = result.minutes_by_worker()
        return sum(
            1
            for w in week.workers
            if w.is_insertion
            and abs(minutes.get(w.id, 0) - w.weekly_target_minutes) <= 0.1 * w.weekly_target_minutes
        )

    assert within_band(plan) > within_band(greedy)
    assert plan.travel_minutes() / len(plan.assignments()) < greedy.travel_minutes() / len(
        greedy.assignments()
    )


def test_two_workers_with_the_same_id_are_refused() -> None:
    week = replace(WEEK, workers=(WORKER_A, replace(WORKER_B, id=1)))
    with pytest.raises(ValueError, match="même identifiant"):
        engine.solve(week, travel=matrix_travel(), seconds=1)


def test_a_worker_with_two_availabilities_in_a_day_has_two_routes() -> None:
    split = replace(
        WORKER_B,
        availability=(Interval(at(0, 8), at(0, 12)), Interval(at(0, 14), at(0, 18))),
    )
    late = replace(
        VISIT_3,
        id=105,
        client_id=505,
        location=SITE_2,
        earliest_start=at(0, 15),
        latest_start=at(0, 15),
    )
    week = Week(1, WEEK.monday, (split,), (VISIT_3, late))
    plan = engine.solve(week, travel=matrix_travel(), seconds=2)
    assert plan.unserved == ()
    assert len(plan.routes) == 2
    assert blocking(week, plan) == []
    assert check(week, plan, matrix_travel()) == [] or all(
        v.rule == Rule.WEEKLY_MIN for v in check(week, plan, matrix_travel())
    )


def test_messages_use_the_labels_the_week_gives() -> None:
    extra = visit(211, required_habilitations=frozenset({"caces"}))
    week = replace(WEEK, visits=(*WEEK.visits, extra), labels=(("caces", "CACES"),))
    plan = engine.solve(week, travel=matrix_travel(), seconds=1)
    assert [u.message for u in plan.unserved] == [
        "M. Blanc (lundi 09:00) : aucun intervenant compétent n'a l'habilitation « CACES »."
    ]


def test_the_equity_repair_brings_a_worker_below_the_band_back_into_it() -> None:
    # Six two-hour visits all held by a salaried worker; the insertion worker wanting six
    # hours has none. The repair re-plans the insertion worker's week, taking visits from
    # the holder, and the plan stays valid.
    days = (Interval(at(0, 8), at(0, 18)), Interval(at(1, 8), at(1, 18)))
    insertion = replace(
        WORKER_A, weekly_target_minutes=360, weekly_max_minutes=720, weekly_min_minutes=0
    )
    insertion = replace(insertion, absences=(), availability=days)
    salaried = replace(WORKER_B, availability=days, weekly_target_minutes=900)
    visits = tuple(
        Visit(
            300 + k,
            800 + k,
            SITE_2,
            at(k // 3, 8, 30) + 135 * (k % 3),
            at(k // 3, 8, 30) + 135 * (k % 3) + 5,
            120,
            frozenset({"menage"}),
        )
        for k in range(6)
    )
    week = Week(1, WEEK.monday, (insertion, salaried), visits)
    ctx = Context(week, matrix_travel())
    analyse(ctx)
    state = State(ctx)
    for si in ctx.worker_shifts[1]:
        day_visits = [vi for vi in ctx.shift_visits[si]]
        timed = ctx.schedule(si, day_visits)
        assert timed is not None
        state.set_route(si, day_visits, timed)
    assert state.minutes == [0, 720]
    before = objective(ctx, state)
    assert equity_repair(ctx, state, Clock(10), reserve=0.0, seed=0) == 1
    assert objective(ctx, state) < before
    assert 324 <= state.minutes[0] <= 396
    plan = build_plan(ctx, state, Clock(1))
    assert plan.unserved == ()
    assert blocking(week, plan) == []


def test_the_bench_proves_a_band_out_of_reach_only_when_it_is() -> None:
    # Eight hours of target: one seven-hour day cannot reach 90 % of it, two days can.
    one_day = replace(
        WORKER_A,
        availability=(Interval(at(0, 8), at(0, 18)),),
        absences=(),
        weekly_target_minutes=480,
        weekly_max_minutes=600,
        weekly_min_minutes=0,
    )
    two_days = replace(
        one_day, id=3, availability=(Interval(at(0, 8), at(0, 18)), Interval(at(1, 8), at(1, 18)))
    )
    visits = tuple(
        Visit(
            400 + k,
            900 + k,
            SITE_1,
            at(k // 4, 8, 30) + 130 * (k % 4),
            at(k // 4, 18),
            120,
            frozenset({"menage"}),
        )
        for k in range(8)
    )
    week = Week(1, WEEK.monday, (one_day, two_days), visits)
    assert band_reachable(week) == {1: False, 3: True}
