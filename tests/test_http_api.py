"""The Kubernetes REST API over HTTP (/k8s/<cluster>/…), through Django's test client."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from cluster.bootstrap import create_cluster
from cluster.models import Cluster

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


class Kube:
    """An HTTP client for one cluster, authenticated with its bearer token."""

    def __init__(self, cluster: Cluster, token: str | None = None) -> None:
        self.base = f"/k8s/{cluster.name}"
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {cluster.token if token is None else token}"}

    def request(
        self, method: str, path: str, body: object = None, content_type: str = "application/json", **headers: str
    ):
        data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
        call = getattr(self.client, method.lower())
        kwargs = {"headers": {**self.headers, **headers}}
        if data is not None:
            kwargs.update(data=data, content_type=content_type)
        return call(self.base + path, **kwargs)

    def get(self, path: str, **headers: str):
        return self.request("GET", path, **headers)


def configmap(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


@pytest.fixture
def kube(cluster: Cluster) -> Kube:
    return Kube(cluster)


# -- authentication -------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer "])
@pytest.mark.django_db
def test_a_request_without_the_clusters_token_is_unauthorized(cluster, header):
    headers = {"Authorization": header} if header is not None else {}
    response = Client().get(f"/k8s/{cluster.name}/api/v1/namespaces/default/pods", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }


@pytest.mark.django_db
def test_another_clusters_token_does_not_open_this_cluster(cluster):
    other = create_cluster("other", nodes=1)
    assert Kube(cluster, token=other.token).get("/api/v1/namespaces").status_code == 401
    assert Kube(other).get("/api/v1/namespaces").status_code == 200


@pytest.mark.django_db
def test_an_unknown_cluster_answers_as_a_wrong_token_does_so_names_cannot_be_probed(cluster):
    missing = Client().get("/k8s/nowhere/api/v1/pods", headers={"Authorization": "Bearer x"})
    wrong = Client().get(f"/k8s/{cluster.name}/api/v1/pods", headers={"Authorization": "Bearer x"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.json() == wrong.json()


@pytest.mark.django_db
def test_the_token_lookup_on_the_drivers_cursor_finds_what_the_orm_finds(cluster):
    from cluster.apiserver.http.auth import _cluster_where, _cluster_where_plain

    other = create_cluster("other", nodes=1)
    other.speed, other.sleeping_since = 2.5, other.created_at  # values no other cluster has, read back both ways
    other.save()

    def fields(found: Cluster | None) -> dict | None:
        return None if found is None else {f.attname: getattr(found, f.attname) for f in Cluster._meta.concrete_fields}

    lookups = [("token", cluster.token), ("token", other.token), ("name", "other"), ("token", "x"), ("name", "")]
    for column, value in lookups:
        fast, plain = _cluster_where(column, value), _cluster_where_plain(column, value)
        assert fields(fast) == fields(plain)
        if plain is not None:
            assert fast is not None and not fast._state.adding  # a row from the database, savable as one
    found = _cluster_where("name", "other")
    assert found is not None and found.speed == 2.5 and found.sleeping_since == other.created_at


@pytest.mark.django_db
def test_writes_need_no_csrf_token_only_the_bearer_token(kube):
    response = kube.request("POST", "/api/v1/namespaces/default/configmaps", configmap("plain"))
    assert response.status_code == 201


# -- discovery ------------------------------------------------------------------------
@pytest.mark.django_db
def test_version_reports_kubernetes_1_32(kube):
    body = kube.get("/version").json()
    assert (body["major"], body["minor"], body["gitVersion"]) == ("1", "32", "v1.32.0")


@pytest.mark.django_db
def test_core_resource_list_has_subresources_short_names_and_categories(kube):
    body = kube.get("/api/v1").json()
    assert body["kind"] == "APIResourceList" and body["groupVersion"] == "v1"
    by_name = {r["name"]: r for r in body["resources"]}
    assert by_name["pods"]["shortNames"] == ["po"] and by_name["pods"]["categories"] == ["all"]
    assert by_name["pods"]["singularName"] == "pod" and by_name["pods"]["namespaced"] is True
    assert by_name["pods/binding"]["kind"] == "Binding" and by_name["pods/binding"]["verbs"] == ["create"]
    assert by_name["pods/status"]["verbs"] == ["get", "patch", "update"]
    assert by_name["nodes"]["namespaced"] is False


@pytest.mark.django_db
def test_deployment_scale_answers_with_autoscaling_v1_scale(kube):
    by_name = {r["name"]: r for r in kube.get("/apis/apps/v1").json()["resources"]}
    scale = by_name["deployments/scale"]
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")


@pytest.mark.django_db
def test_group_list_and_aggregated_discovery_name_the_same_groups(kube):
    legacy = [g["name"] for g in kube.get("/apis").json()["groups"]]
    response = kube.get("/apis", Accept=AGGREGATED)
    assert response["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    aggregated = response.json()
    assert [g["metadata"]["name"] for g in aggregated["items"]] == legacy
    assert "apps" in legacy and "" not in legacy
    core = kube.get("/api", Accept=AGGREGATED).json()["items"][0]["versions"][0]
    pods = next(r for r in core["resources"] if r["resource"] == "pods")
    assert pods["scope"] == "Namespaced" and pods["responseKind"]["kind"] == "Pod"
    assert {s["subresource"] for s in pods["subresources"]} >= {"binding", "status"}


@pytest.mark.django_db
def test_openapi_v3_tells_kubectl_the_server_validates_fields(kube):
    index = kube.get("/openapi/v3").json()["paths"]
    url = index["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    document = kube.get(url).json()
    item = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    assert "fieldValidation" in [p["name"] for p in item["patch"]["parameters"]]
    assert item["patch"]["x-kubernetes-group-version-kind"] == {"group": "apps", "kind": "Deployment", "version": "v1"}
    replicas = document["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["replicas"]
    assert replicas["type"] == "integer" and "Number of desired pods" in replicas["description"]


# -- CRUD and errors --------------------------------------------------------------------
@pytest.mark.django_db
def test_get_of_a_missing_pod_is_kube_apiservers_not_found(kube):
    response = kube.get("/api/v1/namespaces/default/pods/x")
    assert response.status_code == 404
    assert response.json()["message"] == 'pods "x" not found'
    assert response.json()["details"] == {"name": "x", "kind": "pods"}


@pytest.mark.django_db
def test_creating_twice_is_a_409_already_exists(kube):
    kube.request("POST", "/api/v1/namespaces/default/configmaps", configmap("twice"))
    response = kube.request("POST", "/api/v1/namespaces/default/configmaps", configmap("twice"))
    assert response.status_code == 409
    assert response.json()["reason"] == "AlreadyExists"


@pytest.mark.django_db
def test_an_update_with_a_stale_resource_version_is_a_409_conflict(kube):
    created = kube.request("POST", "/api/v1/namespaces/default/configmaps", configmap("cm", a="1")).json()
    fresh = kube.request("PUT", "/api/v1/namespaces/default/configmaps/cm", {**created, "data": {"a": "2"}})
    assert fresh.status_code == 200
    stale = kube.request("PUT", "/api/v1/namespaces/default/configmaps/cm", {**created, "data": {"a": "3"}})
    assert stale.status_code == 409 and stale.json()["reason"] == "Conflict"
    assert kube.get("/api/v1/namespaces/default/configmaps/cm").json()["data"] == {"a": "2"}


@pytest.mark.django_db
def test_a_negative_scale_is_a_422_invalid(kube, api):
    api.create(
        "deployments",
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        },
    )
    response = kube.request(
        "PUT",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
        {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {"name": "web"}, "spec": {"replicas": -1}},
    )
    assert response.status_code == 422 and response.json()["reason"] == "Invalid"
    patched = kube.request(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
        {"spec": {"replicas": 4}},
        content_type="application/merge-patch+json",
    )
    assert patched.status_code == 200 and patched.json()["spec"]["replicas"] == 4
    assert api.get("deployments", "default", "web")["spec"]["replicas"] == 4


@pytest.mark.parametrize(
    "body, content_type",
    [
        ('{"apiVersion": "v1", "kind": ', "application/json"),
        ("metadata: [unclosed", "application/yaml"),
        ("", "application/json"),
    ],
)
@pytest.mark.django_db
def test_a_malformed_body_is_a_400_and_writes_nothing(kube, api, body, content_type):
    before = api.current_revision()
    response = kube.request("POST", "/api/v1/namespaces/default/configmaps", body, content_type=content_type)
    assert response.status_code == 400 and response.json()["reason"] == "BadRequest"
    assert api.current_revision() == before


@pytest.mark.django_db
def test_a_yaml_body_creates_the_object(kube, api):
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n"
    response = kube.request("POST", "/api/v1/namespaces/default/configmaps", body, content_type="application/yaml")
    assert response.status_code == 201
    assert api.get("configmaps", "default", "from-yaml")["data"] == {"k": "v"}


@pytest.mark.django_db
def test_a_body_over_3_mib_is_a_413(kube):
    huge = json.dumps(configmap("big", blob="x" * (3 * 1024 * 1024 + 10)))
    response = kube.request("POST", "/api/v1/namespaces/default/configmaps", huge)
    assert response.status_code == 413


@pytest.mark.django_db
def test_an_unsupported_patch_type_is_a_415(kube, api):
    api.create("configmaps", "default", configmap("p"))
    response = kube.request(
        "PATCH", "/api/v1/namespaces/default/configmaps/p", "data: {}", content_type="application/xml"
    )
    assert response.status_code == 415


@pytest.mark.django_db
def test_an_apply_patch_in_yaml_needs_a_field_manager(kube, api):
    api.create("configmaps", "default", configmap("p", a="1"))
    path = "/api/v1/namespaces/default/configmaps/p"
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\ndata: {b: '2'}\n"
    assert kube.request("PATCH", path, body, content_type="application/apply-patch+yaml").status_code == 422
    response = kube.request("PATCH", path + "?fieldManager=curl", body, content_type="application/apply-patch+yaml")
    assert response.status_code == 200
    assert api.get("configmaps", "default", "p")["data"] == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/merge-patch+json", {"data": {"b": "2"}}),
        ("application/strategic-merge-patch+json", {"data": {"b": "2"}}),
        ("application/json-patch+json", [{"op": "add", "path": "/data/b", "value": "2"}]),
    ],
)
@pytest.mark.django_db
def test_each_patch_type_changes_the_object(kube, api, content_type, body):
    api.create("configmaps", "default", configmap("p", a="1"))
    response = kube.request("PATCH", "/api/v1/namespaces/default/configmaps/p", body, content_type=content_type)
    assert response.status_code == 200
    assert api.get("configmaps", "default", "p")["data"] == {"a": "1", "b": "2"}


@pytest.mark.django_db
def test_dry_run_creates_nothing(kube, api):
    response = kube.request("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", configmap("ghost"))
    assert response.status_code == 201
    assert kube.get("/api/v1/namespaces/default/configmaps/ghost").status_code == 404


@pytest.mark.django_db
def test_a_dry_run_answers_with_the_resource_version_storage_had(kube, api):
    """DryRunnableStorage writes nothing, so no new resourceVersion: an update's answer keeps the live one
    (`kubectl diff` shows no resourceVersion change), a create's has none."""
    live = api.create("configmaps", "default", configmap("cm", a="1"))["metadata"]["resourceVersion"]
    path = "/api/v1/namespaces/default/configmaps/cm?dryRun=All"
    patched = kube.request("PATCH", path, {"data": {"a": "2"}}, "application/merge-patch+json").json()
    assert (patched["data"], patched["metadata"]["resourceVersion"]) == ({"a": "2"}, live)
    replaced = kube.request("PUT", path, {**configmap("cm", a="3"), "metadata": {"name": "cm"}}).json()
    assert (replaced["data"], replaced["metadata"]["resourceVersion"]) == ({"a": "3"}, live)
    applied = kube.request(
        "PATCH", path + "&fieldManager=me&force=true", configmap("cm", a="4"), "application/apply-patch+yaml"
    )
    assert (applied.status_code, applied.json()["data"], applied.json()["metadata"]["resourceVersion"]) == (
        200,
        {"a": "4"},
        live,
    )
    created = kube.request("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", configmap("ghost")).json()
    assert "resourceVersion" not in created["metadata"] and created["metadata"]["uid"]
    assert api.get("configmaps", "default", "cm")["data"] == {"a": "1"}


