"""How kube-apiserver serves Job, CronJob, DaemonSet, StatefulSet and ControllerRevision.

Discovery (the `all` category, short names, subresources), the OpenAPI documents the real kubectl
validates against, upstream's defaults, the generated Job selector, the initial status, protobuf
bodies from kubectl's typed clients, garbage collection through ownerReferences, and the step
explanations the new controllers' requests carry.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cluster import steps
from cluster.apiserver.http import protobuf
from cluster.apiserver.resources import in_category
from cluster.reconciler import control
from tests.test_http_api import AGGREGATED, Kube
from tests.workload_sim import Sim


@pytest.fixture
def kube(cluster) -> Kube:
    return Kube(cluster)


def test_discovery_lists_the_workload_resources_as_upstream_does(kube):
    apps = {r["name"]: r for r in kube.get("/apis/apps/v1").json()["resources"]}
    assert apps["daemonsets"]["shortNames"] == ["ds"] and apps["daemonsets"]["categories"] == ["all"]
    assert apps["statefulsets"]["shortNames"] == ["sts"] and "statefulsets/scale" in apps
    assert (
        apps["controllerrevisions"]["kind"] == "ControllerRevision" and "categories" not in apps["controllerrevisions"]
    )
    batch = {r["name"]: r for r in kube.get("/apis/batch/v1").json()["resources"]}
    assert sorted(batch) == ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]
    assert batch["cronjobs"]["shortNames"] == ["cj"] and "shortNames" not in batch["jobs"]
    groups = [item["metadata"].get("name") for item in kube.get("/apis", Accept=AGGREGATED).json()["items"]]
    assert groups.index("batch") == groups.index("autoscaling") + 1


def test_get_all_lists_the_category_in_kubectls_order():
    assert [rt.plural for rt in in_category("all")] == [
        "pods",
        "services",
        "daemonsets",
        "deployments",
        "replicasets",
        "statefulsets",
        "horizontalpodautoscalers",
        "cronjobs",
        "jobs",
    ]


def test_openapi_v3_describes_batch_v1(kube):
    index = kube.get("/openapi/v3").json()["paths"]
    assert "apis/batch/v1" in index
    document = json.loads(Client().get(index["apis/batch/v1"]["serverRelativeURL"], headers=kube.headers).content)
    assert "io.k8s.api.batch.v1.CronJob" in document["components"]["schemas"]
    assert "/apis/batch/v1/namespaces/{namespace}/jobs/{name}/status" in document["paths"]


def test_defaults_are_upstreams(api):
    sim_cj = api.create(
        "cronjobs",
        "default",
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "c"},
            "spec": {
                "schedule": "@daily",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
                        }
                    }
                },
            },
        },
    )
    assert {
        k: sim_cj["spec"][k]
        for k in ("concurrencyPolicy", "suspend", "successfulJobsHistoryLimit", "failedJobsHistoryLimit")
    } == {"concurrencyPolicy": "Allow", "suspend": False, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1}
    assert "completions" not in sim_cj["spec"]["jobTemplate"]["spec"]  # Job defaults apply to Jobs, not templates
    assert sim_cj["status"] == {}
    sts = api.create(
        "statefulsets",
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "s"},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        },
    )
    assert sts["spec"]["podManagementPolicy"] == "OrderedReady" and sts["spec"]["replicas"] == 1
    assert sts["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert sts["status"] == {"replicas": 0, "availableReplicas": 0} and sts["metadata"]["generation"] == 1


def test_a_job_gets_a_generated_selector_and_labels(api):
    job = api.create(
        "jobs",
        "default",
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "j"},
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "x"}},
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]},
                }
            },
        },
    )
    uid = job["metadata"]["uid"]
    expected = {
        "app": "x",
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "j",
        "controller-uid": uid,
        "job-name": "j",
    }
    assert job["spec"]["template"]["metadata"]["labels"] == expected and job["metadata"]["labels"] == expected
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert {
        k: job["spec"][k]
        for k in ("completions", "parallelism", "backoffLimit", "completionMode", "suspend", "podReplacementPolicy")
    } == {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed",
    }


def _varint(value: int) -> bytes:
    out = b""
    while True:
        byte, value = value & 0x7F, value >> 7
        out += bytes([byte | (0x80 if value else 0)])
        if not value:
            return out


def _field(number: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def test_protobuf_bodies_of_kubectl_create_job_are_decoded(kube):
    container = _field(1, "pi") + _field(2, "perl") + _field(3, "perl")
    owner = _field(5, "batch/v1") + _field(1, "CronJob") + _field(3, "cj") + _field(4, "u1") + _field(6, 1)
    meta = _field(1, "pi") + _field(13, owner)
    spec = _field(6, _field(2, _field(2, container) + _field(3, "Never"))) + _field(7, 4)
    raw = _field(1, meta) + _field(2, spec) + _field(3, b"")
    body = protobuf.MAGIC + _field(1, _field(1, "batch/v1") + _field(2, "Job")) + _field(2, raw)
    assert protobuf.decode(body) == {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": {
            "name": "pi",
            "ownerReferences": [
                {"apiVersion": "batch/v1", "kind": "CronJob", "name": "cj", "uid": "u1", "controller": True}
            ],
        },
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "pi", "image": "perl", "command": ["perl"]}], "restartPolicy": "Never"}
            },
            "backoffLimit": 4,
        },
    }
    created = kube.request(
        "POST", "/apis/batch/v1/namespaces/default/jobs", body, content_type="application/vnd.kubernetes.protobuf"
    )
    assert created.status_code == 201, created.content


def test_deleting_an_owner_collects_its_revisions_jobs_and_pods(cluster):
    sim = Sim(cluster)
    sim.ok("create cronjob tick --image=busybox:1.36 --schedule='* * * * *' -- sleep 300")
    sim.run(70)
    assert sim.api.list("jobs", "default")["items"] and sim.pods(prefix="tick-")
    sim.ok("delete cronjob tick")
    sim.run(60)
    assert sim.api.list("jobs", "default")["items"] == [] and sim.pods(prefix="tick-") == []


def test_the_new_controllers_requests_say_why_in_english_and_korean(cluster):
    sim = Sim(cluster)
    before = control.last_seq(sim.cluster)
    sim.ok("create job hi --image=busybox:1.36 -- echo hi")
    sim.run(10)
    english = [s for s in steps.since(sim.cluster, before, limit=10_000) if s["message_id"].startswith("request.job.")]
    korean = [
        s
        for s in steps.since(sim.cluster, before, limit=10_000, lang="ko")
        if s["message_id"].startswith("request.job.")
    ]
    create = next(s for s in english if s["message_id"] == "request.job.create")
    assert create["from"] == "job-controller" and create["verb"] == "POST"
    assert create["object"].startswith("pods/default/hi-") and not create["object"].endswith("-")
    assert create["explanation"] == (
        f"job-controller creates {create['object']}: the Job wants 1 pod(s) running and has 0."
    )
    ko = next(s for s in korean if s["message_id"] == "request.job.create")
    assert ko["explanation"].startswith(f"job-controller가 {create['object']}")
    assert "Job에는 실행 중인 포드가 1개 필요한데 지금은 0개입니다." in ko["explanation"]
    finalizer = next(s for s in english if s["message_id"] == "request.job.finalizer")
    assert "removes the batch.kubernetes.io/job-tracking finalizer" in finalizer["explanation"]
    assert "(Succeeded)" in finalizer["explanation"]


def test_every_workload_controller_explains_its_requests(cluster):
    from tests.test_cronjob_controller import HELLO
    from tests.test_daemonset_controller import daemonset
    from tests.test_statefulset_controller import WEB

    sim = Sim(cluster)
    before = control.last_seq(sim.cluster)
    sim.apply(HELLO)
    sim.apply(WEB)
    sim.apply(daemonset())
    sim.run(70)
    recorded = steps.since(sim.cluster, before, limit=100_000)
    seen = {s["message_id"]: s for s in recorded}
    for message_id in (
        "request.cronjob.create",
        "request.statefulset.create",
        "request.statefulset.claim",
        "request.revision.create",
        "request.daemonset.create",
    ):
        assert message_id in seen, message_id
    claim = seen["request.statefulset.claim"]
    assert claim["from"] == "statefulset-controller" and claim["object"].startswith("persistentvolumeclaims/")
    assert claim["explanation"].startswith(f"statefulset-controller creates {claim['object']} for pod web-")
    created = next(
        s
        for s in recorded
        if s["message_id"] == "request.daemonset.create" and s["object"].startswith("pods/default/agent-")
    )  # not kube-proxy's or kindnet's
    assert "DaemonSet agent runs one pod on every node it fits" in created["explanation"]
