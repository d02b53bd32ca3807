"""kubectl's describers for Namespaces, ConfigMaps, Secrets, volumes, Endpoints and HPAs (pkg/describe).

Simplified: a ConfigMap's and a Secret's keys are listed in sorted order
(kubectl walks a Go map, so its order varies from run to run), and the HPA
describer covers resource and pods metrics.
"""

from __future__ import annotations

import base64

from cluster.apiserver.printing import access_modes
from cluster.kubectl.cli import Context
from cluster.kubectl.describe_quota import describe_limitrange, describe_quota, namespace_sections
from cluster.kubectl.describe_format import (
    PrefixWriter,
    annotations_multiline,
    describe_events,
    events_for,
    labels_multiline,
    rfc1123z,
)


def _header(w: PrefixWriter, meta: dict, namespaced: bool = True) -> None:
    w.write(0, f"Name:\t{meta['name']}\n")
    if namespaced:
        w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))


def _events(ctx: Context, obj: dict, w: PrefixWriter, show: bool) -> None:
    if show:
        describe_events(w, events_for(ctx.api, obj), ctx.api.now())


def describe_namespace(ctx: Context, ns: dict, w: PrefixWriter, show_events: bool) -> None:
    _header(w, ns["metadata"], namespaced=False)
    status = ns.get("status") or {}
    w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(
                1,
                f"{c.get('type')}\t{c.get('status')}\t{rfc1123z(c.get('lastTransitionTime'))}\t"
                f"{c.get('reason', '')}\t{c.get('message', '')}\n",
            )
    namespace_sections(ctx, ns["metadata"]["name"], w)


def describe_configmap(ctx: Context, cm: dict, w: PrefixWriter, show_events: bool) -> None:
    _header(w, cm["metadata"])
    w.write(0, "\nData\n====\n")
    for key, value in sorted((cm.get("data") or {}).items()):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{value}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    for key, value in sorted((cm.get("binaryData") or {}).items()):
        w.write(0, f"{key}: {len(_decoded(value))} bytes\n")
    w.write(0, "\n")
    _events(ctx, cm, w, show_events)


def _decoded(value: str) -> bytes:
    try:
        return base64.b64decode(value)
    except ValueError:
        return value.encode()


def describe_secret(ctx: Context, secret: dict, w: PrefixWriter, show_events: bool) -> None:
    _header(w, secret["metadata"])
    secret_type = secret.get("type", "")
    w.write(0, f"\nType:\t{secret_type}\n")
    w.write(0, "\nData\n====\n")
    data = {k: _decoded(v) for k, v in (secret.get("data") or {}).items()}
    data.update({k: v.encode() for k, v in (secret.get("stringData") or {}).items()})
    for key, value in sorted(data.items()):
        if key == "token" and secret_type == "kubernetes.io/service-account-token":
            w.write(0, f"{key}:\t{value.decode(errors='replace')}\n")
        else:
            w.write(0, f"{key}:\t{len(value)} bytes\n")


def describe_pvc(ctx: Context, pvc: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = pvc["metadata"], pvc.get("spec") or {}, pvc.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"StorageClass:\t{spec.get('storageClassName', '')}\n")
    if meta.get("deletionTimestamp"):
        from cluster.apiserver.printing import human_duration

        w.write(0, f"Status:\tTerminating (lasts {human_duration(ctx.api.now(), meta['deletionTimestamp'])})\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")
    w.write(0, f"Volume:\t{spec.get('volumeName', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Finalizers:\t[{' '.join(meta.get('finalizers') or [])}]\n")
    capacity, modes = "", ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = (status.get("capacity") or {}).get("storage", "0")
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{modes}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    users = sorted(
        p["metadata"]["name"]
        for p in ctx.api.list("pods", meta.get("namespace"))["items"]
        if any(
            (v.get("persistentVolumeClaim") or {}).get("claimName") == meta["name"]
            for v in (p.get("spec") or {}).get("volumes") or []
        )
    )
    w.write(0, "Used By:\t")
    if not users:
        w.line("<none>")
    for i, name in enumerate(users):
        w.write(0, ("\t" if i else "") + f"{name}\n")
    _events(ctx, pvc, w, show_events)


