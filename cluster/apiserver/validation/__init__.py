"""Validation (upstream's pkg/apis/<group>/validation and apimachinery's decoding checks).

Two stages, as in kube-apiserver:
- `check_schema`: what the JSON decoder rejects (unknown fields, wrong types): 400 BadRequest;
- `validate`: the kind's validation functions, returning field errors that the
  strategy raises as one 422 Invalid whose message lists them all.

The warnings of a fieldValidation=Warn request are returned by `check_schema`
and also collected in `warnings` (a context variable), so the HTTP layer can
send them as `Warning: 299 - "unknown field ..."` headers without new plumbing.
"""

from __future__ import annotations

import contextvars

from cluster.apiserver.resources import ResourceType
from cluster.apiserver.validation import (
    apps,
    apps_workloads,
    batch,
    core,
    ephemeral,
    meta,
    other,
    pod,
    policy,
    scheduling,
    schema,
)

warnings: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("validation_warnings", default=None)

_VALIDATORS = {
    "Pod": pod.validate_pod,
    "Deployment": apps.validate_deployment,
    "ReplicaSet": apps.validate_replica_set,
    "Service": core.validate_service,
    "ConfigMap": core.validate_config_map,
    "Secret": core.validate_secret,
    "PersistentVolumeClaim": core.validate_pvc,
    "PersistentVolume": core.validate_pv,
    "Namespace": core.validate_namespace,
    "Node": core.validate_node,
    "Endpoints": core.validate_endpoints,
    "Event": other.validate_event,
    "StorageClass": other.validate_storage_class,
    "PriorityClass": scheduling.validate_priority_class,
    "HorizontalPodAutoscaler": other.validate_hpa,
    "Lease": other.validate_lease,
    "EndpointSlice": other.validate_endpoint_slice,
    "Job": batch.validate_job,
    "CronJob": batch.validate_cronjob,
    "PodDisruptionBudget": policy.validate_pdb,
    **apps_workloads.VALIDATORS,
}
meta.NAME_FUNCS["StatefulSet"] = apps_workloads.statefulset_name


def check_schema(rt: ResourceType, obj: dict, field_validation: str) -> list[str]:
    """Reject what kube-apiserver's decoder rejects; return the warnings of a Warn request.

    Strict: unknown fields are a 400. Warn: they are returned (and collected in
    `warnings`). Ignore: they are dropped silently. Wrong types are a 400 always.
    """
    found = schema.check(rt, obj)
    result = schema.raise_for(rt, found, field_validation)
    if result:
        collected = warnings.get()
        if collected is not None:
            collected.extend(result)
    return result


def validate(rt: ResourceType, obj: dict, old: dict | None, spec: bool = True) -> list[dict]:
    """Every field error of the object (and of the change, when `old` is given).

    With `spec` false only the metadata is checked (a status update)."""
    errs = meta.validate_object_meta(rt, obj.get("metadata") or {})
    if old is not None:
        errs += meta.validate_object_meta_update(obj.get("metadata") or {}, old.get("metadata") or {})
    validator = _VALIDATORS.get(rt.kind) if spec else None
    if validator is not None:
        errs += validator(obj, old)
    return errs


def validate_ephemeral_update(rt: ResourceType, new: dict, old: dict) -> list[dict]:
    """ValidatePodEphemeralContainersUpdate: the metadata and its change, the new Pod's spec, and the ephemeral
    containers' own rule (added, never changed or removed)."""
    errs = meta.validate_object_meta(rt, new.get("metadata") or {})
    errs += meta.validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    errs += pod.validate_pod_spec(new.get("spec") or {}, "spec")
    return errs + ephemeral.validate_update(new, old)
