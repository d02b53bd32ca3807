"""kube-proxy spreads connections like its iptables rules; cluster DNS resolves Services like CoreDNS."""

from __future__ import annotations

import io

import pytest

from cluster import dns, proxy
from cluster.apiserver.server import APIServer
from cluster.controllers.endpointslice import EndpointSliceController
from cluster.kubectl.cli import run as kubectl
from tests.test_endpoints import make_service, run_pod, set_ready


@pytest.fixture
def web(api: APIServer) -> dict:
    for i, node in enumerate(("worker-1", "worker-2", "worker-3"), start=1):
        run_pod(api, f"web-{i}", f"10.244.{i}.5", node)
    service = make_service(api)
    EndpointSliceController(api).reconcile("default/web")
    return service


def test_requests_spread_evenly_over_three_ready_endpoints(api: APIServer, web: dict) -> None:
    traffic = proxy.send_requests(api, "web:80", 3000, salt="t")
    assert sum(traffic.distribution.values()) == 3000
    assert set(traffic.distribution) == {"web-1", "web-2", "web-3"}
    assert all(900 <= n <= 1100 for n in traffic.distribution.values()), traffic.distribution
    again = proxy.send_requests(api, f"{web['spec']['clusterIP']}:80", 3000, salt="t")
    assert again.distribution == traffic.distribution  # same seed, same state: same replay


def test_iptables_rules_give_each_endpoint_one_nth(api: APIServer, web: dict) -> None:
    service, port = proxy.resolve_target(api, "web")
    rules = proxy.iptables_rules(service, port, proxy.service_endpoints(api, service, port))
    assert [r.split("--probability ")[1].split()[0] if "probability" in r else None for r in rules] == [
        "0.3333333333",
        "0.5000000000",
        None,
    ]
    chain = rules[0].split()[1]
    assert chain.startswith("KUBE-SVC-") and len(chain) == len("KUBE-SVC-") + 16
    assert '"default/web -> 10.244.1.5:8080"' in rules[0] and rules[0].endswith(rules[0].split("-j ")[1])


def test_every_request_is_reported_as_a_traffic_step(api: APIServer, web: dict) -> None:
    seen = []
    api.add_observer(lambda kind, detail: seen.append((kind, detail)))
    traffic = proxy.send_requests(api, "web", 5, client="default/client")
    assert [kind for kind, _ in seen] == ["traffic"] * 5
    assert [d["pod"] for _, d in seen] == [h["pod"] for h in traffic.hops]
    assert all(d["vip"] == f"{web['spec']['clusterIP']}:80" and d["endpoint"].endswith(":8080") for _, d in seen)


def test_unready_pods_get_no_traffic_and_none_ready_is_connection_refused(api: APIServer, web: dict) -> None:
    set_ready(api, "web-2", False)
    EndpointSliceController(api).reconcile("default/web")
    assert set(proxy.send_requests(api, "web", 200).distribution) == {"web-1", "web-3"}
    for name in ("web-1", "web-3"):
        set_ready(api, name, False)
    EndpointSliceController(api).reconcile("default/web")
    with pytest.raises(proxy.ConnectionRefused):
        proxy.send_requests(api, "web", 1)


def test_terminating_but_serving_endpoints_drain_when_none_is_ready(api: APIServer, web: dict) -> None:
    for name in ("web-1", "web-2", "web-3"):
        api.delete("pods", "default", name)
    EndpointSliceController(api).reconcile("default/web")
    assert sum(proxy.send_requests(api, "web", 30).distribution.values()) == 30


# -- DNS -------------------------------------------------------------------------------
def _headless(api: APIServer) -> None:
    make_service(api, "db", clusterIP="None")
    EndpointSliceController(api).reconcile("default/db")


