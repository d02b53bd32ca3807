"""kube-scheduler's control loop (pkg/scheduler/schedule_one.go): one pod per reconcile.

Pending pods come out of the queue by priority, highest first, and in the order they
were queued among equals (the activeQ sorted by the PrioritySort plugin).

For a pending pod (no nodeName, schedulerName default-scheduler) a scheduling cycle
takes the scheduler cache's snapshot of the nodes (cluster/scheduler/cache.py),
runs the default profile's PreFilter and Filter plugins on the nodes in turn
until it has found numFeasibleNodesToFind feasible ones (every node in a cluster
of fewer than 100; in bigger ones upstream's adaptive percentageOfNodesToScore,
50 % minus 1 % per 125 nodes, at least 5 % and 100 nodes, starting where the
previous cycle stopped), scores the feasible nodes (each plugin's score normalized to 0..100,
times its weight, summed; a single feasible node is taken without scoring, as
upstream does), and picks the highest total, breaking ties by reservoir sampling
with a generator seeded from the cluster seed and the pod, so a scenario replays
identically. The binding cycle runs VolumeBinding's PreBind, then POSTs
pods/<name>/binding and records the Scheduled event
`Successfully assigned <ns>/<pod> to <node>`.

A pod that fits nowhere gets the FailedScheduling event and the condition
PodScheduled=False reason Unschedulable with upstream's message (diagnosis.py), and
waits: any node added or changed in a way that matters to scheduling (labels,
taints, unschedulable, allocatable), any bound pod deleted or finished, and any
change to one of its claims requeues it, as upstream's queueing hints move it out
of the unschedulable pool; so does a pod bound or relabelled that InterPodAffinity's
hint says may let it fit (for a pending pod with required inter-pod terms). Without
such an event it is retried after five minutes (podMaxInUnschedulablePodsDuration).
API errors back off 1 s doubling to 10 s.

Every decision is recorded for the dashboard's scheduler tab outside the
Kubernetes API, in the simulator's own ring of records (cluster/scheduler/records.py;
real kube-scheduler only logs this at -v=10, and a real pod carries no trace of it),
as compact JSON:
    {"nodes": {"<node>": {"filter": {"<plugin>": "ok" | "<reason>", ...},
                          "score": {"<plugin>": 0..100, ...}, "total": <weighted sum>}, ...},
     "weights": {"<plugin>": <weight>, ...}, "chosen": "<node>" | null}
`filter` lists the plugins that ran on the node, in order, up to the first that
rejected it; `score` and `total` appear only for scored nodes. A decision over more
than RECORDED_NODES (decision.py) nodes keeps the chosen node and the best totals, and says how
many it left out ("omitted") and how many nodes the cycle looked at of how many
("evaluated", "of") when it stopped early. The record is written in the same
unit of work as the Binding, or as the FailedScheduling event of an unschedulable
pod (and not again while a retry decides the same).
"""

from __future__ import annotations

import json
import random
from functools import partial
from itertools import compress, repeat
from operator import add, eq, mul
from typing import Iterable

import orjson

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.apiserver.strategy import set_condition
from cluster.component import DONE, Controller, Result, split_key
from cluster.events import NORMAL, WARNING, record
from cluster.scheduler import diagnosis, preemption
from cluster.informers import NODE_NAME_INDEX
from cluster.scheduler.cache import NodeAnswers, NodeInfoCache, NodesAt, ShapeAnswers, in_turn, pod_shape
from cluster.scheduler.diagnosis import priority
from cluster.scheduler.framework import SKIP, CycleState, NodeInfo, Plugin, Status, is_terminal, with_pods
from cluster.scheduler.plugins import default_profile
from cluster.scheduler.plugins.interpod_affinity import has_required_terms, schedulable_after_pod_change
from cluster.scheduler.plugins.volume_binding import VolumeBinding, claim_names, waiting_for_volumes
from cluster.scheduler.decision import Decision
from cluster.scheduler.records import DecisionLog

