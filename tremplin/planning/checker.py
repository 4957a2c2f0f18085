"""An independent check of a plan against every constraint of its week.

Written apart from the engine on purpose (it shares no constraint code with
:mod:`tremplin.planning.engine` or :mod:`tremplin.planning.greedy`): it recomputes travel from
the travel model, every stop's window and duration, each route's departure from home and
return, availability and absences, skills and habilitations, daily, weekly and MAD totals,
the legal break, locks, and that every intervention is either served once or reported
unserved. Each finding is a :class:`~tremplin.planning.problem.Violation` in French.
"""

from __future__ import annotations

from collections import defaultdict

from tremplin.planning.problem import (
    MINUTES_PER_DAY,
    Assignment,
    Plan,
    Route,
    Rule,
    Violation,
    Visit,
    Week,
    Worker,
    format_minute,
    format_minutes,
)
from tremplin.planning.travel import TravelModel


def _visit_name(visit: Visit, start: int | None = None) -> str:
    moment = visit.earliest_start if start is None else start
    return f"{visit.name} ({format_minute(moment)})"


def _quoted(week: Week, values: frozenset[str]) -> str:
    return ", ".join(f"« {week.label(value)} »" for value in sorted(values))


def check(week: Week, plan: Plan, travel: TravelModel) -> list[Violation]:
    """Every constraint ``plan`` breaks for ``week``; an empty list means a valid plan."""
    workers = {worker.id: worker for worker in week.workers}
    visits = {visit.id: visit for visit in week.visits}
    found: list[Violation] = []
    served: dict[int, list[tuple[Route, Assignment]]] = defaultdict(list)

    for route in plan.routes:
        worker = workers.get(route.worker_id)
        if worker is None:
            found.append(
                Violation(
                    Rule.UNKNOWN,
                    f"Tournée du {format_minute(route.leave)} : intervenant n° {route.worker_id} "
                    "inconnu.",
                    worker_id=route.worker_id,
                )
            )
            continue
        known: list[tuple[Assignment, Visit]] = []
        for stop in route.stops:
            visit = visits.get(stop.visit_id)
            if visit is None:
                found.append(
                    Violation(
                        Rule.UNKNOWN,
                        f"{worker.name} : intervention n° {stop.visit_id} inconnue.",
                        visit_id=stop.visit_id,
                        worker_id=worker.id,
                    )
                )
                continue
            if stop.worker_id != route.worker_id:
                found.append(
                    Violation(
                        Rule.UNKNOWN,
                        f"{_visit_name(visit, stop.start)} figure dans la tournée de "
                        f"{worker.name} mais est attribuée à l'intervenant n° {stop.worker_id}.",
                        visit_id=visit.id,
                        worker_id=worker.id,
                    )
                )
            served[visit.id].append((route, stop))
            known.append((stop, visit))
            found.extend(_check_stop(week, worker, route, stop, visit))
        found.extend(_check_route(worker, route, known, travel))

    found.extend(_check_coverage(week, plan, served, visits))
    found.extend(_check_worker_totals(week, plan, workers, visits, travel))
    found.extend(_check_locks(week, served, workers, visits))
    return found


