"""Construction, repair and balance of hours: cheapest insertion under the whole objective."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from tremplin.planning.engine.model import (
    EMPTY,
    W_BAND,
    W_TRAVEL,
    W_UNSERVED,
    Clock,
    Context,
    State,
    Timed,
    continuity_cost,
    worker_penalty,
)

# Construction: a visit first tries the shifts of its nearest workers; visits with at most
# CROWDED candidate shifts count as constrained and are placed first.
NEAREST_WORKERS = 12
CROWDED = 10
BALANCE_PASSES = 4


def _by_distance(ctx: Context, vi: int, shifts: Iterable[int]) -> list[int]:
    loc = ctx.vloc[vi]
    return sorted(shifts, key=lambda si: (ctx.tr[ctx.home[ctx.shifts[si].worker]][loc], si))


def construct(ctx: Context, state: State) -> None:
    """Cheapest insertion of every visit: locked ones first, then each client's usual worker
    where that worker is free and under target, then the visits with few
    candidate shifts, then the rest day by day in time order. The cost counts travel,
    equity and continuity; day by day, each worker's target counts pro rata of the
    availability already planned, so that the first days do not use up the hours of
    workers the last days will need."""
    todo = [vi for vi, candidates in enumerate(ctx.candidates) if candidates]
    for vi in sorted((vi for vi in todo if vi in ctx.lock), key=lambda vi: (ctx.early[vi], vi)):
        _construct_one(ctx, state, vi, None)
    for vi in sorted(todo, key=lambda vi: (ctx.early[vi], vi)):
        if vi in state.where or vi in ctx.lock:
            continue
        usual = ctx.worker_index.get(ctx.visits[vi].usual_worker_id or -1)
        if usual is None:
            continue
        worker = ctx.workers[usual]
        ceiling = min(worker.weekly_max_minutes, worker.weekly_target_minutes)
        if state.minutes[usual] + ctx.dur[vi] > ceiling:
            continue
        shifts = [si for si in ctx.candidates[vi] if ctx.shifts[si].worker == usual]
        found = best_insertion(ctx, state, vi, shifts)
        if found is not None:
            state.set_route(found[1], found[2], found[3])
    first = [
        vi
        for vi in todo
        if vi not in state.where and vi not in ctx.lock and len(ctx.candidates[vi]) <= CROWDED
    ]
    first.sort(key=lambda vi: (len(ctx.candidates[vi]), ctx.early[vi], vi))
    for vi in first:
        _construct_one(ctx, state, vi, None)
    rest = sorted(
        (vi for vi in todo if vi not in state.where and vi not in ctx.lock and vi not in first),
        key=lambda vi: (ctx.early[vi], vi),
    )
    available = [[0] * 7 for _ in ctx.workers]  # minutes of availability per worker and day
    for shift in ctx.shifts:
        if 0 <= shift.day < 7:
            available[shift.worker][shift.day] += shift.end - shift.start
    totals = [max(1, sum(days)) for days in available]
    day = -1
    pace: list[float] = []
    for vi in rest:
        if ctx.visits[vi].day != day:
            day = ctx.visits[vi].day
            pace = [
                sum(available[wi][: day + 1]) / totals[wi] if 0 <= day < 7 else 1.0
                for wi in range(len(ctx.workers))
            ]
        _construct_one(ctx, state, vi, pace)


def _construct_one(ctx: Context, state: State, vi: int, pace: list[float] | None) -> None:
    ranked = _by_distance(ctx, vi, ctx.candidates[vi])
    workers: list[int] = []
    for si in ranked:
        wi = ctx.shifts[si].worker
        if wi not in workers:
            workers.append(wi)
    near = set(workers[:NEAREST_WORKERS])
    usual = ctx.visits[vi].usual_worker_id
    if usual is not None and usual in ctx.worker_index:
        near.add(ctx.worker_index[usual])
    found = best_insertion(
        ctx, state, vi, [si for si in ranked if ctx.shifts[si].worker in near], pace=pace
    )
    # Look further when no near worker can take it, or only by leaving the equity band.
    if (found is None or found[0] >= W_BAND) and len(near) < len(workers):
        wider = best_insertion(ctx, state, vi, ranked, pace=pace)
        if wider is not None and (found is None or wider[0] < found[0]):
            found = wider
    if found is not None:
        _, si, seq, timed = found
        state.set_route(si, seq, timed)


def sequence(ctx: Context, si: int, visits: list[int]) -> tuple[list[int], Timed | None, list[int]]:
    """A good order of ``visits`` on shift ``si``: by start window, or built by cheapest
    insertion (tightest windows first) when that travels less or when the plain order does
    not fit. Returns (sequence, schedule, visits left out)."""
    if not visits:
        return [], None, []
    plain = sorted(visits, key=lambda vi: (ctx.early[vi], ctx.late[vi], vi))
    plain_timed = ctx.schedule(si, plain)
    built: list[int] = []
    built_timed: Timed | None = None
    lost: list[int] = []
    for vi in sorted(visits, key=lambda vi: (ctx.late[vi] - ctx.early[vi], ctx.early[vi], vi)):
        best: tuple[Timed, list[int]] | None = None
        for k in range(len(built) + 1):
            trial = built[:k] + [vi] + built[k:]
            timed = ctx.schedule(si, trial)
            if timed is not None and (best is None or timed.travel < best[0].travel):
                best = (timed, trial)
        if best is None:
            lost.append(vi)
        else:
            built_timed, built = best
    if plain_timed is not None and (
        lost or built_timed is None or plain_timed.travel <= built_timed.travel
    ):
        return plain, plain_timed, []
    return built, built_timed, lost


def _removal(ctx: Context, state: State, vi: int) -> tuple[int, list[int], Timed] | None:
    """(objective change, remaining sequence, its schedule) of taking ``vi`` off its shift."""
    si = state.where[vi]
    seq = [v for v in state.seq[si] if v != vi]
    timed = ctx.schedule(si, seq) if seq else EMPTY
    if timed is None:
        return None
    wi = ctx.shifts[si].worker
    worker = ctx.workers[wi]
    minutes = state.minutes[wi]
    change = worker_penalty(worker, minutes - ctx.dur[vi]) - worker_penalty(worker, minutes)
    change += W_TRAVEL * (timed.travel - state.timed[si].travel)
    change -= continuity_cost(ctx, vi, si)
    return change, seq, timed


def balance(ctx: Context, state: State, clock: Clock, reserve: float) -> None:
    """Relocate single visits to or from the workers furthest from their hours (insertion
    workers outside the band, contracts below their minimum) while the objective improves."""
    for _ in range(BALANCE_PASSES):
        moved = False
        needy = [
            wi
            for wi, worker in enumerate(ctx.workers)
            if pull(ctx, state, wi) > 0 and ctx.worker_shifts[wi]
        ]
        needy.sort(key=lambda wi: (-worker_penalty(ctx.workers[wi], state.minutes[wi]), wi))
        for wi in needy:
            if clock.left() <= reserve:
                return
            worker = ctx.workers[wi]
            short = state.minutes[wi] < worker.weekly_target_minutes
            best: (
                tuple[
                    int,
                    int,
                    tuple[int, list[int], Timed] | None,
                    tuple[int, int, list[int], Timed],
                ]
                | None
            ) = None
            if short:
                for si in ctx.worker_shifts[wi]:
                    for vi in ctx.shift_visits[si]:
                        holder = state.where.get(vi)
                        if vi in ctx.lock or (
                            holder is not None and ctx.shifts[holder].worker == wi
                        ):
                            continue
                        removal = _removal(ctx, state, vi) if holder is not None else None
                        if holder is not None and removal is None:
                            continue
                        placed = best_insertion(ctx, state, vi, [si])
                        if placed is None:
                            continue
                        change = placed[0] + (removal[0] if removal else -W_UNSERVED)
                        if change < 0 and (best is None or change < best[0]):
                            best = (change, vi, removal, placed)
            else:
                for own in ctx.worker_shifts[wi]:
                    for vi in list(state.seq.get(own, ())):
                        if vi in ctx.lock:
                            continue
                        removal = _removal(ctx, state, vi)
                        if removal is None:
                            continue
                        others = [si for si in ctx.candidates[vi] if ctx.shifts[si].worker != wi]
                        placed = best_insertion(ctx, state, vi, others)
                        if placed is None:
                            continue
                        change = placed[0] + removal[0]
                        if change < 0 and (best is None or change < best[0]):
                            best = (change, vi, removal, placed)
            if best is None:
                continue
            _, vi, removal, placed = best
            if removal is not None:
                state.set_route(state.where[vi], removal[1], removal[2])
            # The removal may have changed the target shift's schedule only if it is the same.
            target = placed[1]
            seq = [v for v in placed[2] if v in state.seq.get(target, []) or v == vi]
            timed = ctx.schedule(target, seq)
            if timed is None:
                continue
            state.set_route(target, seq, timed)
            moved = True
        if not moved:
            return


def best_insertion(
    ctx: Context,
    state: State,
    vi: int,
    shifts: Iterable[int],
    freed: tuple[int, int] = (-1, -1),
    pace: list[float] | None = None,
) -> tuple[int, int, list[int], Timed] | None:
    """Cheapest (cost, shift, sequence, schedule) placing ``vi``; ``freed`` = (shift, visit)
    taken out of that shift beforehand; ``pace`` scales each worker's weekly target and
    minimum to the share of the week planned so far."""
    best: tuple[int, int, list[int], Timed] | None = None
    for si in shifts:
        freed_visit = (
            freed[1]
            if freed[0] >= 0 and ctx.shifts[freed[0]].worker == ctx.shifts[si].worker
            else -1
        )
        if not state.room(vi, si, freed_visit):
            continue
        seq = [v for v in state.seq.get(si, []) if not (si == freed[0] and v == freed[1])]
        old = ctx.schedule(si, seq) if si == freed[0] else state.timed.get(si)
        old_travel = old.travel if old is not None else 0
        starts = old.starts if old is not None else []
        wi = ctx.shifts[si].worker
        worker = ctx.workers[wi]
        if pace is not None:
            worker = replace(
                worker,
                weekly_target_minutes=round(worker.weekly_target_minutes * pace[wi]),
                weekly_min_minutes=round(worker.weekly_min_minutes * pace[wi]),
            )
        minutes = state.minutes[wi] - (ctx.dur[freed_visit] if freed_visit >= 0 else 0)
        base = worker_penalty(worker, minutes + ctx.dur[vi]) - worker_penalty(worker, minutes)
        base += continuity_cost(ctx, vi, si)
        for k in range(len(seq) + 1):
            if k > 0 and starts and starts[k - 1] > ctx.late[vi]:
                break
            if k < len(seq) and ctx.early[vi] > ctx.late[seq[k]]:
                continue
            trial = seq[:k] + [vi] + seq[k:]
            timed = ctx.schedule(si, trial)
            if timed is None:
                continue
            total = base + W_TRAVEL * (timed.travel - old_travel)
            if best is None or total < best[0]:
                best = (total, si, trial, timed)
    return best


def repair(ctx: Context, state: State, clock: Clock, reserve: float) -> None:
    """Insert every unplaced visit that has a candidate, cheapest place first; when none is
    free, move one visit of a candidate shift elsewhere to make room."""
    pool = [
        vi for vi, candidates in enumerate(ctx.candidates) if candidates and vi not in state.where
    ]
    pool.sort(key=lambda vi: (len(ctx.candidates[vi]), -ctx.dur[vi], vi))
    for vi in pool:
        found = best_insertion(ctx, state, vi, ctx.candidates[vi])
        if found is not None:
            _, si, seq, timed = found
            state.set_route(si, seq, timed)
            continue
        if clock.left() > reserve:
            _eject(ctx, state, vi)


def _eject(ctx: Context, state: State, vi: int) -> bool:
    """Make room for ``vi`` by moving one visit of a candidate shift to another shift."""
    tr = ctx.tr
    loc = ctx.vloc[vi]
    shifts = sorted(ctx.candidates[vi], key=lambda si: tr[ctx.home[ctx.shifts[si].worker]][loc])
    for si in shifts[:15]:
        for u in list(state.seq.get(si, [])):
            if u in ctx.lock:
                continue
            placed = best_insertion(ctx, state, vi, [si], freed=(si, u))
            if placed is None:
                continue
            _, _, seq_v, timed_v = placed
            saved = state.copy()
            state.set_route(si, seq_v, timed_v)
            others = [s for s in ctx.candidates[u] if s != si]
            moved = best_insertion(ctx, state, u, others)
            if moved is not None:
                _, su, seq_u, timed_u = moved
                state.set_route(su, seq_u, timed_u)
                return True
            _restore(state, saved)
    return False


def _restore(state: State, saved: State) -> None:
    state.seq = saved.seq
    state.timed = saved.timed
    state.where = saved.where
    state.minutes = saved.minutes
    state.mad = saved.mad
    state.day_minutes = saved.day_minutes


def pull(ctx: Context, state: State, wi: int) -> int:
    """How much the objective gains by giving the worker an hour more or an hour less."""
    worker = ctx.workers[wi]
    minutes = state.minutes[wi]
    now = worker_penalty(worker, minutes)
    return max(
        0,
        now - worker_penalty(worker, minutes + 60),
        now - worker_penalty(worker, max(0, minutes - 60)),
    )
