"""The endpoints and EndpointSlice controllers follow pods' readiness, IPs and named ports."""

from __future__ import annotations

import pytest

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers.endpoints import EndpointsController
from cluster.controllers.endpointslice import EndpointSliceController, managed_slices


def run_pod(
    api: APIServer,
    name: str,
    ip: str,
    node: str = "worker-1",
    ready: bool = True,
    labels: dict | None = None,
    ports: list | None = None,
) -> dict:
    container = {"name": "web", "image": "nginx", "ports": ports or [{"name": "http", "containerPort": 8080}]}
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {"app": "web"}},
            "spec": {"nodeName": node, "containers": [container]},
        },
    )
    return set_ready(api, name, ready, ip)


def set_ready(api: APIServer, name: str, ready: bool, ip: str | None = None) -> dict:
    def update(pod: dict) -> dict:
        status = pod.setdefault("status", {})
        status["phase"] = "Running"
        if ip:
            status["podIP"], status["podIPs"] = ip, [{"ip": ip}]
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
        return pod

    return api.update_with("pods", "default", name, update, subresource="status")


def make_service(api: APIServer, name: str = "web", target: object = "http", **spec: object) -> dict:
    return api.create(
        "services",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": {"tier": "front"}},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": target}], **spec},
        },
    )


def sync(api: APIServer, name: str = "web") -> None:
    EndpointsController(api).reconcile(f"default/{name}")
    EndpointSliceController(api).reconcile(f"default/{name}")


def addresses(endpoints: dict, bag: str) -> list[tuple[str, str, str]]:
    return [
        (a["ip"], a.get("nodeName", ""), a["targetRef"]["name"])
        for s in endpoints.get("subsets") or []
        for a in s.get(bag) or []
    ]


def test_endpoints_follow_pod_readiness(api: APIServer) -> None:
    run_pod(api, "web-a", "10.244.1.5", "worker-1")
    run_pod(api, "web-b", "10.244.2.7", "worker-2", ready=False)
    make_service(api)
    sync(api)
    endpoints = api.get("endpoints", "default", "web")
    assert addresses(endpoints, "addresses") == [("10.244.1.5", "worker-1", "web-a")]
    assert addresses(endpoints, "notReadyAddresses") == [("10.244.2.7", "worker-2", "web-b")]
    assert endpoints["subsets"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}]  # the named port resolved
    assert endpoints["metadata"]["labels"] == {"tier": "front", "endpointslice.kubernetes.io/skip-mirror": "true"}
    ref = endpoints["subsets"][0]["addresses"][0]["targetRef"]
    assert ref["kind"] == "Pod" and ref["uid"] == api.get("pods", "default", "web-a")["metadata"]["uid"]

    controller = EndpointsController(api)
    flipped = set_ready(api, "web-b", True)
    assert controller.keys_for("pods", WatchEvent("MODIFIED", flipped, 0)) == ["default/web"]
    controller.reconcile("default/web")
    endpoints = api.get("endpoints", "default", "web")
    assert [a[0] for a in addresses(endpoints, "addresses")] == ["10.244.1.5", "10.244.2.7"]
    assert addresses(endpoints, "notReadyAddresses") == []

    set_ready(api, "web-a", False)
    controller.reconcile("default/web")
    endpoints = api.get("endpoints", "default", "web")
    assert [a[0] for a in addresses(endpoints, "addresses")] == ["10.244.2.7"]
    assert [a[0] for a in addresses(endpoints, "notReadyAddresses")] == ["10.244.1.5"]
    revision = endpoints["metadata"]["resourceVersion"]
    controller.reconcile("default/web")
    assert api.get("endpoints", "default", "web")["metadata"]["resourceVersion"] == revision


