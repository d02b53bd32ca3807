"""Helpers the workload controllers share (upstream's pkg/controller/controller_utils.go,
k8s.io/kubectl's podutil and apimachinery's metav1 owner references).

Owner references, the pod-template-hash, the
orderings upstream sorts ReplicaSets by, and ActivePods: the ranking that picks
which pods a ReplicaSet deletes first when it scales down.

Simplified: the pod-template-hash is fnv32a over a canonical JSON encoding of
the template rather than over go-spew's dump of the Go struct (see
`compute_hash`), so the hash has upstream's shape and stability but not its
exact value. Pod readiness and availability are cluster/podutil.py's, re-exported here
under the names the controllers use.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import struct
from functools import cmp_to_key
from typing import Iterable

from cluster import clock, podutil
from cluster.apiserver.selectors import selector_from_label_selector
from cluster.jsoncopy import deep_copy

POD_TEMPLATE_HASH = "pod-template-hash"  # apps.DefaultDeploymentUniqueLabelKey
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_SAFE_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's rand.SafeEncodeString alphabet
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


# -- owner references ---------------------------------------------------------
def controller_of(obj: dict) -> dict | None:
    """metav1.GetControllerOf: the owner reference with controller: true."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def new_controller_ref(owner: dict) -> dict:
    """metav1.NewControllerRef: the reference a controller puts on what it creates or adopts."""
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def selector_matches(selector: dict | None, labels: dict | None) -> bool:
    """A metav1.LabelSelector against a label set; a nil selector matches nothing."""
    matcher = selector_from_label_selector(selector)
    return matcher is not None and matcher.matches(labels or {})


def is_being_deleted(obj: dict) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


# -- time -------------------------------------------------------------------
def parse_time(text: str | None) -> dt.datetime | None:
    return clock.parse_rfc3339(text) if text else None


# -- pods -------------------------------------------------------------------
# The pod questions live in cluster/podutil.py; these are the names the controllers import them by.
pod_ready_condition = podutil.ready_condition
is_pod_ready = podutil.is_ready
is_pod_available = podutil.is_available
is_pod_active = podutil.is_active


def _deletion_cost(pod: dict) -> int:
    text = (pod.get("metadata", {}).get("annotations") or {}).get(POD_DELETION_COST, "")
    try:
        value = int(text)
    except ValueError:
        return 0
    return value if -(2**31) <= value < 2**31 else 0


def _max_restarts(pod: dict) -> tuple[int, int]:
    """(regular, sidecar) highest container restart counts, as maxContainerRestarts."""
    status = pod.get("status") or {}
    regular = max([c.get("restartCount", 0) for c in status.get("containerStatuses") or []], default=0)
    sidecars = {
        c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or [] if c.get("restartPolicy") == "Always"
    }
    sidecar = max(
        [c.get("restartCount", 0) for c in status.get("initContainerStatuses") or [] if c.get("name") in sidecars],
        default=0,
    )
    return regular, sidecar


def _log_rank(moment: dt.datetime, now: dt.datetime) -> int:
    """The base-2 logarithm of the age in nanoseconds (LogarithmicScaleDown buckets)."""
    nanos = (now - moment) / dt.timedelta(microseconds=1) * 1000
    return int(math.log2(nanos)) if nanos > 0 else -1


def _after_or_zero(t1: dt.datetime | None, t2: dt.datetime | None) -> bool:
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def _pod_ready_time(pod: dict) -> dt.datetime | None:
    return podutil.ready_since(pod)


def _newer_first(t1: dt.datetime | None, t2: dt.datetime | None, uid1: str, uid2: str, now: dt.datetime) -> bool:
    """Whether t1 sorts before t2 when comparing ages in logarithmic buckets (then by UID)."""
    if t1 is None or t2 is None:
        return _after_or_zero(t1, t2)
    diff = _log_rank(t1, now) - _log_rank(t2, now)
    return uid1 < uid2 if diff == 0 else diff < 0


