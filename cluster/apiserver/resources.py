"""The API resources kubeclass serves: kube-apiserver's REST mapping.

Each entry says what discovery advertises for one resource (group, version,
kind, plural, short names, categories, verbs, subresources) and where its
objects live in etcd. The etcd prefixes are upstream's own, including the
historical ones (`/registry/minions/` for Nodes, `/registry/services/specs/`).

A resource served in several versions of one group (HorizontalPodAutoscaler
as autoscaling/v2 and v1) has one entry per version sharing one etcd prefix;
the first entry is the group's preferred version, the one kubectl picks for a
name (`hpa`) and `get all` lists.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from cluster.apiserver.errors import StatusError

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    etcd_prefix: str
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """`deployments.apps`, `pods`: how kube-apiserver names a resource in errors."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def schema_name(self) -> str:
        return SCHEMA_PACKAGES[self.group] + f".{self.version}.{self.kind}"

    def key(self, namespace: str, name: str) -> str:
        return f"{self.etcd_prefix}{namespace}/{name}" if self.namespaced else f"{self.etcd_prefix}{name}"


SCHEMA_PACKAGES = {
    "": "io.k8s.api.core",
    "apps": "io.k8s.api.apps",
    "autoscaling": "io.k8s.api.autoscaling",
    "batch": "io.k8s.api.batch",
    "coordination.k8s.io": "io.k8s.api.coordination",
    "discovery.k8s.io": "io.k8s.api.discovery",
    "events.k8s.io": "io.k8s.api.events",
    "policy": "io.k8s.api.policy",
    "scheduling.k8s.io": "io.k8s.api.scheduling",
    "storage.k8s.io": "io.k8s.api.storage",
}

