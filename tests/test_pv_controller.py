"""The PersistentVolume controller (binder) and the simulated local-path provisioner, reconcile by reconcile."""

from __future__ import annotations

import pytest

from cluster.controllers.provisioner import LocalPathProvisioner
from cluster.controllers.pvbinder import EXTERNAL_PROVISIONING, PersistentVolumeBinderController

RWO, ROX, RWX = "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"


def pv(
    api,
    name: str,
    size: str,
    modes: tuple[str, ...] = (RWO,),
    storage_class: str = "manual",
    policy: str = "Retain",
    path: str | None = None,
    labels: dict | None = None,
    **spec: object,
) -> dict:
    body = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": list(modes),
            "storageClassName": storage_class,
            "persistentVolumeReclaimPolicy": policy,
            "hostPath": {"path": path or f"/mnt/{name}"},
            **spec,
        },
    }
    return api.create("persistentvolumes", None, body)


def pvc(
    api, name: str, size: str, modes: tuple[str, ...] = (RWO,), storage_class: str | None = "manual", **spec: object
) -> dict:
    body = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"accessModes": list(modes), "resources": {"requests": {"storage": size}}, **spec},
    }
    if storage_class is not None:
        body["spec"]["storageClassName"] = storage_class
    return api.create("persistentvolumeclaims", "default", body)


def storage_class(
    api, name: str, mode: str = "Immediate", policy: str = "Delete", provisioner: str = "rancher.io/local-path"
) -> dict:
    return api.create(
        "storageclasses",
        None,
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": name},
            "provisioner": provisioner,
            "reclaimPolicy": policy,
            "volumeBindingMode": mode,
        },
    )


def storage_state(api) -> list[tuple[str, str]]:
    objects = api.list("persistentvolumes")["items"] + api.list("persistentvolumeclaims", "default")["items"]
    return sorted((o["metadata"]["name"], o["metadata"]["resourceVersion"]) for o in objects)


def settle(api, rounds: int = 6) -> None:
    """Run the binder and the provisioner over every claim and volume until no PV or PVC changes.

    (Pending claims keep repeating their events on every sync, as upstream's do.)"""
    binder, provisioner = PersistentVolumeBinderController(api), LocalPathProvisioner(api)
    for _ in range(rounds):
        before = storage_state(api)
        for controller in (binder, provisioner):
            for volume in api.list("persistentvolumes")["items"]:
                controller.reconcile(volume["metadata"]["name"])
            for claim in api.list("persistentvolumeclaims", "default")["items"]:
                controller.reconcile(f"default/{claim['metadata']['name']}")
        if storage_state(api) == before:
            return
    raise AssertionError("the storage controllers did not settle")


def claim(api, name: str) -> dict:
    return api.get("persistentvolumeclaims", "default", name)


def volume(api, name: str) -> dict:
    return api.get("persistentvolumes", "", name)


def events(api, reason: str) -> list[str]:
    return [e["message"] for e in api.list("events", "default")["items"] if e["reason"] == reason]


def test_claim_binds_the_smallest_available_volume_that_fits(api):
    for name, size in (("pv-10g", "10Gi"), ("pv-1g", "1Gi"), ("pv-5g", "5Gi"), ("pv-3g", "3Gi")):
        pv(api, name, size)
    pvc(api, "data", "2Gi")
    settle(api)
    bound = claim(api, "data")
    assert bound["spec"]["volumeName"] == "pv-3g"
    assert bound["status"] == {"phase": "Bound", "accessModes": [RWO], "capacity": {"storage": "3Gi"}}
    assert bound["metadata"]["annotations"] == {
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
    }
    chosen = volume(api, "pv-3g")
    assert chosen["status"]["phase"] == "Bound"
    assert chosen["metadata"]["annotations"] == {"pv.kubernetes.io/bound-by-controller": "yes"}
    ref = chosen["spec"]["claimRef"]
    assert (ref["kind"], ref["namespace"], ref["name"], ref["uid"]) == (
        "PersistentVolumeClaim",
        "default",
        "data",
        bound["metadata"]["uid"],
    )
    assert [volume(api, n)["status"]["phase"] for n in ("pv-1g", "pv-5g", "pv-10g")] == ["Available"] * 3


