"""kube-controller-manager's cronjob controller (pkg/controller/cronjob/cronjob_controllerv2.go, utils.go).

Each sync of a CronJob, on the cluster's virtual clock:
1. cleanupFinishedJobs: beyond successfulJobsHistoryLimit / failedJobsHistoryLimit,
   the oldest finished Jobs are deleted (SuccessfulDelete);
2. the Jobs it owns are reconciled with status.active: a finished one leaves
   the list (SawCompletedJob), a vanished one too (MissingJob), and
   lastSuccessfulTime follows the newest completion;
3. unless suspended, the most recent unmet schedule time since
   lastScheduleTime (or creation) is found; if it is later than
   startingDeadlineSeconds allow, it is missed (MissSchedule); with
   concurrencyPolicy Forbid and a Job still active it is skipped
   (JobAlreadyActive); with Replace the active Jobs are deleted first; then
   the Job `<cronjob>-<scheduled time in minutes since the epoch>` is created
   from the job template (SuccessfulCreate), added to status.active, and
   lastScheduleTime set;
4. the CronJob is looked at again 100 ms after its next schedule time.
Schedules are parsed and stepped as robfig/cron does (cluster/cron.py);
`spec.timeZone` picks the zone, else the controller's zone, UTC.
"""

from __future__ import annotations

import copy
import datetime as dt

from cluster import clock, cron, steps
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers.base import DONE, Controller, Result, split_key
from cluster.controllers.controller_utils import controller_of, new_controller_ref
from cluster.events import NORMAL, WARNING, record
from cluster.informers import CONTROLLER_UID_INDEX

COMPONENT = "cronjob-controller"
SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
NEXT_SCHEDULE_DELTA = 0.1  # seconds after the schedule time the CronJob is synced again
MANY_MISSED = 100


def finished_condition(job: dict) -> str | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return cond["type"]
    return None


def job_name(cronjob: dict, scheduled: dt.datetime) -> str:
    """getJobName: the name is a lock, so the same scheduled time never makes two Jobs."""
    return f"{cronjob['metadata']['name']}-{int(scheduled.timestamp()) // 60}"


class CronJobController(Controller):
    name = COMPONENT
    watches = ("cronjobs", "jobs")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        meta = event.object["metadata"]
        if resource == "cronjobs":
            return [f"{meta['namespace']}/{meta['name']}"]
        ref = controller_of(event.object)
        if ref is None or ref.get("kind") != "CronJob":
            return []
        return [f"{meta['namespace']}/{ref['name']}"]

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        cronjob = self.lister.find("cronjobs", namespace, name)
        if cronjob is None:
            return DONE
        jobs = [
            j
            for j in self.lister.by_index("jobs", CONTROLLER_UID_INDEX, cronjob["metadata"]["uid"])
            if j["metadata"].get("namespace") == namespace
        ]
        requeue = CronJobSync(self.api, cronjob).run(sorted(jobs, key=lambda j: j["metadata"]["name"]))
        return Result(requeue_after=requeue)


