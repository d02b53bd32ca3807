"""One cluster's live view, read once per change for every socket of this process that follows it.

When a cluster changes, every socket following it hears `cluster.changed`. A
class of 300 following the teacher would otherwise ask the database the same
questions 300 times and render the same fragments 300 times, one after the
other on Django's single database thread. Here the first socket to ask after a
change reads the cluster's marks (newest visible step, revision, mode, speed,
the lesson guide's version) and the others wait for that same read; a fragment
is rendered once per distinct request (web/live.py keeps them) and the others
reuse it. Reads are single-flight: a read that began before the change was
was announced is not reused for it (the announcement carries its wall time).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, TypeVar

from channels.db import database_sync_to_async

from cluster.models import Cluster
from web import guide, live

T = TypeVar("T")


@dataclass(frozen=True)
class Marks:
    """What a socket compares with what it last sent, to know what to send now."""

    seq: int  # the newest step a page may show
    revision: int
    mode: str
    speed: float
    guide: tuple  # the lesson guide's version (web/guide.py, version), or ()
    read_at: float = 0.0  # wall time the read began


def read_marks(cluster: Cluster) -> Marks:
    read_at = time.time()
    controls = live.controls_state(cluster)
    row = guide.progress_of(cluster)
    guide_mark = guide.version(row) if row is not None else ()
    from cluster.apiserver.server import APIServer

    return Marks(
        live.newest_visible_seq(cluster),
        APIServer(cluster, client="dashboard").current_revision(),
        controls["mode"],
        controls["speed"],
        guide_mark,
        read_at,
    )


class SingleFlight:
    """Concurrent callers of one key share one call; a result is reused only if it began after `since`."""

    def __init__(self) -> None:
        self.running: dict[object, tuple[float, asyncio.Future]] = {}
        self.done: dict[object, tuple[float, object]] = {}

    async def call(self, key: object, since: float, work: Callable[[], Awaitable[T]]) -> T:
        finished = self.done.get(key)
        if finished is not None and finished[0] >= since:
            return finished[1]  # type: ignore[return-value]
        running = self.running.get(key)
        if running is not None and running[0] >= since:
            return await asyncio.shield(running[1])
        started = time.time()
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.running[key] = (started, future)
        try:
            result = await work()
        except BaseException as err:
            future.set_exception(err)
            future.exception()  # retrieved: the waiters re-raise it themselves
            raise
        finally:
            if self.running.get(key, (None,))[0] == started:
                del self.running[key]
        future.set_result(result)
        self.done[key] = (started, result)
        if len(self.done) > 2048:
            self.done.clear()
        return result


_flights = SingleFlight()


async def marks(cluster: Cluster, since: float) -> Marks:
    return await _flights.call(("marks", cluster.pk), since, lambda: database_sync_to_async(read_marks)(cluster))


async def steps(cluster: Cluster, after: int, upto: int, language: str) -> tuple[str, int]:
    """The steps after `after` up to `upto`, rendered once for every socket at the same place."""
    return await _flights.call(
        ("steps", cluster.pk, after, upto, language),
        0.0,
        lambda: database_sync_to_async(live.render_steps)(cluster, after, language, upto),
    )


async def opening_steps(cluster: Cluster, wanted: int, language: str) -> tuple[str, int]:
    """A newly opened page's first steps (live.render_opening_steps) and the mark to go on from, rendered once
    for every page that opens at the same mark."""
    top = await database_sync_to_async(live.newest_visible_seq)(cluster)
    html = await _flights.call(
        ("opening", cluster.pk, top, wanted, language),
        0.0,
        lambda: database_sync_to_async(live.render_opening_steps)(cluster, top, wanted, language),
    )
    return html, top


async def state(cluster: Cluster, mark: tuple, language: str, panel: str) -> dict[str, str]:
    """The revision, controls, map and open table at `mark`, rendered once per language and panel."""
    return await _flights.call(
        ("state", cluster.pk, mark, language, panel),
        0.0,
        lambda: database_sync_to_async(live.render_state_parts)(cluster, language, panel),
    )


async def viewer_guide(cluster: Cluster, mark: tuple, language: str, seen: tuple = ()) -> str:
    """The lesson guide as a viewer sees it (no check run), as it changed since `seen`, rendered once for every
    viewer at the same place."""

    def render() -> str:
        row = guide.progress_of(cluster)
        if row is None:
            return guide.render(cluster, row, False, language, oob=True)
        return guide.render_change(cluster, row, False, language, seen)

    key = ("guide", cluster.pk, mark, language, seen[:1] == mark[:1])
    return await _flights.call(key, 0.0, lambda: database_sync_to_async(render)())
