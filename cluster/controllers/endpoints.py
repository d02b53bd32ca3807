"""kube-controller-manager's endpoints controller (pkg/controller/endpoint).

For every Service with a selector it keeps an Endpoints object of the same name:
each matching pod that has an IP and is not terminal becomes an address
(ip, nodeName, targetRef) — under `addresses` when the pod is Ready (or the Service
publishes not-ready addresses), under `notReadyAddresses` otherwise; terminating
pods are left out unless the Service publishes not-ready addresses. Ports are
resolved per pod from each Service port's targetPort: a number is used as it is, a
name is looked up among the pod's container ports with the same protocol (a pod
without that named port is left out of that port's subset). Addresses sharing the
same ports are packed into one subset, sorted by IP as RepackSubsets does. The
object carries the Service's labels plus endpointslice.kubernetes.io/skip-mirror.
A Service without a selector is left alone (its Endpoints are the user's); when
the Service is deleted its Endpoints go too.

Simplified: subsets with several ports keep the Service's port order (upstream
sorts them by a hash of the port); no endpoints.kubernetes.io/last-change-trigger-time
annotation and no over-capacity truncation at 1000 addresses.
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import WatchEvent
from cluster.controllers.base import DONE, Controller, Result, split_key
from cluster.controllers.controller_utils import is_pod_ready
from cluster.informers import Lister

SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"
HEADLESS = "service.kubernetes.io/headless"


# -- shared with the EndpointSlice controller, kube-proxy and DNS --------------------
def selects(service: dict, pod: dict) -> bool:
    """The Service's selector (a plain label map) matches the pod in the same namespace."""
    selector = (service.get("spec") or {}).get("selector")
    if not selector:
        return False
    labels = pod["metadata"].get("labels") or {}
    return pod["metadata"].get("namespace") == service["metadata"].get("namespace") and all(
        labels.get(k) == v for k, v in selector.items()
    )


def should_pod_be_in_endpoints(pod: dict, include_terminating: bool) -> bool:
    """endpointsliceutil.ShouldPodBeInEndpoints."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    if not status.get("podIP") and not status.get("podIPs"):
        return False
    return include_terminating or not pod["metadata"].get("deletionTimestamp")


def find_port(pod: dict, service_port: dict) -> int | None:
    """podutil.FindPort: the container port a Service port's targetPort means on this pod."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in (container or {}).get("ports") or []:
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return port.get("containerPort")
    return None


def pod_reference(pod: dict) -> dict:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta.get("namespace"), "name": meta["name"], "uid": meta.get("uid")}


def pod_ip(pod: dict) -> str:
    status = pod.get("status") or {}
    return status.get("podIP") or ((status.get("podIPs") or [{}])[0]).get("ip", "")


def services_selecting(lister: Lister, pod: dict) -> list[str]:
    namespace = pod["metadata"].get("namespace", "default")
    return [f"{namespace}/{svc['metadata']['name']}" for svc in lister.list("services", namespace) if selects(svc, pod)]


def service_keys_for(lister: Lister, resource: str, event: WatchEvent) -> list[str]:
    """Services wake on their own events, and on those of the pods they select."""
    meta = event.object["metadata"]
    if resource == "pods":
        return services_selecting(lister, event.object)
    if resource in ("endpoints", "services"):
        return [f"{meta.get('namespace', 'default')}/{meta['name']}"]
    service = (meta.get("labels") or {}).get("kubernetes.io/service-name")
    return [f"{meta.get('namespace', 'default')}/{service}"] if service else []


def service_labels(service: dict) -> dict:
    labels = dict(service["metadata"].get("labels") or {})
    if (service.get("spec") or {}).get("clusterIP") == "None":
        labels[HEADLESS] = ""
    return labels


# -- the controller ---------------------------------------------------------------------
def _address(pod: dict, service: dict) -> dict:
    spec = pod.get("spec") or {}
    address: dict[str, object] = {"ip": pod_ip(pod)}
    if spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"]:
        address["hostname"] = spec["hostname"]
    if spec.get("nodeName"):
        address["nodeName"] = spec["nodeName"]
    address["targetRef"] = pod_reference(pod)
    return address


def _endpoint_ports(pod: dict, service: dict) -> list[dict]:
    ports = []
    for service_port in (service.get("spec") or {}).get("ports") or []:
        number = find_port(pod, service_port)
        if number is None:
            continue
        port = {"port": number, "protocol": service_port.get("protocol") or "TCP"}
        if service_port.get("name"):
            port = {"name": service_port["name"], **port}
        if service_port.get("appProtocol"):
            port["appProtocol"] = service_port["appProtocol"]
        ports.append(port)
    return ports


def desired_subsets(service: dict, pods: list[dict]) -> list[dict]:
    """The per-pod subsets of syncService, repacked by port set and sorted."""
    publish_not_ready = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    groups: dict[str, dict] = {}
    for pod in pods:
        if not selects(service, pod) or not should_pod_be_in_endpoints(pod, publish_not_ready):
            continue
        ports = _endpoint_ports(pod, service)
        if (service.get("spec") or {}).get("ports") and not ports:
            continue
        group = groups.setdefault(repr(ports), {"addresses": [], "notReadyAddresses": [], "ports": ports})
        bag = "addresses" if publish_not_ready or is_pod_ready(pod) else "notReadyAddresses"
        group[bag].append(_address(pod, service))
    subsets = []
    for group in groups.values():
        subset = {}
        for bag in ("addresses", "notReadyAddresses"):
            if group[bag]:
                subset[bag] = sorted(group[bag], key=lambda a: (a["ip"], a["targetRef"].get("uid") or ""))
        if group["ports"]:
            subset["ports"] = group["ports"]
        subsets.append(subset)
    return sorted(subsets, key=repr)


class EndpointsController(Controller):
    name = "endpoint-controller"
    watches = ("services", "pods", "endpoints")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        return service_keys_for(self.lister, resource, event)

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        return self.sync_service(namespace, name)  # a refused write is retried by the driver, with back-off

    def sync_service(self, namespace: str, name: str) -> Result:
        try:
            service = self.lister.get("services", namespace, name)
        except StatusError as err:
            if err.code != 404:
                raise
            self._delete_endpoints(namespace, name)
            return DONE
        if not (service.get("spec") or {}).get("selector"):
            return DONE
        subsets = desired_subsets(service, self.lister.list("pods", namespace))
        labels = {**service_labels(service), SKIP_MIRROR: "true"}
        try:
            current = self.api.get("endpoints", namespace, name)
        except StatusError as err:
            if err.code != 404:
                raise
            self.api.create(
                "endpoints",
                namespace,
                {
                    "apiVersion": "v1",
                    "kind": "Endpoints",
                    "metadata": {"name": name, "namespace": namespace, "labels": labels},
                    "subsets": subsets,
                },
            )
            return DONE
        if (current.get("subsets") or []) == subsets and (current["metadata"].get("labels") or {}) == labels:
            return DONE

        def update(endpoints: dict) -> dict:
            endpoints["metadata"]["labels"] = labels
            endpoints["subsets"] = subsets
            return endpoints

        self.api.update_with("endpoints", namespace, name, update)
        return DONE

    def _delete_endpoints(self, namespace: str, name: str) -> None:
        try:
            self.api.delete("endpoints", namespace, name)
        except StatusError as err:
            if err.code != 404:
                raise