def describe_pv(ctx: Context, pv: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = pv["metadata"], pv.get("spec") or {}, pv.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Finalizers:\t[{' '.join(meta.get('finalizers') or [])}]\n")
    w.write(0, f"StorageClass:\t{spec.get('storageClassName', '')}\n")
    w.write(0, f"Status:\t{status.get('phase', '')}\n")
    claim = spec.get("claimRef")
    w.write(0, f"Claim:\t{claim.get('namespace', '')}/{claim.get('name', '')}\n" if claim else "Claim:\t\n")
    w.write(0, f"Reclaim Policy:\t{spec.get('persistentVolumeReclaimPolicy', '')}\n")
    w.write(0, f"Access Modes:\t{access_modes(spec.get('accessModes'))}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    w.write(0, f"Capacity:\t{(spec.get('capacity') or {}).get('storage', '0')}\n")
    w.write(0, "Node Affinity:\t<none>\n" if not spec.get("nodeAffinity") else "Node Affinity:\n")
    w.write(0, f"Message:\t{status.get('message', '')}\n")
    w.write(0, "Source:\n")
    if spec.get("hostPath") is not None:
        host = spec["hostPath"]
        w.write(
            2,
            "Type:\tHostPath (bare host directory volume)\n"
            f"    Path:\t{host.get('path', '')}\n    HostPathType:\t{host.get('type') or '<none>'}\n",
        )
    elif spec.get("local") is not None:
        w.write(
            2,
            "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n"
            f"    Path:\t{spec['local'].get('path', '')}\n",
        )
    else:
        w.write(1, "<unknown>\n")
    _events(ctx, pv, w, show_events)


def describe_endpoints(ctx: Context, ep: dict, w: PrefixWriter, show_events: bool) -> None:
    _header(w, ep["metadata"])
    w.write(0, "Subsets:\n")
    for subset in ep.get("subsets") or []:
        ready = ",".join(a.get("ip", "") for a in subset.get("addresses") or []) or "<none>"
        not_ready = ",".join(a.get("ip", "") for a in subset.get("notReadyAddresses") or []) or "<none>"
        w.write(1, f"Addresses:\t{ready}\n")
        w.write(1, f"NotReadyAddresses:\t{not_ready}\n")
        if subset.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for port in subset["ports"]:
                w.write(2, f"{port.get('name') or '<unset>'}\t{port.get('port')}\t{port.get('protocol', '')}\n")
        w.write(0, "\n")
    _events(ctx, ep, w, show_events)


def describe_hpa(ctx: Context, hpa: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = hpa["metadata"], hpa.get("spec") or {}, hpa.get("status") or {}
    _header(w, meta)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    ref = spec.get("scaleTargetRef") or {}
    w.write(0, f"Reference:\t{ref.get('kind')}/{ref.get('name')}\n")
    if spec.get("metrics"):
        w.write(0, "Metrics:\t( current / target )\n")
        current = {(m.get("resource") or {}).get("name"): m for m in status.get("currentMetrics") or []}
        for metric in spec["metrics"]:
            _hpa_metric(w, metric, current)
    else:
        w.write(0, "Metrics:\t<none>\n")
    w.write(0, f"Min replicas:\t{spec.get('minReplicas', 1)}\n")
    w.write(0, f"Max replicas:\t{spec.get('maxReplicas', 0)}\n")
    w.write(
        0,
        f"{ref.get('kind')} pods:\t{status.get('currentReplicas', 0)} current / "
        f"{status.get('desiredReplicas', 0)} desired\n",
    )
    if status.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tReason\tMessage\n")
        w.write(1, "----\t------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type')}\t{c.get('status')}\t{c.get('reason', '')}\t{c.get('message', '')}\n")
    _events(ctx, hpa, w, show_events)


def _hpa_metric(w: PrefixWriter, metric: dict, current: dict) -> None:
    if metric.get("type") != "Resource":
        w.write(1, f"{metric.get('type')} metric:\t<unknown>\n")
        return
    resource = metric.get("resource") or {}
    target = resource.get("target") or {}
    now = ((current.get(resource.get("name")) or {}).get("resource") or {}).get("current") or {}
    if target.get("type") == "Utilization":
        used = (
            f"{now['averageUtilization']}% ({now.get('averageValue', '')})"
            if now.get("averageUtilization") is not None
            else "<unknown>"
        )
        w.write(
            1,
            f"resource {resource.get('name')} on pods  (as a percentage of request):\t{used} / "
            f"{target.get('averageUtilization')}%\n",
        )
    else:
        w.write(
            1,
            f"resource {resource.get('name')} on pods:\t{now.get('averageValue', '<unknown>')} / "
            f"{target.get('averageValue')}\n",
        )


def describe_serviceaccount(ctx: Context, sa: dict, w: PrefixWriter, show_events: bool) -> None:
    """describeServiceAccount: the pull secrets, the mountable secrets and the token Secrets naming the account."""
    meta = sa["metadata"]
    _header(w, meta)
    tokens = [
        s["metadata"]["name"]
        for s in ctx.api.list("secrets", meta.get("namespace"))["items"]
        if s.get("type") == "kubernetes.io/service-account-token"
        and (s["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.name") == meta["name"]
    ]
    sections = {
        "Image pull secrets:": [s.get("name", "") for s in sa.get("imagePullSecrets") or []],
        "Mountable secrets: ": [s.get("name", "") for s in sa.get("secrets") or []],
        "Tokens:            ": tokens,
    }
    for header, names in sections.items():  # sorted by header, as kubectl walks them
        if not names:
            w.write(0, f"{header}\t<none>\n")
        for index, name in enumerate(names):
            w.write(0, f"{header if index == 0 else ' ' * 19}\t{name}\n")
    _events(ctx, sa, w, show_events)


CONFIG_DESCRIBERS = {
    "Namespace": describe_namespace,
    "ConfigMap": describe_configmap,
    "Secret": describe_secret,
    "ServiceAccount": describe_serviceaccount,
    "ResourceQuota": describe_quota,
    "LimitRange": describe_limitrange,
    "PersistentVolumeClaim": describe_pvc,
    "PersistentVolume": describe_pv,
    "Endpoints": describe_endpoints,
    "HorizontalPodAutoscaler": describe_hpa,
}
