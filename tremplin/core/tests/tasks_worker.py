"""Running the database task queue from a test, as ``manage.py db_worker --batch`` does."""

from __future__ import annotations

from django.db import connection


def run_db_worker(worker_id: str = "parcours-navigateur") -> None:
    """Run the queued tasks, then stop; meant for a thread beside a browser journey."""
    from django_tasks_db.management.commands.db_worker import Worker

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
    finally:
        connection.close()
