"""The baseline a planner reaches by hand: first fit in time order.

Interventions are taken by start window (earliest first). Each goes to the locked worker if
any, else to the client's usual worker if that worker can take it, else to the first worker in
the list who can: qualified, available, not absent, able to get there after their previous
intervention of the day (a 20-minute pause is inserted when the legal break requires it) and
back home in time, within the daily, weekly and MAD limits. Nothing is ever moved once placed.
It is the yardstick for the engine's benchmarks and a second, simple source of valid plans
for the checker's tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tremplin.planning.problem import (
    MINUTES_PER_DAY,
    Assignment,
    Location,
    Plan,
    Reason,
    Route,
    Unserved,
    Visit,
    Week,
    Worker,
    format_minute,
)
from tremplin.planning.travel import TravelModel


@dataclass(slots=True)
class _Open:
    """A route being built: a piece of availability and the stops placed so far."""

    start: int
    end: int
    stops: list[tuple[Visit, int]] = field(default_factory=list)
    stretch: int = 0  # minutes of interventions since the last pause


def _pieces(worker: Worker) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for available in worker.availability:
        cuts = [(available.start, available.end)]
        for absence in worker.absences:
            next_cuts = []
            for start, end in cuts:
                if absence.end <= start or end <= absence.start:
                    next_cuts.append((start, end))
                    continue
                if start < absence.start:
                    next_cuts.append((start, absence.start))
                if absence.end < end:
                    next_cuts.append((absence.end, end))
            cuts = next_cuts
        result.extend(cut for cut in cuts if cut[1] > cut[0])
    return sorted(result)


def plan_greedy(week: Week, *, travel: TravelModel) -> Plan:
    """First-fit plan of ``week``."""
    started = time.perf_counter()
    rule = week.break_rule
    places: dict[Location, int] = {}
    for worker in week.workers:
        places.setdefault(worker.home, len(places))
    for visit in week.visits:
        if visit.location is not None:
            places.setdefault(visit.location, len(places))
    minutes_between = travel.matrix(list(places)).tolist()

    def trip(a: Location, b: Location) -> int:
        return int(minutes_between[places[a]][places[b]])

    routes: dict[int, list[_Open]] = {
        w.id: [_Open(s, e) for s, e in _pieces(w)] for w in week.workers
    }
    weekly = {w.id: 0 for w in week.workers}
    mad = {w.id: 0 for w in week.workers}
    daily: dict[tuple[int, int], int] = {}
    by_id = {w.id: w for w in week.workers}
    locks = {lock.visit_id: lock for lock in week.locks}
    unserved: list[Unserved] = []

    def try_place(worker: Worker, visit: Visit, fixed: int | None) -> bool:
        assert visit.location is not None
        if not visit.required_skills <= worker.skills:
            return False
        if not visit.required_habilitations <= worker.habilitations:
            return False
        day = visit.earliest_start // MINUTES_PER_DAY
        if daily.get((worker.id, day), 0) + visit.duration > worker.daily_max_minutes:
            return False
        if weekly[worker.id] + visit.duration > worker.weekly_max_minutes:
            return False
        cap = worker.mad_cap_minutes
        if (
            visit.counts_toward_mad_cap
            and cap is not None
            and mad[worker.id] + visit.duration > cap
        ):
            return False
        earliest = visit.earliest_start if fixed is None else fixed
        latest = visit.latest_start if fixed is None else fixed
        for route in routes[worker.id]:
            if route.end <= earliest or route.start >= latest + visit.duration:
                continue
            if route.stops:
                last, last_start = route.stops[-1]
                assert last.location is not None
                ready = last_start + last.duration + trip(last.location, visit.location)
                start = max(earliest, ready)
                stretch = route.stretch
                if start - ready < rule.length_minutes:
                    if stretch + visit.duration > rule.after_minutes:
                        start = max(start, ready + rule.length_minutes)
                        stretch = 0
                else:
                    stretch = 0
            else:
                start = max(earliest, route.start + trip(worker.home, visit.location))
                stretch = 0
            if (
                start > latest
                or start + visit.duration + trip(visit.location, worker.home) > route.end
            ):
                continue
            route.stops.append((visit, start))
            route.stretch = stretch + visit.duration
            weekly[worker.id] += visit.duration
            daily[(worker.id, day)] = daily.get((worker.id, day), 0) + visit.duration
            if visit.counts_toward_mad_cap:
                mad[worker.id] += visit.duration
            return True
        return False

    for visit in sorted(week.visits, key=lambda v: (v.earliest_start, v.id)):
        name = f"{visit.name} ({format_minute(visit.earliest_start)})"
        if visit.location is None:
            unserved.append(
                Unserved(visit.id, Reason.NO_LOCATION, f"{name} : site sans coordonnées.")
            )
            continue
        lock = locks.get(visit.id)
        if lock is not None:
            locked = by_id.get(lock.worker_id)
            if locked is None or not try_place(locked, visit, lock.start):
                unserved.append(
                    Unserved(
                        visit.id,
                        Reason.LOCKED_WORKER,
                        f"{name} : intervenant verrouillé indisponible.",
                    )
                )
            continue
        order = list(week.workers)
        usual = by_id.get(visit.usual_worker_id) if visit.usual_worker_id is not None else None
        if usual is not None:
            order.remove(usual)
            order.insert(0, usual)
        if any(try_place(worker, visit, None) for worker in order):
            continue
        unserved.append(_reason(week, visit, name))

    result: list[Route] = []
    for worker in week.workers:
        for route in routes[worker.id]:
            if not route.stops:
                continue
            first, first_start = route.stops[0]
            last, last_start = route.stops[-1]
            assert first.location is not None and last.location is not None
            path = [worker.home, *(v.location for v, _ in route.stops if v.location), worker.home]
            moved = sum(trip(a, b) for a, b in zip(path, path[1:], strict=False))
            result.append(
                Route(
                    worker.id,
                    first_start // MINUTES_PER_DAY,
                    worker.home,
                    worker.home,
                    first_start - trip(worker.home, first.location),
                    last_start + last.duration + trip(last.location, worker.home),
                    tuple(Assignment(v.id, worker.id, s, s + v.duration) for v, s in route.stops),
                    moved,
                )
            )
    result.sort(key=lambda r: (r.leave, r.worker_id))
    return Plan(
        tuple(result),
        tuple(unserved),
        seconds=round(time.perf_counter() - started, 3),
        stats={"travel_minutes": float(sum(r.travel_minutes for r in result))},
    )


def _reason(week: Week, visit: Visit, name: str) -> Unserved:
    skilled = [w for w in week.workers if visit.required_skills <= w.skills]
    if not skilled:
        return Unserved(visit.id, Reason.NO_SKILL, f"{name} : aucun intervenant n'a la compétence.")
    qualified = [w for w in skilled if visit.required_habilitations <= w.habilitations]
    if not qualified:
        return Unserved(
            visit.id, Reason.NO_HABILITATION, f"{name} : aucun intervenant n'a l'habilitation."
        )
    present = [
        w
        for w in qualified
        if any(
            s <= visit.latest_start and visit.earliest_start + visit.duration <= e
            for s, e in _pieces(w)
        )
    ]
    if not present:
        return Unserved(
            visit.id, Reason.ABSENT, f"{name} : intervenants qualifiés absents ou indisponibles."
        )
    return Unserved(visit.id, Reason.CAPACITY, f"{name} : aucun intervenant qualifié n'est libre.")
