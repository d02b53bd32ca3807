"""InterPodAffinity: where pods with pod affinity and anti-affinity go, what a user is told when they fit
nowhere, and that reused per-shape answers decide as a fresh scheduler does for such pods.

The first tests run the documentation's example ("Assigning Pods to Nodes": a redis-cache Deployment whose
pods avoid each other, a web-server Deployment whose pods go next to them) on the kind-shaped cluster with
every control loop; the rest drive the scheduler through the API server on three workers.
"""

from __future__ import annotations

import json

import pytest

from cluster.apiserver.server import APIServer, WatchEvent
from cluster.bootstrap import create_cluster
from cluster.models import Cluster
from cluster.scheduler.scheduler import Scheduler
from tests.scheduler_common import decision_about, failed_scheduling, pod_scheduled, set_node
from tests.workload_sim import Sim

HOSTNAME = "kubernetes.io/hostname"

# https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#more-practical-use-cases
REDIS_CACHE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis-cache
spec:
  selector:
    matchLabels:
      app: store
  replicas: 3
  template:
    metadata:
      labels:
        app: store
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchExpressions:
              - key: app
                operator: In
                values:
                - store
            topologyKey: "kubernetes.io/hostname"
      containers:
      - name: redis-server
        image: redis:3.2-alpine
"""
WEB_SERVER = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-server
spec:
  selector:
    matchLabels:
      app: web-store
  replicas: 3
  template:
    metadata:
      labels:
        app: web-store
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchExpressions:
              - key: app
                operator: In
                values:
                - web-store
            topologyKey: "kubernetes.io/hostname"
        podAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchExpressions:
              - key: app
                operator: In
                values:
                - store
            topologyKey: "kubernetes.io/hostname"
      containers:
      - name: web-app
        image: nginx:1.16-alpine
"""
WORKERS = ["worker-1", "worker-2", "worker-3"]
TAINTED = "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"


def _placement(sim: Sim, prefix: str) -> dict[str, str]:
    """pod name -> node, for the pods whose names start with `prefix`."""
    return {p["metadata"]["name"]: p["spec"].get("nodeName", "") for p in sim.pods(prefix=prefix)}


def _failed(sim: Sim, pod: str) -> list[str]:
    return [m for _t, reason, m in _events_of(sim, pod) if reason == "FailedScheduling"]


def _events_of(sim: Sim, pod: str) -> list[tuple[str, str, str]]:
    items = [e for e in sim.api.list("events", "default")["items"] if e["involvedObject"]["name"] == pod]
    return [(e["type"], e["reason"], e["message"]) for e in items]


def _names(sim: Sim) -> list[str]:
    return sorted(n["metadata"]["name"] for n in sim.api.list("nodes")["items"])


# -- the documentation's example, every control loop running ------------------------------------
def test_redis_cache_replicas_spread_one_per_worker_and_a_fourth_stays_pending(cluster: Cluster) -> None:
    sim = Sim(cluster)
    assert _names(sim) == ["kind-control-plane", *WORKERS]
    sim.apply(REDIS_CACHE)
    sim.run(30)
    placed = _placement(sim, "redis-cache-")
    assert sorted(placed.values()) == WORKERS, placed  # one on each worker
    assert all(p["status"]["phase"] == "Running" for p in sim.pods(prefix="redis-cache-"))

    sim.ok("scale deployment redis-cache --replicas=4")
    sim.run(30)
    pending = [name for name, node in _placement(sim, "redis-cache-").items() if not node]
    assert len(pending) == 1
    message = (
        f"0/4 nodes are available: {TAINTED}, 3 node(s) didn't match pod anti-affinity rules. "
        "preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, "
        "3 No preemption victims found for incoming pod."
    )
    assert set(_failed(sim, pending[0])) == {message}
    pod = sim.get("pods", pending[0])
    condition = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert (condition["status"], condition["reason"], condition["message"]) == ("False", "Unschedulable", message)
    row = next(r for r in sim.rows("get pods -o wide") if r[0] == pending[0])
    assert row[2] == "Pending" and row[6] == "<none>"


