"""What the websocket sends: new step events and the changed state, as htmx fragments.

Rendering happens here, in sync code the consumer calls through
database_sync_to_async, so the consumer itself stays a thin relay.
"""
from __future__ import annotations

from django.template.loader import render_to_string

from cluster.apiserver.server import APIServer
from cluster.models import Cluster
from web import access, nodemap

MAX_STEPS_PER_PUSH = 200


def group_name(cluster_pk: int) -> str:
    return f"kubeclass.cluster.{cluster_pk}"


def open_cluster(session: object, name: str) -> Cluster | None:
    cluster = Cluster.objects.filter(name=name).first()
    if cluster is None or session is None or not access.scope_can_open(session, cluster):
        return None
    return cluster


def render_update(cluster: Cluster, last_seq: int, last_revision: int) -> tuple[str, int, int]:
    """HTML for everything after (last_seq, last_revision), and the new marks."""
    api = APIServer(cluster, client="dashboard")
    revision = api.current_revision()
    steps = new_steps(cluster, last_seq)
    if revision == last_revision and not steps:
        return "", last_seq, last_revision
    parts = []
    if steps:
        parts.append(render_to_string("fragments/steps.html", {"steps": steps}))
        last_seq = steps[-1]["seq"]
    if revision != last_revision:
        parts.append(render_to_string("fragments/live_state.html", {
            "revision": revision, "map": nodemap.build(api, None), "cluster": cluster}))
    return "".join(parts), last_seq, revision


def new_steps(cluster: Cluster, last_seq: int) -> list[dict]:
    """Step events after `last_seq`, oldest first (filled in by the step recorder)."""
    return []


def control(cluster: Cluster, action: str, value: str) -> str:
    """Apply one control from the page; returns a short confirmation."""
    from cluster import clock

    if action == "speed":
        try:
            speed = float(value)
        except ValueError:
            raise ValueError("speed must be a number") from None
        if not 0.25 <= speed <= 16:
            raise ValueError("speed must be between 0.25 and 16")
        clock.set_speed(cluster, speed)
        return f"speed ×{speed:g}"
    raise ValueError(f"unknown control {action!r}")