class CronJobSync:
    def __init__(self, api: APIServer, cronjob: dict) -> None:
        self.api, self.cronjob = api, cronjob
        self.namespace = cronjob["metadata"]["namespace"]
        self.spec = cronjob.get("spec") or {}
        self.status = copy.deepcopy(cronjob.get("status") or {})
        self.now = api.now()

    def event(self, type_: str, reason: str, message: str) -> None:
        record(self.api, self.cronjob, type_, reason, message, COMPONENT)

    def run(self, jobs: list[dict]) -> float | None:
        changed = self.cleanup_finished(jobs)
        requeue, synced = self.sync(jobs)
        if changed or synced:
            self.write_status()
        return requeue

    def write_status(self) -> None:
        status = {k: v for k, v in self.status.items() if v not in (None, [])}
        if status == (self.cronjob.get("status") or {}):
            return

        def put(obj: dict) -> dict:
            obj["status"] = status
            return obj

        self.cronjob = self.api.update_with(
            "cronjobs", self.namespace, self.cronjob["metadata"]["name"], put, subresource="status"
        )

    # -- history limits ------------------------------------------------------------
    def cleanup_finished(self, jobs: list[dict]) -> bool:
        limits = {
            "Complete": self.spec.get("successfulJobsHistoryLimit"),
            "Failed": self.spec.get("failedJobsHistoryLimit"),
        }
        changed = False
        for outcome, limit in limits.items():
            if limit is None:
                continue
            finished = [j for j in jobs if finished_condition(j) == outcome]
            surplus = len(finished) - int(limit)
            for job in sorted(finished, key=_start_time)[: max(0, surplus)]:
                changed |= self.delete_job(job, "request.cronjob.history")
        return changed

    def delete_job(self, job: dict, why: str) -> bool:
        """deleteJob: delete it (its pods in the background) and forget it in status.active."""
        name = job["metadata"]["name"]
        steps.because(self.api, why)
        try:
            self.api.delete("jobs", self.namespace, name, propagation_policy="Background")
        except StatusError as err:
            if err.code != 404:
                self.event(WARNING, "FailedDelete", f"Deleted job: {err.message}")
                return False
        self.forget(job["metadata"].get("uid"))
        self.event(NORMAL, "SuccessfulDelete", f"Deleted job {name}")
        return True

    def forget(self, uid: str | None) -> None:
        self.status["active"] = [ref for ref in self.status.get("active") or [] if ref.get("uid") != uid]

    # -- syncCronJob ---------------------------------------------------------------
    def sync(self, jobs: list[dict]) -> tuple[float | None, bool]:
        changed = self.reconcile_active(jobs)
        if self.cronjob["metadata"].get("deletionTimestamp"):
            return None, changed
        zone = self.spec.get("timeZone")
        if zone is not None:
            try:
                cron.load_location(zone)
            except cron.CronError as err:
                self.event(WARNING, "UnknownTimeZone", f'invalid timeZone: "{zone}": {err}')
                return None, changed
        if self.spec.get("suspend"):
            return None, changed
        try:
            schedule = cron.parse_standard(self.spec.get("schedule", ""), self.zone())
        except cron.CronError as err:
            self.event(WARNING, "UnparseableSchedule", f'unparseable schedule: "{self.spec.get("schedule")}" : {err}')
            return None, changed
        return self.start_due_job(schedule, changed)

    def zone(self) -> dt.tzinfo:
        return cron.load_location(self.spec.get("timeZone") or "")

    def reconcile_active(self, jobs: list[dict]) -> bool:
        changed = False
        active_uids = {ref.get("uid") for ref in self.status.get("active") or []}
        for job in jobs:
            uid, outcome = job["metadata"]["uid"], finished_condition(job)
            if uid not in active_uids and outcome is None:
                self.event(
                    WARNING,
                    "UnexpectedJob",
                    f"Saw a job that the controller did not create or forgot: {job['metadata']['name']}",
                )
            elif uid in active_uids and outcome is not None:
                self.forget(uid)
                self.event(
                    NORMAL, "SawCompletedJob", f"Saw completed job: {job['metadata']['name']}, condition: {outcome}"
                )
                changed = True
            if outcome == "Complete":
                changed |= self.note_success(job)
        present = {job["metadata"]["uid"] for job in jobs}
        for ref in list(self.status.get("active") or []):
            if ref.get("uid") not in present and self.api_job_missing(ref):
                self.event(NORMAL, "MissingJob", f"Active job went missing: {ref.get('name')}")
                self.forget(ref.get("uid"))
                changed = True
        return changed

    def note_success(self, job: dict) -> bool:
        done = (job.get("status") or {}).get("completionTime")
        last = self.status.get("lastSuccessfulTime")
        if done and (last is None or clock.parse_rfc3339(done) > clock.parse_rfc3339(last)):
            self.status["lastSuccessfulTime"] = done
            return True
        return False

    def api_job_missing(self, ref: dict) -> bool:
        try:
            self.api.get("jobs", ref.get("namespace") or self.namespace, ref.get("name", ""))
        except StatusError as err:
            if err.code == 404:
                return True
            raise
        return False

    def start_due_job(self, schedule: cron.Schedule, changed: bool) -> tuple[float | None, bool]:
        try:
            scheduled = self.next_schedule_time(schedule)
        except cron.CronError as err:
            self.event(WARNING, "InvalidSchedule", f"invalid schedule: {self.spec.get('schedule')} : {err}")
            return None, changed
        if scheduled is None:
            return self.requeue_after(schedule), changed
        deadline = self.spec.get("startingDeadlineSeconds")
        if deadline is not None and scheduled + dt.timedelta(seconds=deadline) < self.now:
            stamp = scheduled.astimezone(dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
            self.event(WARNING, "MissSchedule", f"Missed scheduled time to start a job: {stamp}")
            return self.requeue_after(schedule), changed
        name = job_name(self.cronjob, scheduled)
        last = self.status.get("lastScheduleTime")
        if any(ref.get("name") == name for ref in self.status.get("active") or []) or (
            last is not None and clock.parse_rfc3339(last) == scheduled
        ):
            return self.requeue_after(schedule), changed
        if self.spec.get("concurrencyPolicy") == "Forbid" and self.status.get("active"):
            self.event(
                NORMAL,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
            )
            return self.requeue_after(schedule), changed
        if self.spec.get("concurrencyPolicy") == "Replace":
            changed |= self.replace_active()
        created = self.create_job(scheduled)
        if created is None:
            return None, changed
        self.status["active"] = (self.status.get("active") or []) + [job_reference(created)]
        self.status["lastScheduleTime"] = clock.rfc3339(scheduled)
        return self.requeue_after(schedule), True

    def replace_active(self) -> bool:
        changed = False
        for ref in list(self.status.get("active") or []):
            try:
                job = self.api.get("jobs", ref.get("namespace") or self.namespace, ref.get("name", ""))
            except StatusError as err:
                self.event(WARNING, "FailedGet", f"Get job: {err.message}")
                raise
            changed |= self.delete_job(job, "request.cronjob.replace")
        return changed

    def create_job(self, scheduled: dt.datetime) -> dict | None:
        job = job_from_template(self.cronjob, scheduled, self.zone())
        steps.because(
            self.api, "request.cronjob.create", schedule=self.spec.get("schedule", ""), time=clock.rfc3339(scheduled)
        )
        try:
            created = self.api.create("jobs", self.namespace, job)
        except StatusError as err:
            if err.code == 403 and "being terminated" in str(err.message):
                return None
            if err.reason != "AlreadyExists":
                self.event(WARNING, "FailedCreate", f"Error creating job: {err.message}")
                return None
            existing = self.api.get("jobs", self.namespace, job["metadata"]["name"])
            owner = controller_of(existing) or {}
            mine = owner.get("uid") == self.cronjob["metadata"]["uid"]
            listed = any(ref.get("uid") == existing["metadata"]["uid"] for ref in self.status.get("active") or [])
            return existing if mine and not listed else None
        self.event(NORMAL, "SuccessfulCreate", f"Created job {created['metadata']['name']}")
        return created

    # -- schedule arithmetic (utils.go) ------------------------------------------------
    def most_recent(self, schedule: cron.Schedule, with_deadline: bool) -> tuple[dt.datetime, dt.datetime | None, int]:
        """mostRecentScheduleTime: (earliest time considered, the latest due time or None, missed count)."""
        earliest = clock.parse_rfc3339(self.cronjob["metadata"]["creationTimestamp"])
        if self.status.get("lastScheduleTime"):
            earliest = clock.parse_rfc3339(self.status["lastScheduleTime"])
        deadline = self.spec.get("startingDeadlineSeconds")
        if with_deadline and deadline is not None:
            earliest = max(earliest, self.now - dt.timedelta(seconds=deadline))
        t1 = schedule.next(earliest)
        t2 = schedule.next(t1)
        if self.now < t1:
            return earliest, None, 0
        if self.now < t2:
            return earliest, t1, 0
        between = round((t2 - t1).total_seconds())
        if between < 1:
            raise cron.CronError("time difference between two schedules is less than 1 second")
        missed = int((self.now - t1).total_seconds()) // between + 1
        most_recent = None
        t = schedule.next(t1 + dt.timedelta(seconds=(missed - 2) * between))
        while t <= self.now:
            most_recent = t
            t = schedule.next(t)
        return earliest, most_recent, missed

    def next_schedule_time(self, schedule: cron.Schedule) -> dt.datetime | None:
        _earliest, most_recent, missed = self.most_recent(schedule, True)
        if most_recent is None or most_recent > self.now:
            return None
        if missed > MANY_MISSED:
            self.event(
                WARNING,
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
            )
        return most_recent

    def requeue_after(self, schedule: cron.Schedule) -> float:
        """nextScheduleTimeDuration: until just after the next schedule time."""
        try:
            earliest, most_recent, _missed = self.most_recent(schedule, False)
            base = most_recent or earliest
        except cron.CronError:
            base = self.now
        return (schedule.next(base) - self.now).total_seconds() + NEXT_SCHEDULE_DELTA


def _start_time(job: dict) -> tuple:
    """byJobStartTime: by status.startTime (unset last), then by name."""
    start = (job.get("status") or {}).get("startTime")
    return (start is None, start or "", job["metadata"]["name"])


def job_from_template(cronjob: dict, scheduled: dt.datetime, zone: dt.tzinfo) -> dict:
    """getJobFromTemplate2: the template's labels, annotations and spec, named by the schedule time."""
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    meta = template.get("metadata") or {}
    annotations = dict(meta.get("annotations") or {})
    local = scheduled.astimezone(zone)
    annotations[SCHEDULED_TIMESTAMP] = local.isoformat().replace("+00:00", "Z")
    job_meta: dict = {
        "name": job_name(cronjob, scheduled),
        "namespace": cronjob["metadata"]["namespace"],
        "annotations": annotations,
        "ownerReferences": [new_controller_ref(cronjob)],
    }
    if meta.get("labels"):
        job_meta["labels"] = dict(meta["labels"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": job_meta,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }


def job_reference(job: dict) -> dict:
    """getRef: the ObjectReference status.active holds."""
    meta = job["metadata"]
    return {
        "kind": "Job",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": "batch/v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }
