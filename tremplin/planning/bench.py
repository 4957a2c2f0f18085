"""Benchmarks of the planning engine.

Two modes:

- ``python -m tremplin.planning.bench PATH.vrp [...] --seconds 10`` solves each VRPLIB VRPTW
  instance with the engine's routing core and prints one JSON line per instance: instance,
  cost (DIMACS convention: distances truncated to one decimal), routes, feasible (from the
  independent checker of :mod:`tremplin.planning.vrplib_io`), seconds, and the best-known
  cost and gap when a ``.sol`` file sits next to the instance.
- ``python -m tremplin.planning.bench --week 150x2500 --seconds 55`` generates a week
  (:mod:`tremplin.planning.generate`), plans it with the engine and with the greedy baseline,
  each in a fresh process so that its peak memory is its own, checks both plans with
  :mod:`tremplin.planning.checker`, and prints (``--output``: writes) one JSON document:
  unserved interventions and why, every insertion worker's deviation from target hours,
  continuity kept, travel, run time, peak memory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from ortools.sat.python import cp_model

from tremplin.planning import engine, vrplib_io
from tremplin.planning.checker import check
from tremplin.planning.engine.model import Context, analyse
from tremplin.planning.generate import generate_week
from tremplin.planning.greedy import plan_greedy
from tremplin.planning.problem import Plan, Week, Worker
from tremplin.planning.travel import SpeedModel


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- VRPLIB instances ------------------------------------------------------------------------


def bench_vrplib(path: Path, *, seconds: float, seed: int) -> dict[str, object]:
    instance = vrplib_io.read_instance(path)
    started = time.perf_counter()
    routes = engine.solve_vrptw(instance, seconds=seconds, seed=seed)
    elapsed = time.perf_counter() - started
    routes = [route for route in routes if route]
    cost = vrplib_io.route_cost(instance, routes)
    errors = vrplib_io.check_solution(instance, routes)
    result: dict[str, object] = {
        "instance": instance.name,
        "cost": cost,
        "routes": len(routes),
        "feasible": not errors,
        "seconds": round(elapsed, 2),
        "seed": seed,
    }
    if errors:
        result["errors"] = errors[:10]
    solution = path.with_suffix(".sol")
    if solution.exists():
        bks_routes, bks = vrplib_io.read_solution(solution)
        if bks is None:
            bks = vrplib_io.route_cost(instance, bks_routes)
        result["bks"] = bks
        result["bks_routes"] = len(bks_routes)
        result["gap_percent"] = round(100 * (cost - bks) / bks, 3)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


# --- Generated weeks -------------------------------------------------------------------------


def parse_size(text: str) -> tuple[int, int]:
    workers, _, visits = text.lower().partition("x")
    return int(workers), int(visits)


# Seconds CP-SAT may spend proving the most minutes one route of a shift can hold.
SHIFT_BOUND_SECONDS = 0.5
# Shifts longer than the daily maximum by this much are left at the daily maximum: travel
# cannot bring them under it, CP-SAT would spend its time for nothing.
LONG_SHIFT_SLACK = 120


def _shift_bound(ctx: Context, si: int, cap: int) -> tuple[int, int]:
    """(minutes of a feasible route, proven upper bound) of the most minutes of
    interventions one route of shift ``si`` can hold, capped at ``cap``: exact routing (the
    shift's candidate interventions, their windows and durations, travel from home, between
    stops and back), the legal break ignored, so the upper bound is sound."""
    shift = ctx.shifts[si]
    home = ctx.home[shift.worker]
    tr = ctx.tr
    visits = [vi for vi in ctx.shift_visits[si] if ctx.lock.get(vi, shift.worker) == shift.worker]
    if not visits:
        return 0, 0
    model = cp_model.CpModel()
    times = [
        model.new_int_var(
            max(ctx.early[vi], shift.start + tr[home][ctx.vloc[vi]]), ctx.late[vi], ""
        )
        for vi in visits
    ]
    arcs: list[tuple[int, int, cp_model.IntVar]] = [(0, 0, model.new_bool_var(""))]
    skipped: list[tuple[int, cp_model.IntVar]] = []
    for i, vi in enumerate(visits):
        skip = model.new_bool_var("")
        arcs.append((i + 1, i + 1, skip))
        skipped.append((ctx.dur[vi], skip))
        arcs.append((0, i + 1, model.new_bool_var("")))
        back = model.new_bool_var("")
        arcs.append((i + 1, 0, back))
        model.add(times[i] + ctx.dur[vi] + tr[ctx.vloc[vi]][home] <= shift.end).only_enforce_if(
            back
        )
    for i, a in enumerate(visits):
        for j, b in enumerate(visits):
            gap = ctx.dur[a] + tr[ctx.vloc[a]][ctx.vloc[b]]
            if i == j or ctx.early[a] + gap > ctx.late[b]:
                continue
            arc = model.new_bool_var("")
            arcs.append((i + 1, j + 1, arc))
            model.add(times[j] >= times[i] + gap).only_enforce_if(arc)
    model.add_circuit(arcs)
    total = sum(d * (1 - skip) for d, skip in skipped)
    model.add(total <= cap)
    model.maximize(total)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = SHIFT_BOUND_SECONDS
    status = solver.solve(model)
    if status == cp_model.OPTIMAL:
        value = round(solver.objective_value)
        return value, value
    if status == cp_model.FEASIBLE:
        return round(solver.objective_value), min(cap, math.floor(solver.best_objective_bound))
    return 0, cap


def _total(worker: Worker, days: dict[int, list[int]], values: dict[int, int]) -> int:
    """The week's minutes from per-shift minutes: each day capped by the daily maximum, the
    week by the weekly maximum."""
    per_day = sum(
        min(worker.daily_max_minutes, sum(values[si] for si in shifts)) for shifts in days.values()
    )
    return min(worker.weekly_max_minutes, per_day)


def band_reachable(week: Week) -> dict[int, bool]:
    """Per insertion worker, ``False`` only when ±10 % of target is *proven* out of reach.

    The bound is the most minutes the worker could do if every intervention were free for
    them alone: per shift, the most minutes of interventions one route can hold (exact
    routing by CP-SAT, see :func:`_shift_bound`), each day capped by the daily maximum, the
    week by the weekly maximum. It ignores the break, the MAD cap and the other workers, so
    it is an upper bound: below 90 % of target, no plan can put the worker in the band. A
    worker whose bound CP-SAT cannot settle in time counts as reachable.
    """
    ctx = Context(week, SpeedModel())
    analyse(ctx)
    result = {}
    for wi, worker in enumerate(ctx.workers):
        if not worker.is_insertion:
            continue
        need = worker.weekly_target_minutes * (1 - engine.EQUITY_BAND)
        days: dict[int, list[int]] = {}
        for si in ctx.worker_shifts[wi]:
            shift = ctx.shifts[si]
            days.setdefault(shift.day, []).append(si)
        cap = worker.daily_max_minutes
        # Quick bound first: the daily maximum, the shift's length, its interventions.
        quick = {
            si: min(cap, ctx.shifts[si].end - ctx.shifts[si].start) for si in ctx.worker_shifts[wi]
        }
        for si in quick:
            quick[si] = min(quick[si], sum(ctx.dur[vi] for vi in ctx.shift_visits[si]))
        low = dict.fromkeys(quick, 0)
        high = dict(quick)

        # Settle the shorter shifts, shortest first, until the band is proven reachable alone (a
        # feasible route per shift reaches it) or out of reach (the upper bound misses it).
        for si in sorted(quick, key=lambda s: (quick[s], s)):
            if _total(worker, days, high) < need or _total(worker, days, low) >= need:
                break
            shift = ctx.shifts[si]
            if shift.end - shift.start >= cap + LONG_SHIFT_SLACK:
                continue
            low[si], high[si] = _shift_bound(ctx, si, cap)
        result[worker.id] = _total(worker, days, high) >= need
    return result


def usual_possible(week: Week, able: dict[int, set[int]]) -> set[int]:
    """Ids of the visits whose usual worker could do them (qualified, available, in reach)."""
    return {
        visit.id
        for visit in week.visits
        if visit.usual_worker_id is not None and visit.usual_worker_id in able.get(visit.id, set())
    }


def describe(
    week: Week, plan: Plan, reachable: dict[int, bool], possible: set[int]
) -> dict[str, object]:
    """The figures of one plan."""
    travel = SpeedModel()
    violations = check(week, plan, travel)
    minutes = plan.minutes_by_worker()
    deviations = []
    for worker in week.workers:
        if not worker.is_insertion:
            continue
        done = minutes.get(worker.id, 0)
        target = worker.weekly_target_minutes
        deviations.append(
            {
                "worker": worker.id,
                "target_minutes": target,
                "minutes": done,
                "deviation_percent": round(100 * (done - target) / target, 1) if target else 0.0,
                "band_reachable": reachable.get(worker.id, True),
            }
        )
    within = [
        d for d in deviations if abs(float(d["deviation_percent"])) <= 100 * engine.EQUITY_BAND
    ]
    reachable_rows = [d for d in deviations if d["band_reachable"]]
    within_reachable = [d for d in within if d["band_reachable"]]
    worker_of = {stop.visit_id: stop.worker_id for stop in plan.assignments()}
    with_usual = [v for v in week.visits if v.id in possible]
    kept = sum(1 for v in with_usual if worker_of.get(v.id) == v.usual_worker_id)
    shortfall = sum(max(0, w.weekly_min_minutes - minutes.get(w.id, 0)) for w in week.workers)
    served = len(worker_of)
    return {
        "served": served,
        "unserved": len(plan.unserved),
        "unserved_by_reason": dict(Counter(u.reason.value for u in plan.unserved)),
        "blocking_violations": sum(1 for v in violations if v.blocking),
        "violations_by_rule": dict(Counter(v.rule.value for v in violations)),
        "travel_minutes": plan.travel_minutes(),
        "travel_minutes_per_visit": round(plan.travel_minutes() / served, 2) if served else 0,
        "insertion_workers": len(deviations),
        "insertion_within_10_percent": len(within),
        "insertion_band_reachable": len(reachable_rows),
        "insertion_within_10_percent_where_reachable": len(within_reachable),
        "mean_abs_deviation_percent": round(
            sum(abs(float(d["deviation_percent"])) for d in deviations) / len(deviations),
            2,
        )
        if deviations
        else 0.0,
        "weekly_minimum_shortfall_minutes": shortfall,
        "continuity_kept": kept,
        "continuity_possible": len(with_usual),
        "continuity_percent": round(100 * kept / len(with_usual), 1) if with_usual else 0.0,
        "deviation_per_insertion_worker": deviations,
    }


def run_child(size: str, solver: str, seconds: float, seed: int) -> dict[str, object]:
    """Generate the week and run one solver (in this process); figures and own peak RSS."""
    workers, visits = parse_size(size)
    week = generate_week(workers, visits, seed=seed)
    before = peak_rss_mb()
    started = time.perf_counter()
    cpu = time.process_time()
    if solver == "engine":
        plan = engine.solve(week, travel=SpeedModel(), seconds=seconds, seed=seed)
    else:
        plan = plan_greedy(week, travel=SpeedModel())
    elapsed = time.perf_counter() - started
    cpu_used = time.process_time() - cpu
    peak = peak_rss_mb()
    result: dict[str, object] = {
        "solver": solver,
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu_used, 2),
        "peak_rss_mb": round(peak, 1),
        "rss_before_solve_mb": round(before, 1),
    }
    if solver == "engine":
        result["improvement_rounds"] = plan.stats.get("rounds", 0)
        result["equity_repairs"] = plan.stats.get("equity_repairs", 0)
    able = engine.candidates(week, SpeedModel())
    result.update(describe(week, plan, {}, usual_possible(week, able)))
    return result


def mark_reachable(result: dict[str, object], reachable: dict[int, bool]) -> None:
    """Fill the "band reachable" figures of a solver's result (computed once per week)."""
    rows = result["deviation_per_insertion_worker"]
    assert isinstance(rows, list)
    for row in rows:
        row["band_reachable"] = reachable.get(row["worker"], True)
    band = 100 * engine.EQUITY_BAND
    result["insertion_band_reachable"] = sum(1 for row in rows if row["band_reachable"])
    result["insertion_within_10_percent_where_reachable"] = sum(
        1 for row in rows if row["band_reachable"] and abs(row["deviation_percent"]) <= band
    )


