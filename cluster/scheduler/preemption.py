"""DefaultPreemption (pkg/scheduler/framework/plugins/defaultpreemption, framework/preemption): the PostFilter
plugin that makes room for a pod that fits nowhere by evicting pods of lower priority.

When no node passes the filters, a pod that may preempt (its preemptionPolicy is not Never, and no pod it
already evicted is still terminating on its nominated node) looks at every node the filters rejected as
resolvable. On each it removes every pod of lower priority; if the pod then fits, it gives back
("reprieves") as many of them as it can, highest priority first — those whose eviction would break a
PodDisruptionBudget before the others — and the rest are that node's victims. Of the candidate nodes it
picks the one with the fewest budget violations, then the lowest highest-priority victim, the lowest sum
of priorities, the fewest victims, the latest-started most important victim. The pod is nominated to that
node (`status.nominatedNodeName`); each victim gets the DisruptionTarget condition (PreemptionByScheduler),
is deleted and gets a `Preempted` event. Once the victims are gone, the pod is tried on its nominated node
first.

Simplified: candidates are taken in name order from the first node (upstream starts at a random offset and
stops after max(10 %, 100) candidates); the filters see the pod's PreFilter state as computed for the whole
cluster (upstream updates it as each victim is removed); nominated pods reserve nothing on their node.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.selectors import selector_from_label_selector
from cluster.apiserver.server import APIServer
from cluster.apiserver.strategy import set_condition
from cluster.events import NORMAL, record
from cluster.scheduler.diagnosis import NO_VICTIMS, NOT_HELPFUL, fit_error, priority
from cluster.scheduler.framework import UNSCHEDULABLE, UNSCHEDULABLE_AND_UNRESOLVABLE, NodeInfo, Status, new_node_info

NEVER = "preemption: not eligible due to preemptionPolicy=Never."
TERMINATING = "preemption: not eligible due to a terminating pod on the nominated node."
DISRUPTION_REASON = "PreemptionByScheduler"

FilterRun = Callable[[NodeInfo], Status]


@dataclass
class Candidate:
    node: str
    victims: list[dict] = field(default_factory=list)
    violations: int = 0


@dataclass
class Outcome:
    """PostFilter's result: a node to nominate and its victims, or why preemption cannot help."""

    candidate: Candidate | None = None
    message: str = ""


def preempt(pod: dict, nodes: list[NodeInfo], statuses: dict[str, Status], run: FilterRun, pdbs: list[dict]) -> Outcome:
    """Preempt: eligibility, the candidates and the one chosen (no API call: the scheduler carries it out)."""
    why_not = _not_eligible(pod, nodes, statuses)
    if why_not:
        return Outcome(message=why_not)
    candidates, verdicts = [], {}
    for node in nodes:
        status = statuses.get(node.name)
        if status is None or status.code != UNSCHEDULABLE:
            continue
        found = select_victims(pod, node, run, pdbs)
        if isinstance(found, Status):
            verdicts[node.name] = found
        else:
            candidates.append(found)
    if not candidates:
        absent = Status(UNSCHEDULABLE_AND_UNRESOLVABLE, [NOT_HELPFUL])
        return Outcome(message="preemption: " + fit_error(len(nodes), verdicts, absent))
    return Outcome(candidate=pick_one(candidates))


def could_preempt(pod: dict, node: NodeInfo) -> bool:
    """Whether the node holds a pod of lower priority at all (the budgets are read only then)."""
    return any(priority(p) < priority(pod) for p in node.pods)


def _not_eligible(pod: dict, nodes: list[NodeInfo], statuses: dict[str, Status]) -> str:
    """PodEligibleToPreemptOthers: "" when it may preempt, else the message."""
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return NEVER
    nominated = (pod.get("status") or {}).get("nominatedNodeName")
    if not nominated:
        return ""
    status = statuses.get(nominated)
    if status is not None and status.code == UNSCHEDULABLE_AND_UNRESOLVABLE:
        return ""
    node = next((n for n in nodes if n.name == nominated), None)
    if node is not None and any(priority(p) < priority(pod) and terminating_by_preemption(p) for p in node.pods):
        return TERMINATING
    return ""


def terminating_by_preemption(pod: dict) -> bool:
    if not pod["metadata"].get("deletionTimestamp"):
        return False
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "DisruptionTarget" and c.get("reason") == DISRUPTION_REASON for c in conditions)


