"""Voluntary disruptions: PodDisruptionBudgets, the disruption controller, the Eviction API and `kubectl drain`.

The documentation's PDB (minAvailable: 2 over three replicas, as in "Specifying a Disruption
Budget for your Application") and its drain walkthrough ("Safely Drain a Node"), with what
kube-apiserver answers over HTTP and what kubectl v1.32 prints.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cluster.models import Cluster
from tests.workload_sim import KubectlSim

PDB = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web-pdb
spec:
  minAvailable: 2
  selector:
    matchLabels:
      app: web
"""
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


class Sim(KubectlSim):
    """The cluster, kubectl, and HTTP requests with the cluster's token."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster)
        self.http = Client()

    def post(self, path: str, body: dict):
        return self.http.post(
            path,
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.cluster.token}"},
        )

    def pods(self, node: str = "", label: str = "app=web") -> list[dict]:
        field = f"spec.nodeName={node}" if node else None
        return self.api.list("pods", "default", label_selector=label, field_selector=field)["items"]

    def daemon_pods(self, node: str) -> list[str]:
        return [
            f"{p['metadata']['namespace']}/{p['metadata']['name']}"
            for p in self.api.list("pods", None, field_selector=f"spec.nodeName={node}")["items"]
            if any(r.get("kind") == "DaemonSet" for r in p["metadata"].get("ownerReferences") or [])
        ]

    def pdb_status(self) -> dict:
        return self.api.get("poddisruptionbudgets", "default", "web-pdb")["status"]


@pytest.fixture
def sim(cluster: Cluster) -> Sim:
    s = Sim(cluster)
    s.ok("create deployment web --image=nginx:1.27 --replicas=3")
    s.ok("apply -f -", PDB)
    s.wait(20)
    return s


def eviction(name: str) -> dict:
    return {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}}


# -- the budget and its controller -----------------------------------------------------------------------
def test_the_disruption_controller_keeps_the_budgets_status(sim: Sim) -> None:
    status = sim.pdb_status()
    condition = status.pop("conditions")
    assert status == {
        "observedGeneration": 1,
        "disruptionsAllowed": 1,
        "currentHealthy": 3,
        "desiredHealthy": 2,
        "expectedPods": 3,
    }
    assert [(c["type"], c["status"], c["reason"], c["message"], c["observedGeneration"]) for c in condition] == [
        ("DisruptionAllowed", "True", "SufficientPods", "", 1)
    ]
    assert sim.ok("get pdb").splitlines() == [
        "NAME      MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE",
        "web-pdb   2               N/A               1                     20s",
    ]
    assert sim.ok("describe pdb web-pdb") == (
        "Name:           web-pdb\nNamespace:      default\nMin available:  2\nSelector:       app=web\nStatus:\n"
        "    Allowed disruptions:  1\n    Current:              3\n    Desired:              2\n"
        "    Total:                3\nEvents:                   <none>\n"
    )
    sim.ok("scale deployment web --replicas=2")
    sim.wait(10)
    status = sim.pdb_status()
    assert (status["disruptionsAllowed"], status["currentHealthy"], status["expectedPods"]) == (0, 2, 2)
    assert status["conditions"][0]["reason"] == "InsufficientPods"


def test_a_percentage_or_max_unavailable_counts_the_controllers_scale(sim: Sim) -> None:
    sim.ok("""patch pdb web-pdb --type=merge -p '{"spec":{"minAvailable":null,"maxUnavailable":"50%"}}'""")
    sim.ok("scale deployment web --replicas=5")
    sim.wait(15)
    status = sim.pdb_status()
    assert (status["expectedPods"], status["desiredHealthy"], status["disruptionsAllowed"]) == (5, 2, 3)
    assert status["observedGeneration"] == 2
    assert sim.ok("get pdb --no-headers").split()[1:4] == ["N/A", "50%", "3"]


def test_a_budget_cannot_have_both_min_available_and_max_unavailable(sim: Sim) -> None:
    code, _, err = sim.run(
        "apply -f -", PDB.replace("minAvailable: 2", "minAvailable: 2\n  maxUnavailable: 1").replace("web-pdb", "both")
    )
    assert code == 1 and "minAvailable and maxUnavailable cannot be both set" in err
    code, _, err = sim.run("apply -f -", PDB.replace("minAvailable: 2", "minAvailable: 120%").replace("web-pdb", "x"))
    assert code == 1 and "spec.minAvailable: Invalid value" in err and "must not be greater than 100%" in err


# -- the Eviction API -----------------------------------------------------------------------------------------
def test_the_eviction_api_honours_the_budget(sim: Sim) -> None:
    names = sorted(p["metadata"]["name"] for p in sim.pods())
    base = "/api/v1/namespaces/default/pods/{}/eviction"
    first = sim.post(base.format(names[0]), eviction(names[0]))
    assert (first.status_code, first.json()) == (
        201,
        {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201},
    )
    status = sim.pdb_status()
    assert status["disruptionsAllowed"] == 0 and list(status["disruptedPods"]) == [names[0]]
    evicted = sim.api.get("pods", "default", names[0])
    assert evicted["metadata"]["deletionTimestamp"]
    target = next(c for c in evicted["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (target["reason"], target["message"]) == ("EvictionByEvictionAPI", "Eviction API: evicting")
    second = sim.post(base.format(names[1]), eviction(names[1]))
    assert (second.status_code, second.json()) == (
        429,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": VIOLATION,
            "reason": "TooManyRequests",
            "details": {
                "causes": [
                    {
                        "reason": "DisruptionBudget",
                        "message": "The disruption budget web-pdb needs 2 healthy pods and has 3 currently",
                    }
                ]
            },
            "code": 429,
        },
    )  # not recounted yet
    assert sim.api.get("pods", "default", names[1])["metadata"].get("deletionTimestamp") is None
    sim.wait(20)  # the replacement is ready: the budget allows one again
    assert sim.pdb_status()["disruptionsAllowed"] == 1 and "disruptedPods" not in sim.pdb_status()
    assert sim.post(base.format(names[1]), eviction(names[1])).status_code == 201


def test_the_eviction_api_refuses_a_mismatched_name_and_a_missing_pod(sim: Sim) -> None:
    name = sim.pods()[0]["metadata"]["name"]
    response = sim.post(f"/api/v1/namespaces/default/pods/{name}/eviction", eviction("other"))
    assert (
        response.status_code == 400
        and response.json()["message"] == "name in URL does not match name in Eviction object"
    )
    response = sim.post("/api/v1/namespaces/default/pods/nope/eviction", eviction("nope"))
    assert response.status_code == 404 and response.json()["message"] == 'pods "nope" not found'


def test_a_pending_pod_is_evicted_without_spending_the_budget(sim: Sim) -> None:
    sim.ok(
        "apply -f -",
        """
