"""The daemonset controller: one pod per eligible node, placed through the scheduler, rolled out and back."""

from __future__ import annotations

import pytest

from cluster.apiserver.errors import StatusError
from cluster.bootstrap import node_manifest
from cluster.controllers.controller_utils import is_pod_ready
from cluster.controllers.daemonset_pods import daemon_tolerations, should_run
from tests.workload_sim import FLUENTD, Sim, labels


def daemonset(name: str = "agent", image: str = "nginx:1.27", **spec: object) -> str:
    extra = "".join(f"  {key}: {value}\n" for key, value in spec.items())
    return f"""
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {name}
spec:
{extra}  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: main
        image: {image}
"""


@pytest.fixture
def sim(cluster) -> Sim:
    return Sim(cluster)


def nodes_of(sim: Sim, prefix: str, namespace: str = "default") -> list[str]:
    return sorted(
        p["spec"].get("nodeName", "") for p in sim.pods(namespace, prefix) if not p["metadata"].get("deletionTimestamp")
    )


def test_the_fluentd_daemonset_of_the_documentation_puts_a_pod_on_every_node(sim):
    sim.apply(FLUENTD)
    sim.run(20)
    pods = sim.pods("kube-system", "fluentd-elasticsearch-")
    # the documentation's DaemonSet tolerates the control-plane taint: on kind it runs there too
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["kind-control-plane", "worker-1", "worker-2", "worker-3"]
    ds = sim.get("daemonsets", "fluentd-elasticsearch", "kube-system")
    assert ds["metadata"]["annotations"] == {"deprecated.daemonset.template.generation": "1"}
    assert ds["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    [revision] = [
        r
        for r in sim.api.list("controllerrevisions", "kube-system")["items"]  # kindnet and kube-proxy
        if r["metadata"]["name"].startswith("fluentd-elasticsearch-")
    ]  # have theirs too
    assert revision["revision"] == 1
    hash_ = revision["metadata"]["labels"]["controller-revision-hash"]
    assert revision["data"]["spec"]["template"]["$patch"] == "replace"
    for pod in pods:
        assert labels(pod) == {
            "name": "fluentd-elasticsearch",
            "controller-revision-hash": hash_,
            "pod-template-generation": "1",
        }
        terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert terms == {
            "nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [pod["spec"]["nodeName"]]}]}
            ]
        }
        keys = [(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]]
        assert keys == [
            ("node-role.kubernetes.io/control-plane", "NoSchedule"),
            ("node-role.kubernetes.io/master", "NoSchedule"),
            ("node.kubernetes.io/not-ready", "NoExecute"),
            ("node.kubernetes.io/unreachable", "NoExecute"),
            ("node.kubernetes.io/disk-pressure", "NoSchedule"),
            ("node.kubernetes.io/memory-pressure", "NoSchedule"),
            ("node.kubernetes.io/pid-pressure", "NoSchedule"),
            ("node.kubernetes.io/unschedulable", "NoSchedule"),
        ]
    name, desired, current, _ready, up_to_date, _available, node_selector, _age = sim.rows("get ds -n kube-system")[0]
    assert (name, desired, current, up_to_date, node_selector) == ("fluentd-elasticsearch", "4", "4", "4", "<none>")
    assert sim.ok("get ds -n kube-system").splitlines()[0].split() == [
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "NODE",
        "SELECTOR",
        "AGE",
    ]
    events = [e for e in sim.events("DaemonSet", "kube-system") if "fluentd-elasticsearch-" in e[2]]
    assert sorted(m for _t, _r, m in events) == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)


def test_a_running_daemonset_is_ready_and_rolled_out(sim):
    sim.apply(daemonset())
    sim.run(30)
    assert sim.rows("get ds agent")[0][:6] == ["agent", "3", "3", "3", "3", "3"]
    assert sim.ok("rollout status ds/agent") == 'daemon set "agent" successfully rolled out\n'
    described = sim.ok("describe ds agent")
    assert "Desired Number of Nodes Scheduled: 3\n" in described
    assert "Number of Nodes Scheduled with Available Pods: 3\n" in described
    assert "Pods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" in described


