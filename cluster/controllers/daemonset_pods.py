"""Which nodes a DaemonSet runs on, and the pods it puts there (pkg/controller/daemon/util/daemonset_util.go
and NodeShouldRunDaemonPod in daemon_controller.go).

A daemon pod is the template plus:
- the labels `controller-revision-hash` (the current revision) and
  `pod-template-generation`;
- the tolerations the controller always adds (AddOrUpdateDaemonPodTolerations):
  node.kubernetes.io/not-ready and unreachable (NoExecute, no time limit),
  disk-pressure, memory-pressure, pid-pressure and unschedulable (NoSchedule),
  and network-unavailable (NoSchedule) for a hostNetwork pod — so a daemon
  keeps running on a cordoned or unhealthy node;
- a required node affinity `matchFields metadata.name In [<node>]` that
  replaces the template's node selector terms: the default scheduler binds it
  to exactly that node (ReplaceDaemonSetPodNodeNameNodeAffinity).
A node should run the pod when the template's nodeName (if any), nodeSelector
and required node affinity match it and every NoSchedule or NoExecute taint is
tolerated; a pod already there may stay unless a NoExecute taint is not.
"""

from __future__ import annotations

import copy

from cluster.controllers.controller_utils import new_controller_ref
from cluster.scheduler.plugins.node_affinity import required_node_affinity_matches
from cluster.scheduler.plugins.taint_toleration import first_untolerated

TEMPLATE_GENERATION_LABEL = "pod-template-generation"
REVISION_HASH = "controller-revision-hash"
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
_NO_SCHEDULE = (
    "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/memory-pressure",
    "node.kubernetes.io/pid-pressure",
    "node.kubernetes.io/unschedulable",
)


def daemon_tolerations(spec: dict) -> list[dict]:
    """AddOrUpdateDaemonPodTolerations: the template's tolerations with the daemon ones added or replaced."""
    wanted = [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    ]
    wanted += [{"key": key, "operator": "Exists", "effect": "NoSchedule"} for key in _NO_SCHEDULE]
    if spec.get("hostNetwork"):
        wanted.append({"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"})
    tolerations = copy.deepcopy(spec.get("tolerations") or [])
    for toleration in wanted:
        same = [
            i
            for i, t in enumerate(tolerations)
            if t.get("key") == toleration["key"] and t.get("effect") == toleration["effect"]
        ]
        if same:
            tolerations[same[0]] = toleration
        else:
            tolerations.append(toleration)
    return tolerations


def node_affinity_for(affinity: dict | None, node_name: str) -> dict:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: required terms become `metadata.name In [node]`."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
    affinity = copy.deepcopy(affinity or {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    required = node_affinity.setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})
    required["nodeSelectorTerms"] = [term]
    return affinity


def template_generation(ds: dict) -> str | None:
    return (ds["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION)


def pod_template(ds: dict, hash_: str) -> dict:
    """CreatePodTemplate: the template with the generation and hash labels and the daemon tolerations."""
    template = copy.deepcopy((ds.get("spec") or {}).get("template") or {})
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    generation = template_generation(ds)
    if generation is not None:
        labels[TEMPLATE_GENERATION_LABEL] = generation
    if hash_:
        labels[REVISION_HASH] = hash_
    spec = template.setdefault("spec", {})
    spec["tolerations"] = daemon_tolerations(spec)
    return template


def new_pod(ds: dict, template: dict, node_name: str) -> dict:
    """The pod for one node: GetPodFromTemplate with the node affinity set."""
    meta = template.get("metadata") or {}
    pod_meta: dict = {"generateName": f"{ds['metadata']['name']}-", "namespace": ds["metadata"]["namespace"]}
    for key in ("labels", "annotations", "finalizers"):
        if meta.get(key):
            pod_meta[key] = copy.deepcopy(meta[key])
    pod_meta["ownerReferences"] = [new_controller_ref(ds)]
    spec = copy.deepcopy(template.get("spec") or {})
    spec["affinity"] = node_affinity_for(spec.get("affinity"), node_name)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}


def should_run(node: dict, ds: dict) -> tuple[bool, bool]:
    """NodeShouldRunDaemonPod: (should a daemon pod run here, may one that runs here stay)."""
    template_spec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
    node_name = node["metadata"]["name"]
    if template_spec.get("nodeName") and template_spec["nodeName"] != node_name:
        return False, False
    if not required_node_affinity_matches({"metadata": {}, "spec": template_spec}, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = daemon_tolerations(template_spec)
    if first_untolerated(taints, tolerations, ("NoSchedule", "NoExecute")) is not None:
        return False, first_untolerated(taints, tolerations, ("NoExecute",)) is None
    return True, True


def target_node(pod: dict) -> str:
    """GetTargetNodeName: spec.nodeName, or the node its required affinity names."""
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        return node
    required = (((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            if (
                field.get("key") == "metadata.name"
                and field.get("operator") == "In"
                and len(field.get("values") or []) == 1
            ):
                return field["values"][0]
    return ""


def is_updated(pod: dict, hash_: str, generation: str | None) -> bool:
    """IsPodUpdated: the revision hash label (or the older template generation label) is current."""
    labels = pod["metadata"].get("labels") or {}
    return (bool(hash_) and labels.get(REVISION_HASH) == hash_) or (
        generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == generation
    )


def by_creation_and_phase(pods: list[dict]) -> list[dict]:
    """podByCreationTimestampAndPhase: scheduled pods first, then the oldest, then by name."""
    return sorted(
        pods,
        key=lambda p: (
            not (p.get("spec") or {}).get("nodeName"),
            p["metadata"].get("creationTimestamp", ""),
            p["metadata"]["name"],
        ),
    )
