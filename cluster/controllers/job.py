"""kube-controller-manager's job controller (pkg/controller/job/job_controller.go, v1.32).

A Job runs pods until `spec.completions` of them succeed (or, without
completions, until one succeeds and the rest finish), at most
`spec.parallelism` at a time. Each sync:
1. claims the pods its selector matches and counts the finished ones that
   still carry the `batch.kubernetes.io/job-tracking` finalizer: they are
   recorded in status.uncountedTerminatedPods, their finalizer is removed,
   and then they move into status.succeeded / status.failed (Indexed Jobs
   record status.completedIndexes instead);
2. decides whether the Job is finished: the podFailurePolicy's FailJob rule,
   more failures than backoffLimit (or, with restartPolicy OnFailure, as many
   container restarts), activeDeadlineSeconds passed, or enough successes.
   As in 1.32, where JobPodReplacementPolicy (beta since 1.29) and JobManagedBy
   (beta since 1.32) are on (delayTerminalCondition), a failing Job first gets
   the interim condition FailureTarget and its active pods are deleted with
   their finalizer kept, so they are counted as failed at once; a Job that met
   its completions gets SuccessCriteriaMet. Failed or Complete (with
   completionTime) and the event that goes with it (recordJobFinished) come
   only once nothing is uncounted and no pod is terminating (enactJobFinished);
3. otherwise creates or deletes pods toward min(parallelism, completions
   remaining), waiting out the failure back-off (10 s doubling per failure,
   at most 6 minutes), or deletes them all while the Job is suspended. Pods
   deleted as surplus, or because the Job is suspended, lose their tracking
   finalizer first (deleteJobPods): they count neither as succeeded nor failed.
status.ready counts the active pods that are Ready, status.terminating the
pods being deleted that have not finished (trackTerminatingPods), including
those this sync deleted; `kubectl get job` shows FailureTarget meanwhile (and,
in 1.32, Running for SuccessCriteriaMet: cluster/apiserver/printers_workloads.py).
Events are upstream's: SuccessfulCreate, SuccessfulDelete, FailedCreate,
Completed, BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy,
Suspended, Resumed.

Simplified: no backoffLimitPerIndex (FailIndex), successPolicy or managedBy;
the informer cache is current before every sync, so there are no
expectations (cluster/controllers/replicaset.py says why).
"""

from __future__ import annotations

import copy

from cluster import clock, steps
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.controllers import job_pods as jp
from cluster.controllers.base import DONE, Controller, Result, split_key
from cluster.controllers.controller_ref import claim
from cluster.controllers.controller_utils import controller_of, is_pod_ready, pods_to_delete, selector_matches
from cluster.events import NORMAL, WARNING, record

COMPONENT = "job-controller"
MAX_POD_CREATE_DELETE_PER_SYNC = 500
COMPLETIONS_REACHED = ("CompletionsReached", "Reached expected number of succeeded pods")
BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")
INTERIM = {"FailureTarget": "Failed", "SuccessCriteriaMet": "Complete"}


def condition_true(job: dict, type_: str) -> dict | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_ and cond.get("status") == "True":
            return cond
    return None


def is_job_finished(job: dict) -> bool:
    return condition_true(job, "Complete") is not None or condition_true(job, "Failed") is not None


class JobController(Controller):
    name = COMPONENT
    watches = ("jobs", "pods")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        meta = event.object["metadata"]
        namespace = meta.get("namespace", "default")
        if resource == "jobs":
            return [f"{namespace}/{meta['name']}"]
        ref = controller_of(event.object)
        if ref is not None:
            if ref.get("kind") != "Job":
                return []
            keys = [f"{namespace}/{ref['name']}"]
            if jp.has_tracking_finalizer(event.object) and self.lister.uid("jobs", namespace, ref["name"]) != ref.get(
                "uid"
            ):
                keys.append(f"pod:{namespace}/{meta['name']}")  # its Job is gone: let the pod go
            return keys
        if event.type == "DELETED":
            return []
        labels = meta.get("labels")
        return [
            f"{namespace}/{job['metadata']['name']}"
            for job in self.lister.list("jobs", namespace)
            if selector_matches((job.get("spec") or {}).get("selector"), labels)
        ]

    def reconcile(self, key: str) -> Result:
        if key.startswith("pod:"):
            return self.release_orphan(key[len("pod:") :])
        namespace, name = split_key(key)
        job = self.lister.find("jobs", namespace, name)
        if job is None:
            return DONE
        return JobSync(self.api, job, self.lister).run()

    def release_orphan(self, key: str) -> Result:
        """A pod whose Job is gone keeps no tracking finalizer (the orphan pod queue upstream)."""
        namespace, name = split_key(key)
        pod = self.lister.find("pods", namespace, name)
        if pod is None or not jp.has_tracking_finalizer(pod):
            return DONE
        ref = controller_of(pod) or {}
        job = self.lister.find("jobs", namespace, ref.get("name", ""))
        if job is None or job["metadata"]["uid"] != ref.get("uid") or is_job_finished(job):
            remove_tracking_finalizer(self.api, pod)
        return DONE


