"""The statefulset controller: stable names, ordered pods, per-pod claims, DNS, rolling updates, history.

The StatefulSet basics tutorial's `web` (a headless Service `nginx` and two nginx-slim replicas with a
`www` claim each) and each behaviour it walks through.
"""

from __future__ import annotations

import pytest

from cluster import clock, dns
from cluster.apiserver.errors import StatusError
from cluster.controllers.history import fnv32, hash_revision, template_patch
from tests.workload_sim import WEB, Sim, labels


@pytest.fixture
def sim(cluster) -> Sim:
    return Sim(cluster)


def names(sim: Sim, prefix: str = "web-") -> list[str]:
    return [p["metadata"]["name"] for p in sim.pods(prefix=prefix) if not p["metadata"].get("deletionTimestamp")]


def images(sim: Sim) -> dict[str, str]:
    return {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in sim.pods(prefix="web-")}


def messages(sim: Sim, reason: str) -> list[str]:
    return [m for _t, r, m in sim.events("StatefulSet") if r == reason]


def test_the_web_statefulset_of_the_tutorial_starts_its_pods_in_order(sim):
    sim.apply(WEB)
    sim.run(0.5)
    assert names(sim) == ["web-0"]  # web-1 waits until web-0 is Running and Ready
    sim.run(30)
    web0, web1 = sim.pods(prefix="web-")
    assert clock.parse_rfc3339(web1["metadata"]["creationTimestamp"]) > clock.parse_rfc3339(
        web0["status"]["conditions"][0]["lastTransitionTime"]
    )
    assert sim.rows("get statefulset web")[0][:2] == ["web", "2/2"]
    assert sim.ok("get sts web").splitlines()[0].split() == ["NAME", "READY", "AGE"]
    for ordinal, pod in enumerate((web0, web1)):
        name = f"web-{ordinal}"
        assert pod["spec"]["hostname"] == name and pod["spec"]["subdomain"] == "nginx"
        assert labels(pod)["statefulset.kubernetes.io/pod-name"] == name
        assert labels(pod)["apps.kubernetes.io/pod-index"] == str(ordinal)
        assert {"name": "www", "persistentVolumeClaim": {"claimName": f"www-{name}"}} in pod["spec"]["volumes"]
        claim = sim.get("persistentvolumeclaims", f"www-{name}")
        assert claim["status"]["phase"] == "Bound" and labels(claim) == {"app": "nginx"}
        code, answer = dns.nslookup(sim.api, f"{name}.nginx")
        assert (
            code == 0
            and f"Name:\t{name}.nginx.default.svc.cluster.local\nAddress: {pod['status']['podIP']}\n" in answer
        )
    assert messages(sim, "SuccessfulCreate") == [
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-0 in StatefulSet web successful",
        "create Claim www-web-1 Pod web-1 in StatefulSet web success",
        "create Pod web-1 in StatefulSet web successful",
    ]
    status = sim.get("statefulsets", "web")["status"]
    assert status["replicas"] == status["readyReplicas"] == status["availableReplicas"] == 2
    assert status["currentRevision"] == status["updateRevision"] and status["collisionCount"] == 0
    assert sim.ok("rollout status sts/web") == "partitioned roll out complete: 2 new pods have been updated...\n"


def test_the_revision_name_is_upstreams_hash_of_the_template(sim):
    sim.apply(WEB)
    sim.run(5)
    sts = sim.get("statefulsets", "web")
    [revision] = sim.api.list("controllerrevisions", "default")["items"]
    data = template_patch(sts)
    assert revision["data"] == data and revision["revision"] == 1
    assert revision["metadata"]["name"] == f"web-{hash_revision(data, 0)}" == sts["status"]["updateRevision"]
    assert labels(revision) == {"app": "nginx", "controller-revision-hash": hash_revision(data, 0)}
    assert {labels(p)["controller-revision-hash"] for p in sim.pods(prefix="web-")} == {revision["metadata"]["name"]}
    assert (fnv32(b""), fnv32(b"a"), fnv32(b"foobar")) == (0x811C9DC5, 0x050C5D7E, 0x31F0B262)  # FNV-1 vectors