def _check_stop(
    week: Week, worker: Worker, route: Route, stop: Assignment, visit: Visit
) -> list[Violation]:
    found: list[Violation] = []
    name = _visit_name(visit, stop.start)

    def add(rule: Rule, message: str) -> None:
        found.append(Violation(rule, message, visit_id=visit.id, worker_id=worker.id))

    if stop.start < visit.earliest_start:
        add(
            Rule.WINDOW,
            f"{name} : {worker.name} commence avant l'ouverture du créneau "
            f"({format_minute(visit.earliest_start)}).",
        )
    if stop.start > visit.latest_start:
        add(
            Rule.WINDOW,
            f"{name} : {worker.name} commence après le dernier début possible "
            f"({format_minute(visit.latest_start)}).",
        )
    if stop.end - stop.start != visit.duration:
        add(
            Rule.OVERLAP,
            f"{name} : durée planifiée {format_minutes(stop.end - stop.start)} au lieu de "
            f"{format_minutes(visit.duration)}.",
        )
    if stop.start // MINUTES_PER_DAY != route.day:
        add(Rule.AVAILABILITY, f"{name} : placée dans la tournée d'un autre jour.")
    missing_skills = visit.required_skills - worker.skills
    if missing_skills:
        add(
            Rule.SKILL,
            f"{name} : {worker.name} n'a pas la compétence {_quoted(week, missing_skills)}.",
        )
    missing = visit.required_habilitations - worker.habilitations
    if missing:
        add(
            Rule.HABILITATION,
            f"{name} : {worker.name} n'a pas l'habilitation {_quoted(week, missing)} exigée par le "
            "client.",
        )
    if visit.location is None:
        add(Rule.TRAVEL, f"{name} : le site n'a pas de coordonnées, le trajet est inconnu.")
    return found


def _check_route(
    worker: Worker, route: Route, stops: list[tuple[Assignment, Visit]], travel: TravelModel
) -> list[Violation]:
    found: list[Violation] = []
    label = f"Tournée de {worker.name} du {format_minute(route.leave)}"

    def add(rule: Rule, message: str, visit: Visit | None = None) -> None:
        found.append(
            Violation(rule, message, visit_id=visit.id if visit else None, worker_id=worker.id)
        )

    if route.start != worker.home:
        add(Rule.HOME, f"{label} : ne part pas du domicile de l'intervenant.")
    if route.end != worker.home:
        add(Rule.HOME, f"{label} : ne revient pas au domicile de l'intervenant.")
    if route.back < route.leave:
        add(Rule.TRAVEL, f"{label} : retour avant le départ.")
    if not any(a.start <= route.leave and route.back <= a.end for a in worker.availability):
        add(
            Rule.AVAILABILITY,
            f"{label} : de {format_minute(route.leave)} à {format_minute(route.back)}, hors des "
            "disponibilités de l'intervenant.",
        )
    for absence in worker.absences:
        if route.leave < absence.end and absence.start < route.back:
            add(
                Rule.AVAILABILITY,
                f"{label} : chevauche une absence (du {format_minute(absence.start)} au "
                f"{format_minute(absence.end)}).",
            )
    if any(visit.location is None for _, visit in stops):
        return found
    position = route.start
    clock = route.leave
    total = 0
    previous: Visit | None = None
    for stop, visit in stops:
        assert visit.location is not None
        trip = travel.minutes(position, visit.location)
        total += trip
        if previous is not None and stop.start < clock:
            add(
                Rule.OVERLAP,
                f"{_visit_name(visit, stop.start)} commence avant la fin de "
                f"{_visit_name(previous)} ({worker.name}).",
                visit,
            )
        elif clock + trip > stop.start:
            origin = "du domicile" if previous is None else f"de {previous.name}"
            add(
                Rule.TRAVEL,
                f"{_visit_name(visit, stop.start)} : {worker.name} ne peut pas arriver à temps "
                f"({trip} min de trajet {origin}).",
                visit,
            )
        clock = max(clock, stop.end)
        position = visit.location
        previous = visit
    home_trip = travel.minutes(position, route.end)
    total += home_trip
    if stops and clock + home_trip > route.back:
        add(
            Rule.TRAVEL,
            f"{label} : retour au domicile à {format_minute(clock + home_trip)}, après l'heure "
            f"prévue ({format_minute(route.back)}).",
        )
    if total != route.travel_minutes:
        add(
            Rule.TRAVEL,
            f"{label} : {route.travel_minutes} min de trajet annoncées, {total} min recalculées.",
        )
    return found