def test_web_servers_wait_for_the_store_then_go_next_to_it_never_two_on_a_node(cluster: Cluster) -> None:
    sim = Sim(cluster)
    sim.apply(WEB_SERVER)  # before any store pod exists: nothing its affinity could be next to
    sim.run(20)
    web = _placement(sim, "web-server-")
    assert len(web) == 3 and not any(web.values())
    assert set(_failed(sim, sorted(web)[0])) == {
        f"0/4 nodes are available: {TAINTED}, 3 node(s) didn't match pod affinity rules. "
        "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
    }

    sim.apply(REDIS_CACHE)
    sim.run(30)  # well within the five minutes an unschedulable pod waits without a hint
    store, web = _placement(sim, "redis-cache-"), _placement(sim, "web-server-")
    assert sorted(store.values()) == WORKERS
    assert sorted(web.values()) == WORKERS  # each next to a store pod, never two on one node
    assert all(p["status"]["phase"] == "Running" for p in sim.pods(prefix="web-server-"))
    for name in web:
        assert ("Normal", "Scheduled", f"Successfully assigned default/{name} to {web[name]}") in _events_of(sim, name)


def test_web_servers_after_the_store_land_beside_it(cluster: Cluster) -> None:
    sim = Sim(cluster)
    sim.apply(REDIS_CACHE)
    sim.run(20)
    sim.apply(WEB_SERVER)
    sim.run(20)
    by_node: dict[str, list[str]] = {}
    for pod in sim.pods():
        by_node.setdefault(pod["spec"].get("nodeName", ""), []).append(pod["metadata"]["labels"]["app"])
    assert {node: sorted(apps) for node, apps in by_node.items()} == {node: ["store", "web-store"] for node in WORKERS}
    # one more web server: every worker has one already
    sim.ok("scale deployment web-server --replicas=4")
    sim.run(20)
    pending = [n for n, node in _placement(sim, "web-server-").items() if not node]
    assert len(pending) == 1
    assert set(_failed(sim, pending[0])) == {
        f"0/4 nodes are available: {TAINTED}, 3 node(s) didn't match pod anti-affinity rules. "
        "preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, "
        "3 No preemption victims found for incoming pod."
    }


# -- three workers, the scheduler driven through the API server -----------------------------------
PREEMPT_3_NOT_HELPFUL = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."


@pytest.fixture
def api(db) -> APIServer:
    """Three workers and nothing else, as tests/scheduler_common.py's cluster: the counts below are about them."""
    return APIServer(create_cluster("workers", nodes=3, seed=1, addons=False), client="test")


def term(selector: dict, topology_key: str = HOSTNAME, **extra: object) -> dict:
    return {"labelSelector": {"matchLabels": selector}, "topologyKey": topology_key, **extra}


def weighted(weight: int, selector: dict, topology_key: str = HOSTNAME) -> dict:
    return {"weight": weight, "podAffinityTerm": term(selector, topology_key)}


def pod(
    api: APIServer,
    name: str,
    labels: dict | None = None,
    node: str | None = None,
    namespace: str = "default",
    affinity: dict | None = None,
    **spec: object,
) -> dict:
    body: dict = {"containers": [{"name": "app", "image": "nginx"}], **spec}
    if node:
        body["nodeName"] = node
    if affinity:
        body["affinity"] = affinity
    return api.create(
        "pods",
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels if labels is not None else {"app": name}},
            "spec": body,
        },
    )


def schedule(api: APIServer, name: str) -> str | None:
    Scheduler(api).reconcile(f"default/{name}")
    return api.get("pods", "default", name)["spec"].get("nodeName")


def schedule_and_get(api: APIServer, name: str, labels: dict, affinity: dict) -> str | None:
    pod(api, name, labels, affinity=affinity)
    return schedule(api, name)


def required(kind: str, *terms: dict) -> dict:
    return {kind: {"requiredDuringSchedulingIgnoredDuringExecution": list(terms)}}


def preferred(kind: str, *terms: dict) -> dict:
    return {kind: {"preferredDuringSchedulingIgnoredDuringExecution": list(terms)}}


def label_node(api: APIServer, name: str, **labels: str) -> None:
    def change(node: dict) -> dict:
        node["metadata"]["labels"].update(labels)
        return node

    api.update_with("nodes", None, name, change)


def test_the_first_pod_with_affinity_to_its_own_kind_goes_anywhere_the_rest_follow_it(api: APIServer) -> None:
    own = required("podAffinity", term({"app": "cache"}))
    first = schedule_and_get(api, "cache-1", {"app": "cache"}, own)
    assert first
    assert decision_about(api, "cache-1")["nodes"][first]["filter"]["InterPodAffinity"] == "ok"
    for name in ("cache-2", "cache-3"):
        assert schedule_and_get(api, name, {"app": "cache"}, own) == first


