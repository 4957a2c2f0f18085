"""Rules on hours worked: who may do what, entry transitions, the import file format, the
client sign-off link and the monthly counters.

Pure functions and small value classes: no database, no clock (the caller passes ``today``).
The import format is documented for users in ``docs/imports.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from tremplin.accounts.rules import Role
from tremplin.contracts.rules import ContractKind
from tremplin.timesheets.models import EntryStatus

# --- Roles -----------------------------------------------------------------------------------

# Who validates, corrects, imports hours and sends sign-off links: the people who plan the
# work, manage the workers and invoice the clients.
TIMESHEET_STAFF_ROLES = frozenset({Role.PLANNER, Role.DIRECTION, Role.HR, Role.ACCOUNTANT})

# --- Entries ---------------------------------------------------------------------------------

MAX_HOURS_PER_DAY = Decimal(24)
MAX_TRAVEL_MINUTES = 600
# How far back a worker may declare hours from the phone: the last 14 days and today.
WORKER_DECLARATION_DAYS = 14

# Allowed transitions. LOCKED is the state of every entry of a closed month: the close locks
# the month (``closing.MonthlyClose``), not the rows, and only reopening the month unlocks it.
TRANSITIONS: dict[EntryStatus, frozenset[EntryStatus]] = {
    EntryStatus.DECLARED: frozenset({EntryStatus.VALIDATED, EntryStatus.LOCKED}),
    EntryStatus.VALIDATED: frozenset({EntryStatus.DECLARED, EntryStatus.LOCKED}),
    EntryStatus.LOCKED: frozenset(),
}

MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def month_label(year: int, month: int) -> str:
    """``(2026, 3)`` → ``"mars 2026"``."""
    return f"{MONTH_NAMES[month - 1]} {year}"


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def can_be_validated(status: EntryStatus) -> bool:
    return status is EntryStatus.DECLARED


def can_be_changed(status: EntryStatus) -> bool:
    """Hours may be corrected until the month is closed (its entries are then LOCKED)."""
    return status is not EntryStatus.LOCKED


def locked_message(day: date) -> str:
    return (
        f"Le mois de {month_label(day.year, day.month)} est clôturé : "
        "les heures de ce mois ne peuvent plus être modifiées."
    )


def can_worker_declare(day: date, *, today: date) -> bool:
    """A worker declares the hours of the last 14 days and of today, never of the future."""
    return today - timedelta(days=WORKER_DECLARATION_DAYS) <= day <= today


def hours_error(hours: Decimal) -> str | None:
    """The French reason why ``hours`` cannot be the hours of one day, or None."""
    if hours <= 0:
        return "le nombre d'heures doit être supérieur à 0"
    if hours > MAX_HOURS_PER_DAY:
        return "le nombre d'heures ne peut pas dépasser 24 dans une journée"
    if hours != hours.quantize(Decimal("0.01")):
        return "le nombre d'heures a au plus deux décimales"
    return None


# --- Counters --------------------------------------------------------------------------------

WEEKS_PER_MONTH = Decimal(52) / Decimal(12)


def contractual_target(
    kind: ContractKind, weekly_hours: Decimal | None, monthly_hours: Decimal | None
) -> Decimal | None:
    """The hours a contract owes in a month: the monthly guaranteed volume of a CDDUA, else the
    weekly duration × 52 / 12 (monthly smoothing, Code du travail L3242-1), else the monthly
    volume; None when the contract states no duration (CDDU paid by the hour)."""
    if kind is ContractKind.CDDUA and monthly_hours:
        return monthly_hours
    if weekly_hours:
        return (weekly_hours * WEEKS_PER_MONTH).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if monthly_hours:
        return monthly_hours
    return None


# --- Client sign-off -------------------------------------------------------------------------

SIGNOFF_VALIDITY_DAYS = 30


def hash_token(token: str) -> str:
    """Only the SHA-256 of a sign-off token is stored: a database leak does not open links."""
    return hashlib.sha256(token.encode()).hexdigest()


def signoff_expiry(sent_on: date) -> date:
    return sent_on + timedelta(days=SIGNOFF_VALIDITY_DAYS)


def signoff_problem(*, expires_on: date, signed: bool, today: date) -> str | None:
    """Why a sign-off link can no longer be used, in French, or None when it can."""
    if signed:
        return "Ces heures ont déjà été validées avec ce lien."
    if today > expires_on:
        return f"Ce lien a expiré le {expires_on:%d/%m/%Y}."
    return None


# --- Import file ------------------------------------------------------------------------------

COLUMNS = ("date", "matricule", "client", "heures", "prestation", "trajet_minutes")
REQUIRED_COLUMNS = ("date", "matricule", "client", "heures")
BATCH_SIZE = 2000
STORED_ERRORS_CAP = 1000


@dataclass(frozen=True)
class RowError:
    """One problem of one line of an import file (line 1 is the header)."""

    line: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class ParsedRow:
    line: int
    day: date
    person_id: int
    client_id: int
    hours: Decimal
    service_id: int | None
    travel_minutes: int
    key: str


@dataclass(frozen=True)
class ImportContext:
    """What a file is checked against, loaded once for the whole file.

    ``workers``: matricule → the periods ``(start, end or None)`` of the person's contracts in
    the entity; ``clients``: client number → pk; ``services``: lowered name → pk;
    ``closed_months``: ``(year, month)`` closed or being closed.
    """

    entity_id: int
    today: date
    workers: Mapping[str, tuple[tuple[date, date | None], ...]]
    clients: Mapping[str, int]
    services: Mapping[str, int]
    closed_months: frozenset[tuple[int, int]] = frozenset()


def closed_month_reason(day: date) -> str:
    return f"le mois de {month_label(day.year, day.month)} est clôturé"


def frozen_month_error(row: ParsedRow) -> RowError:
    """The error of a row found good, whose month was closed (or began to be closed) before
    the row could be stored."""
    return RowError(row.line, "date", f"{row.day:%d/%m/%Y}", closed_month_reason(row.day))


def header_problem(header: list[str]) -> str | None:
    """Why a header line cannot be read, in French, or None."""
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        names = ", ".join(f"« {c} »" for c in missing)
        return (
            f"Ligne 1 : colonne{'s' if len(missing) > 1 else ''} obligatoire"
            f"{'s' if len(missing) > 1 else ''} absente{'s' if len(missing) > 1 else ''} : "
            f"{names}. Colonnes attendues : {';'.join(COLUMNS)}."
        )
    return None


def normalize_header(cells: list[object]) -> list[str]:
    return [cell_text(c).strip().lower().lstrip("\ufeff") for c in cells]


def cell_text(value: object) -> str:
    """A cell of a CSV (text) or XLSX (typed) file as the text a user would have typed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    return str(value).strip()


