"""The documentation's "Configure a Pod to Use a Volume for Storage" with the real kubectl v1.32 on a live server:
procps installed with apt-get for `ps`, redis killed from an interactive exec on a pty, the container restarted by
the pod's policy with the emptyDir's file still there. tests/test_volume_storage_page.py walks the same page and
its neighbours in-process."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest

from tests.livesrv import Daphne, LiveKubectl, shared_cluster
from tests.pty_session import pty_session

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne) -> Iterator[LiveKubectl]:
    workdir = tmp_path_factory.mktemp("volume-storage-live")
    for server in shared_cluster(live_daphne, "storage"):
        yield LiveKubectl(server, workdir)


REDIS_WITH_EMPTYDIR = """
apiVersion: v1
kind: Pod
metadata: {name: redis}
spec:
  containers:
  - name: redis
    image: redis
    volumeMounts: [{name: redis-storage, mountPath: /data/redis}]
  volumes: [{name: redis-storage, emptyDir: {}}]
"""


def test_the_volume_for_storage_page_kill_redis_and_find_the_file_on_the_emptydir(kubectl, tmp_path):
    """The documentation's "Configure a Pod to Use a Volume for Storage" with the real kubectl: procps installed
    for `ps`, redis killed from inside, the container restarted with the emptyDir's file still there."""
    manifest = tmp_path / "redis.yaml"
    manifest.write_text(REDIS_WITH_EMPTYDIR)
    kubectl.run("apply", "-f", str(manifest))
    kubectl.run("wait", "--for=condition=Ready", "pod/redis", "--timeout=60s", timeout=90)
    script = "echo Hello > /data/redis/test-file; apt-get update >/dev/null; apt-get install procps >/dev/null; ps aux"
    listing = kubectl.run("exec", "redis", "--", "bash", "-c", script).stdout.splitlines()
    assert listing[1].split()[:2] == ["redis", "1"] and listing[1].endswith("redis-server *:6379")
    # In an interactive shell, as the page does it: the kernel kills the exec's shell with redis (137).
    screen, code = pty_session(kubectl, ["exec", "-it", "redis", "--", "/bin/bash"], [("kill 1\r", "exit code")])
    assert "command terminated with exit code 137" in screen and code == 137, screen
    path = "jsonpath={.status.containerStatuses[0].restartCount}"
    deadline = time.monotonic() + 20
    while kubectl.run("get", "pod", "redis", "-o", path).stdout != "1" and time.monotonic() < deadline:
        time.sleep(0.5)
    kubectl.run("wait", "--for=condition=Ready", "pod/redis", "--timeout=30s", timeout=60)
    reason = "jsonpath={.status.containerStatuses[0].lastState.terminated.reason}"
    assert kubectl.run("get", "pod", "redis", "-o", reason).stdout == "Completed"  # redis exits 0 on SIGTERM
    assert kubectl.run("exec", "redis", "--", "cat", "/data/redis/test-file").stdout == "Hello\n"
    gone = kubectl.run("exec", "redis", "--", "bash", "-c", "ps aux", check=False)
    assert gone.returncode == 127  # the new container starts from the image, without procps
    kubectl.run("delete", "pod", "redis", "--now")
