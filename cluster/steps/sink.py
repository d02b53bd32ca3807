"""Where a reconciler batch's steps wait for their insert.

A batch (cluster/reconciler/batch.py) runs up to 64 units of work in one
transaction, and each unit writes a few objects: a pod's status, then its
Events. Inserting each write's steps as it happens costs a statement and its
bookkeeping every time; while the batch is open its components' recorders
`keep` their hops here instead, each with the moment it was due, and the batch
inserts them all in one statement just before it commits. Every component of a
driver shares the one sink, so the steps keep the order they happened in. A
unit that is rolled back drops what it kept (`mark`, `drop_since`), as its
savepoint drops its writes.

The plain path, one insert with every write, is what a closed sink gives:
requests from outside (kubectl, the dashboard) and step mode, which shows each
step as it is written. tests/test_steps.py checks that both record the same
rows (KEEP_UNTIL_COMMIT).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from cluster.models import Cluster
from cluster.steps.hops import Hop
from cluster.steps.recorder import write_hop_chunks

if TYPE_CHECKING:
    from cluster.store import HeldRevision

# The fast path's switch: False leaves every sink closed, so each write inserts its own steps (the seam test).
KEEP_UNTIL_COMMIT = True


class StepSink:
    """One driver's hops kept while its batch holds the transaction."""

    def __init__(self, cluster: Cluster, held: HeldRevision) -> None:
        self.cluster = cluster
        self.held = held
        self._chunks: list[tuple[dt.datetime, list[Hop]]] | None = None  # None: closed

    @property
    def is_open(self) -> bool:
        return self._chunks is not None

    def keep(self, moment: dt.datetime, hops: list[Hop]) -> None:
        assert self._chunks is not None, "keep() on a closed sink"
        self._chunks.append((moment, hops))

    def mark(self) -> int:
        """Where a unit starts, to drop what it kept if it is rolled back."""
        return len(self._chunks) if self._chunks is not None else 0

    def drop_since(self, mark: int) -> None:
        if self._chunks is not None:
            del self._chunks[mark:]

    @contextmanager
    def until_commit(self) -> Iterator[None]:
        """Around a batch's work, inside its transaction: keep the hops, insert them when the work is done."""
        if not KEEP_UNTIL_COMMIT:
            yield
            return
        self._chunks = []
        try:
            yield
            chunks = self._chunks
            self._chunks = None
            if chunks:
                write_hop_chunks(self.cluster, chunks, self.held)
        finally:
            self._chunks = None  # a batch that failed takes its steps with it
