"""Dates as the French users read them, and the business day of the server."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def today() -> date:
    """The current day in Paris: the one value views pass to ``rules.py`` functions as ``today``."""
    return timezone.localdate()


def format_date(day: date | None) -> str:
    """``date(2026, 3, 1)`` → ``"01/03/2026"``; empty string for ``None``."""
    return "" if day is None else day.strftime("%d/%m/%Y")
