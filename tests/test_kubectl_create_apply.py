"""kubectl create, run and apply, in-process: what a learner sees for each command, and what it changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster.apiserver.server import APIServer

from tests.kubectl_verbs_common import DEPLOYMENT, kubectl, ok, manifest


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
        (
            ["create", "service", "externalname", "db", "--external-name=Bad_Name"],
            "error: invalid service external name Bad_Name\n",
        ),
        (["run", "p"], 'error: required flag(s) "image" not set\n'),
        (["create", "deployment", "web", "--image=nginx", "--bogus"], "error: unknown flag: --bogus\n"),
    ],
)
def test_create_rejects_bad_input_in_kubectls_words(api: APIServer, argv: list[str], message: str) -> None:
    assert kubectl(api, *argv) == (1, "", message)


# The real kubectl v1.32's `--dry-run=client -o yaml` for each (compared by hand, byte for byte).
EXTERNAL_NAME = """apiVersion: v1
kind: Service
metadata:
  creationTimestamp: null
  labels:
    app: api
  name: api
spec:
  externalName: kubernetes.default.svc.cluster.local
  selector:
    app: api
  type: ExternalName
status:
  loadBalancer: {}
"""
HEADLESS = """apiVersion: v1
kind: Service
metadata:
  creationTimestamp: null
  labels:
    app: h
  name: h
spec:
  clusterIP: None
  selector:
    app: h
  type: ClusterIP
status:
  loadBalancer: {}
"""


@pytest.mark.parametrize(
    ("argv", "printed"),
    [
        (["externalname", "api", "--external-name=kubernetes.default.svc.cluster.local"], EXTERNAL_NAME),
        (["clusterip", "h", "--clusterip=None"], HEADLESS),  # a headless Service needs no port
    ],
)
def test_create_service_builds_what_kubectl_builds(api: APIServer, argv: list[str], printed: str) -> None:
    assert kubectl(api, "create", "service", *argv, "--dry-run=client", "-o", "yaml") == (0, printed, "")


def test_create_service_externalname_requires_the_name_as_cobra_does(api: APIServer) -> None:
    code, out, err = kubectl(api, "create", "service", "externalname", "db")
    assert (code, out) == (1, "")
    assert err.endswith(' run.go:72] "command failed" err="required flag(s) \\"external-name\\" not set"\n'), err


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


def test_run_expose_creates_the_service_first_as_kubectl_does(api: APIServer) -> None:
    assert ok(api, "run", "web", "--image=nginx", "--port=80", "--expose") == "service/web created\npod/web created\n"
    spec = api.get("services", "default", "web")["spec"]
    assert (spec["type"], spec["selector"], spec["ports"]) == (
        "ClusterIP",
        {"run": "web"},
        [{"protocol": "TCP", "port": 80, "targetPort": 80}],
    )
    assert kubectl(api, "run", "x", "--image=nginx", "--expose") == (
        1,
        "",
        "error: --port must be set when exposing a service\nSee 'kubectl run -h' for help and examples\n",
    )
    # the real kubectl v1.32's bytes, its YAML printer's two separators included
    assert ok(
        api, "run", "e8", "--image=nginx", "--port=8080", "--expose", "--labels=app=x", "--dry-run=client", "-o", "yaml"
    ) == (
        "apiVersion: v1\nkind: Service\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: x\n  name: e8\n"
        "spec:\n  ports:\n  - port: 8080\n    protocol: TCP\n    targetPort: 8080\n  selector:\n    app: x\n"
        "status:\n  loadBalancer: {}\n---\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: null\n"
        "  labels:\n    app: x\n  name: e8\nspec:\n  containers:\n  - image: nginx\n    name: e8\n    ports:\n"
        "    - containerPort: 8080\n    resources: {}\n  dnsPolicy: ClusterFirst\n  restartPolicy: Always\nstatus: {}\n"
    )


@pytest.mark.parametrize(
    ("flags", "container"),
    [
        (["-i"], {"stdin": True, "stdinOnce": True}),
        (["-it"], {"stdin": True, "stdinOnce": True, "tty": True}),
        (["--stdin", "--tty"], {"stdin": True, "stdinOnce": True, "tty": True}),
        ([], {}),
    ],
)
def test_run_i_and_t_give_the_container_stdin_and_a_tty(api: APIServer, flags: list[str], container: dict) -> None:
    """What kubectl's run puts in the pod (--attach=false: created, not attached)."""
    assert ok(api, "run", "shell", "--image=busybox", *flags, "--attach=false", "--", "sh") == "pod/shell created\n"
    spec = api.get("pods", "default", "shell")["spec"]["containers"][0]
    assert {k: spec[k] for k in ("stdin", "stdinOnce", "tty") if k in spec} == container


def test_run_rm_needs_an_attached_container(api: APIServer) -> None:
    assert kubectl(api, "run", "x", "--image=busybox", "--rm") == (
        1,
        "",
        "error: --rm should only be used for attached containers\nSee 'kubectl run -h' for help and examples\n",
    )
    assert api.list("pods", "default")["items"] == []
    assert kubectl(api, "run", "x", "--image=busybox", "-i", "--dry-run=client") == (
        1,
        "",
        "error: --dry-run=[server|client] can't be used with attached containers options (--attach, --stdin, or "
        "--tty)\nSee 'kubectl run -h' for help and examples\n",
    )


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


def test_apply_switches_a_deployment_to_recreate(api: APIServer, tmp_path: Path) -> None:
    path = manifest(tmp_path, DEPLOYMENT)
    ok(api, "apply", "-f", path)
    manifest(tmp_path, DEPLOYMENT.replace("  replicas: 2\n", "  replicas: 2\n  strategy: {type: Recreate}\n"))
    assert ok(api, "apply", "-f", path) == "deployment.apps/app1 configured\n"
    assert api.get("deployments", "default", "app1")["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize("verb", ["apply", "create"])
def test_client_dry_run_changes_nothing(api: APIServer, tmp_path: Path, verb: str) -> None:
    path = manifest(tmp_path, DEPLOYMENT)
    assert ok(api, verb, "-f", path, "--dry-run=client") == "deployment.apps/app1 created (dry run)\n"
    assert api.list("deployments", "default")["items"] == []


def test_run_overrides_change_the_pod_before_it_is_sent(api: APIServer) -> None:
    overrides = '{"spec": {"nodeSelector": {"disktype": "ssd"}, "containers": [{"name": "x", "image": "busybox"}]}}'
    assert kubectl(api, "run", "x", "--image=nginx", f"--overrides={overrides}") == (0, "pod/x created\n", "")
    spec = api.get("pods", "default", "x")["spec"]
    assert spec["nodeSelector"] == {"disktype": "ssd"}
    assert [(c["name"], c["image"]) for c in spec["containers"]] == [("x", "busybox")]  # a merge patch: replaced
    assert kubectl(api, "run", "y", "--image=nginx", "--overrides={bad") == (1, "", "error: Invalid JSON Patch\n")
    deep = '{"a":' * 800 + "1" + "}" * 800  # what fits in the page's 4,096 characters: refused, not a crash
    assert kubectl(api, "run", "y", "--image=nginx", f"--overrides={deep}") == (
        1,
        "",
        "error: exceeded max depth of 100 nested objects or lists\n",
    )
    assert api.list("pods", "default")["items"][1:] == []
