"""kubectl's describers for Jobs, CronJobs, DaemonSets and StatefulSets (pkg/describe/describe.go, v1.32).

Each writes upstream's lines in upstream's order: describeJob (parallelism,
completions, start and completion times, pod statuses with the ready count,
completed indexes), describeCronJob (schedule, policies, history limits, the
job template, last schedule time and active jobs), describeDaemonSet (the
node counts and pod phases) and describeStatefulSet (replicas, update
strategy and partition, pod phases, the pod template and the volume claim
templates), each followed by the object's Events.
"""

from __future__ import annotations

from cluster import clock
from cluster.apiserver.printing import format_labels, selector_string, short_human_duration
from cluster.kubectl.cli import Context
from cluster.kubectl.describe_format import (
    PrefixWriter,
    annotations_multiline,
    describe_events,
    describe_pod_template,
    events_for,
    labels_multiline,
    rfc1123z,
)
from cluster.kubectl.describe_workloads import controlled_by, owned


def _events(ctx: Context, obj: dict, w: PrefixWriter, show: bool) -> None:
    if show:
        describe_events(w, events_for(ctx.api, obj), ctx.api.now())


def _header(w: PrefixWriter, obj: dict) -> None:
    w.write(0, f"Name:\t{obj['metadata']['name']}\n")
    w.write(0, f"Namespace:\t{obj['metadata'].get('namespace', '')}\n")


def pod_phases(ctx: Context, owner: dict) -> str:
    """getPodStatusForController: `N Running / N Waiting / N Succeeded / N Failed`."""
    phases = [(p.get("status") or {}).get("phase") for p in owned(ctx, "pods", owner)]
    return (
        f"{phases.count('Running')} Running / {phases.count('Pending')} Waiting / "
        f"{phases.count('Succeeded')} Succeeded / {phases.count('Failed')} Failed"
    )


def _bool_ptr(value: object) -> str:
    return "<unset>" if value is None else ("True" if value else "False")