def test_a_node_added_later_gets_a_pod_and_a_cordoned_one_keeps_it(sim):
    sim.apply(daemonset())
    sim.run(10)
    sim.api.create("nodes", None, node_manifest("worker-4", 4, 1))
    sim.run(20)
    assert nodes_of(sim, "agent-") == ["worker-1", "worker-2", "worker-3", "worker-4"]
    sim.ok("cordon worker-2")
    sim.run(20)
    assert nodes_of(sim, "agent-") == ["worker-1", "worker-2", "worker-3", "worker-4"]


def test_a_node_selector_picks_the_nodes_and_follows_their_labels(sim):
    sim.ok("label node worker-2 disk=ssd")
    sim.apply(
        daemonset().replace(
            "    spec:\n      containers:", "    spec:\n      nodeSelector: {disk: ssd}\n      containers:"
        )
    )
    sim.run(20)
    assert nodes_of(sim, "agent-") == ["worker-2"]
    assert sim.rows("get ds agent")[0][1] == "1" and sim.rows("get ds agent")[0][6] == "disk=ssd"
    sim.ok("label node worker-3 disk=ssd")
    sim.run(10)
    assert nodes_of(sim, "agent-") == ["worker-2", "worker-3"]
    sim.ok("label node worker-2 disk-")
    sim.run(40)
    assert nodes_of(sim, "agent-") == ["worker-3"]


def test_taints_keep_daemon_pods_away_unless_tolerated(sim):
    sim.ok("taint node worker-3 dedicated=gpu:NoSchedule")
    sim.apply(daemonset())
    sim.run(20)
    assert nodes_of(sim, "agent-") == ["worker-1", "worker-2"]
    sim.ok("taint node worker-1 evict=now:NoExecute")
    sim.run(40)
    assert nodes_of(sim, "agent-") == ["worker-2"]  # a NoExecute taint it does not tolerate removes it


