"""Final equity repair: an insertion worker below the band gets a whole new week by CP-SAT.

The neighbourhoods of the search re-assign a few workers' weeks with travel estimated; a
worker whose band needs one precise combination of visits on every day (the visits that fit
end to end in a short shift, held by many different workers) is out of their reach. Here
the worker's days are routed exactly (one circuit per shift over every visit the worker
could do: windows, durations, travel from home, between stops and back), and any visit may
be taken from whoever holds it, with that holder's hours, continuity and travel saved in
the objective. The worker's own visits left out are re-inserted elsewhere; the move is
kept only if the true objective improves.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from tremplin.planning.engine.construct import best_insertion
from tremplin.planning.engine.model import (
    EMPTY,
    EQUITY_BAND,
    W_BAND,
    W_DEVIATION,
    W_MINIMUM,
    W_TRAVEL,
    W_UNSERVED,
    Clock,
    Context,
    State,
    continuity_cost,
    objective,
)

# CP-SAT limits of one worker's model (deterministic, then wall-clock safety).
EQUITY_DETERMINISTIC = 2.0
EQUITY_SECONDS = 4.0
# Visits offered to each shift besides its own: the nearest to the worker's home, a small
# model first (solved in under a second), then a larger one.
NEAREST_VISITS = (30, 60)


def _penalty_var(
    model: cp_model.CpModel, worker_minutes: cp_model.LinearExprT, top: int, ctx: Context, wi: int
) -> cp_model.LinearExprT:
    """The equity and weekly-minimum penalty of worker ``wi`` as a CP-SAT expression."""
    worker = ctx.workers[wi]
    terms: list[cp_model.LinearExprT] = []
    if worker.is_insertion:
        target = worker.weekly_target_minutes
        deviation = model.new_int_var(0, max(top, target), "")
        model.add(deviation >= worker_minutes - target)
        model.add(deviation >= target - worker_minutes)
        excess = model.new_int_var(0, max(top, target), "")
        model.add(excess >= deviation - round(EQUITY_BAND * target))
        terms.append(W_BAND * excess + W_DEVIATION * deviation)
    if worker.weekly_min_minutes > 0:
        shortfall = model.new_int_var(0, worker.weekly_min_minutes, "")
        model.add(shortfall >= worker.weekly_min_minutes - worker_minutes)
        terms.append(W_MINIMUM * shortfall)
    return sum(terms) if terms else 0


def _model_week(
    ctx: Context, state: State, wi: int, nearest: int, seed: int, seconds: float
) -> dict[int, list[int]] | None:
    """New sequences of the shifts of ``wi`` (CP-SAT, exact routing without the break)."""
    tr = ctx.tr
    worker = ctx.workers[wi]
    home = ctx.home[wi]
    own = {vi for si in ctx.worker_shifts[wi] for vi in state.seq.get(si, ())}
    # Cost of re-inserting each of the worker's visits elsewhere, if it is left out.
    elsewhere: dict[int, int] = {}
    for vi in own:
        if vi in ctx.lock:
            continue
        others = [si for si in ctx.candidates[vi] if ctx.shifts[si].worker != wi]
        found = best_insertion(ctx, state, vi, others)
        elsewhere[vi] = found[0] if found is not None else W_UNSERVED
    model = cp_model.CpModel()
    used: dict[tuple[int, int], cp_model.IntVar] = {}
    order: dict[int, list[tuple[int, int, cp_model.IntVar]]] = {}
    objective_terms: list[cp_model.LinearExprT] = []
    for si in ctx.worker_shifts[wi]:
        shift = ctx.shifts[si]
        mine = state.seq.get(si, [])
        near = sorted(
            (vi for vi in ctx.shift_visits[si] if ctx.lock.get(vi, wi) == wi and vi not in mine),
            key=lambda vi: (tr[home][ctx.vloc[vi]], vi),
        )
        visits = [*mine, *near[:nearest]]
        if not visits:
            continue
        times = [
            model.new_int_var(
                max(ctx.early[vi], shift.start + tr[home][ctx.vloc[vi]]), ctx.late[vi], ""
            )
            for vi in visits
        ]
        empty = model.new_bool_var("")
        model.add_hint(empty, not mine)
        arcs: list[tuple[int, int, cp_model.LiteralT]] = [(0, 0, empty)]
        timed = state.timed.get(si)
        for i, vi in enumerate(visits):
            if timed is not None and i < len(mine):
                model.add_hint(times[i], timed.starts[i])
            take = model.new_bool_var("")
            used[(vi, si)] = take
            arcs.append((i + 1, i + 1, ~take))
            out = model.new_bool_var("")
            model.add_hint(out, bool(mine) and mine[0] == vi)
            arcs.append((0, i + 1, out))
            objective_terms.append(W_TRAVEL * tr[home][ctx.vloc[vi]] * out)
            back = model.new_bool_var("")
            model.add_hint(back, bool(mine) and mine[-1] == vi)
            arcs.append((i + 1, 0, back))
            objective_terms.append(W_TRAVEL * tr[ctx.vloc[vi]][home] * back)
            model.add(times[i] + ctx.dur[vi] + tr[ctx.vloc[vi]][home] <= shift.end).only_enforce_if(
                back
            )
        chained: list[tuple[int, int, cp_model.IntVar]] = []
        following = dict(zip(mine, mine[1:], strict=False))
        for i, a in enumerate(visits):
            for j, b in enumerate(visits):
                gap = ctx.dur[a] + tr[ctx.vloc[a]][ctx.vloc[b]]
                if i == j or ctx.early[a] + gap > ctx.late[b]:
                    continue
                arc = model.new_bool_var("")
                arcs.append((i + 1, j + 1, arc))
                chained.append((a, b, arc))
                model.add(times[j] >= times[i] + gap).only_enforce_if(arc)
                model.add_hint(arc, following.get(a) == b)
                travel = tr[ctx.vloc[a]][ctx.vloc[b]]
                if travel:
                    objective_terms.append(W_TRAVEL * travel * arc)
        model.add_circuit(arcs)
        order[si] = chained
    if not used:
        return None
    per_visit: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (vi, _), var in used.items():
        per_visit[vi].append(var)
    taken: dict[int, cp_model.LinearExprT] = {}
    for vi, choices in per_visit.items():
        model.add_at_most_one(choices)
        taken[vi] = sum(choices)
    # The worker's own limits and penalty.
    day_terms: dict[int, list[cp_model.LinearExprT]] = defaultdict(list)
    mad_terms: list[cp_model.LinearExprT] = []
    for (vi, si), var in used.items():
        day_terms[ctx.shifts[si].day].append(ctx.dur[vi] * var)
        if ctx.mad[vi]:
            mad_terms.append(ctx.dur[vi] * var)
        objective_terms.append(continuity_cost(ctx, vi, si) * var)
    for terms in day_terms.values():
        model.add(sum(terms) <= worker.daily_max_minutes)
    if mad_terms:
        model.add(sum(mad_terms) <= ctx.mad_cap[wi])
    minutes = sum(ctx.dur[vi] * var for (vi, _), var in used.items())
    model.add(minutes <= worker.weekly_max_minutes)
    objective_terms.append(_penalty_var(model, minutes, worker.weekly_max_minutes, ctx, wi))
    # What the other holders lose and the visits left out cost.
    lost: dict[int, list[tuple[int, cp_model.LinearExprT]]] = defaultdict(list)
    for vi, amount in taken.items():
        held = state.where.get(vi)
        if held is None:
            objective_terms.append(-W_UNSERVED * amount)
            continue
        holder = ctx.shifts[held].worker
        if holder == wi:
            if vi in elsewhere:
                objective_terms.append(elsewhere[vi] * (1 - amount))
            else:
                model.add(amount == 1)
            continue
        lost[holder].append((ctx.dur[vi], amount))
        objective_terms.append(-continuity_cost(ctx, vi, held) * amount)
        route = state.seq[held]
        k = route.index(vi)
        stops = [ctx.home[holder], *(ctx.vloc[v] for v in route), ctx.home[holder]]
        saving = tr[stops[k]][stops[k + 1]] + tr[stops[k + 1]][stops[k + 2]]
        saving -= tr[stops[k]][stops[k + 2]]
        objective_terms.append(-W_TRAVEL * max(0, saving) * amount)
    for holder, items in lost.items():
        left = state.minutes[holder] - sum(d * take for d, take in items)
        objective_terms.append(_penalty_var(model, left, state.minutes[holder], ctx, holder))
    model.minimize(sum(objective_terms))
    for (vi, si), var in used.items():
        model.add_hint(var, state.where.get(vi) == si)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = EQUITY_DETERMINISTIC
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    result: dict[int, list[int]] = {}
    for si, chained in order.items():
        chosen = {vi for (vi, s), var in used.items() if s == si and solver.boolean_value(var)}
        following = {a: b for a, b, arc in chained if solver.boolean_value(arc)}
        starts = chosen - set(following.values())
        ordered: list[int] = []
        current = next(iter(starts), None)
        while current is not None and len(ordered) <= len(chosen):
            ordered.append(current)
            current = following.get(current)
        if set(ordered) != chosen:
            return None
        result[si] = ordered
    return result


def _apply(ctx: Context, state: State, wi: int, routes: dict[int, list[int]]) -> bool:
    """Give the shifts of ``wi`` their new sequences; ``False`` (state partly changed) when a
    route does not fit or a left-out visit cannot be placed elsewhere."""
    shifts = ctx.worker_shifts[wi]
    wanted = {vi for seq in routes.values() for vi in seq}
    dropped = [vi for si in shifts for vi in state.seq.get(si, ()) if vi not in wanted]
    for si in shifts:
        state.set_route(si, [], EMPTY)
    # Take the chosen visits off their holders.
    by_shift: dict[int, list[int]] = defaultdict(list)
    for vi in wanted:
        held = state.where.get(vi)
        if held is not None:
            by_shift[held].append(vi)
    for si, visits in by_shift.items():
        seq = [v for v in state.seq[si] if v not in visits]
        timed = ctx.schedule(si, seq) if seq else EMPTY
        if timed is None:
            return False
        state.set_route(si, seq, timed)
    for si, seq in routes.items():
        if not seq:
            continue
        timed = ctx.schedule(si, seq)
        if timed is None:
            return False
        state.set_route(si, seq, timed)
    for vi in sorted(dropped, key=lambda v: (len(ctx.candidates[v]), ctx.early[v], v)):
        others = [si for si in ctx.candidates[vi] if ctx.shifts[si].worker != wi]
        found = best_insertion(ctx, state, vi, others)
        if found is None:
            return False
        state.set_route(found[1], found[2], found[3])
    return True


def equity_repair(ctx: Context, state: State, clock: Clock, *, reserve: float, seed: int) -> int:
    """Re-plan the week of each insertion worker below the band, furthest first; returns the
    number of workers whose week changed."""
    below = [
        wi
        for wi, worker in enumerate(ctx.workers)
        if worker.is_insertion
        and ctx.worker_shifts[wi]
        and state.minutes[wi] < round((1 - EQUITY_BAND) * worker.weekly_target_minutes)
    ]
    # Closest to the band first: the cheapest to bring in.
    below.sort(
        key=lambda wi: (
            round((1 - EQUITY_BAND) * ctx.workers[wi].weekly_target_minutes) - state.minutes[wi],
            wi,
        )
    )
    changed = 0
    for number, wi in enumerate(below):
        for nearest in NEAREST_VISITS:
            left = clock.left() - reserve
            if left <= 0.2:
                return changed
            routes = _model_week(ctx, state, wi, nearest, seed + number, min(EQUITY_SECONDS, left))
            if routes is None:
                continue
            before = objective(ctx, state)
            saved = state.copy()
            if _apply(ctx, state, wi, routes) and objective(ctx, state) < before:
                changed += 1
                continue
            state.seq, state.timed, state.where = saved.seq, saved.timed, saved.where
            state.minutes, state.mad = saved.minutes, saved.mad
            state.day_minutes = saved.day_minutes
    return changed