def test_a_deleted_pod_comes_back_with_its_name_and_its_claim(sim):
    sim.apply(WEB)
    sim.run(30)
    before = sim.get("pods", "web-1")["metadata"]["uid"]
    sim.ok("delete pod web-1")
    sim.run(40)
    again = sim.get("pods", "web-1")
    assert again["metadata"]["uid"] != before and again["status"]["phase"] == "Running"
    assert {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}} in again["spec"]["volumes"]
    assert len(sim.api.list("persistentvolumeclaims", "default")["items"]) == 2


def test_scaling_adds_pods_in_order_and_removes_them_from_the_highest(sim):
    sim.apply(WEB)
    sim.run(30)
    assert sim.ok("scale sts web --replicas=5") == "statefulset.apps/web scaled\n"
    sim.run(60)
    assert names(sim) == ["web-0", "web-1", "web-2", "web-3", "web-4"]
    sim.ok("scale sts web --replicas=3")
    sim.run(60)
    assert names(sim) == ["web-0", "web-1", "web-2"]
    assert messages(sim, "SuccessfulDelete") == [
        "delete Pod web-4 in StatefulSet web successful",
        "delete Pod web-3 in StatefulSet web successful",
    ]
    claims = sorted(c["metadata"]["name"] for c in sim.api.list("persistentvolumeclaims", "default")["items"])
    assert claims == [f"www-web-{i}" for i in range(5)]  # whenScaled: Retain keeps the claims


def test_parallel_pod_management_starts_every_pod_at_once(sim):
    sim.apply(
        WEB.replace('serviceName: "nginx"', 'serviceName: "nginx"\n  podManagementPolicy: Parallel').replace(
            "replicas: 2", "replicas: 3"
        )
    )
    sim.run(0.5)
    assert names(sim) == ["web-0", "web-1", "web-2"]


def test_a_rolling_update_goes_from_the_highest_ordinal_down(sim):
    sim.apply(WEB.replace("replicas: 2", "replicas: 3"))
    sim.run(40)
    sim.ok("set image sts/web nginx=registry.k8s.io/nginx-slim:0.21")
    sim.run(120)
    assert set(images(sim).values()) == {"registry.k8s.io/nginx-slim:0.21"}
    assert messages(sim, "SuccessfulDelete") == [f"delete Pod web-{i} in StatefulSet web successful" for i in (2, 1, 0)]
    status = sim.get("statefulsets", "web")["status"]
    assert status["currentRevision"] == status["updateRevision"] and status["updatedReplicas"] == 3


def test_a_partition_keeps_the_lower_ordinals_on_the_old_template(sim):
    sim.apply(WEB.replace("replicas: 2", "replicas: 3"))
    sim.run(40)
    sim.ok("""patch sts web -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}'""")
    sim.ok("set image sts/web nginx=registry.k8s.io/nginx-slim:0.21")
    sim.run(60)
    assert images(sim) == {
        "web-0": "registry.k8s.io/nginx-slim:0.24",
        "web-1": "registry.k8s.io/nginx-slim:0.24",
        "web-2": "registry.k8s.io/nginx-slim:0.21",
    }
    assert sim.ok("rollout status sts/web") == "partitioned roll out complete: 1 new pods have been updated...\n"
    status = sim.get("statefulsets", "web")["status"]
    assert status["currentRevision"] != status["updateRevision"]
    assert (status["currentReplicas"], status["updatedReplicas"]) == (2, 1)
    sim.ok("""patch sts web -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}'""")
    sim.run(90)
    assert set(images(sim).values()) == {"registry.k8s.io/nginx-slim:0.21"}


def test_on_delete_updates_a_pod_only_when_it_is_deleted(sim):
    sim.apply(WEB.replace('serviceName: "nginx"', 'serviceName: "nginx"\n  updateStrategy: {type: OnDelete}'))
    sim.run(30)
    sim.ok("set image sts/web nginx=registry.k8s.io/nginx-slim:0.21")
    sim.run(30)
    assert set(images(sim).values()) == {"registry.k8s.io/nginx-slim:0.24"}
    sim.ok("delete pod web-0")
    sim.run(40)
    assert images(sim) == {"web-0": "registry.k8s.io/nginx-slim:0.21", "web-1": "registry.k8s.io/nginx-slim:0.24"}


