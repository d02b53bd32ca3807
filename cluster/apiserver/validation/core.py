"""Core v1 validation besides Pods (pkg/apis/core/validation): Service, ConfigMap,
Secret, PersistentVolumeClaim, PersistentVolume, Namespace, Node, Endpoints.

Simplified: the PVC immutability message shows a short field list instead of
upstream's full cmp.Diff; dual-stack and LoadBalancer-only fields are not checked.
"""

from __future__ import annotations

from cluster.apiserver.errors import GoValue
from cluster.apiserver.validation import names
from cluster.apiserver.validation.fields import (
    IP_MESSAGE,
    as_dict,
    as_list,
    dns1123_label,
    dns1123_subdomain,
    duplicate,
    forbidden,
    invalid,
    is_ip,
    labels,
    not_supported,
    parse_quantity,
    required,
    too_long,
)
from cluster.apiserver.validation.pod import PROTOCOLS, TAINT_EFFECTS

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
SESSION_AFFINITIES = ("ClientIP", "None")
ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
VOLUME_MODES = ("Block", "Filesystem")
RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
MAX_SECRET_SIZE = 1 * 1024 * 1024
PVC_IMMUTABLE = (
    "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"
)


# -- Service ------------------------------------------------------------------
def _headless(spec: dict) -> bool:
    return spec.get("clusterIP") == "None"