def _check_coverage(
    week: Week,
    plan: Plan,
    served: dict[int, list[tuple[Route, Assignment]]],
    visits: dict[int, Visit],
) -> list[Violation]:
    found: list[Violation] = []
    for visit_id, places in served.items():
        if len(places) > 1:
            found.append(
                Violation(
                    Rule.DUPLICATE,
                    f"{_visit_name(visits[visit_id])} est planifiée {len(places)} fois.",
                    visit_id=visit_id,
                )
            )
    reported: dict[int, int] = defaultdict(int)
    for item in plan.unserved:
        reported[item.visit_id] += 1
        if item.visit_id not in visits:
            found.append(
                Violation(
                    Rule.UNKNOWN,
                    f"Intervention non pourvue n° {item.visit_id} inconnue.",
                    visit_id=item.visit_id,
                )
            )
    for visit_id, count in reported.items():
        if visit_id not in visits:
            continue
        name = _visit_name(visits[visit_id])
        if count > 1:
            found.append(
                Violation(
                    Rule.DUPLICATE, f"{name} est signalée {count} fois non pourvue.", visit_id
                )
            )
        if visit_id in served:
            found.append(
                Violation(
                    Rule.DUPLICATE,
                    f"{name} est à la fois planifiée et signalée non pourvue.",
                    visit_id,
                )
            )
    for visit in week.visits:
        if visit.id not in served and visit.id not in reported:
            found.append(
                Violation(
                    Rule.MISSING,
                    f"{_visit_name(visit)} n'est ni planifiée ni signalée non pourvue.",
                    visit.id,
                )
            )
    return found


