"""The end of a pod on its node: deletion with a grace period, a finished pod's leftovers, the eviction's kill.

- A pod with a deletionTimestamp (syncTerminatingPod, kuberuntime KillPod): its containers and
  running init containers get their stop signal at once (the preStop hook first), SIGKILL when the
  grace period ends; its sidecars stop after them, the last first. When everything has exited the
  sandbox is removed, the status written and the pod deleted with grace period 0 (`terminate`).
- A pod in a terminal phase keeps no process running: what still runs is stopped (`stop_remaining`).
- The eviction manager's killPodFunc stops every running container with its own grace (`kill_all`).

Simplified: the pod is deleted by the kubelet's own API client as soon as its containers have
exited (no status manager's separate pass).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cluster import kubelet_init
from cluster.apiserver.errors import StatusError
from cluster.clock import parse_rfc3339
from cluster.component import DONE, Result
from cluster.events import NORMAL
from cluster.kubelet_status import container_status, is_sidecar
from cluster.runtime import exits_at

if TYPE_CHECKING:
    from cluster.kubelet_pods import PodSync


def terminate(sync: PodSync) -> Result:
    """The pod is being deleted: stop its containers (and running init containers) at once, its
    sidecars after them, the last first; delete it when everything has exited."""
    deadline = parse_rfc3339(sync.meta["deletionTimestamp"])
    grace = int(sync.meta.get("deletionGracePeriodSeconds", 0))
    sync.advance(sync.running_records(), sync.now.timestamp())
    for container in sync.all_specs():
        if is_sidecar(container):
            continue
        record_ = sync.runtime.container(sync.uid, container["name"])
        if record_ is not None and record_["state"] == "running":
            if not record_.get("stopping"):
                sync.event(NORMAL, "Killing", f"Stopping container {container['name']}", container["name"])
                sync.stop(container, record_, grace, max(deadline, sync.now))
            sync.reap(record_, sync.now)
            sync.wake_at(exits_at(record_) if record_["state"] == "running" else None)
    if not sync.due:
        kubelet_init.stop_sidecars(sync, [], max(deadline, sync.now))
    statuses, init_statuses = stopped_statuses(sync, sync.main_specs), stopped_statuses(sync, sync.init_specs)
    if sync.due:
        sync.write_status(sync.runtime.sandbox(sync.uid), statuses, init_statuses)
        return sync.result()
    return finish_termination(sync, statuses, init_statuses)


def stopped_statuses(sync: PodSync, specs: list[dict]) -> list[dict]:
    init = specs is not sync.main_specs
    previous = sync.previous_statuses("initContainerStatuses" if init else "containerStatuses")
    return [
        container_status(c, r, ready=_still_ready(c, r, previous.get(c["name"]), init))
        if (r := sync.runtime.container(sync.uid, c["name"]))
        else container_status(c, None, ready=False, waiting={"reason": sync.default_waiting})
        for c in specs
    ]


def _still_ready(spec: dict, record_: dict, previous: dict | None, init: bool) -> bool:
    """Readiness while the pod terminates: prober_manager.UpdatePodStatus does not look at the deletion, so a
    container that still runs keeps the readiness it had (always ready without a readiness probe) until it
    exits; the endpoints controllers take a terminating pod out of service (EndpointSlice `terminating`)."""
    if init and not is_sidecar(spec):
        return record_["state"] == "exited" and record_.get("exitCode") == 0
    return record_["state"] == "running" and bool(previous and previous.get("ready"))


def finish_termination(sync: PodSync, statuses: list[dict], init_statuses: list[dict] | None = None) -> Result:
    if sync.runtime.sandbox(sync.uid) is not None:
        sync.hop("StopPodSandbox")
        sync.runtime.remove_pod_sandbox(sync.uid)
    sync.kubelet.volume_checks.pop(sync.uid, None)
    sync.write_status(None, statuses, init_statuses)
    try:
        sync.api.delete(
            "pods", sync.meta["namespace"], sync.meta["name"], grace_period_seconds=0, preconditions={"uid": sync.uid}
        )
    except StatusError as err:
        if err.code not in (404, 409):
            raise
    return DONE


def stop_remaining(sync: PodSync) -> Result:
    """A pod in a terminal phase keeps no process running (syncTerminatingPod): stop what still runs."""
    running = {
        c["name"]: r
        for c in sync.all_specs()
        if (r := sync.runtime.container(sync.uid, c["name"])) is not None and r["state"] == "running"
    }
    if not running:
        sync.runtime.stop_pod_sandbox(sync.uid)  # killPod: with the containers gone, the sandbox is stopped
        return DONE
    sync.advance(running, sync.now.timestamp())
    grace = int(sync.pod["spec"].get("terminationGracePeriodSeconds", 30))
    for spec in sync.all_specs():
        record_ = running.get(spec["name"])
        if record_ is None or is_sidecar(spec):
            continue
        if not record_.get("stopping"):
            sync.event(NORMAL, "Killing", f"Stopping container {spec['name']}", spec["name"])
            sync.stop(spec, record_, grace)
        sync.reap(record_, sync.now)
        sync.wake_at(exits_at(record_) if record_["state"] == "running" else None)
    if not sync.due:
        kubelet_init.stop_sidecars(sync, [], sync.now + dt.timedelta(seconds=grace))
    if sync.due:
        return sync.result()
    sync.write_status(
        sync.runtime.sandbox(sync.uid), stopped_statuses(sync, sync.main_specs), stopped_statuses(sync, sync.init_specs)
    )
    sync.runtime.stop_pod_sandbox(sync.uid)
    return DONE


def kill_all(sync: PodSync, grace: int) -> None:
    """killPodFunc: stop every running container now with `grace` (the eviction manager's override)."""
    running = {
        c["name"]: r
        for c in sync.all_specs()
        if (r := sync.runtime.container(sync.uid, c["name"])) is not None and r["state"] == "running"
    }
    if not running:
        return
    sync.advance(running, sync.now.timestamp())
    for spec in sync.all_specs():
        record_ = running.get(spec["name"])
        if record_ is not None and record_["state"] == "running" and not record_.get("stopping"):
            sync.event(NORMAL, "Killing", f"Stopping container {spec['name']}", spec["name"])
            sync.stop(spec, record_, grace)
    sync.runtime.save()