@pytest.mark.django_db
def test_delete_collection_removes_only_the_selected_objects(kube, api):
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        api.create("configmaps", "default", {**configmap(name), "metadata": {"name": name, "labels": {"tier": tier}}})
    response = kube.request("DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dweb")
    assert response.status_code == 200
    assert sorted(i["metadata"]["name"] for i in response.json()["items"]) == ["a", "b"]
    left = [i["metadata"]["name"] for i in api.list("configmaps", "default")["items"]]
    assert "c" in left and "a" not in left and "b" not in left


@pytest.mark.django_db
def test_delete_answers_with_a_success_status(kube, api):
    api.create("configmaps", "default", configmap("gone"))
    response = kube.request(
        "DELETE",
        "/api/v1/namespaces/default/configmaps/gone",
        {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "Success" and response.json()["details"]["name"] == "gone"
    assert kube.get("/api/v1/namespaces/default/configmaps/gone").status_code == 404


@pytest.mark.django_db
def test_binding_a_pod_sets_its_node(kube, api):
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        },
    )
    response = kube.request(
        "POST",
        "/api/v1/namespaces/default/pods/p/binding",
        {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": "p"},
            "target": {"apiVersion": "v1", "kind": "Node", "name": "worker-1"},
        },
    )
    assert response.status_code == 201
    assert api.get("pods", "default", "p")["spec"]["nodeName"] == "worker-1"