def _check_worker_totals(
    week: Week,
    plan: Plan,
    workers: dict[int, Worker],
    visits: dict[int, Visit],
    travel: TravelModel,
) -> list[Violation]:
    found: list[Violation] = []
    routes_of: dict[int, list[Route]] = defaultdict(list)
    for route in plan.routes:
        if route.worker_id in workers:
            routes_of[route.worker_id].append(route)
    rule = week.break_rule
    for worker in week.workers:
        routes = sorted(routes_of.get(worker.id, []), key=lambda r: r.leave)
        for first, second in zip(routes, routes[1:], strict=False):
            if second.leave < first.back:
                found.append(
                    Violation(
                        Rule.OVERLAP,
                        f"{worker.name} : deux tournées se chevauchent "
                        f"({format_minute(first.leave)} et {format_minute(second.leave)}).",
                        worker_id=worker.id,
                    )
                )
        # (day, start, end, visit, route index) of every known stop.
        stops = [
            (stop.start // MINUTES_PER_DAY, stop.start, stop.end, visits[stop.visit_id], n)
            for n, route in enumerate(routes)
            for stop in route.stops
            if stop.visit_id in visits
        ]
        weekly = sum(end - start for _, start, end, _, _ in stops)
        mad = sum(end - start for _, start, end, visit, _ in stops if visit.counts_toward_mad_cap)
        per_day: dict[int, int] = defaultdict(int)
        for day, start, end, _, _ in stops:
            per_day[day] += end - start
        for day, minutes in sorted(per_day.items()):
            if minutes > worker.daily_max_minutes:
                found.append(
                    Violation(
                        Rule.DAILY_MAX,
                        f"{worker.name} : {format_minutes(minutes)} d'interventions le "
                        f"{format_minute(day * MINUTES_PER_DAY)[:-6]}, au-delà du maximum "
                        f"quotidien de {format_minutes(worker.daily_max_minutes)}.",
                        worker_id=worker.id,
                    )
                )
        if weekly > worker.weekly_max_minutes:
            found.append(
                Violation(
                    Rule.WEEKLY_MAX,
                    f"{worker.name} : {format_minutes(weekly)} dans la semaine, au-delà du "
                    f"maximum de {format_minutes(worker.weekly_max_minutes)}.",
                    worker_id=worker.id,
                )
            )
        if weekly < worker.weekly_min_minutes:
            found.append(
                Violation(
                    Rule.WEEKLY_MIN,
                    f"{worker.name} : {format_minutes(weekly)} dans la semaine, en dessous du "
                    f"minimum garanti de {format_minutes(worker.weekly_min_minutes)}.",
                    worker_id=worker.id,
                    blocking=False,
                )
            )
        if worker.mad_cap_minutes is not None and mad > worker.mad_cap_minutes:
            found.append(
                Violation(
                    Rule.MAD_CAP,
                    f"{worker.name} : {format_minutes(mad)} de mise à disposition, au-delà des "
                    f"{format_minutes(worker.mad_cap_minutes)} restant sous le plafond de 480 h "
                    "sur 24 mois.",
                    worker_id=worker.id,
                )
            )
        found.extend(
            _check_breaks(worker, routes, stops, rule.after_minutes, rule.length_minutes, travel)
        )
    return found


def _check_breaks(
    worker: Worker,
    routes: list[Route],
    stops: list[tuple[int, int, int, Visit, int]],
    after: int,
    pause: int,
    travel: TravelModel,
) -> list[Violation]:
    """No stretch of work without ``pause`` free minutes may hold more than ``after`` minutes of
    interventions (Code du travail, art. L3121-16)."""
    found: list[Violation] = []
    ordered = sorted(stops, key=lambda item: item[1])
    worked = 0
    flagged_days: set[int] = set()
    for k, (day, start, end, visit, route_index) in enumerate(ordered):
        if k > 0:
            p_day, _, p_end, p_visit, p_route = ordered[k - 1]
            if p_day != day:
                worked = 0
            else:
                if p_visit.location is None or visit.location is None:
                    trip = 0
                elif p_route == route_index:
                    trip = travel.minutes(p_visit.location, visit.location)
                else:
                    home = routes[p_route].end
                    trip = travel.minutes(p_visit.location, home) + travel.minutes(
                        routes[route_index].start, visit.location
                    )
                if start - p_end - trip >= pause:
                    worked = 0
        worked += end - start
        if worked > after and day not in flagged_days:
            flagged_days.add(day)
            found.append(
                Violation(
                    Rule.BREAK,
                    f"{worker.name} : plus de {format_minutes(after)} d'interventions sans pause "
                    f"d'au moins {pause} minutes, jusqu'à {_visit_name(visit, start)}.",
                    visit_id=visit.id,
                    worker_id=worker.id,
                )
            )
    return found


def _check_locks(
    week: Week,
    served: dict[int, list[tuple[Route, Assignment]]],
    workers: dict[int, Worker],
    visits: dict[int, Visit],
) -> list[Violation]:
    found: list[Violation] = []
    for lock in week.locks:
        visit = visits.get(lock.visit_id)
        if visit is None:
            found.append(
                Violation(
                    Rule.UNKNOWN,
                    f"Verrou sur l'intervention n° {lock.visit_id}, inconnue.",
                    visit_id=lock.visit_id,
                )
            )
            continue
        locked = workers.get(lock.worker_id)
        locked_name = locked.name if locked else f"l'intervenant n° {lock.worker_id}"
        for _, stop in served.get(lock.visit_id, []):
            if stop.worker_id != lock.worker_id:
                found.append(
                    Violation(
                        Rule.LOCK,
                        f"{_visit_name(visit, stop.start)} est verrouillée sur {locked_name} "
                        "mais attribuée à un autre intervenant.",
                        visit_id=visit.id,
                        worker_id=stop.worker_id,
                    )
                )
            elif lock.start is not None and stop.start != lock.start:
                found.append(
                    Violation(
                        Rule.LOCK,
                        f"{_visit_name(visit, stop.start)} est verrouillée à "
                        f"{format_minute(lock.start)}.",
                        visit_id=visit.id,
                        worker_id=stop.worker_id,
                    )
                )
    return found
