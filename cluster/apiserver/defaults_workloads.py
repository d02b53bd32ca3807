"""Defaulting of the workload kinds beyond Deployment and ReplicaSet.

Mirrors pkg/apis/batch/v1/defaults.go (SetDefaults_Job, SetDefaults_CronJob)
and pkg/apis/apps/v1/defaults.go (SetDefaults_DaemonSet,
SetDefaults_StatefulSet), with the pod template defaults every workload
shares (cluster/apiserver/defaults.py). The StatefulSetAutoDeletePVC gate is
on in 1.32 (the retention policy is defaulted); MaxUnavailableStatefulSet is
off (no rollingUpdate.maxUnavailable default).

Job labels: upstream's defaulter copies the template's labels onto a Job
without labels, and since both then share one Go map the selector labels the
Job strategy generates afterwards appear on the Job too. kubeclass does the
copy after generating the selector (cluster/apiserver/strategy_workloads.py),
which gives the same labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from cluster.apiserver.defaults import _spec, _template

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer


def _dict(parent: dict, key: str) -> dict:
    value = parent.get(key)
    if not isinstance(value, dict):
        value = parent[key] = {}
    return value


# -- batch/v1 ----------------------------------------------------------------
def job_spec(spec: dict) -> None:
    """SetDefaults_Job's spec half (also what a Job made from a CronJob gets on create)."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2**31 - 1 if spec.get("backoffLimitPerIndex") is not None else 6
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    policy = spec.get("podFailurePolicy")
    for rule in (policy.get("rules") or []) if isinstance(policy, dict) else []:
        for pattern in (rule.get("onPodConditions") or []) if isinstance(rule, dict) else []:
            if isinstance(pattern, dict) and not pattern.get("status"):
                pattern["status"] = "True"
    if not spec.get("podReplacementPolicy"):
        spec["podReplacementPolicy"] = "Failed" if policy is not None else "TerminatingOrFailed"


def _job(api: APIServer, obj: dict) -> None:
    spec = _spec(obj)
    job_spec(spec)
    _template(spec)
    meta = obj.setdefault("metadata", {})
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if meta.get("uid") and template_labels and not meta.get("labels"):
        meta["labels"] = dict(template_labels)  # on update; a create gets them in prepare_named


def _cronjob(api: APIServer, obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    template = spec.get("jobTemplate")
    if isinstance(template, dict):
        meta = _dict(template, "metadata")
        meta.setdefault("creationTimestamp", None)
        _template(_dict(template, "spec"))


# -- apps/v1 -------------------------------------------------------------------
def _daemonset(api: APIServer, obj: dict) -> None:
    spec = _spec(obj)
    strategy = _dict(spec, "updateStrategy")
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _dict(strategy, "rollingUpdate")
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    _template(spec)


def _statefulset(api: APIServer, obj: dict) -> None:
    spec = _spec(obj)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = _dict(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        _dict(strategy, "rollingUpdate")
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
        rolling.setdefault("partition", 0)
    retention = _dict(spec, "persistentVolumeClaimRetentionPolicy")
    retention.setdefault("whenDeleted", "Retain")
    retention.setdefault("whenScaled", "Retain")
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    _template(spec)
    for claim in spec.get("volumeClaimTemplates") or []:
        if isinstance(claim, dict):
            _claim_template(claim)


def _claim_template(claim: dict) -> None:
    """An embedded PersistentVolumeClaim, defaulted as one (and serialized with its TypeMeta)."""
    claim.setdefault("apiVersion", "v1")
    claim.setdefault("kind", "PersistentVolumeClaim")
    _dict(claim, "metadata").setdefault("creationTimestamp", None)
    _dict(claim, "spec").setdefault("volumeMode", "Filesystem")
    _dict(claim, "status").setdefault("phase", "Pending")


DEFAULTERS: dict[str, Callable[[APIServer, dict], None]] = {
    "Job": _job,
    "CronJob": _cronjob,
    "DaemonSet": _daemonset,
    "StatefulSet": _statefulset,
}
