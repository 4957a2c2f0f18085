"""Legal and business parameters as dated data.

Amounts, thresholds and durations change by decree or by yearly arrêté. A rule never holds a
bare constant: it asks a :class:`DatedParameter` for the value in force on the day the caller
passes. Each period carries the source it comes from and whether that source is confirmed
(``confirmed=False`` marks values that ``docs`` list as unverified).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class ParameterNotInForce(LookupError):
    """No period of a parameter covers the requested day."""


@dataclass(frozen=True, slots=True)
class Period[T]:
    """One value of a parameter and the days it applies to (``valid_to`` inclusive)."""

    value: T
    valid_from: date
    valid_to: date | None
    source: str
    confirmed: bool = True

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class DatedParameter[T]:
    """A named parameter whose value depends on the day it is read for.

    >>> p = DatedParameter("x", "X", (Period(1, date(2024, 1, 1), None, "décret"),))
    >>> p.on(date(2025, 6, 1))
    1
    """

    code: str
    label: str
    periods: tuple[Period[T], ...]

    def __post_init__(self) -> None:
        ordered = sorted(self.periods, key=lambda p: p.valid_from)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if before.valid_to is None or before.valid_to >= after.valid_from:
                raise ValueError(f"{self.code}: periods overlap at {after.valid_from}")

    def period_on(self, day: date) -> Period[T]:
        for period in self.periods:
            if period.covers(day):
                return period
        raise ParameterNotInForce(
            f"Le paramètre « {self.label} » n'a pas de valeur en vigueur le {day:%d/%m/%Y}."
        )

    def on(self, day: date) -> T:
        return self.period_on(day).value
