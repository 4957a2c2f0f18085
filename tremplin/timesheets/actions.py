"""Changes to hours worked: declaration, correction, validation, client sign-off, imports.

Each public function is one business change, called with ``by=`` the user (None for a client
approving through a link) and writing its audit entries. The import runs in batches of its own
transactions: a long file keeps its good rows even if the process stops halfway, and running it
again adds only what is missing (the import key of each row is unique).
"""

from __future__ import annotations

import codecs
import csv
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from tremplin.clients.models import Client
from tremplin.closing.models import MonthlyClose
from tremplin.contracts.models import Contract
from tremplin.core import audit
from tremplin.orders.models import Intervention, InterventionStatus, Service
from tremplin.people.models import Person
from tremplin.timesheets import rules
from tremplin.timesheets.models import (
    ClientSignOff,
    EntrySource,
    EntryStatus,
    ImportStatus,
    TimeEntry,
    TimesheetImport,
)

if TYPE_CHECKING:
    from tremplin.accounts.models import User
    from tremplin.organisations.models import Entity


# --- Entries ---------------------------------------------------------------------------------


def _refuse_closed_month(entity: Entity, day: date) -> None:
    """Hours of a month that is closed (or being closed) can no longer be added, changed or
    moved in. Holds the month until the end of the caller's transaction, so that a close
    cannot start between this check and the write (``MonthlyClose.objects.hold_month``)."""
    MonthlyClose.objects.hold_month(entity.pk, day.year, day.month, exclusive=False)
    closing = MonthlyClose.objects.freezing().filter(entity=entity, year=day.year, month=day.month)
    if closing.exists():
        raise ValidationError(rules.locked_message(day))


