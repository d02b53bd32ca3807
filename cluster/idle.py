"""Clusters nobody uses cost nothing: they sleep, and after long enough they are deleted.

A cluster is active while someone calls its API, opens its page or keeps its
page open (`touch`). After KUBECLASS_IDLE_MINUTES without that it sleeps: its
virtual clock stops (so no heartbeat falls due and no node goes NotReady while
nobody looks), no process drives it, nothing is written. The next request or
page wakes it, and its clock goes on from where it stopped.

Sandboxes unused for KUBECLASS_SANDBOX_DAYS are deleted, with their history;
so are classes whose cluster nobody used for as long. The demo cluster and
clusters created from the command line (no owner) are never deleted.

Simplified: a real cluster has no such thing; its control plane runs whether or
not anyone watches. Sleeping is kubeclass's way of sharing one server among
many learners, and the page says when a cluster has been asleep.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.conf import settings
from django.db.models.functions import Coalesce

from cluster import clock
from cluster.models import Cluster

TOUCH_EVERY_SECONDS = 30.0  # a busy cluster's last_active is written at most this often (per process)
_touched: dict[tuple[int, str], float] = {}
_lock = threading.Lock()


def idle_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.KUBECLASS_IDLE_MINUTES)


def touch(cluster: Cluster) -> None:
    """Someone used the cluster: note it (at most every 30 s) and wake it if it sleeps."""
    now = time.monotonic()
    with _lock:
        key = (cluster.pk, cluster.token)  # the token: a database reusing ids is another cluster
        if now - _touched.get(key, -1e9) < TOUCH_EVERY_SECONDS and cluster.sleeping_since is None:
            return
        _touched[key] = now
    Cluster.objects.filter(pk=cluster.pk).update(last_active=clock.wall_now())
    if (
        cluster.sleeping_since is not None
        or Cluster.objects.filter(pk=cluster.pk, sleeping_since__isnull=False).exists()
    ):
        wake(cluster)


def wake(cluster: Cluster) -> None:
    cluster.refresh_from_db()
    if cluster.sleeping_since is None:
        return
    clock.set_speed(cluster, cluster.speed_before_sleep if cluster.speed_before_sleep is not None else 1.0)
    Cluster.objects.filter(pk=cluster.pk).update(sleeping_since=None, speed_before_sleep=None)
    cluster.sleeping_since = cluster.speed_before_sleep = None
    from cluster.reconciler import wakeup  # the reconciler picks the cluster up at once

    wakeup.wake()


def put_to_sleep(cluster: Cluster) -> None:
    cluster.refresh_from_db()
    if cluster.sleeping_since is not None:
        return
    speed = cluster.speed
    clock.set_speed(cluster, 0.0)
    Cluster.objects.filter(pk=cluster.pk).update(sleeping_since=clock.wall_now(), speed_before_sleep=speed)


def idle_clusters(now: dt.datetime | None = None) -> list[int]:
    """The awake clusters nobody has used for KUBECLASS_IDLE_MINUTES."""
    cutoff = (now or clock.wall_now()) - idle_after()
    return list(
        Cluster.objects.filter(sleeping_since__isnull=True)
        .annotate(seen=Coalesce("last_active", "created_at"))
        .filter(seen__lt=cutoff)
        .values_list("pk", flat=True)
    )


def expired(now: dt.datetime | None = None) -> list[Cluster]:
    """Sandboxes (and class clusters) nobody has used for KUBECLASS_SANDBOX_DAYS."""
    cutoff = (now or clock.wall_now()) - dt.timedelta(days=settings.KUBECLASS_SANDBOX_DAYS)
    return list(
        Cluster.objects.exclude(owner_session="")
        .annotate(seen=Coalesce("last_active", "created_at"))
        .filter(seen__lt=cutoff)
    )


def collect(now: dt.datetime | None = None) -> list[str]:
    """Delete the expired sandboxes; the names deleted."""
    names = []
    for cluster in expired(now):
        names.append(cluster.name)
        cluster.delete()
    return names
