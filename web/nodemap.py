"""The architecture view's model: nodes, their pods by state, and requests vs allocatable.

This is the bin-packing picture: each node's bar shows the CPU and memory its
pods request against what the node can allocate, which is what the scheduler's
NodeResourcesFit plugin compares.
"""

from __future__ import annotations

from cluster import podutil
from cluster.apiserver.server import APIServer
from cluster.quantity import millicores, units

MAX_SHAPES_PER_NODE = 48  # beyond this a node shows counts per state instead of one shape per pod

# A glyph per state, so a pod's state shows without its colour (and reads out as its name).
STATE_GLYPH = {
    "Pending": "…",
    "ContainerCreating": "◐",
    "Running": "○",
    "Ready": "✓",
    "Terminating": "✕",
    "CrashLoopBackOff": "!",
    "ImagePullBackOff": "↓",
    "ErrImagePull": "↓",
    "Completed": "■",
    "Error": "!",
}
STATE_ORDER = (
    "Pending",
    "ContainerCreating",
    "Running",
    "Ready",
    "Terminating",
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "Completed",
    "Error",
)


def pod_state(pod: dict) -> str:
    """The state a pod's shape is coloured by (close to kubectl's STATUS column)."""
    meta, spec, status = pod["metadata"], pod.get("spec", {}), pod.get("status", {})
    if meta.get("deletionTimestamp"):
        return "Terminating"
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull"):
            return waiting["reason"]
    phase = status.get("phase", "Pending")
    if phase == "Succeeded":
        return "Completed"
    if phase == "Failed":
        return "Error"
    if phase == "Running":
        return "Ready" if podutil.is_ready(pod) else "Running"
    return "ContainerCreating" if spec.get("nodeName") else "Pending"


def _requests(pod: dict) -> tuple[int, int]:
    cpu = mem = 0
    for container in pod.get("spec", {}).get("containers") or []:
        req = (container.get("resources") or {}).get("requests") or {}
        cpu += millicores(req.get("cpu"))
        mem += units(req.get("memory"))
    return cpu, mem


def _percent(part: int, whole: int) -> int:
    return min(100, round(100 * part / whole)) if whole else 0


def build(api: APIServer, revision: int | None) -> dict:
    if revision is None:
        nodes, pods = api.list("nodes")["items"], api.list("pods", None)["items"]
    else:
        nodes, pods = api.list_at("nodes", revision), api.list_at("pods", revision)
    by_node: dict[str, list[dict]] = {n["metadata"]["name"]: [] for n in nodes}
    pending: list[dict] = []
    for pod in pods:
        target = by_node.get(pod.get("spec", {}).get("nodeName", ""))
        (target if target is not None else pending).append(pod)
    return layout(
        {
            "nodes": [_node_view(n, by_node[n["metadata"]["name"]]) for n in nodes],
            "pending": _pod_shapes(pending),
            "pending_count": len(pending),
        }
    )


def _node_view(node: dict, pods: list[dict]) -> dict:
    alloc = node.get("status", {}).get("allocatable") or {}
    cpu = mem = 0
    for pod in pods:
        if pod.get("status", {}).get("phase") not in ("Succeeded", "Failed"):
            c, m = _requests(pod)
            cpu, mem = cpu + c, mem + m
    conditions = {c["type"]: c for c in node.get("status", {}).get("conditions") or []}
    ready = conditions.get("Ready", {}).get("status", "Unknown")
    return {
        "name": node["metadata"]["name"],
        "ready": ready,
        "unschedulable": bool(node.get("spec", {}).get("unschedulable")),
        "cpu_percent": _percent(cpu, millicores(alloc.get("cpu"))),
        "mem_percent": _percent(mem, units(alloc.get("memory"))),
        "cpu_text": f"{cpu}m / {millicores(alloc.get('cpu'))}m",
        "mem_text": f"{mem // (1 << 20)}Mi / {units(alloc.get('memory')) // (1 << 20)}Mi",
        **_pod_shapes(pods),
    }


