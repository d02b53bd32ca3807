"""Server-side printing of the other kinds kubeclass serves (upstream's printers.go).

One `<kind>_row` per kind, returning every cell (wide ones included, as
kube-apiserver always sends them; kubectl hides priority-1 columns unless
`-o wide`), and the column definitions next to it.
"""

from __future__ import annotations

import datetime as dt

from cluster.apiserver.printing import (
    CONTAINERS_DOC,
    IMAGES_DOC,
    access_modes,
    age,
    age_column,
    column,
    container_cells,
    format_label_selector,
    format_labels,
    human_duration,
    more_list,
    name_column,
    selector_string,
)

NAMESPACE_COLUMNS = [name_column(), column("Status", "The status of the namespace"), age_column()]


def namespace_row(obj: dict, now: dt.datetime) -> list:
    return [obj["metadata"]["name"], (obj.get("status") or {}).get("phase", ""), age(obj, now)]


DEPLOYMENT_COLUMNS = [
    name_column(),
    column("Ready", "Number of the pod with ready state"),
    column(
        "Up-to-date",
        "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
    ),
    column(
        "Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."
    ),
    age_column(),
    column("Containers", CONTAINERS_DOC, priority=1),
    column("Images", IMAGES_DOC, priority=1),
    column(
        "Selector",
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be "
        "the ones affected by this deployment. It must match the pod template's labels.",
        priority=1,
    ),
]


