"""Defaulting (upstream's pkg/apis/<group>/v1/defaults.go and SetObjectDefaults_*).

Runs on every create and update, as the decoder runs it in kube-apiserver, and
fills in exactly what upstream fills in: Deployment strategy 25%/25%,
revisionHistoryLimit 10, progressDeadlineSeconds 600; pod specs' restartPolicy,
dnsPolicy, schedulerName, grace period, containers' pull policy and
termination message; Services' type, ports, traffic policies and (through
`ipam`) clusterIP and nodePorts; PVC/PV modes; StorageClass policies; HPA v2
minReplicas, the default CPU metric and behavior rules; Namespace and Secret;
LimitRange items' default limits and requests (from max, default and min). A
Pod's containers request what they limit (SetDefaults_Pod), and their
requests and limits, like a LimitRange's quantities, are kept in canonical form.

Pod-only mutations that upstream makes in admission plugins (priority,
tolerations, service account, DefaultStorageClass) live in `admission`; the
Pod's initial status (phase Pending, qosClass) is set here on create, as the
Pod strategy's PrepareForCreate does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from cluster.apiserver import ipam
from cluster.apiserver.resources import ResourceType
from cluster.kubectl import quantities

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer


def apply(api: APIServer, rt: ResourceType, obj: dict) -> None:
    """Apply upstream's defaults for the object's kind."""
    defaulter = _DEFAULTERS.get(rt.kind)
    if defaulter is not None:
        defaulter(api, obj)


def _creating(obj: dict) -> bool:
    """On create the API server assigns the uid only after defaulting and validation."""
    return not obj.get("metadata", {}).get("uid")


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = obj["spec"] = {}
    return spec


# -- pods ---------------------------------------------------------------------
def image_pull_policy(image: str) -> str:
    """Always for `:latest` or no tag (a digest pins the image), else IfNotPresent."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _probe(probe: object) -> None:
    if not isinstance(probe, dict):
        return
    for key, value in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3)):
        probe.setdefault(key, value)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _container(ctr: object) -> None:
    if not isinstance(ctr, dict):
        return
    if "imagePullPolicy" not in ctr:
        image = ctr.get("image")
        # ParseImageName fails on no image at all, and SetDefaults_Container then takes IfNotPresent
        ctr["imagePullPolicy"] = image_pull_policy(image) if isinstance(image, str) and image else "IfNotPresent"
    ctr.setdefault("terminationMessagePath", "/dev/termination-log")
    ctr.setdefault("terminationMessagePolicy", "File")
    ctr.setdefault("resources", {})
    for port in ctr.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for var in ctr.get("env") or []:
        field_ref = ((var or {}).get("valueFrom") or {}).get("fieldRef") if isinstance(var, dict) else None
        if isinstance(field_ref, dict):
            field_ref.setdefault("apiVersion", "v1")
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(ctr.get(key))


def _volume(volume: object) -> None:
    if not isinstance(volume, dict):
        return
    sources = [k for k in volume if k != "name"]
    if not sources:
        volume["emptyDir"] = {}
    for key in ("configMap", "secret"):
        if isinstance(volume.get(key), dict):
            volume[key].setdefault("defaultMode", 420)
    if isinstance(volume.get("hostPath"), dict):
        volume["hostPath"].setdefault("type", "")


def pod_spec(spec: dict) -> None:
    """SetDefaults_PodSpec and the container/volume defaulters, for Pods and templates alike."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    if spec.get("serviceAccountName") and not spec.get("serviceAccount"):
        spec["serviceAccount"] = spec["serviceAccountName"]  # the deprecated mirror field
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for ctr in spec.get(key) or []:
            _container(ctr)
    for volume in spec.get("volumes") or []:
        _volume(volume)
    if spec.get("hostNetwork"):
        for ctr in spec.get("containers") or []:
            for port in (ctr or {}).get("ports") or []:
                if isinstance(port, dict) and not port.get("hostPort"):
                    port["hostPort"] = port.get("containerPort")


def canonical_quantities(values: object) -> None:
    """A ResourceList as the decoder leaves it: each Quantity in its canonical form (`0.5` → `500m`,
    `1.5Gi` → `1536Mi`, `1` → `"1"`); what is no quantity is left for validation to refuse."""
    if not isinstance(values, dict):
        return
    for key, value in values.items():
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            try:
                values[key] = quantities.canonical(str(value).strip())
            except ValueError:
                continue


def pod_resources(spec: dict) -> None:
    """SetDefaults_Pod: a container with limits and no request for a resource requests its limit (a Pod's,
    not a template's). kube-apiserver's decoder does this before any admission plugin, so `admission` calls
    it ahead of the LimitRanger: a limit, not the namespace's defaultRequest, is what such a container requests."""
    for ctr in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        resources = ctr.get("resources") if isinstance(ctr, dict) else None
        if not isinstance(resources, dict):
            continue
        canonical_quantities(resources.get("limits"))
        canonical_quantities(resources.get("requests"))
        if isinstance(resources.get("limits"), dict) and resources["limits"]:
            requests = resources.get("requests")
            if not isinstance(requests, dict):
                requests = resources["requests"] = {}
            for key, value in resources["limits"].items():
                requests.setdefault(key, value)


def qos_class(spec: dict) -> str:
    """qos.GetPodQOS: Guaranteed, Burstable or BestEffort from cpu and memory requests and limits."""
    requests_any, guaranteed = False, True
    for ctr in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        resources = (ctr or {}).get("resources") or {}
        requests = {k: v for k, v in (resources.get("requests") or {}).items() if k in ("cpu", "memory")}
        limits = {k: v for k, v in (resources.get("limits") or {}).items() if k in ("cpu", "memory")}
        if requests or limits:
            requests_any = True
        if set(limits) != {"cpu", "memory"} or any(str(requests.get(k, limits[k])) != str(limits[k]) for k in limits):
            guaranteed = False
    if not requests_any:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _pod(api: APIServer, obj: dict) -> None:
    spec = _spec(obj)
    pod_resources(spec)
    spec.setdefault("enableServiceLinks", True)
    pod_spec(spec)
    if _creating(obj):  # the Pod strategy's PrepareForCreate
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(spec)}


