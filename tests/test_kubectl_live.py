"""The real kubectl (v1.32) against a live Daphne server: what a student types on their own machine."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from typing import Iterator

import pytest

from tests.livesrv import ROOT, Daphne, LiveKubectl, shared_cluster

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

DEPLOYMENT_YAML = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: "blue"
---
apiVersion: v1
kind: Service
metadata:
  name: front
spec:
  selector: {app: front}
  ports: [{port: 80, targetPort: 8080}]
"""


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne) -> Iterator[LiveKubectl]:
    workdir = tmp_path_factory.mktemp("kubectl-live")
    for server in shared_cluster(live_daphne, "live"):
        yield LiveKubectl(server, workdir, quiet=True)


def test_api_resources_lists_what_a_real_cluster_prints(kubectl):
    lines = kubectl.run("api-resources").stdout.splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    rows = {tuple(line.split()) for line in lines[1:]}
    assert ("pods", "po", "v1", "true", "Pod") in rows
    assert ("deployments", "deploy", "apps/v1", "true", "Deployment") in rows
    assert ("nodes", "no", "v1", "false", "Node") in rows
    assert ("secrets", "v1", "true", "Secret") in rows


def test_api_versions_lists_each_group_version(kubectl):
    versions = kubectl.run("api-versions").stdout.split()
    assert {"v1", "apps/v1", "autoscaling/v2", "storage.k8s.io/v1"} <= set(versions)


def test_create_namespace_and_deployment(kubectl):
    assert kubectl.run("create", "namespace", "shop").stdout.strip() == "namespace/shop created"
    out = kubectl.run("create", "deployment", "web", "--image=nginx", "--replicas=3", "-n", "shop").stdout
    assert out.strip() == "deployment.apps/web created"
    deployment = json.loads(kubectl.run("get", "deployment", "web", "-n", "shop", "-o", "json").stdout)
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx"


def test_create_quota_pdb_and_debug_copy_which_kubectl_sends_as_protobuf(kubectl):
    kubectl.run("create", "namespace", "guarded")
    assert kubectl.run("create", "quota", "small", "--hard=pods=5", "-n", "guarded").stdout == (
        "resourcequota/small created\n"
    )
    out = kubectl.run("create", "pdb", "keep", "--selector=app=db", "--min-available=0", "-n", "guarded").stdout
    assert out == "poddisruptionbudget.policy/keep created\n"
    pdb = json.loads(kubectl.run("get", "pdb", "keep", "-n", "guarded", "-o", "json").stdout)
    assert pdb["spec"] == {"minAvailable": 0, "selector": {"matchLabels": {"app": "db"}}}
    kubectl.run("run", "db", "--image=nginx", "--labels=app=db", "-n", "guarded")
    kubectl.run("debug", "db", "--copy-to=db-copy", "--image=busybox", "--container=probe", "-n", "guarded")
    copy = json.loads(kubectl.run("get", "pod", "db-copy", "-n", "guarded", "-o", "json").stdout)["spec"]
    original = json.loads(kubectl.run("get", "pod", "db", "-n", "guarded", "-o", "json").stdout)["spec"]
    assert [c["name"] for c in copy["containers"]] == ["db", "probe"]
    assert copy["volumes"] == original["volumes"] and copy["tolerations"] == original["tolerations"]
    quota = json.loads(kubectl.run("get", "quota", "small", "-n", "guarded", "-o", "json").stdout)
    assert quota["spec"] == {"hard": {"pods": "5"}}