def validate_service(obj: dict, old: dict | None) -> list[dict]:
    spec = as_dict(obj.get("spec"))
    errs = _cluster_ips_update(spec, as_dict(old.get("spec"))) if old is not None else []
    ports, kind = as_list(spec.get("ports")), spec.get("type")
    if not ports and not _headless(spec) and kind != "ExternalName":
        errs.append(required("spec.ports"))
    if kind == "ExternalName":
        if spec.get("clusterIPs"):
            errs.append(forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        cname = (spec.get("externalName") or "").removesuffix(".")
        errs += dns1123_subdomain("spec.externalName", cname) if cname else [required("spec.externalName")]
    seen: set[str] = set()
    for i, raw in enumerate(ports):
        errs += _service_port(as_dict(raw), len(ports) > 1, seen, f"spec.ports[{i}]")
    if spec.get("selector") is not None:
        errs += labels("spec.selector", spec.get("selector"))
    errs += _enum("spec.sessionAffinity", spec.get("sessionAffinity"), SESSION_AFFINITIES)
    errs += _cluster_ips(spec)
    errs += _enum("spec.type", kind, SERVICE_TYPES)
    if kind == "ClusterIP":
        for i, raw in enumerate(ports):
            if as_dict(raw).get("nodePort"):
                errs.append(forbidden(f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"))
    return errs + _duplicate_ports(ports)


def _enum(path: str, value: object, allowed: tuple[str, ...]) -> list[dict]:
    if not value:
        return [required(path)]
    return [] if value in allowed else [not_supported(path, value, allowed)]


def _service_port(port: dict, require_name: bool, seen: set[str], path: str) -> list[dict]:
    errs: list[dict] = []
    name = port.get("name") or ""
    if require_name and not name:
        errs.append(required(f"{path}.name"))
    elif name:
        errs += dns1123_label(f"{path}.name", name)
        if name in seen:
            errs.append(duplicate(f"{path}.name", name))
        seen.add(name)
    number = port.get("port") or 0
    errs += [invalid(f"{path}.port", number, m) for m in names.is_valid_port_num(number)]
    protocol = port.get("protocol") or ""
    if not protocol:
        errs.append(required(f"{path}.protocol"))
    elif protocol not in PROTOCOLS:
        errs.append(not_supported(f"{path}.protocol", protocol, PROTOCOLS))
    target = port.get("targetPort")
    if isinstance(target, int):
        errs += [invalid(f"{path}.targetPort", target, m) for m in names.is_valid_port_num(target)]
    elif isinstance(target, str):
        errs += [invalid(f"{path}.targetPort", target, m) for m in names.is_valid_port_name(target)]
    return errs


def _duplicate_ports(ports: list) -> list[dict]:
    errs, seen_node, seen = [], set(), set()
    for i, raw in enumerate(ports):
        port = as_dict(raw)
        node_key = (port.get("protocol"), port.get("nodePort"))
        if port.get("nodePort"):
            if node_key in seen_node:
                errs.append(duplicate(f"spec.ports[{i}].nodePort", port.get("nodePort")))
            seen_node.add(node_key)
    for i, raw in enumerate(ports):
        port = as_dict(raw)
        key = (port.get("port"), port.get("protocol"))
        if key in seen:
            errs.append(
                duplicate(
                    f"spec.ports[{i}]",
                    GoValue(
                        f'core.ServicePort{{Name:"", Protocol:"{key[1]}", AppProtocol:(*string)(nil), Port:{key[0]}, '
                        f'TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}'
                    ),
                )
            )
        seen.add(key)
    return errs


def _cluster_ips(spec: dict) -> list[dict]:
    ips = as_list(spec.get("clusterIPs"))
    cluster_ip = spec.get("clusterIP") or ""
    errs: list[dict] = []
    if spec.get("type") == "ExternalName":
        return errs
    if cluster_ip and ips and ips[0] != cluster_ip:
        errs.append(invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"))
    for i, ip in enumerate(ips):
        if ip == "None" and i == 0:
            continue
        if not is_ip(ip):
            errs.append(invalid(f"spec.clusterIPs[{i}]", ip, IP_MESSAGE))
    return errs


def _cluster_ips_update(spec: dict, old: dict) -> list[dict]:
    if "ExternalName" in (spec.get("type"), old.get("type")):
        return []
    if _headless(spec) and _headless(old):
        return []
    new_ips, old_ips = as_list(spec.get("clusterIPs")), as_list(old.get("clusterIPs"))
    if len(old_ips) == len(new_ips):
        return [
            invalid(f"spec.clusterIPs[{i}]", new_ips, "may not change once set")
            for i, ip in enumerate(old_ips)
            if ip != new_ips[i]
        ]
    if len(old_ips) > len(new_ips) and not new_ips:
        return [invalid("spec.clusterIPs[0]", new_ips, "primary clusterIP can not be unset")]
    if new_ips and old_ips and new_ips[0] != old_ips[0]:
        return [invalid("spec.clusterIPs[0]", new_ips, "may not change once set")]
    return []


# -- ConfigMap and Secret -----------------------------------------------------
def _keyed_data(obj: dict, bags: tuple[str, ...]) -> tuple[list[dict], int]:
    errs, total = [], 0
    for bag in bags:
        for key, value in as_dict(obj.get(bag)).items():
            errs += [invalid(f"{bag}[{key}]", key, m) for m in names.is_config_map_key(key)]
            if bag == "data" and key in as_dict(obj.get("binaryData")):
                errs.append(invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
            total += len(str(value))
    return errs, total


def _immutable_data(obj: dict, old: dict | None, bags: tuple[str, ...]) -> list[dict]:
    if old is None or not old.get("immutable"):
        return []
    errs = []
    if not obj.get("immutable"):
        errs.append(forbidden("immutable", "field is immutable when `immutable` is set"))
    for bag in bags:
        if (obj.get(bag) or {}) != (old.get(bag) or {}):
            errs.append(forbidden(bag, "field is immutable when `immutable` is set"))
    return errs


def validate_config_map(obj: dict, old: dict | None) -> list[dict]:
    errs, total = _keyed_data(obj, ("data", "binaryData"))
    if total > MAX_SECRET_SIZE:
        errs.append(too_long("", MAX_SECRET_SIZE))
    return errs + _immutable_data(obj, old, ("data", "binaryData"))


_SECRET_REQUIRED_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/basic-auth": (),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
}


def validate_secret(obj: dict, old: dict | None) -> list[dict]:
    errs, total = _keyed_data(obj, ("data",))
    data = as_dict(obj.get("data"))
    for key in _SECRET_REQUIRED_KEYS.get(obj.get("type") or "", ()):
        if key not in data:
            errs.append(required(f"data[{key}]"))
    if total > MAX_SECRET_SIZE:
        errs.append(too_long("data", MAX_SECRET_SIZE))
    if old is not None and (obj.get("type") or "Opaque") != (old.get("type") or "Opaque"):
        errs.append(invalid("type", obj.get("type") or "", "field is immutable"))
    return errs + _immutable_data(obj, old, ("data",))


# -- storage ------------------------------------------------------------------
def _access_modes(modes: list, path: str, detail: str) -> list[dict]:
    if not modes:
        return [required(path, detail)]
    return [not_supported(path, m, ACCESS_MODES) for m in modes if m not in ACCESS_MODES]


def validate_pvc(obj: dict, old: dict | None) -> list[dict]:
    spec = as_dict(obj.get("spec"))
    errs = _access_modes(as_list(spec.get("accessModes")), "spec.accessModes", "at least 1 access mode is required")
    storage = as_dict(as_dict(spec.get("resources")).get("requests")).get("storage")
    if storage is None:
        errs.append(required("spec.resources[storage]"))
    else:
        parsed = parse_quantity(storage)
        if parsed is not None and parsed <= 0:
            errs.append(invalid("spec.resources[storage]", str(storage), "must be greater than zero"))
    if spec.get("storageClassName"):
        errs += dns1123_subdomain("spec.storageClassName", spec["storageClassName"])
    if spec.get("volumeMode") is not None and spec.get("volumeMode") not in VOLUME_MODES:
        errs.append(not_supported("spec.volumeMode", spec.get("volumeMode"), VOLUME_MODES))
    return errs + (_pvc_update(obj, old) if old is not None else [])


def _pvc_update(obj: dict, old: dict) -> list[dict]:
    new_spec, old_spec = dict(as_dict(obj.get("spec"))), dict(as_dict(old.get("spec")))
    bound = as_dict(old.get("status")).get("phase") == "Bound"
    if not old_spec.get("volumeName") and "volumeName" in new_spec:
        old_spec["volumeName"] = new_spec["volumeName"]  # binding sets volumeName once
    for spec in (new_spec, old_spec):
        spec.pop("volumeAttributesClassName", None)
    if bound:
        for spec in (new_spec, old_spec):
            requests = dict(as_dict(as_dict(spec.get("resources")).get("requests")))
            requests.pop("storage", None)
            spec["resources"] = {**as_dict(spec.get("resources")), "requests": requests}
    errs: list[dict] = []
    if new_spec != old_spec:
        changed = sorted(k for k in set(new_spec) | set(old_spec) if new_spec.get(k) != old_spec.get(k))
        errs.append(forbidden("spec", PVC_IMMUTABLE + "\n" + "\n".join(f"  spec.{k} changed" for k in changed)))
    if bound:
        new_size = parse_quantity(_requested_storage(obj))
        old_size = parse_quantity(_requested_storage(old))
        capacity = parse_quantity(as_dict(as_dict(old.get("status")).get("capacity")).get("storage"))
        floor = capacity if capacity is not None else old_size
        if new_size is not None and floor is not None and new_size < floor:
            errs.append(
                forbidden(
                    "spec.resources.requests.storage",
                    "field can not be less than status.capacity"
                    if capacity is not None
                    else "field can not be less than previous value",
                )
            )
    return errs


def _requested_storage(pvc: dict) -> object:
    return as_dict(as_dict(as_dict(pvc.get("spec")).get("resources")).get("requests")).get("storage")


_PV_SOURCES = (
    "hostPath",
    "local",
    "nfs",
    "csi",
    "iscsi",
    "fc",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "flexVolume",
    "flocker",
    "glusterfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
    "vsphereVolume",
)


def validate_pv(obj: dict, old: dict | None) -> list[dict]:
    spec = as_dict(obj.get("spec"))
    errs = _access_modes(as_list(spec.get("accessModes")), "spec.accessModes", "")
    capacity = as_dict(spec.get("capacity"))
    if not capacity:
        errs.append(required("spec.capacity"))
    if "storage" not in capacity or len(capacity) > 1:
        shown = "core.ResourceList{" + ", ".join(f'"{k}":resource.Quantity{{...}}' for k in sorted(capacity)) + "}"
        errs.append(
            not_supported("spec.capacity", GoValue(shown if capacity else "core.ResourceList(nil)"), ("storage",))
        )
    for key, value in capacity.items():
        parsed = parse_quantity(value)
        if parsed is not None and parsed <= 0:
            errs.append(invalid(f"spec.capacity[{key}]", str(value), "must be greater than zero"))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(not_supported("spec.persistentVolumeReclaimPolicy", policy, RECLAIM_POLICIES))
    if not any(key in spec for key in _PV_SOURCES):
        errs.append(required("spec", "must specify a volume type"))
    if spec.get("volumeMode") is not None and spec.get("volumeMode") not in VOLUME_MODES:
        errs.append(not_supported("spec.volumeMode", spec.get("volumeMode"), VOLUME_MODES))
    return errs


# -- cluster-scoped and plumbing kinds ----------------------------------------
def validate_namespace(obj: dict, old: dict | None) -> list[dict]:
    errs = []
    for i, name in enumerate(as_list(as_dict(obj.get("spec")).get("finalizers"))):
        errs += [invalid(f"spec.finalizers[{i}]", name, m) for m in names.is_qualified_name(str(name))]
    return errs


def validate_node(obj: dict, old: dict | None) -> list[dict]:
    errs = []
    for i, raw in enumerate(as_list(as_dict(obj.get("spec")).get("taints"))):
        taint = as_dict(raw)
        key = taint.get("key") or ""
        if not key:
            errs.append(required(f"spec.taints[{i}].key"))
        else:
            errs += [invalid(f"spec.taints[{i}].key", key, m) for m in names.is_qualified_name(key)]
        effect = taint.get("effect") or ""
        if not effect:
            errs.append(required(f"spec.taints[{i}].effect"))
        elif effect not in TAINT_EFFECTS:
            errs.append(not_supported(f"spec.taints[{i}].effect", effect, TAINT_EFFECTS))
    return errs


def validate_endpoints(obj: dict, old: dict | None) -> list[dict]:
    errs: list[dict] = []
    for s, raw in enumerate(as_list(obj.get("subsets"))):
        subset, at = as_dict(raw), f"subsets[{s}]"
        for bag in ("addresses", "notReadyAddresses"):
            for a, address in enumerate(as_list(subset.get(bag))):
                ip = as_dict(address).get("ip") or ""
                if not is_ip(ip):
                    errs.append(invalid(f"{at}.{bag}[{a}].ip", ip, IP_MESSAGE))
        ports = as_list(subset.get("ports"))
        for p, port_raw in enumerate(ports):
            port, pat = as_dict(port_raw), f"{at}.ports[{p}]"
            if len(ports) > 1 and not port.get("name"):
                errs.append(required(f"{pat}.name"))
            elif port.get("name"):
                errs += dns1123_label(f"{pat}.name", port["name"])
            errs += [
                invalid(f"{pat}.port", port.get("port") or 0, m) for m in names.is_valid_port_num(port.get("port") or 0)
            ]
            protocol = port.get("protocol") or ""
            if not protocol:
                errs.append(required(f"{pat}.protocol"))
            elif protocol not in PROTOCOLS:
                errs.append(not_supported(f"{pat}.protocol", protocol, PROTOCOLS))
    return errs
