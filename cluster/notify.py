"""Tell the dashboards that a cluster changed, once its transaction has committed.

Goes through the Channels layer (in-memory in one process, Redis across
several workers), so a websocket served by any worker hears of a step
recorded by the process that drives the cluster. Notifications are coalesced:
at most one per cluster per commit and per 50 ms; a change within the 50 ms
gets one trailing notification at its end, so the pages (which do not poll)
always hear of the last change of a burst.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

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
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        # `at`: when the change was known (wall time), so every page's socket can share one read
        # of the cluster made after it (web/feed.py).
        async_to_sync(layer.group_send)(group_name(cluster_pk), {"type": "cluster.changed", "at": time.time()})
    except Exception:  # noqa: BLE001 - a lost notification only delays the page's poll
        log.warning("could not notify dashboards of cluster %s", cluster_pk, exc_info=True)
