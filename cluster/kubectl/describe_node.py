"""kubectl's Node describer (pkg/describe describeNode and describeNodeResource).

Besides the Node itself it shows what kubectl looks up: the node's Lease in
kube-node-lease, and the non-terminated Pods bound to it with their requests
and limits as a share of the node's allocatable resources (percentages
truncated, as kubectl's int64 conversion does).
"""

from __future__ import annotations

from decimal import Decimal

from cluster import quantity
from cluster.apiserver.errors import StatusError
from cluster.apiserver.printing import human_duration
from cluster.kubectl.cli import Context
from cluster.kubectl.describe_format import (
    PrefixWriter,
    annotations_multiline,
    labels_multiline,
    rfc1123z,
    taints_multiline,
)

STANDARD = ("cpu", "memory", "ephemeral-storage", "storage", "pods")
NODE_INFO = (
    ("Machine ID", "machineID"),
    ("System UUID", "systemUUID"),
    ("Boot ID", "bootID"),
    ("Kernel Version", "kernelVersion"),
    ("OS Image", "osImage"),
    ("Operating System", "operatingSystem"),
    ("Architecture", "architecture"),
    ("Container Runtime Version", "containerRuntimeVersion"),
    ("Kubelet Version", "kubeletVersion"),
    ("Kube-Proxy Version", "kubeProxyVersion"),
)


def node_roles(node: dict) -> list[str]:
    roles = set()
    for key, value in (node["metadata"].get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/"):
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return sorted(r for r in roles if r)


def describe_node_body(ctx: Context, node: dict, w: PrefixWriter) -> None:
    meta, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(node)) or '<none>'}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    taints_multiline(w, "Taints", spec.get("taints"))
    w.write(0, f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n")
    _lease(ctx, meta["name"], w)
    _conditions(w, status.get("conditions") or [])
    w.write(0, "Addresses:\n")
    for address in status.get("addresses") or []:
        w.write(1, f"{address.get('type')}:\t{address.get('address')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if status.get(key):
            w.write(0, f"{title}:\n")
            for name in sorted(status[key]):
                w.write(0, f"  {name}:\t{status[key][name]}\n")
    info = status.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for title, key in NODE_INFO:
        w.write(0, f"  {title}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    _resources(ctx, node, w)


def _lease(ctx: Context, name: str, w: PrefixWriter) -> None:
    try:
        lease = ctx.api.get("leases.coordination.k8s.io", "kube-node-lease", name)
    except StatusError as err:
        w.write(0, f"Lease:\tFailed to get lease: {err.message}\n")
        return
    spec = lease.get("spec") or {}
    w.write(0, "Lease:\n")
    w.write(1, f"HolderIdentity:\t{spec.get('holderIdentity') or '<unset>'}\n")
    w.write(1, f"AcquireTime:\t{rfc1123z(spec['acquireTime']) if spec.get('acquireTime') else '<unset>'}\n")
    w.write(1, f"RenewTime:\t{rfc1123z(spec['renewTime']) if spec.get('renewTime') else '<unset>'}\n")


def _conditions(w: PrefixWriter, conditions: list[dict]) -> None:
    if not conditions:
        return
    w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
    w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
    for c in conditions:
        w.write(
            1,
            f"{c.get('type')} \t{c.get('status')} \t{rfc1123z(c.get('lastHeartbeatTime'))} \t"
            f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n",
        )


# -- requests and limits ----------------------------------------------------
def pod_requests_and_limits(pod: dict) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """resourcehelper.PodRequestsAndLimits: containers summed, the largest init container if bigger."""
    spec = pod.get("spec") or {}
    totals: tuple[dict, dict] = ({}, {})
    for container in spec.get("containers") or []:
        for total, key in zip(totals, ("requests", "limits")):
            for name, value in ((container.get("resources") or {}).get(key) or {}).items():
                total[name] = total.get(name, Decimal(0)) + _amount(value)
    for container in spec.get("initContainers") or []:
        for total, key in zip(totals, ("requests", "limits")):
            for name, value in ((container.get("resources") or {}).get(key) or {}).items():
                total[name] = max(total.get(name, Decimal(0)), _amount(value))
    return totals


def _amount(value: object) -> Decimal:
    try:
        return quantity.parse(str(value))
    except ValueError:
        return Decimal(0)


def format_quantity(name: str, amount: Decimal) -> str:
    """Quantity.String for sums: millicores for cpu, binary suffixes for bytes where they divide evenly."""
    if amount == 0:
        return "0"
    if name == "cpu":
        millis = int(amount * 1000)
        return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"
    value = int(amount)
    for suffix, power in (("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)):
        if value % (1 << power) == 0:
            return f"{value >> power}{suffix}"
    for suffix, power in (("E", 18), ("P", 15), ("T", 12), ("G", 9), ("M", 6), ("k", 3)):
        if value % (10**power) == 0:
            return f"{value // 10**power}{suffix}"
    return str(value)


def _share(name: str, amount: Decimal, allocatable: dict) -> str:
    whole = _amount(allocatable.get(name, 0))
    percent = int(amount / whole * 100) if whole else 0
    return f"{format_quantity(name, amount)} ({percent}%)"


def _resources(ctx: Context, node: dict, w: PrefixWriter) -> None:
    status = node.get("status") or {}
    allocatable = status.get("allocatable") or status.get("capacity") or {}
    pods = [
        p
        for p in ctx.api.list("pods", None)["items"]
        if (p.get("spec") or {}).get("nodeName") == node["metadata"]["name"]
        and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    totals: tuple[dict, dict] = ({}, {})
    now = ctx.api.now()
    for pod in pods:
        requests, limits = pod_requests_and_limits(pod)
        for total, values in zip(totals, (requests, limits)):
            for name, amount in values.items():
                total[name] = total.get(name, Decimal(0)) + amount
        zero = Decimal(0)
        w.write(
            1,
            f"{pod['metadata'].get('namespace')}\t{pod['metadata']['name']}\t\t"
            f"{_share('cpu', requests.get('cpu', zero), allocatable)}\t"
            f"{_share('cpu', limits.get('cpu', zero), allocatable)}\t"
            f"{_share('memory', requests.get('memory', zero), allocatable)}\t"
            f"{_share('memory', limits.get('memory', zero), allocatable)}\t"
            f"{human_duration(now, pod['metadata'].get('creationTimestamp'))}\n",
        )
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    requests, limits = totals
    hugepages = sorted(r for r in allocatable if r.startswith("hugepages-"))
    for name in ("cpu", "memory", "ephemeral-storage", *hugepages):
        w.write(
            1,
            f"{name}\t{_share(name, requests.get(name, Decimal(0)), allocatable)}\t"
            f"{_share(name, limits.get(name, Decimal(0)), allocatable)}\n",
        )
    for name in sorted(r for r in allocatable if r not in STANDARD and not r.startswith("hugepages-") and "/" in r):
        w.write(
            1,
            f"{name}\t{format_quantity(name, requests.get(name, Decimal(0)))}\t"
            f"{format_quantity(name, limits.get(name, Decimal(0)))}\n",
        )
