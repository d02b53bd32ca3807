"""Service IP and port allocation (kube-apiserver's ClusterIP and NodePort allocators).

ClusterIPs come from the service CIDR 10.96.0.0/12. As upstream, the lower
band of the range (the first 256 addresses) is kept for addresses users ask
for, such as 10.96.0.1 for the `kubernetes` Service and 10.96.0.10 for DNS;
dynamic allocation starts at a seeded offset in the upper band and probes
forward to the next free address, so a scenario replays with the same IPs.
NodePorts come from 30000-32767 the same way.

Simplified: no allocator bitmap in etcd; "in use" is read from the Services
that exist, inside the same transaction as the write. IPv4 single-stack only.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from cluster.apiserver.errors import StatusError

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
STATIC_BAND = 256  # min(max(16, size/16), 256) addresses at the bottom are for static requests
NODE_PORT_RANGE = (30000, 32767)


def _services(api: APIServer) -> list[dict]:
    return api.list("services")["items"]


def _same(svc: dict, obj: dict) -> bool:
    meta, other = obj.get("metadata", {}), svc.get("metadata", {})
    return (meta.get("namespace"), meta.get("name")) == (other.get("namespace"), other.get("name"))


def _needs_cluster_ip(spec: dict) -> bool:
    return spec.get("type") != "ExternalName"


def allocate(api: APIServer, obj: dict) -> None:
    """Fill in clusterIP(s), IP family fields and nodePorts, or refuse a taken/outside address."""
    spec = obj["spec"]
    if not _needs_cluster_ip(spec):
        return
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    others = [s for s in _services(api) if not _same(s, obj)]
    if not spec.get("clusterIP"):
        spec["clusterIP"] = _next_ip(api, obj, {s.get("spec", {}).get("clusterIP") for s in others})
        spec["clusterIPs"] = [spec["clusterIP"]]
    elif spec["clusterIP"] != "None":
        _check_requested_ip(obj, spec["clusterIPs"], others)
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    if spec.get("type") in ("NodePort", "LoadBalancer"):
        _node_ports(api, obj, others)


def _next_ip(api: APIServer, obj: dict, used: set) -> str:
    meta = obj["metadata"]
    size = SERVICE_CIDR.num_addresses - 2  # no network or broadcast address
    dynamic = size - STATIC_BAND
    start = int.from_bytes(api._seeded("clusterip", meta.get("namespace"), meta.get("name"))[:4], "big") % dynamic
    for step in range(size):
        offset = STATIC_BAND + (start + step) % dynamic if step < dynamic else 1 + (step - dynamic)
        candidate = str(SERVICE_CIDR.network_address + offset)
        if candidate not in used:
            return candidate
    raise StatusError(500, "InternalError", "Internal error occurred: failed to allocate a serviceIP: range is full")


def _invalid_ips(obj: dict, ips: list, detail: str) -> StatusError:
    name = obj["metadata"].get("name", "")
    shown = "[]string{" + ", ".join(f'"{ip}"' for ip in ips) + "}"
    return StatusError.invalid(
        "Service",
        "",
        name,
        [{"reason": "FieldValueInvalid", "field": "spec.clusterIPs", "message": f"Invalid value: {shown}: {detail}"}],
    )


def _check_requested_ip(obj: dict, ips: list, others: list[dict]) -> None:
    ip = ips[0]
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return  # validation reports the malformed address
    if address not in SERVICE_CIDR or address in (SERVICE_CIDR.network_address, SERVICE_CIDR.broadcast_address):
        raise _invalid_ips(
            obj,
            ips,
            f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid "
            f"range. The range of valid IPs is {SERVICE_CIDR}",
        )
    if any(s.get("spec", {}).get("clusterIP") == ip for s in others):
        raise _invalid_ips(obj, ips, f"failed to allocate IP {ip}: provided IP is already allocated")


def _node_ports(api: APIServer, obj: dict, others: list[dict]) -> None:
    used = {p.get("nodePort") for s in others for p in s.get("spec", {}).get("ports") or [] if isinstance(p, dict)}
    low, high = NODE_PORT_RANGE
    name = obj["metadata"].get("name", "")
    for i, port in enumerate(obj["spec"].get("ports") or []):
        if not isinstance(port, dict):
            continue
        wanted = port.get("nodePort")
        if wanted:
            if not low <= wanted <= high:
                raise _invalid_port(
                    name,
                    i,
                    wanted,
                    f"provided port is not in the valid range. The range of valid ports is {low}-{high}",
                )
            if wanted in used:
                raise _invalid_port(name, i, wanted, "provided port is already allocated")
        else:
            start = int.from_bytes(api._seeded("nodeport", obj["metadata"].get("namespace"), name, i)[:4], "big")
            span = high - low + 1
            wanted = next(
                (low + (start + step) % span for step in range(span) if low + (start + step) % span not in used), None
            )
            if wanted is None:
                raise StatusError(
                    500, "InternalError", "Internal error occurred: failed to allocate a nodePort: range is full"
                )
            port["nodePort"] = wanted
        used.add(wanted)


def _invalid_port(name: str, index: int, port: int, detail: str) -> StatusError:
    return StatusError.invalid(
        "Service",
        "",
        name,
        [
            {
                "reason": "FieldValueInvalid",
                "field": f"spec.ports[{index}].nodePort",
                "message": f"Invalid value: {port}: {detail}",
            }
        ],
    )


def carry_over(new: dict, old: dict) -> None:
    """On update, keep what was allocated when the client left it out (patchAllocatedValues,
    normalizeClusterIPs), so `kubectl apply` of a manifest without clusterIP is not a change."""
    spec, before = new.setdefault("spec", {}), old.get("spec") or {}
    if not isinstance(spec, dict):
        return
    if _needs_cluster_ip(spec) and _needs_cluster_ip(before):
        if not spec.get("clusterIP") and before.get("clusterIP"):
            spec["clusterIP"] = before["clusterIP"]
        if not spec.get("clusterIPs") and before.get("clusterIPs") and spec.get("clusterIP") == before.get("clusterIP"):
            spec["clusterIPs"] = before["clusterIPs"]
        if spec.get("clusterIP") != before.get("clusterIP") and spec.get("clusterIPs") == before.get("clusterIPs"):
            spec["clusterIPs"] = [spec["clusterIP"]] if spec.get("clusterIP") else None
            if spec["clusterIPs"] is None:
                spec.pop("clusterIPs")
        for key in ("ipFamilies", "ipFamilyPolicy"):
            if key not in spec and key in before:
                spec[key] = before[key]
    if spec.get("type") in ("NodePort", "LoadBalancer") and before.get("type") in ("NodePort", "LoadBalancer"):
        old_ports = {
            (p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
            for p in before.get("ports") or []
            if isinstance(p, dict)
        }
        for port in spec.get("ports") or []:
            if isinstance(port, dict) and not port.get("nodePort"):
                previous = old_ports.get((port.get("port"), port.get("protocol", "TCP")))
                if previous:
                    port["nodePort"] = previous
