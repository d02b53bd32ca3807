"""The admission plugins a created Pod or claim passes through."""

from __future__ import annotations

import pytest

from cluster.apiserver.errors import StatusError

NOT_READY = {
    "key": "node.kubernetes.io/not-ready",
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}
UNREACHABLE = {
    "key": "node.kubernetes.io/unreachable",
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}


def pod(**spec: object) -> dict:
    body = {"containers": [{"name": "a", "image": "nginx"}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": body}


def test_pods_get_default_toleration_seconds_priority_and_service_account(api) -> None:
    spec = api.create("pods", "default", pod())["spec"]
    assert spec["tolerations"] == [NOT_READY, UNREACHABLE]
    assert (spec["priority"], spec["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("default", "default")


def test_an_existing_toleration_is_not_doubled(api) -> None:
    mine = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}
    spec = api.create("pods", "default", pod(tolerations=[mine]))["spec"]
    assert spec["tolerations"] == [mine, UNREACHABLE]


def test_unknown_priority_class_is_forbidden(api) -> None:
    with pytest.raises(StatusError) as caught:
        api.create("pods", "default", pod(priorityClassName="gold"))
    assert (caught.value.code, caught.value.message) == (
        403,
        'pods "p" is forbidden: no PriorityClass with name gold was found',
    )


def test_claim_without_class_gets_the_default_storage_class(api) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    created = api.create("persistentvolumeclaims", "default", claim)
    assert created["spec"]["storageClassName"] == "standard"
    assert created["spec"]["volumeMode"] == "Filesystem"
    assert created["status"] == {"phase": "Pending"}


def test_claim_with_empty_class_keeps_it_empty(api) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "static"},
        "spec": {
            "storageClassName": "",
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }
    assert api.create("persistentvolumeclaims", "default", claim)["spec"]["storageClassName"] == ""


def test_missing_namespace_is_not_found(api) -> None:
    with pytest.raises(StatusError) as caught:
        api.create("pods", "nowhere", pod())
    assert (caught.value.code, caught.value.message) == (404, 'namespaces "nowhere" not found')


def test_system_namespace_cannot_be_deleted(api) -> None:
    with pytest.raises(StatusError) as caught:
        api.delete("namespaces", None, "kube-system")
    assert caught.value.code == 403


def test_a_client_with_a_namespace_informer_is_admitted_by_its_copy(api) -> None:
    api.create("namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    terminating = {"metadata": {"name": "team", "deletionTimestamp": "2026-11-27T00:00:00Z"}}
    api.hooks.namespace_cache = {"team": terminating}.get
    with pytest.raises(StatusError) as caught:
        api.create("pods", "team", pod())
    assert (caught.value.code, caught.value.message) == (
        403,
        'pods "p" is forbidden: unable to create new content in namespace team because it is being terminated',
    )
    api.hooks.namespace_cache = {}.get  # the informer has not heard of it yet: the store is asked
    assert api.create("pods", "team", pod())["metadata"]["namespace"] == "team"
    with pytest.raises(StatusError) as caught:
        api.create("pods", "nowhere", pod())
    assert (caught.value.code, caught.value.message) == (404, 'namespaces "nowhere" not found')