def test_rollout_history_undo_and_restart(sim):
    sim.apply(WEB)
    sim.run(30)
    sim.ok("set image sts/web nginx=registry.k8s.io/nginx-slim:0.21")
    sim.run(90)
    assert (
        sim.ok("rollout history sts/web")
        == "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    )
    assert sim.ok("rollout undo sts/web") == "statefulset.apps/web rolled back\n"
    sim.run(90)
    assert set(images(sim).values()) == {"registry.k8s.io/nginx-slim:0.24"}
    assert sorted(r["revision"] for r in sim.api.list("controllerrevisions", "default")["items"]) == [2, 3]
    assert sim.ok("rollout restart sts/web") == "statefulset.apps/web restarted\n"
    sim.run(90)
    template = sim.get("statefulsets", "web")["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
    assert sim.ok("rollout status sts/web").startswith("partitioned roll out complete: 2 new pods")
    code, _out, err = sim.kubectl("rollout undo sts/web --to-revision=9")
    assert (code, err) == (1, "error: unable to find specified revision 9 in history\n")


def test_describe_statefulset(sim):
    sim.apply(WEB)
    sim.run(30)
    described = sim.ok("describe sts web")
    for line in (
        "Replicas:           2 desired | 2 total\n",
        "Update Strategy:    RollingUpdate\n",
        "  Partition:        0\n",
        "Pods Status:        2 Running / 0 Waiting / 0 Succeeded / 0 Failed\n",
        "Volume Claims:\n",
        "  Capacity:      1Gi\n",
        "  Access Modes:  [ReadWriteOnce]\n",
    ):
        assert line in described


@pytest.mark.parametrize(
    "change, message",
    [
        (("name: web\nspec", "name: web.v1\nspec"), 'metadata.name: Invalid value: "web.v1": must not contain dots'),
        (
            ("replicas: 2", "replicas: 2\n  podManagementPolicy: Sometimes"),
            "spec.podManagementPolicy: Invalid value: \"Sometimes\": must be 'OrderedReady' or 'Parallel'",
        ),
        (("app: nginx\n  template", "app: other\n  template"), "`selector` does not match template `labels`"),
    ],
)
def test_invalid_statefulsets_are_refused(sim, change, message):
    with pytest.raises(StatusError) as refused:
        sim.apply(WEB.split("---")[1].replace(*change))
    assert message in refused.value.message


def test_only_some_statefulset_fields_may_change(sim):
    sim.apply(WEB)
    code, _out, err = sim.kubectl("""patch sts web -p '{"spec":{"serviceName":"other"}}'""")
    assert (
        code == 1
        and "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', "
        "'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
        "'minReadySeconds' are forbidden"
        in err
    )


def test_deleting_a_statefulset_keeps_the_claims(sim):
    sim.apply(WEB)
    sim.run(30)
    sim.ok("delete sts web")
    sim.run(60)
    assert names(sim) == [] and sim.api.list("controllerrevisions", "default")["items"] == []
    assert sorted(c["metadata"]["name"] for c in sim.api.list("persistentvolumeclaims", "default")["items"]) == [
        "www-web-0",
        "www-web-1",
    ]  # whenDeleted: Retain
    sim.apply(WEB.split("---")[1])
    sim.run(40)
    assert names(sim) == ["web-0", "web-1"]  # made again, they mount the same claims
    assert len(sim.api.list("persistentvolumeclaims", "default")["items"]) == 2


def test_the_retention_policy_can_delete_claims_with_their_set_or_scaled_pods(sim):
    policy = "  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Delete}\n  replicas: 3"
    sim.apply(WEB.replace("  replicas: 2", policy))
    sim.run(40)
    claim = sim.get("persistentvolumeclaims", "www-web-0")
    sts = sim.get("statefulsets", "web")
    assert claim["metadata"]["ownerReferences"] == [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": sts["metadata"]["uid"]}
    ]
    sim.ok("scale sts web --replicas=2")
    sim.run(40)
    claims = sorted(c["metadata"]["name"] for c in sim.api.list("persistentvolumeclaims", "default")["items"])
    assert claims == ["www-web-0", "www-web-1"]  # web-2's claim went with web-2
    sim.ok("delete sts web")
    sim.run(60)
    assert sim.api.list("persistentvolumeclaims", "default")["items"] == []
