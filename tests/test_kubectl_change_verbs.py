"""kubectl delete, scale, set image, label, annotate, patch, expose, cordon, api-resources, explain and edit,
in-process, and the web terminal's kubectl: what a learner sees for each command, and what it changes."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from cluster.apiserver.server import APIServer
from cluster.kubectl import cli

from tests.kubectl_verbs_common import DEPLOYMENT, kubectl, ok, manifest


# -- delete -----------------------------------------------------------------
def test_delete_by_name_selector_all_and_file(api: APIServer, tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        ok(api, "create", "configmap", name)
    ok(api, "label", "cm", "a", "b", "tier=x")
    assert ok(api, "delete", "cm", "c") == 'configmap "c" deleted\n'
    assert ok(api, "delete", "cm", "-l", "tier=x") == 'configmap "a" deleted\nconfigmap "b" deleted\n'
    ok(api, "create", "configmap", "d")
    # --all takes the root CA publisher's ConfigMap too, as on a real cluster (where it is back a moment later)
    assert ok(api, "delete", "cm", "--all") == 'configmap "d" deleted\nconfigmap "kube-root-ca.crt" deleted\n'
    assert ok(api, "delete", "cm", "--all") == "No resources found\n"
    path = manifest(tmp_path, DEPLOYMENT)
    ok(api, "apply", "-f", path)
    assert ok(api, "delete", "-f", path) == 'deployment.apps "app1" deleted\n'


@pytest.mark.parametrize(
    "argv, message",
    [
        (["delete", "foo", "bar"], 'error: the server doesn\'t have a resource type "foo"\n'),
        (["delete", "pod", "nope"], 'Error from server (NotFound): pods "nope" not found\n'),
        (["delete", "deploy"], "error: resource(s) were provided, but no name was specified\n"),
        (["delete", "pods", "--all", "-l", "a=b"], "error: setting 'all' parameter but found a non empty selector. \n"),
        (
            ["delete", "cm", "x", "--cascade=bogus"],
            'error: invalid cascade value (bogus). Must be "background", "foreground", or "orphan"\n',
        ),
        (
            ["delete"],
            "error: You must provide one or more resources by argument or filename.\nExample resource "
            "specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n"
            "   '<resource>'\n",
        ),
    ],
)
def test_delete_rejects_bad_input(api: APIServer, argv: list[str], message: str) -> None:
    assert kubectl(api, *argv) == (1, "", message)


def test_delete_reports_every_missing_name_and_deletes_the_rest(api: APIServer) -> None:
    ok(api, "create", "configmap", "cfg")
    assert kubectl(api, "delete", "cm", "cfg", "sec") == (
        1,
        'configmap "cfg" deleted\n',
        'Error from server (NotFound): configmaps "sec" not found\n',
    )
    assert kubectl(api, "delete", "cm", "nope", "--ignore-not-found") == (0, "", "")


def test_delete_sends_the_cascade_and_grace_period(api: APIServer) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx")
    assert ok(api, "delete", "deploy", "web", "--cascade=orphan", "--wait=false") == 'deployment.apps "web" deleted\n'
    orphaned = api.list("deployments", "default")["items"]
    assert not orphaned or "orphan" in orphaned[0]["metadata"].get("finalizers", [])
    ok(api, "run", "p", "--image=nginx")
    code, out, err = kubectl(api, "delete", "pod", "p", "--grace-period=0", "--force")
    assert (code, out) == (0, 'pod "p" force deleted\n')
    assert err.startswith("Warning: Immediate deletion does not wait for confirmation")


# -- scale, set image, label, annotate, patch -------------------------------
def test_scale_goes_through_the_scale_subresource(api: APIServer) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx")
    assert ok(api, "scale", "deploy/web", "--replicas=5") == "deployment.apps/web scaled\n"
    assert api.get_scale("deployments", "default", "web")["spec"]["replicas"] == 5
    assert kubectl(api, "scale", "deploy", "web", "--replicas=3", "--current-replicas=2") == (
        1,
        "",
        "error: Expected replicas to be 2, was 5\n",
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["scale", "deploy", "nope", "--replicas=2"],
            'error: no objects passed to scale deployments.apps "nope" not found\n',
        ),
        (["scale", "deploy/web"], 'error: required flag(s) "replicas" not set\n'),
        (
            ["scale", "deploy/web", "--replicas=-1"],
            "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n",
        ),
        (["scale", "foo/web", "--replicas=1"], 'error: the server doesn\'t have a resource type "foo"\n'),
    ],
)
def test_scale_rejects_bad_input(api: APIServer, argv: list[str], message: str) -> None:
    assert kubectl(api, *argv) == (1, "", message)


def test_set_image_updates_only_when_the_image_changes(api: APIServer) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx")
    assert ok(api, "set", "image", "deployment/web", "nginx=nginx:1.27") == "deployment.apps/web image updated\n"
    assert ok(api, "set", "image", "deployment/web", "nginx=nginx:1.27") == ""
    assert kubectl(api, "set", "image", "deployment/web", "foo=nginx:1.27") == (
        1,
        "",
        'error: unable to find container named "foo"\n',
    )
    assert kubectl(api, "set", "image", "deployment/web") == (1, "", "error: at least one image update is required\n")
    assert (
        api.get("deployments", "default", "web")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    )


def test_label_sets_overwrites_and_removes(api: APIServer) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx")
    assert ok(api, "label", "deploy", "web", "tier=fe") == "deployment.apps/web labeled\n"
    assert kubectl(api, "label", "deploy", "web", "app=other") == (
        1,
        "",
        "error: 'app' already has a value (web), and --overwrite is false\n",
    )
    assert ok(api, "label", "deploy", "web", "app=other", "--overwrite") == "deployment.apps/web labeled\n"
    assert ok(api, "label", "deploy", "web", "app=other") == "deployment.apps/web not labeled\n"
    assert ok(api, "label", "deploy", "web", "tier-") == "deployment.apps/web unlabeled\n"
    assert ok(api, "label", "deploy", "web", "tier-") == 'label "tier" not found.\ndeployment.apps/web not labeled\n'
    assert api.get("deployments", "default", "web")["metadata"]["labels"] == {"app": "other"}
    assert kubectl(api, "label", "deploy", "web") == (1, "", "error: at least one label update is required\n")


def test_annotate_sets_and_removes(api: APIServer) -> None:
    ok(api, "create", "configmap", "cfg")
    assert ok(api, "annotate", "cm", "cfg", "note=hi") == "configmap/cfg annotated\n"
    assert api.get("configmaps", "default", "cfg")["metadata"]["annotations"] == {"note": "hi"}
    assert ok(api, "annotate", "cm", "cfg", "note-") == "configmap/cfg annotated\n"
    assert "annotations" not in api.get("configmaps", "default", "cfg")["metadata"]


@pytest.mark.parametrize(
    "patch_type, body, replicas",
    [
        ("strategic", '{"spec":{"replicas":2}}', 2),
        ("merge", '{"spec":{"replicas":3}}', 3),
        ("json", '[{"op":"replace","path":"/spec/replicas","value":4}]', 4),
        ("strategic", "spec:\n  replicas: 5\n", 5),
    ],
)
def test_patch_sends_each_patch_type(api: APIServer, patch_type: str, body: str, replicas: int) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx")
    assert ok(api, "patch", "deploy", "web", f"--type={patch_type}", "-p", body) == "deployment.apps/web patched\n"
    assert api.get("deployments", "default", "web")["spec"]["replicas"] == replicas
    assert (
        ok(api, "patch", "deploy", "web", f"--type={patch_type}", "-p", body)
        == "deployment.apps/web patched (no change)\n"
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["patch", "deploy", "web"],
            "error: must specify --patch or --patch-file containing the contents of the patch\n",
        ),
        (
            ["patch", "deploy", "web", "--type=foo", "-p", "{}"],
            'error: --type must be one of [json merge strategic], not "foo"\n',
        ),
        (["patch", "deploy", "nope", "-p", "{}"], 'Error from server (NotFound): deployments.apps "nope" not found\n'),
    ],
)
def test_patch_rejects_bad_input(api: APIServer, argv: list[str], message: str) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx")
    assert kubectl(api, *argv) == (1, "", message)


# -- expose, cordon ---------------------------------------------------------
def test_expose_builds_the_service_from_the_deployment(api: APIServer) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx", "--port=8080")
    assert (
        ok(api, "expose", "deployment", "web", "--port=80", "--target-port=8080", "--type=NodePort")
        == "service/web exposed\n"
    )
    svc = api.get("services", "default", "web")
    assert svc["metadata"]["labels"] == {"app": "web"}
    assert svc["spec"]["selector"] == {"app": "web"}
    assert svc["spec"]["type"] == "NodePort"
    assert {k: svc["spec"]["ports"][0][k] for k in ("port", "protocol", "targetPort")} == {
        "port": 80,
        "protocol": "TCP",
        "targetPort": 8080,
    }
    assert kubectl(api, "expose", "deployment", "web", "--port=80") == (
        1,
        "",
        'Error from server (AlreadyExists): services "web" already exists\n',
    )


def test_expose_finds_the_port_from_the_containers(api: APIServer) -> None:
    ok(api, "run", "p", "--image=nginx", "--port=8080")
    assert ok(api, "expose", "pod", "p") == "service/p exposed\n"
    assert api.get("services", "default", "p")["spec"]["ports"][0]["port"] == 8080
    ok(api, "run", "q", "--image=nginx")
    assert kubectl(api, "expose", "pod", "q") == (1, "", "error: couldn't find port via --port flag or introspection\n")


def test_cordon_and_uncordon_say_when_nothing_changes(api: APIServer) -> None:
    assert ok(api, "cordon", "worker-1") == "node/worker-1 cordoned\n"
    assert api.get("nodes", "", "worker-1")["spec"]["unschedulable"] is True
    assert ok(api, "cordon", "worker-1") == "node/worker-1 already cordoned\n"
    assert ok(api, "uncordon", "worker-1") == "node/worker-1 uncordoned\n"
    assert ok(api, "uncordon", "worker-1") == "node/worker-1 already uncordoned\n"
    assert kubectl(api, "cordon", "nope") == (1, "", 'Error from server (NotFound): nodes "nope" not found\n')
    assert kubectl(api, "cordon") == (
        1,
        "",
        "error: USAGE: cordon NODE [flags]\nSee 'kubectl cordon -h' for help and examples\n",
    )


# -- discovery, explain, edit -----------------------------------------------
def test_api_resources_lists_discovery_sorted_by_group(api: APIServer) -> None:
    lines = ok(api, "api-resources").splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert lines[1].split() == ["configmaps", "cm", "v1", "true", "ConfigMap"]
    assert lines[-1].split() == ["storageclasses", "sc", "storage.k8s.io/v1", "false", "StorageClass"]
    assert (
        ok(api, "api-resources", "--namespaced=false", "-o", "name")
        == "namespaces\nnodes\npersistentvolumes\nnodes.metrics.k8s.io\npriorityclasses.scheduling.k8s.io\n"
        "storageclasses.storage.k8s.io\n"
    )
    assert ok(api, "api-versions").splitlines() == [
        "apps/v1",
        "autoscaling/v1",
        "autoscaling/v2",
        "batch/v1",
        "coordination.k8s.io/v1",
        "discovery.k8s.io/v1",
        "events.k8s.io/v1",
        "metrics.k8s.io/v1beta1",
        "policy/v1",
        "scheduling.k8s.io/v1",
        "storage.k8s.io/v1",
        "v1",
    ]


def test_explain_prints_the_field_and_its_description(api: APIServer) -> None:
    assert ok(api, "explain", "deploy.spec.replicas") == (
        "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: replicas <integer>\n\n\n"
        "DESCRIPTION:\n    Number of desired pods. This is a pointer to distinguish between explicit\n"
        "    zero and not specified. Defaults to 1.\n    \n\n"
    )
    pods = ok(api, "explain", "pods")
    assert pods.startswith("KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n")
    assert "  spec\t<PodSpec>\n" in pods
    assert "  containers\t<[]Container> -required-\n" in ok(api, "explain", "pod.spec")
    assert kubectl(api, "explain", "pods.spec.foo") == (
        1,
        "KIND:       Pod\nVERSION:    v1\n\n",
        'error: field "foo" does not exist\n',
    )
    assert kubectl(api, "explain", "foo") == (1, "", 'the server doesn\'t have a resource type "foo"\n')


def test_edit_without_a_terminal_points_at_patch_and_apply(api: APIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBE_EDITOR", raising=False)
    ok(api, "create", "configmap", "cfg")
    code, out, err = kubectl(api, "edit", "cm", "cfg")
    assert (code, out) == (1, "")
    assert "kubectl patch" in err and "kubectl apply -f" in err and err.startswith("error: ")


def test_edit_with_an_editor_sends_the_change(api: APIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\np = sys.argv[1]\ntext = open(p).read()\n"
        "open(p, 'w').write(text.replace('name: cfg', 'name: cfg\\n  labels: {edited: \"yes\"}'))\n"
    )
    monkeypatch.setenv("KUBE_EDITOR", f"{sys.executable} {script}")
    ok(api, "create", "configmap", "cfg")
    assert ok(api, "edit", "cm", "cfg") == "configmap/cfg edited\n"
    assert api.get("configmaps", "default", "cfg")["metadata"]["labels"] == {"edited": "yes"}


# -- shared bad input -------------------------------------------------------
@pytest.mark.parametrize(
    "verb_args",
    [
        ["describe", "foo"],
        ["delete", "foo", "x"],
        ["label", "foo", "x", "a=b"],
        ["scale", "foo", "x", "--replicas=1"],
        ["patch", "foo", "x", "-p", "{}"],
        ["expose", "foo", "x"],
        ["rollout", "status", "foo/x"],
    ],
)
def test_unknown_resource_types_are_named(api: APIServer, verb_args: list[str]) -> None:
    assert kubectl(api, *verb_args) == (1, "", 'error: the server doesn\'t have a resource type "foo"\n')


@pytest.mark.parametrize(
    "verb_args, kind",
    [
        (["describe", "deploy", "nope"], 'deployments.apps "nope"'),
        (["label", "pod", "nope", "a=b"], 'pods "nope"'),
        (["annotate", "svc", "nope", "a=b"], 'services "nope"'),
        (["set", "image", "deploy/nope", "a=b"], 'deployments.apps "nope"'),
        (["expose", "deploy", "nope", "--port=80"], 'deployments.apps "nope"'),
        (["rollout", "restart", "deploy/nope"], 'deployments.apps "nope"'),
    ],
)
def test_missing_objects_are_reported_by_the_server(api: APIServer, verb_args: list[str], kind: str) -> None:
    assert kubectl(api, *verb_args) == (1, "", f"Error from server (NotFound): {kind} not found\n")


def web_terminal(api: APIServer, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(api, list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err, local_files=False)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["apply", "-f", "/etc/passwd"],
        ["create", "-f", "/etc"],
        ["delete", "-f", "/etc/hostname"],
        ["patch", "cm", "cfg", "--patch-file", "/etc/passwd"],
        ["edit", "cm", "cfg"],
    ],
)
def test_the_web_terminal_reads_no_server_files(
    api: APIServer, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.setenv("KUBE_EDITOR", "true")
    ok(api, "create", "configmap", "cfg")
    code, out, err = web_terminal(api, *argv)
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and "/etc" not in err and "root" not in err


def test_the_web_terminal_applies_pasted_manifests(api: APIServer) -> None:
    assert web_terminal(api, "apply", "-f", "-", stdin=DEPLOYMENT) == (0, "deployment.apps/app1 created\n", "")


def test_delete_all_all_removes_the_workloads_but_not_configmaps(api: APIServer) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx")
    ok(api, "run", "solo", "--image=nginx")
    ok(api, "create", "configmap", "cfg")
    out = ok(api, "delete", "all", "--all")
    assert out.splitlines() == ['pod "solo" deleted', 'service "kubernetes" deleted', 'deployment.apps "web" deleted']
    assert api.get("configmaps", "default", "cfg")["metadata"]["name"] == "cfg"


def test_delete_honours_a_field_selector(api):
    for name, node in (("a", "worker-1"), ("b", "worker-2")):
        api.create(
            "pods",
            "default",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "labels": {"app": "x"}},
                "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]},
            },
        )
    code, out, err = kubectl(
        api, "delete", "pods", "-l", "app=x", "--field-selector", "spec.nodeName=worker-1", "--wait=false"
    )
    assert (code, out, err) == (0, 'pod "a" deleted\n', "")
    remaining = {
        p["metadata"]["name"]
        for p in api.list("pods", "default")["items"]
        if not p["metadata"].get("deletionTimestamp")
    }
    assert remaining == {"b"}
