"""What the REST strategies of Job and DaemonSet add around the store write.

- Job (pkg/registry/batch/job/strategy.go, generateSelector): unless
  `spec.manualSelector` is true, the pod template gets the labels
  `batch.kubernetes.io/controller-uid` and `controller-uid` (the Job's uid),
  `batch.kubernetes.io/job-name` and `job-name`, and the selector matches the
  uid label. Upstream does this in PrepareForCreate, which sees the uid and
  generated name; kube-apiserver here assigns those after PrepareForCreate, so
  `prepare_named` runs once they are known (cluster/apiserver/server.py).
- Job, CronJob, DaemonSet, StatefulSet, PodDisruptionBudget: a new object's status
  is its Go struct's zero value, so `status: {}` (or the counters without omitempty).
- DaemonSet (pkg/registry/apps/daemonset/strategy.go): spec.templateGeneration
  starts at 1 and grows by one with every template change. apps/v1 carries it
  in the `deprecated.daemonset.template.generation` annotation, which clients
  cannot change.
"""

from __future__ import annotations

CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
LEGACY_CONTROLLER_UID = "controller-uid"
JOB_NAME = "batch.kubernetes.io/job-name"
LEGACY_JOB_NAME = "job-name"
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


def prepare_named(kind: str, obj: dict) -> None:
    """The Job strategy's selector generation, once the name and uid are known."""
    if kind != "Job":
        return
    meta, spec = obj["metadata"], obj.get("spec")
    if not isinstance(spec, dict) or spec.get("manualSelector") is True:
        return
    template = spec.get("template")
    if not isinstance(template, dict):
        return
    labels_given = bool(meta.get("labels"))
    template_meta = template.setdefault("metadata", {})
    labels = template_meta.get("labels")
    if not isinstance(labels, dict):
        labels = template_meta["labels"] = {}
    generated = meta.get("generateName") or ""
    for key, value in (
        (LEGACY_JOB_NAME, meta["name"]),
        (JOB_NAME, meta["name"]),
        (LEGACY_CONTROLLER_UID, meta["uid"]),
        (CONTROLLER_UID, meta["uid"]),
    ):
        # A name drawn again after a collision replaces the one drawn before it.
        if key not in labels or (generated and key.endswith("job-name") and labels[key].startswith(generated)):
            labels[key] = value
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        selector = spec["selector"] = {}
    match = selector.get("matchLabels")
    if not isinstance(match, dict):
        match = selector["matchLabels"] = {}
    match.setdefault(CONTROLLER_UID, meta["uid"])
    if not labels_given:
        meta["labels"] = dict(labels)


# The status a new object is stored with: its Go struct's zero value as JSON (the fields without omitempty).
INITIAL_STATUS = {
    "Job": {},
    "CronJob": {},
    "DaemonSet": {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0},
    "StatefulSet": {"replicas": 0, "availableReplicas": 0},
    "PodDisruptionBudget": {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0},
}


def prepare_for_create(kind: str, obj: dict) -> None:
    if kind in INITIAL_STATUS:
        obj["status"] = dict(INITIAL_STATUS[kind])
    if kind == "DaemonSet":
        obj["metadata"].setdefault("annotations", {})[TEMPLATE_GENERATION] = "1"


def prepare_for_update(kind: str, new: dict, old: dict, subresource: str) -> None:
    if kind != "DaemonSet":
        return
    generation = int((old["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION) or 0)
    if subresource != "status" and (new.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template"):
        generation += 1
    annotations = new["metadata"].get("annotations")
    if not isinstance(annotations, dict):
        annotations = new["metadata"]["annotations"] = {}
    annotations[TEMPLATE_GENERATION] = str(generation)