def _template_containers(obj: dict) -> list[dict]:
    return (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []


def deployment_row(obj: dict, now: dt.datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = container_cells(_template_containers(obj))
    return [
        obj["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        age(obj, now),
        names,
        images,
        selector_string(spec.get("selector")),
    ]


REPLICASET_COLUMNS = [
    name_column(),
    column("Desired", "Replicas is the number of desired pods.", "integer"),
    column("Current", "Replicas is the most recently observed number of non-terminating pods.", "integer"),
    column(
        "Ready", "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.", "integer"
    ),
    age_column(),
    column("Containers", CONTAINERS_DOC, priority=1),
    column("Images", IMAGES_DOC, priority=1),
    column("Selector", "Selector is a label query over pods that should match the replica count.", priority=1),
]


def replicaset_row(obj: dict, now: dt.datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = container_cells(_template_containers(obj))
    return [
        obj["metadata"]["name"],
        spec.get("replicas", 0),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        age(obj, now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


SERVICE_COLUMNS = [
    name_column(),
    column("Type", "type determines how the Service is exposed."),
    column("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
    column(
        "External-IP",
        "externalIPs is a list of IP addresses for which nodes in the cluster will also "
        "accept traffic for this service.",
    ),
    column("Port(s)", "The list of ports that are exposed by this service."),
    age_column(),
    column("Selector", "Route service traffic to pods with label keys and values matching this selector.", priority=1),
]


def _load_balancer_ips(svc: dict) -> list[str]:
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return sorted({i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")})


def service_external_ip(svc: dict) -> str:
    """getServiceExternalIP, as the server computes it (wide, so never clipped)."""
    spec = svc.get("spec") or {}
    kind, external = spec.get("type", "ClusterIP"), spec.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "LoadBalancer":
        lb = _load_balancer_ips(svc)
        return ",".join(lb + external) or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def service_ports(ports: list[dict] | None) -> str:
    """makePortString: `80/TCP`, `80:30080/TCP`, comma separated."""
    pieces = []
    for port in ports or []:
        protocol = port.get("protocol", "TCP")
        node_port = port.get("nodePort") or 0
        pieces.append(
            f"{port.get('port')}:{node_port}/{protocol}" if node_port > 0 else f"{port.get('port')}/{protocol}"
        )
    return ",".join(pieces) or "<none>"


def service_row(obj: dict, now: dt.datetime) -> list:
    spec = obj.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [
        obj["metadata"]["name"],
        spec.get("type", ""),
        cluster_ips[0] if cluster_ips else "<none>",
        service_external_ip(obj),
        service_ports(spec.get("ports")),
        age(obj, now),
        format_labels(spec.get("selector")),
    ]


ENDPOINTS_COLUMNS = [
    name_column(),
    column("Endpoints", "The set of all endpoints is the union of all subsets."),
    age_column(),
]


def format_endpoints(subsets: list[dict] | None) -> str:
    """formatEndpoints: up to three ip:port, then `+ N more...`."""
    if not subsets:
        return "<none>"
    shown: list[str] = []
    count = 0
    for subset in subsets:
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:
            count += len(addresses)
            shown.extend(addresses)
            continue
        for port in ports:
            count += len(addresses)
            shown.extend(_join_host_port(ip, port.get("port")) for ip in addresses)
    return more_list(shown, count, 3, "")


def _join_host_port(ip: str, port: object) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def endpoints_row(obj: dict, now: dt.datetime) -> list:
    return [obj["metadata"]["name"], format_endpoints(obj.get("subsets")), age(obj, now)]


ENDPOINTSLICE_COLUMNS = [
    name_column(),
    column("AddressType", "addressType specifies the type of address carried by this EndpointSlice."),
    column("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."),
    column("Endpoints", "endpoints is a list of unique endpoints in this slice."),
    age_column(),
]


def endpointslice_row(obj: dict, now: dt.datetime) -> list:
    ports = []
    for port in obj.get("ports") or []:
        ports.append(str(port["port"]) if port.get("port") is not None else (port.get("name") or "*"))
    addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return [
        obj["metadata"]["name"],
        obj.get("addressType", ""),
        more_list(ports, len(ports), 3, "<unset>"),
        more_list(addresses, len(addresses), 3, "<unset>"),
        age(obj, now),
    ]


CONFIGMAP_COLUMNS = [name_column(), column("Data", "Data contains the configuration data."), age_column()]


def configmap_row(obj: dict, now: dt.datetime) -> list:
    return [obj["metadata"]["name"], len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), age(obj, now)]


SECRET_COLUMNS = [
    name_column(),
    column("Type", "Used to facilitate programmatic handling of secret data."),
    column("Data", "Data contains the secret data."),
    age_column(),
]


def secret_row(obj: dict, now: dt.datetime) -> list:
    return [obj["metadata"]["name"], obj.get("type", ""), len(obj.get("data") or {}), age(obj, now)]


def _storage_class_of(obj: dict) -> str:
    annotations = obj["metadata"].get("annotations") or {}
    beta = annotations.get("volume.beta.kubernetes.io/storage-class")
    return beta if beta is not None else ((obj.get("spec") or {}).get("storageClassName") or "")


PV_COLUMNS = [
    name_column(),
    column("Capacity", "capacity is the description of the persistent volume's resources and capacity."),
    column("Access Modes", "accessModes contains all ways the volume can be mounted."),
    column(
        "Reclaim Policy",
        "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.",
    ),
    column("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
    column("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
    column("StorageClass", "StorageClass of the pv"),
    column("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
    column(
        "Reason",
        "reason is a brief CamelCase string that describes any failure and is meant for machine "
        "parsing and tidy display in the CLI.",
    ),
    age_column(),
    column(
        "VolumeMode",
        "volumeMode defines if a volume is intended to be used with a formatted filesystem or "
        "to remain in raw block state.",
        priority=1,
    ),
]


def pv_row(obj: dict, now: dt.datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    claim = spec.get("claimRef")
    phase = "Terminating" if obj["metadata"].get("deletionTimestamp") else status.get("phase", "")
    return [
        obj["metadata"]["name"],
        str((spec.get("capacity") or {}).get("storage", "0")),
        access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        phase,
        f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "",
        _storage_class_of(obj),
        spec.get("volumeAttributesClassName") or "<unset>",
        status.get("reason", ""),
        age(obj, now),
        spec.get("volumeMode") or "<unset>",
    ]


PVC_COLUMNS = [
    name_column(),
    column("Status", "phase represents the current phase of PersistentVolumeClaim."),
    column("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."),
    column("Capacity", "capacity represents the actual resources of the underlying volume."),
    column("Access Modes", "accessModes contains the actual access modes the volume backing the PVC has."),
    column("StorageClass", "StorageClass of the pvc"),
    column("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
    age_column(),
    column("VolumeMode", "volumeMode defines what type of volume is required by the claim.", priority=1),
]


def pvc_row(obj: dict, now: dt.datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    phase = "Terminating" if obj["metadata"].get("deletionTimestamp") else status.get("phase", "")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = str((status.get("capacity") or {}).get("storage", "0"))
    return [
        obj["metadata"]["name"],
        phase,
        spec.get("volumeName", ""),
        capacity,
        modes,
        _storage_class_of(obj),
        spec.get("volumeAttributesClassName") or "<unset>",
        age(obj, now),
        spec.get("volumeMode") or "<unset>",
    ]


STORAGECLASS_COLUMNS = [
    name_column(),
    column("Provisioner", "provisioner indicates the type of the provisioner."),
    column(
        "ReclaimPolicy",
        "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.",
    ),
    column(
        "VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound."
    ),
    column("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand."),
    age_column(),
]

_DEFAULT_CLASS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


def storageclass_row(obj: dict, now: dt.datetime) -> list:
    annotations = obj["metadata"].get("annotations") or {}
    name = obj["metadata"]["name"]
    if any(annotations.get(key) == "true" for key in _DEFAULT_CLASS):
        name += " (default)"
    return [
        name,
        obj.get("provisioner", ""),
        obj.get("reclaimPolicy") or "Delete",
        obj.get("volumeBindingMode") or "Immediate",
        bool(obj.get("allowVolumeExpansion")),
        age(obj, now),
    ]


HPA_COLUMNS = [
    name_column(),
    column(
        "Reference",
        "scaleTargetRef points to the target resource to scale, and is used to the pods for "
        "which metrics should be collected, as well as to actually change the replica count.",
    ),
    column("Targets", "metrics contains the specifications for which to use to calculate the desired replica count."),
    column(
        "MinPods", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."
    ),
    column(
        "MaxPods", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up."
    ),
    column(
        "Replicas",
        "currentReplicas is current number of replicas of pods managed by this autoscaler, as "
        "last seen by the autoscaler.",
    ),
    age_column(),
]


def _hpa_metric(spec: dict, current: dict | None) -> str:
    kind = spec.get("type")
    source_key = {
        "Resource": "resource",
        "ContainerResource": "containerResource",
        "Pods": "pods",
        "Object": "object",
        "External": "external",
    }.get(kind or "")
    if source_key is None:
        return "<unknown type>"
    source = spec.get(source_key) or {}
    target = source.get("target") or {}
    now = ((current or {}).get(source_key) or {}).get("current") if current else None
    if kind in ("Resource", "ContainerResource"):
        if target.get("averageValue") is not None:
            value = now.get("averageValue") if now else None
            return f"{source.get('name')}: {value or '<unknown>'}/{target['averageValue']}"
        value = f"{now['averageUtilization']}%" if now and now.get("averageUtilization") is not None else "<unknown>"
        wanted = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
        return f"{source.get('name')}: {value}/{wanted}"
    if kind == "Pods":
        return f"{(now or {}).get('averageValue') or '<unknown>'}/{target.get('averageValue')}"
    if target.get("averageValue") is not None:
        return f"{(now or {}).get('averageValue') or '<unknown>'}/{target['averageValue']} (avg)"
    return f"{(now or {}).get('value') or '<unknown>'}/{target.get('value')}"


def hpa_targets(obj: dict) -> str:
    """formatHPAMetrics: at most two metrics, `cpu: 30%/50%`, then `+ N more...`."""
    specs = (obj.get("spec") or {}).get("metrics") or []
    if not specs:
        return "<none>"
    statuses = (obj.get("status") or {}).get("currentMetrics") or []
    shown = [_hpa_metric(s, statuses[i] if i < len(statuses) else None) for i, s in enumerate(specs)]
    text = ", ".join(shown[:2])
    return f"{text} + {len(shown) - 2} more..." if len(shown) > 2 else text


def hpa_row(obj: dict, now: dt.datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_pods = str(spec["minReplicas"]) if spec.get("minReplicas") is not None else "<unset>"
    return [
        obj["metadata"]["name"],
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        hpa_targets(obj),
        min_pods,
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        age(obj, now),
    ]


EVENT_COLUMNS = [
    column("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
    column("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
    column(
        "Reason",
        "This should be a short, machine understandable string that gives the reason for the "
        "transition into the object's current status.",
    ),
    column("Object", "The object that this event is about."),
    column(
        "Subobject",
        "If referring to a piece of an object instead of an entire object, this string should "
        "contain a valid JSON/Go field access statement, such as "
        "desiredState.manifest.containers[2].",
        priority=1,
    ),
    column(
        "Source", "The component reporting this event. Should be a short machine understandable string.", priority=1
    ),
    column("Message", "A human-readable description of the status of this operation."),
    column(
        "First Seen",
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        priority=1,
    ),
    column("Count", "The number of times this event has occurred.", priority=1),
    column("Name", "Name must be unique within a namespace.", priority=1, fmt="name"),
]


def _core_event(obj: dict) -> dict:
    """events.k8s.io/v1 fields under their core/v1 names, as the server converts them."""
    if "regarding" not in obj and "note" not in obj and obj.get("apiVersion") != "events.k8s.io/v1":
        return obj
    return {
        "metadata": obj.get("metadata") or {},
        "involvedObject": obj.get("regarding") or {},
        "message": obj.get("note", ""),
        "reason": obj.get("reason", ""),
        "type": obj.get("type", ""),
        "source": obj.get("deprecatedSource") or {},
        "firstTimestamp": obj.get("deprecatedFirstTimestamp"),
        "lastTimestamp": obj.get("deprecatedLastTimestamp"),
        "count": obj.get("deprecatedCount", 0),
        "eventTime": obj.get("eventTime"),
        "series": obj.get("series"),
        "reportingComponent": obj.get("reportingController", ""),
        "reportingInstance": obj.get("reportingInstance", ""),
    }


def event_row(raw: dict, now: dt.datetime) -> list:
    obj = _core_event(raw)
    first = human_duration(now, obj.get("firstTimestamp") or obj.get("eventTime"))
    last = human_duration(now, obj["lastTimestamp"]) if obj.get("lastTimestamp") else first
    count = obj.get("count") or 1
    if obj.get("series"):
        last = human_duration(now, obj["series"].get("lastObservedTime"))
        count = obj["series"].get("count", 0)
    involved = obj.get("involvedObject") or {}
    kind = (involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    instance = source.get("host") or obj.get("reportingInstance") or ""
    return [
        last,
        obj.get("type", ""),
        obj.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        f"{component}, {instance}" if instance else component,
        (obj.get("message") or "").strip(),
        first,
        count,
        obj["metadata"].get("name", ""),
    ]


LEASE_COLUMNS = [
    name_column(),
    column("Holder", "holderIdentity contains the identity of the holder of a current lease."),
    age_column(),
]


def lease_row(obj: dict, now: dt.datetime) -> list:
    return [obj["metadata"]["name"], (obj.get("spec") or {}).get("holderIdentity") or "", age(obj, now)]
