"""The virtual clock of a cluster.

Kubernetes components read wall time; kubeclass gives each cluster its own
clock so a class can slow a rollout down, pause it, or jump ahead five minutes
to see a node's pods evicted. At speed 1 it runs with the wall clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import math

from cluster.models import Cluster

UTC = dt.timezone.utc


def wall_now() -> dt.datetime:
    return dt.datetime.now(UTC)


def now(cluster: Cluster) -> dt.datetime:
    if cluster.virtual_anchor is None or cluster.wall_anchor is None:
        return wall_now()
    if cluster.speed == 0:  # paused or fast-forwarding: the clock stands at its anchor (asked thousands of times)
        return cluster.virtual_anchor
    elapsed = (wall_now() - cluster.wall_anchor) * cluster.speed
    return cluster.virtual_anchor + elapsed


CLOCK_FIELDS = ["virtual_anchor", "wall_anchor", "speed"]


def reload(cluster: Cluster) -> None:
    """Read the clock again: a command that runs for a while (a watch) outlives anchors the reconciler moves
    (a fast-forward, a pause, a change of speed), and would print ages from a stale now."""
    cluster.refresh_from_db(fields=CLOCK_FIELDS)


_formatted: tuple[int | None, str] = (None, "")  # the last second formatted, replaced as one tuple (threads)


def rfc3339(moment: dt.datetime) -> str:
    """metav1.Time's wire format: seconds precision, Z suffix."""
    global _formatted
    # Every write stamps a time, and a fast-forward makes thousands of them within
    # one virtual second: format each second once.
    second = math.floor(moment.timestamp())
    last = _formatted
    if last[0] == second:
        return last[1]
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _formatted = (second, text)
    return text


@functools.lru_cache(maxsize=4096)
def parse_rfc3339(text: str) -> dt.datetime:
    # Cached: the same few timestamps are read again on every reconcile of every pod.
    return dt.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def set_speed(cluster: Cluster, speed: float) -> None:
    """Re-anchor so the virtual time is continuous across a speed change."""
    current = now(cluster)
    cluster.virtual_anchor, cluster.wall_anchor, cluster.speed = current, wall_now(), speed
    Cluster.objects.filter(pk=cluster.pk).update(
        virtual_anchor=cluster.virtual_anchor, wall_anchor=cluster.wall_anchor, speed=speed
    )


def advance(cluster: Cluster, seconds: float) -> dt.datetime:
    """Jump the virtual clock ahead (fast-forward)."""
    current = now(cluster) + dt.timedelta(seconds=seconds)
    cluster.virtual_anchor, cluster.wall_anchor = current, wall_now()
    Cluster.objects.filter(pk=cluster.pk).update(virtual_anchor=cluster.virtual_anchor, wall_anchor=cluster.wall_anchor)
    return current
