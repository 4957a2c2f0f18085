"""The in-memory SQLite connection shared with the live server's threads (``shared_sqlite``).

Two threads on one connection, one running a query that calls a Python function while the other
reads rows, freeze Python's ``sqlite3`` for good. A frozen process cannot fail a test, so the
threads run in a child process that ``faulthandler`` stops after a delay.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tremplin.core.tests.shared_sqlite import SerialisedConnection, serialised

ROOT = Path(__file__).resolve().parents[3]

TWO_THREADS_ON_ONE_CONNECTION = """
import faulthandler, sys, threading
faulthandler.dump_traceback_later(60, exit=True)
import django
from django.conf import settings
settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
)
django.setup()
from django.db import connections
from tremplin.core.tests.shared_sqlite import serialised
wrapper = connections["default"]
wrapper.ensure_connection()
wrapper.connection.create_function("echo", 1, lambda x: x, deterministic=True)
with wrapper.cursor() as cursor:
    cursor.execute("CREATE TABLE t (x integer)")
    cursor.executemany("INSERT INTO t VALUES (%s)", [(i,) for i in range(2000)])
wrapper.inc_thread_sharing()
rows = []
def run(sql):
    for _ in range(300):
        with wrapper.cursor() as cursor:
            cursor.execute(sql)
            rows.append(len(cursor.fetchall()))
with serialised(wrapper):
    threads = [
        threading.Thread(target=run, args=(sql,))
        for sql in ("SELECT sum(echo(x)) FROM t", "SELECT x FROM t")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
print(len(rows), sum(rows))
"""


def test_two_threads_share_the_serialised_connection_without_freezing() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-c", TWO_THREADS_ON_ONE_CONNECTION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # 300 sums of one row and 300 reads of 2,000 rows each.
    assert done.stdout.split() == ["600", str(300 * 1 + 300 * 2000)]


@pytest.mark.django_db
def test_serialised_stands_in_for_the_connection_then_gives_it_back() -> None:
    if connection.vendor != "sqlite":
        with serialised(connection):
            assert not isinstance(connection.connection, SerialisedConnection)
        return
    connection.ensure_connection()
    raw = connection.connection
    with serialised(connection):
        assert isinstance(connection.connection, SerialisedConnection)
        assert connection.connection.raw is raw
        with serialised(connection):  # nested: the same stand-in
            assert connection.connection.raw is raw
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s + 1", [41])
            assert cursor.fetchone() == (42,)
        assert connection.connection.in_transaction is raw.in_transaction
    assert connection.connection is raw