def test_priority_classes_with_the_real_kubectl(kubectl):
    """`create priorityclass` posts protobuf; a pod naming the class gets its value, which describe prints."""
    out = kubectl.run("create", "priorityclass", "front", "--value=1000", "--description=for the front end")
    assert out.stdout == "priorityclass.scheduling.k8s.io/front created\n"
    names = [line.split()[0] for line in kubectl.run("get", "pc").stdout.splitlines()[1:]]
    assert names == ["front", "system-cluster-critical", "system-node-critical"]
    kubectl.run("run", "vip", "--image=nginx", "--overrides", '{"spec": {"priorityClassName": "front"}}')
    described = kubectl.run("describe", "pod", "vip").stdout
    assert "Priority:             1000\n" in described and "Priority Class Name:  front\n" in described
    refused = kubectl.run("delete", "pc", "system-node-critical", check=False)
    assert refused.stderr == (
        'Error from server (Forbidden): priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: '
        "this is a system priority class and cannot be deleted\n"
    )


def test_apply_a_multi_document_file_then_again_unchanged(kubectl, tmp_path):
    manifest = tmp_path / "app.yaml"
    manifest.write_text(DEPLOYMENT_YAML)
    first = kubectl.run("apply", "-f", str(manifest)).stdout.splitlines()
    assert first == ["configmap/settings created", "service/front created"]
    again = kubectl.run("apply", "-f", str(manifest)).stdout.splitlines()
    assert again == ["configmap/settings unchanged", "service/front unchanged"]
    manifest.write_text(DEPLOYMENT_YAML.replace('"blue"', '"green"'))
    assert "configmap/settings configured" in kubectl.run("apply", "-f", str(manifest)).stdout
    assert kubectl.run("get", "configmap", "settings", "-o", "jsonpath={.data.mode}").stdout == "green"


def test_apply_a_directory_and_stdin(kubectl, tmp_path):
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dir-a}\n")
    (tmp_path / "b.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dir-b"}})
    )
    out = kubectl.run("apply", "-f", str(tmp_path)).stdout.splitlines()
    assert sorted(out) == ["configmap/dir-a created", "configmap/dir-b created"]
    out = kubectl.run("apply", "-f", "-", stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: piped}\n")
    assert out.stdout.strip() == "configmap/piped created"


def test_get_in_each_output_format(kubectl):
    kubectl.run("create", "configmap", "formats", "--from-literal=color=red")
    assert kubectl.run("get", "configmap", "formats", "-o", "name").stdout.strip() == "configmap/formats"
    assert "color: red" in kubectl.run("get", "configmap", "formats", "-o", "yaml").stdout
    assert json.loads(kubectl.run("get", "configmap", "formats", "-o", "json").stdout)["data"] == {"color": "red"}
    assert kubectl.run("get", "cm", "formats", "-o", "jsonpath={.data.color}").stdout == "red"
    table = kubectl.run("get", "configmaps").stdout.splitlines()
    assert table[0].split() == ["NAME", "DATA", "AGE"]
    assert any(line.split()[:2] == ["formats", "1"] for line in table[1:])


def test_get_watch_shows_a_pod_created_after_it_started(kubectl):
    watcher = kubectl.popen("get", "pods", "-n", "default", "-w", "--request-timeout=20s")
    try:
        time.sleep(1.0)  # let the watch open; the assertion below does not depend on timing
        kubectl.run("run", "watched", "--image=nginx")
        seen = ""
        deadline = time.monotonic() + 15
        while "watched" not in seen and time.monotonic() < deadline:
            line = watcher.stdout.readline()
            if not line:
                break
            seen += line
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)
    assert seen.splitlines()[0].split()[:2] == ["NAME", "READY"]
    assert "watched" in seen


def test_label_annotate_patch_and_scale_a_deployment(kubectl):
    kubectl.run("create", "deployment", "api", "--image=nginx", "--replicas=1")
    assert kubectl.run("label", "deployment", "api", "tier=backend").stdout.strip() == "deployment.apps/api labeled"
    assert (
        kubectl.run("annotate", "deployment", "api", "owner=team-a").stdout.strip() == "deployment.apps/api annotated"
    )
    kubectl.run("patch", "deployment", "api", "-p", '{"spec":{"revisionHistoryLimit":3}}')
    kubectl.run("patch", "deployment", "api", "--type=merge", "-p", '{"metadata":{"labels":{"merged":"yes"}}}')
    kubectl.run(
        "patch", "deployment", "api", "--type=json", "-p", '[{"op":"add","path":"/spec/minReadySeconds","value":5}]'
    )
    assert kubectl.run("scale", "deployment", "api", "--replicas=4").stdout.strip() == "deployment.apps/api scaled"
    got = json.loads(kubectl.run("get", "deployment", "api", "-o", "json").stdout)
    assert got["metadata"]["labels"] == {"app": "api", "tier": "backend", "merged": "yes"}
    assert got["metadata"]["annotations"]["owner"] == "team-a"
    assert (got["spec"]["replicas"], got["spec"]["revisionHistoryLimit"], got["spec"]["minReadySeconds"]) == (4, 3, 5)


