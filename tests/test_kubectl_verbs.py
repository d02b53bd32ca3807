"""kubectl's verbs other than get, in-process: what a learner sees for each command, and what it changes."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from cluster.apiserver.server import APIServer
from cluster.kubectl import cli

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: app1, labels: {app: app1}}
spec:
  replicas: 2
  selector: {matchLabels: {app: app1}}
  template:
    metadata: {labels: {app: app1}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.26
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
      - name: side
        image: busybox
"""


def kubectl(api: APIServer, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(api, list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def ok(api: APIServer, *argv: str, stdin: str = "") -> str:
    code, out, err = kubectl(api, *argv, stdin=stdin)
    assert (code, err) == (0, ""), err
    return out


def manifest(tmp_path: Path, text: str, name: str = "m.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- create and run ---------------------------------------------------------
def test_create_deployment_builds_the_object_kubectl_builds(api: APIServer) -> None:
    assert (
        ok(api, "create", "deployment", "web", "--image=nginx", "--replicas=3", "--port=80")
        == "deployment.apps/web created\n"
    )
    web = api.get("deployments", "default", "web")
    assert web["metadata"]["labels"] == {"app": "web"}
    assert web["spec"]["replicas"] == 3
    assert web["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert web["spec"]["template"]["metadata"]["labels"] == {"app": "web"}
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert (container["name"], container["image"], container["ports"][0]["containerPort"]) == ("nginx", "nginx", 80)


def test_create_deployment_dry_run_prints_kubectls_exact_yaml(api: APIServer) -> None:
    out = ok(api, "create", "deployment", "web", "--image=nginx", "--dry-run=client", "-o", "yaml")
    assert out == (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  creationTimestamp: null\n  labels:\n"
        "    app: web\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n"
        "  strategy: {}\n  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n"
        "        app: web\n    spec:\n      containers:\n      - image: nginx\n        name: nginx\n"
        "        resources: {}\nstatus: {}\n"
    )
    assert api.list("deployments", "default")["items"] == []


@pytest.mark.parametrize(
    "image, name",
    [
        ("nginx", "nginx"),
        ("nginx:1.27", "nginx"),
        ("registry.k8s.io/pause:3.9", "pause"),
        ("busybox@sha256:abc", "busybox"),
    ],
)
def test_container_name_is_the_image_name_without_registry_or_tag(api: APIServer, image: str, name: str) -> None:
    ok(api, "create", "deployment", "web", f"--image={image}")
    assert api.get("deployments", "default", "web")["spec"]["template"]["spec"]["containers"][0]["name"] == name


@pytest.mark.parametrize(
    "argv, message",
    [
        (["create", "deployment", "web"], 'error: required flag(s) "image" not set\n'),
        (
            ["create", "deployment", "a", "--image=nginx", "extra"],
            "error: exactly one NAME is required, got 2\nSee 'kubectl create deployment -h' for help and examples\n",
        ),
        (
            ["create", "namespace"],
            "error: exactly one NAME is required, got 0\nSee 'kubectl create namespace -h' for help and examples\n",
        ),
        (
            ["create", "foo", "bar"],
            "error: Unexpected args: [foo bar]\nSee 'kubectl create -h' for help and examples\n",
        ),
        (
            ["create", "configmap", "c", "--from-literal=novalue"],
            "error: invalid literal source novalue, expected key=value\n",
        ),
        (["create", "service", "clusterip", "s"], "error: at least one tcp port specifier must be provided\n"),
        (
            ["create", "service", "clusterip", "s", "--tcp=abc"],
            'error: strconv.ParseUint: parsing "abc": invalid syntax\n',
        ),
        (["run", "p"], 'error: required flag(s) "image" not set\n'),
        (["create", "deployment", "web", "--image=nginx", "--bogus"], "error: unknown flag: --bogus\n"),
    ],
)
def test_create_rejects_bad_input_in_kubectls_words(api: APIServer, argv: list[str], message: str) -> None:
    assert kubectl(api, *argv) == (1, "", message)


def test_create_twice_reports_the_conflict(api: APIServer) -> None:
    ok(api, "create", "deployment", "web", "--image=nginx")
    assert kubectl(api, "create", "deployment", "web", "--image=nginx") == (
        1,
        "",
        'error: failed to create deployment: deployments.apps "web" already exists\n',
    )


def test_create_namespace_configmap_secret_and_service(api: APIServer) -> None:
    assert ok(api, "create", "namespace", "shop") == "namespace/shop created\n"
    assert (
        ok(api, "create", "configmap", "cfg", "--from-literal=a=b", "--from-literal=c=d=e") == "configmap/cfg created\n"
    )
    assert ok(api, "create", "secret", "generic", "sec", "--from-literal=pw=s3cret") == "secret/sec created\n"
    assert ok(api, "create", "service", "clusterip", "web", "--tcp=80:8080") == "service/web created\n"
    assert api.get("configmaps", "default", "cfg")["data"] == {"a": "b", "c": "d=e"}
    assert api.get("secrets", "default", "sec")["data"] == {"pw": "czNjcmV0"}
    port = api.get("services", "default", "web")["spec"]["ports"][0]
    assert (port["name"], port["port"], port["targetPort"]) == ("80-8080", 80, 8080)


def test_run_creates_a_pod_labelled_run_name(api: APIServer) -> None:
    assert ok(api, "run", "pod1", "--image=nginx") == "pod/pod1 created\n"
    pod = api.get("pods", "default", "pod1")
    assert pod["metadata"]["labels"] == {"run": "pod1"}
    assert pod["spec"]["containers"][0]["name"] == "pod1"
    assert pod["spec"]["restartPolicy"] == "Always"


def test_create_from_file_reports_each_document(api: APIServer, tmp_path: Path) -> None:
    path = manifest(tmp_path, DEPLOYMENT + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c1}\n")
    assert ok(api, "create", "-f", path) == "deployment.apps/app1 created\nconfigmap/c1 created\n"
    code, out, err = kubectl(api, "create", "-f", path)
    assert (code, out) == (1, "")
    assert err == (
        f'Error from server (AlreadyExists): error when creating "{path}": deployments.apps "app1" '
        f'already exists\nError from server (AlreadyExists): error when creating "{path}": '
        'configmaps "c1" already exists\n'
    )


# -- apply ------------------------------------------------------------------
def test_apply_creates_then_is_unchanged_then_configures(api: APIServer, tmp_path: Path) -> None:
    path = manifest(tmp_path, DEPLOYMENT)
    assert ok(api, "apply", "-f", path) == "deployment.apps/app1 created\n"
    assert ok(api, "apply", "-f", path) == "deployment.apps/app1 unchanged\n"
    manifest(tmp_path, DEPLOYMENT.replace("nginx:1.26", "nginx:1.27"))
    assert ok(api, "apply", "-f", path) == "deployment.apps/app1 configured\n"
    assert (
        api.get("deployments", "default", "app1")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    )


def test_apply_records_the_manifest_as_kubectl_does(api: APIServer, tmp_path: Path) -> None:
    ok(
        api,
        "apply",
        "-f",
        manifest(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good1}\ndata: {a: '1'}\n"),
    )
    annotations = api.get("configmaps", "default", "good1")["metadata"]["annotations"]
    assert annotations["kubectl.kubernetes.io/last-applied-configuration"] == (
        '{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"good1",'
        '"namespace":"default"}}\n'
    )


def test_apply_removes_what_the_manifest_dropped_and_keeps_what_others_set(api: APIServer, tmp_path: Path) -> None:
    path = manifest(tmp_path, DEPLOYMENT)
    ok(api, "apply", "-f", path)
    ok(api, "label", "deploy", "app1", "owner=ops")
    ok(api, "scale", "deploy", "app1", "--replicas=4")
    manifest(
        tmp_path,
        DEPLOYMENT.replace(', {name: B, value: "2"}', "").replace("      - name: side\n        image: busybox\n", ""),
    )
    assert ok(api, "apply", "-f", path) == "deployment.apps/app1 configured\n"
    live = api.get("deployments", "default", "app1")
    containers = live["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["nginx"]
    assert containers[0]["env"] == [{"name": "A", "value": "1"}]
    assert live["metadata"]["labels"] == {"app": "app1", "owner": "ops"}
    assert live["spec"]["replicas"] == 2  # the manifest says 2, so apply sets it back


def test_apply_warns_about_objects_created_without_apply(api: APIServer, tmp_path: Path) -> None:
    path = manifest(tmp_path, DEPLOYMENT)
    ok(api, "create", "-f", path)
    code, out, err = kubectl(api, "apply", "-f", path)
    assert (code, out) == (0, "deployment.apps/app1 configured\n")
    assert err.startswith(
        "Warning: resource deployments/app1 is missing the kubectl.kubernetes.io/last-applied-configuration annotation"
    )


def test_apply_reads_stdin_and_directories_in_name_order(api: APIServer, tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    (folder / "a.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}')
    (folder / "notes.txt").write_text("not a manifest")
    assert ok(api, "apply", "-f", str(folder)) == "configmap/a created\nconfigmap/b created\n"
    assert (
        ok(api, "apply", "-f", "-", stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
        == "namespace/shop created\n"
    )


def test_a_server_error_in_one_document_does_not_stop_the_others(api: APIServer, tmp_path: Path) -> None:
    path = manifest(
        tmp_path,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n1}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n3, namespace: nope}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n4}\n",
    )
    code, out, err = kubectl(api, "apply", "-f", path)
    assert (code, out) == (1, "configmap/n1 created\nconfigmap/n4 created\n")
    assert err == f'Error from server (NotFound): error when creating "{path}": namespaces "nope" not found\n'


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            "apiVersion: v1\nmetadata: {name: m2}\n",
            'error: error validating "{path}": error validating data: kind not set; if you choose to '
            "ignore these errors, "
            "turn validation off with --validate=false\n",
        ),
        (
            "kind: ConfigMap\nmetadata: {name: m2}\n",
            'error: error validating "{path}": error validating data: apiVersion not set; if you '
            "choose to ignore these "
            "errors, turn validation off with --validate=false\n",
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad\ndata: [\n",
            # the real kubectl v1.32's words (go-yaml numbers a parser error's line from 0)
            "error: error parsing {path}: error converting YAML to JSON: yaml: line 3: "
            "did not find expected ',' or '}}'\n",
        ),
    ],
)
def test_an_unreadable_document_ends_its_file_as_kubectl_does(
    api: APIServer, tmp_path: Path, bad: str, message: str
) -> None:
    path = manifest(
        tmp_path,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m1}\n---\n"
        + bad
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: m3}\n",
    )
    assert kubectl(api, "apply", "-f", path) == (1, "configmap/m1 created\n", message.format(path=path))
    assert [
        c["metadata"]["name"]
        for c in api.list("configmaps", "default")["items"]
        if c["metadata"]["name"] != "kube-root-ca.crt"
    ] == ["m1"]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "apiVersion: v1\nkind: Foo\nmetadata: {name: nk}\n",
            'error: resource mapping not found for name: "nk" namespace: "" from "{path}": no '
            'matches for kind "Foo" in '
            'version "v1"\nensure CRDs are installed first\n',
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n",
            'error: error when retrieving current configuration of:\nResource: "/v1, Resource=configmaps", '
            'GroupVersionKind: "/v1, Kind=ConfigMap"\nName: "", Namespace: "default"\nfrom server for: "{path}": '
            "resource name may not be empty\n",
        ),
    ],
)
def test_apply_explains_manifests_it_cannot_place(api: APIServer, tmp_path: Path, text: str, message: str) -> None:
    path = manifest(tmp_path, text)
    assert kubectl(api, "apply", "-f", path) == (1, "", message.format(path=path))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["apply", "-f", "nothere.yaml"], 'error: the path "nothere.yaml" does not exist\n'),
        (["apply", "-f", "-"], "error: no objects passed to apply\n"),
        (["apply"], "error: must specify one of -f and -k\nSee 'kubectl apply -h' for help and examples\n"),
    ],
)
def test_apply_usage_errors(api: APIServer, argv: list[str], message: str) -> None:
    assert kubectl(api, *argv) == (1, "", message)


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
        == "namespaces\nnodes\npersistentvolumes\nnodes.metrics.k8s.io\nstorageclasses.storage.k8s.io\n"
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


def test_apply_switches_a_deployment_to_recreate(api: APIServer, tmp_path: Path) -> None:
    path = manifest(tmp_path, DEPLOYMENT)
    ok(api, "apply", "-f", path)
    manifest(tmp_path, DEPLOYMENT.replace("  replicas: 2\n", "  replicas: 2\n  strategy: {type: Recreate}\n"))
    assert ok(api, "apply", "-f", path) == "deployment.apps/app1 configured\n"
    assert api.get("deployments", "default", "app1")["spec"]["strategy"] == {"type": "Recreate"}


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


@pytest.mark.parametrize("verb", ["apply", "create"])
def test_client_dry_run_changes_nothing(api: APIServer, tmp_path: Path, verb: str) -> None:
    path = manifest(tmp_path, DEPLOYMENT)
    assert ok(api, verb, "-f", path, "--dry-run=client") == "deployment.apps/app1 created (dry run)\n"
    assert api.list("deployments", "default")["items"] == []


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
