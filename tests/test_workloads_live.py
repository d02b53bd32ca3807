"""The real kubectl (v1.32) with Jobs, CronJobs, DaemonSets and StatefulSets against a live server.

The documentation's example manifests pass kubectl's OpenAPI validation and apply; `kubectl create
job|cronjob` reach the server as protobuf; `kubectl wait` and `rollout status` follow the controllers;
and what the real kubectl prints (its own describers, and the server's tables) is what kubeclass's
in-process kubectl prints for the same objects.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.livesrv import ROOT, Daphne, LiveKubectl, shared_cluster
from tests.test_cronjob_controller import HELLO
from tests.test_job_controller import PI
from tests.test_statefulset_controller import WEB
from tests.workload_sim import FLUENTD

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

INDEXED = """
apiVersion: batch/v1
kind: Job
metadata:
  name: indexed-job
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: worker
        image: docker.io/library/busybox
        command: ["sh", "-c", "echo $JOB_COMPLETION_INDEX"]
"""


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne) -> Iterator[LiveKubectl]:
    workdir = tmp_path_factory.mktemp("workloads-live")
    for server in shared_cluster(live_daphne, "workloads"):
        yield LiveKubectl(server, workdir, quiet=True)


def ours(kubectl: LiveKubectl, *args: str) -> str:
    """The same command through kubeclass's in-process kubectl, against the same database."""
    argv = [sys.executable, str(ROOT / "manage.py"), "kubectl", "--cluster", kubectl.server.cluster, *args]
    result = subprocess.run(argv, cwd=ROOT, env=kubectl.server.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def without_ages(text: str) -> str:
    """Drop what depends on the second it is printed: ages, the padding after them (an age going from 9s
    to 10s widens its column between the two commands) and the Events table."""
    text = text.split("\nEvents:")[0]
    return re.sub(r"AGE +", "AGE ", re.sub(r"\b\d+(s|m\d*s?|h\d*m?)\b", "AGE", text))


def assert_same_output(kubectl: LiveKubectl, args: tuple[str, ...]) -> None:
    """Ours and the real kubectl's output, without ages, are the same. The hello CronJob starts a job on every
    minute: when a minute begins between the two commands (its last schedule, its active jobs), ask again."""
    for _ in range(2):
        minute = time.time() // 60
        mine, real = without_ages(ours(kubectl, *args)), without_ages(kubectl.run(*args).stdout)
        if time.time() // 60 == minute:
            break
    assert mine == real


def test_the_documentations_examples_apply(kubectl, tmp_path):
    for name, manifest in (("pi", PI), ("hello", HELLO), ("web", WEB), ("fluentd", FLUENTD), ("indexed", INDEXED)):
        path = Path(tmp_path / f"{name}.yaml")
        path.write_text(manifest)
        kubectl.run("apply", "-f", str(path))
    assert (
        kubectl.run("wait", "--for=condition=complete", "job/indexed-job", "--timeout=60s").stdout
        == "job.batch/indexed-job condition met\n"
    )
    assert kubectl.run("rollout", "status", "sts/web", "--timeout=90s").stdout.endswith(
        "partitioned roll out complete: 2 new pods have been updated...\n"
    )
    assert (
        kubectl.run("wait", "--for=condition=complete", "job/pi", "--timeout=90s").stdout
        == "job.batch/pi condition met\n"
    )


def test_kubectl_create_job_and_cronjob_send_protobuf(kubectl):
    assert (
        kubectl.run("create", "cronjob", "tick", "--image=busybox:1.36", "--schedule=*/5 * * * *", "--", "date").stdout
        == "cronjob.batch/tick created\n"
    )
    assert kubectl.run("create", "job", "now", "--from=cronjob/tick").stdout == "job.batch/now created\n"
    assert (
        kubectl.run("create", "job", "once", "--image=busybox:1.36", "--", "echo", "hi").stdout
        == "job.batch/once created\n"
    )
    kubectl.run("wait", "--for=condition=complete", "job/once", "job/now", "--timeout=60s")


@pytest.mark.parametrize(
    "args",
    [
        ("describe", "job", "indexed-job"),
        ("describe", "cronjob", "hello"),
        ("describe", "statefulset", "web"),
        ("describe", "daemonset", "fluentd-elasticsearch", "-n", "kube-system"),
    ],
)
def test_describe_prints_what_the_real_kubectl_prints(kubectl, args):
    assert_same_output(kubectl, args)


# By name, the jobs that are complete: the hello CronJob starts a job every minute, which could fall
# between the two commands.
@pytest.mark.parametrize(
    "args",
    [
        ("get", "jobs", "indexed-job", "pi", "-o", "wide"),
        ("get", "cronjobs", "-o", "wide"),
        ("get", "statefulsets", "-o", "wide"),
        ("get", "ds", "-A", "-o", "wide"),
        ("get", "controllerrevisions", "-A"),
        ("rollout", "history", "sts/web"),
        ("rollout", "history", "sts/web", "--revision=1"),
    ],
)
def test_tables_and_histories_match_the_real_kubectl(kubectl, args):
    assert_same_output(kubectl, args)