def test_edit_saves_what_the_editor_changed(kubectl):
    kubectl.run("create", "configmap", "edited", "--from-literal=size=small")
    out = kubectl.run("edit", "configmap", "edited", env={"KUBE_EDITOR": "sed -i s/size:\\ small/size:\\ large/"})
    assert out.stdout.strip() == "configmap/edited edited"
    assert kubectl.run("get", "configmap", "edited", "-o", "jsonpath={.data.size}").stdout == "large"


def test_explain_shows_upstreams_field_documentation(kubectl):
    out = kubectl.run("explain", "deployment.spec.replicas").stdout
    assert "KIND:       Deployment" in out and "FIELD: replicas <integer>" in out
    assert "Number of desired pods" in out


def test_verbose_kubectl_shows_the_response_headers_a_real_apiserver_sends(kubectl):
    log = kubectl.run("get", "namespaces", "-v=8").stderr
    headers = log.split("Response Headers:", 1)[1].split("Response Body:", 1)[0]
    assert re.search(r"Audit-Id: [0-9a-f-]{36}", headers), headers
    assert "Cache-Control: no-cache, private" in headers and "Content-Type: application/json" in headers
    assert "X-Frame-Options" not in headers and "Content-Language" not in headers


def test_delete_removes_the_object(kubectl):
    kubectl.run("create", "configmap", "doomed")
    assert kubectl.run("delete", "configmap", "doomed").stdout.strip() == 'configmap "doomed" deleted'
    missing = kubectl.run("get", "configmap", "doomed", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): configmaps "doomed" not found'


# -- the root URL: what a kubeconfig points at, health, OpenAPI v2, watches that start at once -------
LIST_YAML = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: listed}
  data: {a: "1"}
- apiVersion: v1
  kind: Service
  metadata: {name: listed}
  spec:
    selector: {app: listed}
    ports: [{port: 80}]
