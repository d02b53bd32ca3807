"""The documentation's "Configure a Pod to Use a Volume for Storage", step by step: a file written to an emptyDir,
`apt-get install procps` for `ps`, `kill` of redis from inside the container, the container restarted by the
pod's policy with the volume's file still there and the installed package gone (a new container starts from
its image). Also what the page does not show: signals a PID 1 has no handler for, and kill's refusals; and the
neighbouring pages that install tools the same way ("Communicate Between Containers in the Same Pod Using a
Shared Volume", "Get a Shell to a Running Container")."""

from __future__ import annotations

import pytest

from cluster.models import Cluster
from tests.container_sim import Sim, frozen

REDIS = """
apiVersion: v1
kind: Pod
metadata:
  name: redis
spec:
  containers:
  - name: redis
    image: redis
    volumeMounts:
    - name: redis-storage
      mountPath: /data/redis
  volumes:
  - name: redis-storage
    emptyDir: {}
"""
IN_REDIS = ("exec", "redis", "--")


@pytest.fixture
def sim(cluster: Cluster) -> Sim:
    sim = frozen(cluster)
    sim.apply(REDIS)
    sim.wait(15)
    return sim


def test_the_page_from_writing_a_file_to_the_restarted_container_that_still_has_it(sim: Sim) -> None:
    sim.ok(*IN_REDIS, "sh", "-c", "echo Hello > /data/redis/test-file")
    for program in ("ps", "kill"):  # Debian's slim image has neither: both come with procps
        assert f'exec: "{program}": executable file not found in $PATH' in sim.run(*IN_REDIS, program, "1")[2]
    code, out, err = sim.run(*IN_REDIS, "apt-get", "install", "procps")
    assert (code, err) == (100, "E: Unable to locate package procps\ncommand terminated with exit code 100\n")
    assert "Reading package lists..." in sim.ok(*IN_REDIS, "apt-get", "update")
    installed = sim.ok(*IN_REDIS, "apt-get", "install", "procps")
    assert "The following NEW packages will be installed:\n  procps\n" in installed
    assert "Setting up procps (2:4.0.2-3) ...\n" in installed
    listing = sim.ok(*IN_REDIS, "ps", "aux").splitlines()
    assert listing[0] == "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND"
    assert listing[1].startswith("redis          1 ") and listing[1].endswith(" redis-server *:6379")
    assert listing[2].endswith(" ps aux")
    first = sim.container("redis")["containerID"]

    assert sim.run(*IN_REDIS, "kill", "1") == (0, "", "")
    sim.wait(3)
    status = sim.container("redis")
    assert status["restartCount"] == 1 and status["containerID"] != first
    assert status["lastState"]["terminated"]["reason"] == "Completed"  # redis exits 0 on SIGTERM
    assert status["lastState"]["terminated"]["exitCode"] == 0
    assert sim.ok(*IN_REDIS, "ls", "/data/redis") == "test-file\n"  # the emptyDir outlives the container
    assert sim.ok(*IN_REDIS, "cat", "/data/redis/test-file") == "Hello\n"
    code, _, err = sim.run(*IN_REDIS, "sh", "-c", "ps aux")
    assert code == 127 and "ps: not found" in err  # the new container starts from the image: no procps
    assert "Received SIGTERM scheduling shutdown..." in sim.ok("logs", "redis", "--previous")


@pytest.mark.parametrize(
    ("image", "command", "signal", "restarts"),
    [
        ("redis", None, "-TERM", 1),
        ("redis", None, "-INT", 1),
        ("redis", None, "-9", 0),  # SIGKILL from inside the namespace never reaches its init
        ("redis", None, "-HUP", 0),  # no handler here: the kernel drops it for PID 1
        ("nginx", None, "-QUIT", 1),  # nginx's graceful stop
        ("busybox", ["sleep", "3600"], "-TERM", 0),  # sleep has no handler: PID 1 ignores it
        ("busybox", ["sh", "-c", "trap 'exit 3' TERM; while true; do sleep 1; done"], "-TERM", 1),
    ],
)
def test_a_signal_ends_pid_1_only_if_it_handles_it(
    sim: Sim, image: str, command: list[str] | None, signal: str, restarts: int
) -> None:
    args = ["run", "target", f"--image={image}"] + (["--", *command] if command else [])
    sim.ok(*args)
    sim.wait(15)
    assert sim.run("exec", "target", "--", "sh", "-c", f"kill {signal} 1")[0] == 0
    sim.wait(3)
    assert sim.container("target")["restartCount"] == restarts


