"""Server-side printing of Job, CronJob, DaemonSet, StatefulSet and ControllerRevision.

Mirrors printJob, printCronJob, printDaemonSet, printStatefulSet and
printControllerRevision in pkg/printers/internalversion/printers.go (v1.32):
`kubectl get jobs` shows NAME STATUS COMPLETIONS DURATION AGE, cronjobs NAME
SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE, daemonsets NAME DESIRED
CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE, statefulsets NAME
READY AGE, controllerrevisions NAME CONTROLLER REVISION AGE; `-o wide` adds
the containers, images and (except StatefulSets) the selector. Column
descriptions are the API's field documentation, as upstream takes them from
SwaggerDoc().
"""

from __future__ import annotations

import datetime as dt
import functools

from cluster import clock
from cluster.apiserver.printing import (
    CONTAINERS_DOC,
    IMAGES_DOC,
    age,
    age_column,
    column,
    container_cells,
    format_label_selector,
    format_labels,
    human_duration,
    name_column,
    short_human_duration,
)
from cluster.apiserver.schemas import definitions


@functools.cache
def doc(definition: str, field: str) -> str:
    """SwaggerDoc()[field]: the field's description in the API's schema."""
    props = definitions().get(definition, {}).get("properties", {})
    return (props.get(field) or {}).get("description", "")


def _wide(containers_source: list[dict] | None, selector: dict | None = None, with_selector: bool = True) -> list:
    names, images = container_cells(containers_source)
    return [names, images, format_label_selector(selector)] if with_selector else [names, images]


def _pod_containers(template: dict | None) -> list[dict]:
    return (((template or {}).get("spec") or {}).get("containers")) or []


def _wide_columns(selector_doc: str | None) -> list[dict]:
    columns = [column("Containers", CONTAINERS_DOC, priority=1), column("Images", IMAGES_DOC, priority=1)]
    if selector_doc is not None:
        columns.append(column("Selector", selector_doc, priority=1))
    return columns


# -- Job ---------------------------------------------------------------------------
JOB_COLUMNS = [
    name_column(),
    column("Status", "Status of the job."),
    column("Completions", doc("io.k8s.api.batch.v1.JobStatus", "succeeded")),
    column("Duration", "Time required to complete the job."),
    age_column(),
    *_wide_columns(doc("io.k8s.api.batch.v1.JobSpec", "selector")),
]


def job_condition(job: dict, type_: str) -> bool:
    return any(
        c.get("type") == type_ and c.get("status") == "True" for c in (job.get("status") or {}).get("conditions") or []
    )


