"""Emptying the database for the tests that reload the demo from scratch."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection


def wipe_database() -> None:
    """Empty every table at the database level, as a new installation.

    Rows cannot be deleted through the models: issued invoices and the hours of closed months
    refuse it, as they must. The test's transaction still rolls everything back afterwards.
    PostgreSQL refuses to truncate a table with foreign-key checks still deferred in the
    transaction: they are run first, then deferred again for what the test writes next.
    """
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