@pytest.mark.parametrize(
    ("image", "argv", "err"),
    [
        ("redis", ["bash", "-c", "kill 99"], "bash: line 1: kill: (99) - No such process\n"),
        ("redis", ["sh", "-c", "kill 99"], "sh: 1: kill: No such process\n"),
        ("busybox", ["sh", "-c", "kill 99"], "sh: can't kill pid 99: No such process\n"),
        ("redis", ["bash", "-c", "kill -FOO 1"], "bash: line 1: kill: FOO: invalid signal specification\n"),
        ("busybox", ["sh", "-c", "kill -FOO 1"], "sh: bad signal name 'FOO'\n"),
    ],
)
def test_kill_refuses_as_the_shells_do(sim: Sim, image: str, argv: list[str], err: str) -> None:
    sim.ok("run", "target", f"--image={image}", *(["--", "sleep", "3600"] if image == "busybox" else []))
    sim.wait(15)
    code, _, printed = sim.run("exec", "target", "--", *argv)
    assert (code, printed) == (1, err + "command terminated with exit code 1\n")


def test_apt_get_is_for_root_and_for_packages_it_knows(sim: Sim) -> None:
    sim.ok(*IN_REDIS, "apt-get", "update")
    code, _, err = sim.run(*IN_REDIS, "apt-get", "install", "no-such-package")
    assert (code, err) == (100, "E: Unable to locate package no-such-package\ncommand terminated with exit code 100\n")
    sim.ok(*IN_REDIS, "apt-get", "install", "-y", "procps")
    again = sim.ok(*IN_REDIS, "apt-get", "install", "procps")
    assert "procps is already the newest version (2:4.0.2-3).\n0 upgraded, 0 newly installed" in again
    sim.apply(REDIS.replace("name: redis\nspec:", "name: nobody\nspec:\n  securityContext: {runAsUser: 999}"))
    sim.wait(15)
    code, _, err = sim.run("exec", "nobody", "--", "apt-get", "install", "procps")
    assert code == 100 and "are you root?" in err


TWO_CONTAINERS = """
apiVersion: v1
kind: Pod
metadata:
  name: two-containers
spec:
  restartPolicy: Never
  volumes:
  - name: shared-data
    emptyDir: {}
  containers:
  - name: nginx-container
    image: nginx
    volumeMounts:
    - name: shared-data
      mountPath: /usr/share/nginx/html
  - name: debian-container
    image: debian
    volumeMounts:
    - name: shared-data
      mountPath: /pod-data
    command: ["/bin/sh"]
    args: ["-c", "echo Hello from the debian container > /pod-data/index.html"]
"""


def test_two_containers_share_a_volume_and_the_page_looks_with_installed_tools(sim: Sim) -> None:
    """The documentation's "Communicate Between Containers in the Same Pod Using a Shared Volume"."""
    sim.apply(TWO_CONTAINERS)
    sim.wait(15)
    in_nginx = ("exec", "two-containers", "-c", "nginx-container", "--")
    sim.ok(*in_nginx, "apt-get", "update")
    sim.ok(*in_nginx, "apt-get", "install", "curl", "procps")
    rows = [line.split(None, 10) for line in sim.ok(*in_nginx, "ps", "aux").splitlines()[1:]]
    assert [(row[0], row[1], row[10]) for row in rows] == [
        ("root", "1", "nginx: master process nginx -g daemon off;"),
        ("nginx", "29", "nginx: worker process"),
        ("nginx", "30", "nginx: worker process"),
        ("root", "42", "ps aux"),
    ]
    assert sim.ok(*in_nginx, "curl", "localhost") == "Hello from the debian container\n"


def test_a_shell_in_a_running_container_sees_its_volumes_among_its_mounts(sim: Sim) -> None:
    """The documentation's "Get a Shell to a Running Container": `cat /proc/mounts`, tools installed with apt-get."""
    sim.apply(TWO_CONTAINERS.replace("two-containers", "shell-demo"))
    sim.wait(15)
    in_nginx = ("exec", "shell-demo", "-c", "nginx-container", "--")
    mounts = sim.ok(*in_nginx, "cat", "/proc/mounts").splitlines()
    assert mounts[0].startswith("overlay / overlay rw,")
    assert "/dev/vda1 /usr/share/nginx/html ext4 rw,relatime 0 0" in mounts  # the emptyDir, on the node's disk
    assert "tmpfs /var/run/secrets/kubernetes.io/serviceaccount tmpfs ro,relatime 0 0" in mounts  # the token
    sim.ok(*in_nginx, "apt-get", "update")
    for package in ("tcpdump", "lsof"):
        assert f"Setting up {package} (" in sim.ok(*in_nginx, "apt-get", "install", "-y", package)
    assert "not simulated" in sim.run(*in_nginx, "lsof")[2]  # there now, and says it is not simulated
