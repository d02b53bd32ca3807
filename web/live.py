"""What the websocket sends: new step events and the changed state, as htmx fragments.

Rendering happens here, in sync code the consumer calls through
database_sync_to_async, so the consumer itself stays a thin relay.
"""
from __future__ import annotations

import time

from django.template.loader import render_to_string

from cluster import steps
from cluster.reconciler import control as reconciler
from cluster.apiserver.server import APIServer
from cluster.models import Cluster
from web import access, nodemap

MAX_STEPS_PER_PUSH = 200


def open_cluster(session: object, name: str) -> Cluster | None:
    cluster = Cluster.objects.filter(name=name).first()
    if cluster is None or session is None or not access.scope_can_open(session, cluster):
        return None
    return cluster


def render_steps(cluster: Cluster, last_seq: int) -> tuple[str, int]:
    """HTML for the steps after `last_seq`, and the new mark (sent first: it is what the page animates)."""
    steps = new_steps(cluster, last_seq)
    if not steps:
        return "", last_seq
    return render_to_string("fragments/steps.html", {"steps": steps}), steps[-1]["seq"]


def render_state(cluster: Cluster, last_revision: int) -> tuple[str, int]:
    """HTML for the map and revision if etcd moved past `last_revision`, and the new mark."""
    api = APIServer(cluster, client="dashboard")
    revision = api.current_revision()
    if revision == last_revision:
        return "", last_revision
    html = render_to_string("fragments/live_state.html", {
        "revision": revision, "map": nodemap.build(api, None), "cluster": cluster})
    return html, revision


def svg_id(component: str) -> str:
    """The architecture view's box for a step's source or target component."""
    name, _, node = component.partition("/")
    if node and name == "kubelet":
        return f"c-kubelet-{node}"
    if node and name in ("containerd", "container-runtime"):
        return f"c-runtime-{node}"
    if node and name == "kube-proxy":
        return f"c-kube-proxy-{node}"
    if name in ("kube-apiserver", "etcd"):
        return f"c-{name}"
    if name in ("default-scheduler", "kube-scheduler"):
        return "c-kube-scheduler"
    if name.endswith(("-controller", "controller-manager")) or name in CONTROLLER_MANAGER_PARTS:
        return "c-kube-controller-manager"
    return "c-kubectl"


CONTROLLER_MANAGER_PARTS = ("garbage-collector", "persistentvolume-controller", "rancher.io/local-path",
                            "local-path-provisioner", "horizontal-pod-autoscaler")


def new_steps(cluster: Cluster, last_seq: int) -> list[dict]:
    """Step events after `last_seq` that the page may show, oldest first, in English and Korean."""
    english = steps.since(cluster, last_seq, limit=MAX_STEPS_PER_PUSH)
    korean = {s["seq"]: s["explanation"] for s in steps.since(cluster, last_seq, limit=MAX_STEPS_PER_PUSH,
                                                                 lang="ko")}
    sent_at = int(time.time() * 1000)
    for step in english:
        step.update({"from_id": svg_id(step["from"]), "to_id": svg_id(step["to"]),
                     "explanation_ko": korean.get(step["seq"], ""), "sent_at": sent_at})
    return english


def control(cluster: Cluster, action: str, value: str) -> str:
    """Apply one control from the page; returns a short confirmation. ValueError for bad input."""
    cluster.refresh_from_db()
    if action == "speed":
        try:
            speed = float(value)
        except ValueError:
            raise ValueError("speed must be a number") from None
        return f"speed ×{reconciler.set_speed(cluster, speed):g}"
    if action == "toggle":
        if cluster.speed > 0:
            reconciler.pause(cluster)
            return "paused"
        reconciler.set_mode(cluster, "realtime")
        if cluster.speed == 0:
            reconciler.set_speed(cluster, 1.0)
        return "playing"
    if action == "step-mode":
        return reconciler.set_mode(cluster, "step" if value == "on" else "realtime")
    if action == "next":
        if reconciler.settings_of(cluster).mode != "step":
            reconciler.set_mode(cluster, "step")
        reconciler.next_step(cluster)
        return "next"
    if action == "fast-forward":
        return reconciler.set_mode(cluster, "fast-forward")
    raise ValueError(f"unknown control {action!r}")
