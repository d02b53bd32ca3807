"""Django's SQLite backend, with the writers of one process taking turns in the order they came.

SQLite lets one connection write at a time. A connection that finds the write
lock taken does not wait in line: its busy handler sleeps and tries again, for
1, 2, 5, 10, … and then 100 ms at a time, until `timeout`. When the reconciler
runs one batch after another (cluster/reconciler/batch.py: up to 50 ms each)
the lock is free only for an instant between two batches, and a request's
`BEGIN IMMEDIATE` asleep in its busy handler misses one instant after another:
beside a busy cluster a merge PATCH waited 200–340 ms at the 99th percentile
(bench/http_api.py --busy 300).

Here every write transaction of this process first takes a turn on a
first-come-first-served queue (`TurnQueue`) and only then asks SQLite for the
lock, so a request waits for at most the transactions that were already
waiting, and is woken the moment the one before it commits. SQLite's own
locking is unchanged underneath: another process (a second worker, `manage.py
controlplane`) still meets the busy handler, and a statement outside any
transaction (autocommit) takes the lock without a turn.

A long transaction that sees others waiting (`writers_waiting`) may end early
and queue again behind them: the reconciler's batches do, so a request waits for
the unit under way rather than for the rest of a batch.

PostgreSQL needs none of this: its row locks queue waiters and wake them.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError


class TurnQueue:
    """A lock handed to its waiters in the order they asked for it (threading.Lock promises no order:
    a thread that releases and at once asks again usually gets it back before a woken waiter runs)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._guard:
            if not self._held and not self._waiting:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        if turn.acquire(timeout=timeout):
            return True  # release() handed the lock over: it stays held
        with self._guard:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return False
        return True  # handed over just as the wait ran out: ours after all

    def waiting(self) -> int:
        """How many wait in line now."""
        with self._guard:
            return len(self._waiting)

    def release(self) -> None:
        with self._guard:
            if self._waiting:
                self._waiting.popleft().release()  # straight to the next in line; never free in between
            else:
                self._held = False


_queues: dict[str, TurnQueue] = {}
_queues_guard = threading.Lock()


def queue_for(name: str) -> TurnQueue:
    """The one queue of this process for the database file `name`."""
    with _queues_guard:
        return _queues.setdefault(name, TurnQueue())


class DatabaseWrapper(base.DatabaseWrapper):
    """Takes a turn before `BEGIN IMMEDIATE` and gives it back when the transaction ends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.turns = queue_for(str(self.settings_dict["NAME"]))
        self.has_turn = False

    def _start_transaction_under_autocommit(self) -> None:
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        if not self.turns.acquire(timeout):
            raise OperationalError("database is locked")  # what SQLite says when its own wait runs out
        self.has_turn = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        except BaseException:
            self._give_turn_back()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._give_turn_back()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._give_turn_back()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in django-stubs; closing ends a transaction
        finally:
            self._give_turn_back()

    def __del__(self) -> None:
        # A connection dropped inside a transaction (its thread gone) must not keep the turn for ever;
        # SQLite's own lock goes with the connection in the same way.
        self._give_turn_back()

    def _give_turn_back(self) -> None:
        if getattr(self, "has_turn", False):  # __del__ may follow a failed __init__
            self.has_turn = False
            self.turns.release()


def writers_waiting(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether another transaction of this process waits for its turn to write on `alias`'s database
    (never, on a database without turns: PostgreSQL, or Django's own SQLite backend)."""
    db = connections[alias]
    return isinstance(db, DatabaseWrapper) and db.turns.waiting() > 0
