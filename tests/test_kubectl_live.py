"""The real kubectl (v1.32) against a live Daphne server: what a student types on their own machine."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.livesrv import LiveServer, live_server

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


class Kubectl:
    def __init__(self, server: LiveServer, home: Path) -> None:
        self.server = server
        self.env = {**os.environ, "KUBECONFIG": str(home / "kubeconfig"), "HOME": str(home)}
        self.flags = ["--server", server.url, "--token", server.token, "--certificate-authority",
                      str(server.ca_file)]

    def run(self, *args: str, stdin: str | None = None, env: dict | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["kubectl", *self.flags, *args], input=stdin, capture_output=True, text=True,
                                timeout=30, env={**self.env, **(env or {})})
        if check:
            assert result.returncode == 0, result.stderr
            assert "warning" not in result.stderr.lower(), result.stderr
        return result

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(["kubectl", *self.flags, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.env)


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    workdir = tmp_path_factory.mktemp("kubectl-live")
    for server in live_server(workdir):
        yield Kubectl(server, workdir)


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
    (tmp_path / "b.json").write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                                 "metadata": {"name": "dir-b"}}))
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
    assert kubectl.run("annotate", "deployment", "api", "owner=team-a").stdout.strip() == \
        "deployment.apps/api annotated"
    kubectl.run("patch", "deployment", "api", "-p", '{"spec":{"revisionHistoryLimit":3}}')
    kubectl.run("patch", "deployment", "api", "--type=merge", "-p", '{"metadata":{"labels":{"merged":"yes"}}}')
    kubectl.run("patch", "deployment", "api", "--type=json",
                "-p", '[{"op":"add","path":"/spec/minReadySeconds","value":5}]')
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


def test_delete_removes_the_object(kubectl):
    kubectl.run("create", "configmap", "doomed")
    assert kubectl.run("delete", "configmap", "doomed").stdout.strip() == 'configmap "doomed" deleted'
    missing = kubectl.run("get", "configmap", "doomed", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): configmaps "doomed" not found'