def test_affinity_to_pods_that_do_not_exist_and_not_to_itself_leaves_the_pod_pending(api: APIServer) -> None:
    pod(api, "web", {"app": "web"}, affinity=required("podAffinity", term({"app": "store"})))
    assert schedule(api, "web") is None
    message = "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. " + PREEMPT_3_NOT_HELPFUL
    assert failed_scheduling(api, "web") == [message]
    condition = pod_scheduled(api, "web")
    assert (condition["status"], condition["reason"], condition["message"]) == ("False", "Unschedulable", message)


@pytest.mark.parametrize(
    "zone_on, expected",
    [
        (["worker-2"], "worker-2"),  # the other nodes lack the topology label: they fail even the first pod
        ([], None),
    ],
)
def test_a_node_without_the_affinity_topology_label_fails(api: APIServer, zone_on: list, expected) -> None:
    for name in zone_on:
        label_node(api, name, zone="a")
    pod(api, "cache", {"app": "cache"}, affinity=required("podAffinity", term({"app": "cache"}, "zone")))
    assert schedule(api, "cache") == expected
    if expected is None:
        assert failed_scheduling(api, "cache") == [
            "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. " + PREEMPT_3_NOT_HELPFUL
        ]


def test_affinity_over_a_zone_takes_any_node_of_the_zone(api: APIServer) -> None:
    label_node(api, "worker-1", zone="a")
    label_node(api, "worker-2", zone="a")
    label_node(api, "worker-3", zone="b")
    pod(api, "db", {"app": "db"}, node="worker-1")
    affinity = required("podAffinity", term({"app": "db"}, "zone"))
    placed = {schedule_and_get(api, f"app-{index}", {"app": "app"}, affinity) for index in range(6)}
    assert placed == {"worker-1", "worker-2"}


