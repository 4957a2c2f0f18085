"""Indicator values as the French reader expects them, by unit."""

from __future__ import annotations

from decimal import Decimal

from django import template

from tremplin.core.money import format_euros, format_number

register = template.Library()


@register.filter
def indicator(value: object, unit: str = "") -> str:
    """``Decimal("29.4"), "%"`` → ``"29,4 %"``; ``None`` → ``"—"`` (not computable)."""
    if value is None:
        return "—"
    if unit == "€" and isinstance(value, Decimal | int):
        return format_euros(value)
    if isinstance(value, Decimal):
        places = 1 if unit == "%" else 2
        text = format_number(value, places)
    else:
        text = str(value)
    return f"{text}\u00a0{unit}" if unit else text
