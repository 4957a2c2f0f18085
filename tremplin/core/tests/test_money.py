from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tremplin.core.dates import format_date
from tremplin.core.money import format_euros, format_number, to_cents

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        pytest.param(Decimal("0"), "0,00\u00a0€", id="zero"),
        pytest.param(Decimal("1234.5"), f"1{NNBSP}234,50\u00a0€", id="thousands"),
        pytest.param(Decimal("1234567.891"), f"1{NNBSP}234{NNBSP}567,89\u00a0€", id="millions"),
        pytest.param(Decimal("-999.995"), f"-1{NNBSP}000,00\u00a0€", id="negative_half_up"),
        pytest.param(Decimal("0.005"), "0,01\u00a0€", id="half_cent_rounds_up"),
    ],
)
def test_format_euros(amount: Decimal, text: str) -> None:
    assert format_euros(amount) == text


def test_format_number_without_decimals() -> None:
    assert format_number(Decimal("2.4"), 0) == "2"
    assert format_number(12345, 0) == f"12{NNBSP}345"


def test_format_date() -> None:
    assert format_date(date(2026, 3, 1)) == "01/03/2026"
    assert format_date(None) == ""


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False))
def test_formatting_round_trips_to_the_cent(amount: Decimal) -> None:
    text = format_number(amount).replace(NNBSP, "").replace(",", ".")
    assert Decimal(text) == to_cents(amount)