@pytest.mark.parametrize(
    "claim_spec, volume_spec",
    [
        pytest.param({"modes": (RWX,)}, {"modes": (RWO, ROX)}, id="access-mode-not-offered"),
        pytest.param({"storage_class": "fast"}, {"storage_class": "manual"}, id="storage-class-differs"),
        pytest.param({"size": "2Gi"}, {"size": "1Gi"}, id="volume-too-small"),
        pytest.param({"volumeMode": "Block"}, {}, id="volume-mode-differs"),
        pytest.param(
            {"selector": {"matchLabels": {"tier": "gold"}}},
            {"labels": {"tier": "silver"}},
            id="selector-does-not-match",
        ),
    ],
)
def test_claim_without_a_matching_volume_stays_pending(api, claim_spec, volume_spec):
    volume_args = {"size": "1Gi", **volume_spec}
    pv(api, "only", volume_args.pop("size"), **volume_args)
    claim_args = {"size": "1Gi", "storage_class": "manual", **claim_spec}
    if claim_args["storage_class"] == "fast":
        storage_class(api, "fast", provisioner="example.com/none")
    pvc(api, "data", claim_args.pop("size"), **claim_args)
    settle(api)
    assert claim(api, "data")["status"]["phase"] == "Pending"
    assert not claim(api, "data")["spec"].get("volumeName")
    assert volume(api, "only")["status"]["phase"] == "Available"


def test_access_mode_superset_is_accepted_but_the_closest_modes_win(api):
    pv(api, "rwo-rox-rwx", "1Gi", modes=(RWO, ROX, RWX))
    pv(api, "rwo-big", "8Gi", modes=(RWO,))
    pvc(api, "one-mode", "1Gi", modes=(RWO,))
    pvc(api, "shared", "1Gi", modes=(RWX,))
    settle(api)
    assert claim(api, "one-mode")["spec"]["volumeName"] == "rwo-big"
    assert claim(api, "shared")["spec"]["volumeName"] == "rwo-rox-rwx"


def test_claim_of_no_class_without_volumes_says_why(api):
    pvc(api, "data", "1Gi", storage_class="")
    settle(api)
    assert claim(api, "data")["status"]["phase"] == "Pending"
    assert events(api, "FailedBinding") == [
        "no persistent volumes available for this claim and no storage class is set"
    ]


def test_claim_naming_a_volume_binds_it_or_reports_the_mismatch(api):
    pv(api, "small", "1Gi")
    pv(api, "right", "5Gi")
    pvc(api, "too-big", "2Gi", volumeName="small")
    pvc(api, "named", "2Gi", volumeName="right")
    settle(api)
    assert claim(api, "named")["status"]["phase"] == "Bound"
    assert volume(api, "right")["spec"]["claimRef"]["name"] == "named"
    assert claim(api, "too-big")["status"]["phase"] == "Pending"
    assert events(api, "VolumeMismatch") == ['Cannot bind to requested volume "small": requested PV is too small']


def test_immediate_class_is_handed_to_its_provisioner_at_once(api):
    storage_class(api, "fast", mode="Immediate")
    pvc(api, "data", "1Gi", storage_class="fast")
    settle(api)
    pending = claim(api, "data")
    assert pending["metadata"]["annotations"] == {
        "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path",
        "volume.beta.kubernetes.io/storage-provisioner": "rancher.io/local-path",
    }
    assert events(api, "ExternalProvisioning") == [
        "Waiting for a volume to be created either by the external provisioner 'rancher.io/local-path' or manually "
        "by the system administrator. If volume creation is delayed, please verify that the provisioner is running "
        "and correctly registered."
    ]
    # local-path volumes live on one node: without a node to put it on, local-path refuses, as upstream's does.
    assert events(api, "ProvisioningFailed") == [
        'failed to provision volume with StorageClass "fast": configuration error, no node was specified'
    ]
    assert pending["status"]["phase"] == "Pending"


def test_immediate_class_of_another_provisioner_is_annotated_for_it(api):
    storage_class(api, "ebs", provisioner="ebs.csi.aws.com")
    pvc(api, "data", "1Gi", storage_class="ebs")
    settle(api)
    assert events(api, "ExternalProvisioning") == [EXTERNAL_PROVISIONING.format("ebs.csi.aws.com")]
    assert (
        claim(api, "data")["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"] == "ebs.csi.aws.com"
    )
    assert not events(api, "Provisioning")