# -- Job -----------------------------------------------------------------------
def describe_job(ctx: Context, job: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = job["metadata"], job.get("spec") or {}, job.get("status") or {}
    _header(w, job)
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if controlled_by(job):
        w.write(0, f"Controlled By:\t{controlled_by(job)}\n")
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{spec['parallelism']}\n")
    w.write(0, f"Completions:\t{spec['completions'] if spec.get('completions') is not None else '<unset>'}\n")
    if spec.get("completionMode"):
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{'true' if spec['suspend'] else 'false'}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{spec['backoffLimit']}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{spec['ttlSecondsAfterFinished']}\n")
    _job_times(w, status)
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    counts = f"{status.get('active', 0)} Active"
    if status.get("ready") is not None:
        counts += f" ({status['ready']} Ready)"
    w.write(
        0, f"Pods Statuses:\t{counts} / {status.get('succeeded', 0)} Succeeded / {status.get('failed', 0)} Failed\n"
    )
    if spec.get("completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{cap_indexes(status.get('completedIndexes') or '', 50)}\n")
    describe_pod_template(w, spec.get("template"))
    _events(ctx, job, w, show_events)


def _job_times(w: PrefixWriter, status: dict) -> None:
    start, done = status.get("startTime"), status.get("completionTime")
    if start:
        w.write(0, f"Start Time:\t{rfc1123z(start)}\n")
    if done:
        w.write(0, f"Completed At:\t{rfc1123z(done)}\n")
    if start and done:
        seconds = int((clock.parse_rfc3339(done) - clock.parse_rfc3339(start)).total_seconds())
        w.write(0, f"Duration:\t{short_human_duration(seconds)}\n")


def cap_indexes(indexes: str, soft_limit: int) -> str:
    """capIndexesListOrNone: the list up to the first comma past the soft limit, then `...`."""
    if not indexes:
        return "<none>"
    cut = indexes.find(",", soft_limit)
    return indexes if cut < 0 else indexes[: cut + 1] + "..."


# -- CronJob -------------------------------------------------------------------
def describe_cronjob(ctx: Context, cronjob: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = cronjob["metadata"], cronjob.get("spec") or {}, cronjob.get("status") or {}
    _header(w, cronjob)
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Schedule:\t{spec.get('schedule', '')}\n")
    w.write(0, f"Concurrency Policy:\t{spec.get('concurrencyPolicy', '')}\n")
    w.write(0, f"Suspend:\t{_bool_ptr(spec.get('suspend'))}\n")
    for key, title in (
        ("successfulJobsHistoryLimit", "Successful Job History Limit"),
        ("failedJobsHistoryLimit", "Failed Job History Limit"),
    ):
        w.write(0, f"{title}:\t{spec[key] if spec.get(key) is not None else '<unset>'}\n")
    deadline = spec.get("startingDeadlineSeconds")
    w.write(0, f"Starting Deadline Seconds:\t{f'{deadline}s' if deadline is not None else '<unset>'}\n")
    _job_template(w, (spec.get("jobTemplate") or {}).get("spec") or {})
    last = status.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{rfc1123z(last) if last else '<unset>'}\n")
    active = [ref.get("name", "") for ref in status.get("active") or []]
    w.write(0, f"Active Jobs:\t{', '.join(active) if active else '<none>'}\n")
    _events(ctx, cronjob, w, show_events)


def _job_template(w: PrefixWriter, spec: dict) -> None:
    """describeJobTemplate."""
    selector = spec.get("selector")
    w.write(0, f"Selector:\t{selector_string(selector) if selector is not None else '<unset>'}\n")
    for key, title in (("parallelism", "Parallelism"), ("completions", "Completions")):
        w.write(0, f"{title}:\t{spec[key] if spec.get(key) is not None else '<unset>'}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    describe_pod_template(w, spec.get("template"))


# -- DaemonSet -------------------------------------------------------------------
def describe_daemonset(ctx: Context, ds: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = ds["metadata"], ds.get("spec") or {}, ds.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    w.write(0, f"Node-Selector:\t{format_labels(node_selector)}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    for title, key in (
        ("Desired Number of Nodes Scheduled", "desiredNumberScheduled"),
        ("Current Number of Nodes Scheduled", "currentNumberScheduled"),
        ("Number of Nodes Scheduled with Up-to-date Pods", "updatedNumberScheduled"),
        ("Number of Nodes Scheduled with Available Pods", "numberAvailable"),
        ("Number of Nodes Misscheduled", "numberMisscheduled"),
    ):
        w.write(0, f"{title}: {status.get(key, 0)}\n")
    w.write(0, f"Pods Status:\t{pod_phases(ctx, ds)}\n")
    describe_pod_template(w, spec.get("template"))
    _events(ctx, ds, w, show_events)


# -- StatefulSet -------------------------------------------------------------------
def describe_statefulset(ctx: Context, sts: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = sts["metadata"], sts.get("spec") or {}, sts.get("status") or {}
    _header(w, sts)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Replicas:\t{spec.get('replicas', 1)} desired | {status.get('replicas', 0)} total\n")
    strategy = spec.get("updateStrategy") or {}
    w.write(0, f"Update Strategy:\t{strategy.get('type', '')}\n")
    rolling = strategy.get("rollingUpdate")
    if rolling is not None and rolling.get("partition") is not None:
        w.write(1, f"Partition:\t{rolling['partition']}\n")
        if rolling.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{rolling['maxUnavailable']}\n")
    w.write(0, f"Pods Status:\t{pod_phases(ctx, sts)}\n")
    describe_pod_template(w, spec.get("template"))
    _claim_templates(w, spec.get("volumeClaimTemplates") or [])
    _events(ctx, sts, w, show_events)


def _claim_templates(w: PrefixWriter, templates: list[dict]) -> None:
    """describeVolumeClaimTemplates."""
    if not templates:
        w.write(0, "Volume Claims:\t<none>\n")
        return
    w.write(0, "Volume Claims:\n")
    for claim in templates:
        meta, spec = claim.get("metadata") or {}, claim.get("spec") or {}
        w.write(1, f"Name:\t{meta.get('name', '')}\n")
        w.write(1, f"StorageClass:\t{spec.get('storageClassName') or ''}\n")
        labels_multiline(w, "Labels", meta.get("labels"), indent="  ")
        labels_multiline(w, "Annotations", meta.get("annotations"), indent="  ")
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        w.write(1, f"Capacity:\t{storage if storage is not None else '<default>'}\n")
        w.write(1, f"Access Modes:\t[{' '.join(spec.get('accessModes') or [])}]\n")


CONTROLLER_DESCRIBERS = {
    "Job": describe_job,
    "CronJob": describe_cronjob,
    "DaemonSet": describe_daemonset,
    "StatefulSet": describe_statefulset,
}