def parse_date(text: str) -> date | None:
    """``"05/03/2026"`` → ``date(2026, 3, 5)``; None unless dd/mm/yyyy and a real day."""
    parts = text.split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None


def parse_decimal(text: str) -> Decimal | None:
    """``"7,5"`` (decimal comma, a dot is tolerated) → ``Decimal("7.5")``; None if not a number."""
    text = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text or text.count(".") > 1:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def import_key(
    entity_id: int,
    day: date,
    person_id: int,
    client_id: int,
    hours: Decimal,
    service_id: int | None,
    travel_minutes: int,
) -> str:
    """SHA-256 of the entity and the normalized content of a row: a line imported twice (same
    file re-sent, or the same line in two files) gives the same key, stored once."""
    content = (
        f"{entity_id}|{day.isoformat()}|{person_id}|{client_id}|{hours:.2f}|"
        f"{service_id or ''}|{travel_minutes}"
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _number(text: str) -> str:
    """``"00123"`` → ``"123"``: leading zeros typed by a spreadsheet do not matter."""
    return str(int(text)) if text.isdigit() else text


@dataclass
class RowChecker:
    """Checks the rows of one file in order; remembers the rows seen to report duplicates."""

    context: ImportContext
    seen: dict[str, int] = field(default_factory=dict)

    def check(self, values: Mapping[str, str], line: int) -> ParsedRow | list[RowError]:
        ctx = self.context
        errors: list[RowError] = []

        def error(column: str, message: str) -> None:
            errors.append(RowError(line, column, values.get(column, ""), message))

        day = parse_date(values.get("date", ""))
        if not values.get("date"):
            error("date", "la date est obligatoire")
        elif day is None:
            error("date", "date invalide : format attendu jj/mm/aaaa (ex. 05/03/2026)")
        elif day > ctx.today:
            error("date", "la date est dans le futur : on ne déclare que des heures faites")
        elif (day.year, day.month) in ctx.closed_months:
            error("date", closed_month_reason(day))

        matricule = _number(values.get("matricule", ""))
        periods = ctx.workers.get(matricule)
        person_id: int | None = None
        if not matricule:
            error("matricule", "le matricule du salarié est obligatoire")
        elif periods is None:
            error("matricule", "aucun salarié de la structure n'a ce matricule")
        else:
            person_id = int(matricule)
            if day is not None and not any(
                start <= day and (end is None or day <= end) for start, end in periods
            ):
                error(
                    "date",
                    f"le salarié {matricule} n'a pas de contrat dans la structure le "
                    f"{day:%d/%m/%Y}",
                )

        client_number = _number(values.get("client", ""))
        client_id = ctx.clients.get(client_number)
        if not client_number:
            error("client", "le numéro du client est obligatoire")
        elif client_id is None:
            error("client", "aucun client de la structure n'a ce numéro")

        hours = parse_decimal(values.get("heures", ""))
        if not values.get("heures"):
            error("heures", "le nombre d'heures est obligatoire")
        elif hours is None:
            error("heures", "nombre d'heures invalide : un nombre est attendu (ex. 7,5)")
        else:
            problem = hours_error(hours)
            if problem:
                error("heures", problem)

        service_name = values.get("prestation", "")
        service_id: int | None = None
        if service_name:
            service_id = ctx.services.get(service_name.lower())
            if service_id is None:
                error("prestation", "aucune prestation du catalogue de la structure n'a ce nom")

        travel_text = values.get("trajet_minutes", "")
        travel = 0
        if travel_text:
            if not travel_text.isdigit():
                error("trajet_minutes", "un nombre entier de minutes est attendu (ex. 20)")
            elif int(travel_text) > MAX_TRAVEL_MINUTES:
                error(
                    "trajet_minutes",
                    f"le temps de trajet ne peut pas dépasser {MAX_TRAVEL_MINUTES} minutes",
                )
            else:
                travel = int(travel_text)

        if errors:
            return errors
        assert day is not None and person_id is not None and client_id is not None
        assert hours is not None
        key = import_key(ctx.entity_id, day, person_id, client_id, hours, service_id, travel)
        first_line = self.seen.get(key)
        if first_line is not None:
            return [
                RowError(
                    line,
                    "ligne",
                    "",
                    f"ligne identique à la ligne {first_line} du même fichier : ignorée",
                )
            ]
        self.seen[key] = line
        return ParsedRow(line, day, person_id, client_id, hours, service_id, travel, key)
