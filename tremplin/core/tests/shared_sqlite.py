"""The tests' in-memory SQLite connection, shared by several threads without freezing them.

The test database on SQLite lives in memory. For a browser journey, the live server's threads
use the test's very connection (pytest-django hands it to them: a second connection would see
an empty database). Python's ``sqlite3`` module is not safe for that. A thread running a query
that calls a Python function (Django registers many on SQLite: date extraction, ``REGEXP``…)
holds the connection's SQLite lock and waits for the interpreter lock, while a thread reading a
result row of the same connection holds the interpreter lock and waits for SQLite's: the whole
process freezes, for good, with no exception and no timeout able to fire.

:func:`serialised` puts every use of that connection behind one lock of our own. A thread
waiting for it lets go of the interpreter lock, so the thread inside SQLite can always finish.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper


class _SerialisedCursor:
    """Mixed in before a ``sqlite3.Cursor`` class: each call that reaches SQLite takes the lock.

    SQLite runs a statement step by step while rows are fetched, so fetching takes it too.
    """

    _serialising_lock: threading.RLock

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        with self._serialising_lock:
            return super().execute(*args, **kwargs)  # type: ignore[misc]

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        with self._serialising_lock:
            return super().executemany(*args, **kwargs)  # type: ignore[misc]

    def executescript(self, *args: Any, **kwargs: Any) -> Any:
        with self._serialising_lock:
            return super().executescript(*args, **kwargs)  # type: ignore[misc]

    def fetchone(self) -> Any:
        with self._serialising_lock:
            return super().fetchone()  # type: ignore[misc]

    def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        with self._serialising_lock:
            return super().fetchmany(*args, **kwargs)  # type: ignore[misc]

    def fetchall(self) -> Any:
        with self._serialising_lock:
            return super().fetchall()  # type: ignore[misc]

    def __next__(self) -> Any:
        with self._serialising_lock:
            return super().__next__()  # type: ignore[misc]

    def close(self) -> None:
        with self._serialising_lock:
            super().close()  # type: ignore[misc]


_cursor_classes: dict[type, type] = {}
_cursor_classes_lock = threading.Lock()


def _serialised_cursor_class(factory: type) -> type:
    with _cursor_classes_lock:
        if factory not in _cursor_classes:
            _cursor_classes[factory] = type(
                f"Serialised{factory.__name__}", (_SerialisedCursor, factory), {}
            )
        return _cursor_classes[factory]


class SerialisedConnection:
    """Stands for a ``sqlite3.Connection``: every call, attribute read or write takes one lock."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        object.__setattr__(self, "raw", raw)
        object.__setattr__(self, "lock", threading.RLock())

    def cursor(self, factory: type = sqlite3.Cursor) -> Any:
        with self.lock:
            cursor = self.raw.cursor(factory=_serialised_cursor_class(factory))
        cursor._serialising_lock = self.lock
        return cursor

    def __getattr__(self, name: str) -> Any:
        with self.lock:
            value = getattr(self.raw, name)
        if not callable(value):
            return value

        def under_lock(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                return value(*args, **kwargs)

        return under_lock

    def __setattr__(self, name: str, value: Any) -> None:
        with self.lock:
            setattr(self.raw, name, value)


def shares_memory_database(wrapper: BaseDatabaseWrapper) -> bool:
    return wrapper.vendor == "sqlite" and bool(wrapper.is_in_memory_db())


@contextmanager
def serialised(wrapper: BaseDatabaseWrapper) -> Iterator[None]:
    """Serialise the uses of ``wrapper``'s connection while the block runs (in-memory SQLite
    only; any other database gives each thread its own connection and is left as it is)."""
    if not shares_memory_database(wrapper):
        yield
        return
    wrapper.ensure_connection()
    raw = wrapper.connection
    if isinstance(raw, SerialisedConnection):
        yield
        return
    wrapper.connection = SerialisedConnection(raw)
    try:
        yield
    finally:
        if isinstance(wrapper.connection, SerialisedConnection) and wrapper.connection.raw is raw:
            wrapper.connection = raw
