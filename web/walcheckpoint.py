"""SQLite's WAL checkpoints, off the Kubernetes API's request path.

In WAL mode SQLite copies its log back into the database file (a checkpoint)
when a commit finds the log past 1,000 pages, and the connection that
committed pays for it. With PATCHes a few milliseconds apart that was one
request in a few hundred taking 10-20 ms longer (bench/http_api.py: merge PATCH
p99 18.5 and 25.7 ms with it, 12.0 and 12.2 ms without, the same day).

The API pool's connections turn the automatic checkpoint off (its threads are
marked by `mark_pool_thread`, and `quiet_checkpoints` sets the pragma on each
connection they open); a thread of its own checkpoints instead, at most once a
second while the pool serves requests (`Checkpointer.after_request`). PASSIVE:
it never waits for a reader nor holds up a writer, and what it cannot copy now
it copies next time. Every other connection (the reconciler's, the dashboard's,
a `manage.py` command's) keeps SQLite's default. PostgreSQL needs none of this.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from django.db import DatabaseError, connection
from django.db.backends.signals import connection_created

log = logging.getLogger(__name__)
_pool_thread = threading.local()


def mark_pool_thread() -> None:
    """A ThreadPoolExecutor initializer: this thread's SQLite connections leave checkpoints to the Checkpointer."""
    _pool_thread.quiet = True


def quiet_checkpoints(sender: object, connection: Any, **kwargs: object) -> None:
    if connection.vendor == "sqlite" and getattr(_pool_thread, "quiet", False):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint=0")


connection_created.connect(quiet_checkpoints)


class Checkpointer:
    """Checkpoints the WAL in a thread of its own, at most once per `interval` seconds of requests."""

    def __init__(
        self, interval: float = 1.0, clock: Callable[[], float] = time.monotonic, enabled: bool | None = None
    ) -> None:
        self.interval, self.clock = interval, clock
        self.enabled = connection.vendor == "sqlite" if enabled is None else enabled
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="wal-checkpoint")
        self.lock = threading.Lock()
        self.last = -interval
        self.done = 0  # checkpoints run, for the tests

    def after_request(self) -> None:
        if not self.enabled:
            return
        now = self.clock()
        with self.lock:
            if now - self.last < self.interval:
                return
            self.last = now
        self.executor.submit(self.checkpoint)

    def checkpoint(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.done += 1
        except DatabaseError:
            log.warning("WAL checkpoint failed; the next one will try again", exc_info=True)
