"""A DaemonSet's revisions and rolling update (pkg/controller/daemon/update.go).

History: the current template is the ControllerRevision whose data equals
the DaemonSet's template patch; if there is none it is created as
`<daemonset>-<hash>` with the next revision number (an old one that matches
again is renumbered: that is how `kubectl rollout undo` shows up). Old
revisions beyond revisionHistoryLimit that no pod uses are deleted, oldest
first.

RollingUpdate without surge (maxSurge 0): an old pod is deleted while fewer
than maxUnavailable pods (rounded up from a percentage of the desired nodes)
are unavailable; unavailable old pods are replaced at once; the manage step
then creates the new pod on the emptied node. With maxSurge: a new pod is
started beside an old one on up to maxSurge nodes, and the old pod deleted
once the new one is available. Nodes are taken in name order (upstream
iterates a Go map, in no fixed order).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from cluster.apiserver.server import APIServer
from cluster.controllers import daemonset_pods as dsp
from cluster.controllers import history as hist
from cluster.controllers.controller_utils import compute_hash, is_pod_available
from cluster.informers import Lister

if TYPE_CHECKING:
    from cluster.controllers.daemonset import DaemonSetSync


def scaled(value: int | str | None, total: int) -> int:
    """intstr.GetScaledValueFromIntOrPercent, rounding up."""
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value or 0)


def rolling(ds: dict) -> dict:
    return ((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}


def allows_surge(ds: dict) -> bool:
    strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
    return strategy.get("type") == "RollingUpdate" and scaled(rolling(ds).get("maxSurge", 0), 1) != 0


class History:
    """constructHistory and cleanupHistory for one DaemonSet."""

    def __init__(self, api: APIServer, lister: Lister, ds: dict) -> None:
        self.api, self.lister, self.ds = api, lister, ds

    def construct(self) -> tuple[dict, list[dict]]:
        revisions = hist.controlled_revisions(self.api, self.lister, self.ds)
        patch = hist.template_patch(self.ds)
        current = [r for r in revisions if r.get("data") == patch]
        old = [r for r in revisions if r.get("data") != patch]
        number = hist.max_revision(old) + 1
        if not current:
            return self.snapshot(patch, number), old
        keep = hist.sort_revisions(current)[-1]
        for duplicate in current:
            if duplicate is not keep:
                hist.delete_revision(self.api, duplicate)
        if keep.get("revision", 0) < number:
            keep = hist.set_revision_number(self.api, keep, number)
        return keep, old

    def snapshot(self, patch: dict, number: int) -> dict:
        collision = int((self.ds.get("status") or {}).get("collisionCount") or 0)
        annotations = self.ds["metadata"].get("annotations")

        def make(count: int) -> dict:
            count_arg = count if count or (self.ds.get("status") or {}).get("collisionCount") is not None else None
            hash_ = compute_hash(self.ds["spec"].get("template") or {}, count_arg)
            return hist.new_revision(self.ds, patch, number, hash_, annotations)

        revision, used = hist.create_revision(self.api, self.ds, make, collision)
        if used != collision:
            self.store_collision_count(used)
        return revision

    def store_collision_count(self, count: int) -> None:
        def put(obj: dict) -> dict:
            obj.setdefault("status", {})["collisionCount"] = count
            return obj

        self.ds = self.api.update_with(
            "daemonsets", self.ds["metadata"]["namespace"], self.ds["metadata"]["name"], put, subresource="status"
        )

    def cleanup(self, old: list[dict], by_node: dict[str, list[dict]]) -> None:
        """cleanupHistory: delete old revisions beyond the limit that no live pod still uses."""
        limit = int(self.ds["spec"].get("revisionHistoryLimit", 10))
        surplus = len(old) - limit
        if surplus <= 0:
            return
        live = {(p["metadata"].get("labels") or {}).get(dsp.REVISION_HASH) for pods in by_node.values() for p in pods}
        for revision in hist.sort_revisions(old):
            if surplus <= 0:
                break
            if (revision["metadata"].get("labels") or {}).get(dsp.REVISION_HASH) in live:
                continue
            hist.delete_revision(self.api, revision)
            surplus -= 1


def split_node_pods(ds: dict, pods: list[dict], hash_: str) -> tuple[dict | None, dict | None, bool]:
    """findUpdatedPodsOnNode: (new pod, old pod, ok); not ok when a node has two of either."""
    new = old = None
    generation = dsp.template_generation(ds)
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if dsp.is_updated(pod, hash_, generation):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


def rolling_update(sync: DaemonSetSync, nodes: list[dict], hash_: str) -> None:
    by_node = sync.nodes_to_pods()
    desired = sum(1 for node in nodes if dsp.should_run(node, sync.ds)[0])
    max_surge = scaled(rolling(sync.ds).get("maxSurge", 0), desired)
    max_unavailable = scaled(rolling(sync.ds).get("maxUnavailable", 1), desired)
    if desired > 0 and max_surge == 0 and max_unavailable == 0:
        max_unavailable = 1
    if max_surge == 0:
        _replace_without_surge(sync, by_node, hash_, max_unavailable)
    else:
        _replace_with_surge(sync, nodes, by_node, hash_, max_surge)


def _available(sync: DaemonSetSync, pod: dict) -> bool:
    return is_pod_available(pod, int(sync.ds["spec"].get("minReadySeconds") or 0), sync.now)


def _replace_without_surge(sync: DaemonSetSync, by_node: dict[str, list[dict]], hash_: str, allowed: int) -> None:
    unavailable = 0
    replace: list[dict] = []
    candidates: list[dict] = []
    for node in sorted(by_node):
        new, old, ok = split_node_pods(sync.ds, by_node[node], hash_)
        if not ok or (new is None) == (old is None):
            unavailable += 1
        elif new is not None:
            unavailable += not _available(sync, new)
        else:
            assert old is not None  # exactly one of the two is there
            if not _available(sync, old):
                replace.append(old)
                unavailable += 1
            elif unavailable < allowed:
                candidates.append(old)
    room = min(max(0, allowed - unavailable), len(candidates))
    for pod in replace + candidates[:room]:
        sync.delete_pod(pod, "request.daemonset.update")


def _replace_with_surge(
    sync: DaemonSetSync, nodes: list[dict], by_node: dict[str, list[dict]], hash_: str, max_surge: int
) -> None:
    surge = 0
    old_to_delete: list[dict] = []
    allowed: list[str] = []  # node names
    candidates: list[str] = []
    known = {node["metadata"]["name"]: node for node in nodes}
    for name in sorted(by_node):
        new, old, ok = split_node_pods(sync.ds, by_node[name], hash_)
        if not ok:
            surge += 1
            continue
        if old is None:
            continue
        if new is None:
            runs = name in known and dsp.should_run(known[name], sync.ds)[0]
            if not _available(sync, old):
                if runs:
                    allowed.append(name)
                else:
                    old_to_delete.append(old)
            elif runs and surge < max_surge:
                candidates.append(name)
        elif not _available(sync, new):
            surge += 1
        else:
            old_to_delete.append(old)
    room = min(max(0, max_surge - surge), len(candidates))
    sync.sync_nodes([], allowed + candidates[:room], hash_)
    for pod in old_to_delete:
        sync.delete_pod(pod, "request.daemonset.update")
