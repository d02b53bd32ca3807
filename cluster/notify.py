"""Tell the dashboards that a cluster changed, once its transaction has committed.

Goes through the Channels layer (in-memory in one process, Redis across
several workers), so a websocket served by any worker hears of a step
recorded by the process that drives the cluster. Notifications are coalesced:
at most one per cluster per commit and per 50 ms; a change within the 50 ms
gets one trailing notification at its end, so the pages (which do not poll)
always hear of the last change of a burst.

The reconciler and the trailing timer send from threads of their own. The
in-memory layer's queues belong to the event loop that serves the pages, and
an asyncio queue is not thread-safe: a message put from another thread is seen
only when that loop next wakes for some other reason (Daphne checks its
applications once a second). So the serving side names its loop
(`deliver_on`) and messages from other threads are handed to it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from concurrent.futures import Future

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)
_trailing: set[int] = set()
_lock = threading.Lock()
_last_sent: dict[int, float] = {}
# A burst of writes (a rollout, a benchmark) sends at most one message per interval,
# and one more at the end of it.
MIN_INTERVAL_SECONDS = 0.05
_serving_loop: asyncio.AbstractEventLoop | None = None


def deliver_on(loop: asyncio.AbstractEventLoop | None) -> None:
    """The loop the pages' sockets run on: notifications from other threads are sent from it."""
    global _serving_loop
    _serving_loop = loop


def serving_loop() -> asyncio.AbstractEventLoop | None:
    """The loop `deliver_on` named, if any."""
    return _serving_loop


def group_name(cluster_pk: int) -> str:
    return f"kubeclass.cluster.{cluster_pk}"


def cluster_changed(cluster_pk: int) -> None:
    """Schedule one `cluster.changed` message for after the current transaction commits.

    Once per transaction: a rolled-back transaction drops its callback with it."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(callback, "kubeclass_cluster", None) == cluster_pk
        for _sids, callback, *_rest in connection.run_on_commit
    ):
        return
    callback = functools.partial(_send_or_trail, cluster_pk)
    callback.kubeclass_cluster = cluster_pk  # type: ignore[attr-defined]
    transaction.on_commit(callback)


def _send_or_trail(cluster_pk: int) -> None:
    wait = _last_sent.get(cluster_pk, -1e9) + MIN_INTERVAL_SECONDS - time.monotonic()
    if wait <= 0:
        _send(cluster_pk)
        return
    with _lock:
        if cluster_pk in _trailing:
            return
        _trailing.add(cluster_pk)
    timer = threading.Timer(wait, _send, [cluster_pk])
    timer.daemon = True
    timer.start()


def _send(cluster_pk: int) -> None:
    with _lock:
        _trailing.discard(cluster_pk)
    _last_sent[cluster_pk] = time.monotonic()
    # `at`: when the change was known (wall time), so every page's socket can share one read
    # of the cluster made after it (web/feed.py).
    publish(group_name(cluster_pk), {"type": "cluster.changed", "at": time.time()})


def publish(group: str, message: dict) -> None:
    """Send `message` to a group of sockets, from any thread; on the serving loop when it runs elsewhere."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _serving_loop
    try:
        if loop is not None and loop.is_running() and not _runs_on(loop):
            sent = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
            sent.add_done_callback(functools.partial(_log_failure, group))
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # noqa: BLE001 - a lost notification only delays the page until the next one
        log.warning("could not notify %s", group, exc_info=True)


def _log_failure(group: str, sent: Future[None]) -> None:
    if not sent.cancelled() and sent.exception() is not None:
        log.warning("could not notify %s", group, exc_info=sent.exception())


def _runs_on(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
