"""Tell the dashboards that a cluster changed, once its transaction has committed.

Goes through the Channels layer (in-memory in one process, Redis across
several workers), so a websocket served by any worker hears of a step
recorded by the process that drives the cluster. Notifications are coalesced:
at most one per cluster per commit and per 50 ms.
"""
from __future__ import annotations

import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)
_pending: set[int] = set()
_last_sent: dict[int, float] = {}
# A burst of writes (a rollout, a benchmark) sends at most one message per interval;
# the dashboards' own short poll picks up the tail of a burst.
MIN_INTERVAL_SECONDS = 0.05


def group_name(cluster_pk: int) -> str:
    return f"kubeclass.cluster.{cluster_pk}"


def cluster_changed(cluster_pk: int) -> None:
    """Schedule one `cluster.changed` message for after the current transaction commits."""
    if cluster_pk in _pending or time.monotonic() - _last_sent.get(cluster_pk, 0.0) < MIN_INTERVAL_SECONDS:
        return
    _pending.add(cluster_pk)
    transaction.on_commit(lambda: _send(cluster_pk))


def _send(cluster_pk: int) -> None:
    _pending.discard(cluster_pk)
    _last_sent[cluster_pk] = time.monotonic()
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(cluster_pk), {"type": "cluster.changed"})
    except Exception:  # noqa: BLE001 - a lost notification only delays the page's poll
        log.warning("could not notify dashboards of cluster %s", cluster_pk, exc_info=True)
