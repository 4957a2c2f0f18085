"""The week in flat arrays, schedules of a shift, the plan under construction, the objective,
and why an intervention cannot be staffed."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tremplin.planning.problem import (
    MINUTES_PER_DAY,
    Location,
    Reason,
    Week,
    Worker,
    format_minute,
    format_minutes,
)
from tremplin.planning.travel import TravelModel

# Objective weights, in travel-minute equivalents (docs/algorithms/planning.md, "objective").
W_UNSERVED = 100_000  # per intervention left unserved
W_BAND = 100  # per minute an insertion worker is outside the equity band around target
W_MINIMUM = 20  # per minute below a contract's weekly minimum
W_CONTINUITY = 200  # per intervention not given to the client's usual worker
W_DEVIATION = 1  # per minute between an insertion worker's minutes and target, inside the band
W_TRAVEL = 1  # per minute of travel
EQUITY_BAND = 0.10  # ±10 % of the weekly target


class Clock:
    """Deadline bookkeeping for one solve."""

    def __init__(self, seconds: float) -> None:
        self.started = time.perf_counter()
        self.deadline = self.started + seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float:
        return max(0.0, self.deadline - time.perf_counter())


@dataclass(frozen=True, slots=True)
class Shift:
    """A stretch of one day a worker may spend away from home (availability minus absences)."""

    worker: int
    day: int
    start: int
    end: int


@dataclass(slots=True)
class Timed:
    """A feasible schedule of one shift's sequence."""

    starts: list[int]
    leave: int
    back: int
    travel: int


EMPTY = Timed([], 0, 0, 0)


def shifts_of(worker: Worker) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    for available in sorted(worker.availability, key=lambda a: a.start):
        current = [(available.start, available.end)]
        for absence in worker.absences:
            split: list[tuple[int, int]] = []
            for start, end in current:
                if absence.end <= start or end <= absence.start:
                    split.append((start, end))
                    continue
                if start < absence.start:
                    split.append((start, absence.start))
                if absence.end < end:
                    split.append((absence.end, end))
            current = split
        pieces.extend(piece for piece in current if piece[1] > piece[0])
    return pieces