def _pod_shapes(pods: list[dict]) -> dict:
    shapes = [
        {
            "name": p["metadata"]["name"],
            "namespace": p["metadata"].get("namespace", ""),
            "state": (state := pod_state(p)),
            "glyph": STATE_GLYPH.get(state, "?"),
        }
        for p in sorted(pods, key=lambda p: p["metadata"]["name"])
    ]
    if len(shapes) <= MAX_SHAPES_PER_NODE:
        return {"pods": shapes, "aggregate": [], "pod_count": len(shapes)}
    counts: dict[str, int] = {}
    for shape in shapes:
        counts[shape["state"]] = counts.get(shape["state"], 0) + 1
    aggregate = [{"state": s, "count": counts[s], "glyph": STATE_GLYPH.get(s, "?")} for s in STATE_ORDER if s in counts]
    return {"pods": [], "aggregate": aggregate, "pod_count": len(shapes)}


# -- layout: where each component sits in the SVG (viewBox 1000 wide) ------
NODES_PER_ROW = 4
NODE_W, NODE_H, NODE_GAP = 235, 215, 10
NODE_TOP = 290
POD_SIZE, POD_GAP, PODS_PER_ROW = 16, 4, 11

CONTROL_PLANE = (
    {"id": "kubectl", "label": "kubectl", "x": 20, "y": 30, "w": 150, "h": 60},
    {"id": "kube-apiserver", "label": "kube-apiserver", "x": 380, "y": 30, "w": 240, "h": 60},
    {"id": "etcd", "label": "etcd", "x": 800, "y": 30, "w": 170, "h": 60},
    {"id": "kube-controller-manager", "label": "kube-controller-manager", "x": 160, "y": 150, "w": 330, "h": 90},
    {"id": "kube-scheduler", "label": "kube-scheduler", "x": 560, "y": 150, "w": 220, "h": 90},
)


def layout(model: dict) -> dict:
    """Add SVG coordinates to the map model: boxes, pod shapes, bars and the view's height."""
    for index, node in enumerate(model["nodes"]):
        row, col = divmod(index, NODES_PER_ROW)
        x, y = 10 + col * (NODE_W + NODE_GAP), NODE_TOP + row * (NODE_H + NODE_GAP)
        node.update(
            {
                "x": x,
                "y": y,
                "w": NODE_W,
                "h": NODE_H,
                "kubelet": {"x": x + 8, "y": y + 28, "w": 70, "h": 26},
                "runtime": {"x": x + 84, "y": y + 28, "w": 74, "h": 26},
                "proxy": {"x": x + 164, "y": y + 28, "w": 63, "h": 26},
                "cpu_w": round(1.5 * node["cpu_percent"]),
                "mem_w": round(1.5 * node["mem_percent"]),
                "bar_x": x + 75,
                "bar_y": y + NODE_H - 34,
            }
        )
        for i, pod in enumerate(node["pods"]):
            prow, pcol = divmod(i, PODS_PER_ROW)
            pod.update({"x": x + 10 + pcol * (POD_SIZE + POD_GAP), "y": y + 66 + prow * (POD_SIZE + POD_GAP)})
        for i, agg in enumerate(node["aggregate"]):
            agg.update({"x": x + 10, "y": y + 78 + i * 16})
    rows = (len(model["nodes"]) + NODES_PER_ROW - 1) // NODES_PER_ROW
    model["height"] = NODE_TOP + max(rows, 1) * (NODE_H + NODE_GAP) + 10
    model["control_plane"] = CONTROL_PLANE
    for i, pod in enumerate(model["pending"]["pods"] if isinstance(model["pending"], dict) else []):
        prow, pcol = divmod(i, 8)
        pod.update({"x": 790 + pcol * (POD_SIZE + POD_GAP), "y": 160 + prow * (POD_SIZE + POD_GAP)})
    return model
