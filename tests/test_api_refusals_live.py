"""What the official Python client and the real kubectl v1.32 see of kube-apiserver's refusals, against a live server.

The Python client pages through a list (`limit`, `_continue`, remainingItemCount only without a
selector) and gets upstream's refusals of a bad continue token and a bad selector; kubectl runs
`auth can-i`, `auth whoami`, `get --chunk-size`, `events --for`, `--validate=warn` and an apply that
would rename a pod's container (tests/test_api_refusals_*.py have the refusals over HTTP).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.livesrv import Daphne, LiveKubectl, LiveServer, shared_cluster


@pytest.fixture(scope="module")
def live(live_daphne: Daphne) -> Iterator[LiveServer]:
    yield from shared_cluster(live_daphne, "refusals")


@pytest.fixture(scope="module")
def core(live: LiveServer):
    from kubernetes import client

    config = client.Configuration()
    config.host = live.url
    config.ssl_ca_cert = str(live.ca_file)
    config.api_key = {"authorization": live.token}
    config.api_key_prefix = {"authorization": "Bearer"}
    with client.ApiClient(config) as api_client:
        yield client.CoreV1Api(api_client)


def test_the_python_client_pages_through_a_list(core):
    from kubernetes import client

    for n in range(7):
        labels = {"page": "yes", "parity": "even" if n % 2 == 0 else "odd"}
        core.create_namespaced_config_map(
            "default",
            client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"page-{n}", labels=labels), data={"n": str(n)}),
        )
    names, token, remaining, pages = [], None, [], 0
    while True:
        page = core.list_namespaced_config_map("default", label_selector="page=yes", limit=3, _continue=token)
        names += [c.metadata.name for c in page.items]
        remaining.append(page.metadata.remaining_item_count)
        pages += 1
        token = page.metadata._continue
        if not token:
            break
    assert names == [f"page-{n}" for n in range(7)] and pages == 3
    assert remaining == [None, None, None]  # a selector makes the count inexact: upstream leaves it out

    first = core.list_namespaced_config_map("default", limit=2)
    assert first.metadata.remaining_item_count == len(core.list_namespaced_config_map("default").items) - 2
    second = core.list_namespaced_config_map("default", limit=2, _continue=first.metadata._continue)
    assert second.metadata.resource_version == first.metadata.resource_version  # the same snapshot

    odd, token = [], None
    while True:
        page = core.list_namespaced_config_map("default", label_selector="parity=odd", limit=2, _continue=token)
        odd += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert odd == ["page-1", "page-3", "page-5"]


def test_the_python_client_sees_upstreams_refusals(core):
    from kubernetes.client.rest import ApiException

    with pytest.raises(ApiException) as err:
        core.list_namespaced_config_map("default", limit=1, _continue="garbage!")
    assert err.value.status == 400
    assert json.loads(err.value.body)["message"].startswith("invalid continue token: continue key is not valid: ")
    with pytest.raises(ApiException) as err:
        core.list_namespaced_pod("default", label_selector="app in prod")
    assert (err.value.status, json.loads(err.value.body)["message"]) == (
        400,
        "unable to parse requirement: found 'prod' expected: '('",
    )


# -- the real kubectl ----------------------------------------------------------------------------------
kubectl_only = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def kubectl(live: LiveServer, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return LiveKubectl(live, Path(live.log).parent / live.cluster).run(*args, stdin=stdin, check=False, timeout=60)


@kubectl_only
def test_kubectl_auth_can_i(live):
    result = kubectl(live, "auth", "can-i", "create", "pods")
    assert (result.returncode, result.stdout, result.stderr) == (0, "yes\n", "")
    result = kubectl(live, "auth", "can-i", "delete", "deployments.apps", "-n", "kube-system")
    assert (result.returncode, result.stdout) == (0, "yes\n")


@kubectl_only
def test_kubectl_auth_whoami(live):
    result = kubectl(live, "auth", "whoami")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "ATTRIBUTE   VALUE\nUsername    kubeclass-admin\nGroups      [system:masters system:authenticated]\n"
    )


@kubectl_only
def test_kubectl_get_pods_in_chunks_of_two(live):
    for n in range(5):
        assert kubectl(live, "run", f"chunk-{n}", "--image=nginx").returncode == 0
    whole = kubectl(live, "get", "pods", "-o", "name")
    chunked = kubectl(live, "get", "pods", "--chunk-size=2", "-o", "name")
    assert chunked.returncode == 0, chunked.stderr
    assert chunked.stdout == whole.stdout and chunked.stdout.count("pod/chunk-") == 5
    table = kubectl(live, "get", "pods", "--chunk-size=2", "-l", "run")
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["NAME", "READY", "STATUS"] and len(lines) == 6  # one header for all chunks
    assert sum(line.startswith("NAME") for line in lines) == 1
    verbose = kubectl(live, "get", "pods", "--chunk-size=2", "-v=6")
    assert "limit=2" in verbose.stderr and "continue=" in verbose.stderr


@kubectl_only
def test_kubectl_events_for_a_pod(live):
    assert kubectl(live, "run", "evented", "--image=nginx").returncode == 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        result = kubectl(live, "events", "--for", "pod/evented")
        if "Scheduled" in result.stdout:
            break
        time.sleep(0.5)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert all(" Pod/evented " in line for line in lines[1:]), result.stdout
    assert any("Scheduled" in line and "Successfully assigned default/evented to" in line for line in lines[1:])
    others = kubectl(live, "events", "--for", "pod/chunk-0")
    assert others.returncode == 0 and "Pod/evented" not in others.stdout


@kubectl_only
def test_kubectl_warns_of_an_unknown_field_and_strict_refuses_it(live):
    manifest = json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "warned"}, "data": {"k": "v"}, "colour": "red"}
    )
    warned = kubectl(live, "create", "--validate=warn", "-f", "-", stdin=manifest)
    assert warned.returncode == 0, warned.stderr
    assert 'Warning: unknown field "colour"' in warned.stderr
    strict = kubectl(live, "create", "-f", "-", stdin=manifest.replace("warned", "strict"))
    assert strict.returncode == 1
    assert 'strict decoding error: unknown field "colour"' in strict.stderr


@kubectl_only
def test_kubectl_apply_cannot_rename_a_pods_container(live):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "fixed"},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    }
    assert kubectl(live, "apply", "-f", "-", stdin=json.dumps(pod)).returncode == 0
    pod["spec"]["containers"][0]["name"] = "api"
    result = kubectl(live, "apply", "-f", "-", stdin=json.dumps(pod))
    assert result.returncode == 1
    assert 'The Pod "fixed" is invalid: spec: Forbidden: pod updates may not change fields other than' in result.stderr
    assert "-               Name:" in result.stderr.replace("\t", "        ") or "- \t\t\tName:" in result.stderr
    pod["spec"]["containers"][0].update(name="web", image="nginx:1.27")
    assert kubectl(live, "apply", "-f", "-", stdin=json.dumps(pod)).returncode == 0