def test_the_controller_adds_tolerations_for_node_problems():
    tolerations = daemon_tolerations({"hostNetwork": True})
    assert {
        "key": "node.kubernetes.io/network-unavailable",
        "operator": "Exists",
        "effect": "NoSchedule",
    } in tolerations
    node = {
        "metadata": {"name": "n", "labels": {}},
        "spec": {"taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]},
    }
    ds = {"spec": {"template": {"spec": {}}}}
    assert should_run(node, ds) == (True, True)
    node["spec"]["taints"].append({"key": "x", "value": "y", "effect": "NoSchedule"})
    assert should_run(node, ds) == (False, True)  # a pod already there may stay


def test_a_rolling_update_replaces_one_pod_at_a_time(sim):
    sim.apply(daemonset())
    sim.run(30)
    sim.ok("set image ds/agent main=nginx:1.28")
    seen_unavailable = 0
    for _ in range(40):
        sim.run(1)
        status = sim.get("daemonsets", "agent")["status"]
        seen_unavailable = max(seen_unavailable, status.get("numberUnavailable", 0))
    assert seen_unavailable == 1  # maxUnavailable 1
    pods = sim.pods(prefix="agent-")
    assert len(pods) == 3 and {p["spec"]["containers"][0]["image"] for p in pods} == {"nginx:1.28"}
    assert sim.ok("rollout status ds/agent") == 'daemon set "agent" successfully rolled out\n'
    assert sim.get("daemonsets", "agent")["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    assert {labels(p)["pod-template-generation"] for p in pods} == {"2"}


def test_max_surge_starts_the_new_pod_before_the_old_one_goes(sim):
    sim.apply(daemonset(updateStrategy="{type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}"))
    sim.run(30)
    sim.ok("set image ds/agent main=nginx:1.28")
    most = 0
    for _ in range(40):
        sim.run(1)
        live = [p for p in sim.pods(prefix="agent-") if not p["metadata"].get("deletionTimestamp")]
        most = max(most, len(live))
        serving = {p["spec"]["nodeName"] for p in live if is_pod_ready(p)}
        assert serving == {"worker-1", "worker-2", "worker-3"}  # no node is ever without a ready pod
    assert most == 4
    assert {p["spec"]["containers"][0]["image"] for p in sim.pods(prefix="agent-")} == {"nginx:1.28"}


def test_on_delete_replaces_a_pod_only_when_it_is_deleted(sim):
    sim.apply(daemonset(updateStrategy="{type: OnDelete}"))
    sim.run(30)
    sim.ok("set image ds/agent main=nginx:1.28")
    sim.run(30)
    assert {p["spec"]["containers"][0]["image"] for p in sim.pods(prefix="agent-")} == {"nginx:1.27"}
    assert sim.rows("get ds agent")[0][4] == "0"  # UP-TO-DATE
    victim = sim.pods(prefix="agent-")[0]["metadata"]["name"]
    sim.ok(f"delete pod {victim}")
    sim.run(40)
    images = sorted(p["spec"]["containers"][0]["image"] for p in sim.pods(prefix="agent-"))
    assert images == ["nginx:1.27", "nginx:1.27", "nginx:1.28"]
    code, _out, err = sim.kubectl("rollout status ds/agent")
    assert (code, err) == (1, "error: rollout status is only available for RollingUpdate strategy type\n")


def test_rollout_history_and_undo_use_controller_revisions(sim):
    sim.apply(daemonset())
    sim.run(30)
    sim.ok("set image ds/agent main=nginx:1.28")
    sim.run(60)
    assert (
        sim.ok("rollout history ds/agent")
        == "daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    )
    assert "Image:\tnginx:1.27" in sim.ok("rollout history ds/agent --revision=1")
    assert sim.ok("rollout undo ds/agent") == "daemonset.apps/agent rolled back\n"
    sim.run(60)
    assert {p["spec"]["containers"][0]["image"] for p in sim.pods(prefix="agent-")} == {"nginx:1.27"}
    revisions = {r["revision"]: r["metadata"]["name"] for r in sim.api.list("controllerrevisions", "default")["items"]}
    assert sorted(revisions) == [2, 3]  # revision 1's template is back: it is renumbered 3
    assert (
        sim.ok("rollout undo ds/agent --to-revision=3")
        == "daemonset.apps/agent skipped rollback (current template already matches revision 3)\n"
    )
    assert sim.ok("rollout restart ds/agent") == "daemonset.apps/agent restarted\n"
    code, _out, err = sim.kubectl("rollout pause ds/agent")
    assert (code, err) == (1, 'error: daemonsets.apps "agent" pausing is not supported\n')


@pytest.mark.parametrize(
    "strategy, message",
    [
        (
            "{type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}",
            "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, "
            'IntVal:1, StrVal:""}: '
            "may not be set when maxUnavailable is non-zero",
        ),
        (
            "{type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}",
            "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0",
        ),
    ],
)
def test_invalid_daemonsets_are_refused_with_upstreams_message(sim, strategy, message):
    with pytest.raises(StatusError) as refused:
        sim.apply(daemonset(updateStrategy=strategy))
    assert message in refused.value.message


def test_a_daemonset_selector_must_match_and_cannot_change(sim):
    with pytest.raises(StatusError, match="`selector` does not match template `labels`"):
        sim.apply(daemonset().replace("matchLabels: {app: agent}", "matchLabels: {app: other}"))
    sim.apply(daemonset())
    patch = """'{"spec":{"selector":{"matchLabels":{"x":"y"}}}}'"""
    code, _out, err = sim.kubectl(f"patch ds agent --type=merge -p {patch}")
    assert code == 1 and "field is immutable" in err


def test_required_node_affinity_in_the_template_narrows_the_nodes(sim):
    sim.ok("label node worker-1 zone=a")
    sim.ok("label node worker-3 zone=b")
    affinity = (
        "    spec:\n      affinity:\n        nodeAffinity:\n"
        "          requiredDuringSchedulingIgnoredDuringExecution:"
        "\n            nodeSelectorTerms:\n            - matchExpressions:\n              - {key: zone, "
        "operator: In, values: [a, b]}\n      containers:"
    )
    sim.apply(daemonset().replace("    spec:\n      containers:", affinity))
    sim.run(20)
    assert nodes_of(sim, "agent-") == ["worker-1", "worker-3"]
    pod = sim.pods(prefix="agent-")[0]  # the pod's own required terms name just its node
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"] == [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [pod["spec"]["nodeName"]]}]}
    ]


def test_deleting_a_daemonset_collects_its_pods_and_revisions(sim):
    sim.apply(daemonset())
    sim.run(20)
    sim.ok("delete ds agent")
    sim.run(30)
    assert sim.pods(prefix="agent-") == [] and sim.api.list("controllerrevisions", "default")["items"] == []
