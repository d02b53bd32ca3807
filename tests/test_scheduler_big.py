"""The scheduler in big clusters: upstream's percentageOfNodesToScore, and reused answers against a fresh
scheduler's."""

from __future__ import annotations

import json

import pytest

from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.scheduler.framework import Status
from cluster.scheduler.decision import RECORDED_NODES
from cluster.scheduler.scheduler import Scheduler, num_feasible_nodes_to_find
from tests import scheduler_common
from tests.scheduler_common import decision_about, make_pod, failed_scheduling

cluster = scheduler_common.cluster  # the fixture


# -- big clusters: upstream's percentageOfNodesToScore --------------------------------------
@pytest.mark.parametrize(
    "all_nodes, expected",
    [
        (3, 3),
        (99, 99),  # under minFeasibleNodesToFind every node is searched
        (100, 100),
        (150, 100),  # 50 % - 1 % would be 75: raised to the floor of 100
        (1000, 420),  # 50 - 1000/125 = 42 %
        (5000, 500),  # 10 %
        (6000, 300),  # 50 - 48 = 2 %, raised to 5 %
    ],
)
def test_feasible_nodes_to_find_follow_the_adaptive_percentage(all_nodes: int, expected: int) -> None:
    assert num_feasible_nodes_to_find(all_nodes) == expected


def test_a_big_cluster_stops_searching_at_enough_feasible_nodes_and_starts_the_next_cycle_after(db) -> None:
    api = APIServer(create_cluster("wide", nodes=120, seed=1, addons=False), client="test")
    scheduler = Scheduler(api)
    for name in ("first", "second"):
        make_pod(api, name, cpu="10m")
        scheduler.reconcile(f"default/{name}")
    first, second = (decision_about(api, n) for n in ("first", "second"))
    assert (first["evaluated"], first["of"]) == (second["evaluated"], second["of"]) == (100, 120)
    assert len(first["nodes"]) == RECORDED_NODES and first["omitted"] == 100 - RECORDED_NODES
    assert first["chosen"] in first["nodes"]
    # nextStartNodeIndex: the first cycle searched nodes 0..99 (name order), the second 100..119 then 0..79
    names = sorted(n["metadata"]["name"] for n in api.list("nodes")["items"])
    assert first["chosen"] in names[:100]
    assert second["chosen"] in names[100:] + names[:80]
    assert scheduler._next_start == 80


def test_reused_answers_match_a_fresh_evaluation(db) -> None:
    """Replicas of one shape reuse per-node answers; the choice equals what a fresh scheduler computes."""
    api = APIServer(create_cluster("shape", nodes=4, seed=3, addons=False), client="test")
    warm = Scheduler(api)
    for index in range(6):
        make_pod(api, f"p{index}", cpu="300m", memory="256Mi")
        fresh = Scheduler(api)
        decision = fresh.schedule_one(api.get("pods", "default", f"p{index}"))
        chosen_fresh = decision.node
        # the record the scheduler panel reads is the text json.dumps would write (orjson writes it faster)
        record = decision.record(fresh.plugins)
        assert record == json.dumps(json.loads(record), separators=(",", ":")) and chosen_fresh in record
        warm.reconcile(f"default/p{index}")
        assert api.get("pods", "default", f"p{index}")["spec"]["nodeName"] == chosen_fresh


# -- reused answers against a fresh scheduler, at a size where a cycle stops early -------------
def _vary(index: int):
    """Node `worker-<index>`'s own mix of labels, taints and cordon."""

    def change(node: dict) -> dict:
        spec, labels = node["spec"], node["metadata"]["labels"]
        if index % 7 == 0:
            spec["taints"] = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
        if index % 5 == 0:
            spec.setdefault("taints", []).append({"key": "soft", "effect": "PreferNoSchedule"})
        if index % 11 == 0:
            spec["unschedulable"] = True
        labels["zone"] = f"z{index % 3}"
        if index % 4 == 0:
            labels["disk"] = "ssd"
        return node

    return change


def _resize(index: int):
    """Node `worker-<index>`'s allocatable cpu, 1 to 3.5 cores (a status change, as the kubelet reports it)."""

    def change(node: dict) -> dict:
        node["status"]["allocatable"]["cpu"] = f"{1000 + (index % 6) * 500}m"
        return node

    return change


def _toggle_cordon(node: dict) -> dict:
    node["spec"]["unschedulable"] = not node["spec"].get("unschedulable")
    node["metadata"]["labels"]["disk"] = "ssd"
    return node


