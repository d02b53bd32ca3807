"""kube-controller-manager's EndpointSlice controller (pkg/controller/endpointslice).

For every Service with a selector it keeps EndpointSlices named `<service>-<5 random
chars>` (generateName), labelled kubernetes.io/service-name and
endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io, owned by
the Service, addressType IPv4. Every matching pod with an IP that is not terminal is
an endpoint — terminating pods included, so kube-proxy can drain them — with
conditions serving (the pod is Ready), terminating (it has a deletionTimestamp) and
ready (serving and not terminating, or always when the Service publishes not-ready
addresses), its nodeName, its node's topology.kubernetes.io/zone and a targetRef.
Pods whose resolved ports differ go to different slices; a slice holds at most 100
endpoints. With no endpoints one placeholder slice remains. Existing slices are
reused (their names stay), surplus ones deleted.

Simplified: slices are rewritten wholesale instead of with upstream's
minimum-churn packing; no trigger-time annotation, no topology hints; slices of a
deleted Service are deleted here rather than left to the garbage collector.
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers.base import DONE, Controller, Result, split_key
from cluster.controllers.controller_utils import is_pod_ready
from cluster.controllers.endpoints import (
    find_port,
    pod_ip,
    pod_reference,
    selects,
    service_keys_for,
    service_labels,
    should_pod_be_in_endpoints,
)
from cluster.informers import Lister
from cluster.labels import MANAGED_BY, SERVICE_NAME, ZONE

CONTROLLER_NAME = "endpointslice-controller.k8s.io"
MAX_ENDPOINTS_PER_SLICE = 100  # --max-endpoints-per-slice


def slice_ports(pod: dict, service: dict) -> list[dict]:
    ports = []
    for service_port in (service.get("spec") or {}).get("ports") or []:
        number = find_port(pod, service_port)
        if number is None:
            continue
        port = {
            "name": service_port.get("name") or "",
            "port": number,
            "protocol": service_port.get("protocol") or "TCP",
        }
        if service_port.get("appProtocol"):
            port["appProtocol"] = service_port["appProtocol"]
        ports.append(port)
    return ports


def pod_to_endpoint(pod: dict, service: dict, zones: dict[str, str]) -> dict:
    """podToEndpoint."""
    serving = is_pod_ready(pod)
    terminating = bool(pod["metadata"].get("deletionTimestamp"))
    ready = bool((service.get("spec") or {}).get("publishNotReadyAddresses")) or (serving and not terminating)
    endpoint = {
        "addresses": [pod_ip(pod)],
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
    }
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"]:
        endpoint["hostname"] = spec["hostname"]
    if spec.get("nodeName"):
        endpoint["nodeName"] = spec["nodeName"]
        if zones.get(spec["nodeName"]):
            endpoint["zone"] = zones[spec["nodeName"]]
    endpoint["targetRef"] = pod_reference(pod)
    return endpoint


def desired_groups(lister: Lister, service: dict) -> list[tuple[list[dict], list[dict]]]:
    """(ports, endpoints) for each distinct port set, pods in name order."""
    namespace = service["metadata"]["namespace"]
    zones = {n["metadata"]["name"]: (n["metadata"].get("labels") or {}).get(ZONE, "") for n in lister.list("nodes")}
    groups: dict[str, tuple[list[dict], list[dict]]] = {}
    pods = sorted(lister.list("pods", namespace), key=lambda p: p["metadata"]["name"])
    for pod in pods:
        if not selects(service, pod) or not should_pod_be_in_endpoints(pod, include_terminating=True):
            continue
        ports = slice_ports(pod, service)
        groups.setdefault(repr(ports), (ports, []))[1].append(pod_to_endpoint(pod, service, zones))
    return list(groups.values())


def managed_slices(api: APIServer, namespace: str, service: str) -> list[dict]:
    selector = f"{SERVICE_NAME}={service},{MANAGED_BY}={CONTROLLER_NAME}"
    items = api.list("endpointslices", namespace, label_selector=selector)["items"]
    return sorted(items, key=lambda s: s["metadata"]["name"])


class EndpointSliceController(Controller):
    name = "endpointslice-controller"
    watches = ("services", "pods", "endpointslices")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        if resource == "endpointslices":
            labels = event.object["metadata"].get("labels") or {}
            if labels.get(MANAGED_BY) != CONTROLLER_NAME:
                return []
        return service_keys_for(self.lister, resource, event)

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        return self.sync_service(namespace, name)  # a refused write is retried by the driver, with back-off

    def sync_service(self, namespace: str, name: str) -> Result:
        existing = managed_slices(self.api, namespace, name)
        try:
            service = self.lister.get("services", namespace, name)
        except StatusError as err:
            if err.code != 404:
                raise
            self._delete(existing)
            return DONE
        if not (service.get("spec") or {}).get("selector"):
            return DONE
        wanted = self._desired_slices(service)
        reusable = list(existing)
        for ports, endpoints in wanted:
            match = next((s for s in reusable if (s.get("ports") or None) == ports), None) or (
                reusable[0] if reusable else None
            )
            if match is None:
                self._create(service, ports, endpoints)
                continue
            reusable.remove(match)
            self._update(service, match, ports, endpoints)
        self._delete(reusable)
        return DONE

    def _desired_slices(self, service: dict) -> list[tuple[list[dict] | None, list[dict] | None]]:
        slices: list[tuple[list[dict] | None, list[dict] | None]] = []
        for ports, endpoints in desired_groups(self.lister, service):
            for start in range(0, len(endpoints), MAX_ENDPOINTS_PER_SLICE):
                slices.append((ports or None, endpoints[start : start + MAX_ENDPOINTS_PER_SLICE]))
        return slices or [(None, None)]  # the placeholder slice

    def _labels(self, service: dict) -> dict:
        labels = {k: v for k, v in service_labels(service).items() if k not in (SERVICE_NAME, MANAGED_BY)}
        return {**labels, SERVICE_NAME: service["metadata"]["name"], MANAGED_BY: CONTROLLER_NAME}

    def _create(self, service: dict, ports: list[dict] | None, endpoints: list[dict] | None) -> None:
        meta = service["metadata"]
        self.api.create(
            "endpointslices",
            meta["namespace"],
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "generateName": f"{meta['name']}-",
                    "namespace": meta["namespace"],
                    "labels": self._labels(service),
                    "ownerReferences": [
                        {
                            "apiVersion": "v1",
                            "kind": "Service",
                            "name": meta["name"],
                            "uid": meta["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "addressType": "IPv4",
                "endpoints": endpoints,
                "ports": ports,
            },
        )

    def _update(self, service: dict, current: dict, ports: list[dict] | None, endpoints: list[dict] | None) -> None:
        labels = self._labels(service)
        if (
            current.get("endpoints") == endpoints
            and current.get("ports") == ports
            and (current["metadata"].get("labels") or {}) == labels
        ):
            return

        def rewrite(obj: dict) -> dict:
            obj["metadata"]["labels"] = labels
            obj["endpoints"], obj["ports"] = endpoints, ports
            return obj

        self.api.update_with("endpointslices", current["metadata"]["namespace"], current["metadata"]["name"], rewrite)

    def _delete(self, slices: list[dict]) -> None:
        for obj in slices:
            try:
                self.api.delete("endpointslices", obj["metadata"]["namespace"], obj["metadata"]["name"])
            except StatusError as err:
                if err.code != 404:
                    raise