@pytest.mark.parametrize(
    "target, pod_ports, expected",
    [
        (8080, None, [{"port": 8080, "protocol": "TCP"}]),
        ("http", [{"name": "http", "containerPort": 9376}], [{"port": 9376, "protocol": "TCP"}]),
        ("http", [{"name": "metrics", "containerPort": 9090}], None),  # the pod lacks the named port
        ("http", [{"name": "http", "containerPort": 53, "protocol": "UDP"}], None),  # protocol must match
    ],
)
def test_target_port_resolves_numbers_and_named_container_ports(
    api: APIServer, target: object, pod_ports: list | None, expected: list | None
) -> None:
    run_pod(api, "web-a", "10.244.1.5", ports=pod_ports)
    make_service(api, target=target)
    sync(api)
    subsets = api.get("endpoints", "default", "web").get("subsets") or []
    assert (subsets[0]["ports"] if subsets else None) == expected


def test_pods_without_ip_terminal_or_unselected_are_left_out(api: APIServer) -> None:
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "no-ip", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "a", "image": "x"}]},
        },
    )
    run_pod(api, "other", "10.244.1.9", labels={"app": "db"})
    run_pod(api, "done", "10.244.1.8")

    def finish(pod: dict) -> dict:
        pod["status"]["phase"] = "Succeeded"
        return pod

    api.update_with("pods", "default", "done", finish, subresource="status")
    make_service(api)
    sync(api)
    assert api.get("endpoints", "default", "web").get("subsets") in (None, [])
    slices = managed_slices(api, "default", "web")
    assert len(slices) == 1 and not slices[0].get("endpoints")  # the placeholder slice


def test_endpoint_slice_contents(api: APIServer) -> None:
    run_pod(api, "web-a", "10.244.1.5", "worker-1")
    run_pod(api, "web-b", "10.244.2.7", "worker-2", ready=False)
    service = make_service(api)
    sync(api)
    [obj] = managed_slices(api, "default", "web")
    name = obj["metadata"]["name"]
    assert name.startswith("web-") and len(name) == len("web-") + 5
    assert obj["addressType"] == "IPv4"
    assert obj["metadata"]["labels"] == {
        "tier": "front",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    }
    owner = obj["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "Service",
        "web",
        service["metadata"]["uid"],
        True,
    )
    assert obj["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}]
    assert [(e["addresses"], e["conditions"], e["nodeName"], e["targetRef"]["name"]) for e in obj["endpoints"]] == [
        (["10.244.1.5"], {"ready": True, "serving": True, "terminating": False}, "worker-1", "web-a"),
        (["10.244.2.7"], {"ready": False, "serving": False, "terminating": False}, "worker-2", "web-b"),
    ]
    set_ready(api, "web-b", True)
    api.delete("pods", "default", "web-a")  # bound to a node: graceful, so it lingers as terminating
    sync(api)
    [again] = managed_slices(api, "default", "web")
    assert again["metadata"]["name"] == name  # the slice is reused, not replaced
    assert [(e["targetRef"]["name"], e["conditions"]) for e in again["endpoints"]] == [
        ("web-a", {"ready": False, "serving": True, "terminating": True}),
        ("web-b", {"ready": True, "serving": True, "terminating": False}),
    ]
    endpoints = api.get("endpoints", "default", "web")
    assert [a[2] for a in addresses(endpoints, "addresses")] == ["web-b"]  # Endpoints drop terminating pods


def test_service_deletion_removes_endpoints_and_slices(api: APIServer) -> None:
    run_pod(api, "web-a", "10.244.1.5")
    make_service(api)
    sync(api)
    api.delete("services", "default", "web")
    sync(api)
    with pytest.raises(StatusError):
        api.get("endpoints", "default", "web")
    assert managed_slices(api, "default", "web") == []


def test_service_without_selector_keeps_its_manual_endpoints(api: APIServer) -> None:
    api.create(
        "services",
        "default",
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"}, "spec": {"ports": [{"port": 80}]}},
    )
    api.create(
        "endpoints",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "ext"},
            "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 80}]}],
        },
    )
    sync(api, "ext")
    assert addresses_plain(api.get("endpoints", "default", "ext")) == ["192.0.2.10"]
    assert managed_slices(api, "default", "ext") == []


def addresses_plain(endpoints: dict) -> list[str]:
    return [a["ip"] for s in endpoints.get("subsets") or [] for a in s.get("addresses") or []]
