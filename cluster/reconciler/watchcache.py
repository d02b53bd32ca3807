"""The driver's watch cache: its own writes since the last poll, else the watch read from the store.

kube-apiserver serves watches from its watch cache (the Cacher: recent events
kept in memory) instead of asking etcd again. The driver keeps a smaller one.
The API server appends every write that this driver's clients make to
`OwnWrites.written` (ClientHooks.journal, cluster/apiserver/hooks.py). When the
revisions written are exactly the ones after the last poll, no other client
wrote, and the store would return the same events: `OwnWrites.events` turns the
journal into them. Otherwise (another process wrote, or a rollback undid a unit)
`events_until` reads them from the store, WATCH_PAGE at a time, as a watch
resuming from its last revision does.

Simplified: the cache holds this driver's writes only, and only until the next
poll; no other watcher is served from it.
"""

from __future__ import annotations

from cluster.apiserver.server import APIServer, WatchEvent, fan_out
from cluster.store import Written

WATCH_PAGE = 2000


class OwnWrites:
    """The journal of this driver's own writes since the last poll."""

    def __init__(self) -> None:
        self.written: list[Written] = []  # appended to by the API server, as it writes
        self.whole = True  # false once a rollback may have undone some of them

    def clear(self) -> None:
        """Drop the writes noted so far (a list covers them, or they were rolled back)."""
        self.written.clear()

    def spoil(self) -> None:
        """A rollback may have undone some of the writes noted: the next poll reads the store."""
        self.whole = False

    def events(self, resources: list[str], since: int, current: int) -> list[tuple[str, WatchEvent]] | None:
        """The events after `since` up to `current` from the journal, if they are all there were.

        Either way the journal starts afresh: the poll that asked reads up to `current`.
        """
        written, whole = list(self.written), self.whole
        self.written.clear()
        self.whole = True
        if not whole or [w.mod_revision for w in written] != list(range(since + 1, current + 1)):
            return None
        return fan_out(resources, [w.event() for w in written])


def events_until(api: APIServer, resources: list[str], since: int, current: int) -> list[tuple[str, WatchEvent]]:
    """The watch events of `resources` after `since` up to `current`, read from the store."""
    found: list[tuple[str, WatchEvent]] = []
    while since < current:
        batch, resume = api.watch_many(resources, since, limit=WATCH_PAGE)
        found += [(resource, ev) for resource, ev in batch if ev.revision <= current]
        if resume == since:
            break
        since = resume
    return found
