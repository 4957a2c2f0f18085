"""Property tests of the MAD ledger: random placements proposed one by one.

Each proposal goes through ``missions.rules.check_placement`` (what ``actions.place_worker``
decides with) or through the action itself. An independent oracle, written from the text of
art. R5132-18 2° rather than from ``mad_windows``, recomputes the anchored 24-month windows.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tremplin.accounts.rules import Role
from tremplin.accounts.tests.factories import user_with_role
from tremplin.clients.rules import ClientKind
from tremplin.clients.tests.factories import ClientFactory
from tremplin.contracts import rules as contract_rules
from tremplin.missions import actions
from tremplin.missions.models import Placement
from tremplin.missions.rules import PlacementDecision, check_placement, mad_ledger
from tremplin.missions.tests.factories import ContractFactory, MadDerogationFactory, ai_entity

CAP = Decimal(480)
FIRST_DAY = date(2021, 1, 1)
SPAN_DAYS = 5 * 365
COUNTED = {
    ClientKind.COMPANY,
    ClientKind.SOCIAL_LANDLORD,
    ClientKind.MUTUAL_INSURER,
    ClientKind.PUBLIC_BODY,
}


# --- Oracle -------------------------------------------------------------------------------------


def in_window(anchor: date, day: date) -> bool:
    """A day is in the window anchored on ``anchor`` when less than 24 months have passed."""
    gap = relativedelta(day, anchor)
    return anchor <= day and gap.years * 12 + gap.months < 24


def oracle_windows(placements: list[contract_rules.Placement]) -> list[tuple[date, Decimal]]:
    """``(anchor, hours)`` of each window: the first counted placement after a window opens one."""
    windows: list[tuple[date, Decimal]] = []
    for p in sorted((p for p in placements if p.client_kind in COUNTED), key=lambda p: p.day):
        if windows and in_window(windows[-1][0], p.day):
            windows[-1] = (windows[-1][0], windows[-1][1] + p.hours)
        else:
            windows.append((p.day, p.hours))
    return windows


def total_excess(placements: list[contract_rules.Placement]) -> Decimal:
    return sum((max(h - CAP, Decimal(0)) for _, h in oracle_windows(placements)), Decimal(0))


def dismissal_bars(dismissal: date | None, day: date) -> bool:
    return dismissal is not None and dismissal <= day <= dismissal + relativedelta(months=6)


def covered(derogations: list[tuple[date, date]], day: date) -> bool:
    return any(start <= day <= end for start, end in derogations)


# --- Strategies ---------------------------------------------------------------------------------

proposals = st.lists(
    st.tuples(
        st.sampled_from(list(ClientKind)),
        st.integers(0, SPAN_DAYS),
        st.decimals(min_value=Decimal("0.25"), max_value=Decimal("250"), places=2),
        st.one_of(st.none(), st.none(), st.none(), st.integers(-30, 250)),
    ),
    min_size=1,
    max_size=30,
)
derogation_ranges = st.lists(
    st.tuples(st.integers(0, SPAN_DAYS), st.integers(0, 3 * 365 - 1)), max_size=2
).map(
    lambda items: [
        (FIRST_DAY + timedelta(days=s), FIRST_DAY + timedelta(days=s + n)) for s, n in items
    ]
)


def as_placement(
    kind: ClientKind, offset: int, hours: Decimal, dismissal_back: int | None
) -> contract_rules.Placement:
    day = FIRST_DAY + timedelta(days=offset)
    dismissal = None if dismissal_back is None else day - timedelta(days=dismissal_back)
    return contract_rules.Placement(day, hours, kind, dismissal)


def assert_invariants(
    accepted: list[contract_rules.Placement],
    derogations: list[tuple[date, date]],
    today: date,
) -> None:
    """The ledger counts the oracle's window; windows past the cap hold a derogation's hours."""
    ledger = mad_ledger(accepted, today=today)
    windows = oracle_windows(accepted)
    current = next(((a, h) for a, h in windows if in_window(a, today)), None)
    expected = sum(
        (
            p.hours
            for p in accepted
            if p.client_kind in COUNTED and current is not None and in_window(current[0], p.day)
        ),
        Decimal(0),
    )
    assert ledger.hours_used == expected
    assert (ledger.current is None) == (current is None)
    if ledger.hours_used <= CAP:
        assert ledger.hours_used + ledger.hours_left == CAP
    for anchor, hours in windows:
        if hours > CAP:
            assert any(
                p.client_kind in COUNTED
                and in_window(anchor, p.day)
                and covered(derogations, p.day)
                for p in accepted
            ), f"la période du {anchor} dépasse 480 h sans dérogation"


# --- Pure: the function the action decides with ----------------------------------------------


@settings(max_examples=50, deadline=None)
@given(steps=proposals, derogations=derogation_ranges)
def test_random_placements_never_pass_the_cap_without_a_derogation(
    steps: list[tuple[ClientKind, int, Decimal, int | None]],
    derogations: list[tuple[date, date]],
) -> None:
    accepted: list[contract_rules.Placement] = []
    for step in steps:
        proposed = as_placement(*step)
        day = proposed.day
        check = check_placement(
            accepted,
            proposed=proposed,
            derogations=derogations,
            today=day,
            warning_acknowledged=True,
        )
        if dismissal_bars(proposed.client_economic_dismissal_on, day):
            expected = PlacementDecision.REFUSED
        elif proposed.client_kind not in COUNTED or covered(derogations, day):
            expected = PlacementDecision.ACCEPTED
        elif total_excess([*accepted, proposed]) > total_excess(accepted):
            expected = PlacementDecision.REFUSED
        else:
            expected = PlacementDecision.ACCEPTED
        assert check.decision == expected, check.status.message
        if check.decision == PlacementDecision.ACCEPTED:
            accepted.append(proposed)
            assert_invariants(accepted, derogations, day)


# --- Through the action and the database ------------------------------------------------------


@pytest.fixture
def ai_world(db: None) -> dict[str, Any]:
    entity = ai_entity()
    contract = ContractFactory(
        entity=entity, start=FIRST_DAY, planned_end=FIRST_DAY + timedelta(days=SPAN_DAYS)
    )
    clients = {kind: ClientFactory(entity=entity, kind=kind, siret="") for kind in ClientKind}
    return {
        "entity": entity,
        "contract": contract,
        "clients": clients,
        "planner": user_with_role(Role.PLANNER, entity),
    }


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(list(ClientKind)),
            st.integers(0, SPAN_DAYS),
            st.decimals(min_value=Decimal("1"), max_value=Decimal("250"), places=2),
        ),
        min_size=1,
        max_size=12,
    ),
    derogations=derogation_ranges,
)
def test_the_action_keeps_the_ledger_within_the_cap(
    ai_world: dict[str, Any],
    steps: list[tuple[ClientKind, int, Decimal]],
    derogations: list[tuple[date, date]],
) -> None:
    entity, contract = ai_world["entity"], ai_world["contract"]
    with transaction.atomic():
        for valid_from, valid_to in derogations:
            MadDerogationFactory(entity=entity, valid_from=valid_from, valid_to=valid_to)
        for number, (kind, offset, hours) in enumerate(steps, start=1):
            day = FIRST_DAY + timedelta(days=offset)
            before = Placement.objects.count()
            try:
                actions.place_worker(
                    contract,
                    client=ai_world["clients"][kind],
                    number=str(number),
                    start=day,
                    end=day,
                    hours=hours,
                    task="Tâche précise et temporaire",
                    warning_acknowledged=True,
                    today=day,
                    by=ai_world["planner"],
                )
            except actions.PlacementNotSaved as exc:
                assert exc.check.decision == PlacementDecision.REFUSED
                assert Placement.objects.count() == before
                continue
            saved = [p.as_rule() for p in Placement.objects.select_related("client")]
            assert len(saved) == before + 1
            assert_invariants(saved, derogations, day)
        transaction.set_rollback(True)
