"""``solve``: the engine's stages in order, and the plan they produce."""

from __future__ import annotations

from tremplin.planning.engine.construct import balance, construct, repair
from tremplin.planning.engine.equity import equity_repair
from tremplin.planning.engine.model import (
    EQUITY_BAND,
    Clock,
    Context,
    State,
    analyse,
    dynamic_reason,
    objective,
)
from tremplin.planning.engine.routing import polish
from tremplin.planning.engine.search import LNS_ROUNDS_PER_SECOND, ROUNDS_PER_WORKER, improve
from tremplin.planning.problem import Assignment, Plan, Progress, Route, Unserved, Week
from tremplin.planning.travel import TravelModel

# Shares of the budget left after construction: the search, the equity repair of the
# insertion workers still below the band, then the daily routing.
IMPROVE_SHARE = 0.72
EQUITY_SHARE = 0.13
POLISH_SHARE = 0.05


def build_plan(ctx: Context, state: State, clock: Clock) -> Plan:
    routes: list[Route] = []
    for si in sorted(
        state.seq, key=lambda s: (ctx.shifts[s].start, ctx.workers[ctx.shifts[s].worker].id)
    ):
        seq = state.seq[si]
        timed = state.timed[si]
        shift = ctx.shifts[si]
        worker = ctx.workers[shift.worker]
        stops = tuple(
            Assignment(ctx.visits[vi].id, worker.id, start, start + ctx.dur[vi])
            for vi, start in zip(seq, timed.starts, strict=True)
        )
        routes.append(
            Route(
                worker.id,
                shift.day,
                worker.home,
                worker.home,
                timed.leave,
                timed.back,
                stops,
                timed.travel,
            )
        )
    unserved: list[Unserved] = []
    for vi, visit in enumerate(ctx.visits):
        if vi in state.where:
            continue
        reason, message = ctx.reasons.get(vi) or dynamic_reason(ctx, state, vi)
        unserved.append(Unserved(visit.id, reason, message))
    served = len(state.where)
    insertion = [wi for wi, w in enumerate(ctx.workers) if w.is_insertion]
    within = sum(
        1
        for wi in insertion
        if abs(state.minutes[wi] - ctx.workers[wi].weekly_target_minutes)
        <= EQUITY_BAND * ctx.workers[wi].weekly_target_minutes
    )
    stats = {
        "served": float(served),
        "unserved": float(len(unserved)),
        "travel_minutes": float(sum(t.travel for t in state.timed.values())),
        "insertion_workers": float(len(insertion)),
        "insertion_within_band": float(within),
        "objective": float(objective(ctx, state)),
    }
    return Plan(tuple(routes), tuple(unserved), seconds=round(clock.elapsed(), 3), stats=stats)


def solve(
    week: Week,
    *,
    travel: TravelModel,
    seconds: float,
    progress: Progress | None = None,
    seed: int = 0,
) -> Plan:
    """Plan ``week`` within about ``seconds`` of wall time, on one thread."""
    clock = Clock(seconds)

    def report(fraction: float, step: str) -> None:
        if progress is not None:
            progress(min(1.0, max(0.0, fraction)), step)

    report(0.0, "Analyse de la semaine")
    ctx = Context(week, travel)
    analyse(ctx)
    state = State(ctx)
    report(0.05, "Première affectation")
    construct(ctx, state)
    repair(ctx, state, clock, reserve=clock.left() * 0.9)
    balance(ctx, state, clock, reserve=clock.left() * 0.8)
    budget = clock.left()
    staffed = sum(1 for shifts in ctx.worker_shifts if shifts)
    rounds = min(int(budget * IMPROVE_SHARE * LNS_ROUNDS_PER_SECOND), ROUNDS_PER_WORKER * staffed)
    done = improve(
        ctx,
        state,
        clock,
        rounds,
        reserve=budget * (1 - IMPROVE_SHARE),
        seed=seed,
        report=lambda share: report(0.1 + 0.7 * share, "Amélioration de l'affectation"),
    )
    report(0.8, "Équité des heures")
    repaired = equity_repair(
        ctx, state, clock, reserve=budget * (1 - IMPROVE_SHARE - EQUITY_SHARE), seed=seed
    )
    report(0.9, "Calcul des tournées")
    balance(ctx, state, clock, reserve=budget * POLISH_SHARE)
    polish(ctx, state, clock, budget * POLISH_SHARE, seed)
    repair(ctx, state, clock, reserve=0.0)
    report(1.0, "Terminé")
    plan = build_plan(ctx, state, clock)
    plan.stats["rounds"] = float(done)
    plan.stats["equity_repairs"] = float(repaired)
    return plan
