"""Server-side printing: meta.k8s.io/v1 Table, as kube-apiserver's printers make it.

One module serves both the HTTP Table (for a real kubectl's `get`) and
kubeclass's own `manage.py kubectl get`, so both print the same columns.
Column definitions and cells follow upstream's pkg/printers/internalversion;
the per-kind rows live in printers_pod and printers_kinds. Kinds without a
printer get kube-apiserver's default table (NAME, CREATED AT).
"""

from __future__ import annotations

import datetime as dt

from cluster.apiserver import printers_kinds as kinds
from cluster.apiserver import printers_policy as policy
from cluster.apiserver import printers_quota as quota
from cluster.apiserver import printers_scheduling as scheduling
from cluster.apiserver import printers_serviceaccount as serviceaccount
from cluster.apiserver import printers_workloads as workloads
from cluster.apiserver.printers_pod import NODE_COLUMNS, POD_COLUMNS, node_row, pod_conditions, pod_row
from cluster.apiserver.printing import Row, column, human_duration, short_human_duration  # noqa: F401
from cluster.apiserver.resources import ResourceType

PRINTERS: dict[str, tuple[list[dict], Row]] = {
    "Pod": (POD_COLUMNS, pod_row),
    "Node": (NODE_COLUMNS, node_row),
    "Namespace": (kinds.NAMESPACE_COLUMNS, kinds.namespace_row),
    "Deployment": (kinds.DEPLOYMENT_COLUMNS, kinds.deployment_row),
    "ReplicaSet": (kinds.REPLICASET_COLUMNS, kinds.replicaset_row),
    "Service": (kinds.SERVICE_COLUMNS, kinds.service_row),
    "Endpoints": (kinds.ENDPOINTS_COLUMNS, kinds.endpoints_row),
    "EndpointSlice": (kinds.ENDPOINTSLICE_COLUMNS, kinds.endpointslice_row),
    "ConfigMap": (kinds.CONFIGMAP_COLUMNS, kinds.configmap_row),
    "Secret": (kinds.SECRET_COLUMNS, kinds.secret_row),
    "PersistentVolume": (kinds.PV_COLUMNS, kinds.pv_row),
    "PersistentVolumeClaim": (kinds.PVC_COLUMNS, kinds.pvc_row),
    "StorageClass": (kinds.STORAGECLASS_COLUMNS, kinds.storageclass_row),
    "HorizontalPodAutoscaler": (kinds.HPA_COLUMNS, kinds.hpa_row),
    "Event": (kinds.EVENT_COLUMNS, kinds.event_row),
    "Lease": (kinds.LEASE_COLUMNS, kinds.lease_row),
    "PodDisruptionBudget": (policy.PDB_COLUMNS, policy.pdb_row),
    "ResourceQuota": (quota.RESOURCEQUOTA_COLUMNS, quota.resourcequota_row),
    "PriorityClass": (scheduling.PRIORITYCLASS_COLUMNS, scheduling.priorityclass_row),
    "ServiceAccount": (serviceaccount.SERVICEACCOUNT_COLUMNS, serviceaccount.serviceaccount_row),
    **workloads.PRINTERS,
}

# kube-apiserver's default table convertor, for kinds without a dedicated printer.
DEFAULT_COLUMNS = [
    column(
        "Name",
        "Name must be unique within a namespace. Is required when creating resources, although "
        "some resources may allow a client to request the generation of an appropriate name "
        "automatically. Name is primarily intended for creation idempotence and configuration "
        "definition. Cannot be updated. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
        fmt="name",
    ),
    column(
        "Created At",
        "CreationTimestamp is a timestamp representing the server time when this object was "
        "created. It is not guaranteed to be set in happens-before order across separate "
        "operations. Clients may not set this value. It is represented in RFC3339 form and "
        "is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
        "https://git.k8s.io/community/contributors/devel/sig-architecture/"
        "api-conventions.md#metadata",
        fmt="date-time",
    ),
]


def _default_row(obj: dict, now: dt.datetime) -> list:
    return [obj["metadata"]["name"], obj["metadata"].get("creationTimestamp", "")]


def columns_for(kind: str) -> list[dict]:
    return PRINTERS.get(kind, (DEFAULT_COLUMNS, _default_row))[0]


def rows_for(kind: str, items: list[dict], now: dt.datetime, include_object: str = "Metadata") -> list[dict]:
    row_of = PRINTERS.get(kind, (DEFAULT_COLUMNS, _default_row))[1]
    rows = []
    for obj in items:
        row = {"cells": row_of(obj, now), "object": _row_object(obj, include_object)}
        conditions = pod_conditions(obj) if kind == "Pod" else None
        if conditions:
            row["conditions"] = conditions
        rows.append(row)
    return rows


def table(
    rt: ResourceType, items: list[dict], now: dt.datetime, resource_version: str = "", include_object: str = "Metadata"
) -> dict:
    """A meta.k8s.io/v1 Table for `items` (objects of kind `rt.kind`)."""
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": [dict(c) for c in columns_for(rt.kind)],
        "rows": rows_for(rt.kind, items, now, include_object),
    }


def _row_object(obj: dict, include_object: str) -> dict | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