def _template(spec: dict) -> None:
    template = spec.get("template")
    if not isinstance(template, dict):
        return
    meta = template.setdefault("metadata", {})
    if isinstance(meta, dict):
        meta.setdefault("creationTimestamp", None)  # metav1.Time's zero value, as Go serializes it
    template_spec = template.get("spec")
    if isinstance(template_spec, dict):
        pod_spec(template_spec)


# -- workloads ----------------------------------------------------------------
def _deployment(api: APIServer, obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    if isinstance(strategy, dict):
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.get("rollingUpdate")
            if not isinstance(rolling, dict):
                rolling = strategy["rollingUpdate"] = {}
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template(spec)


def _replica_set(api: APIServer, obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("replicas", 1)
    _template(spec)


def _hpa(api: APIServer, obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _scaling_rules(
            behavior.get("scaleUp"),
            0,
            [{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}],
        )
        behavior["scaleDown"] = _scaling_rules(
            behavior.get("scaleDown"), 300, [{"type": "Percent", "value": 100, "periodSeconds": 15}]
        )


def _scaling_rules(rules: object, window: int, policies: list[dict]) -> dict:
    rules = dict(rules) if isinstance(rules, dict) else {}
    rules.setdefault("stabilizationWindowSeconds", window)
    rules.setdefault("selectPolicy", "Max")
    if not rules.get("policies"):
        rules["policies"] = policies
    return rules


# -- networking ---------------------------------------------------------------
def _service(api: APIServer, obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.setdefault("sessionAffinityConfig", {}).setdefault("clientIP", {})
        config.setdefault("timeoutSeconds", 10800)
    spec.setdefault("type", "ClusterIP")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if port.get("targetPort") in (None, 0, ""):
                port["targetPort"] = port.get("port")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer", "ClusterIP"):
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    ipam.allocate(api, obj)


def _ports_protocol(ports: object) -> None:
    for port in ports if isinstance(ports, list) else []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")


def _endpoints(api: APIServer, obj: dict) -> None:
    for subset in obj.get("subsets") or []:
        if isinstance(subset, dict):
            _ports_protocol(subset.get("ports"))


def _endpoint_slice(api: APIServer, obj: dict) -> None:
    _ports_protocol(obj.get("ports"))


# -- storage and the rest -----------------------------------------------------
def _pvc(api: APIServer, obj: dict) -> None:
    _spec(obj).setdefault("volumeMode", "Filesystem")
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def _pv(api: APIServer, obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    spec.setdefault("volumeMode", "Filesystem")
    if isinstance(spec.get("hostPath"), dict):
        spec["hostPath"].setdefault("type", "")
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def _storage_class(api: APIServer, obj: dict) -> None:
    obj.setdefault("reclaimPolicy", "Delete")
    obj.setdefault("volumeBindingMode", "Immediate")


def _priority_class(api: APIServer, obj: dict) -> None:
    obj.setdefault("preemptionPolicy", "PreemptLowerPriority")


def _limit_range(api: APIServer, obj: dict) -> None:
    """SetDefaults_LimitRangeItem, for each Container item: a `max` with no `default` is the default limit; the
    default limit, else the `min`, is the default request where none is given (Pod and claim items are left be)."""
    for item in _spec(obj).get("limits") or []:
        if not isinstance(item, dict):
            continue
        for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            canonical_quantities(item.get(key))
        if item.get("type") != "Container":
            continue
        default = dict(item["default"]) if isinstance(item.get("default"), dict) else {}
        request = dict(item["defaultRequest"]) if isinstance(item.get("defaultRequest"), dict) else {}
        for source, target in ((item.get("max"), default), (default, request), (item.get("min"), request)):
            for key, value in (source if isinstance(source, dict) else {}).items():
                target.setdefault(key, value)
        if default:  # an empty ResourceList is left out of the JSON
            item["default"] = default
        if request:
            item["defaultRequest"] = request


def _namespace(api: APIServer, obj: dict) -> None:
    meta = obj["metadata"]
    if meta.get("name"):
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
    spec = _spec(obj)
    if _creating(obj) and "finalizers" not in spec:  # the Namespace strategy's PrepareForCreate
        spec["finalizers"] = ["kubernetes"]
    obj.setdefault("status", {}).setdefault("phase", "Active")


def _secret(api: APIServer, obj: dict) -> None:
    if not obj.get("type"):
        obj["type"] = "Opaque"


_DEFAULTERS: dict[str, Callable[[APIServer, dict], None]] = {
    "Pod": _pod,
    "Deployment": _deployment,
    "ReplicaSet": _replica_set,
    "HorizontalPodAutoscaler": _hpa,
    "Service": _service,
    "Endpoints": _endpoints,
    "EndpointSlice": _endpoint_slice,
    "PersistentVolumeClaim": _pvc,
    "PersistentVolume": _pv,
    "StorageClass": _storage_class,
    "PriorityClass": _priority_class,
    "Namespace": _namespace,
    "Secret": _secret,
    "LimitRange": _limit_range,
}

from cluster.apiserver import defaults_workloads  # noqa: E402 (it builds on the helpers above)

_DEFAULTERS.update(defaults_workloads.DEFAULTERS)
