"""What a pod's status says about it, asked the one way (pkg/api/v1/pod/util.go, podutil).

Upstream keeps these questions in one package that controllers, kubelet,
kube-proxy and kubectl all import: is the pod Ready, since when, has it been
Ready long enough to count as available (minReadySeconds), has it finished.
Every component here asks through this module, so that "ready" means one
thing across the Deployment's availableReplicas, an Endpoints address, a
PodDisruptionBudget's healthy count and the lesson checks.
"""

from __future__ import annotations

import datetime as dt

from cluster import clock

TERMINAL_PHASES = ("Succeeded", "Failed")


def ready_condition(pod: dict) -> dict | None:
    """GetPodReadyCondition: the pod's Ready condition, if it has one."""
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond
    return None


def is_ready(pod: dict) -> bool:
    """IsPodReady: the Ready condition is True."""
    cond = ready_condition(pod)
    return cond is not None and cond.get("status") == "True"


def ready_since(pod: dict) -> dt.datetime | None:
    """When a ready pod last became Ready (its condition's lastTransitionTime); None when not ready."""
    cond = ready_condition(pod)
    if cond is None or cond.get("status") != "True":
        return None
    text = cond.get("lastTransitionTime")
    return clock.parse_rfc3339(text) if text else None


def available_since(since: dt.datetime | None, min_ready_seconds: int, now: dt.datetime) -> bool:
    """IsPodAvailable's clock test on a ready pod: Ready for longer than minReadySeconds by `now`."""
    return since is not None and since + dt.timedelta(seconds=min_ready_seconds) < now


def is_available(pod: dict, min_ready_seconds: int, now: dt.datetime) -> bool:
    """IsPodAvailable: ready, and ready for longer than minReadySeconds."""
    if not is_ready(pod):
        return False
    return min_ready_seconds == 0 or available_since(ready_since(pod), min_ready_seconds, now)


def is_terminal(pod: dict) -> bool:
    """IsPodTerminal: the pod's phase is Succeeded or Failed; its containers will not run again."""
    return (pod.get("status") or {}).get("phase") in TERMINAL_PHASES


def is_terminating(pod: dict) -> bool:
    """The pod has a deletionTimestamp: it is on its way out."""
    return bool(pod.get("metadata", {}).get("deletionTimestamp"))


def is_active(pod: dict) -> bool:
    """controller.IsPodActive: not finished and not on its way out."""
    return not is_terminal(pod) and not is_terminating(pod)
