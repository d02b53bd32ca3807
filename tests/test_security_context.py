"""The documentation's "Configure a Security Context for a Pod or Container", as far as kubeclass models it: the
user and groups the processes run as (`id`, `ps`, `whoami`). Files keep no owners here (cluster/container/fs.py),
so the page's `ls -l` ownership is not reproduced."""

from __future__ import annotations

import pytest

from cluster.models import Cluster
from tests.container_sim import Sim, frozen

DEMO = """
apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo
spec:
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
    supplementalGroups: [4000]
  volumes:
  - name: sec-ctx-vol
    emptyDir: {}
  containers:
  - name: sec-ctx-demo
    image: busybox:1.28
    command: [ "sh", "-c", "sleep 1h" ]
    volumeMounts:
    - name: sec-ctx-vol
      mountPath: /data/demo
    securityContext:
      allowPrivilegeEscalation: false
"""


@pytest.fixture
def sim(cluster: Cluster) -> Sim:
    sim = frozen(cluster)
    sim.apply(DEMO)
    sim.ok("run", "plain", "--image=busybox:1.36", "--", "sleep", "3600")
    sim.wait(15)
    return sim


def test_the_processes_run_as_the_user_and_groups_the_security_context_names(sim: Sim) -> None:
    exec_ = ("exec", "security-context-demo", "--")
    assert sim.ok(*exec_, "id") == "uid=1000 gid=3000 groups=2000,3000,4000\n"
    # the shell execs its one command: `sleep 1h` is PID 1, run as 1000 (no name for it in /etc/passwd)
    assert sim.ok(*exec_, "ps") == (
        "PID   USER     TIME  COMMAND\n    1 1000     0:00 sleep 1h\n   42 1000     0:00 ps\n"
    )
    assert sim.run(*exec_, "whoami")[1:] == ("", "whoami: unknown uid 1000\ncommand terminated with exit code 1\n")
    assert sim.ok("exec", "plain", "--", "id") == "uid=0(root) gid=0(root) groups=0(root),10(wheel)\n"


def test_the_container_overrides_the_pods_user(sim: Sim) -> None:
    sim.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: mixed}\nspec:\n"
        "  securityContext: {runAsUser: 1000}\n"
        "  containers: [{name: c, image: busybox:1.36, command: [sleep, '3600'], securityContext: {runAsUser: 2000}}]\n"
    )
    sim.wait(10)
    assert sim.ok("exec", "mixed", "--", "id").startswith("uid=2000 gid=0(root) ")


def test_ls_lists_a_directory_itself_with_d_and_groups_operands(sim: Sim) -> None:
    out = sim.ok("exec", "plain", "--", "ls", "-ld", "/tmp", "/")
    assert [line.split()[0] + " " + line.split()[-1] for line in out.splitlines()] == [
        "drwxr-xr-x /",
        "drwxrwxrwt /tmp",
    ]
    sim.ok("exec", "plain", "--", "sh", "-c", "mkdir -p /a /b && touch /a/x /b/y /f")
    assert sim.ok("exec", "plain", "--", "ls", "/b", "/f", "/a") == "/f\n\n/a:\nx\n\n/b:\ny\n"
    assert "nginx" not in sim.ok("exec", "plain", "--", "ls", "/etc")  # nginx's directories are nginx's own
