"""Fault injection: break a node, a pod or an image on purpose, to watch Kubernetes react.

Faults are annotations written through the API server like any other change,
so `kubectl annotate`, a PATCH from any client, the dashboard and
`kubectl fault …` (cluster/kubectl/fault.py) all work, and a fault survives a
restart:

- Node `kubeclass.io/fault`: `down` (the machine is off: the kubelet stops
  posting status and its containers die), `partition` (the kubelet cannot reach
  the API server; containers keep running), `memory-full` (a process outside
  Kubernetes takes the node's memory until 90Mi is left: the kubelet's eviction
  manager reports MemoryPressure and evicts pods until memory.available is back
  above its 100Mi threshold, see cluster/kubelet_eviction.py).
- Pod `kubeclass.io/crash: "<exit code>"`: every start of the pod's containers
  exits with that code a second later (CrashLoopBackOff under restartPolicy Always).
- Pod `kubeclass.io/fail-probes: readiness,liveness`: the named probes fail
  (only on containers that define them, as a probe that does not exist cannot fail).

An image missing from the registry is not cluster state but the registry's:
it is kept in the simulated registry (cluster/runtime.py).
"""

from __future__ import annotations

from cluster.apiserver.server import APIServer
from cluster.runtime import set_image_missing

FAULT_ANNOTATION = "kubeclass.io/fault"
CRASH_ANNOTATION = "kubeclass.io/crash"
FAIL_PROBES_ANNOTATION = "kubeclass.io/fail-probes"
DOWN, PARTITION, MEMORY_FULL = "down", "partition", "memory-full"
NODE_FAULTS = (DOWN, PARTITION, MEMORY_FULL)
PROBES = ("readiness", "liveness")


class FaultError(ValueError):
    """A fault request that makes no sense (unknown action, bad exit code)."""


def _annotations(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("annotations") or {}


def node_fault(node: dict) -> str:
    value = _annotations(node).get(FAULT_ANNOTATION, "")
    return value if value in NODE_FAULTS else ""


def kubelet_reachable(node: dict) -> bool:
    """Whether the node's kubelet runs and reaches the API server."""
    return node_fault(node) not in (DOWN, PARTITION)


def pod_faults(pod: dict) -> dict:
    annotations = _annotations(pod)
    found: dict = {
        "fail-probes": tuple(
            p.strip() for p in annotations.get(FAIL_PROBES_ANNOTATION, "").split(",") if p.strip() in PROBES
        )
    }
    crash = annotations.get(CRASH_ANNOTATION)
    if crash is not None:
        try:
            found["crash"] = int(crash)
        except ValueError:
            found["crash"] = 1
    return found


def _set(annotations: dict, key: str, value: str | None) -> None:
    if value is None:
        annotations.pop(key, None)
    else:
        annotations[key] = value


def set_node_fault(api: APIServer, name: str, action: str) -> str:
    """down | up | partition | heal | fill-memory; returns what the node's fault is now."""
    values = {"down": DOWN, "partition": PARTITION, "fill-memory": MEMORY_FULL, "up": None, "heal": None}
    if action not in values:
        raise FaultError(f'unknown node fault "{action}": use one of down, up, partition, heal, fill-memory')

    def mutate(node: dict) -> dict:
        _set(node["metadata"].setdefault("annotations", {}), FAULT_ANNOTATION, values[action])
        return node

    api.update_with("nodes", None, name, mutate)
    return values[action] or "healthy"


def set_pod_fault(api: APIServer, namespace: str, name: str, action: str, exit_code: int = 1, probe: str = "") -> None:
    """crash (with an exit code) | fail-probes readiness|liveness | heal."""
    if action == "fail-probes" and probe not in PROBES:
        raise FaultError('fail-probes needs "readiness" or "liveness"')
    if action == "crash" and not 0 <= exit_code <= 255:
        raise FaultError("--exit-code must be between 0 and 255")
    if action not in ("crash", "fail-probes", "heal"):
        raise FaultError(f'unknown pod fault "{action}": use one of crash, fail-probes, heal')

    def mutate(pod: dict) -> dict:
        annotations = pod["metadata"].setdefault("annotations", {})
        if action == "crash":
            annotations[CRASH_ANNOTATION] = str(exit_code)
        elif action == "fail-probes":
            probes = set(pod_faults(pod)["fail-probes"]) | {probe}
            annotations[FAIL_PROBES_ANNOTATION] = ",".join(p for p in PROBES if p in probes)
        else:
            _set(annotations, CRASH_ANNOTATION, None)
            _set(annotations, FAIL_PROBES_ANNOTATION, None)
        return pod

    api.update_with("pods", namespace, name, mutate)


def set_image_fault(api: APIServer, image: str, action: str) -> str:
    """missing | present: the registry answers "not found" for every tag of the repository, or stops."""
    if action not in ("missing", "present"):
        raise FaultError(f'unknown image fault "{action}": use missing or present')
    return set_image_missing(api.cluster, image, action == "missing")