def _namespace(api: APIServer, name: str, labels: dict) -> None:
    api.create(
        "namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    )


@pytest.mark.parametrize(
    "extra, expected",
    [
        ({}, "worker-1"),  # the pod's own namespace: default's db
        ({"namespaces": ["team-a"]}, "worker-3"),
        ({"namespaceSelector": {"matchLabels": {"team": "a"}}}, "worker-3"),
        ({"namespaceSelector": {"matchLabels": {"team": "b"}}}, None),  # no such namespace: no such pod
        ({"namespaces": ["team-a"], "namespaceSelector": {"matchLabels": {"team": "c"}}}, "worker-3"),
    ],
)
def test_affinity_terms_look_in_their_namespaces(api: APIServer, extra: dict, expected: str | None) -> None:
    _namespace(api, "team-a", {"team": "a"})
    _namespace(api, "team-c", {"team": "c"})
    pod(api, "db", {"app": "db"}, node="worker-1")
    pod(api, "db", {"app": "db"}, node="worker-3", namespace="team-a")
    pod(api, "client", {"app": "client"}, affinity=required("podAffinity", term({"app": "db"}, **extra)))
    assert schedule(api, "client") == expected


def test_an_empty_namespace_selector_takes_every_namespace(api: APIServer) -> None:
    _namespace(api, "team-a", {"team": "a"})
    pod(api, "db", {"app": "db"}, node="worker-3", namespace="team-a")
    anti = required("podAntiAffinity", term({"app": "db"}, namespaceSelector={}))
    pod(api, "client", {"app": "client"}, affinity=anti)
    set_node(api, "worker-1", unschedulable=True)
    set_node(api, "worker-2", unschedulable=True)
    assert schedule(api, "client") is None
    assert failed_scheduling(api, "client") == [
        "0/3 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 2 node(s) were unschedulable. "
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling."
    ]


def test_an_existing_pods_anti_affinity_keeps_matching_pods_off_its_node(api: APIServer) -> None:
    """Symmetry: the incoming pod declares nothing; the pod already there refuses it."""
    pod(api, "guard", {"app": "guard"}, node="worker-1", affinity=required("podAntiAffinity", term({"app": "web"})))
    set_node(api, "worker-2", unschedulable=True)
    set_node(api, "worker-3", unschedulable=True)
    pod(api, "web", {"app": "web"})
    assert schedule(api, "web") is None
    assert failed_scheduling(api, "web") == [
        "0/3 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules, "
        "2 node(s) were unschedulable. preemption: 0/3 nodes are available: "
        "1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    ]
    pod(api, "other", {"app": "other"})  # one it does not select may go there
    assert schedule(api, "other") == "worker-1"


def test_preemption_would_help_when_the_refusing_pod_has_a_lower_priority(api: APIServer) -> None:
    """DefaultPreemption tries the node without the lower-priority guard (RemovePod): the pod would fit, so
    the message has no preemption part (kubeclass never evicts)."""
    pod(api, "guard", {"app": "guard"}, node="worker-1", affinity=required("podAntiAffinity", term({"app": "web"})))
    set_node(api, "worker-2", unschedulable=True)
    set_node(api, "worker-3", unschedulable=True)
    pod(api, "web", {"app": "web"}, priorityClassName="system-cluster-critical")
    assert schedule(api, "web") is None
    assert failed_scheduling(api, "web") == [
        "0/3 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules, "
        "2 node(s) were unschedulable."
    ]


def test_anti_affinity_over_a_zone_keeps_the_whole_zone(api: APIServer) -> None:
    label_node(api, "worker-1", zone="a")
    label_node(api, "worker-2", zone="a")
    label_node(api, "worker-3", zone="b")
    pod(api, "db", {"app": "db"}, node="worker-1")
    pod(api, "app", {"app": "app"}, affinity=required("podAntiAffinity", term({"app": "db"}, "zone")))
    assert schedule(api, "app") == "worker-3"
    nodes = decision_about(api, "app")["nodes"]
    assert {n: r["filter"].get("InterPodAffinity") for n, r in nodes.items()} == {
        "worker-1": "node(s) didn't match pod anti-affinity rules",
        "worker-2": "node(s) didn't match pod anti-affinity rules",
        "worker-3": "ok",
    }


@pytest.mark.parametrize(
    "existing, affinity, expected_scores",
    [
        # the pod's preferred affinity (+10 where a cache pod is) and anti-affinity (-30 where a db pod is):
        # raw 10, -20, 0 -> scaled from the lowest to the highest
        (
            [
                ("c1", {"app": "cache"}, "worker-1", None),
                ("c2", {"app": "cache"}, "worker-2", None),
                ("d2", {"app": "db"}, "worker-2", None),
            ],
            {
                **preferred("podAffinity", weighted(10, {"app": "cache"})),
                **preferred("podAntiAffinity", weighted(30, {"app": "db"})),
            },
            {"worker-1": 100, "worker-2": 0, "worker-3": 66},
        ),
        # an existing pod's preferred anti-affinity against the incoming pod (symmetric)
        (
            [("loner", {"app": "loner"}, "worker-1", preferred("podAntiAffinity", weighted(50, {"app": "web"})))],
            None,
            {"worker-1": 0, "worker-2": 100, "worker-3": 100},
        ),
        # an existing pod's required affinity to the incoming pod counts hardPodAffinityWeight (1)
        (
            [("fan", {"app": "fan"}, "worker-3", required("podAffinity", term({"app": "web"})))],
            None,
            {"worker-1": 0, "worker-2": 0, "worker-3": 100},
        ),
    ],
)
def test_preferred_terms_weigh_the_nodes(api: APIServer, existing: list, affinity, expected_scores: dict) -> None:
    for name, labels, node, its_affinity in existing:
        pod(api, name, labels, node=node, affinity=its_affinity)
    pod(api, "web", {"app": "web"}, affinity=affinity)
    chosen = schedule(api, "web")
    decision = decision_about(api, "web")
    assert decision["weights"]["InterPodAffinity"] == 2
    scores = {n: r["score"]["InterPodAffinity"] for n, r in decision["nodes"].items()}
    assert scores == expected_scores
    best = max(expected_scores.values())
    assert expected_scores[chosen] == best


def test_a_pod_without_inter_pod_terms_is_neither_filtered_nor_scored_by_the_plugin(api: APIServer) -> None:
    pod(api, "web", {"app": "web"})
    assert schedule(api, "web")
    decision = decision_about(api, "web")
    for record in decision["nodes"].values():
        assert "InterPodAffinity" not in record["filter"] and "InterPodAffinity" not in record["score"]


# -- when a pending pod is tried again -----------------------------------------------------------
def test_a_store_pod_bound_wakes_the_web_pod_waiting_for_it_and_a_status_update_does_not(api: APIServer) -> None:
    scheduler = Scheduler(api)
    web = pod(api, "web", {"app": "web"}, affinity=required("podAffinity", term({"app": "store"})))
    other = pod(api, "plain", {"app": "plain"}, nodeSelector={"disk": "none"})
    for waiting in (web, other):
        assert scheduler.keys_for("pods", WatchEvent("ADDED", waiting, 0)) == [f"default/{waiting['metadata']['name']}"]
    unrelated = pod(api, "unrelated", {"app": "unrelated"}, node="worker-2")
    assert scheduler.keys_for("pods", WatchEvent("ADDED", unrelated, 0)) == []
    store = pod(api, "store", {"app": "store"}, node="worker-1")
    assert scheduler.keys_for("pods", WatchEvent("ADDED", store, 0)) == ["default/web"]
    assert scheduler.keys_for("pods", WatchEvent("MODIFIED", store, 0)) == []  # e.g. its status: same labels

    def relabel(p: dict) -> dict:
        p["metadata"]["labels"] = {"app": "store"}
        return p

    relabelled = api.update_with("pods", "default", "unrelated", relabel)  # now it is a store pod too
    assert scheduler.keys_for("pods", WatchEvent("MODIFIED", relabelled, 0)) == ["default/web"]
    assert scheduler.reconcile("default/web").requeue_after is None
    assert api.get("pods", "default", "web")["spec"]["nodeName"] in ("worker-1", "worker-2")


# -- reused answers against a fresh scheduler -------------------------------------------------------
ANTI_WEB = required("podAntiAffinity", term({"tier": "web"}))
SHAPES: list[tuple[dict, dict | None]] = [
    ({"tier": "web"}, None),  # no terms: reused answers, until a pod refusing it is somewhere
    ({"tier": "cache"}, required("podAntiAffinity", term({"tier": "cache"}))),
    ({"tier": "web"}, required("podAffinity", term({"tier": "cache"}))),
    ({"tier": "guard"}, ANTI_WEB),  # refuses the web pods that come after it on its node
    ({"tier": "batch"}, preferred("podAntiAffinity", weighted(80, {"tier": "batch"}))),
    ({"tier": "web"}, None),
    ({"tier": "cache"}, {**preferred("podAffinity", weighted(20, {"tier": "web"}))}),
    ({"tier": "web"}, required("podAntiAffinity", term({"tier": "web"}, "zone"))),
]


def test_reused_answers_decide_as_a_fresh_scheduler_for_pods_with_inter_pod_terms(db) -> None:
    """The warm scheduler (informer cache, answers reused per pod shape) and a fresh one decide alike, pod by
    pod, though a shape's answers would differ as the pods around it change."""
    from cluster.informers import CachedLister, SharedInformers

    api = APIServer(create_cluster("interpod", nodes=6, seed=7, addons=False), client="test")
    for index in range(1, 7):
        label_node(api, f"worker-{index}", zone=f"z{index % 2}")
    # the reconciler's shared informers hold the namespaces too (other loops watch them)
    informers = SharedInformers(api, (*Scheduler.watches, "namespaces"))
    informers.sync()
    since = api.current_revision()
    warm = Scheduler(api)
    warm.lister = CachedLister(api, informers)
    placed = 0
    for index in range(40):
        name = f"p{index}"
        if index % 9 == 8:  # a bound pod goes away now and then
            gone = api.get("pods", "default", f"p{index // 2}")
            if gone["spec"].get("nodeName"):
                api.delete("pods", "default", gone["metadata"]["name"], grace_period_seconds=0)
        labels, affinity = SHAPES[index % len(SHAPES)]
        pod(
            api,
            name,
            dict(labels),
            affinity=affinity,
            containers=[{"name": "app", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}}],
        )
        while True:
            batch, resume = api.watch_many(list(Scheduler.watches), since)
            for resource, event in batch:
                informers.apply(resource, event)
            if resume == since:
                break
            since = resume
        fresh = Scheduler(api)
        fresh._next_start = warm._next_start
        expected = fresh.schedule_one(api.get("pods", "default", name))
        warm.reconcile(f"default/{name}")
        got = api.get("pods", "default", name)
        assert got["spec"].get("nodeName") == expected.node, name
        assert decision_about(api, name) == json.loads(expected.record(fresh.plugins)), name
        assert failed_scheduling(api, name) == ([expected.message] if expected.node is None else []), name
        placed += expected.node is not None
    assert 10 < placed < 40  # some fit nowhere: the inter-pod terms did decide
