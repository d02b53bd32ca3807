"""The database driver's own cursor, for the few hot statements that skip the ORM.

The store (cluster/store.py) writes every object through it; the container runtime and the
scheduler's decision log use it for their own simulator-side rows (RuntimeState). It knows
nothing of keys, revisions or objects: that is the store's business, and only the API server
calls the store.
"""

from __future__ import annotations

import functools
import threading

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper


class DriverCursor:
    """The database driver's own cursor, with Django's `%s` placeholders.

    The store's statements run several times in every request; Django's cursor
    wrapper (placeholder rewriting per call, query logging under DEBUG) costs
    about as much as SQLite's own work for them. Errors are the driver's.
    """

    def __init__(self) -> None:
        db = _database()
        if db.connection is None:
            db.ensure_connection()
        self.cursor = db.connection.cursor()
        self.vendor = db.vendor

    def __enter__(self) -> DriverCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cursor.close()

    def execute(self, sql: str, params: list) -> None:
        self.cursor.execute(_qmark(sql) if self.vendor == "sqlite" else sql, params)

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        self.cursor.executemany(_qmark(sql) if self.vendor == "sqlite" else sql, rows)

    def fetchone(self) -> tuple | None:
        return self.cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self.cursor.fetchall()


_thread = threading.local()


def _database() -> BaseDatabaseWrapper:
    """This thread's connection wrapper.

    `connections[alias]` goes through asgiref's Local on every call, which cost
    as much as a short statement; a thread's wrapper stays the same object (it
    reconnects in place), so each thread looks it up once.
    """
    db = getattr(_thread, "db", None)
    if db is None:
        db = _thread.db = connections[DEFAULT_DB_ALIAS]
    return db


@functools.lru_cache(maxsize=256)
def _qmark(sql: str) -> str:
    return sql.replace("%s", "?")