"""


def _timed(kubectl: LiveKubectl, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = kubectl.run(*args)
    return result, time.monotonic() - started


def test_rollout_status_and_wait_on_a_settled_deployment_return_at_once(kubectl):
    kubectl.run("create", "deployment", "settled", "--image=nginx")
    kubectl.run("rollout", "status", "deployment/settled", "--timeout=25s")  # now it is settled
    status, took = _timed(kubectl, "rollout", "status", "deployment/settled", "--timeout=20s")
    assert status.stdout == 'deployment "settled" successfully rolled out\n'
    assert took < 2, f"rollout status took {took:.1f} s"
    waited, took = _timed(kubectl, "wait", "--for=condition=Available", "deployment/settled", "--timeout=20s")
    assert waited.stdout == "deployment.apps/settled condition met\n"
    assert took < 2, f"wait took {took:.1f} s"


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz", "/livez/ping", "/readyz/etcd"])
def test_get_raw_of_each_health_path(kubectl, path):
    assert kubectl.run("get", "--raw", path).stdout == "ok"


def test_get_raw_verbose_and_version(kubectl):
    lines = kubectl.run("get", "--raw", "/readyz?verbose").stdout.splitlines()
    assert lines[0] == "[+]ping ok" and "[+]etcd ok" in lines and lines[-1] == "readyz check passed"
    assert json.loads(kubectl.run("get", "--raw", "/version").stdout)["gitVersion"] == "v1.32.0"
    assert kubectl.run("version", "-o", "json").returncode == 0


def test_create_a_kind_list_validated_against_openapi_v2(kubectl, tmp_path):
    manifest = tmp_path / "list.yaml"
    manifest.write_text(LIST_YAML)
    assert kubectl.run("create", "-f", str(manifest)).stdout.splitlines() == [
        "configmap/listed created",
        "service/listed created",
    ]
    manifest.write_text(LIST_YAML.replace("metadata: {name: listed}\n  data", "metadata: {name: typo}\n  dta"))
    bad = kubectl.run("create", "-f", str(manifest), check=False)
    assert bad.returncode == 1
    assert 'unknown field "dta" in io.k8s.api.core.v1.ConfigMap' in bad.stderr  # kubectl's own client-side check


def test_explain_reads_openapi_v2_too(kubectl):
    out = kubectl.run("explain", "deployment.spec.replicas", "--output=plaintext-openapiv2").stdout
    assert "KIND:     Deployment\nVERSION:  apps/v1\n\nFIELD:    replicas <integer>\n" in out  # the v2 layout


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_kubectl_proxy_serves_the_api_on_localhost(kubectl):
    import urllib.request

    port = _free_port()
    proxy = kubectl.popen("proxy", f"--port={port}", "--address=127.0.0.1")
    try:
        assert proxy.stdout.readline().strip() == f"Starting to serve on 127.0.0.1:{port}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/namespaces/default/pods", timeout=10) as r:
            assert json.loads(r.read())["kind"] == "PodList"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            assert r.read() == b"ok"
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)


def test_the_kubeconfig_from_manage_py_points_at_the_root(kubectl, tmp_path):
    server = kubectl.server
    env = {**(server.env or {}), "KUBECLASS_TLS_DIR": str(server.ca_file.parent)}
    made = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "cluster", "kubeconfig", "live", "--server", server.url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    config = tmp_path / "kubeconfig"
    config.write_text(made.stdout)
    assert f"server: {server.url}\n" in made.stdout
    own = subprocess.run(
        ["kubectl", "get", "--raw", "/healthz"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**kubectl.env, "KUBECONFIG": str(config)},
    )
    assert (own.returncode, own.stdout, own.stderr) == (0, "ok", "")
    namespaces = subprocess.run(
        ["kubectl", "get", "namespaces", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**kubectl.env, "KUBECONFIG": str(config)},
    )
    assert "namespace/default" in namespaces.stdout.split()


def test_a_wrong_token_at_the_root_is_401(kubectl):
    import ssl
    import urllib.error
    import urllib.request

    wrong = subprocess.run(
        [
            "kubectl",
            "--server",
            kubectl.server.url,
            "--token",
            "wrong",
            "--certificate-authority",
            str(kubectl.server.ca_file),
            "get",
            "pods",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env=kubectl.env,
    )
    assert wrong.returncode == 1
    assert "error: You must be logged in to the server (Unauthorized)" in wrong.stderr
    context = ssl.create_default_context(cafile=str(kubectl.server.ca_file))
    bodies = []
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {kubectl.server.token}x"}):
        request = urllib.request.Request(kubectl.server.url + "/api/v1/namespaces", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=10, context=context)
        assert err.value.code == 401
        bodies.append(json.loads(err.value.read()))
    assert bodies[0] == bodies[1] == bodies[2] and bodies[0]["reason"] == "Unauthorized"


def test_the_older_k8s_prefix_keeps_working(kubectl):
    legacy = subprocess.run(
        [
            "kubectl",
            "--server",
            kubectl.server.legacy_url,
            "--token",
            kubectl.server.token,
            "--certificate-authority",
            str(kubectl.server.ca_file),
            "get",
            "namespace",
            "default",
            "-o",
            "name",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env=kubectl.env,
    )
    assert (legacy.returncode, legacy.stdout) == (0, "namespace/default\n"), legacy.stderr
