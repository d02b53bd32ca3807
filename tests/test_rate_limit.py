"""One client cannot take the server from the others: past its rate, kube-apiserver's 429."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from cluster.bootstrap import create_cluster


@pytest.mark.django_db
@override_settings(KUBECLASS_API_QPS=0.001, KUBECLASS_API_BURST=5)
def test_a_token_past_its_burst_gets_429_with_retry_after_and_others_do_not():
    greedy, calm = create_cluster("greedy", nodes=1), create_cluster("calm", nodes=1)
    client = Client()
    statuses = [
        client.get(
            f"/k8s/{greedy.name}/api/v1/namespaces", headers={"Authorization": f"Bearer {greedy.token}"}
        ).status_code
        for _ in range(8)
    ]
    assert statuses == [200] * 5 + [429] * 3
    refused = client.get(f"/k8s/{greedy.name}/api/v1/namespaces", headers={"Authorization": f"Bearer {greedy.token}"})
    assert refused["Retry-After"] == "1"
    assert refused.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Too many requests, please try again later.",
        "reason": "TooManyRequests",
        "details": {"retryAfterSeconds": 1},
        "code": 429,
    }
    assert (
        client.get(f"/k8s/{calm.name}/api/v1/namespaces", headers={"Authorization": f"Bearer {calm.token}"}).status_code
        == 200
    )