apiVersion: v1
kind: Pod
metadata: {name: lone, labels: {app: web}}
spec:
  nodeSelector: {kubernetes.io/hostname: nowhere}
  containers: [{name: c, image: nginx:1.27}]
""",
    )
    response = sim.post("/api/v1/namespaces/default/pods/lone/eviction", eviction("lone"))
    assert response.status_code == 201
    assert sim.pdb_status()["disruptionsAllowed"] == 1


# -- kubectl drain -----------------------------------------------------------------------------------------------
def test_drain_stops_at_daemonset_pods_unless_told_to_ignore_them(sim: Sim) -> None:
    daemons = sim.daemon_pods("worker-1")
    assert daemons, "kube-system's DaemonSets run a pod on every node"
    code, out, err = sim.run("drain worker-1")
    assert code == 1 and out == "node/worker-1 cordoned\n"
    problem = f"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {', '.join(daemons)}"
    assert err == (
        f'error: unable to drain node "worker-1" due to error: {problem}, continuing command...\n'
        f"There are pending nodes to be drained:\n worker-1\n{problem}\n"
    )
    pod = sim.pods("worker-1")[0]["metadata"]["name"]
    code, out, err = sim.run("drain worker-1 --ignore-daemonsets")
    assert code == 0
    assert out == (
        f"node/worker-1 already cordoned\nevicting pod default/{pod}\npod/{pod} evicted\nnode/worker-1 drained\n"
    )
    assert err == f"Warning: ignoring DaemonSet-managed Pods: {', '.join(daemons)}\n"
    node = sim.api.get("nodes", None, "worker-1")
    assert node["spec"]["unschedulable"] is True
    assert {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"} in node["spec"]["taints"]
    assert sim.ok("get node worker-1 --no-headers").split()[1] == "Ready,SchedulingDisabled"
    assert sim.pods("worker-1") == [] and len(sim.pods()) == 3  # replaced elsewhere
    events = [
        (e["reason"], e["message"])
        for e in sim.api.list("events", "default")["items"]
        if e["involvedObject"]["name"] == "worker-1"
    ]
    assert ("NodeNotSchedulable", "Node worker-1 status is now: NodeNotSchedulable") in events
    assert sim.ok("uncordon worker-1") == "node/worker-1 uncordoned\n"
    sim.wait(5)
    assert not sim.api.get("nodes", None, "worker-1")["spec"].get("taints")


def test_drain_refuses_unmanaged_and_emptydir_pods_unless_forced(sim: Sim) -> None:
    sim.ok(
        "apply -f -",
        """
