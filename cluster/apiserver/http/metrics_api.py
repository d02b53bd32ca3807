"""The resource metrics API, metrics.k8s.io/v1beta1, as metrics-server serves it behind kube-apiserver.

On a real cluster metrics-server registers an APIService for metrics.k8s.io/v1beta1
and kube-apiserver's aggregator proxies `/apis/metrics.k8s.io/...` to it; the
group shows up in discovery (`/apis`, aggregated or not) next to the built-in
ones. Two read-only resources (metrics-server's pkg/api/node.go, pod.go, table.go;
the types in k8s.io/metrics/pkg/apis/metrics/v1beta1):

- `nodes` (NodeMetrics, cluster-scoped): get and list, labelSelector and
  fieldSelector honoured, sorted by name;
- `pods` (PodMetrics, namespaced; listed in one namespace or all): get and list,
  sorted by namespace and name; only running pods with a sample appear.

Each object carries metadata (name, namespace, labels and a creationTimestamp of
the moment it was made), `timestamp` and `window` of the sample, and `usage`
(per container for pods) as metrics-server formats it: CPU a DecimalSI quantity
scaled from nanocores, memory a BinarySI quantity in bytes, both in Quantity's
canonical form (`250m`, `1`, `4Mi`). A pod without a sample is
`podmetrics.metrics.k8s.io "ns/name" not found`; an unreachable node's metrics
`nodemetrics.metrics.k8s.io "name" not found`; a missing pod or node is the
lister's NotFound. `kubectl get` gets metrics-server's Table (Name, cpu, memory,
Window).

The samples are cluster/metrics.py's (`pod_metrics`, `node_metrics`), the code
the page's `kubectl top` prints from, read through the API server.

Simplified: served by kube-apiserver itself (no APIService object, no proxying);
the sample is taken when it is read, with a window of one metric resolution; no
watch (metrics-server 0.7 has none either: 405), no swap usage.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse

from cluster import clock, quantity
from cluster.apiserver.errors import StatusError
from cluster.apiserver.http import codec, options
from cluster.apiserver.field_selectors import FieldSelector, parse_field_selector
from cluster.apiserver.server import APIServer
from cluster.metrics import (
    METRIC_RESOLUTION,
    METRICS_GROUP,
    METRICS_RESOURCES,
    METRICS_VERSION,
    PodMetrics,
    Usage,
    node_metrics,
    pod_metrics,
)

GROUP, VERSION = METRICS_GROUP, METRICS_VERSION
GROUP_VERSION = f"{GROUP}/{VERSION}"
FIELD_LABELS = ("metadata.name", "metadata.namespace")  # generic.AddObjectMetaFieldsSet
DECIMAL_SUFFIXES = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
BINARY_SUFFIXES = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
TRUE_VALUES = ("1", "true", "True")


# -- discovery ------------------------------------------------------------------------------
def api_group() -> dict:
    version = {"groupVersion": GROUP_VERSION, "version": VERSION}
    return {"name": GROUP, "versions": [version], "preferredVersion": version}


def with_group(group_list: dict) -> dict:
    """/apis (APIGroupList): the aggregated group after the built-in ones (its APIService's priority is lowest)."""
    return {**group_list, "groups": [*group_list["groups"], api_group()]}


def with_aggregated_group(discovery_list: dict) -> dict:
    """/apis as apidiscovery.k8s.io/v2: the aggregator merges metrics-server's group in."""
    resources = [
        {
            "resource": r.plural,
            "responseKind": {"group": GROUP, "version": VERSION, "kind": r.kind},
            "scope": "Namespaced" if r.namespaced else "Cluster",
            "singularResource": "",
            "verbs": list(r.verbs),
        }
        for r in METRICS_RESOURCES
    ]
    item = {
        "metadata": {"name": GROUP},
        "versions": [{"version": VERSION, "resources": resources, "freshness": "Current"}],
    }
    return {**discovery_list, "items": [*discovery_list["items"], item]}


def resource_list() -> dict:
    """/apis/metrics.k8s.io/v1beta1: metrics-server's APIResourceList (no singular names, get and list only)."""
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": GROUP_VERSION,
        "resources": [
            {"name": r.plural, "singularName": "", "namespaced": r.namespaced, "kind": r.kind, "verbs": list(r.verbs)}
            for r in METRICS_RESOURCES
        ],
    }


