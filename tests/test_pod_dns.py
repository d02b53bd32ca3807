"""A pod's DNS settings (the documentation's "DNS for Services and Pods"): what dnsPolicy and dnsConfig put in
/etc/resolv.conf, which nameserver a lookup then reaches, and what the API server refuses."""

from __future__ import annotations

import pytest

from cluster import dns
from cluster.apiserver.errors import StatusError
from cluster.models import Cluster
from tests.container_sim import Sim, frozen

CLUSTER_FIRST = (
    "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
)
NODE = "nameserver 172.18.0.1\noptions ndots:0\n"
EXAMPLE_CONFIG = {
    "nameservers": ["192.0.2.1"],
    "searches": ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"],
    "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}],
}


def pod(**spec: object) -> dict:
    return {"metadata": {"name": "p", "namespace": "default"}, "spec": spec}


@pytest.mark.parametrize(
    ("spec", "resolv_conf"),
    [
        ({}, CLUSTER_FIRST),
        ({"dnsPolicy": "ClusterFirst"}, CLUSTER_FIRST),
        ({"dnsPolicy": "ClusterFirst", "hostNetwork": True}, NODE),  # falls back to Default on the host's network
        ({"dnsPolicy": "ClusterFirstWithHostNet", "hostNetwork": True}, CLUSTER_FIRST),
        ({"dnsPolicy": "Default"}, NODE),
        (
            {"dnsPolicy": "None", "dnsConfig": EXAMPLE_CONFIG},  # the documentation's dns-example
            "search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 192.0.2.1\noptions ndots:2 edns0\n",
        ),
        (
            {
                "dnsConfig": {
                    "searches": ["extra.example", "svc.cluster.local"],
                    "options": [{"name": "ndots", "value": "1"}],
                }
            },
            "search default.svc.cluster.local svc.cluster.local cluster.local extra.example\n"
            "nameserver 10.96.0.10\noptions ndots:1\n",  # appended without duplicates; an option replaced
        ),
    ],
)
def test_the_kubelet_writes_the_policys_settings_with_the_pods_config_appended(spec: dict, resolv_conf: str) -> None:
    assert dns.pod_dns(pod(**spec)).resolv_conf() == resolv_conf


@pytest.fixture
def sim(cluster: Cluster) -> Sim:
    sim = frozen(cluster)
    sim.ok("run", "web", "--image=nginx:1.27", "--expose", "--port=80")
    for name, spec in (
        ("default", {"dnsPolicy": "Default"}),
        ("custom", {"dnsPolicy": "None", "dnsConfig": EXAMPLE_CONFIG}),
        ("cluster", {}),
    ):
        overrides = '{"spec": %s}' % str(spec).replace("'", '"')
        sim.ok("run", name, "--image=busybox:1.36", f"--overrides={overrides}", "--", "sleep", "3600")
    sim.wait(15)
    return sim


def test_a_lookup_reaches_the_pods_own_nameserver(sim: Sim) -> None:
    assert sim.ok("exec", "custom", "--", "cat", "/etc/resolv.conf").startswith("search ns1.svc.cluster-domain")
    assert sim.ok("exec", "cluster", "--", "wget", "-qO-", "http://web").startswith("<!DOCTYPE html>")
    # Docker's DNS on the node knows nothing of the cluster's names; 192.0.2.1 does not answer at all.
    code, out, _ = sim.run("exec", "default", "--", "nslookup", "web")
    assert (code, out) == (
        1,
        "Server:\t\t172.18.0.1\nAddress:\t172.18.0.1#53\n\n** server can't find web: NXDOMAIN\n\n",
    )
    code, out, _ = sim.run("exec", "custom", "--", "nslookup", "web")
    assert (code, out) == (1, ";; connection timed out; no servers could be reached\n\n")
    code, _, err = sim.run("exec", "custom", "--", "wget", "-qO-", "http://web")
    assert code == 1 and "bad address 'web'" in err


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dnsPolicy": "None"}, "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"),
        (
            {"dnsPolicy": "None", "dnsConfig": {"searches": ["a.example"]}},
            "spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` "
            "is None",
        ),
        (
            {"dnsConfig": {"nameservers": ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"]}},
            'spec.dnsConfig.nameservers: Invalid value: []string{"1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"}: '
            "must not have more than 3 nameservers",
        ),
        (
            {"dnsConfig": {"nameservers": ["dns.example"]}},
            'spec.dnsConfig.nameservers[0]: Invalid value: "dns.example": must be a valid IP address, '
            "(e.g. 10.9.8.7 or 2001:db8::ffff)",
        ),
        (
            {"dnsConfig": {"options": [{"value": "2"}]}},
            "spec.dnsConfig.options[0]: Required value: Option.Name must not be empty",
        ),
    ],
)
def test_the_api_server_refuses_dns_settings_upstream_refuses(sim: Sim, spec: dict, message: str) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "refused"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec},
    }
    with pytest.raises(StatusError) as refused:
        sim.api.create("pods", "default", body)
    assert refused.value.message == f'Pod "refused" is invalid: {message}'