apiVersion: v1
kind: Pod
metadata: {name: lone}
spec:
  nodeName: worker-2
  containers: [{name: c, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata: {name: scratch}
spec:
  nodeName: worker-2
  containers: [{name: c, image: nginx:1.27, volumeMounts: [{name: tmp, mountPath: /tmp}]}]
  volumes: [{name: tmp, emptyDir: {}}]
""",
    )
    sim.wait(5)
    daemons = ", ".join(sim.daemon_pods("worker-2"))
    code, out, err = sim.run("drain worker-2 --ignore-daemonsets")
    first = "cannot delete cannot delete Pods that declare no controller (use --force to override): default/lone"
    second = "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch"
    assert (code, out) == (1, "node/worker-2 cordoned\n")
    assert err == (
        f'error: unable to drain node "worker-2" due to error: [{first}, {second}], continuing command...\n'
        f"There are pending nodes to be drained:\n worker-2\n{first}\n{second}\n"
    )
    code, out, err = sim.run("drain worker-2 --ignore-daemonsets --force --delete-emptydir-data --dry-run=client")
    web = [p["metadata"]["name"] for p in sim.pods("worker-2")]
    assert code == 0
    assert out == (
        "node/worker-2 already cordoned (dry run)\n"
        + "".join(f"evicting pod default/{name} (dry run)\n" for name in ["lone", "scratch", *web])
        + "node/worker-2 drained (dry run)\n"
    )
    unmanaged = ", ".join(["default/lone", "default/scratch"])
    assert err == (
        f"Warning: deleting Pods that declare no controller: {unmanaged}; ignoring DaemonSet-managed Pods: {daemons}\n"
    )
    code, out, _ = sim.run("drain worker-2 --ignore-daemonsets --force --delete-emptydir-data --grace-period=5")
    assert code == 0 and out.endswith("node/worker-2 drained\n")
    assert {line for line in out.splitlines() if line.endswith(" evicted")} == {
        f"pod/{name} evicted" for name in ["lone", "scratch", *web]
    }


def test_drain_retries_while_the_budget_forbids_and_gives_up_at_its_timeout(sim: Sim) -> None:
    sim.ok("""patch pdb web-pdb --type=merge -p '{"spec":{"minAvailable":3}}'""")
    sim.wait(5)
    pod = sim.pods("worker-3")[0]["metadata"]["name"]
    code, out, err = sim.run("drain worker-3 --ignore-daemonsets --timeout=12s")
    assert code == 1
    assert out == "node/worker-3 cordoned\n" + f"evicting pod default/{pod}\n" * 4
    retry = f'error when evicting pods/"{pod}" -n "default" (will retry after 5s): {VIOLATION}\n'
    timeout = f'error when evicting pods/"{pod}" -n "default": global timeout reached: 12s'
    daemons = ", ".join(sim.daemon_pods("worker-3"))
    assert err == (
        f"Warning: ignoring DaemonSet-managed Pods: {daemons}\n"
        + retry * 3
        + f'There are pending pods in node "worker-3" when an error occurred: {timeout}\npod/{pod}\n'
        f'error: unable to drain node "worker-3" due to error: {timeout}, continuing command...\n'
        f"There are pending nodes to be drained:\n worker-3\n{timeout}\n"
    )
    assert sim.api.get("pods", "default", pod)["metadata"].get("deletionTimestamp") is None


def test_drain_usage_errors(sim: Sim) -> None:
    assert sim.run("drain") == (
        1,
        "",
        "error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples\n",
    )
    assert sim.run("drain nope") == (1, "", 'Error from server (NotFound): nodes "nope" not found\n')
