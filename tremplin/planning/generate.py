"""Realistic synthetic weeks for tests and benchmarks (seeded, no database).

The structure follows the seed organisation (an association intermédiaire with insertion
workers, a home-services company with part-time staff, a B2B cleaning company) around a
mid-sized French town: six towns and scattered hamlets in a ~25 km square, clients with
recurring weekly slots (a weekday and a start window: morning, afternoon, a fixed hour, early
or late office cleaning), a usual worker for most clients, skills per service and
habilitations some clients require, part-time contracts with half-day availabilities,
insertion workers with weekly targets, days off, absences, and a few workers close to their
mise-à-disposition cap.

Visit durations are drawn from per-service distributions and then scaled so that the total
work is ``load`` × the sum of the workers' weekly targets: with the default 0.92 every visit can
be served and every insertion worker can be near target, but not trivially.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date

from tremplin.planning.problem import (
    MINUTES_PER_DAY,
    Interval,
    Location,
    Lock,
    Visit,
    Week,
    Worker,
)

CENTRE = Location(46.3237, -0.4588)  # Niort
KM_PER_DEGREE_LAT = 111.2
KM_PER_DEGREE_LON = 111.2 * math.cos(math.radians(CENTRE.lat))

# Towns: (east km, north km, spread km, weight).
TOWNS = (
    (0.0, 0.0, 2.5, 0.40),
    (-9.0, 5.0, 1.2, 0.14),
    (8.0, 6.0, 1.2, 0.13),
    (10.0, -7.0, 1.0, 0.12),
    (-7.0, -8.0, 1.0, 0.11),
    (2.0, 11.0, 0.8, 0.10),
)
HALF_SIDE_KM = 12.5
SCATTERED = 0.25

SERVICES_HOUSEHOLD = (("menage", 0.62), ("repassage", 0.13), ("jardinage", 0.18), ("lavage", 0.07))
SERVICES_COMPANY = (("entretien_locaux", 0.75), ("lavage", 0.10), ("jardinage", 0.15))
# Relative duration draws (minutes) before scaling to the target load.
DURATIONS = {
    "menage": (60, 90, 120, 120, 150, 180),
    "repassage": (60, 60, 90, 120),
    "jardinage": (90, 120, 180, 240),
    "lavage": (45, 60, 90),
    "entretien_locaux": (60, 90, 120, 180),
}
SKILL_SHARE = {
    "menage": 0.85,
    "repassage": 0.45,
    "jardinage": 0.30,
    "lavage": 0.15,
    "entretien_locaux": 0.40,
}
HABILITATION_SHARE = {"permis_b": 0.70, "produits": 0.45, "travail_hauteur": 0.10, "sst": 0.20}


@dataclass(frozen=True, slots=True)
class ContractKind:
    """A kind of contract in the generated population."""

    share: float
    insertion: bool
    targets_h: tuple[float, ...]
    min_of_target: float
    max_of_target: float
    daily_max: int


CONTRACTS = (
    # CDDUA in the AI: a guaranteed monthly volume (70–100 h/month), no weekly minimum.
    ContractKind(0.45, True, (16.0, 18.0, 19.5, 21.0, 23.0), 0.0, 1.30, 420),
    # CDDI (20 h minimum, R5132-26-7 / L5132-15-1).
    ContractKind(0.20, True, (20.0, 24.0, 26.0), 20 / 26, 1.25, 420),
    # Part-time CDI in the home-services company (complementary hours up to 1/3).
    # The weekly floor is 90 % of the contract: hours are smoothed over the month.
    ContractKind(0.20, False, (24.0, 28.0), 0.9, 1.33, 420),
    # Full-time CDI.
    ContractKind(0.15, False, (35.0,), 0.9, 40 / 35, 480),
)


def _point(rng: random.Random) -> Location:
    if rng.random() < SCATTERED:
        east = rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM)
        north = rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM)
    else:
        x, y, spread, _ = rng.choices(TOWNS, weights=[t[3] for t in TOWNS])[0]
        east = rng.gauss(x, spread)
        north = rng.gauss(y, spread)
    return Location(
        round(CENTRE.lat + north / KM_PER_DEGREE_LAT, 6),
        round(CENTRE.lon + east / KM_PER_DEGREE_LON, 6),
    )


def _km(a: Location, b: Location) -> float:
    return math.hypot((a.lat - b.lat) * KM_PER_DEGREE_LAT, (a.lon - b.lon) * KM_PER_DEGREE_LON)


@dataclass(frozen=True, slots=True)
class _Draft:
    client: int
    place: Location
    service: str
    required: frozenset[str]
    day: int
    earliest: int
    latest: int
    length: int
    mad: bool


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in table], weights=[w for _, w in table])[0]


def _day(day: int, start: int, end: int) -> Interval:
    return Interval(day * MINUTES_PER_DAY + start, day * MINUTES_PER_DAY + end)


def _availability(rng: random.Random, kind: ContractKind) -> tuple[Interval, ...]:
    days = [0, 1, 2, 3, 4]
    if kind.daily_max < 480 and rng.random() < 0.3:
        days.remove(rng.choice(days))  # a weekday off (part-time)
    if rng.random() < 0.2:
        days.append(5)  # works on Saturdays
    pattern = rng.random()
    result = []
    for day in days:
        if kind.insertion and pattern < 0.35:
            hours = (8 * 60 + 30, 16 * 60 + 30)  # school hours (childcare)
        elif not kind.insertion and kind.daily_max < 480 and pattern < 0.25:
            hours = (7 * 60, 13 * 60 + 30) if day % 2 == 0 else (13 * 60, 19 * 60 + 30)
        else:
            hours = (6 * 60, 20 * 60 + 30)
        if day == 5:
            hours = (8 * 60, 13 * 60)
        result.append(_day(day, *hours))
    return tuple(result)


def _absences(rng: random.Random) -> tuple[Interval, ...]:
    draw = rng.random()
    if draw < 0.06:  # sick leave or training: 1–5 days in a row
        first = rng.randrange(0, 5)
        last = min(5, first + rng.randrange(1, 6))
        return (Interval(first * MINUTES_PER_DAY, last * MINUTES_PER_DAY),)
    if draw < 0.14:  # an appointment
        day = rng.randrange(0, 5)
        start = rng.choice((9 * 60, 10 * 60, 14 * 60))
        return (_day(day, start, start + rng.choice((90, 120, 180))),)
    return ()


def _window(rng: random.Random, service: str, company: bool) -> tuple[int, int]:
    """Earliest and latest start within a day, minutes since midnight."""
    if service == "entretien_locaux":  # offices are cleaned before or after opening hours
        if rng.random() < 0.5:
            start = rng.choice((6 * 60 + 30, 7 * 60))
            return start, start + rng.choice((0, 30, 60))
        start = rng.choice((17 * 60 + 30, 18 * 60))
        return start, start + rng.choice((0, 30))
    kind = rng.random()
    if kind < 0.2:  # a fixed hour
        start = rng.choice(range(8 * 60, 16 * 60 + 1, 30))
        return start, start
    if kind < 0.55:  # morning
        start = rng.choice((8 * 60, 8 * 60 + 30, 9 * 60))
        return start, start + rng.choice((60, 90, 120))
    if kind < 0.9:  # afternoon
        start = rng.choice((13 * 60 + 30, 14 * 60))
        return start, start + rng.choice((60, 90, 120))
    return 8 * 60 + 30, 15 * 60  # any time in the day


def _worker_skills(rng: random.Random) -> frozenset[str]:
    skills = {name for name, share in SKILL_SHARE.items() if rng.random() < share}
    return frozenset(skills or {"menage"})


def generate_week(
    workers: int,
    visits: int,
    *,
    seed: int = 0,
    monday: date = date(2026, 3, 2),
    load: float = 0.92,
    lock_share: float = 0.01,
    entity_id: int = 1,
) -> Week:
    """A generated week of ``workers`` workers and ``visits`` interventions."""
    rng = random.Random(seed)
    people: list[Worker] = []
    for number in range(1, workers + 1):
        kind = rng.choices(CONTRACTS, weights=[c.share for c in CONTRACTS])[0]
        target = round(rng.choice(kind.targets_h) * 60)
        mad_cap: int | None = None
        if kind.insertion and kind.min_of_target == 0.0:
            mad_cap = rng.choice((0, 120, 240, 480)) if rng.random() < 0.1 else 28800
        people.append(
            Worker(
                id=number,
                name=f"Intervenant {number}",
                home=_point(rng),
                availability=_availability(rng, kind),
                daily_max_minutes=kind.daily_max,
                weekly_max_minutes=min(48 * 60, round(target * kind.max_of_target)),
                weekly_target_minutes=target,
                weekly_min_minutes=round(target * kind.min_of_target),
                absences=_absences(rng),
                skills=_worker_skills(rng),
                habilitations=frozenset(
                    h for h, share in HABILITATION_SHARE.items() if rng.random() < share
                ),
                is_insertion=kind.insertion,
                mad_cap_minutes=mad_cap,
            )
        )

    drafts: list[_Draft] = []
    client_id = 5000
    while len(drafts) < visits:
        client_id += 1
        company = rng.random() < 0.2
        service = _pick(rng, SERVICES_COMPANY if company else SERVICES_HOUSEHOLD)
        place = _point(rng)
        required: set[str] = set()
        if service in ("lavage", "jardinage") and rng.random() < 0.6:
            required.add("permis_b")
        if service in ("menage", "entretien_locaux") and rng.random() < 0.2:
            required.add("produits")
        if company and rng.random() < 0.05:
            required.add("travail_hauteur")
        per_week = rng.choices((1, 2, 3, 5), weights=(0.6, 0.25, 0.1, 0.05))[0]
        days = sorted(rng.sample(range(5), per_week))
        if per_week == 1 and rng.random() < 0.05:
            days = [5]
        earliest, latest = _window(rng, service, company)
        length = rng.choice(DURATIONS[service])
        for day in days:
            if len(drafts) == visits:
                break
            drafts.append(
                _Draft(
                    client=client_id,
                    place=place,
                    service=service,
                    required=frozenset(required),
                    day=day,
                    earliest=earliest if day < 5 else 8 * 60 + 30,
                    latest=latest if day < 5 else 10 * 60,
                    length=length,
                    mad=company,
                )
            )

    wanted = load * sum(w.weekly_target_minutes for w in people)
    scale = wanted / max(1, sum(d.length for d in drafts))
    visits_out: list[Visit] = []
    for number, draft in enumerate(drafts):
        length = max(30, 15 * round(draft.length * scale / 15))
        latest = max(min(draft.latest, 20 * 60 - length), min(draft.earliest, 20 * 60 - length))
        earliest = min(draft.earliest, latest)
        base = draft.day * MINUTES_PER_DAY
        visits_out.append(
            Visit(
                id=10001 + number,
                client_id=draft.client,
                location=draft.place,
                earliest_start=base + earliest,
                latest_start=base + latest,
                duration=length,
                required_skills=frozenset({draft.service}),
                required_habilitations=draft.required,
                counts_toward_mad_cap=draft.mad,
                label=f"Client {draft.client} — {draft.service}",
            )
        )

    usual = _history(rng, people, visits_out)
    visits_out = [replace(v, usual_worker_id=usual.get(v.client_id)) for v in visits_out]
    locks = _locks(rng, people, visits_out, lock_share)
    return Week(entity_id, monday, tuple(people), tuple(visits_out), locks)


def _history(rng: random.Random, people: list[Worker], visits: list[Visit]) -> dict[int, int]:
    """Each client's usual worker, as a previous week's plan made them: clients in random
    order take one of their 8 nearest qualified workers who was free at all their slots
    (30 minutes either side for travel) and still under target; 15 % are new clients
    without a usual worker."""
    slots: dict[int, list[Visit]] = {}
    for visit in visits:
        slots.setdefault(visit.client_id, []).append(visit)
    clients = sorted(slots)
    rng.shuffle(clients)
    booked: dict[tuple[int, int], list[tuple[int, int]]] = {}
    load = {w.id: 0 for w in people}
    result: dict[int, int] = {}
    for client in clients:
        if rng.random() < 0.15:
            continue
        own = slots[client]
        first = own[0]
        assert first.location is not None
        place = first.location
        qualified = [
            w
            for w in people
            if first.required_skills <= w.skills and first.required_habilitations <= w.habilitations
        ]
        minutes = sum(v.duration for v in own)
        for worker in sorted(qualified, key=lambda w: _km(w.home, place))[:8]:
            if load[worker.id] + minutes > worker.weekly_target_minutes:
                continue
            spans = [
                (v.day, v.earliest_start - 30, v.earliest_start + v.duration + 30) for v in own
            ]
            if all(
                any(a.contains(start + 30, end - 30) for a in worker.availability)
                and not any(
                    start < b_end and b_start < end
                    for b_start, b_end in booked.get((worker.id, day), [])
                )
                for day, start, end in spans
            ):
                for day, start, end in spans:
                    booked.setdefault((worker.id, day), []).append((start, end))
                load[worker.id] += minutes
                result[client] = worker.id
                break
    return result


def _locks(
    rng: random.Random, people: list[Worker], visits: list[Visit], share: float
) -> tuple[Lock, ...]:
    """A few visits the planner has locked to their usual worker (when that worker is free)."""
    by_id = {w.id: w for w in people}
    locks: list[Lock] = []
    for visit in visits:
        if visit.usual_worker_id is None or rng.random() >= share:
            continue
        worker = by_id[visit.usual_worker_id]
        free = any(
            a.contains(visit.earliest_start, visit.latest_start + visit.duration)
            for a in worker.availability
        ) and not any(
            a.overlaps(visit.earliest_start, visit.latest_start + visit.duration)
            for a in worker.absences
        )
        if free:
            locks.append(Lock(visit.id, worker.id))
    return tuple(locks)
