"""Wake the reconciler at once when someone asks it for work (a "next" in step mode).

The reconciler's task sleeps between cycles (up to 0.25 s). A request served by
the same process sets this event, so the asked-for step is produced now. A
request served by another process — another Daphne worker, or a server whose
control plane runs apart (`manage.py controlplane`) — reaches it through the
channel layer: `wake` also sends to the group every reconciler listens on. With
the in-memory layer (one process) there is nobody else to reach.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer

from cluster import notify

log = logging.getLogger(__name__)
WAKE_GROUP = "kubeclass.reconciler.wake"
# channels-redis forgets a group's members after a day (group_expiry); join again long before that.
REJOIN_SECONDS = 600.0
STOP_ATTEMPTS = 100  # cancels, 0.1 s apart, before the listener is left to the event loop's end

_event: asyncio.Event | None = None
_loop: asyncio.AbstractEventLoop | None = None


def install(loop: asyncio.AbstractEventLoop) -> asyncio.Event:
    global _event, _loop
    _event, _loop = asyncio.Event(), loop
    return _event


def shared_layer() -> BaseChannelLayer | None:
    """The channel layer when it reaches other processes (Redis), else None."""
    layer = get_channel_layer()
    return None if layer is None or isinstance(layer, InMemoryChannelLayer) else layer


def wake() -> None:
    """Thread-safe: set the reconciler's event if it runs in this process, and tell the others."""
    wake_here()
    if shared_layer() is not None:
        notify.publish(WAKE_GROUP, {"type": "reconciler.wake"})


def wake_here() -> None:
    """Thread-safe: set the event of this process's reconciler, if it has one."""
    if _event is not None and _loop is not None and not _loop.is_closed():
        _loop.call_soon_threadsafe(_event.set)


async def listen(event: asyncio.Event) -> None:
    """Set `event` whenever another process calls `wake`; runs until cancelled, and then stops promptly."""
    layer = shared_layer()
    if layer is None:
        return
    hearing = asyncio.create_task(_listen(layer, event), name="kubeclass-wake-hearing")
    try:
        await asyncio.wait({hearing})  # cancelling this wait ends it at once, whatever `hearing` is doing
    finally:
        await _stop(hearing)


async def _stop(hearing: asyncio.Task) -> None:
    """Cancel `hearing` until it ends. The channel layer's client may swallow a cancellation that arrives
    while it reads from Redis and then wait on (seen once in CI: a listener still running 20 s after its
    cancel); cancelling again interrupts whatever it waits on next."""
    for _ in range(STOP_ATTEMPTS):
        if hearing.done():
            break
        hearing.cancel()
        await asyncio.wait({hearing}, timeout=0.1)
    else:
        log.warning("the wake listener did not stop after %d cancels", STOP_ATTEMPTS)
    if hearing.done() and not hearing.cancelled() and hearing.exception() is not None:
        log.warning("the wake listener failed", exc_info=hearing.exception())


async def _listen(layer: BaseChannelLayer, event: asyncio.Event) -> None:
    while True:
        try:
            await _hear(layer, await layer.new_channel(), event)
        except Exception:  # noqa: BLE001 - Redis away for a moment: the reconciler still cycles every 0.25 s
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError from None  # the error came from being cancelled mid-read: stop
            log.warning("cannot listen for wake-ups; trying again", exc_info=True)
            await asyncio.sleep(1.0)


async def _hear(layer: BaseChannelLayer, channel: str, event: asyncio.Event) -> None:
    # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that arrives as the
    # message does, and this loop would then outlive the reconciler that cancelled it.
    while True:
        await layer.group_add(WAKE_GROUP, channel)  # again every REJOIN_SECONDS, before the group forgets it
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(REJOIN_SECONDS):
                while True:
                    await layer.receive(channel)
                    event.set()
