"""A StatefulSet's pods and claims (pkg/controller/statefulset/stateful_set_utils.go, stateful_pod_control.go).

Pod `<set>-<ordinal>` gets, besides the template:
- the labels `statefulset.kubernetes.io/pod-name` (its name, so a Service can
  select one pod), `apps.kubernetes.io/pod-index` (its ordinal) and
  `controller-revision-hash` (the revision it was made from);
- `spec.hostname` = its name and `spec.subdomain` = spec.serviceName, so with
  the governing headless Service it resolves as
  `<pod>.<service>.<namespace>.svc.cluster.local` (cluster/dns.py);
- a volume per volumeClaimTemplate, named after the template, backed by the
  claim `<template>-<set>-<ordinal>`, which the controller creates first,
  labelled with the set's matchLabels. Claims outlive their pods: a pod made
  again for the same ordinal mounts the same claim (whenDeleted and
  whenScaled Retain, the default retention policy).
"""

from __future__ import annotations

import copy
import re

from cluster.controllers.controller_utils import new_controller_ref
from cluster.controllers.history import REVISION_HASH

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")


def parent_and_ordinal(pod: dict) -> tuple[str, int]:
    """getParentNameAndOrdinal: ("", -1) when the name is not `<parent>-<n>`."""
    match = _ORDINAL.match(pod["metadata"]["name"])
    return (match.group(1), int(match.group(2))) if match else ("", -1)


def ordinal(pod: dict) -> int:
    return parent_and_ordinal(pod)[1]


def is_member(sts: dict, pod: dict) -> bool:
    return parent_and_ordinal(pod)[0] == sts["metadata"]["name"]


def start_ordinal(sts: dict) -> int:
    return int(((sts.get("spec") or {}).get("ordinals") or {}).get("start") or 0)


def end_ordinal(sts: dict) -> int:
    return start_ordinal(sts) + int((sts.get("spec") or {}).get("replicas", 1)) - 1


def in_range(sts: dict, pod: dict) -> bool:
    return start_ordinal(sts) <= ordinal(pod) <= end_ordinal(sts)


def pod_name(sts: dict, ordinal_: int) -> str:
    return f"{sts['metadata']['name']}-{ordinal_}"


def claim_name(sts: dict, template: dict, ordinal_: int) -> str:
    return f"{template['metadata']['name']}-{sts['metadata']['name']}-{ordinal_}"


def claims_for(sts: dict, ordinal_: int) -> list[tuple[str, dict]]:
    """getPersistentVolumeClaims: (template name, the claim to create) per volumeClaimTemplate."""
    match_labels = ((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    claims = []
    for template in (sts.get("spec") or {}).get("volumeClaimTemplates") or []:
        claim = copy.deepcopy(template)
        meta = claim.setdefault("metadata", {})
        meta["name"] = claim_name(sts, template, ordinal_)
        meta["namespace"] = sts["metadata"]["namespace"]
        meta.pop("creationTimestamp", None)
        meta["labels"] = {**(meta.get("labels") or {}), **match_labels}
        claim.pop("status", None)
        claims.append((template["metadata"]["name"], claim))
    return claims


def new_pod(sts: dict, ordinal_: int, revision: str) -> dict:
    """newStatefulSetPod with setPodRevision: identity, storage and the revision label."""
    template = (sts.get("spec") or {}).get("template") or {}
    meta = template.get("metadata") or {}
    name = pod_name(sts, ordinal_)
    labels = dict(meta.get("labels") or {})
    labels.update({POD_NAME_LABEL: name, POD_INDEX_LABEL: str(ordinal_), REVISION_HASH: revision})
    pod_meta: dict = {"name": name, "namespace": sts["metadata"]["namespace"], "labels": labels}
    for key in ("annotations", "finalizers"):
        if meta.get(key):
            pod_meta[key] = copy.deepcopy(meta[key])
    pod_meta["ownerReferences"] = [new_controller_ref(sts)]
    spec = copy.deepcopy(template.get("spec") or {})
    spec["hostname"] = name
    if (sts.get("spec") or {}).get("serviceName"):
        spec["subdomain"] = sts["spec"]["serviceName"]
    spec["volumes"] = storage_volumes(sts, ordinal_, spec.get("volumes") or [])
    if not spec["volumes"]:
        spec.pop("volumes")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}


def storage_volumes(sts: dict, ordinal_: int, current: list[dict]) -> list[dict]:
    """updateStorage: a claim-backed volume per template, then the template's other volumes."""
    claims = claims_for(sts, ordinal_)
    names = {template for template, _claim in claims}
    volumes = [
        {"name": template, "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
        for template, claim in claims
    ]
    return volumes + [v for v in current if v.get("name") not in names]


def identity_matches(sts: dict, pod: dict) -> bool:
    """identityMatches: name, namespace and the pod-name label are the set's."""
    parent, ordinal_ = parent_and_ordinal(pod)
    labels = pod["metadata"].get("labels") or {}
    return (
        ordinal_ >= 0
        and parent == sts["metadata"]["name"]
        and pod["metadata"].get("namespace") == sts["metadata"]["namespace"]
        and labels.get(POD_NAME_LABEL) == pod["metadata"]["name"]
    )


def storage_matches(sts: dict, pod: dict) -> bool:
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    for template, claim in claims_for(sts, ordinal(pod)):
        volume = volumes.get(template)
        if volume is None or (volume.get("persistentVolumeClaim") or {}).get("claimName") != claim["metadata"]["name"]:
            return False
    return True


def revision_of(pod: dict) -> str:
    return (pod["metadata"].get("labels") or {}).get(REVISION_HASH, "")


def phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase", "")


def is_created(pod: dict) -> bool:
    return bool(phase(pod))


def is_terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


# -- persistentVolumeClaimRetentionPolicy (stateful_set_utils.go, updateClaimOwnerRefForSetAndPod) --------
def retention(sts: dict) -> tuple[str, str]:
    policy = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenDeleted") or "Retain", policy.get("whenScaled") or "Retain"


def claim_owners(sts: dict, pod: dict) -> list[dict]:
    """The owner references the policy wants on a pod's claims: the set (whenDeleted: Delete) while the pod
    is in range, the pod (whenScaled: Delete) once it is scaled away. The garbage collector then deletes
    the claim with its owner."""
    when_deleted, when_scaled = retention(sts)
    scaled_down = not in_range(sts, pod)
    if when_scaled == "Delete" and scaled_down:
        return [{"apiVersion": "v1", "kind": "Pod", "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}]
    if when_deleted == "Delete":
        return [
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "name": sts["metadata"]["name"],
                "uid": sts["metadata"]["uid"],
            }
        ]
    return []


def with_claim_owners(claim: dict, sts: dict, pod: dict) -> list[dict] | None:
    """The claim's ownerReferences with the set and pod references as the policy wants them; None if unchanged."""
    ours = {sts["metadata"]["uid"], pod["metadata"].get("uid")}
    current = claim["metadata"].get("ownerReferences") or []
    wanted = [ref for ref in current if ref.get("uid") not in ours] + claim_owners(sts, pod)
    return None if wanted == current else wanted
