"""The kubelet's ephemeral containers (kuberuntime_manager.go SyncPod, step 5), for one pass of the pod worker
(cluster/kubelet_pods.py's PodSync).

An ephemeral container (what `kubectl debug` adds to a running pod) is started once the pod has its sandbox,
before the init containers are looked at, and is never restarted. Its status goes to
ephemeralContainerStatuses; it takes no part in the pod's phase or readiness, and stops with the pod.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cluster import kubelet_images, kubelet_start
from cluster.container.sources import ConfigError
from cluster.events import WARNING
from cluster.kubelet_status import container_status

if TYPE_CHECKING:
    from cluster.kubelet_pods import PodSync


def sync_container(sync: PodSync, container: dict, previous: dict | None) -> dict:
    """Start the ephemeral container once; afterwards only follow it: it is never restarted."""
    record_ = sync.runtime.container(sync.uid, container["name"])
    if record_ is None:
        waiting = kubelet_images.ensure_image(sync, container, None)
        if waiting is not None:
            return as_ephemeral(container_status(container, None, ready=False, waiting=waiting))
        try:
            argv, env = kubelet_start.create_config(sync, container)
        except ConfigError as err:
            sync.event(WARNING, "Failed", f"Error: {err}", container["name"])
            sync.wake_at(sync.now + dt.timedelta(seconds=kubelet_start.CONFIG_RETRY))
            waiting = {"reason": "CreateContainerConfigError", "message": str(err)}
            return as_ephemeral(container_status(container, None, ready=False, waiting=waiting))
        record_ = sync.start_container(container, None, previous, argv, env)
    elif record_["state"] == "running":
        sync.reap(record_, sync.now)
    if record_["state"] != "running":
        return as_ephemeral(container_status(container, record_, ready=False))
    sync.read_stdin(container, record_)
    return as_ephemeral(sync.running_status(container, record_))


def statuses(sync: PodSync) -> list[dict]:
    """The ephemeral containers as the runtime has them, for a pass that starts none (a pod terminating)."""
    found = []
    for spec in sync.ephemeral_specs:
        record_ = sync.runtime.container(sync.uid, spec["name"])
        waiting = None if record_ is not None else {"reason": sync.default_waiting}
        found.append(as_ephemeral(container_status(spec, record_, ready=False, waiting=waiting)))
    return found


def as_ephemeral(status: dict) -> dict:
    """An ephemeral container's status: never ready, and no `started` (the prober manager sets it only for
    the pod's containers and init containers)."""
    status.pop("started", None)
    status["ready"] = False
    return status
