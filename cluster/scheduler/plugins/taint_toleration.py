"""The TaintToleration plugin (plugins/tainttoleration): filter and score.

Filter: the first NoSchedule or NoExecute taint of the node (in the node's order)
that the pod does not tolerate rejects the node as `node(s) had untolerated taint
{key: value}`. Score: the number of PreferNoSchedule taints the pod does not
tolerate, normalized in reverse (the node with fewest scores 100); weight 3.
"""

from __future__ import annotations

from typing import Sequence

from cluster.scheduler.framework import (
    SKIP,
    CycleState,
    NodeInfo,
    Plugin,
    Status,
    default_normalize_score,
    success,
    unschedulable,
)


def tolerates_taint(toleration: dict, taint: dict) -> bool:
    """v1.Toleration.ToleratesTaint."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def tolerates(tolerations: list[dict], taint: dict) -> bool:
    return any(tolerates_taint(t or {}, taint) for t in tolerations)


def first_untolerated(taints: list[dict], tolerations: list[dict], effects: tuple[str, ...]) -> dict | None:
    for taint in taints:
        if taint.get("effect") in effects and not tolerates(tolerations, taint):
            return taint
    return None


def _tolerations(pod: dict) -> list[dict]:
    return (pod.get("spec") or {}).get("tolerations") or []


def _taints(node: NodeInfo) -> list[dict]:
    return (node.node.get("spec") or {}).get("taints") or []


class TaintToleration(Plugin):
    name = "TaintToleration"
    weight = 3

    def filter(self, state: CycleState, pod: dict, node: NodeInfo) -> Status:
        taint = first_untolerated(_taints(node), _tolerations(pod), ("NoSchedule", "NoExecute"))
        if taint is None:
            return success()
        return unschedulable(
            f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value') or ''}}}", resolvable=False
        )

    def pre_score(self, state: CycleState, pod: dict, nodes: Sequence[NodeInfo]) -> Status:
        if not nodes:
            return Status(SKIP)
        # getAllTolerationPreferNoSchedule: only tolerations that can match a PreferNoSchedule taint
        state["TaintToleration"] = [
            t for t in _tolerations(pod) if (t or {}).get("effect") in (None, "", "PreferNoSchedule")
        ]
        return success()

    def score(self, state: CycleState, pod: dict, node: NodeInfo) -> int:
        tolerations = state.get("TaintToleration", [])
        return sum(
            1
            for taint in _taints(node)
            if taint.get("effect") == "PreferNoSchedule" and not tolerates(tolerations, taint)
        )

    def normalize(self, state: CycleState, pod: dict, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=True)
