"""The names busybox 1.28's nslookup prints (the documentation's DNS pages use it): each address with the PTR
name CoreDNS's kubernetes plugin answers for it, and an ExternalName followed to its target."""

from __future__ import annotations

import pytest

from cluster.models import Cluster
from tests.workload_sim import KubectlSim

SERVER = "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\n"


@pytest.fixture
def sim(cluster: Cluster) -> KubectlSim:
    sim = KubectlSim(cluster)
    sim.ok("run client --image=busybox:1.28 -- sleep 3600")
    sim.ok("run web --image=nginx --labels=app=web")
    sim.ok("create service clusterip web-headless --clusterip=None --tcp=80:80")
    sim.ok("""patch service web-headless -p '{"spec":{"selector":{"app":"web"}}}'""")
    sim.ok("expose pod web --port=80")
    sim.ok("create service externalname api --external-name=kubernetes.default.svc.cluster.local")
    sim.wait(20)
    return sim


def nslookup(sim: KubectlSim, name: str) -> tuple[int, str, str]:
    return sim.run(f"exec client -- nslookup {name}")


def test_a_cluster_ip_is_named_by_its_service(sim: KubectlSim) -> None:
    ip = sim.pod("web")["status"]["podIP"]
    cluster_ip = sim.api.get("services", "default", "web")["spec"]["clusterIP"]
    assert nslookup(sim, "web") == (
        0,
        SERVER + f"Name:      web\nAddress 1: {cluster_ip} web.default.svc.cluster.local\n",
        "",
    )
    # a headless Service's addresses are its endpoints, named by address under the Service
    dashed = ip.replace(".", "-")
    assert nslookup(sim, "web-headless")[1] == (
        SERVER + f"Name:      web-headless\nAddress 1: {ip} {dashed}.web-headless.default.svc.cluster.local\n"
    )


def test_an_address_is_looked_up_backwards(sim: KubectlSim) -> None:
    assert nslookup(sim, "10.96.0.1") == (
        0,
        SERVER + "Name:      10.96.0.1\nAddress 1: 10.96.0.1 kubernetes.default.svc.cluster.local\n",
        "",
    )


def test_an_external_name_leads_to_its_target(sim: KubectlSim) -> None:
    assert nslookup(sim, "api") == (
        0,
        SERVER + "Name:      api\nAddress 1: 10.96.0.1 kubernetes.default.svc.cluster.local\n",
        "",
    )


def test_bind_style_nslookup_follows_an_external_name_too(sim: KubectlSim) -> None:
    sim.ok("run newer --image=busybox:1.36 -- sleep 3600")
    sim.wait(10)
    assert sim.run("exec newer -- nslookup api") == (
        0,
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n"
        "api.default.svc.cluster.local\tcanonical name = kubernetes.default.svc.cluster.local.\n"
        "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n",
        "",
    )
