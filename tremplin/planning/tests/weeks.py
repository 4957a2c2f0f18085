"""A small hand-made week and a valid plan for it, shared by the planning tests.

Travel is a matrix: 10 minutes between any two distinct places (20 between the two homes).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from tremplin.planning.problem import (
    Assignment,
    Interval,
    Location,
    Lock,
    Plan,
    Route,
    Visit,
    Week,
    Worker,
)
from tremplin.planning.travel import MatrixTravel

MONDAY = date(2026, 3, 2)
HOME_A = Location(46.30, -0.45)
HOME_B = Location(46.32, -0.40)
SITE_1 = Location(46.31, -0.46)
SITE_2 = Location(46.33, -0.47)
SITE_3 = Location(46.34, -0.41)
SITE_4 = Location(46.29, -0.44)
PLACES = [HOME_A, HOME_B, SITE_1, SITE_2, SITE_3, SITE_4]


def matrix_travel() -> MatrixTravel:
    minutes = np.full((len(PLACES), len(PLACES)), 10, dtype=np.int64)
    minutes[0, 1] = minutes[1, 0] = 20
    np.fill_diagonal(minutes, 0)
    return MatrixTravel(PLACES, minutes)


def at(day: int, hour: int, minute: int = 0) -> int:
    """Minute of the week of ``day`` (0 = Monday) at ``hour:minute``."""
    return day * 1440 + hour * 60 + minute


WORKER_A = Worker(
    id=1,
    name="Alice Martin",
    home=HOME_A,
    availability=(Interval(at(0, 8), at(0, 18)), Interval(at(1, 8), at(1, 18))),
    daily_max_minutes=420,
    weekly_max_minutes=600,
    weekly_target_minutes=540,
    weekly_min_minutes=200,
    absences=(Interval(at(1, 12), at(1, 14)),),
    skills=frozenset({"menage", "repassage"}),
    habilitations=frozenset({"permis_b"}),
    is_insertion=True,
    mad_cap_minutes=120,
)
WORKER_B = Worker(
    id=2,
    name="Bruno Petit",
    home=HOME_B,
    availability=(Interval(at(0, 8), at(0, 18)),),
    daily_max_minutes=480,
    weekly_max_minutes=900,
    weekly_target_minutes=600,
    skills=frozenset({"menage"}),
)
VISIT_1 = Visit(101, 501, SITE_1, at(0, 9), at(0, 9), 120, frozenset({"menage"}), label="Mme Roux")
VISIT_2 = Visit(
    102,
    502,
    SITE_2,
    at(0, 11),
    at(0, 12),
    60,
    frozenset({"repassage"}),
    frozenset({"permis_b"}),
    counts_toward_mad_cap=True,
    label="Garage Dupuis",
)
VISIT_3 = Visit(103, 503, SITE_3, at(0, 9), at(0, 10), 90, frozenset({"menage"}), label="M. Blanc")
VISIT_4 = Visit(104, 504, SITE_4, at(1, 9), at(1, 9), 60, frozenset({"menage"}), label="Mme Noël")

WEEK = Week(
    entity_id=1,
    monday=MONDAY,
    workers=(WORKER_A, WORKER_B),
    visits=(VISIT_1, VISIT_2, VISIT_3, VISIT_4),
    locks=(Lock(104, 1),),
)

ROUTE_A_MONDAY = Route(
    worker_id=1,
    day=0,
    start=HOME_A,
    end=HOME_A,
    leave=at(0, 8, 50),
    back=at(0, 12, 30),
    stops=(
        Assignment(101, 1, at(0, 9), at(0, 11)),
        Assignment(102, 1, at(0, 11, 20), at(0, 12, 20)),
    ),
    travel_minutes=30,
)
ROUTE_A_TUESDAY = Route(
    worker_id=1,
    day=1,
    start=HOME_A,
    end=HOME_A,
    leave=at(1, 8, 50),
    back=at(1, 10, 10),
    stops=(Assignment(104, 1, at(1, 9), at(1, 10)),),
    travel_minutes=20,
)
ROUTE_B_MONDAY = Route(
    worker_id=2,
    day=0,
    start=HOME_B,
    end=HOME_B,
    leave=at(0, 8, 50),
    back=at(0, 10, 40),
    stops=(Assignment(103, 2, at(0, 9), at(0, 10, 30)),),
    travel_minutes=20,
)
PLAN = Plan(routes=(ROUTE_A_MONDAY, ROUTE_A_TUESDAY, ROUTE_B_MONDAY), unserved=())
