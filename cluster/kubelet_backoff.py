"""The kubelet's back-offs, and the durations its messages print.

- A container that exits is restarted at once the first time, then after 10 s, doubling per restart
  up to 5 minutes (backOffPeriod, MaxContainerBackOff); an image pull that failed is retried on the
  same scale (the image back-off): `backoff`.
- While a pod backs off, the pod worker syncs it again after backOffPeriod jittered by up to half
  (pod_workers.go completeWork, wait.Jitter(10s, 0.5)), recording BackOff each time: `backoff_resync`,
  seeded by the pod and the moment, so a run replays.
- The pod lifecycle event generator relists every second: the sync after one that saw a change.
- Messages print durations as Go's time.Duration.String() does (`go_duration`).

Simplified: the crash-loop delay follows the container's restart count, so it is never reset after
ten minutes of running as upstream's back-off entry is; a failed pull's count is kept per container in
the runtime's records.
"""

from __future__ import annotations

import datetime as dt
import random

BACKOFF_INITIAL = 10.0  # kubelet's backOffPeriod and image back-off initial duration
BACKOFF_MAX = 300.0  # MaxContainerBackOff / image back-off maximum
PLEG_RELIST_PERIOD = 1.0  # the pod lifecycle event generator's relist period


def backoff(failures: int) -> float:
    """Delay before retry after `failures` earlier tries: 0 the first time, then 10 s doubling to 5 min."""
    if failures <= 0:
        return 0.0
    return min(BACKOFF_INITIAL * 2 ** (failures - 1), BACKOFF_MAX)


def backoff_resync(uid: str, now: dt.datetime) -> dt.timedelta:
    """When the pod worker syncs a pod that is backing off again, recording BackOff each time: backOffPeriod
    jittered by up to half (pod_workers.go completeWork, wait.Jitter(10s, 0.5)), seeded by the pod and time."""
    return dt.timedelta(seconds=BACKOFF_INITIAL * (1 + 0.5 * random.Random(f"{uid}@{now.isoformat()}").random()))


def go_duration(seconds: float) -> str:
    """time.Duration.String() at millisecond precision (389ms, 2.513s, 10s, 1m20s, 5m0s)."""
    if seconds >= 60:
        minutes, rest = divmod(int(round(seconds)), 60)
        return f"{minutes}m{rest}s"
    if seconds < 1:
        return f"{seconds * 1000:.3f}".rstrip("0").rstrip(".") + "ms"
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"{text}s"