PREFERRED = {
    "nodeAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1"]}]}},
            {"weight": 3, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}},
        ]
    }
}
SHAPES: list[dict] = [
    {"cpu": "300m", "memory": "64Mi"},
    {"cpu": "700m", "nodeSelector": {"disk": "ssd"}},
    {"cpu": "10m", "tolerations": [{"key": "dedicated", "operator": "Exists"}]},
    {"cpu": "300m", "affinity": PREFERRED},
    {"nodeSelector": {"zone": "nowhere"}},  # fits nowhere
    {"cpu": "3600m"},  # more than any node has
    {
        "cpu": "200m",
        "tolerations": [{"key": "soft", "operator": "Exists", "effect": "PreferNoSchedule"}],
        "nodeSelector": {"zone": "z2"},
    },
    {"cpu": "300m", "nodeSelector": {"kubernetes.io/hostname": "worker-30"}},  # one node: taken unscored, until full
    {
        "cpu": "900m",
        "nodeSelector": {"kubernetes.io/hostname": "worker-30"},  # room there only by preemption
        "priorityClassName": "system-cluster-critical",
    },
    {"cpu": "2600m"},  # only the biggest nodes
]


def _varied_cluster(name: str, nodes: int) -> APIServer:
    api = APIServer(create_cluster(name, nodes=nodes, seed=5, addons=False), client="test")
    for index in range(1, nodes + 1):
        api.update_with("nodes", None, f"worker-{index}", _vary(index))
        api.update_with("nodes", None, f"worker-{index}", _resize(index), subresource="status")
    return api


def _warm_against_fresh(api: APIServer, pods: int) -> dict[str, int]:
    """Schedule `pods` pods of SHAPES in turn with a warm scheduler, as the reconciler runs it (informer
    cache, answers reused per shape), and check each decision against a fresh scheduler's on the same state:
    chosen node, annotation, FailedScheduling message and where the next cycle starts. Nodes change and
    bound pods go away on the way. Returns how often each ran the Filter plugins."""
    from cluster.informers import CachedLister, SharedInformers

    informers = SharedInformers(api, Scheduler.watches)
    informers.sync()
    since = api.current_revision()
    warm = Scheduler(api)
    warm.lister = CachedLister(api, informers)
    filter_runs = {"warm": 0, "fresh": 0}

    def counted(scheduler: Scheduler, who: str) -> Scheduler:
        plugin = scheduler.plugins[0]
        original = plugin.filter

        def filter_(*args: object) -> Status:
            filter_runs[who] += 1
            return original(*args)

        plugin.filter = filter_
        return scheduler

    counted(warm, "warm")
    nodes = len(api.list("nodes")["items"])
    for index in range(pods):
        name = f"p{index}"
        if index % 10 == 9:
            api.update_with("nodes", None, f"worker-{index * 13 % nodes + 1}", _toggle_cordon)
        if index % 16 == 15:
            bound = api.get("pods", "default", f"p{index // 2}")
            if bound["spec"].get("nodeName"):
                api.delete("pods", "default", bound["metadata"]["name"], grace_period_seconds=0)
        shape = dict(SHAPES[index % len(SHAPES)])
        make_pod(api, name, cpu=shape.pop("cpu", None), memory=shape.pop("memory", None), **shape)
        while True:
            batch, resume = api.watch_many(list(Scheduler.watches), since)
            for resource, event in batch:
                informers.apply(resource, event)
            if resume == since:
                break
            since = resume

        fresh = counted(Scheduler(api), "fresh")
        fresh._next_start = warm._next_start
        expected = fresh.schedule_one(api.get("pods", "default", name))
        warm.reconcile(f"default/{name}")
        pod = api.get("pods", "default", name)
        assert pod["spec"].get("nodeName") == expected.node, name
        assert decision_about(api, name) == json.loads(expected.record(fresh.plugins)), name
        assert failed_scheduling(api, name) == ([expected.message] if expected.node is None else []), name
        assert warm._next_start == fresh._next_start, name
    return filter_runs


def test_reused_answers_decide_as_a_fresh_scheduler_in_a_big_varied_cluster(db) -> None:
    """200 nodes: each cycle stops at 100 feasible nodes, so the rotation (nextStartNodeIndex), the
    omitted nodes and the ranking of the recorded ones all come into play."""
    api = _varied_cluster("varied", 200)
    filter_runs = _warm_against_fresh(api, 50)
    scheduled = [p for p in api.list("pods", "default")["items"] if p["spec"].get("nodeName")]
    assert 20 < len(scheduled) < 50
    assert filter_runs["warm"] < filter_runs["fresh"] / 3, filter_runs  # the answers were reused


def test_answers_start_over_when_the_cache_lets_old_updates_go(db, monkeypatch) -> None:
    """The cache keeps a short list of the NodeInfos it replaced; answers that fell behind it start over."""
    monkeypatch.setattr("cluster.scheduler.cache.MAX_UPDATES", 2)
    _warm_against_fresh(_varied_cluster("forgetful", 120), 20)
