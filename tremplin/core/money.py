"""Money as ``Decimal``: quantisation and French formatting (``1 234,56 €``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# French typography: narrow no-break space between thousands, no-break space before the symbol.
THOUSANDS_SEPARATOR = "\u202f"


def to_cents(amount: Decimal) -> Decimal:
    """Round half up to the cent, the policy of every invoice and payroll amount."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_number(value: Decimal | int, places: int = 2) -> str:
    """Format a number the French way: ``1 234,56`` (``places`` decimals, half up)."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    integer, _, fraction = f"{abs(rounded):f}".partition(".")
    groups: list[str] = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    text = THOUSANDS_SEPARATOR.join(groups)
    return f"{sign}{text},{fraction}" if places else f"{sign}{text}"


def format_euros(amount: Decimal | int) -> str:
    """``Decimal("1234.5")`` → ``"1 234,50 €"``."""
    return f"{format_number(amount, 2)}\u00a0€"
