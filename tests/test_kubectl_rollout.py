"""`kubectl rollout` in-process: history and undo from ReplicaSets, pause/resume/restart, status messages."""

from __future__ import annotations

import json

import pytest

from cluster.apiserver.server import APIServer
from tests.kubectl_verbs_common import kubectl, ok


def add_revision(api: APIServer, deployment: dict, revision: int, image: str) -> None:
    template = json.loads(json.dumps(deployment["spec"]["template"]))
    template["metadata"]["labels"]["pod-template-hash"] = f"h{revision}"
    template["spec"]["containers"][0]["image"] = image
    api.create(
        "replicasets",
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"web-h{revision}",
                "labels": template["metadata"]["labels"],
                "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": "web",
                        "uid": deployment["metadata"]["uid"],
                        "controller": True,
                    }
                ],
            },
            "spec": {"replicas": 0, "selector": {"matchLabels": template["metadata"]["labels"]}, "template": template},
        },
    )


def test_rollout_history_and_undo_read_the_replicasets(api: APIServer) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx:1.26")
    web = api.get("deployments", "default", "web")
    assert ok(api, "rollout", "history", "deploy/web") == "deployment.apps/web \nNo rollout history found.\n"
    assert kubectl(api, "rollout", "undo", "deploy/web") == (
        1,
        "",
        'error: no rollout history found for deployment "web"\n',
    )
    add_revision(api, web, 1, "nginx:1.26")
    add_revision(api, web, 2, "nginx:1.27")
    ok(api, "set", "image", "deploy/web", "nginx=nginx:1.27")
    ok(api, "annotate", "deploy", "web", "deployment.kubernetes.io/revision=2")  # as the controller would
    assert (
        ok(api, "rollout", "history", "deploy/web")
        == "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    )
    assert ok(api, "rollout", "undo", "deploy/web") == "deployment.apps/web rolled back\n"
    restored = api.get("deployments", "default", "web")
    assert restored["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert "pod-template-hash" not in restored["spec"]["template"]["metadata"]["labels"]
    assert restored["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "2"}
    assert (
        ok(api, "rollout", "undo", "deploy/web", "--to-revision=1")
        == "deployment.apps/web skipped rollback (current template already matches revision 1)\n"
    )
    assert kubectl(api, "rollout", "undo", "deploy/web", "--to-revision=5") == (
        1,
        "",
        "error: unable to find specified revision 5 in history\n",
    )


def test_rollout_pause_resume_and_restart(api: APIServer) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx")
    assert ok(api, "rollout", "pause", "deploy/web") == "deployment.apps/web paused\n"
    assert api.get("deployments", "default", "web")["spec"]["paused"] is True
    assert kubectl(api, "rollout", "pause", "deploy/web") == (
        1,
        "",
        'error: deployments.apps "web" is already paused\n',
    )
    assert kubectl(api, "rollout", "restart", "deploy/web") == (
        1,
        "",
        "error: can't restart paused deployment (run rollout resume first)\n",
    )
    assert ok(api, "rollout", "resume", "deploy/web") == "deployment.apps/web resumed\n"
    assert kubectl(api, "rollout", "resume", "deploy/web") == (1, "", 'error: deployments.apps "web" is not paused\n')
    assert ok(api, "rollout", "restart", "deploy/web") == "deployment.apps/web restarted\n"
    annotations = api.get("deployments", "default", "web")["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations


@pytest.mark.parametrize(
    "status, message",
    [
        ({"observedGeneration": 0}, "Waiting for deployment spec update to be observed...\n"),
        (
            {"observedGeneration": 1, "updatedReplicas": 1, "replicas": 1},
            'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n',
        ),
        (
            {"observedGeneration": 1, "updatedReplicas": 3, "replicas": 4},
            'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n',
        ),
        (
            {"observedGeneration": 1, "updatedReplicas": 3, "replicas": 3, "availableReplicas": 0},
            'Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...\n',
        ),
        (
            {"observedGeneration": 1, "updatedReplicas": 3, "replicas": 3, "availableReplicas": 3},
            'deployment "web" successfully rolled out\n',
        ),
    ],
)
def test_rollout_status_prints_kubectls_messages(api: APIServer, status: dict, message: str) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx", "--replicas=3")
    api.update_with("deployments", "default", "web", lambda d: {**d, "status": status}, subresource="status")
    assert ok(api, "rollout", "status", "deploy/web", "--watch=false") == message


def test_rollout_rejects_unknown_subcommands_and_kinds(api: APIServer) -> None:
    assert kubectl(api, "rollout", "foo", "deploy/web") == (
        1,
        "",
        "error: unknown command \"foo deploy/web\"\nSee 'kubectl rollout -h' for help and examples\n",
    )
    ok(api, "run", "p", "--image=nginx")
    assert kubectl(api, "rollout", "history", "pod/p") == (
        1,
        "",
        'error: no history viewer has been implemented for "Pod"\n',
    )


def test_rollout_status_reports_a_finished_rollout_of_the_real_controllers(api: APIServer) -> None:
    from tests import workloads

    api.create("deployments", "default", workloads.deployment(replicas=2))
    workloads.settle(api)
    assert (
        ok(api, "rollout", "status", "deploy/web", "--watch=false")
        == 'Waiting for deployment "web" rollout to finish: 0 of 2 updated replicas are available...\n'
    )
    workloads.ready_all(api)
    workloads.settle(api)
    assert ok(api, "rollout", "status", "deploy/web") == 'deployment "web" successfully rolled out\n'
    workloads.set_image(api, "nginx:1.28")
    workloads.settle(api)
    assert (
        ok(api, "rollout", "history", "deploy/web")
        == "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    )
