"""What the websocket sends: new step events and the changed state, as htmx fragments.

Rendering happens here, in sync code the consumer calls through
database_sync_to_async, so the consumer itself stays a thin relay. Everything
is rendered in the page's language only.
"""

from __future__ import annotations

import re
import threading
import time

from django.template.loader import render_to_string
from django.utils import translation

from cluster import steps
from cluster.apiserver.server import APIServer
from cluster.models import Cluster, StepEvent
from cluster.reconciler import control as reconciler
from web import access, classroom, guide, nodemap, panels
from web.lessons import progress

MAX_STEPS_PER_PUSH = 200
EARLIER_STEPS_AT_MOST = 2000  # one fetch of older steps; a longer stretch leaves a gap above the one asked for
OPENING_LOOK_BACK = 5000  # how far back a newly opened page looks for its first steps, past the nodes' heartbeats
OPENING_CHUNK = 500
# Hops that only keep a node alive: the kubelet's Lease renewals and its node status reports
# (a write whose changes are heartbeat times and the image list), with the watch events they cause.
HEARTBEAT_PATHS = re.compile(r"^(status\.conditions\[\d+\]\.lastHeartbeatTime|status\.images.*|spec\.renewTime)$")


def open_cluster(session: object, name: str) -> tuple[Cluster, str] | tuple[None, None]:
    cluster = Cluster.objects.filter(name=name).first()
    role = access.role_for_session(session, cluster) if cluster is not None and session is not None else None
    if cluster is None or role is None:
        return None, None
    return cluster, role


def mark_heartbeats(cluster: Cluster, found: list[dict]) -> None:
    """Set `heartbeat` on each step that belongs to a node's heartbeat (the page hides them by default)."""
    node_revisions = {s["revision"] for s in found if s["object"].startswith("nodes/") and s["revision"]}
    writes = {s["revision"]: s["diff"] for s in found if s["to"] == "etcd" and s["revision"] in node_revisions}
    missing = node_revisions - set(writes)
    if missing:
        writes.update(
            StepEvent.objects.filter(cluster=cluster, target="etcd", revision__in=missing).values_list(
                "revision", "diff"
            )
        )
    beats = {rev for rev, diff in writes.items() if diff and all(HEARTBEAT_PATHS.match(d["path"]) for d in diff)}
    for step in found:
        obj = step["object"]
        step["heartbeat"] = (
            obj.startswith("leases/")
            or (obj.startswith("nodes/") and step["revision"] in beats)
            or (obj.startswith("nodes/") and obj.endswith("/status") and step["from"].startswith("kubelet/"))
        )