_R = ResourceType
RESOURCES: tuple[ResourceType, ...] = (
    _R(
        "",
        "v1",
        "Namespace",
        "namespaces",
        "namespace",
        False,
        "/registry/namespaces/",
        ("ns",),
        subresources=("status", "finalize"),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    _R("", "v1", "Node", "nodes", "node", False, "/registry/minions/", ("no",), subresources=("status",)),
    _R(
        "",
        "v1",
        "Pod",
        "pods",
        "pod",
        True,
        "/registry/pods/",
        ("po",),
        ("all",),
        subresources=("binding", "status", "log", "exec", "eviction", "ephemeralcontainers"),
    ),
    _R(
        "",
        "v1",
        "Service",
        "services",
        "service",
        True,
        "/registry/services/specs/",
        ("svc",),
        ("all",),
        subresources=("status",),
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
    ),
    _R("", "v1", "Endpoints", "endpoints", "endpoints", True, "/registry/services/endpoints/", ("ep",)),
    _R("", "v1", "ConfigMap", "configmaps", "configmap", True, "/registry/configmaps/", ("cm",)),
    _R("", "v1", "Secret", "secrets", "secret", True, "/registry/secrets/"),
    _R(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        "persistentvolume",
        False,
        "/registry/persistentvolumes/",
        ("pv",),
        subresources=("status",),
    ),
    _R(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        True,
        "/registry/persistentvolumeclaims/",
        ("pvc",),
        subresources=("status",),
    ),
    _R("", "v1", "Event", "events", "event", True, "/registry/events/", ("ev",)),
    _R(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        "resourcequota",
        True,
        "/registry/resourcequotas/",
        ("quota",),
        subresources=("status",),
    ),
    _R("", "v1", "LimitRange", "limitranges", "limitrange", True, "/registry/limitranges/", ("limits",)),
    _R(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        True,
        "/registry/serviceaccounts/",
        ("sa",),
        subresources=("token",),
    ),
    _R(
        "apps",
        "v1",
        "ControllerRevision",
        "controllerrevisions",
        "controllerrevision",
        True,
        "/registry/controllerrevisions/",
    ),
    _R(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        "daemonset",
        True,
        "/registry/daemonsets/",
        ("ds",),
        ("all",),
        subresources=("status",),
    ),
    _R(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "deployment",
        True,
        "/registry/deployments/",
        ("deploy",),
        ("all",),
        subresources=("scale", "status"),
    ),
    _R(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        "replicaset",
        True,
        "/registry/replicasets/",
        ("rs",),
        ("all",),
        subresources=("scale", "status"),
    ),
    _R(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        "statefulset",
        True,
        "/registry/statefulsets/",
        ("sts",),
        ("all",),
        subresources=("scale", "status"),
    ),
    _R(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        True,
        "/registry/horizontalpodautoscalers/",
        ("hpa",),
        ("all",),
        subresources=("status",),
    ),
    _R(
        "autoscaling",
        "v1",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        True,
        "/registry/horizontalpodautoscalers/",
        ("hpa",),
        ("all",),
        subresources=("status",),
    ),
    _R(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        "cronjob",
        True,
        "/registry/cronjobs/",
        ("cj",),
        ("all",),
        subresources=("status",),
    ),
    _R("batch", "v1", "Job", "jobs", "job", True, "/registry/jobs/", (), ("all",), subresources=("status",)),
    _R("coordination.k8s.io", "v1", "Lease", "leases", "lease", True, "/registry/leases/"),
    _R("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", True, "/registry/endpointslices/"),
    _R("events.k8s.io", "v1", "Event", "events", "event", True, "/registry/events/", ("ev",)),
    _R(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        True,
        "/registry/poddisruptionbudgets/",
        ("pdb",),
        subresources=("status",),
    ),
    _R(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        "storageclass",
        False,
        "/registry/storageclasses/",
        ("sc",),
    ),
    _R(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        "priorityclass",
        False,
        "/registry/priorityclasses/",
        ("pc",),
    ),
)

SUPPORTED_KINDS_HINT = (
    "kubeclass serves Namespace, Node, Pod, Service, Endpoints, ConfigMap, Secret, ServiceAccount, PersistentVolume, "
    "PersistentVolumeClaim, Event (v1), Deployment, ReplicaSet, DaemonSet, StatefulSet, ControllerRevision "
    "(apps/v1), HorizontalPodAutoscaler (autoscaling/v2, v1), Job, CronJob (batch/v1), Lease "
    "(coordination.k8s.io/v1), EndpointSlice (discovery.k8s.io/v1), PodDisruptionBudget (policy/v1), "
    "Event (events.k8s.io/v1), StorageClass (storage.k8s.io/v1) and PriorityClass (scheduling.k8s.io/v1)"
)

# The order kube-apiserver lists its groups in discovery (legacy core first).
GROUP_ORDER = (
    "",
    "apps",
    "events.k8s.io",
    "autoscaling",
    "batch",
    "policy",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
)


def _preferred(resources: tuple[ResourceType, ...]) -> tuple[ResourceType, ...]:
    """The first entry of each group and plural: what discovery names the preferred version."""
    seen: set[tuple[str, str]] = set()
    picked = []
    for r in resources:
        if (r.group, r.plural) not in seen:
            seen.add((r.group, r.plural))
            picked.append(r)
    return tuple(picked)


PREFERRED: tuple[ResourceType, ...] = _preferred(RESOURCES)

_BY_GVR = {(r.group, r.version, r.plural): r for r in RESOURCES}
_BY_GVK = {(r.group, r.version, r.kind): r for r in RESOURCES}


def by_gvr(group: str, version: str, plural: str) -> ResourceType:
    try:
        return _BY_GVR[(group, version, plural)]
    except KeyError:
        raise StatusError.not_found_resource(group, version, plural) from None


def by_kind(api_version: str, kind: str) -> ResourceType:
    group, _, version = api_version.rpartition("/")
    try:
        return _BY_GVK[(group, version, kind)]
    except KeyError:
        raise StatusError.no_kind_match(kind, api_version, SUPPORTED_KINDS_HINT) from None


@functools.lru_cache(maxsize=256)  # components name their resources on every request
def lookup(name: str) -> ResourceType:
    """Resolve what a user types (`po`, `deploy`, `deployments.apps`, `Pod`) as kubectl does."""
    wanted = name.lower()
    plural, _, group = wanted.partition(".")
    for r in RESOURCES:  # the preferred version comes first, so it wins unless the version is named
        versioned = group.startswith(r.version + ".") and r.group == group[len(r.version) + 1 :]
        if group and r.group != group and not versioned:
            continue
        if plural in (r.plural, r.singular, r.kind.lower()) or plural in r.short_names:
            return r
    raise StatusError(404, "NotFound", f'the server doesn\'t have a resource type "{name}"')


def groups() -> dict[str, list[ResourceType]]:
    grouped: dict[str, list[ResourceType]] = {g: [] for g in GROUP_ORDER}
    for r in RESOURCES:
        grouped[r.group].append(r)
    return grouped


def is_preferred(rt: ResourceType) -> bool:
    return rt in PREFERRED


def in_category(category: str) -> list[ResourceType]:
    return [r for r in PREFERRED if category in r.categories and not r.group.endswith("k8s.io")]
