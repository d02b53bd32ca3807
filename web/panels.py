"""What the dashboard's panels show, read through the API server like any client.

Resource lists use the same Table printer as kubectl, so a panel shows the
columns a student sees in the terminal. Time travel reads the same lists as
they were at a past etcd revision.
"""

from __future__ import annotations

import json
from typing import Mapping

import yaml
from django.utils.translation import gettext as _

from cluster import proxy
from cluster.apiserver import printers
from cluster.apiserver.resources import ResourceType, lookup
from cluster.apiserver.server import APIServer
from cluster.scheduler import records as scheduler_records
from web import components, nodemap

# The fault buttons type the same `kubectl fault` commands a student can type.
NODE_FAULTS = ("down", "partition", "fill-memory", "up")
POD_FAULTS = ("crash", "fail-probes readiness", "fail-probes liveness", "heal")
MAX_TABLE_ROWS = 200  # beyond this a panel says how many more; the terminal lists them all

RESOURCE_PANELS = (
    "nodes",
    "pods",
    "deployments",
    "replicasets",
    "services",
    "endpoints",
    "persistentvolumeclaims",
    "horizontalpodautoscalers",
    "events",
)


def _objects(api: APIServer, rt: ResourceType, revision: int | None) -> list[dict]:
    if revision is None:
        return api.list(rt)["items"] if not rt.namespaced else _all_namespaces(api, rt)
    return api.list_at(rt, revision)


def _all_namespaces(api: APIServer, rt: ResourceType) -> list[dict]:
    return api.list(rt, None)["items"]


def resource_table(api: APIServer, plural: str, revision: int | None = None) -> dict:
    rt = lookup(plural)
    items = _objects(api, rt, revision)
    table = printers.table(rt, items, api.now())
    columns = [c["name"] for c in table["columnDefinitions"] if c.get("priority", 0) == 0]
    keep = [i for i, c in enumerate(table["columnDefinitions"]) if c.get("priority", 0) == 0]
    rows = []
    for item, row in zip(items, table["rows"]):
        meta = item["metadata"]
        rows.append(
            {"namespace": meta.get("namespace", ""), "name": meta["name"], "cells": [row["cells"][i] for i in keep]}
        )
    return {
        "plural": rt.plural,
        "kind": rt.kind,
        "namespaced": rt.namespaced,
        "columns": columns,
        "rows": rows[:MAX_TABLE_ROWS],
        "more": max(0, len(rows) - MAX_TABLE_ROWS),
    }


SPEEDS = ("0.25", "0.5", "1", "2", "4", "8", "16")


def panel_tabs() -> list[dict]:
    labels = {
        "nodes": _("nodes"),
        "pods": _("pods"),
        "deployments": _("deployments"),
        "replicasets": _("replicasets"),
        "services": _("services"),
        "endpoints": _("endpoints"),
        "persistentvolumeclaims": _("volume claims"),
        "horizontalpodautoscalers": _("autoscalers"),
        "events": _("events"),
        "etcd": "etcd",
        "scheduler": _("scheduler"),
        "traffic": _("service traffic"),
    }
    order = (
        "pods",
        "deployments",
        "replicasets",
        "services",
        "endpoints",
        "nodes",
        "persistentvolumeclaims",
        "horizontalpodautoscalers",
        "events",
        "etcd",
        "scheduler",
        "traffic",
    )
    return [{"name": name, "label": labels[name]} for name in order]


def dashboard_context(api: APIServer, api_url: str, ca_file: str, role: str) -> dict:
    from web.live import controls_state

    cluster = api.cluster
    server = api_url.rstrip("/")  # the API's root: the token chooses the cluster, as on a real apiserver
    controls = controls_state(cluster)
    controls["speed_text"] = f"{controls['speed']:g}"
    return {
        "cluster": cluster,
        "role": role,
        "revision": api.current_revision(),
        "oldest_revision": cluster.compact_revision + 1,
        "map": nodemap.build(api, None),
        "panel_tabs": panel_tabs(),
        "speeds": SPEEDS,
        "controls": controls,
        "kubectl_line": f"kubectl --server {server} --certificate-authority {ca_file} --token {cluster.token} get pods"
        if role == "owner"
        else "",
    }


def inspect(api: APIServer, params: Mapping[str, str], revision: int | None) -> dict:
    rt = lookup(params.get("resource", "pods"))
    namespace, name = params.get("namespace", ""), params.get("name", "")
    if revision is None:
        obj = api.get(rt, namespace, name)
    else:
        matches = [
            o
            for o in api.list_at(rt, revision)
            if o["metadata"]["name"] == name and o["metadata"].get("namespace", "") == namespace
        ]
        if not matches:
            return {
                "missing": _("%(what)s did not exist at revision %(revision)d")
                % {"what": f"{rt.plural}/{name}", "revision": revision}
            }
        obj = matches[0]
    events = [
        e
        for e in api.list("events", None)["items"]
        if (e.get("involvedObject") or {}).get("uid") == obj["metadata"].get("uid")
    ]
    return {
        "object": obj,
        "kind": rt.kind,
        "yaml": yaml.safe_dump(obj, sort_keys=False),
        "node_faults": NODE_FAULTS,
        "pod_faults": POD_FAULTS,
        "events": sorted(events, key=lambda e: e.get("lastTimestamp") or ""),
        "owners": owner_chain(api, obj),
        "dependents": dependents(api, rt, obj),
    }


