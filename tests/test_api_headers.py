"""The API answers with kube-apiserver's headers, whatever the answer; the dashboard's pages keep their own."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, override_settings

from cluster.models import Cluster

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PAGE_HEADERS = ("Content-Language", "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy")
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}


def answer(client: Client, cluster: Cluster, how: str):
    auth = {"Authorization": f"Bearer {cluster.token}"}
    calls = {
        "list": lambda: client.get("/api/v1/namespaces/default/configmaps", headers=auth),
        "create": lambda: client.post(
            "/api/v1/namespaces/default/configmaps", json.dumps(CONFIGMAP), "application/json", headers=auth
        ),
        "not found": lambda: client.get("/api/v1/namespaces/default/configmaps/missing", headers=auth),
        "unauthorized": lambda: client.get("/api/v1/namespaces", headers={"Authorization": "Bearer wrong"}),
        "livez": lambda: client.get("/livez", headers=auth),
        "version under the prefix": lambda: client.get(f"/k8s/{cluster.name}/version", headers=auth),
        "openapi v2": lambda: client.get("/openapi/v2", headers={**auth, "Accept": "application/json"}),
        "watch": lambda: client.get("/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=0", headers=auth),
    }
    return calls[how]()


@pytest.mark.parametrize(
    "how, status, vary, cache_control",
    [
        ("list", 200, None, "no-cache, private"),
        ("create", 201, None, "no-cache, private"),
        ("not found", 404, None, "no-cache, private"),
        ("unauthorized", 401, None, "no-cache, private"),
        ("livez", 200, None, "no-cache, private"),
        ("version under the prefix", 200, None, "no-cache, private"),
        ("openapi v2", 200, "Accept", "no-cache, private"),  # the OpenAPI handler's own Vary stays
        ("watch", 200, None, "no-cache, private"),
    ],
)
@pytest.mark.django_db
def test_every_api_answer_carries_an_audit_id_and_no_page_headers(cluster, how, status, vary, cache_control):
    response = answer(Client(), cluster, how)
    assert response.status_code == status
    assert UUID.match(response.headers["Audit-Id"])
    assert response.headers["Cache-Control"] == cache_control
    assert response.headers.get("Vary") == vary
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert [h for h in PAGE_HEADERS if h in response.headers] == []


@pytest.mark.django_db
def test_each_request_gets_its_own_audit_id_unless_it_brings_one(cluster):
    client, auth = Client(), {"Authorization": f"Bearer {cluster.token}"}
    first, second = (client.get("/version", headers=auth).headers["Audit-Id"] for _ in range(2))
    assert first != second
    chosen = client.get("/version", headers={**auth, "Audit-ID": "lesson-3-step-2"})
    assert chosen.headers["Audit-Id"] == "lesson-3-step-2"


@pytest.mark.django_db
def test_a_hashed_openapi_document_keeps_its_own_cache_control(cluster):
    auth = {"Authorization": f"Bearer {cluster.token}"}
    index = Client().get("/openapi/v3", headers=auth).json()
    url = index["paths"]["api/v1"]["serverRelativeURL"]
    document = Client().get(url, headers=auth)
    assert document.status_code == 200
    assert document.headers["Cache-Control"] == "public, immutable"


@override_settings(KUBECLASS_API_QPS=1, KUBECLASS_API_BURST=1)
@pytest.mark.django_db
def test_a_refusal_for_too_many_requests_carries_them_too(cluster):
    client, auth = Client(), {"Authorization": f"Bearer {cluster.token}"}
    client.get("/version", headers=auth)
    refused = client.get("/version", headers=auth)
    assert refused.status_code == 429
    assert UUID.match(refused.headers["Audit-Id"]) and refused.headers["Cache-Control"] == "no-cache, private"


@pytest.mark.django_db
def test_the_dashboards_pages_keep_their_page_headers(cluster):
    page = Client().get("/lessons/")
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY" and "Content-Language" in page.headers
    assert "Audit-Id" not in page.headers
