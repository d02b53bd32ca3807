"""The namespace controller: a deleted Namespace is emptied, then finalized and gone."""

from __future__ import annotations

import pytest

from cluster.apiserver.errors import StatusError
from cluster.controllers.namespace import NamespaceController
from cluster.controllers.replicaset import ReplicaSetController
from tests.workloads import finish_terminating, make_ready, pods, replica_set


def namespace_conditions(api, name: str) -> dict[str, tuple[str, str, str]]:
    status = api.get("namespaces", None, name)["status"]
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in status.get("conditions", [])}


def gone(api, name: str) -> bool:
    with pytest.raises(StatusError) as err:
        api.get("namespaces", None, name)
    return err.value.code == 404


def test_deleted_namespace_stays_terminating_until_its_finalizer_is_removed(api):
    api.create("namespaces", None, {"metadata": {"name": "shop"}})
    api.delete("namespaces", None, "shop")
    ns = api.get("namespaces", None, "shop")
    assert ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["kubernetes"]
    NamespaceController(api).reconcile("shop")
    assert gone(api, "shop")


def test_namespace_deletion_empties_the_namespace_then_removes_it(api):
    api.create("namespaces", None, {"metadata": {"name": "shop"}})
    api.create("configmaps", "shop", {"metadata": {"name": "settings"}})
    rs = replica_set(replicas=2)
    rs["metadata"]["namespace"] = "shop"
    api.create("replicasets", "shop", rs)
    ReplicaSetController(api).reconcile("shop/web")
    for pod in pods(api, "shop"):
        make_ready(api, pod)  # on a node: deleting takes the grace period
    api.delete("namespaces", None, "shop")

    result = NamespaceController(api).reconcile("shop")
    assert api.list("configmaps", "shop")["items"] == [] and api.list("replicasets", "shop")["items"] == []
    assert len(pods(api, "shop", live=False)) == 2 and pods(api, "shop") == []
    assert result.requeue_after == 30 // 2 + 1
    conditions = namespace_conditions(api, "shop")
    assert conditions["NamespaceContentRemaining"] == (
        "True",
        "SomeResourcesRemain",
        "Some resources are remaining: pods has 2 resource instances",
    )
    assert conditions["NamespaceDeletionContentFailure"] == (
        "False",
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    )
    with pytest.raises(StatusError) as err:
        api.create("configmaps", "shop", {"metadata": {"name": "late"}})
    assert err.value.code == 403

    finish_terminating(api, "shop")
    NamespaceController(api).reconcile("shop")
    assert gone(api, "shop")


def test_namespace_controller_ignores_live_namespaces(api):
    api.create("namespaces", None, {"metadata": {"name": "shop"}})
    api.create("configmaps", "shop", {"metadata": {"name": "settings"}})
    NamespaceController(api).reconcile("shop")
    assert len(api.list("configmaps", "shop")["items"]) == 1
