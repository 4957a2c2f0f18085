"""The routing core on PyVRP: the adapter used for the classic VRPTW benchmarks and the daily
re-sequencing of the engine's routes."""

from __future__ import annotations

import warnings

import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from tremplin.planning.engine.model import Clock, Context, State
from tremplin.planning.problem import MINUTES_PER_DAY
from tremplin.planning.vrplib_io import VrptwInstance

# Prize of an intervention (far above any route's travel) and the time segment given to each
# shift so that a shift's copies of interventions are out of reach of other vehicles.
PRIZE = 1_000_000
SEGMENT = 4 * MINUTES_PER_DAY
# Iterations per second PyVRP sustains on a day problem, by number of clients (measured on the
# reference machine, rounded down; used to turn seconds into a deterministic iteration budget).
PYVRP_RATE = ((200, 1800), (600, 1200), (1500, 400), (10**9, 150))


def run_pyvrp(
    data: pyvrp.ProblemData,
    *,
    seconds: float,
    seed: int,
    iterations: int | None = None,
    initial: pyvrp.Solution | None = None,
) -> pyvrp.Solution:
    """PyVRP's iterated local search on ``data``, one thread, stopped after ``seconds``.

    With ``iterations`` the search stops after that many iterations (deterministic for a
    seed) or after ``seconds``, whichever comes first. Starting from ``initial`` (an empty
    solution when omitted and some visit is optional) avoids PyVRP's unbounded default start
    on large instances with optional visits (docs/algorithms/planning.md).
    """
    criteria: list[StoppingCriterion] = [MaxRuntime(max(seconds, 0.01))]
    if iterations is not None:
        criteria.append(MaxIterations(max(iterations, 1)))
    stop: StoppingCriterion = criteria[0] if len(criteria) == 1 else MultipleCriteria(criteria)
    with warnings.catch_warnings():
        # PyVRP warns when a penalty reaches its bound; feasibility is checked afterwards.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp.solve(
            data,
            stop=stop,
            seed=seed,
            collect_stats=False,
            display=False,
            initial_solution=initial,
        )
    return result.best


def solve_vrptw(instance: VrptwInstance, *, seconds: float, seed: int = 0) -> list[list[int]]:
    """Routes (client node numbers) of a classic single-depot VRPTW, minimising distance."""
    n = instance.num_clients + 1
    locations = [pyvrp.Location(0, 0) for _ in range(n)]
    depot = pyvrp.Depot(0, tw_early=instance.tw_early[0], tw_late=instance.tw_late[0])
    clients = [
        pyvrp.Client(
            location=node,
            delivery=[instance.demands[node]],
            service_duration=instance.service[node],
            tw_early=instance.tw_early[node],
            tw_late=instance.tw_late[node],
        )
        for node in range(1, n)
    ]
    vehicle = pyvrp.VehicleType(
        num_available=instance.vehicles,
        capacity=[instance.capacity],
        tw_early=instance.tw_early[0],
        tw_late=instance.tw_late[0],
    )
    matrix = np.asarray(instance.distances, dtype=np.int64)
    data = pyvrp.ProblemData(locations, clients, [depot], [vehicle], [matrix], [matrix])
    solution = run_pyvrp(data, seconds=seconds, seed=seed)
    # Client i of the data sits at location i + 1 (the depot is location 0).
    return [
        [data.client(activity.idx).location for activity in route.schedule()[1:-1]]
        for route in solution.routes()
    ]


def _iterations(clients: int, seconds: float) -> int:
    for size, rate in PYVRP_RATE:
        if clients <= size:
            return max(50, int(rate * seconds))
    return 50


def _route_day(
    ctx: Context, day: int, state: State, seconds: float, safety: float, seed: int
) -> dict[int, list[int]]:
    """Sequences of the day's shifts re-optimised by PyVRP, each visit pinned to its shift by
    the shift's own time segment; the current routes are the initial solution."""
    shifts = sorted(si for si in state.seq if ctx.shifts[si].day == day)
    if not shifts:
        return {}
    visits = [vi for si in shifts for vi in state.seq[si]]
    local: dict[int, int] = {}
    for si in shifts:
        local.setdefault(ctx.home[ctx.shifts[si].worker], len(local))
    for vi in visits:
        local.setdefault(ctx.vloc[vi], len(local))
    order = np.array(list(local), dtype=np.int64)
    matrix = np.ascontiguousarray(ctx.matrix[np.ix_(order, order)])
    depots = []
    vehicle_types = []
    offset = {}
    for k, si in enumerate(shifts):
        shift = ctx.shifts[si]
        offset[si] = k * SEGMENT
        early, late = offset[si] + shift.start, offset[si] + shift.end
        depots.append(pyvrp.Depot(local[ctx.home[shift.worker]], tw_early=early, tw_late=late))
        vehicle_types.append(
            pyvrp.VehicleType(1, start_depot=k, end_depot=k, tw_early=early, tw_late=late)
        )
    clients = []
    for si in shifts:
        for vi in state.seq[si]:
            clients.append(
                pyvrp.Client(
                    local[ctx.vloc[vi]],
                    service_duration=ctx.dur[vi],
                    tw_early=offset[si] + ctx.early[vi],
                    tw_late=offset[si] + ctx.late[vi],
                    prize=PRIZE,
                    required=False,
                )
            )
    locations = [pyvrp.Location(0, 0) for _ in order]
    data = pyvrp.ProblemData(
        locations,
        clients,
        depots,
        vehicle_types,
        [matrix],  # type: ignore[list-item]  # the stub spells the shape as int
        [matrix],  # type: ignore[list-item]
    )
    routes = []
    first = 0
    for k, si in enumerate(shifts):
        count = len(state.seq[si])
        routes.append(pyvrp.Route(data, list(range(first, first + count)), k))
        first += count
    solution = run_pyvrp(
        data,
        seconds=safety,
        seed=seed,
        iterations=_iterations(len(clients), seconds),
        initial=pyvrp.Solution(data, routes),
    )
    result: dict[int, list[int]] = {si: [] for si in shifts}
    for route in solution.routes():
        result[shifts[route.vehicle_type()]] = [
            visits[a.idx] for a in route.schedule() if a.is_client()
        ]
    return result


def polish(ctx: Context, state: State, clock: Clock, seconds: float, seed: int) -> None:
    """Re-sequence each day with PyVRP; keep a new order only where it travels less and still
    fits (with the break)."""
    days = sorted({ctx.shifts[si].day for si in state.seq})
    share = seconds / max(1, len(days))
    for number, day in enumerate(days):
        # Iterations are set from the share (deterministic); the wall-clock limit is only a
        # safety net on a loaded machine.
        safety = min(3 * share, clock.left() / max(1, len(days) - number))
        if safety < 0.05:
            break
        for si, seq in _route_day(ctx, day, state, share, safety, seed).items():
            if sorted(seq) != sorted(state.seq[si]):
                continue
            timed = ctx.schedule(si, seq)
            if timed is not None and timed.travel < state.timed[si].travel:
                state.set_route(si, seq, timed)
