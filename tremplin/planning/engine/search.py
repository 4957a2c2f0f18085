"""Large-neighbourhood search: CP-SAT re-assigns the whole week of a few workers at a time."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from tremplin.planning.engine.construct import best_insertion, pull, sequence
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
    worker_penalty,
)

# Each round, CP-SAT re-assigns the week of a group of neighbouring workers, with this
# deterministic-time limit (and wall-clock safety limit). The number of rounds is the budget
# × share × LNS_ROUNDS_PER_SECOND (measured on the reference machine) and at most
# ROUNDS_PER_WORKER per worker (small weeks converge long before their budget), so that a
# seed gives the same plan.
GROUP_SIZES = (4, 6, 8)
LNS_DETERMINISTIC = 0.1
LNS_SECONDS = 2.0
LNS_ROUNDS_PER_SECOND = 8.0
ROUNDS_PER_WORKER = 25


def _conflicts(ctx: Context, pairs: dict[int, list[int]]) -> list[list[tuple[int, int]]]:
    """Groups of (visit, shift) choices of which at most one can hold: visits that must
    overlap in time (cliques), and pairs one shift cannot chain in either order."""
    per_shift: dict[int, list[int]] = defaultdict(list)
    for vi, shifts in pairs.items():
        for si in shifts:
            per_shift[si].append(vi)
    groups: list[list[tuple[int, int]]] = []
    for si, visits in per_shift.items():
        if len(visits) < 2:
            continue
        # Cliques: a visit surely occupies [latest start, earliest start + duration).
        cores = sorted(
            (ctx.late[vi], ctx.early[vi] + ctx.dur[vi], vi)
            for vi in visits
            if ctx.late[vi] < ctx.early[vi] + ctx.dur[vi]
        )
        covered: set[tuple[int, int]] = set()
        previous: frozenset[int] = frozenset()
        for point, _, _ in cores:
            clique = frozenset(vi for start, end, vi in cores if start <= point < end)
            if len(clique) >= 2 and not clique <= previous:
                groups.append([(vi, si) for vi in sorted(clique)])
                covered.update((a, b) for a in clique for b in clique)
            previous = clique
        ordered = sorted(visits, key=lambda vi: ctx.early[vi])
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if (a, b) in covered:
                    continue
                if not ctx.chains(a, b, si) and not ctx.chains(b, a, si):
                    groups.append([(a, si), (b, si)])
    return groups


def _detours(ctx: Context, state: State, pairs: dict[int, list[int]]) -> dict[tuple[int, int], int]:
    """Travel estimate of a visit on a shift given the current routes: the detour of
    inserting it where it fits in time (its removal saving when it is already there)."""
    tr = ctx.tr
    cost = {}
    for vi, shifts in pairs.items():
        loc = ctx.vloc[vi]
        for si in shifts:
            home = ctx.home[ctx.shifts[si].worker]
            seq = [v for v in state.seq.get(si, ()) if v != vi]
            stops = [home, *(ctx.vloc[v] for v in seq), home]
            best: int | None = None
            fallback: int | None = None
            for k in range(len(seq) + 1):
                detour = tr[stops[k]][loc] + tr[loc][stops[k + 1]] - tr[stops[k]][stops[k + 1]]
                fallback = detour if fallback is None else min(fallback, detour)
                if (k == 0 or ctx.early[seq[k - 1]] <= ctx.late[vi]) and (
                    k == len(seq) or ctx.early[vi] <= ctx.late[seq[k]]
                ):
                    best = detour if best is None else min(best, detour)
            chosen = best if best is not None else fallback
            cost[(vi, si)] = max(0, chosen or 0)
    return cost


def _assign(
    ctx: Context,
    group: list[int],
    pairs: dict[int, list[int]],
    cost: dict[tuple[int, int], int],
    hint: dict[int, int],
    deterministic: float,
    seconds: float,
    seed: int,
) -> dict[int, int] | None:
    """Visit → shift for the visits of ``pairs`` among the shifts of the workers of
    ``group`` (whose whole week is in the model), by CP-SAT; ``None`` if nothing found."""
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for vi, shifts in pairs.items():
        for si in shifts:
            x[(vi, si)] = model.new_bool_var("")
    served: list[cp_model.LinearExprT] = []
    for vi, shifts in pairs.items():
        if shifts:
            choices = [x[(vi, si)] for si in shifts]
            model.add_at_most_one(choices)
            served.extend(choices)
    for conflict in _conflicts(ctx, pairs):
        model.add_at_most_one(x[key] for key in conflict)

    terms: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    day_terms: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    mad_terms: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (vi, si), var in x.items():
        shift = ctx.shifts[si]
        terms[shift.worker].append((ctx.dur[vi], var))
        day_terms[(shift.worker, shift.day)].append((ctx.dur[vi], var))
        if ctx.mad[vi]:
            mad_terms[shift.worker].append((ctx.dur[vi], var))
    for (wi, _), items in day_terms.items():
        limit = ctx.workers[wi].daily_max_minutes
        if sum(d for d, _ in items) > limit:
            model.add(sum(d * v for d, v in items) <= limit)
    for wi, items in mad_terms.items():
        if sum(d for d, _ in items) > ctx.mad_cap[wi]:
            model.add(sum(d * v for d, v in items) <= ctx.mad_cap[wi])

    objective: list[cp_model.LinearExprT] = [-W_UNSERVED * sum(served)]
    for wi in group:
        worker = ctx.workers[wi]
        items = terms.get(wi, [])
        reachable = sum(d for d, _ in items)
        minutes: cp_model.LinearExprT = sum(d * v for d, v in items) if items else 0
        if reachable > worker.weekly_max_minutes:
            model.add(minutes <= worker.weekly_max_minutes)
        top = max(reachable, worker.weekly_target_minutes, worker.weekly_min_minutes)
        if worker.is_insertion:
            target = worker.weekly_target_minutes
            deviation = model.new_int_var(0, top, "")
            model.add(deviation >= minutes - target)
            model.add(deviation >= target - minutes)
            excess = model.new_int_var(0, top, "")
            model.add(excess >= deviation - round(EQUITY_BAND * target))
            objective.append(W_BAND * excess + W_DEVIATION * deviation)
        if worker.weekly_min_minutes > 0:
            shortfall = model.new_int_var(0, worker.weekly_min_minutes, "")
            model.add(shortfall >= worker.weekly_min_minutes - minutes)
            objective.append(W_MINIMUM * shortfall)
    for (vi, si), var in x.items():
        weight = W_TRAVEL * cost.get((vi, si), 0) + continuity_cost(ctx, vi, si)
        if weight:
            objective.append(weight * var)
    model.minimize(sum(objective))
    for (vi, si), var in x.items():
        model.add_hint(var, hint.get(vi) == si)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.max_deterministic_time = max(0.01, deterministic)
    # The models are small (a few workers): presolve costs more than it saves.
    solver.parameters.cp_model_presolve = False
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {vi: si for (vi, si), var in x.items() if solver.boolean_value(var)}


def _local_value(
    ctx: Context, state: State, group: list[int], shifts: list[int], visits: list[int]
) -> int:
    """The part of the objective a neighbourhood move can change."""
    value = sum(worker_penalty(ctx.workers[wi], state.minutes[wi]) for wi in group)
    value += W_TRAVEL * sum(state.timed[si].travel for si in shifts if si in state.timed)
    for vi in visits:
        si = state.where.get(vi)
        value += W_UNSERVED if si is None else continuity_cost(ctx, vi, si)
    return value


def _neighbourhood(
    ctx: Context, state: State, group: list[int], deterministic: float, seconds: float, seed: int
) -> bool:
    """Re-assign every visit of the workers of ``group`` (and the unplaced visits they could
    take) with CP-SAT, re-sequence their shifts; keep the result if the objective improves."""
    shifts = [si for wi in group for si in ctx.worker_shifts[wi]]
    chosen = set(shifts)
    released = [vi for si in shifts for vi in state.seq.get(si, ())]
    waiting = [
        vi
        for vi, candidates in enumerate(ctx.candidates)
        if candidates and vi not in state.where and any(si in chosen for si in candidates)
    ]
    visits = released + waiting
    if not visits:
        return False
    pairs = {vi: [si for si in ctx.candidates[vi] if si in chosen] for vi in visits}
    assignment = _assign(
        ctx, group, pairs, _detours(ctx, state, pairs), state.where, deterministic, seconds, seed
    )
    if assignment is None:
        return False
    before = _local_value(ctx, state, group, shifts, visits)
    saved = {si: (list(state.seq.get(si, ())), state.timed.get(si)) for si in shifts}
    per_shift: dict[int, list[int]] = defaultdict(list)
    for vi, si in assignment.items():
        per_shift[si].append(vi)
    for si in shifts:
        state.set_route(si, [], EMPTY)
    left = [vi for vi in visits if vi not in assignment]
    for si in shifts:
        seq, timed, lost = sequence(ctx, si, per_shift.get(si, []))
        if timed is not None:
            state.set_route(si, seq, timed)
        left.extend(lost)
    for vi in sorted(left, key=lambda v: (len(ctx.candidates[v]), ctx.early[v], v)):
        found = best_insertion(ctx, state, vi, [si for si in ctx.candidates[vi] if si in chosen])
        if found is not None:
            state.set_route(found[1], found[2], found[3])
    if _local_value(ctx, state, group, shifts, visits) < before:
        return True
    for si in shifts:
        state.set_route(si, [], EMPTY)
    for si, (seq, timed) in saved.items():
        if seq and timed is not None:
            state.set_route(si, seq, timed)
    return False


def _related(ctx: Context, state: State, wi: int, size: int, by_distance: list[int]) -> list[int]:
    """The worker and the workers it can exchange visits with, those whose hours most need
    to move first, then the nearest."""
    others: set[int] = set()
    for si in ctx.worker_shifts[wi]:
        for vi in ctx.shift_visits[si]:
            holder = state.where.get(vi)
            if holder is not None:
                others.add(ctx.shifts[holder].worker)
        for vi in state.seq.get(si, ()):
            others.update(ctx.shifts[other].worker for other in ctx.candidates[vi])
    others.discard(wi)
    rank = {other: position for position, other in enumerate(by_distance)}
    chosen = sorted(others, key=lambda o: (-pull(ctx, state, o), rank.get(o, len(rank))))
    return [wi, *chosen[: size - 1]]


def improve(
    ctx: Context,
    state: State,
    clock: Clock,
    rounds: int,
    *,
    reserve: float,
    seed: int,
    report: Callable[[float], None],
) -> int:
    """Large-neighbourhood search over groups of neighbouring workers; returns rounds run."""
    rng = random.Random(seed)
    staffed = [wi for wi in range(len(ctx.workers)) if ctx.worker_shifts[wi]]
    if not staffed:
        return 0
    homes = ctx.home
    near = {
        wi: sorted(staffed, key=lambda other: (ctx.tr[homes[wi]][homes[other]], other))
        for wi in staffed
    }
    queue: list[int] = []
    done = 0
    for number in range(rounds):
        if clock.left() <= reserve:
            break
        if not queue:
            queue = list(staffed)
            rng.shuffle(queue)
            # Workers furthest from their target first (popped from the end).
            queue.sort(key=lambda wi: worker_penalty(ctx.workers[wi], state.minutes[wi]))
        seed_worker = queue.pop()
        size = GROUP_SIZES[number % len(GROUP_SIZES)]
        if number % 2:
            group = _related(ctx, state, seed_worker, size, near[seed_worker])
        else:
            group = near[seed_worker][:size]
        _neighbourhood(
            ctx,
            state,
            group,
            LNS_DETERMINISTIC,
            min(LNS_SECONDS, max(0.05, clock.left() - reserve)),
            seed + number,
        )
        done += 1
        if done % 10 == 0:
            report(done / rounds)
    return done