def owner_chain(api: APIServer, obj: dict) -> list[dict]:
    """Deployment → ReplicaSet → Pod: follow controller ownerReferences upwards."""
    chain: list[dict] = []
    current = obj
    for _depth in range(5):
        refs = [r for r in current["metadata"].get("ownerReferences") or [] if r.get("controller")]
        if not refs:
            break
        ref = refs[0]
        try:
            current = api.get(lookup(ref["kind"]), current["metadata"].get("namespace", ""), ref["name"])
        except Exception:  # noqa: BLE001 - a dangling owner is shown as missing, not an error page
            chain.insert(0, {"kind": ref["kind"], "name": ref["name"], "missing": True})
            break
        chain.insert(0, {"kind": ref["kind"], "name": ref["name"]})
    return chain


def dependents(api: APIServer, rt: ResourceType, obj: dict) -> list[dict]:
    """What this object owns (ReplicaSets of a Deployment, Pods of a ReplicaSet, a Service's Endpoints)."""
    namespace = obj["metadata"].get("namespace", "")
    if rt.kind == "Service":
        return [
            {"kind": "Endpoints", "name": e["metadata"]["name"]}
            for e in api.list("endpoints", namespace)["items"]
            if e["metadata"]["name"] == obj["metadata"]["name"]
        ]
    child = {"Deployment": "replicasets", "ReplicaSet": "pods"}.get(rt.kind)
    if not child:
        return []
    uid = obj["metadata"].get("uid")
    return [
        {"kind": o["kind"], "name": o["metadata"]["name"]}
        for o in api.list(child, namespace)["items"]
        if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])
    ]


def etcd(api: APIServer, params: Mapping[str, str], revision: int | None) -> dict:
    key = params.get("key", "")
    value = api.etcd_value(key) if key and revision is None else None
    return {
        "keys": api.etcd_keys(revision),
        "key": key,
        "value": json.dumps(value, indent=2) if value is not None else "",
    }


def scheduler(api: APIServer, params: Mapping[str, str], revision: int | None) -> dict:
    """The last scheduling decision about a pod that still exists, per node and plugin, from the scheduler's
    own records (cluster/scheduler/records.py: kept beside the cluster, not on the pod)."""
    live = {
        (p["metadata"].get("namespace"), p["metadata"]["name"]): p["metadata"].get("uid")
        for p in api.list("pods", None)["items"]
    }
    entry = scheduler_records.latest(api.cluster, live, params.get("name", ""))
    if entry is None:
        return {"pod": None}
    return {"pod": entry["pod"], "namespace": entry["namespace"], "decision": entry["decision"]}


def traffic(api: APIServer, params: Mapping[str, str], revision: int | None) -> dict:
    """Services to send simulated requests to (the page POSTs to `send_traffic`)."""
    services = [s for s in api.list("services", None)["items"] if (s.get("spec") or {}).get("selector")]
    return {"services": [{"namespace": s["metadata"]["namespace"], "name": s["metadata"]["name"]} for s in services]}


def send_traffic(api: APIServer, namespace: str, name: str, count: int) -> dict:
    """kube-proxy spreads `count` new connections over the Service's ready endpoints."""
    try:
        result = proxy.send_requests(api, name, count, namespace=namespace, client="dashboard")
    except proxy.ConnectionRefused as refused:
        return {
            "service": f"{namespace}/{name}",
            "error": _("connect to %(address)s failed: Connection refused (no ready endpoints)") % {"address": refused},
        }
    except proxy.UnknownService:
        return {"service": f"{namespace}/{name}", "error": _("no such Service")}
    total = max(1, result.requests)
    bars = [
        {"pod": pod, "count": n, "percent": round(100 * n / total)} for pod, n in sorted(result.distribution.items())
    ]
    return {"service": result.service, "requests": result.requests, "bars": bars}


def component(api: APIServer, params: Mapping[str, str], revision: int | None) -> dict:
    """What one box of the map is and does (the cluster's parts lesson sends learners here)."""
    return {"info": components.describe(params.get("id", ""))}


HANDLERS = {
    "inspect": ("fragments/inspector.html", inspect),
    "etcd": ("fragments/etcd.html", etcd),
    "scheduler": ("fragments/scheduler.html", scheduler),
    "traffic": ("fragments/traffic.html", traffic),
    "component": ("fragments/component.html", component),
}


def exists(name: str) -> bool:
    return name in RESOURCE_PANELS or name in HANDLERS or name == "map"


def render_panel(api: APIServer, name: str, params: Mapping[str, str], revision: int | None) -> tuple[str, dict]:
    if name in RESOURCE_PANELS:
        return "fragments/resource_table.html", {
            "table": resource_table(api, name, revision),
            "cluster": api.cluster,
            "revision": revision,
        }
    handlers = HANDLERS
    if name == "map":
        return "fragments/map.html", {"map": nodemap.build(api, revision), "cluster": api.cluster, "revision": revision}
    template, handler = handlers[name]
    context = handler(api, params, revision)
    context.update({"cluster": api.cluster, "revision": revision})
    return template, context