@pytest.mark.django_db
def test_kubectl_get_receives_a_table(kube, api):
    api.create("configmaps", "default", configmap("shown", a="1"))
    table = kube.get("/api/v1/namespaces/default/configmaps", Accept=TABLE).json()
    assert table["kind"] == "Table" and table["columnDefinitions"]
    assert "shown" in [row["cells"][0] for row in table["rows"]]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    one = kube.get("/api/v1/namespaces/default/configmaps/shown?includeObject=Object", Accept=TABLE).json()
    assert one["kind"] == "Table" and one["rows"][0]["object"]["data"] == {"a": "1"}


@pytest.mark.django_db
def test_list_filters_by_label_selector(kube, api):
    api.create("configmaps", "default", {**configmap("l1"), "metadata": {"name": "l1", "labels": {"app": "x"}}})
    api.create("configmaps", "default", configmap("l2"))
    names = [i["metadata"]["name"] for i in kube.get("/api/v1/configmaps?labelSelector=app%3Dx").json()["items"]]
    assert names == ["l1"]


# -- watch ----------------------------------------------------------------------------------
async def _drain(chunks) -> bytes:
    return b"".join([chunk async for chunk in chunks])


def watch_events(kube: Kube, path: str, **headers: str) -> list[dict]:
    """Every event of a watch that ends by its timeoutSeconds (read as an ASGI server would)."""
    response = kube.get(path, **headers)
    assert response.status_code == 200
    body = async_to_sync(_drain)(response.streaming_content)
    return [json.loads(line) for line in body.splitlines() if line]


