"""Service links: the environment variables a container gets for the Services of its namespace.

kubernetes.io/docs/concepts/services-networking/service/#environment-variables: a Service `redis-primary`
on TCP 6379 gives REDIS_PRIMARY_SERVICE_HOST, …_SERVICE_PORT and the Docker-style …_PORT_6379_TCP family,
for the Services that existed when the container started. `kubectl exec POD -- env` shows the container's
environment whatever its main process is, as runc starts every exec'd process with it.
"""

from __future__ import annotations

import pytest

from cluster.models import Cluster
from tests.workload_sim import KubectlSim

REDIS = """
apiVersion: v1
kind: Service
metadata:
  name: redis-primary
spec:
  selector: {app: redis}
  ports:
  - {port: 6379, protocol: TCP}
"""


QUIET = """
apiVersion: v1
kind: Pod
metadata:
  name: quiet
spec:
  enableServiceLinks: false
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"]}
"""


@pytest.fixture
def sim(cluster: Cluster) -> KubectlSim:
    return KubectlSim(cluster)


def env_of(sim: KubectlSim, pod: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in sim.ok(f"exec {pod} -- env").splitlines())


def test_a_pod_started_after_a_service_has_its_variables_and_one_started_before_has_not(sim: KubectlSim) -> None:
    sim.ok("run early --image=busybox -- sleep 3600")
    sim.wait(10)
    sim.apply(REDIS)
    ip = sim.api.get("services", "default", "redis-primary")["spec"]["clusterIP"]
    sim.ok("run late --image=busybox -- sleep 3600")
    sim.wait(10)
    late, early = env_of(sim, "late"), env_of(sim, "early")
    assert {k: v for k, v in late.items() if k.startswith("REDIS_PRIMARY_")} == {
        "REDIS_PRIMARY_SERVICE_HOST": ip,
        "REDIS_PRIMARY_SERVICE_PORT": "6379",
        "REDIS_PRIMARY_PORT": f"tcp://{ip}:6379",
        "REDIS_PRIMARY_PORT_6379_TCP": f"tcp://{ip}:6379",
        "REDIS_PRIMARY_PORT_6379_TCP_PROTO": "tcp",
        "REDIS_PRIMARY_PORT_6379_TCP_PORT": "6379",
        "REDIS_PRIMARY_PORT_6379_TCP_ADDR": ip,
    }
    assert not any(k.startswith("REDIS_PRIMARY_") for k in early)  # it started before the Service existed
    for env in (early, late):  # the API server's own Service is there for every pod
        assert (env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]) == ("10.96.0.1", "443")


def test_exec_sees_the_containers_environment_not_what_its_main_process_set(sim: KubectlSim) -> None:
    sim.ok("run shell --image=busybox --env=MODE=blue -- sh -c 'X=1; export Y=2; sleep 3600'")
    sim.wait(10)
    env = env_of(sim, "shell")
    assert env["MODE"] == "blue"
    assert "X" not in env and "Y" not in env
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"


def test_enable_service_links_false_keeps_only_the_api_servers(sim: KubectlSim) -> None:
    sim.apply(REDIS)
    sim.apply(QUIET)
    sim.wait(10)
    env = env_of(sim, "quiet")
    assert not any(k.startswith("REDIS_PRIMARY_") for k in env)
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"


def test_a_command_expands_the_service_links_as_the_kubelet_does(sim: KubectlSim) -> None:
    sim.apply(REDIS)
    ip = sim.api.get("services", "default", "redis-primary")["spec"]["clusterIP"]
    sim.ok("run say --image=busybox --restart=Never --command -- echo $(REDIS_PRIMARY_SERVICE_HOST):6379")
    sim.wait(10)
    assert sim.ok("logs say") == f"{ip}:6379\n"
