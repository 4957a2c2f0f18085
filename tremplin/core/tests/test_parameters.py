from __future__ import annotations

from datetime import date

import pytest

from tremplin.core.parameters import DatedParameter, ParameterNotInForce, Period

RATE = DatedParameter(
    "rate",
    "Taux d'essai",
    (
        Period(10, date(2024, 1, 1), date(2024, 12, 31), "arrêté A"),
        Period(12, date(2025, 1, 1), None, "arrêté B", confirmed=False),
    ),
)


@pytest.mark.parametrize(
    ("day", "value"),
    [
        pytest.param(date(2024, 1, 1), 10, id="first_day_of_first_period"),
        pytest.param(date(2024, 12, 31), 10, id="last_day_of_first_period"),
        pytest.param(date(2025, 1, 1), 12, id="first_day_of_open_period"),
        pytest.param(date(2040, 6, 1), 12, id="far_in_open_period"),
    ],
)
def test_value_on_a_day(day: date, value: int) -> None:
    assert RATE.on(day) == value


def test_before_any_period_is_an_error_in_french() -> None:
    with pytest.raises(ParameterNotInForce, match="31/12/2023"):
        RATE.on(date(2023, 12, 31))


def test_unconfirmed_periods_are_flagged() -> None:
    assert RATE.period_on(date(2025, 3, 1)).confirmed is False
    assert RATE.period_on(date(2024, 3, 1)).source == "arrêté A"


@pytest.mark.parametrize(
    "periods",
    [
        pytest.param(
            (Period(1, date(2024, 1, 1), None, "a"), Period(2, date(2025, 1, 1), None, "b")),
            id="open_period_followed_by_another",
        ),
        pytest.param(
            (
                Period(1, date(2024, 1, 1), date(2025, 1, 1), "a"),
                Period(2, date(2025, 1, 1), None, "b"),
            ),
            id="sharing_one_day",
        ),
    ],
)
def test_overlapping_periods_are_refused(periods: tuple[Period[int], ...]) -> None:
    with pytest.raises(ValueError, match="overlap"):
        DatedParameter("x", "X", periods)