class Rendered:
    """Fragments rendered once for every socket that needs the same one (bounded, newest kept).

    Thirty students following one cluster are at the same step: the first
    socket's push renders it, the other twenty-nine reuse it.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.items: dict[tuple, tuple[str, object]] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple) -> tuple[str, object] | None:
        with self.lock:
            return self.items.get(key)

    def put(self, key: tuple, value: tuple[str, object]) -> None:
        with self.lock:
            if len(self.items) >= self.size:
                self.items.pop(next(iter(self.items)))
            self.items[key] = value


_steps_rendered = Rendered()


def newest_visible_seq(cluster: Cluster) -> int:
    until = steps.visible_until(cluster)
    newest = StepEvent.objects.filter(cluster=cluster).order_by("-seq").values_list("seq", flat=True).first() or 0
    return newest if until is None else min(until, newest)


def render_steps(cluster: Cluster, last_seq: int, language: str, top: int | None = None) -> tuple[str, int]:
    """HTML for the steps after `last_seq`, and the new mark (sent first: it is what the page animates)."""
    top = newest_visible_seq(cluster) if top is None else top
    if top <= last_seq:
        return "", last_seq
    key = (cluster.pk, last_seq, top, language)
    cached = _steps_rendered.get(key)
    if cached is not None:
        return cached[0], int(cached[1])  # type: ignore[call-overload]
    found = new_steps(cluster, last_seq, language)
    if not found:
        return "", last_seq
    with translation.override(language):
        html = render_to_string("fragments/steps.html", {"steps": found})
    _steps_rendered.put(key, (html, found[-1]["seq"]))
    return html, found[-1]["seq"]


def render_earlier_steps(cluster: Cluster, first: int, before: int | None, language: str) -> str:
    """HTML for the steps from `first` up to `before`, to go below the ones the page shows: a page opens with
    only the newest steps, and a student who joined late follows the teacher back to an older one."""
    top = newest_visible_seq(cluster) + 1
    found = steps.between(cluster, first, top if before is None else min(before, top), EARLIER_STEPS_AT_MOST, language)
    _for_the_page(cluster, found, sent_at="")  # not new: the page does not time them
    with translation.override(language):
        return render_to_string("fragments/steps.html", {"steps": found, "swap": "beforeend"})


def render_opening_steps(cluster: Cluster, top: int, wanted: int, language: str) -> str:
    """HTML for a newly opened page's first steps: the newest `wanted` up to `top` that are not a node's heartbeat.

    The page hides heartbeats unless asked, and an idle cluster writes little else: the newest dozen steps of a
    cluster left alone for a minute are all heartbeats, and a page that opened on them showed an empty log. The
    heartbeats among the steps shown are left out of this snapshot (the time travel below still reaches them);
    from here on the page gets every step, as before."""
    chosen = opening_seqs(cluster, top, wanted)
    if not chosen:
        return ""
    rows = StepEvent.objects.filter(cluster=cluster, seq__in=chosen).order_by("seq")
    found = steps.as_dicts(cluster, rows, language)
    _for_the_page(cluster, found, sent_at=int(time.time() * 1000))
    with translation.override(language):
        return render_to_string("fragments/steps.html", {"steps": found})


def opening_seqs(cluster: Cluster, top: int, wanted: int) -> list[int]:
    """The newest `wanted` steps up to `top` that are not a heartbeat, oldest first; read back in light rows (no
    diffs rendered), OPENING_CHUNK at a time, at most OPENING_LOOK_BACK steps back."""
    chosen: list[int] = []
    upper, floor = top, max(0, top - OPENING_LOOK_BACK)
    while upper > floor and len(chosen) < wanted:
        lower = max(floor, upper - OPENING_CHUNK)
        rows = StepEvent.objects.filter(cluster=cluster, seq__gt=lower, seq__lte=upper)
        light = [
            {"seq": seq, "from": source, "to": target, "object": obj, "revision": revision, "diff": diff}
            for seq, source, target, obj, revision, diff in rows.values_list(
                "seq", "source", "target", "object", "revision", "diff"
            )
        ]
        mark_heartbeats(cluster, light)
        chosen += sorted((step["seq"] for step in light if not step["heartbeat"]), reverse=True)
        upper = lower
    return sorted(chosen[:wanted])


def new_steps(cluster: Cluster, last_seq: int, language: str = "en") -> list[dict]:
    """Step events after `last_seq` that the page may show, oldest first, in the page's language."""
    found = steps.since(cluster, last_seq, limit=MAX_STEPS_PER_PUSH, lang=language)
    _for_the_page(cluster, found, sent_at=int(time.time() * 1000))
    return found


def _for_the_page(cluster: Cluster, found: list[dict], sent_at: int | str) -> None:
    """What the page needs beside each step: its map boxes, when it was sent, whether it is a heartbeat."""
    for step in found:
        step.update({"from_id": svg_id(step["from"]), "to_id": svg_id(step["to"]), "sent_at": sent_at})
    mark_heartbeats(cluster, found)


def render_state_parts(cluster: Cluster, language: str, panel: str = "") -> dict[str, str]:
    """The state as separate fragments — revision and controls, the map, the open table — so a socket
    sends only those whose HTML changed (most writes, heartbeats above all, leave the map as it was)."""
    api = APIServer(cluster, client="dashboard")
    controls = controls_state(cluster)
    context = {
        "revision": api.current_revision(),
        "map": nodemap.build(api, None),
        "cluster": cluster,
        "controls": controls,
    }
    with translation.override(language):
        parts: dict[str, str] = {
            "head": render_to_string("fragments/live_head.html", context),
            "map": render_to_string("fragments/live_map.html", context),
        }
        if panel in panels.RESOURCE_PANELS:
            table = panels.resource_table(api, panel)
            parts["panel"] = render_to_string(
                "fragments/resource_table.html", {"table": table, "cluster": cluster, "revision": None, "oob": True}
            )
    return parts


def render_guide(cluster: Cluster, role: str, language: str, seen: tuple) -> tuple[str, tuple]:
    """The lesson guide if its learner's progress moved (checked first when the owner is watching)."""
    row = guide.progress_of(cluster)
    if row is None:
        return "", seen
    with translation.override(language):  # what the check saw is kept in the owner's language
        if role == access.OWNER and progress.evaluate(row):
            classroom.progress_changed(cluster)
    mark = guide.version(row)
    if mark == seen:
        return "", seen
    return guide.render_change(cluster, row, role == access.OWNER, language, seen), mark


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


CONTROLLER_MANAGER_PARTS = (
    "garbage-collector",
    "persistentvolume-controller",
    "rancher.io/local-path",
    "local-path-provisioner",
    "horizontal-pod-autoscaler",
)


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


def controls_state(cluster: Cluster) -> dict:
    """What the controls should show: mode and speed, as every page of the cluster must agree."""
    cluster.refresh_from_db()
    mode = reconciler.settings_of(cluster).mode
    return {"mode": mode, "speed": cluster.speed, "playing": cluster.speed > 0 or mode == "fast-forward"}
