from __future__ import annotations

from datetime import date

import pytest

from tremplin.organisations.rules import convention_errors, is_in_force, siren_error, siret_error


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        pytest.param("912345675", True, id="valid_key"),
        pytest.param("912 345 675", True, id="spaces_allowed"),
        pytest.param("912345676", False, id="wrong_key"),
        pytest.param("91234567", False, id="too_short"),
        pytest.param("91234567A", False, id="letter"),
    ],
)
def test_siren(value: str, valid: bool) -> None:
    assert (siren_error(value) is None) is valid


@pytest.mark.parametrize(
    ("value", "siren", "error"),
    [
        pytest.param("91234567500017", None, None, id="valid"),
        pytest.param("91234567500018", None, "clé de contrôle", id="wrong_key"),
        pytest.param("91234567500017", "912345683", "commencer par le SIREN", id="other_siren"),
        pytest.param("91234567500017", "912345675", None, id="same_siren"),
    ],
)
def test_siret(value: str, siren: str | None, error: str | None) -> None:
    result = siret_error(value, siren=siren)
    assert (result is None) if error is None else (error in (result or ""))


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        pytest.param(date(2025, 1, 1), None, True, id="open_ended"),
        pytest.param(date(2025, 1, 1), date(2027, 12, 31), True, id="at_upper_bound_3_years"),
        pytest.param(date(2025, 1, 1), date(2028, 1, 1), False, id="past_upper_bound"),
        pytest.param(date(2025, 1, 1), date(2024, 12, 31), False, id="end_before_start"),
        pytest.param(date(2025, 1, 1), date(2025, 1, 1), True, id="one_day"),
    ],
)
def test_convention_dates(start: date, end: date | None, ok: bool) -> None:
    assert (convention_errors(start, end) == []) is ok


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2024, 12, 31), False, id="day_before_start"),
        pytest.param(date(2025, 1, 1), True, id="at_start"),
        pytest.param(date(2025, 6, 30), True, id="at_end"),
        pytest.param(date(2025, 7, 1), False, id="day_after_end"),
    ],
)
def test_is_in_force(day: date, expected: bool) -> None:
    assert is_in_force(date(2025, 1, 1), date(2025, 6, 30), day) is expected
