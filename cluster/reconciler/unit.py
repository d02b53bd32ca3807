"""A reconciler's unit of work as a savepoint, in the database's own SQL.

Consecutive units share one transaction (the driver's batches), and each unit is
a savepoint, so that a component's bug undoes only that unit's writes. Django's
nested atomic() makes the same savepoint, but through its cursor wrapper and
bookkeeping, which took about 4 % of a large fast-forward for two statements
per unit. Inside the batch's atomic block (the transaction Django knows) this
savepoint is the database's alone; outside one (step mode runs single units)
the unit is an atomic block of its own. Either way, a unit that is undone or
committed on its own ends what a HeldRevision may assume (cluster/store.py), and
a unit undone drops the steps it kept for the batch's insert (cluster/steps/sink.py).
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from typing import Iterator

from django.db import connection, transaction

from cluster.dbcursor import DriverCursor
from cluster.steps.sink import StepSink
from cluster.store import HeldRevision

_names = itertools.count()


class Unit:
    """What the work inside a unit can ask of it."""

    def __init__(self) -> None:
        self.failed = False

    def rollback(self) -> None:
        """Undo the unit's writes when it ends."""
        self.failed = True


@contextmanager
def unit_of_work(held: HeldRevision | None = None, step_sink: StepSink | None = None) -> Iterator[Unit]:
    unit = Unit()
    if not connection.in_atomic_block:
        try:
            with transaction.atomic():
                yield unit
                if unit.failed:
                    transaction.set_rollback(True)
        finally:
            if held is not None:
                held.forget()  # the transaction ended with the unit
        return
    name = f"kubeclass_unit_{next(_names)}"
    kept = step_sink.mark() if step_sink is not None else 0
    with DriverCursor() as cursor:
        cursor.execute(f"SAVEPOINT {name}", [])
    try:
        yield unit
    except BaseException:
        unit.failed = True
        raise
    finally:
        with DriverCursor() as cursor:
            if unit.failed:
                cursor.execute(f"ROLLBACK TO SAVEPOINT {name}", [])
                # as Django's atomic() after rolling back to its savepoint: the error is undone
                connection.needs_rollback = False
                if held is not None:
                    held.forget()  # the revisions the unit took are given back
                if step_sink is not None:
                    step_sink.drop_since(kept)  # and the steps it kept for the batch's insert
            cursor.execute(f"RELEASE SAVEPOINT {name}", [])
