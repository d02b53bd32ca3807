"""PriorityClasses (scheduling.k8s.io/v1) and the Priority admission plugin, through kubectl and the HTTP API.

The examples are the documentation's ("Pod Priority and Preemption"); the refusals are kube-apiserver's
words, checked against the real kubectl v1.32 on a live kubeclass.
"""

from __future__ import annotations

import pytest

from cluster.apiserver.http import protobuf
from cluster.apiserver.server import APIServer
from tests.container_sim import Sim
from tests.test_http_api import Kube

HIGH_PRIORITY = """
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high-priority
value: 1000000
globalDefault: false
description: "This priority class should be used for XYZ service pods only."
"""

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: nginx
    image: nginx
  {extra}
"""

# kubectl create priorityclass batch-low --value=-5 --description="may wait" --preemption-policy=Never, as the
# real kubectl v1.32 posts it (its -v=9 hex dump, read back)
PRIORITY_CLASS_BODY = (
    b'k8s\x00\n%\n\x14scheduling.k8s.io/v1\x12\rPriorityClass\x129\n\x19\n\tbatch-low\x12\x00\x1a\x00"\x00*\x002'
    b'\x008\x00B\x00\x10\xfb\xff\xff\xff\xff\xff\xff\xff\xff\x01\x18\x00"\x08may wait*\x05Never\x1a\x00"\x00'
)


@pytest.fixture
def sim(cluster) -> Sim:
    return Sim(cluster)


def pod_priority(sim: Sim, name: str) -> tuple[int, str, str]:
    spec = sim.pod(name)["spec"]
    return spec["priority"], spec.get("priorityClassName", ""), spec["preemptionPolicy"]


def test_a_new_cluster_has_the_two_system_classes(sim: Sim) -> None:
    rows = [line.split() for line in sim.ok("get", "priorityclasses").splitlines()]
    assert rows[0] == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    assert [(r[0], r[1], r[2], r[4]) for r in rows[1:]] == [
        ("system-cluster-critical", "2000000000", "false", "PreemptLowerPriority"),
        ("system-node-critical", "2000001000", "false", "PreemptLowerPriority"),
    ]
    coredns = next(
        p for p in sim.api.list("pods", "kube-system")["items"] if p["metadata"]["name"].startswith("coredns")
    )
    assert (coredns["spec"]["priority"], coredns["spec"]["priorityClassName"]) == (
        2000000000,
        "system-cluster-critical",
    )


def test_a_pod_takes_the_value_of_the_class_it_names(sim: Sim) -> None:
    sim.apply(HIGH_PRIORITY)
    sim.apply(POD.format(name="vip", extra="priorityClassName: high-priority"))
    sim.apply(POD.format(name="plain", extra=""))
    assert pod_priority(sim, "vip") == (1000000, "high-priority", "PreemptLowerPriority")
    assert pod_priority(sim, "plain") == (0, "", "PreemptLowerPriority")  # no class, no default: 0
    described = sim.ok("describe", "pod", "vip")
    assert "Priority:             1000000\n" in described
    assert "Priority Class Name:  high-priority\n" in described


def test_the_global_default_class_is_given_to_pods_that_name_none(sim: Sim) -> None:
    sim.ok("create", "priorityclass", "everyday", "--value=100", "--global-default")
    sim.apply(POD.format(name="plain", extra=""))
    assert pod_priority(sim, "plain") == (100, "everyday", "PreemptLowerPriority")


def test_a_class_that_never_preempts_passes_its_policy_on(sim: Sim) -> None:
    sim.ok("create", "priorityclass", "batch-low", "--value=-5", "--preemption-policy=Never")
    sim.apply(POD.format(name="batch", extra="priorityClassName: batch-low"))
    assert pod_priority(sim, "batch") == (-5, "batch-low", "Never")


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (
            ["create", "priorityclass", "system-mine", "--value=5"],
            'error: failed to create priorityclass: PriorityClass.scheduling.k8s.io "system-mine" is invalid: '
            "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use "
            "only. error: system-mine is not a known system priority class\n",
        ),
        (
            ["create", "priorityclass", "big", "--value=1000000001"],
            'error: failed to create priorityclass: PriorityClass.scheduling.k8s.io "big" is invalid: value: '
            "Forbidden: maximum allowed value of a user defined priority is 1000000000\n",
        ),
        (
            ["delete", "priorityclass", "system-node-critical"],
            'Error from server (Forbidden): priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: '
            "this is a system priority class and cannot be deleted\n",
        ),
    ],
)
def test_what_the_api_server_refuses(sim: Sim, argv: list[str], error: str) -> None:
    assert sim.run(*argv)[1:] == ("", error)


def test_only_one_class_is_the_global_default_and_a_value_never_changes(sim: Sim) -> None:
    sim.ok("create", "priorityclass", "d1", "--value=1", "--global-default")
    assert sim.run("create", "priorityclass", "d2", "--value=2", "--global-default")[2] == (
        'error: failed to create priorityclass: priorityclasses.scheduling.k8s.io "d2" is forbidden: '
        "PriorityClass d1 is already marked as default. Only one default can exist\n"
    )
    code, _, err = sim.run("patch", "priorityclass", "d1", "--type=merge", "-p", '{"value": 7}')
    assert code == 1 and "value: Forbidden: may not be changed in an update." in err


def test_a_pod_must_name_a_class_that_exists_and_may_not_bring_its_own_priority(sim: Sim) -> None:
    code, _, err = sim.run("apply", "-f", "-", stdin=POD.format(name="x", extra="priorityClassName: nope"))
    assert code == 1 and err == (
        'Error from server (Forbidden): error when creating "STDIN": pods "x" is forbidden: no PriorityClass with '
        "name nope was found\n"
    )
    sim.apply(HIGH_PRIORITY)
    code, _, err = sim.run(
        "apply", "-f", "-", stdin=POD.format(name="x", extra="priorityClassName: high-priority\n  priority: 5")
    )
    assert code == 1 and err == (
        'Error from server (Forbidden): error when creating "STDIN": pods "x" is forbidden: the integer value of '
        "priority (5) must not be provided in pod spec; priority admission controller computed 1000000 from the "
        "given PriorityClass name\n"
    )


def test_the_real_kubectls_protobuf_body_creates_the_class(cluster, api: APIServer) -> None:
    assert protobuf.decode(PRIORITY_CLASS_BODY) == {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "batch-low"},
        "value": -5,
        "description": "may wait",
        "preemptionPolicy": "Never",
    }
    created = Kube(cluster).request(
        "POST",
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        PRIORITY_CLASS_BODY,
        content_type="application/vnd.kubernetes.protobuf",
    )
    assert created.status_code == 201, created.content
    stored = api.get("priorityclasses", "", "batch-low")
    assert (stored["value"], stored["description"], stored["preemptionPolicy"]) == (-5, "may wait", "Never")