def remove_tracking_finalizer(api: APIServer, pod: dict) -> bool:
    def put(obj: dict) -> dict:
        kept = [f for f in obj["metadata"].get("finalizers") or [] if f != jp.TRACKING_FINALIZER]
        if kept:
            obj["metadata"]["finalizers"] = kept
        else:
            obj["metadata"].pop("finalizers", None)
        return obj

    steps.because(api, "request.job.finalizer", outcome=jp.phase(pod) or "Unknown")
    try:
        api.update_with("pods", pod["metadata"]["namespace"], pod["metadata"]["name"], put)
    except StatusError as err:
        if err.code != 404:
            raise
    return True


class JobSync:
    """One syncJob pass; `self.job` is the Job as read, `self.status` the status being computed."""

    def __init__(self, api: APIServer, job: dict, lister) -> None:
        self.api, self.lister, self.job = api, lister, job
        self.namespace = job["metadata"]["namespace"]
        self.spec = job.get("spec") or {}
        self.status = copy.deepcopy(job.get("status") or {})
        self.now = api.now()
        self.requeue: float | None = None
        self.finished: dict | None = None  # the condition the Job is finishing with (interim or terminal)
        self.finalizer_removed: set[str] = set()  # pods this sync took the finalizer off (expectedRmFinalizers)

    def event(self, type_: str, reason: str, message: str) -> None:
        record(self.api, self.job, type_, reason, message, COMPONENT)

    def wake_in(self, seconds: float) -> None:
        if self.requeue is None or seconds < self.requeue:
            self.requeue = max(0.0, seconds)

    def result(self) -> Result:
        return Result(requeue_after=self.requeue)

    # -- the pass ---------------------------------------------------------------------
    def run(self) -> Result:
        pods = self.claim_pods()
        if is_job_finished(self.job):
            for pod in pods:
                if jp.has_tracking_finalizer(pod):
                    remove_tracking_finalizer(self.api, pod)
            return DONE
        self.count(pods)
        if not self.status.get("startTime") and not self.suspended():
            self.status["startTime"] = clock.rfc3339(self.now)
        self.decide_failure(pods)
        if jp.is_indexed(self.job):
            self.succeeded_indexes = self.completed_indexes(pods)
            self.succeeded = len(self.succeeded_indexes)
        if self.finished is not None:
            active_pods = [p for p in pods if jp.is_active(p)]
            deleted = self.delete_pods(active_pods, keep_finalizer=True)
            if deleted != len(active_pods):
                self.finished = None  # a pod could not be deleted: not finished yet, the next sync tries again
            self.active -= deleted
        else:
            self.manage_and_check_completion(pods)
        self.status.update(active=self.active, ready=self.ready, terminating=self.terminating)
        self.track_and_flush(pods)
        return self.result()

    def suspended(self) -> bool:
        return bool(self.spec.get("suspend"))

    def claim_pods(self) -> list[dict]:
        """getPodsForJob: its pods, adopting matching orphans (while the Job is not finished or deleted)."""
        candidates = self.lister.owned_or_orphans("pods", self.namespace, self.job["metadata"]["uid"])
        return claim(self.api, self.job, "pods", candidates) if candidates else []

    def count(self, pods: list[dict]) -> None:
        """The counters syncJob starts from: active, ready, terminating, succeeded and failed so far."""
        uncounted = self.status.get("uncountedTerminatedPods") or {}
        self.uncounted_succeeded = list(uncounted.get("succeeded") or [])
        self.uncounted_failed = list(uncounted.get("failed") or [])
        seen = set(self.uncounted_succeeded) | set(self.uncounted_failed)
        fresh = [p for p in pods if jp.has_tracking_finalizer(p) and p["metadata"]["uid"] not in seen]
        new_succeeded = [p for p in fresh if jp.phase(p) == "Succeeded"]
        new_failed = [p for p in fresh if jp.phase(p) != "Succeeded" and jp.is_pod_failed(p, self.job)]
        self.succeeded = int(self.status.get("succeeded") or 0) + len(new_succeeded) + len(self.uncounted_succeeded)
        counted = sum(1 for p in new_failed if jp.match_failure_policy(self.job, p)[1])
        self.failed = int(self.status.get("failed") or 0) + counted + len(self.uncounted_failed)
        active = [p for p in pods if jp.is_active(p)]
        self.active = len(active)
        self.ready = sum(1 for p in active if is_pod_ready(p))
        self.terminating = sum(1 for p in pods if jp.is_terminating(p))
        self.succeeded_indexes = set()

    # -- finishing ----------------------------------------------------------------------
    def decide_failure(self, pods: list[dict]) -> None:
        """The FailureTarget the Job has, or earns now (failure policy, back-off limit, deadline)."""
        met = condition_true(self.job, "SuccessCriteriaMet")
        if met is not None:
            self.finished = met
            return
        target = condition_true(self.job, "FailureTarget")
        if target is not None:
            self.finished = target
            return
        for pod in pods:
            message = jp.match_failure_policy(self.job, pod)[0] if jp.is_pod_failed(pod, self.job) else None
            if message is not None:
                self.finished = jp.new_condition("FailureTarget", "True", "PodFailurePolicy", message, self.now)
                return
        if self.failed > int(self.spec.get("backoffLimit", 6)) or self.past_backoff_limit_on_failure(pods):
            self.finished = jp.new_condition("FailureTarget", "True", *BACKOFF_LIMIT_EXCEEDED, self.now)
        elif self.past_active_deadline():
            self.finished = jp.new_condition("FailureTarget", "True", *DEADLINE_EXCEEDED, self.now)
        elif self.spec.get("activeDeadlineSeconds") is not None and not self.suspended():
            self.wake_in(self.spec["activeDeadlineSeconds"] - self.seconds_active())

    def seconds_active(self) -> float:
        start = self.status.get("startTime")
        return 0.0 if not start else (self.now - clock.parse_rfc3339(start)).total_seconds()

    def past_active_deadline(self) -> bool:
        deadline = self.spec.get("activeDeadlineSeconds")
        if deadline is None or not self.status.get("startTime") or self.suspended():
            return False
        return self.seconds_active() >= deadline

    def past_backoff_limit_on_failure(self, pods: list[dict]) -> bool:
        """With restartPolicy OnFailure, container restarts count against backoffLimit."""
        template_spec = (self.spec.get("template") or {}).get("spec") or {}
        if template_spec.get("restartPolicy") != "OnFailure":
            return False
        restarts = sum(
            s.get("restartCount", 0)
            for p in pods
            if jp.phase(p) in ("Running", "Pending")
            for key in ("initContainerStatuses", "containerStatuses")
            for s in (p.get("status") or {}).get(key) or []
        )
        limit = int(self.spec.get("backoffLimit", 6))
        return restarts > 0 if limit == 0 else restarts >= limit

    def completed_indexes(self, pods: list[dict]) -> set[int]:
        """calculateSucceededIndexes: those recorded before, and those of succeeded pods since."""
        completions = int(self.spec.get("completions") or 0)
        self.previous_indexes = jp.parse_indexes(self.status.get("completedIndexes") or "", completions)
        found = {
            ix
            for p in pods
            if jp.phase(p) == "Succeeded"
            and jp.has_tracking_finalizer(p)
            and (ix := jp.completion_index(p)) is not None
            and ix < completions
        }
        return self.previous_indexes | found

    def manage_and_check_completion(self, pods: list[dict]) -> None:
        if self.job["metadata"].get("deletionTimestamp") is None:
            self.active = self.manage(pods)
            managed = True
        else:
            managed = False
        completions = self.spec.get("completions")
        complete = (self.succeeded > 0 if completions is None else self.succeeded >= completions) and self.active == 0
        if complete:
            self.finished = jp.new_condition("SuccessCriteriaMet", "True", *COMPLETIONS_REACHED, self.now)
        elif managed:
            self.suspend_condition()

    def suspend_condition(self) -> None:
        conditions = self.status.setdefault("conditions", [])
        current = next((c for c in conditions if c.get("type") == "Suspended"), None)
        if self.suspended():
            wanted = ("True", "JobSuspended", "Job suspended", "Suspended")
        elif current is not None:
            wanted = ("False", "JobResumed", "Job resumed", "Resumed")
        else:
            return
        status, reason, message, event = wanted
        if current is not None and (current.get("status"), current.get("reason")) == (status, reason):
            return
        fresh = jp.new_condition("Suspended", status, reason, message, self.now)
        self.status["conditions"] = (
            [c for c in conditions if c.get("type") != "Suspended"] + [fresh]
            if current is None
            else [fresh if c is current else c for c in conditions]
        )
        self.event(NORMAL, event, message)
        if status == "False":
            self.status["startTime"] = clock.rfc3339(self.now)  # a resumed Job's deadline starts over

    # -- creating and deleting pods ------------------------------------------------------
    def manage(self, pods: list[dict]) -> int:
        """manageJob: the number of active pods after creating or deleting toward the wanted count."""
        active_pods = [p for p in pods if jp.is_active(p)]
        active = len(active_pods)
        if self.suspended():
            return active - self.delete_pods(self.for_removal(active_pods, active))
        want = self.wanted_active(active)
        excess = self.for_removal(active_pods, max(0, active - want))[:MAX_POD_CREATE_DELETE_PER_SYNC]
        if excess:
            return active - self.delete_pods(excess)
        terminating = self.terminating if jp.only_replace_failed(self.job) else 0
        missing = min(want - terminating - active, MAX_POD_CREATE_DELETE_PER_SYNC)
        if missing <= 0:
            return active
        remaining = jp.backoff_remaining(self.job, pods, self.now)
        if remaining > 0:
            self.wake_in(remaining)
            return active
        indexes: list[int | None] = [None] * missing
        if jp.is_indexed(self.job):
            indexes = [*self.first_pending_indexes(pods, missing)]
        return active + self.create_pods(indexes, want, active)

    def wanted_active(self, active: int) -> int:
        parallelism = int(self.spec.get("parallelism") or 0)
        completions = self.spec.get("completions")
        if completions is None:
            return active if self.succeeded > 0 else parallelism
        return max(0, min(completions - self.succeeded, parallelism))

    def first_pending_indexes(self, pods: list[dict], count: int) -> list[int]:
        taken = set(self.succeeded_indexes)
        taken |= {ix for p in pods if jp.is_active(p) and (ix := jp.completion_index(p)) is not None}
        if jp.only_replace_failed(self.job):
            taken |= {ix for p in pods if jp.is_terminating(p) and (ix := jp.completion_index(p)) is not None}
        completions = int(self.spec.get("completions") or 0)
        return [ix for ix in range(completions) if ix not in taken][:count]

    def for_removal(self, active_pods: list[dict], count: int) -> list[dict]:
        """activePodsForRemoval: duplicated or out-of-range indexes first, then ActivePods' order."""
        if count <= 0:
            return []
        chosen: list[dict] = []
        rest = active_pods
        if jp.is_indexed(self.job):
            chosen, rest = self.duplicated_index_pods(active_pods)
        if len(chosen) < count:
            chosen += pods_to_delete(rest, [], count - len(chosen), self.now)
        return chosen

    def duplicated_index_pods(self, pods: list[dict]) -> tuple[list[dict], list[dict]]:
        completions = int(self.spec.get("completions") or 0)
        seen: set[int] = set()
        remove, keep = [], []
        for pod in sorted(pods, key=lambda p: (jp.completion_index(p) or -1, p["metadata"]["name"])):
            ix = jp.completion_index(pod)
            if ix is None or ix >= completions or ix in seen:
                remove.append(pod)
            else:
                seen.add(ix)
                keep.append(pod)
        return remove, keep

    def create_pods(self, indexes: list[int | None], want: int, active: int) -> int:
        """Slow-start batches (1, 2, 4, ...); a failed create stops the rest."""
        created, batch, position = 0, 1, 0
        while position < len(indexes):
            for index in indexes[position : position + batch]:
                if not self.create_pod(index, want, active + created):
                    return created
                created += 1
            position += batch
            batch *= 2
        return created

    def create_pod(self, index: int | None, want: int, active: int) -> bool:
        pod = jp.pod_from_template(self.job, index)
        if index is None:
            steps.because(self.api, "request.job.create", want=want, have=active)
        else:
            steps.because(self.api, "request.job.index", index=index)
        try:
            created = self.api.create("pods", self.namespace, pod)
        except StatusError as err:
            if not (err.code == 403 and "being terminated" in str(err.message)):
                self.event(WARNING, "FailedCreate", f"Error creating: {err.message}")
            return False
        self.event(NORMAL, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return True

    def delete_pods(self, pods: list[dict], keep_finalizer: bool = False) -> int:
        """Delete pods (gracefully); how many were deleted. Each one deleted now terminates, so it counts in
        status.terminating at once (trackTerminatingPods: JobPodReplacementPolicy and JobManagedBy are on).

        deleteJobPods (too many pods, or suspended) first takes the tracking finalizer off: such a pod is
        counted neither as succeeded nor as failed. deleteActivePods (`keep_finalizer`, the Job is finishing)
        keeps it, so the pod is counted as failed before its finalizer goes."""
        deleted = 0
        for pod in pods:
            if not keep_finalizer and jp.has_tracking_finalizer(pod):
                try:
                    remove_tracking_finalizer(self.api, pod)
                    self.finalizer_removed.add(pod["metadata"]["uid"])
                except StatusError:
                    continue  # not deleted; the next sync tries again
            try:
                self.api.delete("pods", self.namespace, pod["metadata"]["name"])
            except StatusError as err:
                if err.code != 404:
                    self.event(WARNING, "FailedDelete", f"Error deleting: {err.message}")
                    continue
            else:
                self.event(NORMAL, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
            deleted += 1
            self.ready -= 1 if is_pod_ready(pod) else 0
        self.terminating += deleted
        return deleted

    # -- tracking finished pods and writing status --------------------------------------------
    def track_and_flush(self, pods: list[dict]) -> None:
        """trackJobStatusAndRemoveFinalizers and flushUncountedAndRemoveFinalizers."""
        needs_flush = self.record_interim_condition()
        release: list[dict] = []
        new_indexes: set[int] = set()
        for pod in pods:
            if not jp.has_tracking_finalizer(pod) or pod["metadata"]["uid"] in self.finalizer_removed:
                continue
            failed = jp.is_pod_failed(pod, self.job)
            if not (
                failed
                or jp.phase(pod) == "Succeeded"
                or self.finished is not None
                or self.job["metadata"].get("deletionTimestamp")
            ):
                continue
            release.append(pod)
            needs_flush |= self.note_finished(pod, failed, new_indexes)
        if jp.is_indexed(self.job):
            completed = jp.format_indexes(getattr(self, "previous_indexes", set()) | new_indexes)
            needs_flush |= completed != (self.status.get("completedIndexes") or "")
            self.status["completedIndexes"] = completed
        self.status["uncountedTerminatedPods"] = {
            "succeeded": self.uncounted_succeeded,
            "failed": self.uncounted_failed,
        }
        if needs_flush:
            self.write_status()
        with_finalizer = {
            p["metadata"]["uid"]
            for p in pods
            if jp.has_tracking_finalizer(p) and p["metadata"]["uid"] not in self.finalizer_removed
        }
        for pod in release:
            remove_tracking_finalizer(self.api, pod)
            with_finalizer.discard(pod["metadata"]["uid"])
        moved = self.count_released(with_finalizer)
        finished = self.enact_finished()
        if moved or finished or needs_flush or self.status_changed():
            self.write_status()
        if finished:
            self.record_finished()

    def record_interim_condition(self) -> bool:
        cond = self.finished
        if cond is None or cond.get("type") not in INTERIM or condition_true(self.job, cond["type"]):
            return False
        self.status["conditions"] = (self.status.get("conditions") or []) + [cond]
        return True

    def note_finished(self, pod: dict, failed: bool, new_indexes: set[int]) -> bool:
        """Note one released pod in uncountedTerminatedPods (or its index); whether the status changes."""
        uid = pod["metadata"]["uid"]
        if jp.phase(pod) == "Succeeded" and uid not in self.uncounted_failed:
            if jp.is_indexed(self.job):
                ix = jp.completion_index(pod)
                completions = int(self.spec.get("completions") or 0)
                if ix is not None and ix < completions and ix not in getattr(self, "previous_indexes", set()):
                    new_indexes.add(ix)
                    return True
                return False
            if uid not in self.uncounted_succeeded:
                self.uncounted_succeeded.append(uid)
                return True
            return False
        job_failing = self.finished is not None and self.finished.get("type") in ("FailureTarget", "Failed")
        if not (failed or job_failing) or uid in self.uncounted_failed:
            return False
        ix = jp.completion_index(pod)
        if jp.is_indexed(self.job) and (ix is None or ix >= int(self.spec.get("completions") or 0)):
            return False
        if jp.match_failure_policy(self.job, pod)[1]:
            self.uncounted_failed.append(uid)
            return True
        return False

    def count_released(self, with_finalizer: set[str]) -> bool:
        """cleanUncountedPodsWithoutFinalizers: uncounted pods whose finalizer is gone are counted."""
        moved = False
        for key, uids in (("succeeded", self.uncounted_succeeded), ("failed", self.uncounted_failed)):
            kept = [uid for uid in uids if uid in with_finalizer]
            if len(kept) != len(uids):
                self.status[key] = int(self.status.get(key) or 0) + len(uids) - len(kept)
                uids[:] = kept
                moved = True
        if jp.is_indexed(self.job):
            self.status["succeeded"] = len(
                jp.parse_indexes(self.status.get("completedIndexes") or "", int(self.spec.get("completions") or 0))
            )
        return moved

    def enact_finished(self) -> bool:
        """enactJobFinished: the terminal condition, once nothing is uncounted or terminating."""
        cond = self.finished
        if cond is None or self.uncounted_succeeded or self.uncounted_failed or self.terminating > 0:
            return False
        type_ = INTERIM.get(cond["type"], cond["type"])
        final = jp.new_condition(type_, "True", cond.get("reason", ""), cond.get("message", ""), self.now)
        self.status["conditions"] = (self.status.get("conditions") or []) + [final]
        if type_ == "Complete":
            self.status["completionTime"] = final["lastTransitionTime"]
        self.finished = final
        return True

    def record_finished(self) -> None:
        cond = self.finished or {}
        if cond.get("type") == "Complete":
            completions = self.spec.get("completions")
            if completions is not None and int(self.status.get("succeeded") or 0) > completions:
                self.event(
                    WARNING, "TooManySucceededPods", "Too many succeeded pods running after completion count reached"
                )
            self.event(NORMAL, "Completed", "Job completed")
        else:
            self.event(WARNING, cond.get("reason", ""), cond.get("message", ""))

    def status_changed(self) -> bool:
        return clean_status(self.status) != clean_status(self.job.get("status") or {})

    def write_status(self) -> None:
        status = clean_status(self.status)
        if status == clean_status(self.job.get("status") or {}):
            return
        if self.finished is not None and any(
            c.get("type") == self.finished.get("type") for c in status.get("conditions") or []
        ):
            steps.because(
                self.api,
                "request.job.condition",
                condition=self.finished["type"],
                reason=self.finished.get("reason", ""),
            )

        def put(obj: dict) -> dict:
            obj["status"] = copy.deepcopy(status)
            return obj

        self.job = self.api.update_with("jobs", self.namespace, self.job["metadata"]["name"], put, subresource="status")


def clean_status(status: dict) -> dict:
    """JobStatus as JSON: counters omitted when 0, ready and terminating always, empty lists dropped."""
    clean = {
        k: v
        for k, v in status.items()
        if v not in (None, [], "") and not (k in ("active", "succeeded", "failed") and v == 0)
    }
    uncounted = status.get("uncountedTerminatedPods")
    if uncounted is not None:
        clean["uncountedTerminatedPods"] = {k: v for k, v in uncounted.items() if v}
    for key in ("ready", "terminating"):
        if key in status:
            clean[key] = status[key]
    return clean
