"""Emptying the database for the tests that reload the demo from scratch."""

from __future__ import annotations

from django.core.management import call_command


def wipe_database() -> None:
    """Empty every table at the database level, as a new installation.

    Rows cannot be deleted through the models: issued invoices and the hours of closed months
    refuse it, as they must. The test's transaction still rolls everything back afterwards.
    """
    call_command("flush", interactive=False, verbosity=0)
