"""kubectl version, cluster-info, set resources, top and taint through the real kubectl v1.32 against a live
kubeclass server: the same bytes back as the in-process kubectl's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.livesrv import Daphne, LiveServer, shared_cluster
from tests import kubectl_more_verbs_common
from tests.kubectl_more_verbs_common import ROOT, KUBECTL, needs_kubectl

frozen_clock = kubectl_more_verbs_common.frozen_clock  # the autouse fixture


# -- against the real kubectl -------------------------------------------------------------------
@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne) -> Iterator[tuple[dict, LiveServer]]:
    workdir = tmp_path_factory.mktemp("moreverbs")
    env = live_daphne.env
    for server in shared_cluster(live_daphne, "moreverbs", nodes=3):
        created = _real(server, workdir, "create", "deployment", "web", "--image=nginx", "--replicas=1")
        assert created.returncode == 0, created.stderr
        yield {**env, "KUBECLASS_API_URL": server.url.rsplit("/k8s/", 1)[0]}, server


def _real(server: LiveServer, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        f"--server={server.url}",
        f"--token={server.token}",
        f"--certificate-authority={server.ca_file}",
        f"--cache-dir={workdir / 'cache'}",
    ]
    return subprocess.run(
        [KUBECTL, *flags, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "KUBECONFIG": "/dev/null"},
    )


_OURS = """
import io, json, sys
import django; django.setup()
from cluster.apiserver.patch import MERGE_PATCH
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
results = []
for argv in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(APIServer("moreverbs"), argv, stdin=io.StringIO(), stdout=out, stderr=err)
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""

LIVE_CASES = [
    ["version"],
    ["version", "-o", "json"],
    ["version", "-o", "yaml"],
    ["version", "extra"],
    ["cluster-info"],
    ["cluster-info", "-n", "default"],
    ["set", "resources", "deployment", "web", "--limits=cpu=0.5,memory=1.5Gi", "--dry-run=server"],
    ["set", "resources", "deployment", "web", "--limits=memory=1Mi", "--requests=memory=2Mi"],
    ["set", "resources", "deployment/web", "svc/kubernetes", "-c", "nope", "--limits=cpu=1"],
    ["set", "resources", "deployment", "web", "--limits=cpu=1K"],
    ["taint", "nodes", "--all", "a=b:NoSchedule", "--dry-run=server"],
    ["taint", "nodes", "worker-1", "gone-", "lost:NoExecute-"],
    ["taint", "nodes", "nope", "a=b:NoSchedule"],
    ["taint", "nodes", "worker-1", "a=b:Nope"],
    ["taint", "worker-1", "a=b:NoSchedule"],
]


@needs_kubectl
def test_the_real_kubectl_prints_the_same(live: tuple[dict, LiveServer], tmp_path: Path) -> None:
    env, server = live
    done = subprocess.run(
        [sys.executable, "-c", _OURS],
        cwd=ROOT,
        env=env,
        input=json.dumps(LIVE_CASES),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    ours = [tuple(r) for r in json.loads(done.stdout.strip().splitlines()[-1])]
    mismatches = []
    for argv, mine in zip(LIVE_CASES, ours):
        theirs = _real(server, tmp_path, *argv)
        if mine != (theirs.returncode, theirs.stdout, theirs.stderr):
            mismatches.append((argv, mine, (theirs.returncode, theirs.stdout, theirs.stderr)))
    assert mismatches == []


@needs_kubectl
def test_the_real_kubectl_finds_the_metrics_api_on_kubeclass(live: tuple[dict, LiveServer], tmp_path: Path) -> None:
    """kubeclass serves metrics.k8s.io (tests/test_metrics_api.py compares the figures with the in-page kubectl's)."""
    theirs = _real(live[1], tmp_path, "top", "node")
    assert (theirs.returncode, theirs.stderr) == (0, "")
    assert theirs.stdout.startswith("NAME ")