def job_status_word(job: dict) -> str:
    """The STATUS column: Complete, Failed, Terminating, Suspended, FailureTarget or Running."""
    if job_condition(job, "Complete"):
        return "Complete"
    if job_condition(job, "Failed"):
        return "Failed"
    if job["metadata"].get("deletionTimestamp"):
        return "Terminating"
    if job_condition(job, "Suspended"):
        return "Suspended"
    if job_condition(job, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def job_completions(job: dict) -> str:
    spec, succeeded = job.get("spec") or {}, (job.get("status") or {}).get("succeeded", 0)
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = spec.get("parallelism") or 0
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def job_duration(job: dict, now: dt.datetime) -> str:
    status = job.get("status") or {}
    if not status.get("startTime"):
        return ""
    start = clock.parse_rfc3339(status["startTime"])
    end = clock.parse_rfc3339(status["completionTime"]) if status.get("completionTime") else now
    return short_human_duration(int((end - start).total_seconds()))


def job_row(obj: dict, now: dt.datetime) -> list:
    spec = obj.get("spec") or {}
    return [
        obj["metadata"]["name"],
        job_status_word(obj),
        job_completions(obj),
        job_duration(obj, now),
        age(obj, now),
        *_wide(_pod_containers(spec.get("template")), spec.get("selector")),
    ]


# -- CronJob -------------------------------------------------------------------------
_CRONJOB_SPEC = "io.k8s.api.batch.v1.CronJobSpec"
CRONJOB_COLUMNS = [
    name_column(),
    column("Schedule", doc(_CRONJOB_SPEC, "schedule")),
    column("Timezone", doc(_CRONJOB_SPEC, "timeZone")),
    column("Suspend", doc(_CRONJOB_SPEC, "suspend"), "boolean"),
    column("Active", doc("io.k8s.api.batch.v1.CronJobStatus", "active"), "integer"),
    column("Last Schedule", doc("io.k8s.api.batch.v1.CronJobStatus", "lastScheduleTime")),
    age_column(),
    *_wide_columns(doc("io.k8s.api.batch.v1.JobSpec", "selector")),
]


def bool_ptr(value: object) -> str:
    """printBoolPtr: True, False or <unset>."""
    return "<unset>" if value is None else ("True" if value else "False")


def cronjob_row(obj: dict, now: dt.datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    last = human_duration(now, status["lastScheduleTime"]) if status.get("lastScheduleTime") else "<none>"
    job_spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return [
        obj["metadata"]["name"],
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        bool_ptr(spec.get("suspend")),
        len(status.get("active") or []),
        last,
        age(obj, now),
        *_wide(_pod_containers(job_spec.get("template")), job_spec.get("selector")),
    ]


# -- DaemonSet -------------------------------------------------------------------------
_DS_STATUS = "io.k8s.api.apps.v1.DaemonSetStatus"
DAEMONSET_COLUMNS = [
    name_column(),
    column("Desired", doc(_DS_STATUS, "desiredNumberScheduled"), "integer"),
    column("Current", doc(_DS_STATUS, "currentNumberScheduled"), "integer"),
    column("Ready", doc(_DS_STATUS, "numberReady"), "integer"),
    column("Up-to-date", doc(_DS_STATUS, "updatedNumberScheduled"), "integer"),
    column("Available", doc(_DS_STATUS, "numberAvailable"), "integer"),
    column("Node Selector", doc("io.k8s.api.core.v1.PodSpec", "nodeSelector")),
    age_column(),
    *_wide_columns(doc("io.k8s.api.apps.v1.DaemonSetSpec", "selector")),
]


def daemonset_row(obj: dict, now: dt.datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    template = spec.get("template") or {}
    return [
        obj["metadata"]["name"],
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        format_labels((template.get("spec") or {}).get("nodeSelector")),
        age(obj, now),
        *_wide(_pod_containers(template), spec.get("selector")),
    ]


# -- StatefulSet -------------------------------------------------------------------------
STATEFULSET_COLUMNS = [
    name_column(),
    column("Ready", "Number of the pod with ready state"),
    age_column(),
    *_wide_columns(None),
]


def statefulset_row(obj: dict, now: dt.datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [
        obj["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        age(obj, now),
        *_wide(_pod_containers(spec.get("template")), with_selector=False),
    ]


# -- ControllerRevision -----------------------------------------------------------------
CONTROLLERREVISION_COLUMNS = [
    name_column(),
    column("Controller", "Controller of the object"),
    column("Revision", doc("io.k8s.api.apps.v1.ControllerRevision", "revision")),
    age_column(),
]


def controller_name(obj: dict) -> str:
    """formatResourceName(groupKind, name, withKind): `daemonset.apps/fluentd`, or <none>."""
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            group = ref.get("apiVersion", "").rpartition("/")[0]
            kind = ref.get("kind", "").lower()
            return f"{kind}.{group}/{ref.get('name')}" if group else f"{kind}/{ref.get('name')}"
    return "<none>"


def controllerrevision_row(obj: dict, now: dt.datetime) -> list:
    return [obj["metadata"]["name"], controller_name(obj), obj.get("revision", 0), age(obj, now)]


PRINTERS = {
    "Job": (JOB_COLUMNS, job_row),
    "CronJob": (CRONJOB_COLUMNS, cronjob_row),
    "DaemonSet": (DAEMONSET_COLUMNS, daemonset_row),
    "StatefulSet": (STATEFULSET_COLUMNS, statefulset_row),
    "ControllerRevision": (CONTROLLERREVISION_COLUMNS, controllerrevision_row),
}
