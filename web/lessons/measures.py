"""What a prediction is graded against: a measurement of what the cluster then did.

A step with `predict:` asks a question before the learner acts ("which node
will the scheduler pick?", "how many pods exist at most during the rollout?").
The learner locks in an answer; the step's check passing ends the experiment,
and the measure — read through the API server, over etcd's history since the
answer was locked in where the question is about a span of time — says what
happened. The page then shows both side by side.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

from cluster import podutil
from cluster.apiserver.errors import StatusError
from cluster.apiserver.selectors import parse_label_selector
from cluster.apiserver.server import APIServer
from cluster.models import StepEvent

Measure = Callable[..., object]  # the answer (a name, a count, ...), shown as text; None: not shown yet
MEASURES: dict[str, Measure] = {}


@dataclass(frozen=True)
class Spec:
    name: str
    args: dict = field(default_factory=dict)


def measure(fn: Measure) -> Measure:
    MEASURES[fn.__name__] = fn
    return fn


def parse(raw: object, where: str) -> Spec:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError(f"{where}: a measure is one mapping entry, got {raw!r}")
    [(name, args)] = raw.items()
    if name not in MEASURES:
        raise ValueError(f"{where}: unknown measure {name!r}")
    args = dict(args or {})
    try:
        inspect.signature(MEASURES[name]).bind(None, 0, **args)
    except TypeError as err:
        raise ValueError(f"{where}: measure {name}: {err}") from None
    return Spec(name, args)


def take(api: APIServer, spec: Spec, since_revision: int) -> str | None:
    """The measured answer as text, or None when the cluster has not shown it yet."""
    value = MEASURES[spec.name](api, since_revision, **spec.args)
    return None if value is None else str(value)


@measure
def scheduled_node(api: APIServer, since_revision: int, selector: str = "", namespace: str = "default") -> str | None:
    """The node the scheduler bound the newest matching pod to."""
    pods = [
        p
        for p in api.list("pods", namespace, label_selector=selector or None)["items"]
        if (p.get("spec") or {}).get("nodeName")
    ]
    if not pods:
        return None
    newest = max(pods, key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]))
    return newest["spec"]["nodeName"]


@measure
def max_pods(api: APIServer, since_revision: int, selector: str = "", namespace: str = "default") -> int:
    """The most matching pods (not terminating) that existed at once since the answer, from etcd's history."""
    labels = parse_label_selector(selector or None)
    live: dict[str, bool] = {}
    for pod in api.list_at("pods", since_revision):
        live[_key(pod)] = _counts(pod, labels, namespace)
    most = sum(live.values())
    events, _resume = api.watch_batch("pods", namespace, since_revision, limit=100_000)
    for event in events:
        key = _key(event.object)
        live[key] = event.type != "DELETED" and _counts(event.object, labels, namespace)
        most = max(most, sum(live.values()))
    return most


@measure
def max_replicas(api: APIServer, since_revision: int, selector: str = "", namespace: str = "default") -> int:
    """The most pods the matching ReplicaSets asked for at once (the sum of their spec.replicas) since the answer.

    This is what a Deployment's maxSurge bounds: the controller counts ReplicaSets' replicas, and the
    pods themselves follow a moment later."""
    labels = parse_label_selector(selector or None)
    wanted: dict[str, int] = {}
    for rs in api.list_at("replicasets", since_revision):
        wanted[_key(rs)] = _replicas(rs, labels, namespace)
    most = sum(wanted.values())
    events, _resume = api.watch_batch("replicasets", namespace, since_revision, limit=100_000)
    for event in events:
        wanted[_key(event.object)] = 0 if event.type == "DELETED" else _replicas(event.object, labels, namespace)
        most = max(most, sum(wanted.values()))
    return most


def _replicas(rs: dict, labels: object, namespace: str) -> int:
    return int((rs.get("spec") or {}).get("replicas") or 0) if _counts(rs, labels, namespace) else 0


@measure
def min_ready_pods(api: APIServer, since_revision: int, selector: str = "", namespace: str = "default") -> int:
    """The fewest matching ready pods at any moment since the answer (what a rollout kept serving)."""
    labels = parse_label_selector(selector or None)
    ready: dict[str, bool] = {}
    for pod in api.list_at("pods", since_revision):
        ready[_key(pod)] = _counts(pod, labels, namespace) and podutil.is_ready(pod)
    fewest = sum(ready.values())
    events, _resume = api.watch_batch("pods", namespace, since_revision, limit=100_000)
    for event in events:
        ready[_key(event.object)] = (
            event.type != "DELETED" and _counts(event.object, labels, namespace) and podutil.is_ready(event.object)
        )
        fewest = min(fewest, sum(ready.values()))
    return fewest


