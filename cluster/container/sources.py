"""What a container's environment and its volumes read from the API: ConfigMaps, Secrets and the pod's own fields.

The kubelet reads a ConfigMap or Secret named by `envFrom`, `configMapKeyRef`/`secretKeyRef` or a
volume through the API server (its object cache, upstream); one that is missing and not optional is
a ConfigError, which the kubelet reports as CreateContainerConfigError (or, for a volume, FailedMount).
A Secret's values are base64 in the API and plain in the container; a ConfigMap's binaryData too.
The downward API's fieldRef and resourceFieldRef (fieldpath.ExtractFieldPathAsString,
resource.ExtractContainerResourceValue) are `field_value` and `resource_value`.
"""

from __future__ import annotations

import base64
import re

from cluster.apiserver.errors import StatusError, go_quote
from cluster.apiserver.server import APIServer
from cluster.quantity import parse as parse_quantity


class ConfigError(Exception):
    """CreateContainerConfigError: what the container's env or volumes refer to is missing."""


def object_data(api: APIServer, resource: str, namespace: str, name: str, optional: bool) -> dict | None:
    obj = read_object(api, resource, namespace, name, optional)
    return None if obj is None else data_of(resource, obj)


def read_object(api: APIServer, resource: str, namespace: str, name: str, optional: bool) -> dict | None:
    try:
        return api.get(resource, namespace, name)
    except StatusError as err:
        if err.code != 404 or optional:
            return None
        raise ConfigError(f'{"configmap" if resource == "configmaps" else "secret"} "{name}" not found') from None


def data_of(resource: str, obj: dict) -> dict:
    if resource == "secrets":
        data = {k: _b64(v) for k, v in (obj.get("data") or {}).items()}
        data.update(obj.get("stringData") or {})
        return data
    return {**(obj.get("data") or {}), **{k: _b64(v) for k, v in (obj.get("binaryData") or {}).items()}}


def _b64(value: str) -> str:
    try:
        return base64.b64decode(value).decode("utf-8", "replace")
    except (ValueError, TypeError):
        return ""


def field_value(pod: dict, path: str) -> str:
    meta, status, spec = pod["metadata"], pod.get("status") or {}, pod.get("spec") or {}
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.hostIP": status.get("hostIP", ""),
        "status.podIP": status.get("podIP", ""),
        "status.podIPs": ",".join(i.get("ip", "") for i in status.get("podIPs") or []),
        "status.hostIPs": ",".join(i.get("ip", "") for i in status.get("hostIPs") or []),
    }
    if path in simple:
        return simple[path]
    maps = {"labels": meta.get("labels") or {}, "annotations": kubelet_annotations(pod)}
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if match:
        return maps[match.group(1)].get(match.group(2), "")
    if path in ("metadata.labels", "metadata.annotations"):
        # fieldpath.FormatMap: `key="value"` with the value Go-quoted (%q), one a line
        return "\n".join(f"{k}={go_quote(str(v))}" for k, v in sorted(maps[path.split(".")[1]].items()))
    return ""


def kubelet_annotations(pod: dict) -> dict:
    """The pod's annotations as the kubelet holds the pod, which is what the downward API reads: its config
    sources add `kubernetes.io/config.source` ("api") and `kubernetes.io/config.seen`, when it first saw the pod
    (here the pod's startTime, to the second; Go's RFC3339Nano drops a zero fraction)."""
    meta, status = pod["metadata"], pod.get("status") or {}
    annotations = dict(meta.get("annotations") or {})
    if "kubernetes.io/config.source" not in annotations:  # a static pod's mirror already carries its own
        annotations["kubernetes.io/config.source"] = "api"
        seen = status.get("startTime") or meta.get("creationTimestamp")
        if seen:
            annotations["kubernetes.io/config.seen"] = seen
    return annotations


def resource_value(spec: dict, ref: dict, node: dict | None) -> str:
    """limits.cpu etc., rounded up to the divisor; a missing limit is the node's allocatable."""
    resource = ref.get("resource", "")
    kind, _, name = resource.partition(".")
    value = ((spec.get("resources") or {}).get(kind) or {}).get(name)
    if value is None and kind == "limits":
        value = ((node or {}).get("status") or {}).get("allocatable", {}).get(name)
    if value is None:
        return "0"
    amount = parse_quantity(str(value))
    divisor = parse_quantity(str(ref.get("divisor", "1")))
    quotient = amount / divisor if divisor else amount
    whole = int(quotient) if quotient == int(quotient) else int(quotient) + 1
    return str(whole)
