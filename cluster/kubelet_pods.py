"""The kubelet's pod worker (pkg/kubelet: syncPod, kuberuntime SyncPod, the status manager).

One pass over one pod bound to this node: make sure it has a sandbox, pull
images (with the image back-off), create and start containers, restart exited
ones by the restart policy with the crash-loop back-off (10 s doubling to
5 min), simulate probes, and write the pod's status — phase, conditions,
container states — through the API server's status subresource. A pod with a
deletionTimestamp is stopped (SIGTERM, SIGKILL when its grace period ends)
and then deleted with grace period 0.

Simplified: init containers, startup probes, ephemeral containers and
volumes are not run; probes never really connect, they pass unless a fault
says they fail.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cluster import faults, steps
from cluster.apiserver.errors import StatusError
from cluster.clock import parse_rfc3339, rfc3339
from cluster.controllers.base import DONE, Result
from cluster.events import NORMAL, WARNING, record
from cluster.kubelet_status import build_status, container_status, pod_phase
from cluster.runtime import ImageRef, exits_at, ignores_sigterm, not_found_message, parse_image, resolve, \
    run_length, started_at

if TYPE_CHECKING:
    from cluster.kubelet import Kubelet

COMPONENT = "kubelet"
BACKOFF_INITIAL = 10.0  # kubelet's backOffPeriod and image back-off initial duration
BACKOFF_MAX = 300.0  # MaxContainerBackOff / image back-off maximum
DEFAULT_PERIOD = 10
PLEG_RELIST_PERIOD = 1.0  # the pod lifecycle event generator's relist period
DEFAULT_FAILURE_THRESHOLD = 3


def backoff(failures: int) -> float:
    """Delay before retry after `failures` earlier tries: 0 the first time, then 10 s doubling to 5 min."""
    if failures <= 0:
        return 0.0
    return min(BACKOFF_INITIAL * 2 ** (failures - 1), BACKOFF_MAX)


def go_duration(seconds: float) -> str:
    """time.Duration.String() at millisecond precision (389ms, 2.513s, 10s, 1m20s, 5m0s)."""
    if seconds >= 60:
        minutes, rest = divmod(int(round(seconds)), 60)
        return f"{minutes}m{rest}s"
    if seconds < 1:
        return f"{seconds * 1000:.3f}".rstrip("0").rstrip(".") + "ms"
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"{text}s"


class PodSync:
    """One syncPod pass for one pod on this node."""

    def __init__(self, kubelet: Kubelet, pod: dict, node: dict, now: dt.datetime) -> None:
        self.kubelet = kubelet
        self.api = kubelet.api
        self.runtime = kubelet.runtime
        self.node_name = kubelet.node_name
        self.node = node
        self.pod = pod
        self.meta = pod["metadata"]
        self.uid = self.meta["uid"]
        self.key = f"{self.meta['namespace']}/{self.meta['name']}"
        self.now = now
        self.due: list[dt.datetime] = []
        self.pod_faults = faults.pod_faults(pod)
        self.node_fault = faults.node_fault(node)

    # -- helpers --------------------------------------------------------------
    def event(self, type_: str, reason: str, message: str, container: str = "") -> None:
        field_path = f"spec.containers{{{container}}}" if container else ""
        record(self.api, self.pod, type_, reason, message, COMPONENT, host=self.node_name, field_path=field_path)

    def hop(self, call: str, **params: object) -> None:
        ref = steps.object_ref("pods", self.meta["namespace"], self.meta["name"])
        steps.record(self.api, steps.runtime_hop(self.node_name, call, ref, **params))

    def wake_at(self, moment: dt.datetime | None) -> None:
        if moment is not None:
            self.due.append(moment)

    def result(self) -> Result:
        if not self.due:
            return DONE
        return Result(requeue_after=max(0.0, (min(self.due) - self.now).total_seconds()))

    def previous_statuses(self) -> dict[str, dict]:
        return {s["name"]: s for s in (self.pod.get("status") or {}).get("containerStatuses") or []}

    # -- the pass ---------------------------------------------------------------
    def run(self) -> Result:
        if self.meta.get("deletionTimestamp"):
            return self.terminate()
        if (self.pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return DONE
        sandbox = self.ensure_sandbox()
        previous = self.previous_statuses()
        statuses = [self.sync_container(c, previous.get(c["name"])) for c in self.pod["spec"]["containers"]]
        self.write_status(sandbox, statuses)
        return self.result()

    def ensure_sandbox(self) -> dict:
        sandbox = self.runtime.sandbox(self.uid)
        if sandbox is not None:
            return sandbox
        if (self.pod.get("status") or {}).get("podIP"):
            self.event(NORMAL, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
        spec = self.node.get("spec") or {}
        sandbox = self.runtime.run_pod_sandbox(self.uid, self.key, spec.get("podCIDR", ""), self.now)
        self.hop("RunPodSandbox", ip=sandbox["ip"])
        return sandbox

    def sync_container(self, container: dict, previous: dict | None) -> dict:
        name = container["name"]
        record_ = self.runtime.container(self.uid, name)
        if record_ is not None and record_["state"] == "running":
            self.apply_faults(container, record_)
            self.runtime.reap(record_, self.now)
            if record_["state"] == "running":
                return self.running_status(container, record_)
        if record_ is not None and record_["state"] == "exited":
            if not self.should_restart(record_):
                return container_status(container, record_, ready=False)
            delay = backoff(record_["attempt"])
            restart_at = parse_rfc3339(record_["finishedAt"]) + dt.timedelta(seconds=delay)
            if self.now < restart_at:
                return self.crash_loop(container, record_, delay, restart_at)
        waiting = self.ensure_image(container, record_)
        if waiting is not None:
            return container_status(container, record_, ready=False, waiting=waiting, previous=previous)
        started = self.start_container(container, record_, previous)
        self.apply_faults(container, started)
        return self.running_status(container, started)

    def should_restart(self, record_: dict) -> bool:
        policy = self.pod["spec"].get("restartPolicy", "Always")
        return policy == "Always" or (policy == "OnFailure" and record_.get("exitCode", 0) != 0)

    def crash_loop(self, container: dict, record_: dict, delay: float, restart_at: dt.datetime) -> dict:
        name, pod_name = container["name"], f"{self.meta['name']}_{self.meta['namespace']}({self.uid})"
        self.event(WARNING, "BackOff", f"Back-off restarting failed container {name} in pod {pod_name}", name)
        self.wake_at(restart_at)
        waiting = {"reason": "CrashLoopBackOff",
                   "message": f"back-off {go_duration(delay)} restarting failed container={name} pod={pod_name}"}
        return container_status(container, record_, ready=False, waiting=waiting)

    # -- images -----------------------------------------------------------------
    def ensure_image(self, container: dict, record_: dict | None) -> dict | None:
        """None when the image is on the node; else the container's waiting state."""
        image, name = container["image"], container["name"]
        ref = parse_image(image)
        policy = container.get("imagePullPolicy", "IfNotPresent")
        present = self.runtime.image(ref) is not None
        pull = self.runtime.pull(ref)
        if pull is None and policy == "Never" and not present:
            message = f'Container image "{image}" is not present with pull policy of Never'
            self.event(WARNING, "ErrImageNeverPull", message, name)
            return {"reason": "ErrImageNeverPull", "message": message}
        if pull is None and (policy == "Never" or (policy == "IfNotPresent" and present)):
            self.event(NORMAL, "Pulled", f'Container image "{image}" already present on machine', name)
            return None
        if pull is None:
            return self.begin_pull(container, ref, present)
        ready_at = dt.datetime.fromisoformat(pull["ready_at"])
        if self.now < ready_at:
            self.wake_at(ready_at)
            return {"reason": "ContainerCreating"}
        done = self.runtime.finish_pull(ref)
        self.runtime.data.setdefault("pull_failures", {}).pop(f"{self.uid}/{name}", None)
        seconds = go_duration(done["seconds"])
        self.event(NORMAL, "Pulled", f'Successfully pulled image "{image}" in {seconds} ({seconds} including '
                                     f'waiting). Image size: {done["size"]} bytes.', name)
        return None

    def begin_pull(self, container: dict, ref: ImageRef, present: bool) -> dict:
        image, name = container["image"], container["name"]
        size = resolve(self.api.cluster, ref)
        failures = self.runtime.data.setdefault("pull_failures", {})
        failed = failures.get(f"{self.uid}/{name}")
        if size is None and failed:
            retry_at = dt.datetime.fromisoformat(failed["last"]) + dt.timedelta(seconds=backoff(failed["count"]))
            if self.now < retry_at:
                self.wake_at(retry_at)
                self.event(NORMAL, "BackOff", f'Back-off pulling image "{image}"', name)
                self.event(WARNING, "Failed", "Error: ImagePullBackOff", name)
                return {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}
        self.hop("PullImage", image=image)
        self.event(NORMAL, "Pulling", f'Pulling image "{image}"', name)
        if size is None:
            count = (failed or {}).get("count", 0) + 1
            failures[f"{self.uid}/{name}"] = {"count": count, "last": self.now.isoformat()}
            self.runtime.dirty = True
            message = not_found_message(ref)
            self.event(WARNING, "Failed", f'Failed to pull image "{image}": {message}', name)
            self.event(WARNING, "Failed", "Error: ErrImagePull", name)
            # The kubelet syncs the pod again shortly (PLEG sees its new sandbox; on a retry,
            # the pod worker requeues it) and finds the pull backing off: ImagePullBackOff.
            self.wake_at(self.now + dt.timedelta(seconds=PLEG_RELIST_PERIOD))
            return {"reason": "ErrImagePull", "message": message}
        pull = self.runtime.start_pull(ref, size, self.now, cached=present)
        self.wake_at(dt.datetime.fromisoformat(pull["ready_at"]))
        return {"reason": "ContainerCreating"}

    # -- containers ---------------------------------------------------------------
    def start_container(self, container: dict, previous: dict | None, last_status: dict | None) -> dict:
        name = container["name"]
        if previous is not None:
            attempt = previous["attempt"] + 1
        else:  # the runtime lost it (the node restarted): the count goes on from the pod's status
            ran_before = last_status is not None and last_status.get("containerID")
            attempt = last_status["restartCount"] + 1 if ran_before else 0
        self.hop("CreateContainer", container=name)
        created = self.runtime.create_container(self.uid, name, parse_image(container["image"]), attempt)
        if previous is not None and previous["state"] == "exited":
            created["last"] = {k: previous[k] for k in ("exitCode", "reason", "startedAt", "finishedAt", "id")}
        self.event(NORMAL, "Created", f"Created container: {name}", name)
        self.hop("StartContainer", container=name)
        runs_for, code = run_length(container["image"], container.get("command"), container.get("args"))
        self.runtime.start_container(created, self.now, runs_for, code)
        self.event(NORMAL, "Started", f"Started container {name}", name)
        return created

    def apply_faults(self, container: dict, record_: dict) -> None:
        if record_.get("stopping"):
            return
        earliest = started_at(record_) + dt.timedelta(seconds=1)  # a process needs a moment to fail
        crash = self.pod_faults.get("crash")
        if crash is not None:
            self.end_process(record_, max(self.now, earliest), crash, "Completed" if crash == 0 else "Error")
        elif self.node_fault == faults.MEMORY_FULL:
            self.end_process(record_, max(self.now, earliest), 137, "OOMKilled")
        elif "liveness" in self.pod_faults.get("fail-probes", ()) and container.get("livenessProbe"):
            self.fail_liveness(container, record_)
        else:
            record_.pop("liveness_failing_since", None)

    def end_process(self, record_: dict, at: dt.datetime, code: int, reason: str) -> None:
        current = exits_at(record_)
        if current is None or current > at:
            record_.update(exits_at=at.isoformat(), exit_code=code, exit_reason=reason)
            self.runtime.dirty = True

    def fail_liveness(self, container: dict, record_: dict) -> None:
        probe, name = container["livenessProbe"], container["name"]
        period = probe.get("periodSeconds", DEFAULT_PERIOD)
        threshold = probe.get("failureThreshold", DEFAULT_FAILURE_THRESHOLD)
        since = record_.setdefault("liveness_failing_since", self.now.isoformat())
        self.runtime.dirty = True
        self.event(WARNING, "Unhealthy", f"Liveness probe failed: {probe_failure(probe, 500)}", name)
        kill_at = dt.datetime.fromisoformat(since) + dt.timedelta(seconds=period * (threshold - 1))
        if self.now < kill_at:
            self.wake_at(min(kill_at, self.now + dt.timedelta(seconds=period)))
            return
        self.event(NORMAL, "Killing", f"Container {name} failed liveness probe, will be restarted", name)
        self.stop(container, record_, self.pod["spec"].get("terminationGracePeriodSeconds", 30))

    def stop(self, container: dict, record_: dict, grace: int, deadline: dt.datetime | None = None) -> None:
        """StopContainer: SIGTERM now, SIGKILL when the grace period ends."""
        self.hop("StopContainer", container=container["name"], grace=grace)
        deadline = deadline or self.now + dt.timedelta(seconds=grace)
        if ignores_sigterm(container["image"], container.get("command")):
            self.runtime.stop_container(record_, deadline, 137, "Error")
        else:
            self.runtime.stop_container(record_, min(deadline, self.now + dt.timedelta(seconds=1)), 0, "Completed")

    def running_status(self, container: dict, record_: dict) -> dict:
        self.wake_at(exits_at(record_))
        return container_status(container, record_, ready=self.readiness(container, record_))

    def readiness(self, container: dict, record_: dict) -> bool:
        probe = container.get("readinessProbe")
        if not probe:
            return True
        ready_from = started_at(record_) + dt.timedelta(seconds=probe.get("initialDelaySeconds", 0))
        if self.now < ready_from:
            self.wake_at(ready_from)
            return False
        if "readiness" in self.pod_faults.get("fail-probes", ()):
            self.event(WARNING, "Unhealthy", f"Readiness probe failed: {probe_failure(probe, 503)}",
                       container["name"])
            self.wake_at(self.now + dt.timedelta(seconds=probe.get("periodSeconds", DEFAULT_PERIOD)))
            return False
        return True

    # -- status -------------------------------------------------------------------
    def write_status(self, sandbox: dict | None, statuses: list[dict]) -> None:
        phase = pod_phase(self.pod, statuses)
        desired = build_status(self.pod, self.node, sandbox, statuses, phase, rfc3339(self.now))
        if desired == (self.pod.get("status") or {}):
            return

        def apply(pod: dict) -> dict:
            pod["status"] = build_status(pod, self.node, sandbox, statuses, phase, rfc3339(self.now))
            return pod

        try:
            self.api.update_with("pods", self.meta["namespace"], self.meta["name"], apply, subresource="status")
        except StatusError as err:
            if err.code != 404:
                raise

    # -- termination ----------------------------------------------------------------
    def terminate(self) -> Result:
        deadline = parse_rfc3339(self.meta["deletionTimestamp"])
        grace = int(self.meta.get("deletionGracePeriodSeconds", 0))
        statuses = []
        for container in self.pod["spec"]["containers"]:
            record_ = self.runtime.container(self.uid, container["name"])
            if record_ is not None and record_["state"] == "running":
                if not record_.get("stopping"):
                    self.event(NORMAL, "Killing", f"Stopping container {container['name']}", container["name"])
                    self.stop(container, record_, grace, max(deadline, self.now))
                self.runtime.reap(record_, self.now)
                self.wake_at(exits_at(record_) if record_["state"] == "running" else None)
            statuses.append(container_status(container, record_, ready=False) if record_ else
                            container_status(container, None, ready=False, waiting={"reason": "ContainerCreating"}))
        if self.due:
            self.write_status(self.runtime.sandbox(self.uid), statuses)
            return self.result()
        return self.finish_termination(statuses)

    def finish_termination(self, statuses: list[dict]) -> Result:
        if self.runtime.sandbox(self.uid) is not None:
            self.hop("StopPodSandbox")
            self.runtime.remove_pod_sandbox(self.uid)
        self.write_status(None, statuses)
        try:
            self.api.delete("pods", self.meta["namespace"], self.meta["name"], grace_period_seconds=0,
                            preconditions={"uid": self.uid})
        except StatusError as err:
            if err.code not in (404, 409):
                raise
        return DONE


def probe_failure(probe: dict, status_code: int) -> str:
    """What the prober reports for each handler type when the check fails."""
    if probe.get("httpGet"):
        return f"HTTP probe failed with statuscode: {status_code}"
    if probe.get("tcpSocket"):
        port = probe["tcpSocket"].get("port")
        return f"dial tcp: connect to port {port}: connection refused"
    if probe.get("grpc"):
        return "service unhealthy (responded with \"NOT_SERVING\")"
    return "command terminated with exit code 1"