class Context:
    """The week in flat arrays (indices, not ids) with travel minutes between locations."""

    def __init__(self, week: Week, travel: TravelModel) -> None:
        self.week = week
        self.workers = list(week.workers)
        self.visits = list(week.visits)
        if len({w.id for w in self.workers}) != len(self.workers):
            raise ValueError("Deux intervenants ont le même identifiant.")
        if len({v.id for v in self.visits}) != len(self.visits):
            raise ValueError("Deux interventions ont le même identifiant.")
        self.rule = week.break_rule
        index: dict[Location, int] = {}
        for worker in self.workers:
            index.setdefault(worker.home, len(index))
        for visit in self.visits:
            if visit.location is not None:
                index.setdefault(visit.location, len(index))
        self.locations = list(index)
        self.matrix = travel.matrix(self.locations)
        self.tr: list[list[int]] = self.matrix.tolist()
        self.home = [index[w.home] for w in self.workers]
        self.vloc = [index[v.location] if v.location is not None else -1 for v in self.visits]
        self.dur = [v.duration for v in self.visits]
        self.mad = [v.counts_toward_mad_cap for v in self.visits]
        self.early = [v.earliest_start for v in self.visits]
        self.late = [v.latest_start for v in self.visits]
        self.worker_index = {w.id: i for i, w in enumerate(self.workers)}
        self.visit_index = {v.id: i for i, v in enumerate(self.visits)}
        # Locks: visit index -> (worker index or -1 when unknown).
        self.lock: dict[int, int] = {}
        for lock in week.locks:
            vi = self.visit_index.get(lock.visit_id)
            if vi is None or vi in self.lock:
                continue
            self.lock[vi] = self.worker_index.get(lock.worker_id, -1)
            if lock.start is not None:
                self.early[vi] = self.late[vi] = lock.start
        self.shifts: list[Shift] = []
        self.day_shifts: dict[int, list[int]] = defaultdict(list)
        self.worker_day_shifts: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.worker_shifts: list[list[int]] = [[] for _ in self.workers]
        for wi, worker in enumerate(self.workers):
            for start, end in shifts_of(worker):
                si = len(self.shifts)
                shift = Shift(wi, start // MINUTES_PER_DAY, start, end)
                self.shifts.append(shift)
                self.day_shifts[shift.day].append(si)
                self.worker_day_shifts[(wi, shift.day)].append(si)
                self.worker_shifts[wi].append(si)
        self.mad_cap = [
            w.mad_cap_minutes if w.mad_cap_minutes is not None else 10**9 for w in self.workers
        ]
        # Filled by analyse.
        self.candidates: list[list[int]] = [[] for _ in self.visits]
        self.shift_visits: list[list[int]] = [[] for _ in self.shifts]
        self.reasons: dict[int, tuple[Reason, str]] = {}

    def alone(self, vi: int, si: int) -> bool:
        """Whether shift ``si`` can do visit ``vi`` on its own (reach it, serve, go home)."""
        shift = self.shifts[si]
        home = self.home[shift.worker]
        loc = self.vloc[vi]
        start = max(self.early[vi], shift.start + self.tr[home][loc])
        return start <= self.late[vi] and start + self.dur[vi] + self.tr[loc][home] <= shift.end

    def chains(self, a: int, b: int, si: int) -> bool:
        """Whether shift ``si`` can do visit ``a`` then visit ``b``."""
        shift = self.shifts[si]
        home = self.home[shift.worker]
        la, lb = self.vloc[a], self.vloc[b]
        start_a = max(self.early[a], shift.start + self.tr[home][la])
        start_b = max(self.early[b], start_a + self.dur[a] + self.tr[la][lb])
        return start_b <= self.late[b] and start_b + self.dur[b] + self.tr[lb][home] <= shift.end

    # --- Schedules ------------------------------------------------------------------------

    def _forward(
        self, si: int, seq: list[int], latest: list[int], gaps: set[int]
    ) -> list[int] | None:
        shift = self.shifts[si]
        tr = self.tr
        position = self.home[shift.worker]
        clock = shift.start
        pause = self.rule.length_minutes
        starts: list[int] = []
        for i, vi in enumerate(seq):
            loc = self.vloc[vi]
            arrival = clock + tr[position][loc]
            start = max(self.early[vi], arrival + (pause if i in gaps else 0))
            if start > latest[i]:
                return None
            starts.append(start)
            clock = start + self.dur[vi]
            position = loc
        return starts

    def _first_break_gap(self, seq: list[int], starts: list[int]) -> tuple[int, int] | None:
        """(index of the first visit that overruns the break rule, start of its stretch)."""
        tr = self.tr
        after = self.rule.after_minutes
        pause = self.rule.length_minutes
        stretch_start = 0
        worked = 0
        for i, vi in enumerate(seq):
            if i > 0:
                previous = seq[i - 1]
                idle = starts[i] - starts[i - 1] - self.dur[previous]
                idle -= tr[self.vloc[previous]][self.vloc[vi]]
                if idle >= pause:
                    stretch_start = i
                    worked = 0
            worked += self.dur[vi]
            if worked > after:
                return i, stretch_start
        return None

    def schedule(self, si: int, seq: list[int]) -> Timed | None:
        """Start times of ``seq`` in shift ``si`` (as early as possible, with the legal break
        where needed), or ``None`` when the sequence does not fit."""
        shift = self.shifts[si]
        home = self.home[shift.worker]
        if not seq:
            return Timed([], shift.start, shift.start, 0)
        tr = self.tr
        n = len(seq)
        latest = [0] * n
        bound = shift.end
        following = home
        for i in range(n - 1, -1, -1):
            vi = seq[i]
            loc = self.vloc[vi]
            latest[i] = min(self.late[vi], bound - self.dur[vi] - tr[loc][following])
            bound = latest[i]
            following = loc
        gaps: set[int] = set()
        starts = self._forward(si, seq, latest, gaps)
        if starts is None:
            return None
        while (overrun := self._first_break_gap(seq, starts)) is not None:
            index, stretch_start = overrun
            for j in range(index, stretch_start, -1):
                if j in gaps:
                    continue
                moved = self._forward(si, seq, latest, gaps | {j})
                if moved is not None:
                    gaps.add(j)
                    starts = moved
                    break
            else:
                return None
        first, last = seq[0], seq[-1]
        travel = tr[home][self.vloc[first]] + tr[self.vloc[last]][home]
        travel += sum(tr[self.vloc[a]][self.vloc[b]] for a, b in zip(seq, seq[1:], strict=False))
        return Timed(
            starts,
            starts[0] - tr[home][self.vloc[first]],
            starts[-1] + self.dur[last] + tr[self.vloc[last]][home],
            travel,
        )


# --- Analysis --------------------------------------------------------------------------------


def _names(week: Week, values: Iterable[str]) -> str:
    return ", ".join(f"« {week.label(value)} »" for value in sorted(values))


def analyse(ctx: Context) -> None:
    """Fill ``ctx.candidates`` (shifts able to do each visit alone) and ``ctx.reasons``."""
    for vi, visit in enumerate(ctx.visits):
        locked = ctx.lock.get(vi)
        name = visit.name
        if visit.location is None:
            ctx.reasons[vi] = (
                Reason.NO_LOCATION,
                f"{name} : le site n'a pas de coordonnées, les trajets ne peuvent pas être "
                "calculés.",
            )
            continue
        if visit.duration <= 0 or ctx.late[vi] < ctx.early[vi]:
            ctx.reasons[vi] = (Reason.WINDOW, f"{name} : créneau ou durée incohérents.")
            continue
        if locked is not None:
            if locked < 0:
                ctx.reasons[vi] = (
                    Reason.LOCKED_WORKER,
                    f"{name} : l'intervenant à qui l'intervention est verrouillée ne fait pas "
                    "partie des intervenants de la semaine.",
                )
                continue
            pool = [locked]
        else:
            pool = list(range(len(ctx.workers)))
        skilled = [wi for wi in pool if visit.required_skills <= ctx.workers[wi].skills]
        qualified = [
            wi for wi in skilled if visit.required_habilitations <= ctx.workers[wi].habilitations
        ]
        day = visit.day
        present = [
            wi
            for wi in qualified
            if any(
                max(ctx.early[vi], ctx.shifts[si].start)
                <= min(ctx.late[vi], ctx.shifts[si].end - visit.duration)
                for si in ctx.worker_day_shifts.get((wi, day), ())
            )
        ]
        candidates: list[int] = []
        failures: set[str] = set()
        for wi in present:
            worker = ctx.workers[wi]
            if visit.duration > min(worker.daily_max_minutes, worker.weekly_max_minutes):
                failures.add("weekly" if visit.duration > worker.weekly_max_minutes else "daily")
                continue
            if ctx.mad[vi] and visit.duration > ctx.mad_cap[wi]:
                failures.add("mad")
                continue
            fits = [si for si in ctx.worker_day_shifts[(wi, day)] if ctx.alone(vi, si)]
            if not fits:
                failures.add("window")
            candidates.extend(fits)
        if candidates:
            ctx.candidates[vi] = candidates
            for si in candidates:
                ctx.shift_visits[si].append(vi)
            continue
        ctx.reasons[vi] = _static_reason(ctx, vi, locked, skilled, qualified, present, failures)


def _static_reason(
    ctx: Context,
    vi: int,
    locked: int | None,
    skilled: list[int],
    qualified: list[int],
    present: list[int],
    failures: set[str],
) -> tuple[Reason, str]:
    visit = ctx.visits[vi]
    name = f"{visit.name} ({format_minute(ctx.early[vi])})"
    if locked is not None:
        worker = ctx.workers[locked]
        if not skilled:
            cause = f"n'a pas la compétence {_names(ctx.week, visit.required_skills)}"
        elif not qualified:
            cause = f"n'a pas l'habilitation {_names(ctx.week, visit.required_habilitations)}"
        elif not present:
            cause = "est absent ou indisponible sur ce créneau"
        elif "mad" in failures:
            cause = "a atteint son plafond de mise à disposition"
        elif "weekly" in failures:
            cause = "a une durée hebdomadaire maximale trop faible"
        else:
            cause = "ne peut pas s'y rendre et rentrer dans ses horaires"
        return Reason.LOCKED_WORKER, f"{name} : {worker.name}, intervenant verrouillé, {cause}."
    if not skilled:
        return (
            Reason.NO_SKILL,
            f"{name} : aucun intervenant ne sait faire {_names(ctx.week, visit.required_skills)}.",
        )
    if not qualified:
        return (
            Reason.NO_HABILITATION,
            f"{name} : aucun intervenant compétent n'a l'habilitation "
            f"{_names(ctx.week, visit.required_habilitations)}.",
        )
    if not present:
        return (
            Reason.ABSENT,
            f"{name} : les {len(qualified)} intervenants qualifiés sont absents ou "
            "indisponibles sur ce créneau.",
        )
    if "mad" in failures:
        return (
            Reason.MAD_CAP,
            f"{name} : les intervenants qualifiés et disponibles ont atteint leur plafond de "
            "mise à disposition (480 h sur 24 mois).",
        )
    if "weekly" in failures and "window" not in failures:
        return (
            Reason.WEEKLY_MAX,
            f"{name} : l'intervention dépasse la durée hebdomadaire maximale des intervenants "
            "qualifiés et disponibles.",
        )
    return (
        Reason.WINDOW,
        f"{name} : créneau trop serré, aucun intervenant qualifié et disponible ne peut s'y "
        "rendre, faire l'intervention et rentrer dans ses horaires.",
    )


# --- State of a plan under construction ------------------------------------------------------


class State:
    """Routes per shift with the workers' running totals."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.seq: dict[int, list[int]] = {}
        self.timed: dict[int, Timed] = {}
        self.where: dict[int, int] = {}
        self.minutes = [0] * len(ctx.workers)
        self.mad = [0] * len(ctx.workers)
        self.day_minutes: dict[tuple[int, int], int] = defaultdict(int)

    def set_route(self, si: int, seq: list[int], timed: Timed) -> None:
        ctx = self.ctx
        shift = ctx.shifts[si]
        for vi in self.seq.get(si, ()):
            self._count(shift, vi, -1)
            del self.where[vi]
        if seq:
            self.seq[si] = seq
            self.timed[si] = timed
        else:
            self.seq.pop(si, None)
            self.timed.pop(si, None)
        for vi in seq:
            self._count(shift, vi, 1)
            self.where[vi] = si

    def _count(self, shift: Shift, vi: int, sign: int) -> None:
        minutes = self.ctx.dur[vi] * sign
        self.minutes[shift.worker] += minutes
        self.day_minutes[(shift.worker, shift.day)] += minutes
        if self.ctx.mad[vi]:
            self.mad[shift.worker] += minutes

    def room(self, vi: int, si: int, freed: int = -1) -> bool:
        """Whether the worker of ``si`` has daily, weekly and MAD room for ``vi`` (after
        removing ``freed`` from that worker, if given)."""
        ctx = self.ctx
        shift = ctx.shifts[si]
        wi = shift.worker
        worker = ctx.workers[wi]
        back = ctx.dur[freed] if freed >= 0 else 0
        back_mad = back if freed >= 0 and ctx.mad[freed] else 0
        extra = ctx.dur[vi]
        if self.day_minutes[(wi, shift.day)] - back + extra > worker.daily_max_minutes:
            return False
        if self.minutes[wi] - back + extra > worker.weekly_max_minutes:
            return False
        return not (ctx.mad[vi] and self.mad[wi] - back_mad + extra > ctx.mad_cap[wi])

    def copy(self) -> State:
        other = State(self.ctx)
        other.seq = {si: list(seq) for si, seq in self.seq.items()}
        other.timed = dict(self.timed)
        other.where = dict(self.where)
        other.minutes = list(self.minutes)
        other.mad = list(self.mad)
        other.day_minutes = defaultdict(int, self.day_minutes)
        return other


def worker_penalty(worker: Worker, minutes: int) -> int:
    """Equity and weekly-minimum part of the objective for one worker."""
    penalty = 0
    if worker.is_insertion:
        deviation = abs(minutes - worker.weekly_target_minutes)
        band = round(EQUITY_BAND * worker.weekly_target_minutes)
        penalty += W_BAND * max(0, deviation - band) + W_DEVIATION * deviation
    if worker.weekly_min_minutes > minutes:
        penalty += W_MINIMUM * (worker.weekly_min_minutes - minutes)
    return penalty


def objective(ctx: Context, state: State) -> int:
    """The weighted objective the engine minimises (unserved first, travel last)."""
    total = 0
    for vi, candidates in enumerate(ctx.candidates):
        if candidates and vi not in state.where:
            total += W_UNSERVED
    for wi, worker in enumerate(ctx.workers):
        total += worker_penalty(worker, state.minutes[wi])
    for vi, si in state.where.items():
        usual = ctx.visits[vi].usual_worker_id
        if usual is not None and ctx.workers[ctx.shifts[si].worker].id != usual:
            total += W_CONTINUITY
    total += W_TRAVEL * sum(timed.travel for timed in state.timed.values())
    return total


def continuity_cost(ctx: Context, vi: int, si: int) -> int:
    usual = ctx.visits[vi].usual_worker_id
    if usual is None or ctx.workers[ctx.shifts[si].worker].id == usual:
        return 0
    return W_CONTINUITY


def dynamic_reason(ctx: Context, state: State, vi: int) -> tuple[Reason, str]:
    visit = ctx.visits[vi]
    name = f"{visit.name} ({format_minute(ctx.early[vi])})"
    workers = sorted({ctx.shifts[si].worker for si in ctx.candidates[vi]})
    if vi in ctx.lock:
        worker = ctx.workers[ctx.lock[vi]]
        return (
            Reason.LOCKED_WORKER,
            f"{name} : {worker.name}, intervenant verrouillé, n'a plus de place compatible ce "
            f"jour-là ({format_minutes(state.minutes[ctx.lock[vi]])} planifiées).",
        )
    with_room = [
        wi
        for wi in workers
        if state.minutes[wi] + visit.duration <= ctx.workers[wi].weekly_max_minutes
    ]
    if not with_room:
        return (
            Reason.WEEKLY_MAX,
            f"{name} : les {len(workers)} intervenants qualifiés et disponibles ont atteint leur "
            "durée hebdomadaire maximale.",
        )
    if ctx.mad[vi] and all(state.mad[wi] + visit.duration > ctx.mad_cap[wi] for wi in with_room):
        return (
            Reason.MAD_CAP,
            f"{name} : les intervenants qualifiés et disponibles ont atteint leur plafond de "
            "mise à disposition (480 h sur 24 mois).",
        )
    return (
        Reason.CAPACITY,
        f"{name} : les {len(workers)} intervenants qualifiés et disponibles sont déjà occupés "
        "sur ce créneau ou ont atteint leur durée quotidienne maximale.",
    )


def candidates(week: Week, travel: TravelModel) -> dict[int, set[int]]:
    """Per visit id, the ids of the workers able to do it on its own (benchmarks, reports)."""
    ctx = Context(week, travel)
    analyse(ctx)
    return {
        ctx.visits[vi].id: {ctx.workers[ctx.shifts[si].worker].id for si in shifts}
        for vi, shifts in enumerate(ctx.candidates)
    }