def _frozen_months(entity_id: int, months: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of ``months`` of an entity are closed or being closed, each held until the end of
    the caller's transaction (as ``_refuse_closed_month``)."""
    if not months:
        return set()
    for year, month in sorted(months):
        MonthlyClose.objects.hold_month(entity_id, year, month, exclusive=False)
    return (
        set(
            MonthlyClose.objects.freezing()
            .filter(entity_id=entity_id, year__in={y for y, _ in months})
            .values_list("year", "month")
        )
        & months
    )


@transaction.atomic
def declare_hours(
    intervention: Intervention,
    *,
    hours: Decimal,
    travel_minutes: int,
    today: date,
    by: User,
) -> TimeEntry:
    """The worker of ``intervention`` declares the hours actually worked for it."""
    if not rules.can_worker_declare(intervention.day, today=today):
        raise ValidationError(
            f"Jour : les heures du {intervention.day:%d/%m/%Y} ne peuvent plus être déclarées "
            f"depuis le téléphone (les {rules.WORKER_DECLARATION_DAYS} derniers jours "
            "seulement) : adressez-vous à votre chargé de planning."
        )
    assert intervention.worker is not None
    _refuse_closed_month(intervention.entity, intervention.day)
    entry = (
        TimeEntry.objects.select_for_update()
        .filter(intervention=intervention, person=intervention.worker)
        .first()
    )
    if entry is not None and EntryStatus(entry.status) is not EntryStatus.DECLARED:
        if EntryStatus(entry.status) is EntryStatus.LOCKED:
            raise ValidationError(rules.locked_message(entry.day))
        raise ValidationError(
            "Ces heures ont déjà été validées par l'équipe : pour les corriger, adressez-vous "
            "à votre chargé de planning."
        )
    old = None if entry is None else [str(entry.hours), str(entry.travel_minutes)]
    if entry is None:
        entry = TimeEntry(
            entity=intervention.entity,
            person=intervention.worker,
            client=intervention.order.client,
            intervention=intervention,
            service=intervention.order.service,
            day=intervention.day,
            source=EntrySource.WORKER,
        )
    entry.hours = hours
    entry.travel_minutes = travel_minutes
    entry.status = EntryStatus.DECLARED
    entry.declared_by = by
    entry.save()
    data: dict[str, Any] = {"heures": str(hours), "trajet (min)": travel_minutes}
    if old is not None:
        data["avant"] = f"{old[0]} h, {old[1]} min"
    audit.log(entry, "timesheets.hours_declared", by=by, data=data)
    return entry


@transaction.atomic
def add_entry(
    entity: Entity,
    *,
    person: Person,
    client: Client,
    day: date,
    hours: Decimal,
    travel_minutes: int,
    service: Service | None,
    by: User,
) -> TimeEntry:
    """Staff enter hours for a worker (paper timesheet, phone call)."""
    _refuse_closed_month(entity, day)
    entry = TimeEntry.objects.create(
        entity=entity,
        person=person,
        client=client,
        service=service,
        day=day,
        hours=hours,
        travel_minutes=travel_minutes,
        status=EntryStatus.DECLARED,
        source=EntrySource.STAFF,
        declared_by=by,
    )
    audit.log(
        entry,
        "timesheets.entry_added",
        by=by,
        data={"heures": str(hours), "jour": f"{day:%d/%m/%Y}", "client": str(client)},
    )
    return entry


# Fields a correction may change, with their French labels for the audit trail.
CORRECTABLE_FIELDS = {
    "day": "jour",
    "hours": "heures",
    "travel_minutes": "trajet (min)",
    "client": "client",
    "service": "prestation",
}


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


@transaction.atomic
def correct_entry(entry: TimeEntry, *, changes: dict[str, Any], by: User) -> TimeEntry:
    """Correct an entry; a validated entry goes back to DECLARED and must be validated again.

    ``changes`` maps field names of ``CORRECTABLE_FIELDS`` to their new values. The audit entry
    keeps the old and new value of each changed field.
    """
    entry = TimeEntry.objects.select_for_update().get(pk=entry.pk)
    intervention_before = entry.intervention_id
    if not rules.can_be_changed(EntryStatus(entry.status)):
        raise ValidationError(rules.locked_message(entry.day))
    _refuse_closed_month(entry.entity, entry.day)
    if "day" in changes:
        _refuse_closed_month(entry.entity, changes["day"])
    data: dict[str, Any] = {}
    for name, new in changes.items():
        old = getattr(entry, name)
        if old != new:
            data[CORRECTABLE_FIELDS[name]] = [_shown(old), _shown(new)]
            setattr(entry, name, new)
    if not data:
        return entry
    if EntryStatus(entry.status) is EntryStatus.VALIDATED:
        data["état"] = [EntryStatus.VALIDATED.label, EntryStatus.DECLARED.label]
        entry.status = EntryStatus.DECLARED
        entry.validated_by = None
        entry.validated_at = None
    entry.save()
    audit.log(entry, "timesheets.entry_corrected", by=by, data=data)
    mark_interventions([intervention_before, entry.intervention_id])
    return entry


def mark_interventions(intervention_ids: Iterable[int | None]) -> None:
    """Set the state of the given interventions from their hours: "réalisée" once one of their
    entries is validated, "prévue" again when none is any more (a correction sends its entry
    back to validation, or moves it to another intervention). Cancelled ones stay cancelled.

    A realised intervention is no longer offered to the planning engine, nor reassigned.
    """
    ids = {pk for pk in intervention_ids if pk is not None}
    if not ids:
        return
    worked = Exists(
        TimeEntry.objects.filter(intervention_id=OuterRef("pk"), status=EntryStatus.VALIDATED)
    )
    interventions = Intervention.objects.filter(pk__in=ids)
    interventions.filter(worked, status=InterventionStatus.PLANNED).update(
        status=InterventionStatus.DONE
    )
    interventions.filter(~worked, status=InterventionStatus.DONE).update(
        status=InterventionStatus.PLANNED
    )


@transaction.atomic
def validate_entries(entries: list[TimeEntry], *, by: User) -> int:
    """Validate the DECLARED entries among ``entries``; returns how many were validated."""
    ids = [e.pk for e in entries]
    now = timezone.now()
    declared = list(
        TimeEntry.objects.select_for_update().filter(pk__in=ids, status=EntryStatus.DECLARED)
    )
    frozen: set[tuple[int, int, int]] = set()
    for entity_id in sorted({entry.entity_id for entry in declared}):
        months = {(e.day.year, e.day.month) for e in declared if e.entity_id == entity_id}
        frozen |= {(entity_id, y, m) for y, m in _frozen_months(entity_id, months)}
    to_validate = [
        entry
        for entry in declared
        if (entry.entity_id, entry.day.year, entry.day.month) not in frozen
    ]
    for entry in to_validate:
        entry.status = EntryStatus.VALIDATED
        entry.validated_by = by
        entry.validated_at = now
    TimeEntry.objects.bulk_update(to_validate, ["status", "validated_by", "validated_at"])
    for entry in to_validate:
        audit.log(entry, "timesheets.entry_validated", by=by, data={"heures": str(entry.hours)})
    mark_interventions(entry.intervention_id for entry in to_validate)
    return len(to_validate)


# --- Client sign-off -------------------------------------------------------------------------


def signoff_entries(client: Client, year: int, month: int) -> Any:
    """The hours of a client's month shown for approval."""
    first, last = rules.month_bounds(year, month)
    return (
        TimeEntry.objects.filter(client=client, day__range=(first, last))
        .select_related("person", "service")
        .order_by("person__birth_name", "person__first_name", "day", "pk")
    )


@transaction.atomic
def send_signoff(
    client: Client, *, year: int, month: int, link_for: Callable[[str], str], today: date, by: User
) -> tuple[ClientSignOff, str]:
    """Create a sign-off link for a client's month and e-mail it to the client's contacts who
    sign timesheets. Returns the sign-off and the link, which is shown once: only the hash of
    its token is stored."""
    token = secrets.token_urlsafe(32)
    signoff = ClientSignOff.objects.create(
        client=client,
        year=year,
        month=month,
        token_hash=rules.hash_token(token),
        expires_on=rules.signoff_expiry(today),
    )
    link = link_for(token)
    recipients = [c.email for c in client.contacts.filter(signs_timesheets=True).exclude(email="")]
    if recipients:
        label = rules.month_label(year, month)
        body = (
            f"Bonjour,\n\nMerci de vérifier et de valider les heures de {label} "
            f"effectuées pour {client.name} :\n{link}\n\n"
            f"Ce lien est valable jusqu'au {signoff.expires_on:%d/%m/%Y}.\n"
        )
        transaction.on_commit(
            lambda: send_mail(f"Heures de {label} à valider", body, None, recipients)
        )
    audit.log(
        signoff,
        "timesheets.signoff_sent",
        by=by,
        entity=client.entity,
        data={"mois": f"{month:02d}/{year}", "destinataires": len(recipients)},
    )
    return signoff, link


@transaction.atomic
def approve_signoff(signoff: ClientSignOff, *, name: str, comment: str, today: date) -> None:
    """The client approves the month's hours through the link (no account: ``by`` is None)."""
    signoff = ClientSignOff.objects.select_for_update().get(pk=signoff.pk)
    problem = rules.signoff_problem(
        expires_on=signoff.expires_on, signed=signoff.signed_at is not None, today=today
    )
    if problem:
        raise ValidationError(problem)
    total = signoff_entries(signoff.client, signoff.year, signoff.month).aggregate(
        total=Sum("hours")
    )["total"] or Decimal(0)
    signoff.signed_at = timezone.now()
    signoff.signed_by_name = name
    signoff.comment = comment
    signoff.total_hours = total
    signoff.save(update_fields=["signed_at", "signed_by_name", "comment", "total_hours"])
    audit.log(
        signoff,
        "timesheets.signoff_approved",
        by=None,
        entity=signoff.client.entity,
        data={"validé par": name, "heures": str(total)},
    )


# --- Import ----------------------------------------------------------------------------------


class ImportFileError(Exception):
    """The whole file cannot be read (wrong header, not a CSV or XLSX file)."""


@dataclass
class ImportOutcome:
    total_rows: int = 0
    imported_rows: int = 0
    duplicate_rows: int = 0
    error_rows: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)


