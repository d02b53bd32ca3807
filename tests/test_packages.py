"""`apk add` in Alpine images, as tutorials use it (`apk add curl`, `apk add bash`): the programs it installs
are there for the container's life, and gone when it restarts. apt-get's page walk is in
tests/test_volume_storage_page.py."""

from __future__ import annotations

import pytest

from cluster.models import Cluster
from tests.container_sim import Sim, frozen


@pytest.fixture
def sim(cluster: Cluster) -> Sim:
    sim = frozen(cluster)
    sim.ok("run", "web", "--image=nginx")
    sim.ok("run", "box", "--image=alpine:3.20", "--", "sleep", "1d")
    sim.wait(15)
    return sim


def test_apk_add_installs_curl_which_then_reaches_a_pod(sim: Sim) -> None:
    code, _, err = sim.run("exec", "box", "--", "curl", "-s", "web")
    assert code == 1 and 'exec: "curl": executable file not found in $PATH' in err
    out = sim.ok("exec", "box", "--", "apk", "add", "--no-cache", "curl")
    assert out.startswith("fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz\n")
    assert "(1/1) Installing curl (8.9.1-r1)\n" in out and out.endswith(" packages\n")
    ip = sim.pod("web")["status"]["podIP"]
    assert "Welcome to nginx!" in sim.ok("exec", "box", "--", "curl", "-s", ip)
    assert "Installing" not in sim.ok("exec", "box", "--", "apk", "add", "curl")  # already there


def test_apk_refuses_what_it_cannot_find(sim: Sim) -> None:
    code, _, err = sim.run("exec", "box", "--", "apk", "add", "no-such-thing")
    assert code == 1
    assert err.startswith("ERROR: unable to select packages:\n  no-such-thing (no such package):\n")


def test_bash_from_apk_runs_scripts(sim: Sim) -> None:
    assert 'exec: "bash": executable file not found in $PATH' in sim.run("exec", "box", "--", "bash", "-c", "true")[2]
    sim.ok("exec", "box", "--", "apk", "add", "bash")
    assert sim.ok("exec", "box", "--", "bash", "-c", "for i in 1 2; do echo $i; done") == "1\n2\n"
    assert sim.ok("exec", "box", "--", "bash", "-c", "echo $BASH_VERSION") == "5.2.26(1)-release\n"
    assert sim.ok("exec", "box", "--", "sh", "-c", "echo ${BASH_VERSION:-not bash}") == "not bash\n"
    assert sim.ok("exec", "web", "--", "bash", "-c", "echo $BASH_VERSION") == "5.2.15(1)-release\n"  # Debian 12