@measure
def preempted_app(api: APIServer, since_revision: int, namespace: str = "default") -> str | None:
    """Whose pods the scheduler preempted since the answer: their Deployments (named in each pod's name), or
    None while it preempted none."""
    victims = {
        e["involvedObject"]["name"]
        for e in api.list("events", namespace)["items"]
        if e.get("reason") == "Preempted" and int(e["metadata"].get("resourceVersion") or 0) > since_revision
    }
    # a Deployment's pod is named <deployment>-<pod-template-hash>-<suffix>
    return ", ".join(sorted({name.rsplit("-", 2)[0] for name in victims})) or None


@measure
def pod_count(api: APIServer, since_revision: int, selector: str = "", namespace: str = "default") -> int:
    return len(
        [
            p
            for p in api.list("pods", namespace, label_selector=selector or None)["items"]
            if not p["metadata"].get("deletionTimestamp")
        ]
    )


@measure
def etcd_writers(api: APIServer, since_revision: int) -> str | None:
    """Which components wrote to etcd since the answer (every write is one step event)."""
    sources = sorted(
        set(
            StepEvent.objects.filter(cluster=api.cluster, target="etcd", revision__gt=since_revision).values_list(
                "source", flat=True
            )
        )
    )
    return " + ".join(sources) if sources else None


@measure
def field_value(
    api: APIServer, since_revision: int, resource: str, name: str, path: str, namespace: str = "default"
) -> str | None:
    from web.lessons.checks import value_at

    value = value_at(api.get(resource, namespace, name), path)
    return None if value is None else str(value)


@measure
def listed_pods(
    api: APIServer, since_revision: int, selector: str = "", namespace: str = "default", node: str = ""
) -> int:
    """How many matching pods `kubectl get pods` lists now, Terminating ones included (only those on `node` if given).

    A pod evicted from a node whose kubelet is gone stays listed, Terminating, until that kubelet
    (or an administrator) confirms its end."""
    return len(
        [
            p
            for p in api.list("pods", namespace, label_selector=selector or None)["items"]
            if not node or (p.get("spec") or {}).get("nodeName") == node
        ]
    )


@measure
def unchanged(
    api: APIServer, since_revision: int, resource: str, name: str, path: str, namespace: str = "default"
) -> str | None:
    """Whether the object's field at `path` kept the value it had when the answer was locked in.

    "same" or "changed"; "gone" when the object was deleted since, None when it did not exist then."""
    from web.lessons.checks import value_at

    before = next(
        (
            o
            for o in api.list_at(resource, since_revision)
            if o["metadata"]["name"] == name and o["metadata"].get("namespace", namespace) == namespace
        ),
        None,
    )
    if before is None:
        return None
    try:
        now = api.get(resource, namespace, name)
    except StatusError as err:
        if err.code == 404:
            return "gone"
        raise
    return "same" if value_at(before, path) == value_at(now, path) else "changed"


@measure
def files_kept(
    api: APIServer, since_revision: int, pod: str, container: str, paths: list[str], namespace: str = "default"
) -> str | None:
    """Which of `paths` the container has, once it has restarted and runs again: one path, "both" or "none".

    None until then: the question is what a container restart leaves behind (the lesson kills PID 1)."""
    from cluster.kubectl.exec import ExecError, prepare_exec

    try:
        obj = api.get("pods", namespace, pod)
    except StatusError as err:
        if err.code == 404:
            return None
        raise
    statuses = (obj.get("status") or {}).get("containerStatuses") or []
    status: dict = next((s for s in statuses if s["name"] == container), {})
    if not status.get("restartCount") or "running" not in (status.get("state") or {}):
        return None
    try:
        files = prepare_exec(api, obj, container, ["ls"]).host.fs
    except ExecError:
        return None
    kept = [path for path in paths if files.is_file(path)]
    return "both" if len(kept) == len(paths) > 1 else kept[0] if len(kept) == 1 else "none"


@measure
def load_balancer(api: APIServer, since_revision: int, name: str, namespace: str = "default") -> str | None:
    """For a LoadBalancer Service: "pending" while nothing has given it an address (EXTERNAL-IP `<pending>`
    in `kubectl get service`), "assigned" once status.loadBalancer.ingress has one; None for other types."""
    service = api.get("services", namespace, name)
    if (service.get("spec") or {}).get("type") != "LoadBalancer":
        return None
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return "assigned" if ingress else "pending"


def _key(pod: dict) -> str:
    return f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}"


def _counts(pod: dict, labels: object, namespace: str) -> bool:
    meta = pod["metadata"]
    if meta.get("namespace") != namespace or meta.get("deletionTimestamp"):
        return False
    return labels is None or labels.matches(meta.get("labels"))  # type: ignore[attr-defined]
