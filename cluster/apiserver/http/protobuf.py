"""Decoding `application/vnd.kubernetes.protobuf` request bodies into JSON-shaped objects.

kubectl's typed clients (`kubectl create namespace|deployment|service|configmap|secret|job|cronjob|
serviceaccount|token|quota|poddisruptionbudget`, `kubectl autoscale`, `kubectl debug --copy-to` (and the
DeleteOptions of its `--replace`) and `kubectl debug node/...`) send protobuf, and client-go does not fall back to JSON.
The envelope is kube-apiserver's: the magic `k8s\\x00`, then a runtime.Unknown
holding apiVersion, kind and the object's own message. Field numbers are
those of the k8s.io/api generated.proto files.

Simplified: only the messages those generators write are known (for a Pod, all of its spec). A field this
table does not know is fine when it carries the zero value (Go writes every
non-pointer field); any other unknown field is refused with 415, so nothing is
silently dropped. Responses are always JSON, which client-go accepts.
"""

from __future__ import annotations

import base64
import datetime as dt

from cluster.apiserver.errors import StatusError
from cluster.apiserver.http.protobuf_pod import POD_SCHEMAS

MAGIC = b"k8s\x00"
# message → field number → (JSON name, type, flags). Types: string, bytes, int, sint, bool, a message name,
# or map:<value type>. Flags: "rep" repeated; "ptr" a pointer field whose zero value still counts;
# "inline" an embedded struct whose fields JSON puts in its parent's object (`json:",inline"`).
Field = tuple[str, str, str]
META = {
    1: ("name", "string", ""),
    2: ("generateName", "string", ""),
    3: ("namespace", "string", ""),
    4: ("selfLink", "string", ""),
    5: ("uid", "string", ""),
    6: ("resourceVersion", "string", ""),
    7: ("generation", "int", ""),
    8: ("creationTimestamp", "Time", ""),
    9: ("deletionTimestamp", "Time", ""),
    10: ("deletionGracePeriodSeconds", "int", "ptr"),
    11: ("labels", "map:string", ""),
    12: ("annotations", "map:string", ""),
    13: ("ownerReferences", "OwnerReference", "rep"),
    14: ("finalizers", "string", "rep"),
}
SCHEMAS: dict[str, dict[int, Field]] = {
    "Unknown": {
        1: ("typeMeta", "TypeMeta", ""),
        2: ("raw", "bytes", ""),
        3: ("contentEncoding", "string", ""),
        4: ("contentType", "string", ""),
    },
    "TypeMeta": {1: ("apiVersion", "string", ""), 2: ("kind", "string", "")},
    "ObjectMeta": META,
    "OwnerReference": {
        5: ("apiVersion", "string", ""),
        1: ("kind", "string", ""),
        3: ("name", "string", ""),
        4: ("uid", "string", ""),
        6: ("controller", "bool", "ptr"),
        7: ("blockOwnerDeletion", "bool", "ptr"),
    },
    "LabelSelector": {1: ("matchLabels", "map:string", ""), 2: ("matchExpressions", "LabelSelectorRequirement", "rep")},
    "LabelSelectorRequirement": {
        1: ("key", "string", ""),
        2: ("operator", "string", ""),
        3: ("values", "string", "rep"),
    },
    "Namespace": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("spec", "NamespaceSpec", ""),
        3: ("status", "NamespaceStatus", ""),
    },
    "NamespaceSpec": {1: ("finalizers", "string", "rep")},
    "NamespaceStatus": {1: ("phase", "string", "")},
    "ConfigMap": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("data", "map:string", ""),
        3: ("binaryData", "map:bytes", ""),
        4: ("immutable", "bool", "ptr"),
    },
    "Secret": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("data", "map:bytes", ""),
        3: ("type", "string", ""),
        4: ("stringData", "map:string", ""),
        5: ("immutable", "bool", "ptr"),
    },
    "Service": {1: ("metadata", "ObjectMeta", ""), 2: ("spec", "ServiceSpec", ""), 3: ("status", "ServiceStatus", "")},
    "ServiceSpec": {
        1: ("ports", "ServicePort", "rep"),
        2: ("selector", "map:string", ""),
        3: ("clusterIP", "string", ""),
        4: ("type", "string", ""),
        5: ("externalIPs", "string", "rep"),
        7: ("sessionAffinity", "string", ""),
        8: ("loadBalancerIP", "string", ""),
        9: ("loadBalancerSourceRanges", "string", "rep"),
        10: ("externalName", "string", ""),
        11: ("externalTrafficPolicy", "string", ""),
        12: ("healthCheckNodePort", "int", ""),
        13: ("publishNotReadyAddresses", "bool", ""),
        17: ("ipFamilyPolicy", "string", "ptr"),
        18: ("clusterIPs", "string", "rep"),
        19: ("ipFamilies", "string", "rep"),
        20: ("allocateLoadBalancerNodePorts", "bool", "ptr"),
        21: ("loadBalancerClass", "string", "ptr"),
        22: ("internalTrafficPolicy", "string", "ptr"),
    },
    "ServicePort": {
        1: ("name", "string", ""),
        2: ("protocol", "string", ""),
        3: ("port", "int", ""),
        4: ("targetPort", "IntOrString", ""),
        5: ("nodePort", "int", ""),
        6: ("appProtocol", "string", "ptr"),
    },
    "ServiceStatus": {},
    "Deployment": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("spec", "DeploymentSpec", ""),
        3: ("status", "DeploymentStatus", ""),
    },
    "DeploymentSpec": {
        1: ("replicas", "int", "ptr"),
        2: ("selector", "LabelSelector", ""),
        3: ("template", "PodTemplateSpec", ""),
        4: ("strategy", "DeploymentStrategy", ""),
        5: ("minReadySeconds", "int", ""),
        6: ("revisionHistoryLimit", "int", "ptr"),
        7: ("paused", "bool", ""),
        9: ("progressDeadlineSeconds", "int", "ptr"),
    },
    "DeploymentStrategy": {1: ("type", "string", ""), 2: ("rollingUpdate", "RollingUpdateDeployment", "")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "IntOrString", ""), 2: ("maxSurge", "IntOrString", "")},
    "DeploymentStatus": {},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta", ""), 2: ("spec", "PodSpec", "")},
    # core/v1 Pod (`kubectl debug --copy-to`); its PodSpec and what that reaches are in protobuf_pod.py
    "Pod": {1: ("metadata", "ObjectMeta", ""), 2: ("spec", "PodSpec", ""), 3: ("status", "PodStatus", "")},
    "PodStatus": {},
    # autoscaling/v1 (what `kubectl autoscale` sends)
    "HorizontalPodAutoscaler": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("spec", "HorizontalPodAutoscalerSpec", ""),
        3: ("status", "HorizontalPodAutoscalerStatus", ""),
    },
    "HorizontalPodAutoscalerSpec": {
        1: ("scaleTargetRef", "CrossVersionObjectReference", ""),
        2: ("minReplicas", "int", "ptr"),
        3: ("maxReplicas", "int", ""),
        4: ("targetCPUUtilizationPercentage", "int", "ptr"),
    },
    "CrossVersionObjectReference": {
        1: ("kind", "string", ""),
        2: ("name", "string", ""),
        3: ("apiVersion", "string", ""),
    },
    "HorizontalPodAutoscalerStatus": {
        1: ("observedGeneration", "int", "ptr"),
        2: ("lastScaleTime", "Time", "ptr"),
        3: ("currentReplicas", "int", ""),
        4: ("desiredReplicas", "int", ""),
        5: ("currentCPUUtilizationPercentage", "int", "ptr"),
    },
    # batch/v1 (what `kubectl create job|cronjob` send)
    "Job": {1: ("metadata", "ObjectMeta", ""), 2: ("spec", "JobSpec", ""), 3: ("status", "JobStatus", "")},
    "JobSpec": {
        1: ("parallelism", "int", "ptr"),
        2: ("completions", "int", "ptr"),
        3: ("activeDeadlineSeconds", "int", "ptr"),
        4: ("selector", "LabelSelector", ""),
        5: ("manualSelector", "bool", "ptr"),
        6: ("template", "PodTemplateSpec", ""),
        7: ("backoffLimit", "int", "ptr"),
        8: ("ttlSecondsAfterFinished", "int", "ptr"),
        9: ("completionMode", "string", "ptr"),
        10: ("suspend", "bool", "ptr"),
        12: ("backoffLimitPerIndex", "int", "ptr"),
        13: ("maxFailedIndexes", "int", "ptr"),
        14: ("podReplacementPolicy", "string", "ptr"),
        15: ("managedBy", "string", "ptr"),
    },
    "JobStatus": {},
    "JobTemplateSpec": {1: ("metadata", "ObjectMeta", ""), 2: ("spec", "JobSpec", "")},
    "CronJob": {1: ("metadata", "ObjectMeta", ""), 2: ("spec", "CronJobSpec", ""), 3: ("status", "CronJobStatus", "")},
    "CronJobSpec": {
        1: ("schedule", "string", ""),
        8: ("timeZone", "string", "ptr"),
        2: ("startingDeadlineSeconds", "int", "ptr"),
        3: ("concurrencyPolicy", "string", ""),
        4: ("suspend", "bool", "ptr"),
        5: ("jobTemplate", "JobTemplateSpec", ""),
        6: ("successfulJobsHistoryLimit", "int", "ptr"),
        7: ("failedJobsHistoryLimit", "int", "ptr"),
    },
    "CronJobStatus": {},
    # authorization.k8s.io/v1 and authentication.k8s.io/v1 (`kubectl auth can-i`, `kubectl auth whoami`)
    "SelfSubjectAccessReview": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("spec", "SelfSubjectAccessReviewSpec", ""),
        3: ("status", "SubjectAccessReviewStatus", ""),
    },
    "SelfSubjectAccessReviewSpec": {
        1: ("resourceAttributes", "ResourceAttributes", "ptr"),
        2: ("nonResourceAttributes", "NonResourceAttributes", "ptr"),
    },
    "ResourceAttributes": {
        1: ("namespace", "string", ""),
        2: ("verb", "string", ""),
        3: ("group", "string", ""),
        4: ("version", "string", ""),
        5: ("resource", "string", ""),
        6: ("subresource", "string", ""),
        7: ("name", "string", ""),
    },
    "NonResourceAttributes": {1: ("path", "string", ""), 2: ("verb", "string", "")},
    "SubjectAccessReviewStatus": {
        1: ("allowed", "bool", ""),
        2: ("reason", "string", ""),
        3: ("evaluationError", "string", ""),
        4: ("denied", "bool", ""),
    },
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta", ""), 2: ("status", "SelfSubjectReviewStatus", "")},
    "SelfSubjectReviewStatus": {1: ("userInfo", "UserInfo", "")},
    "UserInfo": {1: ("username", "string", ""), 2: ("uid", "string", ""), 3: ("groups", "string", "rep")},
    # core/v1 ServiceAccount (`kubectl create serviceaccount`)
    "ServiceAccount": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("secrets", "ObjectReference", "rep"),
        3: ("imagePullSecrets", "LocalObjectReference", "rep"),
        4: ("automountServiceAccountToken", "bool", "ptr"),
    },
    "ObjectReference": {
        1: ("kind", "string", ""),
        2: ("namespace", "string", ""),
        3: ("name", "string", ""),
        4: ("uid", "string", ""),
        5: ("apiVersion", "string", ""),
        6: ("resourceVersion", "string", ""),
        7: ("fieldPath", "string", ""),
    },
    "LocalObjectReference": {1: ("name", "string", "")},
    # authentication.k8s.io/v1 TokenRequest (`kubectl create token`)
    "TokenRequest": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("spec", "TokenRequestSpec", ""),
        3: ("status", "TokenRequestStatus", ""),
    },
    "TokenRequestSpec": {
        1: ("audiences", "string", "rep"),
        4: ("expirationSeconds", "int", "ptr"),
        3: ("boundObjectRef", "BoundObjectReference", "ptr"),
    },
    "BoundObjectReference": {
        1: ("kind", "string", ""),
        2: ("apiVersion", "string", ""),
        3: ("name", "string", ""),
        4: ("uid", "string", ""),
    },
    "TokenRequestStatus": {1: ("token", "string", ""), 2: ("expirationTimestamp", "Time", "")},
    # core/v1 ResourceQuota (`kubectl create quota`)
    "ResourceQuota": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("spec", "ResourceQuotaSpec", ""),
        3: ("status", "ResourceQuotaStatus", ""),
    },
    "ResourceQuotaSpec": {
        1: ("hard", "map:Quantity", ""),
        2: ("scopes", "string", "rep"),
        3: ("scopeSelector", "ScopeSelector", "ptr"),
    },
    "ScopeSelector": {1: ("matchExpressions", "ScopedResourceSelectorRequirement", "rep")},
    "ScopedResourceSelectorRequirement": {
        1: ("scopeName", "string", ""),
        2: ("operator", "string", ""),
        3: ("values", "string", "rep"),
    },
    "ResourceQuotaStatus": {},
    # policy/v1 PodDisruptionBudget (`kubectl create poddisruptionbudget`); an empty selector selects every pod
    "PodDisruptionBudget": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("spec", "PodDisruptionBudgetSpec", ""),
        3: ("status", "PodDisruptionBudgetStatus", ""),
    },
    "PodDisruptionBudgetSpec": {
        1: ("minAvailable", "IntOrString", "ptr"),
        2: ("selector", "LabelSelector", "ptr"),
        3: ("maxUnavailable", "IntOrString", "ptr"),
        4: ("unhealthyPodEvictionPolicy", "string", "ptr"),
    },
    "PodDisruptionBudgetStatus": {},
    # scheduling.k8s.io/v1 PriorityClass (`kubectl create priorityclass`)
    "PriorityClass": {
        1: ("metadata", "ObjectMeta", ""),
        2: ("value", "int", ""),
        3: ("globalDefault", "bool", ""),
        4: ("description", "string", ""),
        5: ("preemptionPolicy", "string", "ptr"),
    },
    "DeleteOptions": {  # the body of `kubectl debug --replace`'s DELETE
        1: ("gracePeriodSeconds", "int", "ptr"),
        2: ("preconditions", "Preconditions", ""),
        3: ("orphanDependents", "bool", "ptr"),
        4: ("propagationPolicy", "string", "ptr"),
        5: ("dryRun", "string", "rep"),
        6: ("ignoreStoreReadErrorWithClusterBreakingPotential", "bool", "ptr"),
    },
    "Preconditions": {1: ("uid", "string", "ptr"), 2: ("resourceVersion", "string", "ptr")},
    **POD_SCHEMAS,
}
KINDS = {
    "DeleteOptions",
    "Namespace",
    "ConfigMap",
    "Secret",
    "Service",
    "Deployment",
    "HorizontalPodAutoscaler",
    "Job",
    "CronJob",
    "SelfSubjectAccessReview",
    "SelfSubjectReview",
    "ServiceAccount",
    "TokenRequest",
    "ResourceQuota",
    "PodDisruptionBudget",
    "Pod",
    "PriorityClass",
}
# Kinds whose message above is that of one version only.
KIND_VERSIONS = {
    "HorizontalPodAutoscaler": "autoscaling/v1",
    "PodDisruptionBudget": "policy/v1",
    "PriorityClass": "scheduling.k8s.io/v1",
}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of one message."""
    fields: list[tuple[int, int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            chunk, pos = data[pos : pos + length], pos + length
            if len(chunk) != length:
                raise ValueError("truncated field")
            value = chunk
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = int.from_bytes(data[pos : pos + size], "little"), pos + size
        else:
            raise ValueError(f"unsupported wire type {wire}")
        fields.append((number, wire, value))
    return fields


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: str, value: int | bytes) -> object:
    if kind == "string":
        return bytes(value).decode("utf-8")
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode()
    if kind == "int":
        return _signed(int(value))
    if kind == "bool":
        return bool(value)
    if kind == "Quantity":
        return _message("Quantity", bytes(value))
    return _message(kind, bytes(value))


def _special(kind: str, data: bytes) -> object:
    fields = {n: v for n, _, v in _fields(data)}
    if kind == "Time":
        seconds = _signed(int(fields.get(1, 0)))
        if not seconds:
            return None
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "IntOrString":
        return _signed(int(fields.get(2, 0))) if not fields.get(1) else bytes(fields.get(3, b"")).decode()
    return bytes(fields.get(1, b"")).decode()  # Quantity: its string form


def _map_entry(value_kind: str, data: bytes) -> tuple[str, object]:
    fields = {n: v for n, _, v in _fields(data)}
    key = bytes(fields.get(1, b"")).decode()
    raw = fields.get(2, b"")
    return key, _scalar(value_kind, raw if isinstance(raw, bytes) else raw)


def _empty(value: object) -> bool:
    return value in (None, "", 0, False) or value == {} or value == []


def _message(name: str, data: bytes) -> object:
    if name in ("Time", "IntOrString", "Quantity"):
        return _special(name, data)
    return _struct(name, data)


def _struct(name: str, data: bytes) -> dict:
    schema = SCHEMAS[name]
    out: dict = {}
    for number, _wire, value in _fields(data):
        if number not in schema:
            if value in (0, b""):
                continue  # a zero-valued field Go always writes: the same as absent
            raise StatusError(
                415,
                "UnsupportedMediaType",
                f"protobuf field {number} of {name} is not supported by kubeclass; send the object as application/json",
            )
        json_name, kind, flags = schema[number]
        if kind.startswith("map:"):
            key, item = _map_entry(kind[4:], bytes(value))
            out.setdefault(json_name, {})[key] = item
        elif "rep" in flags:
            out.setdefault(json_name, []).append(_scalar(kind, value))
        elif flags == "inline":
            out.update(_struct(kind, bytes(value)))
        else:
            item = _scalar(kind, value)
            if "ptr" in flags or not _empty(item):
                out[json_name] = item
    return out


def decode(body: bytes) -> dict:
    """A protobuf request body as the JSON object it stands for."""
    if not body.startswith(MAGIC):
        raise StatusError.bad_request("the protobuf body does not start with the Kubernetes magic number")
    try:
        envelope = _struct("Unknown", body[len(MAGIC) :])
        type_meta = envelope.get("typeMeta") or {}
        kind = type_meta.get("kind", "")
        if kind not in KINDS or KIND_VERSIONS.get(kind, type_meta.get("apiVersion")) != type_meta.get("apiVersion"):
            raise StatusError(
                415,
                "UnsupportedMediaType",
                f"kubeclass decodes protobuf only for {', '.join(sorted(KINDS))}; send {kind or 'it'} "
                "as application/json",
            )
        obj = _struct(kind, base64.b64decode(envelope.get("raw", "")))  # every one of KINDS is a struct
    except (ValueError, UnicodeDecodeError) as err:
        raise StatusError.bad_request(f"the protobuf body could not be decoded: {err}") from None
    return {"kind": kind, "apiVersion": type_meta.get("apiVersion", ""), **obj}
