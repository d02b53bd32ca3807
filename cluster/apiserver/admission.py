"""Admission (kube-apiserver's built-in admission plugins, in upstream's order).

- NamespaceLifecycle: objects can only be created in a namespace that exists
  and is not terminating; the system namespaces cannot be deleted. Like
  upstream's plugin, a client that keeps a namespace informer (the control
  loops, cluster/reconciler/driver.py) is checked against it, and a namespace
  it does not have is looked up in the store.
- ServiceAccount (plugin/pkg/admission/serviceaccount, cluster/apiserver/serviceaccount.py):
  a Pod without serviceAccountName runs as "default"; the account must exist;
  unless automountServiceAccountToken is false every container mounts the
  projected `kube-api-access-<5 letters>` volume (token, kube-root-ca.crt's
  ca.crt, the namespace) at /var/run/secrets/kubernetes.io/serviceaccount.
  Mirror pods are left alone, and may not name an account or secrets.
- Priority (cluster/apiserver/priorityclasses.py): a Pod gets spec.priority and
  preemptionPolicy from the PriorityClass it names, or from the global default
  class (whose name it then takes); with neither, 0 and PreemptLowerPriority. A
  second global default class is refused, and the system classes cannot be deleted.
- DefaultTolerationSeconds: Pods tolerate node.kubernetes.io/not-ready and
  unreachable (NoExecute) for 300 s unless they say otherwise.
- DefaultStorageClass: a PVC that names no class gets the default one.
- LimitRanger (cluster/apiserver/limitranger.py): the namespace's LimitRange
  defaults on containers (with the `kubernetes.io/limit-ranger` annotation)
  here; its bounds on containers, pods and claims in the validating phase.
  A Pod reaches it already defaulted as the decoder leaves it: a container with
  only a limit requests that limit (SetDefaults_Pod, `defaults.pod_resources`).
- The validating phase, after the object's own validation and once the name is
  generated, in upstream's plugin order: LimitRanger's min/max, then
  ResourceQuota (cluster/apiserver/quota.py) last, so a LimitRange's defaults
  are what the quota counts and requires.
Service updates also keep their allocated clusterIP and nodePorts here (the
Service REST storage does this upstream before validation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster.apiserver import defaults, ipam, limitranger, priorityclasses, quota, serviceaccount
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
DEFAULT_TOLERATION_SECONDS = 300
NOT_READY_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def admit_create(api: APIServer, rt: ResourceType, obj: dict) -> None:
    _namespace_lifecycle(api, rt, obj)
    if rt.kind == "Pod" and isinstance(obj.get("spec"), dict):
        defaults.pod_resources(obj["spec"])  # the decoder's SetDefaults_Pod, which precedes every plugin
    limitranger.admit(api, rt, obj)
    if rt.kind == "Pod" and isinstance(obj.get("spec"), dict):
        serviceaccount.admit(api, obj)
        _priority(api, obj)
        _default_toleration_seconds(obj["spec"])
    if rt.kind == "PersistentVolumeClaim" and isinstance(obj.get("spec"), dict):
        _default_storage_class(api, obj)


def _namespace_lifecycle(api: APIServer, rt: ResourceType, obj: dict) -> None:
    if not rt.namespaced:
        return
    namespace = obj["metadata"]["namespace"]
    # As upstream's plugin: the namespace informer's copy when there is one, else a live lookup.
    cache = api.hooks.namespace_cache
    ns = cache(namespace) if cache is not None else None
    if ns is None:
        kv = api.store.get(f"/registry/namespaces/{namespace}")
        ns = None if kv is None else kv.value
    if ns is None:
        raise StatusError(
            404, "NotFound", f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"}
        )
    if ns.get("metadata", {}).get("deletionTimestamp") and rt.kind != "Event":
        raise StatusError(
            403,
            "Forbidden",
            f'{rt.plural} "{obj["metadata"].get("name") or obj["metadata"].get("generateName", "")}" '
            f"is forbidden: unable to create new content in namespace {namespace} because it is "
            "being terminated",
            {"name": obj["metadata"].get("name", ""), "kind": rt.plural},
        )


def _priority(api: APIServer, obj: dict) -> None:
    spec = obj["spec"]
    pod = obj["metadata"].get("name") or obj["metadata"].get("generateName", "")
    name = spec.get("priorityClassName") or ""
    if name:
        found = priorityclasses.lookup(api, name)
        if found is None:
            raise StatusError.forbidden_object("pods", "", pod, f"no PriorityClass with name {name} was found")
    else:
        found = priorityclasses.global_default(api)
        if found is not None:
            spec["priorityClassName"] = found["metadata"]["name"]
    priority = found.get("value", 0) if found is not None else 0
    policy = (found or {}).get("preemptionPolicy") or "PreemptLowerPriority"
    if spec.get("priority") is not None and spec["priority"] != priority:
        raise StatusError.forbidden_object(
            "pods",
            "",
            pod,
            f"the integer value of priority ({spec['priority']}) must not be provided in pod spec; "
            f"priority admission controller computed {priority} from the given PriorityClass name",
        )
    if spec.get("preemptionPolicy") is not None and spec["preemptionPolicy"] != policy:
        raise StatusError.forbidden_object(
            "pods",
            "",
            pod,
            f"the string value of PreemptionPolicy ({spec['preemptionPolicy']}) must not be provided in pod spec; "
            f"priority admission controller computed {policy} from the given PriorityClass name",
        )
    spec["priority"] = priority
    spec["preemptionPolicy"] = policy


def _tolerates(tolerations: list, key: str) -> bool:
    for tol in tolerations:
        if not isinstance(tol, dict):
            continue
        key_ok = tol.get("key") == key or (not tol.get("key") and tol.get("operator") == "Exists")
        if key_ok and tol.get("effect") in (None, "", "NoExecute"):
            return True
    return False


def _default_toleration_seconds(spec: dict) -> None:
    tolerations = spec.get("tolerations")
    if not isinstance(tolerations, list):
        tolerations = []
    for key in NOT_READY_TAINTS:
        if not _tolerates(tolerations, key):
            tolerations.append(
                {
                    "key": key,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
                }
            )
    spec["tolerations"] = tolerations


def _default_storage_class(api: APIServer, obj: dict) -> None:
    spec = obj["spec"]
    if "storageClassName" in spec and spec["storageClassName"] is not None:
        return
    if (obj["metadata"].get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class"):
        return
    defaults = [
        sc
        for sc in api.list("storageclasses")["items"]
        if (sc["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
    ]
    if defaults:
        # Several defaults: upstream picks the newest (then the name, for a stable choice).
        newest = max(defaults, key=lambda sc: (sc["metadata"].get("creationTimestamp", ""), sc["metadata"]["name"]))
        spec["storageClassName"] = newest["metadata"]["name"]


def validate_create(api: APIServer, rt: ResourceType, obj: dict) -> None:
    """The validating admission phase, after the name is known: LimitRanger, then ResourceQuota last, as upstream."""
    limitranger.validate(api, rt, obj)
    if rt.kind == "PriorityClass":
        priorityclasses.admit(api, obj, None)
    quota.admit(api, rt, obj)


def admit_update(api: APIServer, rt: ResourceType, new: dict, old: dict, subresource: str) -> None:
    if rt.kind == "Service" and subresource not in ("status",):
        ipam.carry_over(new, old)
    if rt.kind == "PriorityClass":
        priorityclasses.admit(api, new, old)


def admit_delete(api: APIServer, rt: ResourceType, obj: dict) -> None:
    name = obj["metadata"]["name"]
    if rt.kind == "PriorityClass":
        priorityclasses.refuse_system_delete(name)
    if rt.kind == "Namespace" and name in IMMORTAL_NAMESPACES:
        raise StatusError.forbidden_object("namespaces", "", name, "this namespace may not be deleted")