def bench_week(size: str, *, seconds: float, seed: int) -> dict[str, object]:
    workers, visits = parse_size(size)
    week = generate_week(workers, visits, seed=seed)
    able = engine.candidates(week, SpeedModel())
    load_before = os.getloadavg()
    results = {}
    for solver in ("greedy", "engine"):
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "tremplin.planning.bench",
                "--week",
                size,
                "--solver",
                solver,
                "--seconds",
                str(seconds),
                "--seed",
                str(seed),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results[solver] = json.loads(completed.stdout)
    # After the solvers: its CP-SAT models would otherwise count in their peak memory (a
    # child process's peak includes its parent's at the time it starts).
    reachable = band_reachable(week)
    for result in results.values():
        mark_reachable(result, reachable)
    return {
        "week": size,
        "workers": workers,
        "visits": visits,
        "seed": seed,
        "seconds_budget": seconds,
        "visit_minutes": sum(v.duration for v in week.visits),
        "target_minutes": sum(w.weekly_target_minutes for w in week.workers),
        "statically_unservable": sum(1 for v in week.visits if not able.get(v.id)),
        "insertion_band_reachable": sum(reachable.values()),
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "engine": results["engine"],
        "greedy": results["greedy"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tremplin.planning.bench")
    parser.add_argument("instances", nargs="*", type=Path, help="fichiers VRPLIB (.vrp)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--week", help="semaine générée, intervenants x interventions (150x2500)")
    parser.add_argument("--solver", choices=("engine", "greedy"), help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help="fichier JSON où écrire les résultats")
    args = parser.parse_args(argv)
    lines: list[str] = []
    if args.week and args.solver:
        print(json.dumps(run_child(args.week, args.solver, args.seconds, args.seed)))
        return 0
    if args.week:
        lines.append(json.dumps(bench_week(args.week, seconds=args.seconds, seed=args.seed)))
        print(lines[-1], flush=True)
    for path in args.instances:
        try:
            result = bench_vrplib(path, seconds=args.seconds, seed=args.seed)
        except (OSError, vrplib_io.VrplibError) as error:
            print(f"{path} : {error}", file=sys.stderr)
            return 2
        lines.append(json.dumps(result, ensure_ascii=False))
        print(lines[-1], flush=True)
    if not args.week and not args.instances:
        parser.error("indiquer des fichiers .vrp ou --week")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
