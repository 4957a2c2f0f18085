"""Gapless numbering under concurrency: many threads issue invoices of one series at once, a
tenth of their transactions rolled back on purpose after the number was taken.

PostgreSQL: 32 threads × 100 invoices. SQLite: 32 threads × 25 invoices, against a file copy
of the test database (an in-memory database cannot be shared by threads with SQLite's busy
timeout); every transaction waits for the single writer lock instead of failing with "database
is locked" because it begins with ``BEGIN IMMEDIATE`` (config/settings.py).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection, connections, transaction

from tremplin.clients.tests.factories import ClientFactory
from tremplin.invoicing import actions, rules
from tremplin.invoicing.models import Invoice, InvoiceLine, InvoiceStatus, InvoiceVatAmount
from tremplin.invoicing.tests.factories import InvoicingEntityFactory
from tremplin.orders.rules import ServiceKind

THREADS = 32
FAIL_EVERY = 10  # one transaction in ten is rolled back on purpose


class DeliberateFailure(Exception):
    pass


def _drafts(count: int) -> tuple[int, list[int]]:
    """``count`` one-line drafts of one entity and client, with their totals; their ids."""
    entity = InvoicingEntityFactory.create()
    client = ClientFactory.create(entity=entity)
    invoices = Invoice.objects.bulk_create(
        [
            Invoice(
                entity=entity,
                client=client,
                payment_terms_days=30,
                total_excl_tax=Decimal("50.00"),
                total_vat=Decimal("10.00"),
                total_incl_tax=Decimal("60.00"),
            )
            for _ in range(count)
        ]
    )
    InvoiceVatAmount.objects.bulk_create(
        [
            InvoiceVatAmount(
                invoice=invoice,
                rate=Decimal(20),
                base_excl_tax=Decimal("50.00"),
                vat_amount=Decimal("10.00"),
            )
            for invoice in invoices
        ]
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                label="Entretien de locaux",
                activity=ServiceKind.OFFICE_CLEANING,
                quantity=Decimal(2),
                unit_price=Decimal("25.00"),
                vat_rate=Decimal(20),
                amount_excl_tax=Decimal("50.00"),
            )
            for invoice in invoices
        ]
    )
    return entity.pk, [i.pk for i in invoices]


def _issue_all(ids: list[int]) -> dict[str, Any]:
    """Issue ``ids`` from ``THREADS`` threads; every ``FAIL_EVERY``-th is rolled back after its
    number was taken. Returns what happened."""
    chunks = [ids[n::THREADS] for n in range(THREADS)]
    outcome: Counter[str] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(chunk: list[int]) -> None:
        local: Counter[str] = Counter()
        try:
            start.wait()
            for n, pk in enumerate(chunk):
                draft = Invoice.objects.get(pk=pk)
                try:
                    with transaction.atomic():
                        actions.issue_invoice(draft, by=None)
                        if n % FAIL_EVERY == 0:
                            raise DeliberateFailure
                    local["issued"] += 1
                except DeliberateFailure:
                    local["rolled_back"] += 1
                except OperationalError as exc:
                    local["locked" if "locked" in str(exc) else "operational"] += 1
                    with lock:
                        errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 — reported to the test, not swallowed
            with lock:
                errors.append(repr(exc))
        finally:
            connections.close_all()
            with lock:
                outcome.update(local)

    threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"outcome": outcome, "errors": errors, "seconds": time.perf_counter() - began}


def _check(sequences: list[int], numbers: list[str], result: dict[str, Any], total: int) -> None:
    expected = total - sum(1 for n in range(total // THREADS) if n % FAIL_EVERY == 0) * THREADS
    assert result["errors"] == []
    assert result["outcome"]["issued"] == expected
    assert result["outcome"]["rolled_back"] == total - expected
    assert len(sequences) == expected
    assert rules.numbering_gaps(sequences) == []
    assert len(set(sequences)) == len(sequences), "duplicate ranks"
    assert len(set(numbers)) == len(numbers), "duplicate numbers"
    assert max(sequences) == expected


@pytest.mark.django_db(transaction=True)
def test_postgresql_32_threads_100_invoices_each_no_gap_no_duplicate() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Variante PostgreSQL : lancer avec DATABASE_URL=postgres://…")
    per_thread = 100
    entity_id, ids = _drafts(THREADS * per_thread)
    result = _issue_all(ids)
    issued = Invoice.objects.filter(entity_id=entity_id, status=InvoiceStatus.ISSUED)
    sequences = list(issued.values_list("sequence", flat=True))
    numbers = list(issued.values_list("number", flat=True))
    print(f"\nPostgreSQL : {len(sequences)} factures émises en {result['seconds']:.1f} s")
    _check(sequences, numbers, result, THREADS * per_thread)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Path]:
    """Point new connections at a file copy of the (in-memory) test database."""
    if connection.vendor != "sqlite":
        pytest.skip("Variante SQLite : lancer sans DATABASE_URL")
    path = tmp_path / "concurrency.sqlite3"
    settings_dict = connections.settings["default"]
    original = settings_dict["NAME"]
    yield path
    settings_dict["NAME"] = original


@pytest.mark.django_db(transaction=True)
def test_sqlite_32_threads_no_gap_no_duplicate_no_lock_error(sqlite_file: Path) -> None:
    per_thread = 10
    entity_id, ids = _drafts(THREADS * per_thread)
    connection.ensure_connection()
    target = sqlite3.connect(sqlite_file)
    connection.connection.backup(target)
    target.close()
    # Threads open their own connections with the project's options (IMMEDIATE, timeout).
    connections.settings["default"]["NAME"] = str(sqlite_file)
    result = _issue_all(ids)
    with sqlite3.connect(sqlite_file) as db:
        rows = db.execute(
            "SELECT sequence, number FROM invoicing_invoice WHERE entity_id = ? AND status = ?",
            (entity_id, InvoiceStatus.ISSUED.value),
        ).fetchall()
    print(f"\nSQLite : {len(rows)} factures émises en {result['seconds']:.1f} s")
    assert result["outcome"]["locked"] == 0
    _check([r[0] for r in rows], [r[1] for r in rows], result, THREADS * per_thread)