def test_wait_for_first_consumer_waits_until_the_scheduler_selects_a_node(api):
    pvc(api, "data", "2Gi", storage_class="standard")
    settle(api)
    assert claim(api, "data")["status"]["phase"] == "Pending"
    assert events(api, "WaitForFirstConsumer") == ["waiting for first consumer to be created before binding"]
    assert not events(api, "ExternalProvisioning")
    assert api.list("persistentvolumes")["items"] == []

    def select(pvc_obj: dict) -> dict:  # what the scheduler's VolumeBinding plugin writes
        pvc_obj["metadata"].setdefault("annotations", {})["volume.kubernetes.io/selected-node"] = "worker-2"
        return pvc_obj

    api.update_with("persistentvolumeclaims", "default", "data", select)
    settle(api)
    bound = claim(api, "data")
    uid = bound["metadata"]["uid"]
    assert bound["status"]["phase"] == "Bound"
    assert bound["spec"]["volumeName"] == f"pvc-{uid}"
    provisioned = volume(api, f"pvc-{uid}")
    assert provisioned["status"]["phase"] == "Bound"
    assert provisioned["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "rancher.io/local-path"
    assert provisioned["spec"]["hostPath"] == {
        "path": f"/var/local-path-provisioner/pvc-{uid}_default_data",
        "type": "DirectoryOrCreate",
    }
    assert provisioned["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["worker-2"]}]}
    ]
    assert provisioned["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert provisioned["spec"]["capacity"] == {"storage": "2Gi"}
    assert provisioned["spec"]["storageClassName"] == "standard"
    assert events(api, "Provisioning") == ['External provisioner is provisioning volume for claim "default/data"']
    assert events(api, "ProvisioningSucceeded") == [f"Successfully provisioned volume pvc-{uid}"]


def test_wait_for_first_consumer_names_the_pod_waiting_for_the_scheduler(api):
    pvc(api, "data", "1Gi", storage_class="standard")
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "db"},
            "spec": {
                "containers": [{"name": "db", "image": "postgres:17"}],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
            },
        },
    )
    settle(api)
    assert events(api, "WaitForPodScheduled") == ["waiting for pod db to be scheduled"]


def delete_claim_and_settle(api, name: str) -> None:
    api.delete("persistentvolumeclaims", "default", name)
    settle(api)


def test_retained_volume_is_released_when_its_claim_goes(api):
    pv(api, "keep", "1Gi", policy="Retain")
    pvc(api, "data", "1Gi")
    settle(api)
    delete_claim_and_settle(api, "data")
    released = volume(api, "keep")
    assert released["status"]["phase"] == "Released"
    assert released["spec"]["claimRef"]["name"] == "data"  # the data is kept for an administrator to look at
    pvc(api, "again", "1Gi")
    settle(api)
    assert claim(api, "again")["status"]["phase"] == "Pending"  # a Released PV is not offered again


def test_provisioned_volume_with_delete_policy_goes_with_its_claim(api):
    pvc(api, "data", "1Gi", storage_class="standard")
    api.update_with(
        "persistentvolumeclaims",
        "default",
        "data",
        lambda c: {
            **c,
            "metadata": {**c["metadata"], "annotations": {"volume.kubernetes.io/selected-node": "worker-1"}},
        },
    )
    settle(api)
    assert len(api.list("persistentvolumes")["items"]) == 1
    delete_claim_and_settle(api, "data")
    assert api.list("persistentvolumes")["items"] == []


@pytest.mark.parametrize(
    "path, gone, message",
    [
        ("/tmp/scratch", True, None),
        ("/mnt/disk", False, "host_path deleter only supports /tmp/.+ but received provided /mnt/disk"),
    ],
)
def test_manual_volume_with_delete_policy_is_deleted_by_the_in_tree_host_path_deleter(api, path, gone, message):
    pv(api, "manual", "1Gi", policy="Delete", path=path)
    pvc(api, "data", "1Gi")
    settle(api)
    delete_claim_and_settle(api, "data")
    remaining = api.list("persistentvolumes")["items"]
    if gone:
        assert remaining == []
    else:
        assert remaining[0]["status"]["phase"] == "Failed"
        assert remaining[0]["status"]["message"] == message


def test_claim_whose_volume_disappears_is_lost(api):
    pv(api, "fragile", "1Gi")
    pvc(api, "data", "1Gi")
    settle(api)
    api.delete("persistentvolumes", "", "fragile")
    settle(api)
    assert claim(api, "data")["status"]["phase"] == "Lost"
    assert events(api, "ClaimLost") == ["Bound claim has lost its PersistentVolume. Data on the volume is lost!"]


def test_binding_is_idempotent(api):
    pv(api, "one", "1Gi")
    pvc(api, "data", "1Gi")
    settle(api)
    revision = api.current_revision()
    binder = PersistentVolumeBinderController(api)
    binder.reconcile("default/data")
    binder.reconcile("one")
    assert api.current_revision() == revision
