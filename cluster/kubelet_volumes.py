"""ConfigMap, Secret and downwardAPI volumes following their sources (pkg/kubelet/volumemanager).

Every syncPod calls the volume manager's WaitForAttachAndMount, which reprocesses the pod and
marks its mounted volumes remount-required (MarkRemountRequired) when their plugin says so —
configMap, secret, downwardAPI and projected do — and the volume manager's reconciler runs
MountVolume.SetUp again; AtomicWriter then writes the files only if they changed. A running pod
is synced at least every --sync-frequency (1 minute; the pod worker requeues it with
wait.Jitter(resyncInterval, 0.5), so 60 to 90 s), which is why "the total delay from the moment
when the ConfigMap is updated to the moment when new keys are projected to the Pod can be as long
as the kubelet sync period + cache propagation delay" (with the watch-based cache, about none).

Here: a pod with such a volume (other than the ServiceAccount's kube-api-access-xxxxx alone) wakes
every SYNC_FREQUENCY from the moment its volumes were first mounted — deterministically, without
the jitter — and that sync projects them again (refresh_volumes in cluster/container/projection.py),
writing a volume only when its files changed. Pods without one get no extra wakeups. The last check
of each pod is kept in memory only (a kubelet that restarts checks at its first sync), so a pod whose
volumes did not change costs no write. A remount that fails (the ConfigMap was deleted) leaves the
files as they were and is retried with the volume manager's exponential back-off, a FailedMount
event each time, as the reconciler does.

Simplified: upstream remounts at every sync of the pod (a probe result, a label change); here only
at the periodic one, so a change shows within SYNC_FREQUENCY, never later than upstream's worst case.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from cluster.container.projection import Projection, refresh_volumes, updatable
from cluster.events import WARNING

if TYPE_CHECKING:
    from cluster.kubelet_pods import PodSync

SYNC_FREQUENCY = 60.0  # KubeletConfiguration syncFrequency (--sync-frequency), 1m by default
MOUNT_BACKOFF_INITIAL, MOUNT_BACKOFF_MAX = 0.5, 122.0  # nestedpendingoperations' exponential back-off


def mounted(sync: PodSync, projection: Projection) -> dict:
    """What the kubelet keeps of a pod whose volumes were just mounted: when, and (for a pod with a volume that
    follows its sources) what they held."""
    if not projection.sums:
        return {"done": True}
    now = sync.now.timestamp()
    sync.kubelet.volume_checks[sync.uid] = now
    sync.wake_at(sync.now + dt.timedelta(seconds=SYNC_FREQUENCY))
    return {"done": True, "at": now, "sums": projection.sums, "immutable": projection.immutable}


def resync(sync: PodSync) -> None:
    """The remount of the periodic sync, once per SYNC_FREQUENCY (or the back-off's retry after a failure)."""
    state = (sync.runtime.data.get("mounts") or {}).get(sync.uid)
    if not state or not state.get("done") or not any(updatable(v) for v in sync.pod["spec"].get("volumes") or []):
        return
    now, start = sync.now.timestamp(), state.get("at", 0.0)
    tick = start + SYNC_FREQUENCY * math.floor((now - start) / SYNC_FREQUENCY)  # the latest periodic sync
    sync.wake_at(_moment(tick + SYNC_FREQUENCY))
    if state.get("retry_at"):
        if now < state["retry_at"]:
            sync.wake_at(_moment(state["retry_at"]))
            return
    elif sync.kubelet.volume_checks.get(sync.uid, -math.inf) >= tick:
        return
    sync.kubelet.volume_checks[sync.uid] = now
    known = Projection(dict(state.get("sums") or {}), dict(state.get("immutable") or {}))
    errors = refresh_volumes(sync.api, sync.pod, sync.node, known, subpath_mounts(sync), now)
    updated = {**state, "sums": known.sums, "immutable": known.immutable}
    updated.pop("failures", None)
    updated.pop("retry_at", None)
    if errors:
        failures = state.get("failures", 0)
        delay = min(MOUNT_BACKOFF_INITIAL * 2**failures, MOUNT_BACKOFF_MAX)
        updated.update(failures=failures + 1, retry_at=now + delay)
        for error in errors:
            sync.event(WARNING, "FailedMount", error)
        sync.wake_at(sync.now + dt.timedelta(seconds=delay))
    if updated != state:
        sync.runtime.data["mounts"][sync.uid] = updated
        sync.runtime.dirty = True


def subpath_mounts(sync: PodSync) -> dict[str, list[str]]:
    """Per volume, the running container instances (`uid/name/attempt`) that mount it with subPath."""
    found: dict[str, list[str]] = {}
    for spec in sync.all_specs():
        record = sync.runtime.container(sync.uid, spec["name"])
        if record is None or record["state"] != "running":
            continue
        for mount in spec.get("volumeMounts") or []:
            if mount.get("subPath"):
                found.setdefault(mount.get("name", ""), []).append(record["key"])
    return found


def _moment(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
