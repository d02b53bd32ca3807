"""The kubelet's init containers and sidecars (kuberuntime_container.go computeInitContainerActions), for one
pass of the pod worker (cluster/kubelet_pods.py's PodSync).

Init containers run one at a time, in order, each to completion before the next starts and before any
container starts. A restartable init container (`restartPolicy: Always`, a sidecar) starts in its turn, lets
the next one start once it has started, keeps running, and stops after the containers, the last sidecar first
(kuberuntime_termination_order.go).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cluster.clock import parse_rfc3339
from cluster.events import NORMAL
from cluster.kubelet_status import container_status, is_sidecar
from cluster.runtime import exits_at

if TYPE_CHECKING:
    from cluster.kubelet_pods import PodSync


def sync_init_containers(sync: PodSync, previous: dict[str, dict]) -> tuple[list[dict], bool, bool]:
    """(statuses, initialized, failed for good): run the init containers in order, each to its end
    (a sidecar: to its start) before the next; a pod whose containers started is initialized already."""
    if not sync.init_specs:
        return [], True, False
    started_before = any(sync.runtime.container(sync.uid, c["name"]) is not None for c in sync.main_specs)
    finishing = main_finished(sync)
    policy = "Never" if sync.pod["spec"].get("restartPolicy") == "Never" else "OnFailure"
    statuses: list[dict] = []
    blocked = failed = False
    for spec in sync.init_specs:
        name, before = spec["name"], previous.get(spec["name"])
        record_ = sync.runtime.container(sync.uid, name)
        if is_sidecar(spec):
            if blocked and record_ is None:
                statuses.append(sync.waiting_status(spec, before))
                continue
            if finishing and (record_ is None or record_["state"] != "running"):
                statuses.append(
                    container_status(spec, record_, ready=False) if record_ else sync.waiting_status(spec, before)
                )
                continue
            status = sync.sync_container(spec, before, policy="Always")
            blocked = blocked or not status.get("started")
            statuses.append(status)
            continue
        if record_ is not None and record_["state"] == "exited" and record_.get("exitCode") == 0:
            statuses.append(container_status(spec, record_, ready=True))
            continue
        if blocked or started_before:
            statuses.append(
                container_status(spec, record_, ready=False)
                if record_ is not None
                else sync.waiting_status(spec, before)
            )
            continue
        status = sync.sync_container(spec, before, policy=policy)
        record_ = sync.runtime.container(sync.uid, name)
        if record_ is not None and record_["state"] == "exited" and record_.get("exitCode") == 0:
            status = container_status(spec, record_, ready=True)
        else:
            blocked = True
            failed = failed or (policy == "Never" and record_ is not None and record_["state"] == "exited")
        statuses.append(status)
    return statuses, started_before or not blocked, failed


def main_finished(sync: PodSync) -> bool:
    """Every container has exited and none will be restarted: the pod is done (computePodActions' KillPod)."""
    for spec in sync.main_specs:
        record_ = sync.runtime.container(sync.uid, spec["name"])
        if record_ is None or record_["state"] != "exited" or sync.should_restart(record_):
            return False
    return True


def stop_sidecars(sync: PodSync, statuses: list[dict], deadline: dt.datetime | None = None) -> list[dict]:
    """Stop the running sidecars after the containers, the last one first, each once those after it
    have exited; all within the pod's grace period from when the containers finished."""
    sidecars = [c for c in sync.init_specs if is_sidecar(c)]
    if not sidecars:
        return statuses
    if deadline is None:
        grace = int(sync.pod["spec"].get("terminationGracePeriodSeconds", 30))
        ends = [
            parse_rfc3339(r["finishedAt"])
            for c in sync.main_specs
            if (r := sync.runtime.container(sync.uid, c["name"])) and r.get("finishedAt")
        ]
        deadline = (max(ends) if ends else sync.now) + dt.timedelta(seconds=grace)
    waiting_on_later = False
    for spec in reversed(sidecars):
        record_ = sync.runtime.container(sync.uid, spec["name"])
        if record_ is None or record_["state"] != "running":
            continue
        if waiting_on_later:
            continue
        if not record_.get("stopping"):
            sync.event(NORMAL, "Killing", f"Stopping container {spec['name']}", spec["name"])
            sync.stop(spec, record_, max(0, int((deadline - sync.now).total_seconds())), max(deadline, sync.now))
        sync.reap(record_, sync.now)
        if record_["state"] == "running":
            waiting_on_later = True
            sync.wake_at(exits_at(record_))
        else:
            sync.wake_at(sync.now)
    by_name = {c["name"]: c for c in sync.init_specs}
    return [
        container_status(by_name[s["name"]], record_, ready=False)
        if is_sidecar(by_name[s["name"]])
        and (record_ := sync.runtime.container(sync.uid, s["name"]))
        and record_["state"] == "exited"
        else s
        for s in statuses
    ]