# -- quantities as metrics-server formats them ------------------------------------------------
def format_nanocores(nanocores: int) -> str:
    """uint64Quantity(cpu, DecimalSI, -9).String(): trailing zeros dropped, exponent a multiple of 3."""
    if nanocores == 0:
        return "0"
    amount, exponent = nanocores, -9
    while amount % 10 == 0 and exponent < 18:
        amount //= 10
        exponent += 1
    while exponent % 3:
        amount *= 10
        exponent -= 1
    return f"{amount}{DECIMAL_SUFFIXES[exponent]}"


def format_bytes(value: int) -> str:
    """uint64Quantity(bytes, BinarySI, 0).String(): the largest power of 1024 that divides it exactly."""
    if -1024 < value < 1024:
        return str(value)
    power = 0
    while value % 1024 == 0 and power < len(BINARY_SUFFIXES) - 1:
        value //= 1024
        power += 1
    return f"{value}{BINARY_SUFFIXES[power]}"


def usage_of(usage: Usage) -> dict[str, str]:
    return {"cpu": format_nanocores(usage.cpu * 1_000_000), "memory": format_bytes(usage.memory)}


def go_duration(delta: dt.timedelta) -> str:
    """metav1.Duration's wire form (Go's Duration.String) for whole seconds: `15s`, `1m0s`."""
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


# -- the objects ------------------------------------------------------------------------------
def _metadata(obj: dict, now: str) -> dict:
    meta = obj["metadata"]
    found = {"name": meta["name"]}
    if meta.get("namespace"):
        found["namespace"] = meta["namespace"]
    found["creationTimestamp"] = now
    if meta.get("labels"):
        found["labels"] = dict(meta["labels"])
    return found


def node_metrics_object(node: dict, usage: Usage, now: dt.datetime) -> dict:
    stamp = clock.rfc3339(now)
    return {
        "metadata": _metadata(node, stamp),
        "timestamp": stamp,
        "window": go_duration(METRIC_RESOLUTION),
        "usage": usage_of(usage),
    }


def pod_metrics_object(pod: dict, metrics: PodMetrics, now: dt.datetime) -> dict:
    stamp = clock.rfc3339(now)
    return {
        "metadata": _metadata(pod, stamp),
        "timestamp": stamp,
        "window": go_duration(METRIC_RESOLUTION),
        "containers": [{"name": name, "usage": usage_of(usage)} for name, usage in metrics.containers],
    }


def _typed(obj: dict, kind: str) -> dict:
    return {"kind": kind, "apiVersion": GROUP_VERSION, **obj}


def _list(kind: str, items: list[dict]) -> dict:
    return {"kind": f"{kind}List", "apiVersion": GROUP_VERSION, "metadata": {}, "items": items}


# -- reading the samples through the API server ---------------------------------------------------
def _field_selector(text: str | None) -> FieldSelector | None:
    """ObjectMeta's fields only, as metrics-server filters its listers' objects."""
    selector = parse_field_selector(text)
    for field, _op, _value in selector.terms if selector else ():
        if field not in FIELD_LABELS:
            raise StatusError.bad_request(
                f'"{field}" is not a known field selector: only "metadata.name", "metadata.namespace"'
            )
    return selector


def list_nodes(api: APIServer, label_selector: str | None, field_selector: str | None) -> list[dict]:
    fields = _field_selector(field_selector)
    nodes = [
        n
        for n in api.list("nodes", None, label_selector=label_selector)["items"]
        if fields is None or fields.matches(n)
    ]
    usage = node_metrics(api, nodes)
    now = api.now()
    return [
        node_metrics_object(n, usage[n["metadata"]["name"]], now)
        for n in sorted(nodes, key=lambda n: n["metadata"]["name"])
        if n["metadata"]["name"] in usage
    ]


def get_node(api: APIServer, name: str) -> dict:
    try:
        node = api.get("nodes", "", name)
    except StatusError as err:
        if err.code == 404:  # the node lister's NotFound, returned directly
            raise StatusError.not_found("node", name) from None
        raise
    usage = node_metrics(api, [node])
    if name not in usage:
        raise StatusError.not_found(f"nodemetrics.{GROUP}", name)
    return node_metrics_object(node, usage[name], api.now())