def select_victims(pod: dict, node: NodeInfo, run: FilterRun, pdbs: list[dict]) -> Candidate | Status:
    """SelectVictimsOnNode: the fewest lower-priority pods whose eviction lets the pod fit, or why none do."""
    potential = sorted((p for p in node.pods if priority(p) < priority(pod)), key=_importance)
    if not potential:
        return Status(UNSCHEDULABLE_AND_UNRESOLVABLE, [NO_VICTIMS])
    staying = [p for p in node.pods if priority(p) >= priority(pod)]
    status = run(new_node_info(node.node, staying))
    if not status.ok:
        return status
    violating, fine = _split_by_budget(potential, pdbs)
    candidate = Candidate(node.name)
    for group, counts in ((violating, True), (fine, False)):
        for victim in group:  # reprieve: give the pod back if the preemptor still fits
            if run(new_node_info(node.node, [*staying, victim])).ok:
                staying.append(victim)
            else:
                candidate.victims.append(victim)
                candidate.violations += counts
    candidate.victims.sort(key=_importance)
    return candidate


def _importance(pod: dict) -> tuple[int, str]:
    """MoreImportantPod, as a sort key: higher priority first, then the one that started earlier."""
    return -priority(pod), (pod.get("status") or {}).get("startTime") or "9999"


def _split_by_budget(pods: list[dict], pdbs: list[dict]) -> tuple[list[dict], list[dict]]:
    """filterPodsWithPDBViolation: the pods whose eviction, one after the other, would take a matching budget
    below zero disruptions allowed, and the others (each list keeps its order)."""
    allowed = [int((pdb.get("status") or {}).get("disruptionsAllowed") or 0) for pdb in pdbs]
    violating: list[dict] = []
    fine: list[dict] = []
    for pod in pods:
        broken = False
        for index, pdb in enumerate(pdbs):
            selector = (pdb.get("spec") or {}).get("selector")
            if pdb["metadata"].get("namespace") != pod["metadata"].get("namespace") or not selector:
                continue
            if not selector_from_label_selector(selector).matches(pod["metadata"].get("labels")):
                continue
            allowed[index] -= 1
            broken = broken or allowed[index] < 0
        (violating if broken else fine).append(pod)
    return violating, fine


def pick_one(candidates: list[Candidate]) -> Candidate:
    """pickOneNodeForPreemption: each criterion narrows the candidates; the first left wins."""
    criteria: list[Callable[[Candidate], object]] = [
        lambda c: c.violations,
        lambda c: priority(c.victims[0]),
        lambda c: sum(priority(v) + 2**31 for v in c.victims),
        lambda c: len(c.victims),
        lambda c: -_earliest_start(c).timestamp(),  # the latest start of the most important victims wins
    ]
    left = candidates
    for criterion in criteria:
        best = min(criterion(c) for c in left)  # type: ignore[type-var]
        left = [c for c in left if criterion(c) == best]
        if len(left) == 1:
            break
    return left[0]


def _earliest_start(candidate: Candidate) -> dt.datetime:
    """GetEarliestPodStartTime of the highest-priority victims (a pod not started yet counts as now)."""
    top = priority(candidate.victims[0])
    starts = [
        clock.parse_rfc3339(v["status"]["startTime"]) if (v.get("status") or {}).get("startTime") else None
        for v in candidate.victims
        if priority(v) == top
    ]
    known = [s for s in starts if s is not None]
    return min(known) if known else dt.datetime.max.replace(tzinfo=dt.timezone.utc)


# -- carrying it out ---------------------------------------------------------------------------
def prepare_candidate(
    api: APIServer, nominated: list[dict], preemptor: dict, candidate: Candidate, scheduler: str
) -> None:
    """prepareCandidate: each victim marked DisruptionTarget, deleted (it shuts down in its grace period) and
    told why; of the pods nominated to a node (`nominated`), those of lower priority nominated to this one lose
    that nomination."""
    now = clock.rfc3339(api.now())
    why = f"{scheduler}: preempting to accommodate a higher priority pod"

    def mark(current: dict) -> dict:
        set_condition(current, "DisruptionTarget", "True", now, reason=DISRUPTION_REASON, message=why)
        return current

    for victim in candidate.victims:
        meta = victim["metadata"]
        try:
            api.update_with("pods", meta["namespace"], meta["name"], mark, subresource="status")
            api.delete("pods", meta["namespace"], meta["name"])
        except StatusError as err:
            if err.code != 404:  # already gone: nothing to evict
                raise
        message = f"Preempted by pod {preemptor['metadata'].get('uid', '')} on node {candidate.node}"
        record(api, victim, NORMAL, "Preempted", message, scheduler)
    for pod in nominated:
        if pod["status"]["nominatedNodeName"] == candidate.node and priority(pod) < priority(preemptor):
            _forget_nomination(api, pod)


def _forget_nomination(api: APIServer, pod: dict) -> None:
    def update(current: dict) -> dict:
        (current.get("status") or {}).pop("nominatedNodeName", None)
        return current

    meta = pod["metadata"]
    api.update_with("pods", meta["namespace"], meta["name"], update, subresource="status")
