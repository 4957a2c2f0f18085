"""Cells of the CSV files the users open in a spreadsheet (exports, error reports)."""

from __future__ import annotations

from decimal import Decimal

from tremplin.core.money import format_number

# OWASP "CSV injection": a spreadsheet evaluates a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell for French spreadsheets: decimal comma, no thousands separator, text that
    could start a formula prefixed with an apostrophe."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return format_number(value, places).replace("\u202f", "")
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text
