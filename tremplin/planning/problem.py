"""The planning problem of one entity for one week, and the plan that answers it.

Plain frozen dataclasses, no database: the loader builds a :class:`Week` from the entity's
interventions, workers, absences and locks; :func:`tremplin.planning.engine.solve` returns a
:class:`Plan`; :func:`tremplin.planning.checker.check` lists its :class:`Violation` s.

Conventions used by every field:

- **times** are whole minutes since the week's Monday 00:00, Europe/Paris wall clock (Monday
  09:30 is 570, Tuesday 08:00 is 1,920). Every day has 1,440 minutes in this numbering, even
  across a daylight-saving change; :func:`to_minute` and :func:`to_datetime` convert.
  Intervals are half-open: ``[start, end)``.
- **durations** are whole minutes.
- **ids** are database primary keys: a visit is an intervention (``Intervention.pk``), a
  worker is a person (``Person.pk``), a client is ``Client.pk``.
- **hours counted against a contract** (daily maximum, weekly minimum/target/maximum, MAD cap)
  are the minutes of the interventions served, as the orders' assignment checks and the
  timesheets count them. Travel is routed, reported and minimised but not counted in those
  hours (see docs/algorithms/planning.md, "what is not modelled").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from tremplin.core.parameters import DatedParameter, Period

PARIS = ZoneInfo("Europe/Paris")
MINUTES_PER_DAY = 1440
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# Called by the engine with the fraction done (0.0 to 1.0) and a French step label.
Progress = Callable[[float, str], None]


# --- Time -----------------------------------------------------------------------------------


def to_minute(moment: datetime, monday: date) -> int:
    """Minutes since ``monday`` 00:00 of an aware datetime, read on the Paris wall clock."""
    local = moment.astimezone(PARIS)
    days = (local.date() - monday).days
    return days * MINUTES_PER_DAY + local.hour * 60 + local.minute


def to_datetime(minute: int, monday: date) -> datetime:
    """The aware Paris datetime of a minute of the week (inverse of :func:`to_minute`)."""
    day, rest = divmod(minute, MINUTES_PER_DAY)
    return datetime.combine(monday + timedelta(days=day), time(rest // 60, rest % 60), PARIS)


def day_of(minute: int) -> int:
    """Day of the week of a minute (0 = Monday)."""
    return minute // MINUTES_PER_DAY


def format_minute(minute: int) -> str:
    """« mardi 08:30 » for a minute of the week."""
    day, rest = divmod(minute, MINUTES_PER_DAY)
    name = DAYS[day] if 0 <= day < len(DAYS) else f"jour {day + 1}"
    return f"{name} {rest // 60:02d}:{rest % 60:02d}"


def format_minutes(minutes: int) -> str:
    """« 7 h 05 » for a duration in minutes."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours} h {rest:02d}"


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open stretch of time ``[start, end)`` in minutes of the week."""

    start: int
    end: int

    def contains(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` lies inside this interval."""
        return self.start <= start and end <= self.end

    def overlaps(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` shares time with this interval (touching ends do not)."""
        return start < self.end and self.start < end


# --- Legal parameters -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BreakRule:
    """After ``after_minutes`` of work a worker gets a break of ``length_minutes`` in a row."""

    after_minutes: int
    length_minutes: int


BREAK_RULE: DatedParameter[BreakRule] = DatedParameter(
    "planning_break_rule",
    "Pause quotidienne (minutes de travail avant pause, durée de la pause)",
    (
        Period(
            BreakRule(after_minutes=360, length_minutes=20),
            date(2008, 5, 1),
            None,
            "Code du travail, art. L3121-16 (ex-L3121-33) : dès six heures de travail "
            "quotidien, pause d'au moins vingt minutes consécutives",
        ),
    ),
)

DAILY_MAX_MINUTES: DatedParameter[int] = DatedParameter(
    "planning_daily_max",
    "Durée quotidienne maximale de travail (minutes)",
    (Period(600, date(2008, 5, 1), None, "Code du travail, art. L3121-18 (dix heures)"),),
)


# --- The problem ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Location:
    """A point on the map (WGS 84 degrees). Two visits at the same address share it."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Worker:
    """A person who can be sent to interventions this week (one active contract or more)."""

    id: int
    """``Person.pk``."""
    name: str
    """Display name, used in French messages."""
    home: Location
    """Where each working day starts and ends (the entity's site when the home is unknown)."""
    availability: tuple[Interval, ...]
    """When the worker may be away from home working, e.g. ``Interval(480, 1080)`` for Monday
    08:00–18:00. A route (leaving home to coming back) must fit inside one of them."""
    daily_max_minutes: int
    """Most minutes of interventions in one day."""
    weekly_max_minutes: int
    """Most minutes of interventions in the week (contract hours, or the legal maximum minus
    hours already worked elsewhere in the group). Hard limit."""
    weekly_target_minutes: int
    """The contract's weekly hours in minutes (a CDDUA's monthly volume × 12 / 52): the hours
    equity objective brings insertion workers close to it."""
    weekly_min_minutes: int = 0
    """Guaranteed minimum of the week (part-time minimum, CDDUA guaranteed volume), 0 if none.
    A plan below it is reported by the checker as a non-blocking violation."""
    absences: tuple[Interval, ...] = ()
    """Absences (leave, sickness, training…): no route may overlap them."""
    skills: frozenset[str] = frozenset()
    """Services the worker can do (``ServiceKind`` values such as ``"menage"``)."""
    habilitations: frozenset[str] = frozenset()
    """``HabilitationKind`` values valid for the whole week (the loader drops expired ones)."""
    is_insertion: bool = False
    """An insertion worker (AI, CDDI…): hours equity applies."""
    mad_cap_minutes: int | None = None
    """Minutes of mise à disposition to employers left under the 480 h / 24 months cap
    (domain.md §1.4, R5132-18); ``None`` when the cap does not apply."""


@dataclass(frozen=True, slots=True)
class Visit:
    """One intervention to staff: a client site, a start window and a duration."""

    id: int
    """``Intervention.pk``."""
    client_id: int
    """``Client.pk``; continuity is kept per client."""
    location: Location | None
    """The site; ``None`` when the site has no coordinates (reported unserved)."""
    earliest_start: int
    """Earliest start, minutes of the week."""
    latest_start: int
    """Latest start, minutes of the week (equal to ``earliest_start`` for a fixed start)."""
    duration: int
    """Minutes on site, counted in the worker's hours."""
    required_skills: frozenset[str] = frozenset()
    """Services the worker must know (``ServiceKind`` values)."""
    required_habilitations: frozenset[str] = frozenset()
    """Habilitations the client requires (``HabilitationKind`` values)."""
    usual_worker_id: int | None = None
    """The client's usual worker (``Order.usual_worker``): continuity objective."""
    counts_toward_mad_cap: bool = False
    """A mise à disposition to an employer: its minutes count against the worker's MAD cap."""
    label: str = ""
    """Short French description for messages, e.g. « Mme Martin — ménage »."""

    @property
    def day(self) -> int:
        """Day of the week (0 = Monday) of the start window."""
        return day_of(self.earliest_start)

    @property
    def name(self) -> str:
        """The label, or a fallback naming the intervention."""
        return self.label or f"Intervention n° {self.id}"


@dataclass(frozen=True, slots=True)
class Lock:
    """A planner's decision the engine must keep: this visit goes to this worker."""

    visit_id: int
    worker_id: int
    start: int | None = None
    """If set, the visit also starts exactly at this minute."""


@dataclass(frozen=True, slots=True)
class Week:
    """Everything the engine needs to plan one entity's week."""

    entity_id: int
    """``Entity.pk``."""
    monday: date
    """The Monday the minutes count from."""
    workers: tuple[Worker, ...]
    visits: tuple[Visit, ...]
    locks: tuple[Lock, ...] = ()
    breaks: BreakRule | None = None
    """The break rule; ``None`` reads the one in force on ``monday`` (:data:`BREAK_RULE`)."""
    labels: tuple[tuple[str, str], ...] = ()
    """French labels of skill and habilitation codes for messages, e.g.
    ``(("permis_b", "Permis B"),)``; a code without a label is shown as is."""

    @property
    def break_rule(self) -> BreakRule:
        return self.breaks or BREAK_RULE.on(self.monday)

    def label(self, code: str) -> str:
        """The French label of a skill or habilitation code."""
        return dict(self.labels).get(code, code)

    def workers_by_id(self) -> dict[int, Worker]:
        return {worker.id: worker for worker in self.workers}

    def visits_by_id(self) -> dict[int, Visit]:
        return {visit.id: visit for visit in self.visits}


# --- The plan -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assignment:
    """One visit given to one worker at a start time."""

    visit_id: int
    worker_id: int
    start: int
    """Minutes of the week."""
    end: int
    """``start + duration``."""


@dataclass(frozen=True, slots=True)
class Route:
    """One worker's day: leave ``start`` at ``leave``, do the stops in order, be back at
    ``end`` by ``back``."""

    worker_id: int
    day: int
    """0 = Monday."""
    start: Location
    end: Location
    leave: int
    """Minute the worker leaves ``start`` (home)."""
    back: int
    """Minute the worker is back at ``end`` (home)."""
    stops: tuple[Assignment, ...]
    """In visiting order."""
    travel_minutes: int
    """Total travel of the day, home to home."""


class Reason(StrEnum):
    """Why an intervention could not be staffed (stable codes, French labels)."""

    NO_LOCATION = "no_location"
    NO_SKILL = "no_skill"
    NO_HABILITATION = "no_habilitation"
    ABSENT = "absent"
    WINDOW = "window"
    WEEKLY_MAX = "weekly_max"
    MAD_CAP = "mad_cap"
    LOCKED_WORKER = "locked_worker"
    CAPACITY = "capacity"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS: dict[Reason, str] = {
    Reason.NO_LOCATION: "Adresse du site sans coordonnées",
    Reason.NO_SKILL: "Aucun intervenant n'a les compétences requises",
    Reason.NO_HABILITATION: "Aucun intervenant n'a les habilitations requises",
    Reason.ABSENT: "Intervenants qualifiés absents ou indisponibles",
    Reason.WINDOW: "Créneau trop serré",
    Reason.WEEKLY_MAX: "Durée hebdomadaire maximale atteinte",
    Reason.MAD_CAP: "Plafond de mise à disposition atteint",
    Reason.LOCKED_WORKER: "Intervenant verrouillé indisponible",
    Reason.CAPACITY: "Capacité insuffisante",
}


@dataclass(frozen=True, slots=True)
class Unserved:
    """An intervention left without a worker, with the reason and a French explanation."""

    visit_id: int
    reason: Reason
    message: str


@dataclass(frozen=True, slots=True)
class Plan:
    """The engine's answer: every visit is in exactly one route or listed as unserved."""

    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    seconds: float = 0.0
    """Wall time of the solve."""
    stats: dict[str, float] = field(default_factory=dict)
    """Figures for display and benchmarks (``travel_minutes``, ``served``…)."""

    def assignments(self) -> list[Assignment]:
        return [stop for route in self.routes for stop in route.stops]

    def travel_minutes(self) -> int:
        return sum(route.travel_minutes for route in self.routes)

    def minutes_by_worker(self) -> dict[int, int]:
        """Minutes of interventions per worker id (workers without work are absent)."""
        totals: dict[int, int] = {}
        for stop in self.assignments():
            totals[stop.worker_id] = totals.get(stop.worker_id, 0) + stop.end - stop.start
        return totals


# --- Checker findings -----------------------------------------------------------------------


class Rule(StrEnum):
    """The constraint a :class:`Violation` breaks."""

    UNKNOWN = "unknown"
    DUPLICATE = "duplicate"
    MISSING = "missing"
    WINDOW = "window"
    OVERLAP = "overlap"
    SKILL = "skill"
    HABILITATION = "habilitation"
    AVAILABILITY = "availability"
    DAILY_MAX = "daily_max"
    BREAK = "break"
    WEEKLY_MAX = "weekly_max"
    WEEKLY_MIN = "weekly_min"
    MAD_CAP = "mad_cap"
    LOCK = "lock"
    HOME = "home"
    TRAVEL = "travel"


@dataclass(frozen=True, slots=True)
class Violation:
    """A constraint a plan breaks, in French, naming the worker and the intervention."""

    rule: Rule
    message: str
    visit_id: int | None = None
    worker_id: int | None = None
    blocking: bool = True
    """``False`` for findings a planner may accept (weekly minimum not reached)."""