def list_pods(
    api: APIServer, namespace: str | None, label_selector: str | None, field_selector: str | None
) -> list[dict]:
    fields = _field_selector(field_selector)
    pods = [
        p
        for p in api.list("pods", namespace, label_selector=label_selector)["items"]
        if fields is None or fields.matches(p)
    ]
    by_key = {(p["metadata"].get("namespace", ""), p["metadata"]["name"]): p for p in pods}
    now = api.now()
    return [pod_metrics_object(by_key[(m.namespace, m.name)], m, now) for m in pod_metrics(api, pods)]


def get_pod(api: APIServer, namespace: str, name: str) -> dict:
    pod = api.get("pods", namespace, name)  # the pod lister's NotFound, returned directly
    found = pod_metrics(api, [pod])
    if not found:
        raise StatusError.not_found(f"podmetrics.{GROUP}", f"{namespace}/{name}")
    return pod_metrics_object(pod, found[0], api.now())


# -- metrics-server's Table (pkg/api/table.go) ----------------------------------------------------
def _table(items: list[dict], include_object: str) -> dict:
    columns = [
        {"name": "Name", "type": "string", "format": "name", "description": "Name of the resource", "priority": 0}
    ]
    columns += [
        {"name": name, "type": "string", "format": "quantity", "description": "", "priority": 0}
        for name in ("cpu", "memory")
    ]
    columns.append({"name": "Window", "type": "string", "format": "duration", "description": "", "priority": 0})
    rows = []
    for obj in items:
        usage = obj.get("usage") or _summed(obj.get("containers") or [])
        row_object = (
            None
            if include_object == "None"
            else obj
            if include_object == "Object"
            else {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
        )
        rows.append(
            {
                "cells": [obj["metadata"]["name"], usage.get("cpu", "0"), usage.get("memory", "0"), obj["window"]],
                "object": row_object,
            }
        )
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "columnDefinitions": columns, "rows": rows}


def _summed(containers: list[dict]) -> dict[str, str]:
    """A pod's usage for its Table row: its containers' usage added up."""
    cpu = sum(quantity.parse(c["usage"]["cpu"]) for c in containers) * 10**9
    memory = sum(quantity.units(c["usage"]["memory"]) for c in containers)
    return {"cpu": format_nanocores(int(cpu)), "memory": format_bytes(memory)}


# -- the HTTP routes ----------------------------------------------------------------------------
def owns(parts: list[str]) -> bool:
    """Whether the path is under /apis/metrics.k8s.io, which this module answers alone."""
    return len(parts) >= 2 and parts[0] == "apis" and parts[1] == GROUP


def serve(request: HttpRequest, api: APIServer, parts: list[str]) -> HttpResponse:
    """/apis/metrics.k8s.io[/v1beta1[/...]]: discovery, then get and list of nodes and pods."""
    if request.method not in ("GET", "HEAD"):
        raise StatusError.method_not_allowed()  # read-only: no route for any other method
    rest = parts[2:]
    if not rest:
        return codec.json_response({"kind": "APIGroup", "apiVersion": "v1", **api_group()})
    if rest[0] != VERSION:
        raise StatusError.not_found_resource(GROUP, rest[0], "")
    rest = rest[1:]
    if not rest:
        return codec.json_response(resource_list())
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    if rest[0] not in ("nodes", "pods") or len(rest) > 2 or (namespace is not None and rest[0] == "nodes"):
        raise StatusError.not_found_resource(GROUP, VERSION, rest[0])
    plural, name = rest[0], (rest[1] if len(rest) == 2 else "")
    if name and plural == "pods" and namespace is None:
        raise StatusError.not_found_resource(GROUP, VERSION, plural)
    return _respond(request, api, plural, namespace, name)


def _respond(request: HttpRequest, api: APIServer, plural: str, namespace: str | None, name: str) -> HttpResponse:
    kind = "NodeMetrics" if plural == "nodes" else "PodMetrics"
    if request.GET.get("watch", "") in TRUE_VALUES:
        raise StatusError.method_not_supported(f"{plural}.{GROUP}", "watch")
    if name:
        obj = get_node(api, name) if plural == "nodes" else get_pod(api, namespace or "", name)
        items, body = [obj], _typed(obj, kind)
    else:
        labels, fields = options.selectors(request)
        items = list_nodes(api, labels, fields) if plural == "nodes" else list_pods(api, namespace, labels, fields)
        body = _list(kind, items)
    if codec.wants_table(request):
        return codec.json_response(_table(items, options.include_object(request)))
    return codec.json_response(body)