SCHEDULER_NAME = "default-scheduler"
UNSCHEDULABLE_RETRY = 300.0  # podMaxInUnschedulablePodsDuration
INITIAL_BACKOFF, MAX_BACKOFF = 1.0, 10.0  # podInitialBackoffSeconds, podMaxBackoffSeconds
VOLUME_POLL = 1.0  # how often PreBind looks at the claims again
GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"
MIN_FEASIBLE_NODES_TO_FIND = 100  # minFeasibleNodesToFind
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5  # minFeasibleNodesPercentageToFind
RECORDED_FAILURES = 4096  # unschedulable pods whose last record is remembered, so a same retry is not rewritten


def num_feasible_nodes_to_find(all_nodes: int, percentage: int = 0) -> int:
    """numFeasibleNodesToFind: how many feasible nodes a cycle looks for before it stops filtering."""
    if all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return all_nodes
    if percentage == 0:  # adaptive: 50 % less 1 % per 125 nodes, never under 5 %
        percentage = max(50 - all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(all_nodes * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)


def is_pending(pod: dict) -> bool:
    """A pod this scheduler must place: unbound, ours, alive."""
    spec = pod.get("spec") or {}
    return (
        not spec.get("nodeName")
        and spec.get("schedulerName", SCHEDULER_NAME) == SCHEDULER_NAME
        and not pod["metadata"].get("deletionTimestamp")
        and not is_terminal(pod)
    )


def _key(obj: dict) -> str:
    return f"{obj['metadata'].get('namespace', 'default')}/{obj['metadata']['name']}"


def node_signature(node: dict) -> str:
    """What about a node can change a Filter verdict (a heartbeat alone cannot)."""
    return json.dumps(
        [node["metadata"].get("labels"), node.get("spec"), (node.get("status") or {}).get("allocatable")],
        sort_keys=True,
    )


class Scheduler(Controller):
    name = SCHEDULER_NAME
    watches = ("pods", "nodes", "persistentvolumeclaims")
    sorted_queue = True

    def __init__(self, api: APIServer) -> None:
        super().__init__(api)
        self.plugins = default_profile(api, self)
        self._snapshot: list[NodeInfo] = []  # the current cycle's NodeInfos, for the plugins (Handle)
        #: pending pods with required inter-pod terms, by key; bound pods' (uid, labels) as last heard
        self._inter_pod_pending: dict[str, dict] = {}
        self._assigned: dict[str, tuple[str, dict]] = {}
        self._nominated: dict[str, dict] = {}  # pending pods nominated to a node by a preemption, by key
        #: each pending pod as the queue compares it (isPodUpdated): a change here requeues it, a status update not
        self._pending_specs: dict[str, bytes] = {}
        self._node_signatures: dict[str, str] = {}
        self._backoff: dict[str, float] = {}
        self._cache: NodeInfoCache | None = None
        self._answers = NodeAnswers()
        self._next_start = 0  # nextStartNodeIndex
        self.decisions = DecisionLog(api.cluster)
        self._failed: dict[str, str] = {}  # pod uid -> the record last written for it, while it fits nowhere

    @property
    def cache(self) -> NodeInfoCache:
        if self._cache is None or self._cache.lister is not self.lister:
            self._cache = NodeInfoCache(self.lister)
        return self._cache

    # -- the plugins' Handle -------------------------------------------------------------
    def node_infos(self) -> list[NodeInfo]:
        return self._snapshot

    def namespaces(self) -> list[dict]:
        return self.lister.list("namespaces")

    def namespace(self, name: str) -> dict | None:
        return self.lister.peek("namespaces", None, name)

    # -- the queue ----------------------------------------------------------------
    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        obj = event.object
        if resource == "pods":
            key = _key(obj)
            self._track_nomination(key, obj, event.type)
            if is_pending(obj):
                if event.type == "DELETED" or not has_required_terms(obj):
                    self._inter_pod_pending.pop(key, None)
                else:
                    self._inter_pod_pending[key] = obj
                if event.type == "DELETED":
                    self._pending_specs.pop(key, None)
                    return []
                before, self._pending_specs[key] = self._pending_specs.get(key), _scheduling_view(obj)
                if event.type == "MODIFIED" and before == self._pending_specs[key]:
                    return []  # isPodUpdated: a status-only update (its own FailedScheduling) leaves it waiting
                return [key]
            self._inter_pod_pending.pop(key, None)
            self._pending_specs.pop(key, None)
            if not (obj.get("spec") or {}).get("nodeName"):
                return []
            if event.type == "DELETED" or is_terminal(obj):
                self._assigned.pop(key, None)
                return self.pending_keys()  # an assigned pod freed its resources and ports
            return self._woken_by_assigned(key, obj)
        if resource == "nodes":
            name = obj["metadata"]["name"]
            if event.type == "DELETED":
                self._node_signatures.pop(name, None)
                return []
            signature = node_signature(obj)
            if self._node_signatures.get(name) == signature:
                return []
            self._node_signatures[name] = signature
            return self.pending_keys()
        namespace, claim = obj["metadata"].get("namespace"), obj["metadata"]["name"]
        return [k for k, pod in self._pending(namespace) if claim in claim_names(pod)]

    def queue_rank(self, key: str) -> int:
        """PrioritySort: the pod's priority (spec.priority, set by admission and never changed)."""
        namespace, name = split_key(key)
        pod = self.lister.peek("pods", namespace, name)
        return priority(pod) if pod is not None else 0

    def _track_nomination(self, key: str, pod: dict, kind: str) -> None:
        """The pending pods nominated to a node by a preemption (the scheduling queue's nominator)."""
        if kind != "DELETED" and is_pending(pod) and (pod.get("status") or {}).get("nominatedNodeName"):
            self._nominated[key] = pod
        else:
            self._nominated.pop(key, None)

    def _nominated_for(self, pod: dict) -> dict[str, list[dict]]:
        """addNominatedPods' view: per node, the other pods nominated there with at least this pod's priority,
        whose room the filters keep free for them."""
        found: dict[str, list[dict]] = {}
        for other in self._nominated.values():
            if other["metadata"].get("uid") != pod["metadata"].get("uid") and priority(other) >= priority(pod):
                found.setdefault(other["status"]["nominatedNodeName"], []).append(other)
        return found

    def _woken_by_assigned(self, key: str, pod: dict) -> list[str]:
        """The pending pods with inter-pod terms that a pod newly bound or relabelled may let fit (InterPodAffinity's
        queueing hint); a status update of a bound pod wakes nobody."""
        uid, labels = pod["metadata"].get("uid", ""), pod["metadata"].get("labels") or {}
        previous = self._assigned.get(key)
        self._assigned[key] = (uid, labels)
        if previous == (uid, labels) or not self._inter_pod_pending:
            return []
        old = None
        if previous is not None and previous[0] == uid:
            old = {**pod, "metadata": {**pod["metadata"], "labels": previous[1]}}
        return sorted(k for k, p in self._inter_pod_pending.items() if schedulable_after_pod_change(p, old, pod))

    def _pending(self, namespace: str | None = None) -> list[tuple[str, dict]]:
        unbound = sorted(self.lister.by_index("pods", NODE_NAME_INDEX, ""), key=_key)
        return [
            (_key(p), p)
            for p in unbound
            if is_pending(p) and (namespace is None or p["metadata"].get("namespace") == namespace)
        ]

    def pending_keys(self) -> list[str]:
        return [key for key, _pod in self._pending()]

    # -- one pod --------------------------------------------------------------------
    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        try:
            pod = self.lister.get("pods", namespace, name)
            if not is_pending(pod):
                self._backoff.pop(key, None)
                return DONE
            result = self.schedule_pod(pod)
        except StatusError as err:
            if err.code not in (404, 409):
                raise
            if err.code == 404:
                return DONE
            return Result(requeue_after=self._next_backoff(key))
        self._backoff.pop(key, None)
        return result

    def _next_backoff(self, key: str) -> float:
        delay = self._backoff.get(key, INITIAL_BACKOFF / 2) * 2
        self._backoff[key] = min(delay, MAX_BACKOFF)
        return self._backoff[key]

    def schedule_pod(self, pod: dict) -> Result:
        if (pod.get("spec") or {}).get("schedulingGates"):
            self._set_condition(pod, "SchedulingGated", GATED_MESSAGE)
            return DONE
        if waiting_for_volumes(self.api, pod):
            return Result(requeue_after=VOLUME_POLL)
        decision = self.schedule_one(pod)
        if decision.node is None:
            self.handle_failure(pod, decision)
            return Result(requeue_after=UNSCHEDULABLE_RETRY)
        if not self._pre_bind(decision, decision.node):
            return Result(requeue_after=VOLUME_POLL)
        self.bind(pod, decision)
        return DONE

    # -- the scheduling cycle -------------------------------------------------------------
    def schedule_one(self, pod: dict) -> Decision:
        nodes = self._snapshot = self.cache.snapshot()
        decision = Decision(all_nodes=len(nodes), names=self.cache.names)
        if not nodes:
            decision.message = diagnosis.ERR_NO_NODES
            return decision
        active, rejection = self._pre_filter(decision.state, pod)
        nominated = self._nominated_for(pod)
        run = partial(self._filter_status, decision.state, pod, active, nominated)
        if rejection is not None:
            decision.verdicts = [{rejection.plugin: rejection.message()}] * len(nodes)
            post = self._post_filter(decision, pod, nodes, {}, run)
            decision.message = diagnosis.fit_error(
                len(nodes), {}, pre_filter_msg=rejection.message(), post_filter_msg=post
            )
            return decision
        if self._fits_nominated_node(decision, pod, active, with_pods(nodes, nominated)):
            return decision
        answers = self._answers_for(pod, active) if not nominated else ShapeAnswers(len(self.plugins))
        statuses, places = self._find_feasible(decision, pod, active, with_pods(nodes, nominated), answers)
        if not places:
            post = self._post_filter(decision, pod, nodes, statuses, run)
            decision.message = diagnosis.fit_error(len(nodes), statuses, post_filter_msg=post)
            return decision
        if len(places) == 1:
            decision.node = decision.names[places[0]]
            return decision
        totals = self._score(decision, pod, NodesAt(nodes, places), answers)
        rng = random.Random(
            f"{self.api.cluster.seed}:{pod['metadata'].get('uid')}:{pod['metadata'].get('resourceVersion')}"
        )
        decision.node = decision.names[select_host(places, totals, rng)]
        return decision

    def _filter_status(
        self, state: CycleState, pod: dict, plugins: list[Plugin], nominated: dict[str, list[dict]], node: NodeInfo
    ) -> Status:
        """RunFilterPluginsWithNominatedPods: the node judged as if the pods nominated to it ran there."""
        return self._filter(state, pod, plugins, with_pods([node], nominated)[0])[0]

    def _fits_nominated_node(self, decision: Decision, pod: dict, active: list[Plugin], nodes: list[NodeInfo]) -> bool:
        """evaluateNominatedNode: a pod that preempted is tried on its nominated node before any other; when it fits,
        the decision is that node, its Filter verdicts the only ones."""
        nominated = (pod.get("status") or {}).get("nominatedNodeName")
        place = next((i for i, n in enumerate(nodes) if n.name == nominated), None) if nominated else None
        if place is None:
            return False
        status, verdicts = self._filter(decision.state, pod, active, nodes[place])
        if status.ok:
            decision.node, decision.start, decision.verdicts = nominated, place, [verdicts]
        return status.ok

    def _post_filter(
        self,
        decision: Decision,
        pod: dict,
        nodes: list[NodeInfo],
        statuses: dict[str, Status],
        run: preemption.FilterRun,
    ) -> str:
        """RunPostFilterPlugins (DefaultPreemption): the node it nominates goes into the decision; "" then, else the
        message of why preemption cannot help."""
        pdbs = self.lister.list("poddisruptionbudgets") if any(preemption.could_preempt(pod, n) for n in nodes) else []
        outcome = preemption.preempt(pod, nodes, statuses, run, pdbs)
        decision.nominated = outcome.candidate
        return outcome.message

    def _pre_filter(self, state: CycleState, pod: dict) -> tuple[list[Plugin], Status | None]:
        """RunPreFilterPlugins: the Filter plugins that will judge the nodes (those that implement Filter and
        did not Skip), or the PreFilter rejection."""
        active: list[Plugin] = []
        for plugin in self.plugins:
            status = plugin.pre_filter(state, pod)
            if status.code == SKIP:
                continue
            if status.rejected:
                status.plugin = plugin.name
                return active, status
            if type(plugin).filter is not Plugin.filter:  # a score-only plugin (BalancedAllocation) filters nothing
                active.append(plugin)
        return active, None

    def _answers_for(self, pod: dict, active: list[Plugin]) -> ShapeAnswers:
        """The answers kept for pods of this one's shape; answers for this cycle only when a plugin that reads
        more than the pod and the node (VolumeBinding) judges it."""
        if all(plugin.node_local for plugin in active):
            return self._answers.for_shape(pod_shape(pod), len(self.plugins))
        return ShapeAnswers(len(self.plugins))

    def _find_feasible(
        self, decision: Decision, pod: dict, active: list[Plugin], nodes: list[NodeInfo], answers: ShapeAnswers
    ) -> tuple[dict[str, Status], list[int]]:
        """findNodesThatPassFilters: nodes in turn from nextStartNodeIndex until enough are feasible.

        Returns the statuses of the nodes rejected when none is feasible (for the diagnosis) and the
        places of the feasible nodes. The Filter plugins run only on the nodes the walk reaches whose
        NodeInfo changed since a pod of this shape was filtered there.
        """
        answers.follow(self.cache)
        start = self._next_start % len(nodes)
        places, walked = answers.walk(
            start,
            num_feasible_nodes_to_find(len(nodes)),
            lambda place: self._filter(decision.state, pod, active, nodes[place]),
        )
        self._next_start = (start + walked) % len(nodes)
        decision.start, decision.verdicts = start, in_turn(answers.verdicts, start, walked)
        if places:
            return {}, places
        return dict(zip(in_turn(answers.names, start, walked), in_turn(answers.statuses, start, walked))), places

    @staticmethod
    def _filter(state: CycleState, pod: dict, plugins: list[Plugin], node: NodeInfo) -> tuple[Status, dict]:
        """RunFilterPlugins: every plugin in order until the first that rejects the node."""
        verdicts: dict[str, str] = {}
        for plugin in plugins:
            status = plugin.filter(state, pod, node)
            if not status.ok:
                status.plugin = plugin.name
                verdicts[plugin.name] = status.message()
                return status, verdicts
            verdicts[plugin.name] = "ok"
        return Status(), verdicts

    def _score(self, decision: Decision, pod: dict, feasible: NodesAt, answers: ShapeAnswers) -> list[int]:
        """RunScorePlugins: PreScore, then each plugin's Score over all feasible nodes, NormalizeScore, weight.

        Plugin by plugin over the nodes, as upstream runs them, with the scores of one plugin in a list
        in the order of the nodes (upstream's NodeScoreList), so the per-node work stays in list operations.
        """
        totals: Iterable[int] = repeat(0, len(feasible))
        for slot, plugin in enumerate(self.plugins):
            if not plugin.weight or plugin.pre_score(decision.state, pod, feasible).code == SKIP:
                continue
            if plugin.node_local:
                scores = answers.raw_scores(slot, feasible, partial(plugin.score, decision.state, pod))
            else:
                scores = [plugin.score(decision.state, pod, node) for node in feasible]
            plugin.normalize(decision.state, pod, scores)
            decision.scores[plugin.name] = scores
            totals = map(add, totals, scores if plugin.weight == 1 else map(mul, scores, repeat(plugin.weight)))
        decision.scored, decision.totals = feasible.places, list(totals)
        return decision.totals

    # -- the binding cycle -------------------------------------------------------------
    def _pre_bind(self, decision: Decision, node: str) -> bool:
        """RunPreBindPlugins for the node the decision chose."""
        for plugin in self.plugins:
            if isinstance(plugin, VolumeBinding) and "VolumeBinding" in decision.state:
                if not plugin.pre_bind(decision.state, node):
                    return False
        return True

    def bind(self, pod: dict, decision: Decision) -> None:
        """The Binding, the Scheduled event, then kubeclass's record of the decision."""
        meta = pod["metadata"]
        self.api.bind(
            meta["namespace"],
            meta["name"],
            {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
                "target": {"apiVersion": "v1", "kind": "Node", "name": decision.node},
            },
        )
        record(
            self.api,
            pod,
            NORMAL,
            "Scheduled",
            f"Successfully assigned {meta['namespace']}/{meta['name']} to {decision.node}",
            SCHEDULER_NAME,
        )
        self._failed.pop(meta.get("uid", ""), None)
        self.decisions.write(pod, decision.record(self.plugins))

    def handle_failure(self, pod: dict, decision: Decision) -> None:
        """handleSchedulingFailure: the victims of a preemption evicted, the event, the PodScheduled condition (and
        the nominated node), then kubeclass's record."""
        if decision.nominated is not None:
            waiting = list(self._nominated.values())
            preemption.prepare_candidate(self.api, waiting, pod, decision.nominated, SCHEDULER_NAME)
        record(self.api, pod, WARNING, "FailedScheduling", decision.message, SCHEDULER_NAME)
        nominated = decision.nominated.node if decision.nominated is not None else None
        self._set_condition(pod, "Unschedulable", decision.message, nominated)
        uid, wanted = pod["metadata"].get("uid", ""), decision.record(self.plugins)
        if self._failed.get(uid) != wanted:
            self._failed.pop(uid, None)
            self._failed[uid] = wanted
            if len(self._failed) > RECORDED_FAILURES:
                del self._failed[next(iter(self._failed))]
            self.decisions.write(pod, wanted)

    def _set_condition(self, pod: dict, reason: str, message: str, nominated: str | None = None) -> None:
        now = clock.rfc3339(self.api.now())

        def update(current: dict) -> dict:
            set_condition(current, "PodScheduled", "False", now, reason=reason, message=message)
            if nominated:
                current["status"]["nominatedNodeName"] = nominated
            return current

        meta = pod["metadata"]
        self.api.update_with("pods", meta["namespace"], meta["name"], update, subresource="status")


def select_host(places: list[int], totals: list[int], rng: random.Random) -> int:
    """selectHost: the place of the highest total; among equal totals each node is equally likely.

    Upstream samples the tied nodes as a reservoir, one draw per node; one draw over
    all of them picks each with the same chance, 1/ties, and costs one random number
    instead of hundreds when a large cluster's nodes all score alike. The ties are
    taken in the order of their places, which is the order of their names, so a
    seeded generator picks the same node whatever order the cycle found them in.
    """
    best = max(totals)
    ties = sorted(compress(places, map(eq, totals, repeat(best))))
    return ties[rng.randrange(len(ties))]


def _scheduling_view(pod: dict) -> bytes:
    """isPodUpdated's view of a pod: everything but its status, resourceVersion, generation, managedFields and
    finalizers (the scheduling queue requeues an unschedulable pod only when this changed)."""
    meta = {
        k: v
        for k, v in (pod.get("metadata") or {}).items()
        if k not in ("resourceVersion", "generation", "managedFields", "finalizers")
    }
    return orjson.dumps({"metadata": meta, "spec": pod.get("spec")}, option=orjson.OPT_SORT_KEYS)
