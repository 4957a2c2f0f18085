"""How the demo makes exactly 15 CDDUA begin in the last complete year (``place_in_year``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tremplin.contracts.demo import CdduaWindow, place_in_year

FIRST, LAST = date(2025, 1, 1), date(2025, 12, 31)


def window(key: int, natural: str, lo: str, hi: str) -> CdduaWindow:
    return CdduaWindow(
        key, date.fromisoformat(natural), date.fromisoformat(lo), date.fromisoformat(hi)
    )


def test_forced_then_natural_then_moved_in() -> None:
    windows = [
        window(1, "2025-03-01", "2025-02-01", "2025-04-01"),  # can only begin in 2025
        window(2, "2024-06-01", "2024-01-01", "2025-06-01"),  # natural day before: moved in
        window(3, "2025-05-05", "2024-12-01", "2026-02-01"),  # natural day in 2025
        window(4, "2026-01-10", "2025-11-01", "2026-03-01"),  # natural day after
    ]
    starts = place_in_year(windows, FIRST, LAST, 3)
    # Chosen: #1 (forced), #3 (natural in the year), then #2 (moved to 01/01/2025, the nearest
    # day of the year it may take); #4 keeps its natural day in 2026.
    assert starts == {
        1: date(2025, 3, 1),
        2: date(2025, 1, 1),
        3: date(2025, 5, 5),
        4: date(2026, 1, 10),
    }


def test_a_natural_day_in_the_year_is_moved_out_when_not_chosen() -> None:
    windows = [
        window(1, "2025-03-01", "2025-02-01", "2025-04-01"),
        window(2, "2025-01-11", "2024-01-01", "2026-01-21"),  # may begin after the year
        window(3, "2025-12-21", "2024-11-21", "2025-12-31"),  # only before it
    ]
    starts = place_in_year(windows, FIRST, LAST, 1)
    # #2: 1 + (10 days from 01/01 to 11/01) % (21 days after 31/12) = 11 → 11/01/2026.
    # #3: 1 + (10 days from 21/12 to 31/12) % (41 days before 01/01) = 11 → 21/12/2024.
    assert starts == {1: date(2025, 3, 1), 2: date(2026, 1, 11), 3: date(2024, 12, 21)}


@pytest.mark.parametrize(
    ("windows", "count"),
    [
        pytest.param(
            [window(1, "2025-03-01", "2025-02-01", "2025-04-01")] * 2, 1, id="too_many_forced"
        ),
        pytest.param([window(1, "2024-03-01", "2024-02-01", "2024-04-01")], 1, id="too_few"),
    ],
)
def test_impossible_counts_are_refused(windows: list[CdduaWindow], count: int) -> None:
    with pytest.raises(ValueError, match="impossible de faire commencer exactement"):
        place_in_year(windows, FIRST, LAST, count)


@st.composite
def windows_strategy(draw: st.DrawFn) -> list[CdduaWindow]:
    base = date(2023, 6, 1)
    result = []
    for key in range(draw(st.integers(min_value=1, max_value=30))):
        lo = base + timedelta(draw(st.integers(min_value=0, max_value=1000)))
        hi = lo + timedelta(draw(st.integers(min_value=0, max_value=500)))
        natural = lo + timedelta(draw(st.integers(min_value=0, max_value=(hi - lo).days)))
        result.append(CdduaWindow(key, natural, lo, hi))
    return result


@given(windows_strategy(), st.integers(min_value=0, max_value=30))
def test_each_start_is_in_its_window_and_the_count_is_exact(
    windows: list[CdduaWindow], count: int
) -> None:
    try:
        starts = place_in_year(windows, FIRST, LAST, count)
    except ValueError:
        forced = [w for w in windows if w.lo >= FIRST and w.hi <= LAST]
        possible = [w for w in windows if max(w.lo, FIRST) <= min(w.hi, LAST)]
        assert len(forced) > count or len(possible) < count
        return
    assert set(starts) == {w.key for w in windows}
    for w in windows:
        assert w.lo <= starts[w.key] <= w.hi
    assert sum(FIRST <= day <= LAST for day in starts.values()) == count
