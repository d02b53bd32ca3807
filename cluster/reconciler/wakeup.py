"""Wake the reconciler at once when someone asks it for work (a "next" in step mode).

The reconciler's task sleeps between cycles (up to 0.25 s); a request served by
the same process sets this event so the asked-for step is produced now. A
request served by another worker process cannot reach it: that process's
reconciler notices at its next cycle.
"""

from __future__ import annotations

import asyncio

_event: asyncio.Event | None = None
_loop: asyncio.AbstractEventLoop | None = None


def install(loop: asyncio.AbstractEventLoop) -> asyncio.Event:
    global _event, _loop
    _event, _loop = asyncio.Event(), loop
    return _event


def wake() -> None:
    """Thread-safe: set the reconciler's event if it runs in this process."""
    if _event is not None and _loop is not None and not _loop.is_closed():
        _loop.call_soon_threadsafe(_event.set)