def load_import_context(entity: Entity, *, today: date) -> rules.ImportContext:
    """Everything rows are checked against, in a few queries for the whole file."""
    workers: dict[str, list[tuple[date, date | None]]] = {}
    for person_id, start, actual_end, planned_end in Contract.objects.filter(
        entity=entity
    ).values_list("person_id", "start", "actual_end", "planned_end"):
        workers.setdefault(str(person_id), []).append((start, actual_end or planned_end))
    return rules.ImportContext(
        entity_id=entity.pk,
        today=today,
        workers={k: tuple(v) for k, v in workers.items()},
        clients={
            str(pk): pk for pk in Client.objects.filter(entity=entity).values_list("pk", flat=True)
        },
        services={
            name.lower(): pk
            for pk, name in Service.objects.filter(entity=entity).values_list("pk", "name")
        },
        closed_months=frozenset(
            MonthlyClose.objects.freezing().filter(entity=entity).values_list("year", "month")
        ),
    )


def _csv_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else cp1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
    stream.seek(0)
    return encoding


class _Rows:
    """The rows of a CSV or XLSX file, streamed, with the line number of each and how far the
    reading has gone (0 to 1)."""

    def __init__(self, stream: IO[bytes], filename: str) -> None:
        self.stream = stream
        self.is_xlsx = filename.lower().endswith(".xlsx")
        self.read_bytes = 0
        self.total_bytes = 0
        self.total_lines = 0
        self.line = 0
        self._workbook: Any = None

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        return self._xlsx() if self.is_xlsx else self._csv()

    def _csv(self) -> Iterator[tuple[int, list[Any]]]:
        stream = self.stream
        stream.seek(0, 2)
        self.total_bytes = stream.tell() or 1
        stream.seek(0)
        encoding = _csv_encoding(stream)

        def lines() -> Iterator[str]:
            for raw in stream:
                self.read_bytes += len(raw)
                yield raw.decode(encoding)

        reader = csv.reader(lines(), delimiter=";")
        try:
            for cells in reader:
                self.line = reader.line_num
                yield self.line, list(cells)
        except csv.Error as exc:
            raise ImportFileError(
                f"Ligne {reader.line_num} : le fichier CSV est mal formé ({exc})."
            ) from exc

    def _xlsx(self) -> Iterator[tuple[int, list[Any]]]:
        import zipfile

        import openpyxl

        try:
            workbook = openpyxl.load_workbook(self.stream, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportFileError(
                "Le fichier n'est pas un classeur Excel (.xlsx) lisible."
            ) from exc
        self._workbook = workbook
        sheet = workbook.worksheets[0]
        self.total_lines = sheet.max_row or 0
        try:
            for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                self.line = line
                yield line, list(cells)
        finally:
            workbook.close()

    @property
    def fraction(self) -> float:
        if self.is_xlsx:
            return min(1.0, self.line / self.total_lines) if self.total_lines else 0.0
        return min(1.0, self.read_bytes / self.total_bytes) if self.total_bytes else 0.0


# Columns written by the PostgreSQL fast path (COPY into a temporary table, then one INSERT …
# ON CONFLICT DO NOTHING): several times faster than a multi-row INSERT built by the ORM.
_COPY_COLUMNS = (
    "entity_id",
    "person_id",
    "client_id",
    "service_id",
    "day",
    "hours",
    "travel_minutes",
    "status",
    "source",
    "import_key",
    "declared_by_id",
)
_COPY_TABLE = "timesheets_import_buffer"


@transaction.atomic
def _store_batch(
    batch: list[rules.ParsedRow], *, entity_id: int, by_id: int | None, write: bool
) -> tuple[int, int, list[rules.ParsedRow]]:
    """Store the rows not stored yet, in one transaction; returns (inserted, already stored,
    refused). Refused rows are those of a month closed (or being closed) since the file was
    checked: nothing enters a frozen month.

    Rows are unique on ``import_key``: a row already stored (or stored meanwhile by another
    import of the same file) is skipped by the database itself, never duplicated.
    """
    refused: list[rules.ParsedRow] = []
    if write:
        frozen = _frozen_months(entity_id, {(row.day.year, row.day.month) for row in batch})
        if frozen:
            refused = [row for row in batch if (row.day.year, row.day.month) in frozen]
            batch = [row for row in batch if (row.day.year, row.day.month) not in frozen]
    if write and connection.vendor == "postgresql":
        return (*_copy_batch(batch, entity_id=entity_id, by_id=by_id), refused)
    keys = [row.key for row in batch]
    existing = set(
        TimeEntry.objects.filter(import_key__in=keys).values_list("import_key", flat=True)
    )
    new = [
        TimeEntry(
            entity_id=entity_id,
            person_id=row.person_id,
            client_id=row.client_id,
            service_id=row.service_id,
            day=row.day,
            hours=row.hours,
            travel_minutes=row.travel_minutes,
            status=EntryStatus.DECLARED,
            source=EntrySource.IMPORT,
            import_key=row.key,
            declared_by_id=by_id,
        )
        for row in batch
        if row.key not in existing
    ]
    if write and new:
        TimeEntry.objects.bulk_create(new, batch_size=rules.BATCH_SIZE, ignore_conflicts=True)
    return len(new), len(batch) - len(new), refused


def _copy_batch(
    batch: list[rules.ParsedRow], *, entity_id: int, by_id: int | None
) -> tuple[int, int]:
    columns = ", ".join(_COPY_COLUMNS)
    table = TimeEntry._meta.db_table
    status, source = str(EntryStatus.DECLARED), str(EntrySource.IMPORT)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_COPY_TABLE} (entity_id bigint, person_id bigint, "
            "client_id bigint, service_id bigint, day date, hours numeric(5, 2), "
            "travel_minutes integer, status varchar(10), source varchar(10), "
            "import_key varchar(64), declared_by_id bigint)"
        )
        with cursor.cursor.copy(f"COPY {_COPY_TABLE} ({columns}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row(
                    (
                        entity_id,
                        row.person_id,
                        row.client_id,
                        row.service_id,
                        row.day,
                        row.hours,
                        row.travel_minutes,
                        status,
                        source,
                        row.key,
                        by_id,
                    )
                )
        cursor.execute(
            f"INSERT INTO {table} ({columns}, created_at) SELECT {columns}, now() "
            f"FROM {_COPY_TABLE} ON CONFLICT (import_key) DO NOTHING"
        )
        inserted = cursor.rowcount
        cursor.execute(f"DROP TABLE {_COPY_TABLE}")
    return inserted, len(batch) - inserted