@pytest.mark.parametrize(
    "name, namespace, expected",
    [
        ("web", "default", "web.default.svc.cluster.local"),
        ("web.default", "default", "web.default.svc.cluster.local"),
        ("web.default.svc", "kube-system", "web.default.svc.cluster.local"),
        ("web.default.svc.cluster.local", "shop", "web.default.svc.cluster.local"),
        ("web.default.svc.cluster.local.", "shop", "web.default.svc.cluster.local"),
        ("kubernetes.default", "shop", "kubernetes.default.svc.cluster.local"),
        ("kube-dns.kube-system", "default", "kube-dns.kube-system.svc.cluster.local"),
    ],
)
def test_service_names_resolve_through_the_search_path(
    api: APIServer, web: dict, name: str, namespace: str, expected: str
) -> None:
    answer = dns.resolve(api, name, namespace)
    service = expected.split(".")[:2]
    assert answer.name == expected
    assert answer.addresses == (api.get("services", service[1], service[0])["spec"]["clusterIP"],)


@pytest.mark.parametrize(
    "name, namespace", [("web", "shop"), ("nosuch", "default"), ("web.nowhere.svc.cluster.local", "default")]
)
def test_unknown_names_are_nxdomain(api: APIServer, web: dict, name: str, namespace: str) -> None:
    with pytest.raises(dns.NXDomain):
        dns.resolve(api, name, namespace)


def test_headless_service_resolves_to_ready_pod_ips_and_pod_records(api: APIServer, web: dict) -> None:
    set_ready(api, "web-2", False)
    _headless(api)
    assert dns.resolve(api, "db").addresses == ("10.244.1.5", "10.244.3.5")
    assert dns.resolve(api, "10-244-1-5.default.pod.cluster.local").addresses == ("10.244.1.5",)
    with pytest.raises(dns.ServFail):
        dns.resolve(api, "example.com")


def exec_(api: APIServer, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = kubectl(api, ["exec", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def client(api: APIServer, web: dict) -> dict:
    """A busybox pod to run commands in (nginx's image has no nslookup or wget, as on a real cluster)."""
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "client"},
            "spec": {
                "nodeName": "worker-1",
                "containers": [{"name": "busybox", "image": "busybox:1.36", "command": ["sleep", "3600"]}],
            },
        },
    )
    return set_ready(api, "client", True, "10.244.1.9")


def test_kubectl_exec_nslookup_prints_like_nslookup(api: APIServer, web: dict, client: dict) -> None:
    ip = web["spec"]["clusterIP"]
    assert exec_(api, "client", "--", "nslookup", "web") == (
        0,
        (f"Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tweb.default.svc.cluster.local\nAddress: {ip}\n\n"),
        "",
    )
    assert exec_(api, "client", "--", "nslookup", "nosuch") == (
        1,
        ("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n** server can't find nosuch: NXDOMAIN\n\n"),
        "command terminated with exit code 1\n",
    )


def test_kubectl_exec_wget_is_refused_where_nothing_listens(api: APIServer, web: dict, client: dict) -> None:
    ip = web["spec"]["clusterIP"]
    refused = (
        1,
        "",
        f"wget: can't connect to remote host ({ip}): Connection refused\ncommand terminated with exit code 1\n",
    )
    assert exec_(api, "client", "--", "wget", "-qO-", "http://web") == refused  # these pods run no server
    for name in ("web-1", "web-2", "web-3"):
        set_ready(api, name, False)
    EndpointSliceController(api).reconcile("default/web")
    assert exec_(api, "client", "--", "wget", "-qO-", "http://web") == refused  # no endpoint: REJECT
    assert exec_(api, "client", "--", "wget", "-qO-", "http://nosuch")[2].startswith("wget: bad address 'nosuch'")


def test_kubectl_exec_refuses_what_it_cannot_do(api: APIServer, web: dict, client: dict) -> None:
    assert exec_(api, "nope", "--", "nslookup", "web") == (
        1,
        "",
        'Error from server (NotFound): pods "nope" not found\n',
    )
    assert (
        exec_(api, "client", "-c", "sidecar", "--", "nslookup", "web")[2]
        == "Error from server (BadRequest): container sidecar is not valid for pod client\n"
    )
    code, _, err = exec_(api, "client", "--", "bash")
    assert code == 1 and err.startswith("error: Internal error occurred: error executing command in container")
    assert err.endswith('exec: "bash": executable file not found in $PATH: unknown\n')
