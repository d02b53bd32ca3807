"""The deployment controller, one reconcile at a time, against upstream's arithmetic and messages."""

from __future__ import annotations

import pytest

from cluster import clock
from cluster.apiserver.server import WatchEvent
from cluster.controllers.controller_utils import compute_hash, is_pod_ready
from cluster.controllers.deployment import DeploymentController
from cluster.controllers.deployment_util import resolve_fenceposts
from cluster.controllers.replicaset import ReplicaSetController
from tests.workloads import (
    deployment,
    events,
    finish_terminating,
    make_ready,
    pods,
    ready_all,
    replica_sets,
    set_image,
    settle,
)


def conditions(d: dict) -> dict[str, dict]:
    return {c["type"]: c for c in d["status"].get("conditions", [])}


def rollout(api, image: str) -> None:
    set_image(api, image)
    for _ in range(40):
        settle(api)
        finish_terminating(api)
        ready_all(api)
        settle(api)
        d = api.get("deployments", "default", "web")
        if (
            d["status"].get("updatedReplicas") == d["spec"]["replicas"] == d["status"].get("availableReplicas")
            and d["status"].get("replicas") == d["spec"]["replicas"]
        ):
            return
    raise AssertionError("rollout did not finish")


def test_new_deployment_creates_one_replicaset_named_by_template_hash(api):
    created = api.create("deployments", "default", deployment(replicas=3))
    DeploymentController(api).reconcile("default/web")

    [rs] = replica_sets(api)
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["spec"]["replicas"] == 3
    assert rs["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "web",
            "uid": created["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    notes = rs["metadata"]["annotations"]
    assert (
        notes["deployment.kubernetes.io/revision"],
        notes["deployment.kubernetes.io/desired-replicas"],
        notes["deployment.kubernetes.io/max-replicas"],
    ) == ("1", "3", "4")
    d = api.get("deployments", "default", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert conditions(d)["Progressing"]["reason"] == "NewReplicaSetCreated"
    assert conditions(d)["Progressing"]["message"] == f'Created new replica set "{rs["metadata"]["name"]}"'
    assert events(api, "ScalingReplicaSet") == [f"Scaled up replica set {rs['metadata']['name']} from 0 to 3"]


def test_reconcile_twice_writes_nothing_the_second_time(api):
    api.create("deployments", "default", deployment())
    settle(api)
    controller = DeploymentController(api)
    controller.reconcile("default/web")
    before = api.current_revision()
    controller.reconcile("default/web")
    assert api.current_revision() == before


def test_pod_template_hash_is_stable_and_follows_the_template():
    template = deployment()["spec"]["template"]
    same = deployment()["spec"]["template"]
    other = deployment(image="nginx:1.28")["spec"]["template"]
    assert compute_hash(template) == compute_hash(same)
    assert compute_hash(template) != compute_hash(other)
    assert compute_hash(template, 1) != compute_hash(template)
    assert set(compute_hash(template)) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert 1 <= len(compute_hash(template)) <= 10


@pytest.mark.parametrize(
    "surge, unavailable, replicas, expected",
    [
        ("25%", "25%", 3, (1, 0)),
        ("25%", "25%", 4, (1, 1)),
        ("25%", "25%", 10, (3, 2)),
        ("30%", 0, 10, (3, 0)),
        (0, 0, 5, (0, 1)),
        ("0%", "0%", 5, (0, 1)),
        (2, "50%", 5, (2, 2)),
        ("25%", "25%", 1, (1, 0)),
    ],
)
def test_fenceposts_round_surge_up_and_unavailable_down(surge, unavailable, replicas, expected):
    assert resolve_fenceposts(surge, unavailable, replicas) == expected


@pytest.mark.parametrize(
    "replicas, surge, unavailable",
    [
        (3, "25%", "25%"),
        (4, 1, 1),
        (10, "30%", 0),
        (5, 0, 1),
        (5, 2, "40%"),
    ],
)
def test_rollout_keeps_pods_within_surge_and_availability_above_max_unavailable(api, replicas, surge, unavailable):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    api.create("deployments", "default", deployment(replicas=replicas, strategy=strategy))
    settle(api)
    ready_all(api)
    settle(api)
    max_surge, max_unavailable = resolve_fenceposts(surge, unavailable, replicas)
    set_image(api, "nginx:1.28")
    for _ in range(60):
        settle(api)
        live = pods(api)
        available = [p for p in live if is_pod_ready(p)]
        assert len(live) <= replicas + max_surge
        assert len(available) >= replicas - max_unavailable
        finish_terminating(api)
        pending = [p for p in pods(api) if not is_pod_ready(p)]
        if not pending:
            d = api.get("deployments", "default", "web")
            if (
                d["status"].get("updatedReplicas")
                == replicas
                == d["status"].get("availableReplicas")
                == d["status"].get("replicas")
            ):
                break
            continue
        make_ready(api, pending[0])  # one pod at a time becomes ready, the slowest rollout there is
    else:
        raise AssertionError("rollout did not finish")
    old, new = replica_sets(api)
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (0, replicas)
    assert all(
        p["metadata"]["labels"]["pod-template-hash"] == new["metadata"]["labels"]["pod-template-hash"]
        for p in pods(api)
    )


def test_finished_rollout_reports_available_and_new_replica_set_available(api):
    api.create("deployments", "default", deployment(replicas=2))
    settle(api)
    ready_all(api)
    settle(api)
    d = api.get("deployments", "default", "web")
    [rs] = replica_sets(api)
    assert {
        k: d["status"].get(k)
        for k in (
            "observedGeneration",
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
            "unavailableReplicas",
        )
    } == {
        "observedGeneration": 1,
        "replicas": 2,
        "updatedReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "unavailableReplicas": None,
    }
    assert list(conditions(d)) == ["Available", "Progressing"]
    assert (conditions(d)["Available"]["reason"], conditions(d)["Available"]["message"]) == (
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
    )
    assert (conditions(d)["Progressing"]["reason"], conditions(d)["Progressing"]["message"]) == (
        "NewReplicaSetAvailable",
        f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.',
    )


def test_unready_pods_leave_deployment_without_minimum_availability(api):
    api.create("deployments", "default", deployment(replicas=4))
    settle(api)
    d = api.get("deployments", "default", "web")
    assert d["status"]["unavailableReplicas"] == 4
    assert (
        conditions(d)["Available"]["status"],
        conditions(d)["Available"]["reason"],
        conditions(d)["Available"]["message"],
    ) == ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")


def test_scaling_during_a_rollout_is_proportional(api):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    api.create("deployments", "default", deployment(replicas=10, strategy=strategy))
    settle(api)
    ready_all(api)
    settle(api)
    set_image(api, "nginx:1.28")
    settle(api)
    old, new = replica_sets(api)
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (8, 5)  # 13 = 10 + maxSurge, 8 = 10 - maxUnavailable

    api.update_scale("deployments", "default", "web", {"spec": {"replicas": 15}})
    DeploymentController(api).reconcile("default/web")
    old, new = replica_sets(api)
    # 18 allowed (15 + 3 surge), 5 to add: old 8*18/13 -> 11 (+3), new 5*18/13 -> 7 (+2).
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (11, 7)
    for rs in (old, new):
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "15"
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "18"
    assert f"Scaled up replica set {old['metadata']['name']} from 8 to 11" in events(api, "ScalingReplicaSet")


@pytest.mark.parametrize("tampered", ["0", "-5", "x"])
def test_a_tampered_max_replicas_annotation_falls_back_to_the_deployments_replicas(api, tampered):
    """getReplicaSetFraction: a max-replicas annotation that is 0, negative or no plain number reads as missing,
    and status.replicas (13 here) stands in; the ReplicaSet still gets its share."""
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    api.create("deployments", "default", deployment(replicas=10, strategy=strategy))
    settle(api)
    ready_all(api)
    settle(api)
    set_image(api, "nginx:1.28")
    settle(api)
    old, new = replica_sets(api)
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (8, 5)
    assert api.get("deployments", "default", "web")["status"]["replicas"] == 13
    api.patch(
        "replicasets",
        "default",
        new["metadata"]["name"],
        {"metadata": {"annotations": {"deployment.kubernetes.io/max-replicas": tampered}}},
        "application/merge-patch+json",
    )

    api.update_scale("deployments", "default", "web", {"spec": {"replicas": 15}})
    DeploymentController(api).reconcile("default/web")
    old, new = replica_sets(api)
    # as with the annotation intact: old 8*18/13 -> 11, new 5*18/13 -> 7 (not 8+5 -> 13 for old, 5 for new)
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (11, 7)


def test_recreate_removes_every_old_pod_before_creating_new_ones(api):
    api.create("deployments", "default", deployment(replicas=3, strategy={"type": "Recreate"}))
    settle(api)
    ready_all(api)
    settle(api)
    set_image(api, "nginx:1.28")
    settle(api)
    [old] = replica_sets(api)
    assert old["spec"]["replicas"] == 0
    assert len(pods(api, live=False)) == 3 and not pods(api)  # terminating, none replaced yet
    finish_terminating(api)
    settle(api)
    old, new = replica_sets(api)
    assert new["spec"]["replicas"] == 3 and len(pods(api)) == 3
    assert {p["metadata"]["labels"]["pod-template-hash"] for p in pods(api)} == {
        new["metadata"]["labels"]["pod-template-hash"]
    }


def test_progress_deadline_exceeded_on_the_virtual_clock(api, cluster):
    api.create("deployments", "default", deployment(replicas=2, progressDeadlineSeconds=60))
    controller = DeploymentController(api)
    settle(api)
    result = controller.reconcile("default/web")
    assert result.requeue_after is not None and 55 <= result.requeue_after <= 62
    clock.advance(cluster, 62)
    controller.reconcile("default/web")
    d = api.get("deployments", "default", "web")
    [rs] = replica_sets(api)
    progressing = conditions(d)["Progressing"]
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{rs["metadata"]["name"]}" has timed out progressing.',
    )


def test_old_replica_sets_beyond_revision_history_limit_are_deleted(api):
    api.create("deployments", "default", deployment(replicas=1, revisionHistoryLimit=1))
    settle(api)
    ready_all(api)
    settle(api)
    for image in ("nginx:1.28", "nginx:1.29", "nginx:1.30"):
        rollout(api, image)
    rss = replica_sets(api)
    assert len(rss) == 2
    assert sorted(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] for rs in rss) == ["3", "4"]


def test_undo_reuses_the_old_replica_set_and_bumps_its_revision(api):
    api.create("deployments", "default", deployment(replicas=2))
    settle(api)
    ready_all(api)
    settle(api)
    [first] = replica_sets(api)
    rollout(api, "nginx:1.28")

    # kubectl rollout undo (1.32) patches the template back client-side, without the hash label.
    template = first["spec"]["template"]
    template["metadata"]["labels"].pop("pod-template-hash")
    api.update_with("deployments", "default", "web", lambda d: {**d, "spec": {**d["spec"], "template": template}})
    rollout(api, "nginx:1.27")
    rss = replica_sets(api)
    assert len(rss) == 2
    again = api.get("replicasets", "default", first["metadata"]["name"])
    assert again["spec"]["replicas"] == 2
    assert again["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert again["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    d = api.get("deployments", "default", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"


def test_rollback_annotation_rolls_back_to_the_last_revision(api):
    api.create("deployments", "default", deployment(replicas=1))
    settle(api)
    ready_all(api)
    settle(api)
    rollout(api, "nginx:1.28")

    def ask(d: dict) -> dict:
        d["metadata"].setdefault("annotations", {})["deprecated.deployment.rollback.to"] = "0"
        return d

    api.update_with("deployments", "default", "web", ask)
    DeploymentController(api).reconcile("default/web")
    d = api.get("deployments", "default", "web")
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert "deprecated.deployment.rollback.to" not in d["metadata"]["annotations"]
    assert events(api, "DeploymentRollback") == ['Rolled back deployment "web" to revision 1']


def test_restart_annotation_creates_a_new_replica_set(api):
    api.create("deployments", "default", deployment(replicas=1))
    settle(api)

    def restart(d: dict) -> dict:
        d["spec"]["template"]["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"}
        return d

    api.update_with("deployments", "default", "web", restart)
    settle(api)
    assert len(replica_sets(api)) == 2


def test_paused_deployment_scales_but_does_not_roll_out(api):
    api.create("deployments", "default", deployment(replicas=2))
    settle(api)
    ready_all(api)
    settle(api)
    api.update_with("deployments", "default", "web", lambda d: {**d, "spec": {**d["spec"], "paused": True}})
    set_image(api, "nginx:1.28")
    api.update_scale("deployments", "default", "web", {"spec": {"replicas": 4}})
    settle(api)
    [rs] = replica_sets(api)
    assert rs["spec"]["replicas"] == 4
    progressing = conditions(api.get("deployments", "default", "web"))["Progressing"]
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "Unknown",
        "DeploymentPaused",
        "Deployment is paused",
    )

    api.update_with("deployments", "default", "web", lambda d: {**d, "spec": {**d["spec"], "paused": False}})
    DeploymentController(api).reconcile("default/web")
    assert len(replica_sets(api)) == 2


def test_available_waits_for_min_ready_seconds_of_virtual_time(api, cluster):
    api.create("deployments", "default", deployment(replicas=1, minReadySeconds=10))
    settle(api)
    ready_all(api)
    result = ReplicaSetController(api).reconcile(f"default/{replica_sets(api)[0]['metadata']['name']}")
    settle(api)
    assert result.requeue_after == 10
    assert api.get("deployments", "default", "web")["status"].get("availableReplicas") is None
    clock.advance(cluster, 11)
    settle(api)
    assert api.get("deployments", "default", "web")["status"]["availableReplicas"] == 1


def test_replica_set_and_pod_deletion_events_wake_their_deployment(api):
    api.create("deployments", "default", deployment(replicas=1))
    settle(api)
    [rs] = replica_sets(api)
    [pod] = pods(api)
    controller = DeploymentController(api)
    assert controller.keys_for("replicasets", WatchEvent("MODIFIED", rs, 0)) == ["default/web"]
    assert controller.keys_for("pods", WatchEvent("DELETED", pod, 0)) == ["default/web"]
    assert controller.keys_for("pods", WatchEvent("MODIFIED", pod, 0)) == []
    assert ReplicaSetController(api).keys_for("pods", WatchEvent("MODIFIED", pod, 0)) == [
        f"default/{rs['metadata']['name']}"
    ]
