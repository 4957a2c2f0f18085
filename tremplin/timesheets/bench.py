"""Benchmark of the hours import: a 100,000-line CSV with 1 % bad rows for an entity of about
5,000 workers and 500 clients, through the real import code path.

    DATABASE_URL=postgres://… python -m tremplin.timesheets.bench --output bench-results/import.json

Measures the wall time and the process's peak memory (``ru_maxrss``), checks that every bad row
is reported and that no good row is lost (rows counted in the database); removes the imported
rows and imports the file again under tracemalloc (the peak of Python allocations; tracemalloc
slows the import, so it is timed apart); then imports the same file once more and checks that
nothing is added. The
generated entity and its rows are deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

TARGET_SECONDS = 30.0
TARGET_MEGABYTES = 500.0


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def build_entity(workers: int, clients: int, seed: str) -> tuple[Any, list[int], list[int], str]:
    """An entity with ``workers`` people under contract, ``clients`` clients and one service."""
    from tremplin.clients.models import Client
    from tremplin.clients.rules import ClientKind
    from tremplin.contracts.models import Contract, Funding
    from tremplin.contracts.rules import ContractKind, PostType
    from tremplin.orders.models import Service
    from tremplin.orders.rules import ServiceKind
    from tremplin.organisations.models import Entity, Group
    from tremplin.organisations.rules import AssociationTaxStatus, LegalForm, VatRegime
    from tremplin.people.models import Person
    from tremplin.people.rules import Civility

    group = Group.objects.create(name=f"Groupe banc {seed}", slug=f"banc-{seed}")
    entity = Entity.objects.create(
        group=group,
        slug=f"banc-heures-{seed}",
        name=f"Banc heures {seed}",
        legal_name="Banc heures SAS",
        legal_form=LegalForm.SAS,
        siren="732829320",
        siret="73282932000074",
        naf_code="81.21Z",
        address="1 rue du Banc",
        postal_code="79000",
        city="Niort",
        vat_regime=VatRegime.NORMAL,
        tax_status=AssociationTaxStatus.NOT_APPLICABLE,
    )
    people = []
    for i in range(workers):
        birth = date(1970 + i % 30, 1 + i % 12, 1 + i % 28)
        person = Person(
            entity=entity,
            civility=Civility.MME if i % 2 else Civility.M,
            birth_name=f"Banc{i}",
            first_name="Dominique",
            birth_date=birth,
        )
        person.identity_key = Person.make_identity_key(person.birth_name, "Dominique", birth)
        person.name_key = Person.make_name_key(person.birth_name, "", "Dominique")
        people.append(person)
    Person.objects.bulk_create(people, batch_size=2000)
    person_ids = list(Person.objects.filter(entity=entity).values_list("pk", flat=True))
    Contract.objects.bulk_create(
        [
            Contract(
                entity=entity,
                person_id=pk,
                kind=ContractKind.CDDI,
                post_type=PostType.INSERTION,
                start=date(2020, 1, 1),
                weekly_hours=Decimal(26),
                hourly_rate=Decimal("12.50"),
                job_title="Agent d'entretien",
                funding=Funding.AIDE_AU_POSTE,
            )
            for pk in person_ids
        ],
        batch_size=2000,
    )
    Client.objects.bulk_create(
        [
            Client(entity=entity, name=f"Client banc {i}", kind=ClientKind.COMPANY)
            for i in range(clients)
        ]
    )
    client_ids = list(Client.objects.filter(entity=entity).values_list("pk", flat=True))
    service = Service.objects.create(
        entity=entity,
        kind=ServiceKind.OFFICE_CLEANING,
        name="Entretien de locaux",
        unit_price=Decimal("25.00"),
    )
    return entity, person_ids, client_ids, service.name


BAD_KINDS = (
    "bad_date",
    "unknown_worker",
    "unknown_client",
    "zero_hours",
    "too_many_hours",
    "hours_not_a_number",
    "unknown_service",
    "bad_travel",
    "duplicate_in_file",
    "missing_date",
)


def write_csv(
    path: Path,
    *,
    lines: int,
    person_ids: list[int],
    client_ids: list[int],
    service: str,
    first_day: date,
) -> tuple[int, set[int]]:
    """Write the file; returns the number of good rows and the line numbers of the bad ones."""
    rng = random.Random(42)
    bad_lines: set[int] = set()
    good = 0
    previous_good = ""
    days = max(1, -(-lines // len(person_ids)))
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write("date;matricule;client;heures;prestation;trajet_minutes\r\n")
        for i in range(lines):
            line = i + 2  # the header is line 1
            person = person_ids[i % len(person_ids)]
            day = first_day + timedelta(days=(i // len(person_ids)) % days)
            client = client_ids[rng.randrange(len(client_ids))]
            hours = f"{rng.choice((2, 3, 3.5, 4, 6, 7, 7.75)):.2f}".replace(".", ",")
            fields = [
                f"{day:%d/%m/%Y}",
                str(person),
                str(client),
                hours,
                service if i % 3 == 0 else "",
                str(rng.randrange(0, 60)),
            ]
            if i % 100 == 99:
                kind = BAD_KINDS[(i // 100) % len(BAD_KINDS)]
                bad_lines.add(line)
                if kind == "duplicate_in_file":
                    out.write(previous_good)
                    continue
                if kind == "bad_date":
                    fields[0] = "31/02/2026"
                elif kind == "unknown_worker":
                    fields[1] = "999999999"
                elif kind == "unknown_client":
                    fields[2] = "999999999"
                elif kind == "zero_hours":
                    fields[3] = "0"
                elif kind == "too_many_hours":
                    fields[3] = "24,5"
                elif kind == "hours_not_a_number":
                    fields[3] = "abc"
                elif kind == "unknown_service":
                    fields[4] = "Prestation inconnue"
                elif kind == "bad_travel":
                    fields[5] = "vingt"
                elif kind == "missing_date":
                    fields[0] = ""
            else:
                good += 1
            text = ";".join(fields) + "\r\n"
            if i % 100 != 99:
                previous_good = text
            out.write(text)
    return good, bad_lines


def cleanup(entity: Any) -> None:
    from django.db import transaction

    from tremplin.clients.models import Client
    from tremplin.contracts.models import Contract
    from tremplin.core.models import AuditEntry
    from tremplin.orders.models import Service
    from tremplin.people.models import Person
    from tremplin.timesheets.models import TimeEntry, TimesheetImport

    with transaction.atomic():
        TimeEntry.objects.filter(entity=entity).delete()
        TimesheetImport.objects.filter(entity=entity).delete()
        AuditEntry.objects.filter(entity=entity).delete()
        Contract.objects.filter(entity=entity).delete()
        Person.objects.filter(entity=entity).delete()
        Client.objects.filter(entity=entity).delete()
        Service.objects.filter(entity=entity).delete()
        group = entity.group
        entity.delete()
        group.delete()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("bench-results/import.json"))
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args(argv)
    _setup_django()

    from django.db import connection

    from tremplin.core.dates import today
    from tremplin.timesheets import actions, rules
    from tremplin.timesheets.models import EntrySource, TimeEntry, TimesheetImport

    seed = f"{int(time.time())}"
    print(f"Base : {connection.vendor} ; génération des données…", flush=True)
    entity, person_ids, client_ids, service = build_entity(args.workers, args.clients, seed)
    current = today()
    first_day = (current.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month
    try:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "heures.csv"
            good, bad_lines = write_csv(
                path,
                lines=args.lines,
                person_ids=person_ids,
                client_ids=client_ids,
                service=service,
                first_day=first_day,
            )
            size = path.stat().st_size
            print(f"Fichier : {args.lines} lignes, {size / 1e6:.1f} Mo, {len(bad_lines)} mauvaises")

            # Timed alone first: tracemalloc slows every Python allocation down.
            started = time.perf_counter()
            with path.open("rb") as stream:
                outcome = actions.import_hours_file(
                    entity, stream, path.name, today=current, by=None
                )
            seconds = time.perf_counter() - started
            rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
            in_db = TimeEntry.objects.filter(entity=entity, source=EntrySource.IMPORT).count()

            # Then the same import again on the same data, its rows removed, under tracemalloc
            # for the peak of Python allocations.
            TimeEntry.objects.filter(entity=entity, source=EntrySource.IMPORT).delete()
            TimesheetImport.objects.filter(entity=entity).delete()
            tracemalloc.start()
            started = time.perf_counter()
            with path.open("rb") as stream:
                traced = actions.import_hours_file(
                    entity, stream, path.name, today=current, by=None
                )
            traced_seconds = time.perf_counter() - started
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()

            started = time.perf_counter()
            with path.open("rb") as stream:
                again = actions.import_hours_file(entity, stream, path.name, today=current, by=None)
            reimport_seconds = time.perf_counter() - started

        in_db_after_all = TimeEntry.objects.filter(entity=entity, source=EntrySource.IMPORT).count()
        reported_lines = {int(str(e["line"])) for e in outcome.errors}
        checks = {
            "every_bad_row_reported": outcome.error_rows == len(bad_lines)
            and reported_lines == set(sorted(bad_lines)[: rules.STORED_ERRORS_CAP]),
            "no_good_row_lost": in_db == good == outcome.imported_rows,
            "traced_import_the_same": traced.imported_rows == good
            and traced.error_rows == len(bad_lines),
            "reimport_adds_nothing": again.imported_rows == 0
            and again.duplicate_rows == good
            and in_db_after_all == good,
        }
        figures = {
            "database": connection.vendor,
            "lines": args.lines,
            "workers": len(person_ids),
            "clients": len(client_ids),
            "file_megabytes": round(size / 1e6, 2),
            "seconds": round(seconds, 2),
            "rows_per_second": round(args.lines / seconds),
            "seconds_with_tracemalloc": round(traced_seconds, 2),
            "python_peak_megabytes": round(traced_peak / 1e6, 1),
            "process_peak_rss_megabytes": round(rss_peak / 1e6, 1),
            "rows_imported": outcome.imported_rows,
            "rows_in_database": in_db,
            "rows_reported": outcome.error_rows,
            "bad_rows_generated": len(bad_lines),
            "reimport_seconds": round(reimport_seconds, 2),
            "reimport_rows_imported": again.imported_rows,
            "reimport_duplicates": again.duplicate_rows,
            "checks": checks,
            "targets": {"seconds": TARGET_SECONDS, "megabytes": TARGET_MEGABYTES},
        }
    finally:
        if not args.keep:
            cleanup(entity)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    failed = [name for name, ok in checks.items() if not ok]
    assert not failed, f"Contrôles en échec : {failed}"
    slow = seconds > TARGET_SECONDS or rss_peak / 1e6 > TARGET_MEGABYTES
    if slow:
        print("Objectif de temps ou de mémoire dépassé.", file=sys.stderr)
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
