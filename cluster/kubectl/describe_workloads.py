"""kubectl's describers for Pods, Deployments, ReplicaSets, Services and Nodes (pkg/describe).

Each writes the same lines, in the same order and with the same conditions,
as its upstream counterpart in kubectl v1.32, including the related objects
kubectl looks up: a Deployment's ReplicaSets, a ReplicaSet's Pods, a
Service's EndpointSlices, a Node's Lease and the Pods running on it.
"""

from __future__ import annotations

from cluster import quantity
from cluster.apiserver.printing import human_duration, selector_string
from cluster.kubectl.cli import Context
from cluster.kubectl.describe_format import (
    PrefixWriter,
    annotations_multiline,
    describe_containers,
    describe_events,
    describe_pod_template,
    describe_volumes,
    events_for,
    labels_multiline,
    rfc1123z,
    tolerations_multiline,
)


def _events(ctx: Context, obj: dict, w: PrefixWriter, show: bool) -> None:
    if show:
        describe_events(w, events_for(ctx.api, obj), ctx.api.now())


def controlled_by(obj: dict) -> str:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


# -- Pod --------------------------------------------------------------------
def describe_pod(ctx: Context, pod: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    node = spec.get("nodeName")
    w.write(0, f"Node:\t{node}/{status.get('hostIP', '')}\n" if node else "Node:\t<none>\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    phase = status.get("phase", "")
    if meta.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {human_duration(ctx.api.now(), meta['deletionTimestamp'])})\n")
        w.write(0, f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds', 0)}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    for key, title in (("reason", "Reason"), ("message", "Message")):
        if status.get(key):
            w.write(0, f"{title}:\t{status[key]}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    ips = status.get("podIPs") or []
    if ips:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    else:
        w.write(0, "IPs:\t<none>\n")
    if controlled_by(pod):
        w.write(0, f"Controlled By:\t{controlled_by(pod)}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        describe_containers(w, "Init Containers", spec["initContainers"], status.get("initContainerStatuses"))
    describe_containers(w, "Containers", spec.get("containers"), status.get("containerStatuses"))
    if spec.get("ephemeralContainers"):
        describe_containers(
            w, "Ephemeral Containers", spec["ephemeralContainers"], status.get("ephemeralContainerStatuses")
        )
    _readiness_gates(w, spec, status)
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for cond in status["conditions"]:
            w.write(1, f"{cond.get('type')} \t{cond.get('status')} \n")
    describe_volumes(w, spec.get("volumes"))
    w.write(0, f"QoS Class:\t{pod_qos(pod)}\n")
    labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    if show_events:
        describe_events(w, events_for(ctx.api, {**pod, "kind": ""}), ctx.api.now())


def _readiness_gates(w: PrefixWriter, spec: dict, status: dict) -> None:
    gates = spec.get("readinessGates") or []
    if not gates:
        return
    w.write(0, "Readiness Gates:\n  Type\tStatus\n")
    for gate in gates:
        value = next(
            (c.get("status") for c in status.get("conditions") or [] if c.get("type") == gate.get("conditionType")),
            "<none>",
        )
        w.write(1, f"{gate.get('conditionType')} \t{value} \n")


def pod_qos(pod: dict) -> str:
    """qos.GetPodQOS: the status field when set, else computed from requests and limits."""
    if (pod.get("status") or {}).get("qosClass"):
        return pod["status"]["qosClass"]
    spec = pod.get("spec") or {}
    requests: dict = {}
    limits: dict = {}
    guaranteed = True
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        resources = container.get("resources") or {}
        req = _compute_resources(resources.get("requests"))
        lim = _compute_resources(resources.get("limits"))
        requests.update(req)
        limits.update(lim)
        if set(lim) != {"cpu", "memory"} or any(lim.get(k) != v for k, v in req.items()):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _compute_resources(values: dict | None) -> dict:
    found = {}
    for name in ("cpu", "memory"):
        if values and name in values:
            try:
                amount = quantity.parse(values[name])
            except ValueError:
                continue
            if amount != 0:
                found[name] = amount
    return found


# -- Deployment and ReplicaSet ---------------------------------------------
def owned(ctx: Context, resource: str, owner: dict) -> list[dict]:
    uid = owner["metadata"].get("uid")
    listed = ctx.api.list(resource, owner["metadata"].get("namespace"))["items"]
    return [
        o
        for o in listed
        if any(r.get("controller") and r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])
    ]


def _same_template(rs: dict, deployment: dict) -> bool:
    import copy

    template = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
    ((template.get("metadata") or {}).get("labels") or {}).pop("pod-template-hash", None)
    return template == deployment["spec"].get("template")


def describe_deployment(ctx: Context, d: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = d["metadata"], d.get("spec") or {}, d.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(
        0,
        f"Replicas:\t{spec.get('replicas', 1)} desired | {status.get('updatedReplicas', 0)} updated | "
        f"{status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} available | "
        f"{status.get('unavailableReplicas', 0)} unavailable\n",
    )
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    if strategy.get("rollingUpdate") is not None:
        ru = strategy["rollingUpdate"]
        w.write(
            0,
            f"RollingUpdateStrategy:\t{ru.get('maxUnavailable', 0)} max unavailable, "
            f"{ru.get('maxSurge', 0)} max surge\n",
        )
    describe_pod_template(w, spec.get("template"))
    _workload_conditions(w, status)
    rss = owned(ctx, "replicasets", d)
    new = [rs for rs in rss if _same_template(rs, d)][:1]
    old = [rs for rs in rss if rs not in new]
    if old or new:
        w.write(0, f"OldReplicaSets:\t{_replica_sets(old)}\n")
        w.write(0, f"NewReplicaSet:\t{_replica_sets(new)}\n")
    _events(ctx, d, w, show_events)


def _workload_conditions(w: PrefixWriter, status: dict) -> None:
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for cond in status["conditions"]:
            w.write(1, f"{cond.get('type')} \t{cond.get('status')}\t{cond.get('reason', '')}\n")


def _replica_sets(rss: list[dict]) -> str:
    text = ", ".join(
        f"{rs['metadata']['name']} ({(rs.get('status') or {}).get('replicas', 0)}/"
        f"{rs['spec'].get('replicas', 1)} replicas created)"
        for rs in rss
    )
    return text or "<none>"


def describe_replicaset(ctx: Context, rs: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = rs["metadata"], rs.get("spec") or {}, rs.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector')) or '<none>'}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if controlled_by(rs):
        w.write(0, f"Controlled By:\t{controlled_by(rs)}\n")
    w.write(0, f"Replicas:\t{status.get('replicas', 0)} current / {spec.get('replicas', 1)} desired\n")
    phases = [(p.get("status") or {}).get("phase") for p in owned(ctx, "pods", rs)]
    w.write(
        0,
        f"Pods Status:\t{phases.count('Running')} Running / {phases.count('Pending')} Waiting / "
        f"{phases.count('Succeeded')} Succeeded / {phases.count('Failed')} Failed\n",
    )
    describe_pod_template(w, spec.get("template"))
    _workload_conditions(w, status)
    _events(ctx, rs, w, show_events)


# -- Service ----------------------------------------------------------------
def describe_service(ctx: Context, svc: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = svc["metadata"], svc.get("spec") or {}, svc.get("status") or {}
    slices = ctx.api.list(
        "endpointslices.discovery.k8s.io",
        meta.get("namespace"),
        label_selector=f"kubernetes.io/service-name={meta['name']}",
    )["items"]
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    selector = spec.get("selector") or {}
    w.write(0, f"Selector:\t{','.join(f'{k}={v}' for k, v in sorted(selector.items())) or '<none>'}\n")
    w.write(0, f"Type:\t{spec.get('type', '')}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    w.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(i.get('ip') or i.get('hostname', '') for i in ingress)}\n")
    for port in spec.get("ports") or []:
        name = port.get("name") or "<unset>"
        protocol = port.get("protocol", "")
        w.write(0, f"Port:\t{name}\t{port.get('port')}/{protocol}\n")
        w.write(0, f"TargetPort:\t{port.get('targetPort', '')}/{protocol}\n")
        if port.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{port['nodePort']}/{protocol}\n")
        w.write(0, f"Endpoints:\t{format_endpoint_slices(slices, port.get('name', ''))}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', '')}\n")
    for key, title in (
        ("externalTrafficPolicy", "External Traffic Policy"),
        ("internalTrafficPolicy", "Internal Traffic Policy"),
        ("healthCheckNodePort", "HealthCheck NodePort"),
    ):
        if spec.get(key):
            w.write(0, f"{title}:\t{spec[key]}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    _events(ctx, svc, w, show_events)


def format_endpoint_slices(slices: list[dict], port_name: str) -> str:
    """formatEndpointSlices: up to three ready `ip:port` pairs, then `+ N more...`."""
    if not slices:
        return "<none>"
    shown: list[str] = []
    count = 0
    for eps in slices:
        ports = (
            [p for p in eps.get("ports") or [] if (p.get("name") or "") == port_name] if eps.get("ports") else [None]
        )
        for port in ports:
            for endpoint in eps.get("endpoints") or []:
                if (endpoint.get("conditions") or {}).get("ready") is False:
                    continue
                address = (endpoint.get("addresses") or [""])[0]
                if len(shown) < 3:
                    shown.append(address if port is None else f"{address}:{port.get('port')}")
                count += 1
    text = ",".join(shown)
    return f"{text} + {count - 3} more..." if count > 3 else text


# -- Node -------------------------------------------------------------------
def describe_node(ctx: Context, node: dict, w: PrefixWriter, show_events: bool) -> None:
    from cluster.kubectl.describe_node import describe_node_body

    describe_node_body(ctx, node, w)
    if show_events:
        name = node["metadata"]["name"]
        events = [
            e
            for e in ctx.api.list("events", None)["items"]
            if (e.get("involvedObject") or {}).get("name") == name
            and (e.get("involvedObject") or {}).get("kind") in ("Node", None)
        ]
        describe_events(w, events, ctx.api.now())


WORKLOAD_DESCRIBERS = {
    "Pod": describe_pod,
    "Deployment": describe_deployment,
    "ReplicaSet": describe_replicaset,
    "Service": describe_service,
    "Node": describe_node,
}