def pod_deletion_less(a: dict, rank_a: int, b: dict, rank_b: int, now: dt.datetime) -> bool:
    """ActivePodsWithRanks.Less: whether pod `a` should be deleted before pod `b`."""
    node_a, node_b = (a.get("spec") or {}).get("nodeName", ""), (b.get("spec") or {}).get("nodeName", "")
    if node_a != node_b and (not node_a or not node_b):
        return not node_a  # 1. unassigned < assigned
    phase_a = _PHASE_ORDINAL.get((a.get("status") or {}).get("phase", ""), 0)
    phase_b = _PHASE_ORDINAL.get((b.get("status") or {}).get("phase", ""), 0)
    if phase_a != phase_b:
        return phase_a < phase_b  # 2. Pending < Unknown < Running
    if is_pod_ready(a) != is_pod_ready(b):
        return not is_pod_ready(a)  # 3. not ready < ready
    cost_a, cost_b = _deletion_cost(a), _deletion_cost(b)
    if cost_a != cost_b:
        return cost_a < cost_b  # 4. lower pod-deletion-cost first
    if rank_a != rank_b:
        return rank_a > rank_b  # 5. doubled up on a node < not doubled up
    uid_a, uid_b = a["metadata"].get("uid", ""), b["metadata"].get("uid", "")
    if is_pod_ready(a) and is_pod_ready(b):
        ready_a, ready_b = _pod_ready_time(a), _pod_ready_time(b)
        if ready_a != ready_b:
            return _newer_first(ready_a, ready_b, uid_a, uid_b, now)  # 6. ready for less time first
    restarts_a, restarts_b = _max_restarts(a), _max_restarts(b)
    if restarts_a[0] != restarts_b[0]:
        return restarts_a[0] > restarts_b[0]  # 7. more restarts first
    if restarts_a[1] != restarts_b[1]:
        return restarts_a[1] > restarts_b[1]
    created_a = parse_time(a["metadata"].get("creationTimestamp"))
    created_b = parse_time(b["metadata"].get("creationTimestamp"))
    if created_a != created_b:
        return _newer_first(created_a, created_b, uid_a, uid_b, now)  # 8. newer first
    return False


def pods_to_delete(pods: list[dict], related: Iterable[dict], count: int, now: dt.datetime) -> list[dict]:
    """getPodsToDelete: the `count` pods a ReplicaSet removes first.

    Each pod's rank is how many related pods (of the same owner's ReplicaSets)
    share its node, so a scale-down spreads what remains across nodes.
    """
    if count >= len(pods):
        return list(pods)
    on_node: dict[str, int] = {}
    for pod in related:
        node = (pod.get("spec") or {}).get("nodeName", "")
        if is_pod_active(pod):
            on_node[node] = on_node.get(node, 0) + 1
    ranked = [(pod, on_node.get((pod.get("spec") or {}).get("nodeName", ""), 0)) for pod in pods]

    def compare(x: tuple[dict, int], y: tuple[dict, int]) -> int:
        return (
            -1
            if pod_deletion_less(x[0], x[1], y[0], y[1], now)
            else (1 if pod_deletion_less(y[0], y[1], x[0], x[1], now) else 0)
        )

    ranked.sort(key=cmp_to_key(compare))
    return [pod for pod, _ in ranked[:count]]


# -- replica set orderings ----------------------------------------------------
def by_creation(rs: dict) -> tuple[str, str]:
    """ReplicaSetsByCreationTimestamp: older first, then by name."""
    meta = rs["metadata"]
    return meta.get("creationTimestamp", ""), meta["name"]


def replicas_of(obj: dict | None) -> int:
    return 0 if obj is None else int((obj.get("spec") or {}).get("replicas", 1))


def sort_by_size_older(rss: list[dict]) -> list[dict]:
    """ReplicaSetsBySizeOlder: larger first, ties broken older first."""
    return sorted(sorted(rss, key=by_creation), key=lambda rs: -replicas_of(rs))


def sort_by_size_newer(rss: list[dict]) -> list[dict]:
    """ReplicaSetsBySizeNewer: larger first, ties broken newer first."""
    return sorted(sorted(rss, key=by_creation, reverse=True), key=lambda rs: -replicas_of(rs))


# -- pod-template-hash ----------------------------------------------------------
def _fnv32a(data: bytes, start: int = 0x811C9DC5) -> int:
    value = start
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def safe_encode_string(text: str) -> str:
    """rand.SafeEncodeString: map each byte onto an alphabet without vowels or look-alikes."""
    return "".join(_SAFE_ALPHANUMS[b % len(_SAFE_ALPHANUMS)] for b in text.encode())


def compute_hash(template: dict, collision_count: int | None = None) -> str:
    """controller.ComputeHash: fnv32a of the template (+ collisionCount), safe-encoded.

    Upstream hashes go-spew's dump of the Go PodTemplateSpec struct; kubeclass
    hashes the template's canonical JSON (sorted keys) instead. The result has
    upstream's alphabet and length, changes exactly when the template changes,
    and `collisionCount` perturbs it the same way (eight little-endian bytes).
    """
    value = _fnv32a(json.dumps(template, sort_keys=True, separators=(",", ":")).encode())
    if collision_count is not None:
        value = _fnv32a(struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\0" * 4, value)
    return safe_encode_string(str(value))


def normalized(value: object) -> object:
    """Drop empty maps, lists and nulls: apimachinery's semantic equality treats nil and empty alike."""
    if isinstance(value, dict):
        out = {k: normalized(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def without_hash(template: dict | None) -> object:
    copy = deep_copy(template or {})
    labels = (copy.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(POD_TEMPLATE_HASH, None)
    return normalized(copy)


def equal_ignore_hash(t1: dict | None, t2: dict | None) -> bool:
    """deploymentutil.EqualIgnoreHash: same template apart from the pod-template-hash label."""
    return without_hash(t1) == without_hash(t2)
