"""Hops: one step a request sets off, and how each kind of hop is built.

In Kubernetes these hops are real network calls — kubectl's HTTP request to
kube-apiserver, kube-apiserver's gRPC write to etcd, the watch stream to each
informer, the kubelet's CRI calls to containerd. kubeclass runs them in one
process, so each is written down as a `Hop`: who → whom, the verb, the object,
the etcd key and revision, a translatable explanation (a message id of
catalogue.py and its parameters) and the object's diff (diffs.py).

Simplified: the ends are component names (`kubelet/worker-1`,
`containerd/worker-1`), not addresses; a watch delivery is one hop per
informer and event rather than a long-lived stream; a connection through
kube-proxy's rules is one hop from the client to the pod (cluster/proxy.py
reports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cluster.steps.diffs import diff

APISERVER = "kube-apiserver"
ETCD = "etcd"
RUNTIME = "containerd"
HTTP_VERBS = {"create": "POST", "update": "PUT", "patch": "PATCH", "delete": "DELETE"}


@dataclass
class Hop:
    source: str
    target: str
    verb: str
    object: str
    message_id: str
    params: dict
    key: str = ""
    revision: int | None = None
    diff: list | None = field(default_factory=list)  # None: a create's or delete's, from etcd's history


def object_ref(resource: str, namespace: str, name: str, subresource: str = "") -> str:
    ref = f"{resource}/{namespace}/{name}" if namespace else f"{resource}/{name}"
    return f"{ref}/{subresource}" if subresource else ref


def request_hop(source: str, detail: dict) -> Hop:
    rt, verb, sub = detail["resource"], detail["verb"], detail["subresource"]
    ref = object_ref(rt.plural, detail["namespace"] if rt.namespaced else "", detail["name"], sub)
    if sub in ("binding", "ephemeralcontainers"):  # the sentence names the pod, not its subresource
        pod = object_ref(rt.plural, detail["namespace"], detail["name"])
        return Hop(source, APISERVER, HTTP_VERBS[verb], ref, f"request.{sub}", {"source": source, "object": pod})
    return Hop(source, APISERVER, HTTP_VERBS[verb], ref, f"request.{verb}", {"source": source, "object": ref})


def write_hop(detail: dict) -> Hop:
    rt, key, revision = detail["resource"], detail["key"], detail["revision"]
    deleting = detail["object"] is None
    obj = detail["old"] if deleting else detail["object"]
    meta = obj.get("metadata", {}) if obj else {}
    ref = object_ref(rt.plural, meta.get("namespace", ""), meta.get("name", ""))
    return Hop(
        APISERVER,
        ETCD,
        "DELETE" if deleting else "PUT",
        ref,
        "etcd.delete" if deleting else "etcd.put",
        {"key": key, "revision": revision},
        key=key,
        revision=revision,
        diff=_write_diff(detail["old"], detail["object"]),
    )


# A create's diff is the whole new object and a delete's the whole old one, and etcd's history holds either at
# the step's revision (a DELETE's row keeps the object as it was last): the row leaves such a diff out (None),
# and queries.py reads it back from there when a page shows the step. Creates are a fifth of a running
# cluster's steps but two thirds of their diffs' bytes (bench/reconcile.py, 30 x 300). False: every row
# carries its diff, the plain path, which tests/test_steps.py compares this one with.
WHOLE_DIFFS_FROM_HISTORY = True


def _write_diff(old: dict | None, new: dict | None) -> list | None:
    if (old is None) != (new is None) and WHOLE_DIFFS_FROM_HISTORY:
        return None  # a create or a delete: the whole object, read back from etcd's history
    return diff(old, new)


def watch_hop(target: str, resource: str, event_type: str, obj: dict, revision: int) -> Hop:
    meta = obj.get("metadata", {})
    ref = object_ref(resource, meta.get("namespace", ""), meta.get("name", ""))
    return Hop(
        APISERVER,
        target,
        event_type,
        ref,
        f"watch.{event_type}",
        {"target": target, "resource": resource, "object": ref},
        revision=revision,
    )


def traffic_hop(detail: dict) -> Hop:
    """One simulated connection through kube-proxy's rules (reported by cluster/proxy.py)."""
    params = {k: str(v) for k, v in detail.items() if v is not None}
    message_id = "proxy.traffic" if detail.get("endpoint") else "proxy.refused"
    return Hop(
        str(detail.get("client", "client")),
        f"pod/{detail.get('pod') or detail.get('endpoint')}",
        "CONNECT",
        f"services/{detail.get('service', '')}",
        message_id,
        params,
    )


def runtime_hop(node: str, call: str, ref: str, **params: object) -> Hop:
    return Hop(
        f"kubelet/{node}",
        f"{RUNTIME}/{node}",
        call,
        ref,
        f"cri.{call}",
        {"node": node, "object": ref, **{k: str(v) for k, v in params.items()}},
    )