def import_hours_file(
    entity: Entity,
    stream: IO[bytes],
    filename: str,
    *,
    today: date,
    by: User | None,
    write: bool = True,
    on_progress: Callable[[ImportOutcome, float], None] | None = None,
) -> ImportOutcome:
    """Read, check and store the rows of an hours file (format: ``docs/imports.md``).

    Bad rows are reported (line, column, reason) and skipped; good rows are stored in batches
    of ``rules.BATCH_SIZE``, each in its own transaction; rows already stored (same import key)
    are counted as duplicates. With ``write=False`` nothing is stored (dry run).
    """
    outcome = ImportOutcome()
    rows = _Rows(stream, filename)
    iterator = iter(rows)
    header: list[str] | None = None
    for _line, cells in iterator:
        if any(rules.cell_text(c) for c in cells):
            header = rules.normalize_header(cells)
            break
    if header is None:
        raise ImportFileError("Le fichier est vide : la ligne d'en-tête est absente.")
    problem = rules.header_problem(header)
    if problem:
        raise ImportFileError(problem)
    positions = [(name, header.index(name)) for name in rules.COLUMNS if name in header]
    checker = rules.RowChecker(load_import_context(entity, today=today))
    batch: list[rules.ParsedRow] = []

    def flush() -> None:
        inserted, duplicates, refused = _store_batch(
            batch, entity_id=entity.pk, by_id=by.pk if by else None, write=write
        )
        outcome.imported_rows += inserted
        outcome.duplicate_rows += duplicates
        outcome.error_rows += len(refused)
        room = rules.STORED_ERRORS_CAP - len(outcome.errors)
        outcome.errors.extend(rules.frozen_month_error(row).as_dict() for row in refused[:room])
        batch.clear()
        if on_progress is not None:
            on_progress(outcome, rows.fraction)

    for line, cells in iterator:
        count = len(cells)
        values = {
            name: rules.cell_text(cells[index]) if index < count else ""
            for name, index in positions
        }
        if not any(values.values()):
            continue  # blank line
        outcome.total_rows += 1
        result = checker.check(values, line)
        if isinstance(result, rules.ParsedRow):
            batch.append(result)
            if len(batch) >= rules.BATCH_SIZE:
                flush()
        else:
            outcome.error_rows += 1
            room = rules.STORED_ERRORS_CAP - len(outcome.errors)
            outcome.errors.extend(e.as_dict() for e in result[: max(room, 0)])
    if batch:
        flush()
    return outcome