@pytest.mark.django_db
def test_watch_from_a_resource_version_streams_the_changes_after_it(kube, api):
    api.create("configmaps", "default", configmap("before"))
    since = api.current_revision()
    api.create("configmaps", "default", configmap("after"))
    api.delete("configmaps", "default", "before")
    events = watch_events(
        kube,
        f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={since}"
        "&timeoutSeconds=3&allowWatchBookmarks=true",
    )  # its bookmark comes 2 s early
    changes = [(e["type"], e["object"]["metadata"]["name"]) for e in events if e["type"] != "BOOKMARK"]
    assert changes == [("ADDED", "after"), ("DELETED", "before")]
    assert events[-1]["type"] == "BOOKMARK"
    assert events[-1]["object"]["metadata"]["resourceVersion"] == str(api.current_revision())


@pytest.mark.django_db
def test_watch_from_zero_starts_with_the_current_objects(kube, api):
    api.create("configmaps", "default", configmap("existing"))
    events = watch_events(kube, "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&timeoutSeconds=1")
    assert ("ADDED", "existing") in [(e["type"], e["object"]["metadata"]["name"]) for e in events]


@pytest.mark.django_db
def test_watch_from_a_compacted_revision_is_an_error_event_with_410(kube, api):
    api.create("configmaps", "default", configmap("one"))
    api.create("configmaps", "default", configmap("two"))
    api.store.compact(api.current_revision())
    events = watch_events(kube, "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1&timeoutSeconds=1")
    assert [e["type"] for e in events] == ["ERROR"]
    assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"


@pytest.mark.django_db
def test_a_table_watch_sends_column_definitions_only_first(kube, api):
    api.create("configmaps", "default", configmap("t1"))
    api.create("configmaps", "default", configmap("t2"))
    events = watch_events(kube, "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1", Accept=TABLE)
    assert [e["object"]["kind"] for e in events] == ["Table", "Table", "Table"]  # kube-root-ca.crt, t1, t2
    assert events[0]["object"]["columnDefinitions"] and events[1]["object"]["columnDefinitions"] is None
    assert events[2]["object"]["columnDefinitions"] is None


@pytest.mark.django_db
def test_a_cluster_holds_a_bounded_number_of_watches_and_a_finished_one_gives_its_slot_back(kube, api, monkeypatch):
    """Each watch polls the store; a script that opened thousands would poll it thousands of times a second."""
    from cluster.apiserver.http import watch

    before = dict(watch._watches.open)  # earlier tests' watches that nothing read to the end still hold theirs
    monkeypatch.setattr(watch, "MAX_WATCHES_PER_CLUSTER", before.get(api.cluster.name, 0) + 3)
    path = "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=60"
    open_watches = [kube.get(path) for _ in range(3)]
    assert [w.status_code for w in open_watches] == [200, 200, 200]
    refused = kube.get(path)
    assert refused.status_code == 429 and refused.json()["reason"] == "TooManyRequests"
    assert refused["Retry-After"] == "1"
    closed(open_watches.pop())  # the server closes a response it is done with
    ended = kube.get("/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=-1")
    assert ended.status_code == 200
    async_to_sync(_drain)(ended.streaming_content)  # it ended (as when the client leaves): its slot is free
    open_watches.append(kube.get(path))
    assert open_watches[-1].status_code == 200
    assert kube.get(path).status_code == 429
    for response in open_watches:
        closed(response)
    assert watch._watches.open == before


def closed(response: object) -> None:
    """response.close() as the test client calls it: without request_finished closing the test's database
    connection (on PostgreSQL that would end the test's transaction)."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    try:
        response.close()  # type: ignore[attr-defined]
    finally:
        request_finished.connect(close_old_connections)
