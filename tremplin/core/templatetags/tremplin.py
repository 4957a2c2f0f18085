"""Template filters shared by every page: French money and dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template

from tremplin.core.dates import format_date
from tremplin.core.money import format_euros, format_number

register = template.Library()


@register.filter
def euros(value: Decimal | int | None) -> str:
    return "" if value is None else format_euros(value)


@register.filter
def number_fr(value: Decimal | int | None, places: int = 2) -> str:
    return "" if value is None else format_number(value, places)


@register.filter
def date_fr(value: date | None) -> str:
    return format_date(value)
