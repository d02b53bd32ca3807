"""The API at the root of the server (the token chooses the cluster), its health, version and OpenAPI v2
endpoints, the watch options, and `kubectl get --raw` in-process — through Django's test client."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.test import Client

from cluster.apiserver.http import openapi_v2, watch
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.kubectl import cli
from cluster.models import Cluster

UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}
PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"


def bearer(cluster: Cluster) -> dict[str, str]:
    return {"Authorization": f"Bearer {cluster.token}"}


def kubectl(api: APIServer, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(api, list(argv), stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def configmap(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}


# -- the root: the token chooses the cluster ------------------------------------------------
@pytest.mark.django_db
def test_the_token_chooses_the_cluster_at_the_root(cluster: Cluster, api: APIServer) -> None:
    other = create_cluster("other", nodes=1)
    APIServer(other).create("configmaps", "default", configmap("only-in-other"))
    api.create("configmaps", "default", configmap("only-in-test"))
    names = {}
    for target in (cluster, other):
        listed = Client().get("/api/v1/namespaces/default/configmaps", headers=bearer(target)).json()
        names[target.name] = {i["metadata"]["name"] for i in listed["items"]}
    assert "only-in-test" in names["test"] and "only-in-other" not in names["test"]
    assert "only-in-other" in names["other"] and "only-in-test" not in names["other"]


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer "])
@pytest.mark.parametrize("path", ["/api/v1/namespaces", "/apis", "/version", "/healthz", "/openapi/v2"])
@pytest.mark.django_db
def test_the_root_without_a_valid_token_is_401_the_same_whatever_was_sent(cluster, header, path) -> None:
    response = Client().get(path, headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.django_db
def test_the_older_prefix_keeps_working_and_still_wants_that_clusters_token(cluster: Cluster) -> None:
    other = create_cluster("other", nodes=1)
    assert Client().get("/k8s/test/api/v1/namespaces", headers=bearer(cluster)).status_code == 200
    assert Client().get("/k8s/test/healthz", headers=bearer(cluster)).content == b"ok"
    assert Client().get("/k8s/test/api/v1/namespaces", headers=bearer(other)).json() == UNAUTHORIZED


@pytest.mark.django_db
def test_the_pages_stay_the_dashboards(cluster: Cluster) -> None:
    home = Client().get("/")
    assert home.status_code == 200 and home["Content-Type"].startswith("text/html")
    behind_basic_auth = Client().get("/", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert behind_basic_auth.status_code == 200 and behind_basic_auth["Content-Type"].startswith("text/html")
    assert Client().get("/join").status_code == 200
    assert Client().get("/lessons/").status_code == 200


@pytest.mark.django_db
def test_the_root_with_a_token_lists_the_servers_paths(cluster: Cluster) -> None:
    paths = Client().get("/", headers=bearer(cluster)).json()["paths"]
    assert paths == sorted(paths)
    assert {
        "/api",
        "/api/v1",
        "/apis",
        "/apis/apps/v1",
        "/healthz",
        "/livez/ping",
        "/readyz/shutdown",
        "/openapi/v2",
        "/openapi/v3",
        "/version",
    } <= set(paths)
    assert Client().get("/", headers={"Authorization": "Bearer wrong"}).json() == UNAUTHORIZED


# -- /version and the health endpoints ------------------------------------------------------
@pytest.mark.django_db
def test_version_at_the_root(cluster: Cluster) -> None:
    assert Client().get("/version", headers=bearer(cluster)).json()["gitVersion"] == "v1.32.0"


@pytest.mark.parametrize("endpoint", ["healthz", "livez", "readyz"])
@pytest.mark.django_db
def test_each_health_endpoint_answers_ok_as_plain_text(cluster: Cluster, endpoint: str) -> None:
    response = Client().get(f"/{endpoint}", headers=bearer(cluster))
    assert (response.status_code, response.content) == (200, b"ok")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_verbose_lists_each_check_as_upstream_does(cluster: Cluster) -> None:
    readyz = Client().get("/readyz?verbose", headers=bearer(cluster)).content.decode().splitlines()
    assert readyz[:5] == ["[+]ping ok", "[+]log ok", "[+]etcd ok", "[+]etcd-readiness ok", "[+]informer-sync ok"]
    assert readyz[-2:] == ["[+]shutdown ok", "readyz check passed"]
    livez = Client().get("/livez?verbose", headers=bearer(cluster)).content.decode().splitlines()
    assert livez[:3] == ["[+]ping ok", "[+]log ok", "[+]etcd ok"] and livez[-1] == "livez check passed"
    assert "[+]etcd-readiness ok" not in livez and "[+]shutdown ok" not in livez


@pytest.mark.django_db
def test_exclude_skips_a_check_and_warns_about_unknown_names(cluster: Cluster) -> None:
    body = Client().get("/healthz?verbose&exclude=etcd&exclude=nope", headers=bearer(cluster)).content.decode()
    assert "[+]etcd excluded: ok\n" in body
    assert body.endswith('warn: some health checks cannot be excluded: no matches for "nope"\nhealthz check passed\n')


@pytest.mark.django_db
def test_a_single_check_has_its_own_path(cluster: Cluster) -> None:
    assert Client().get("/livez/ping", headers=bearer(cluster)).content == b"ok"
    assert Client().get("/readyz/etcd-readiness", headers=bearer(cluster)).content == b"ok"
    assert Client().get("/healthz/poststarthook/bootstrap-controller", headers=bearer(cluster)).content == b"ok"
    for missing in ("/livez/nope", "/healthz/", "/livez/shutdown"):
        response = Client().get(missing, headers=bearer(cluster))
        assert response.status_code == 404 and response.json()["reason"] == "NotFound"


@pytest.mark.django_db
def test_a_failing_check_is_a_500_that_lists_every_check(cluster: Cluster, monkeypatch) -> None:
    from cluster.apiserver.http import health

    def broken() -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(health, "_database", broken)
    response = Client().get("/readyz", headers=bearer(cluster))
    assert response.status_code == 500
    body = response.content.decode()
    assert "[-]etcd failed: reason withheld\n" in body and body.endswith("readyz check failed\n")
    single = Client().get("/readyz/etcd", headers=bearer(cluster))
    assert (single.status_code, single.content) == (500, b"internal server error: database is locked\n")


# -- /openapi/v2 ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_openapi_v2_json_carries_the_definitions_kubectl_looks_kinds_up_by(cluster: Cluster) -> None:
    response = Client().get("/openapi/v2", headers={**bearer(cluster), "Accept": "application/json"})
    assert response["Content-Type"] == "application/json"
    doc = response.json()
    assert doc["swagger"] == "2.0" and doc["info"] == {"title": "Kubernetes", "version": "v1.32.0"}
    deployment = doc["definitions"]["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert deployment["properties"]["spec"]["$ref"] == "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"
    assert deployment["properties"]["kind"]["type"] == "string" and "enum" not in deployment["properties"]["kind"]
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert "application/strategic-merge-patch+json" in patch["consumes"]
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    assert patch["parameters"][0] == {
        "name": "body",
        "in": "body",
        "required": True,
        "schema": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"},
    }
    refs = openapi_v2._refs(doc)  # noqa: SLF001 - every reference resolves
    assert refs <= set(doc["definitions"])


@pytest.mark.django_db
def test_openapi_v2_protobuf_is_negotiated_as_kube_openapi_does(cluster: Cluster) -> None:
    proto = Client().get("/openapi/v2", headers={**bearer(cluster), "Accept": PROTOBUF})
    assert proto["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert proto.content.startswith(b"\n\x032.0")  # field 1 (swagger), "2.0"
    assert b"io.k8s.api.apps.v1.Deployment" in proto.content
    assert Client().get("/openapi/v2", headers=bearer(cluster))["Content-Type"] == "application/json"
    refused = Client().get("/openapi/v2", headers={**bearer(cluster), "Accept": "text/html"})
    assert refused.status_code == 406
    etag = proto["ETag"]
    again = Client().get("/openapi/v2", headers={**bearer(cluster), "Accept": PROTOBUF, "If-None-Match": etag})
    assert again.status_code == 304


# -- watch options ----------------------------------------------------------------------------
async def _drain(chunks) -> list[bytes]:
    return [chunk async for chunk in chunks]


def watch_chunks(cluster: Cluster, path: str) -> list[bytes]:
    response = Client().get(path, headers=bearer(cluster))
    assert response.status_code == 200, response.content
    return async_to_sync(_drain)(response.streaming_content)


def events_of(chunks: list[bytes]) -> list[dict]:
    return [json.loads(line) for line in b"".join(chunks).splitlines() if line]


@pytest.mark.django_db
def test_a_watch_flushes_its_headers_before_the_first_event(cluster: Cluster) -> None:
    chunks = watch_chunks(
        cluster,
        "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&resourceVersion="
        f"{APIServer(cluster).current_revision()}",
    )
    assert chunks[0] == b""  # Daphne sends the status line and headers on this empty chunk


@pytest.mark.django_db
def test_send_initial_events_ends_the_initial_state_with_an_annotated_bookmark(
    cluster: Cluster, api: APIServer
) -> None:
    api.create("configmaps", "default", configmap("first"))
    api.create("configmaps", "default", configmap("second"))
    events = events_of(
        watch_chunks(
            cluster,
            "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true"
            "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
            "&timeoutSeconds=1",
        )
    )
    added = [e["object"]["metadata"]["name"] for e in events if e["type"] == "ADDED"]
    assert {"first", "second"} <= set(added)
    marker = events[len(added)]
    assert marker["type"] == "BOOKMARK"
    assert marker["object"]["kind"] == "ConfigMap" and marker["object"]["apiVersion"] == "v1"
    assert marker["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert marker["object"]["metadata"]["resourceVersion"] == str(api.current_revision())


@pytest.mark.django_db
def test_send_initial_events_false_starts_after_the_current_state(cluster: Cluster, api: APIServer) -> None:
    api.create("configmaps", "default", configmap("old"))
    events = events_of(
        watch_chunks(
            cluster,
            "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=false"
            "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
            "&timeoutSeconds=3",
        )
    )
    assert [e["type"] for e in events] == ["BOOKMARK"]  # only the one 2 s before the deadline
    assert "annotations" not in events[0]["object"]["metadata"]


@pytest.mark.django_db
def test_a_watch_shorter_than_two_seconds_gets_no_deadline_bookmark(cluster: Cluster) -> None:
    since = APIServer(cluster).current_revision()
    events = events_of(
        watch_chunks(
            cluster,
            "/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true"
            f"&timeoutSeconds=1&resourceVersion={since}",
        )
    )
    assert events == []


@pytest.mark.parametrize(
    "query, causes",
    [
        (
            "sendInitialEvents=true&allowWatchBookmarks=true",
            [
                "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
                "resourceVersionMatch to NotOlderThan"
            ],
        ),
        (
            "resourceVersionMatch=NotOlderThan",  # no allowWatchBookmarks check: ValidateListOptions has none
            [
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless "
                "sendInitialEvents is "
                "provided"
            ],
        ),
        (
            "sendInitialEvents=true&resourceVersionMatch=Exact&allowWatchBookmarks=true",
            [
                "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
                "resourceVersionMatch to NotOlderThan",
                'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"',
            ],
        ),
    ],
)
@pytest.mark.django_db
def test_inconsistent_watch_list_options_are_invalid_list_options(
    cluster: Cluster, query: str, causes: list[str]
) -> None:
    response = Client().get(f"/api/v1/namespaces/default/configmaps?watch=1&{query}", headers=bearer(cluster))
    assert response.status_code == 422
    status = response.json()
    assert status["reason"] == "Invalid" and status["details"]["kind"] == "ListOptions"
    assert status["details"]["group"] == "meta.k8s.io"
    joined = causes[0] if len(causes) == 1 else "[" + ", ".join(causes) + "]"
    assert status["message"] == f'ListOptions.meta.k8s.io "" is invalid: {joined}'


def test_the_watch_timeout_is_upstreams() -> None:
    assert watch.timeout_from("5") == 5.0
    assert watch.timeout_from("-1") == -1.0  # ends at once, as a negative timer fires at once
    for value in (None, "", "0"):  # no timeout asked for: between --min-request-timeout and twice that
        assert all(1800 <= watch.timeout_from(value) < 3600 for _ in range(50))


@pytest.mark.django_db
def test_a_negative_timeout_ends_the_watch_at_once(cluster: Cluster) -> None:
    assert watch_chunks(cluster, "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=-1") == [b""]


# -- kubectl get --raw, in-process ----------------------------------------------------------
@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz", "/livez/ping", "/readyz/etcd"])
@pytest.mark.django_db
def test_get_raw_of_each_health_path_prints_the_apis_own_answer(cluster: Cluster, api: APIServer, path: str) -> None:
    assert kubectl(api, "get", "--raw", path) == (0, "ok", "")
    assert kubectl(api, "get", "--raw", path) == (0, Client().get(path, headers=bearer(cluster)).content.decode(), "")


@pytest.mark.django_db
def test_get_raw_verbose_version_and_discovery(cluster: Cluster, api: APIServer) -> None:
    code, out, err = kubectl(api, "get", "--raw", "/readyz?verbose")
    assert (code, err) == (0, "") and out.startswith("[+]ping ok\n") and out.endswith("readyz check passed\n")
    assert json.loads(kubectl(api, "get", "--raw", "/version")[1])["gitVersion"] == "v1.32.0"
    pods = json.loads(kubectl(api, "get", "--raw", "/api/v1/namespaces/kube-system/pods")[1])
    assert pods["kind"] == "PodList"
    assert json.loads(kubectl(api, "get", "--raw", "https://elsewhere:6443/api")[1])["kind"] == "APIVersions"


@pytest.mark.django_db
def test_get_raw_errors_are_kubectls(cluster: Cluster, api: APIServer) -> None:
    assert kubectl(api, "get", "--raw", "/nope") == (
        1,
        "",
        "Error from server (NotFound): the server could not find the requested resource\n",
    )
    assert kubectl(api, "get", "--raw", "/c/test/") == (  # the API's paths only, never a page
        1,
        "",
        "Error from server (NotFound): the server could not find the requested resource\n",
    )
    assert kubectl(api, "get", "--raw", "healthz") == (
        1,
        "",
        'error: --raw must be a valid URL path: parse "healthz": invalid URI for request\n',
    )
    assert kubectl(api, "get", "pods", "--raw", "/healthz") == (
        1,
        "",
        "error: arguments may not be passed when --raw is specified\n",
    )
    assert kubectl(api, "get", "--raw", "/healthz", "-o", "json") == (
        1,
        "",
        "error: --raw and --output are mutually exclusive\n",
    )
    assert kubectl(api, "get", "--raw", "/healthz", "-w") == (
        1,
        "",
        "error: --raw may not be specified with other flags that filter the server request or alter the output\n",
    )


@pytest.mark.django_db
def test_get_raw_of_a_watch_streams_its_events(cluster: Cluster, api: APIServer) -> None:
    api.create("configmaps", "default", configmap("streamed"))
    code, out, err = kubectl(api, "get", "--raw", "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1")
    events = [json.loads(line) for line in out.splitlines()]
    assert (code, err) == (0, "")
    assert ("ADDED", "streamed") in [(e["type"], e["object"]["metadata"]["name"]) for e in events]


@pytest.mark.django_db
def test_the_in_process_kubectl_is_not_recorded_as_an_outside_client(cluster: Cluster, api: APIServer) -> None:
    from cluster.apiserver.http import clients

    kubectl(api, "get", "--raw", "/healthz")
    assert clients.seen(cluster) == ()
    Client().get("/healthz", headers={**bearer(cluster), "User-Agent": "kubectl/v1.32.0 (linux/amd64)"})
    assert clients.seen(cluster) == ("kubectl/v1.32.0 (linux/amd64)",)


# -- kubeconfigs point at the root ------------------------------------------------------------
@pytest.mark.django_db
def test_manage_py_cluster_kubeconfig_points_at_the_root(cluster: Cluster) -> None:
    out = io.StringIO()
    call_command("cluster", "kubeconfig", "test", "--server", "https://127.0.0.1:6443/", stdout=out)
    config = yaml.safe_load(out.getvalue())
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert config["users"][0]["user"]["token"] == cluster.token
