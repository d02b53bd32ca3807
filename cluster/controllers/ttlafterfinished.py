"""kube-controller-manager's TTL-after-finished controller (pkg/controller/ttlafterfinished).

A finished Job (Complete or Failed) with `spec.ttlSecondsAfterFinished` is
deleted that many seconds after it finished (the condition's
lastTransitionTime), with propagationPolicy Foreground and its uid as a
precondition, so the garbage collector removes its pods first. Until then
the Job is looked at again when its time is due. The controller records no
Events, as upstream.
"""

from __future__ import annotations

from cluster import clock, steps
from cluster.apiserver.errors import StatusError
from cluster.controllers.base import DONE, Controller, Result, split_key

COMPONENT = "ttl-after-finished-controller"


def finish_time(job: dict) -> str | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return cond.get("lastTransitionTime")
    return None


def needs_cleanup(job: dict) -> bool:
    return (job.get("spec") or {}).get("ttlSecondsAfterFinished") is not None and finish_time(job) is not None


class TTLAfterFinishedController(Controller):
    name = COMPONENT
    watches = ("jobs",)

    def keys_for(self, resource, event) -> list[str]:
        job = event.object
        if event.type == "DELETED" or job["metadata"].get("deletionTimestamp") or not needs_cleanup(job):
            return []
        return [f"{job['metadata']['namespace']}/{job['metadata']['name']}"]

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        job = self.lister.find("jobs", namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp") or not needs_cleanup(job):
            return DONE
        ttl = int(job["spec"]["ttlSecondsAfterFinished"])
        left = ttl - (self.api.now() - clock.parse_rfc3339(finish_time(job))).total_seconds()
        if left > 0:
            return Result(requeue_after=left)
        steps.because(self.api, "request.ttl.delete", ttl=ttl)
        try:
            self.api.delete(
                "jobs", namespace, name, propagation_policy="Foreground", preconditions={"uid": job["metadata"]["uid"]}
            )
        except StatusError as err:
            if err.code not in (404, 409):
                raise
        return DONE
