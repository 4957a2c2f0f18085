"""Running the database task queue from a test, as ``manage.py db_worker --batch`` does."""

from __future__ import annotations

import time

from django.db import OperationalError, connection

# How long the worker keeps starting again after its transaction found a table locked.
LOCKED_RETRY_SECONDS = 60.0


def run_db_worker(worker_id: str = "parcours-navigateur") -> None:
    """Run the queued tasks, then stop; meant for a thread beside a browser journey.

    The tests' SQLite database lives in memory, shared by the live server's thread and this one:
    there, a table the other thread holds fails a transaction at once ("database table is
    locked") instead of making it wait as a database file would. The worker claims a task only
    inside its exclusive transaction, and a task's own failures are recorded on the task, so
    such an error leaves nothing half done: the worker starts again a moment later.
    """
    from django_tasks_db.management.commands.db_worker import Worker

    deadline = time.monotonic() + LOCKED_RETRY_SECONDS
    try:
        while True:
            try:
                Worker(
                    queue_names=["default"],
                    interval=0.2,
                    batch=True,
                    backend_name="default",
                    startup_delay=False,
                    max_tasks=None,
                    worker_id=worker_id,
                    excluded_queue_names=[],
                ).run()
                return
            except OperationalError as exc:
                if "table is locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        connection.close()