@transaction.atomic
def start_import(entity: Entity, *, upload: Any, by: User) -> TimesheetImport:
    """Store an uploaded file and queue its import in the background."""
    from tremplin.timesheets.tasks import run_import

    imp = TimesheetImport.objects.create(
        entity=entity, file=upload, original_name=upload.name[:255], uploaded_by=by
    )
    audit.log(imp, "timesheets.import_started", by=by, data={"fichier": imp.original_name})
    transaction.on_commit(lambda: run_import.enqueue(imp.pk))
    return imp


def run_import(
    imp: TimesheetImport,
    *,
    today: date,
    on_progress: Callable[[ImportOutcome, float], None] | None = None,
) -> TimesheetImport:
    """Run a stored import, saving its progress after each batch (the page polls it)."""
    TimesheetImport.objects.filter(pk=imp.pk).update(status=ImportStatus.RUNNING, progress=0)

    def progress(outcome: ImportOutcome, fraction: float) -> None:
        if on_progress is not None:
            on_progress(outcome, fraction)
        TimesheetImport.objects.filter(pk=imp.pk).update(
            progress=min(99, int(fraction * 100)),
            total_rows=outcome.total_rows,
            imported_rows=outcome.imported_rows,
            duplicate_rows=outcome.duplicate_rows,
            error_rows=outcome.error_rows,
        )

    try:
        with imp.file.open("rb") as stream:
            outcome = import_hours_file(
                imp.entity,
                stream,
                imp.original_name,
                today=today,
                by=imp.uploaded_by,
                on_progress=progress,
            )
    except ImportFileError as exc:
        imp.status = ImportStatus.FAILED
        imp.errors = [{"line": 1, "column": "", "value": "", "message": str(exc)}]
        imp.finished_at = timezone.now()
        imp.save(update_fields=["status", "errors", "finished_at"])
        audit.log(imp, "timesheets.import_failed", by=imp.uploaded_by, data={"motif": str(exc)})
        return imp
    except Exception:
        TimesheetImport.objects.filter(pk=imp.pk).update(
            status=ImportStatus.FAILED, finished_at=timezone.now()
        )
        raise
    imp.status = ImportStatus.DONE
    imp.progress = 100
    imp.total_rows = outcome.total_rows
    imp.imported_rows = outcome.imported_rows
    imp.duplicate_rows = outcome.duplicate_rows
    imp.error_rows = outcome.error_rows
    imp.errors = outcome.errors
    imp.finished_at = timezone.now()
    imp.save()
    audit.log(
        imp,
        "timesheets.import_done",
        by=imp.uploaded_by,
        data={
            "lignes": outcome.total_rows,
            "importées": outcome.imported_rows,
            "déjà importées": outcome.duplicate_rows,
            "en erreur": outcome.error_rows,
        },
    )
    return imp
