from __future__ import annotations

from datetime import date

import pytest

from tremplin.clients.rules import french_vat_number
from tremplin.organisations.rules import (
    convention_errors,
    entity_vat_number_error,
    is_in_force,
    siren_error,
    siret_error,
)


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


SIREN = "732829320"  # its French VAT number: FR44732829320


@pytest.mark.parametrize(
    ("vat_number", "message"),
    [
        ("FR44732829320", None),
        ("fr 44 732 829 320", None),
        ("FR45732829320", "La clé du « Numéro de TVA intracommunautaire » FR45732829320"),
        ("FR45732829320", "vérifiez-le sur un document de la structure"),
        ("44732829320", "doit commencer par le code du pays"),
        ("DE136695976", "Une structure établie en France a un « Numéro de TVA"),
        (french_vat_number("912345683"), "n'est pas celui de la structure"),
        (french_vat_number("912345683"), "ici 732829320"),
    ],
)
def test_entity_vat_number_error(vat_number: str, message: str | None) -> None:
    error = entity_vat_number_error(vat_number, siren=SIREN)
    if message is None:
        assert error is None
    else:
        assert error is not None and message in error
