"""The kubelet's pod worker (pkg/kubelet: syncPod, kuberuntime SyncPod, the status manager).

One pass over one pod bound to this node: mount its volumes (a configMap or secret
that does not exist keeps it ContainerCreating with FailedMount events), make sure it
has a sandbox, pull images (with the image back-off), create and start containers
(cluster/kubelet_start.py), advance their processes on the virtual clock and run
their probes (cluster/kubelet_probes.py), restart exited ones by the restart policy
with the crash-loop back-off (10 s doubling to 5 min), and write the pod's status —
phase, conditions, container states — through the API server's status subresource.
A pod with a deletionTimestamp is stopped (SIGTERM or the image's STOPSIGNAL, SIGKILL
when its grace period ends) and then deleted with grace period 0 (cluster/kubelet_terminate.py).
Image pulls are cluster/kubelet_images.py's, the back-offs cluster/kubelet_backoff.py's. Once
mounted, configMap, secret and downwardAPI volumes are projected again at each periodic sync
(cluster/kubelet_volumes.py), so they follow their sources.

Init containers (kuberuntime_container.go computeInitContainerActions) run one at a
time, in order, each to completion before the next starts and before any container
starts; while they run the containers wait as `PodInitializing`. One that fails is run
again under restartPolicy Always or OnFailure (with the crash-loop back-off:
Init:CrashLoopBackOff) and fails the pod under Never (Init:Error). A restartable init
container (`restartPolicy: Always`, a sidecar) starts in its turn, lets the next one
start once it has started (its startup probe passed), keeps running and is restarted
whenever it exits; it stops after the containers, the last sidecar first
(kuberuntime_termination_order.go), when the pod is deleted or its containers have
finished for good. That ordering is cluster/kubelet_init.py's.

Lifecycle hooks (postStart after StartContainer, preStop before the stop signal) are
cluster/kubelet_hooks.py's.

Ephemeral containers (what `kubectl debug` adds to a running pod) are started as soon as
the pod has its sandbox, before the init containers are looked at, and never restarted
(cluster/kubelet_ephemeral.py).

Simplified: a container whose process ends is restarted at the sync that notices it
rather than at the next PLEG relist.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cluster import (
    faults,
    kubelet_ephemeral,
    kubelet_images,
    kubelet_init,
    kubelet_start,
    kubelet_terminate,
    kubelet_termination,
    kubelet_volumes,
    steps,
)
from cluster import kubelet_hooks as hooks
from cluster.apiserver.errors import StatusError
from cluster.clock import parse_rfc3339, rfc3339
from cluster.component import DONE, Result
from cluster.container import pods as container_pods
from cluster.container import pid1, shell
from cluster.container import stdin as container_stdin
from cluster.container.projection import project_volumes
from cluster.container.sources import ConfigError
from cluster.events import NORMAL, WARNING, record
from cluster.kubelet_backoff import PLEG_RELIST_PERIOD, backoff, backoff_resync, go_duration
from cluster.kubelet_checks import Checker
from cluster.kubelet_status import build_status, container_status, is_sidecar, node_host_ip, pod_phase
from cluster.kubelet_volumes import MOUNT_BACKOFF_INITIAL, MOUNT_BACKOFF_MAX
from cluster.registry import image_config
from cluster.runtime import NoAddress, exits_at, parse_image, started_at

if TYPE_CHECKING:
    from cluster.kubelet import Kubelet

COMPONENT = "kubelet"


SANDBOX_RETRY = dt.timedelta(seconds=10)  # the pod worker's next try after a failed RunPodSandbox


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
    @property
    def init_specs(self) -> list[dict]:
        return self.pod["spec"].get("initContainers") or []

    @property
    def main_specs(self) -> list[dict]:
        return self.pod["spec"]["containers"]

    @property
    def ephemeral_specs(self) -> list[dict]:
        return self.pod["spec"].get("ephemeralContainers") or []

    def all_specs(self) -> list[dict]:
        return self.init_specs + self.main_specs + self.ephemeral_specs

    def read_stdin(self, container: dict, record_: dict) -> None:
        """A shell waiting for what an attach types (cluster/container/stdin.py): once the attach has ended its
        input, the shell exits with the status it gave; until then the kubelet looks again each relist."""
        proc = record_.get("proc") or {}
        if not container.get("stdin") or (proc.get("block") or {}).get("kind") != "stdin" or proc.get("exit"):
            return
        ended = container_stdin.ended(self.api.cluster, record_["key"])
        if ended is None:
            self.wake_at(self.now + dt.timedelta(seconds=PLEG_RELIST_PERIOD))
            return
        proc["exit"] = {"at": min(ended[0], self.now.timestamp()), "code": ended[1]}
        self.runtime.dirty = True

    def reap(self, record_: dict, moment: dt.datetime) -> None:
        """containerd's exit event, if the container's process has ended by `moment`; the kubelet then reads
        the container's termination message (kubelet_termination.py)."""
        if self.runtime.reap(record_, moment):
            name = record_["key"].split("/")[1]
            spec = next((c for c in self.all_specs() if c["name"] == name), None)
            if spec is not None:
                kubelet_termination.note(self, spec, record_)

    @property
    def default_waiting(self) -> str:
        """The waiting reason of a container not created yet (convertToAPIContainerStatuses)."""
        return "PodInitializing" if self.init_specs else "ContainerCreating"

    def event(self, type_: str, reason: str, message: str, container: str = "") -> None:
        group = "containers"
        if any(c["name"] == container for c in self.init_specs):
            group = "initContainers"
        elif any(c["name"] == container for c in self.ephemeral_specs):
            group = "ephemeralContainers"
        field_path = f"spec.{group}{{{container}}}" if container else ""
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

    def previous_statuses(self, key: str = "containerStatuses") -> dict[str, dict]:
        return {s["name"]: s for s in (self.pod.get("status") or {}).get(key) or []}

    def waiting_status(self, container: dict, previous: dict | None) -> dict:
        """A container not created (yet): the default waiting state, its restarts and last state kept."""
        return container_status(
            container, None, ready=False, previous=previous, waiting={"reason": self.default_waiting}
        )

    # -- the pass ---------------------------------------------------------------
    def run(self) -> Result:
        if self.meta.get("deletionTimestamp"):
            return kubelet_terminate.terminate(self)
        if (self.pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return kubelet_terminate.stop_remaining(self)
        if self.runtime.sandbox(self.uid) is None and not (self.pod.get("status") or {}).get("startTime"):
            refused = self.kubelet.eviction.admit(self.pod, self.now)  # canAdmitPod: only a pod new here
            if refused:
                self.kubelet.eviction.reject(self.pod, refused)
                return DONE
        previous = self.previous_statuses()
        previous_init = self.previous_statuses("initContainerStatuses")
        if not self.mount_volumes():
            self.write_status(
                None,
                [self.waiting_status(c, previous.get(c["name"])) for c in self.main_specs],
                [self.waiting_status(c, previous_init.get(c["name"])) for c in self.init_specs],
            )
            return self.result()
        sandbox = self.ensure_sandbox()
        if sandbox is None:  # the sandbox could not be made: try again, as the pod worker's back-off does
            self.wake_at(self.now + SANDBOX_RETRY)
            return self.result()
        self.checker = Checker(self)
        self.catch_up()
        kubelet_volumes.resync(self)  # after the processes ran to now with what the volumes held until now
        previous_ephemeral = self.previous_statuses("ephemeralContainerStatuses")
        ephemeral = [
            kubelet_ephemeral.sync_container(self, c, previous_ephemeral.get(c["name"])) for c in self.ephemeral_specs
        ]
        init_statuses, initialized, init_failed = kubelet_init.sync_init_containers(self, previous_init)
        if initialized and not init_failed:
            statuses = [self.sync_container(c, previous.get(c["name"])) for c in self.main_specs]
        else:
            statuses = [self.waiting_status(c, previous.get(c["name"])) for c in self.main_specs]
        if init_failed or kubelet_init.main_finished(self):
            init_statuses = kubelet_init.stop_sidecars(self, init_statuses)
        self.write_status(sandbox, statuses, init_statuses, ephemeral)
        return self.result()

    def mount_volumes(self) -> bool:
        """WaitForAttachAndMount: project configMap/secret/downwardAPI/projected volumes; False while one
        fails (retried with the volume manager's back-off, a FailedMount event each time). Once mounted, the
        periodic sync projects them again (kubelet_volumes.resync)."""
        volumes = self.pod["spec"].get("volumes") or []
        if not any(k in v for v in volumes for k in ("configMap", "secret", "downwardAPI", "projected")):
            return True
        mounts = self.runtime.data.setdefault("mounts", {})
        state = mounts.get(self.uid) or {}
        if state.get("done"):
            return True
        if state.get("retry_at") and self.now.timestamp() < state["retry_at"]:
            self.wake_at(dt.datetime.fromtimestamp(state["retry_at"], dt.timezone.utc))
            return False
        try:
            projection = project_volumes(self.api, self.pod, self.node)
        except ConfigError as err:
            delay = min(MOUNT_BACKOFF_INITIAL * 2 ** state.get("failures", 0), MOUNT_BACKOFF_MAX)
            mounts[self.uid] = {"failures": state.get("failures", 0) + 1, "retry_at": self.now.timestamp() + delay}
            self.runtime.dirty = True
            self.event(WARNING, "FailedMount", str(err))
            self.wake_at(self.now + dt.timedelta(seconds=delay))
            return False
        mounts[self.uid] = kubelet_volumes.mounted(self, projection)
        self.runtime.dirty = True
        return True

    # -- processes and probes ---------------------------------------------------------
    def running_records(self) -> dict[str, dict]:
        found = {}
        for container in self.all_specs():
            record_ = self.runtime.container(self.uid, container["name"])
            if record_ is not None and record_["state"] == "running":
                found[container["name"]] = record_
        return found

    def catch_up(self) -> None:
        """Run the processes forward to now, stopping at each moment a probe is due to run it then."""
        records = self.running_records()
        if not records:
            return
        self.deliver_signals(records)
        for moment in self.checker.due(records, self.now.timestamp()):
            self.advance(records, moment)
            self.checker.run_due(records, moment)
        self.advance(records, self.now.timestamp())

    def deliver_signals(self, records: dict[str, dict]) -> None:
        """Signals an exec sent a container's PID 1 (cluster/container/signals.py): the process runs until it was
        signalled and ends then if it handles the signal; the container is then restarted by the pod's policy."""
        for record_ in list(records.values()):
            signal = self.kubelet.signals.pop(record_["key"], None)
            if signal is None:
                continue
            at = min(signal.at, self.now.timestamp())
            self.advance(records, at)
            handled, code = pid1.signal_handled(record_.get("proc") or {}, signal.name)
            if record_["state"] == "running" and handled:
                moment = dt.datetime.fromtimestamp(at, dt.timezone.utc)
                self.runtime.signalled(record_, moment, code, f"SIG{signal.name}")
                self.reap(record_, self.now)

    def advance(self, records: dict[str, dict], until: float) -> None:
        live = {n: r for n, r in records.items() if r["state"] == "running"}
        if not any(
            shell.next_time(r.get("proc") or {}) <= until
            or ((r.get("proc") or {}).get("block") or {}).get("kind") == "tail"
            for r in live.values()
        ):
            return
        runs = container_pods.run_pod(self.api, self.pod, live, until, dry=False, node=self.node)
        self.runtime.dirty = True
        moment = dt.datetime.fromtimestamp(until, dt.timezone.utc)
        for run in runs.values():
            kubelet_start.predict(run.state, run.host, until)
            self.reap(run.record, moment)

    def ensure_sandbox(self) -> dict | None:
        sandbox = self.runtime.sandbox(self.uid)
        if sandbox is not None:
            return sandbox
        if (self.pod.get("status") or {}).get("podIP"):
            self.event(NORMAL, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
        spec = self.node.get("spec") or {}
        host_network = bool((self.pod.get("spec") or {}).get("hostNetwork"))  # the node's network namespace
        try:
            sandbox = self.runtime.run_pod_sandbox(
                self.uid, self.key, spec.get("podCIDR", ""), self.now, node_host_ip(self.node) if host_network else ""
            )
        except NoAddress as err:  # kindnet's CNI (ptp with host-local IPAM) answers so
            sandbox_id = self.runtime.sandbox_id(self.uid)
            self.event(
                WARNING,
                "FailedCreatePodSandBox",
                f'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "'
                f'{sandbox_id}": plugin type="ptp" failed (add): failed to allocate for range 0: {err}',
            )
            return None
        self.hop("RunPodSandbox", ip=sandbox["ip"])
        return sandbox

    def sync_container(self, container: dict, previous: dict | None, policy: str = "") -> dict:
        """One container's turn: keep it running, restart it by `policy` (the pod's restartPolicy unless
        an init container's rules say otherwise), or create and start it."""
        name = container["name"]
        record_ = self.runtime.container(self.uid, name)
        if record_ is not None and record_["state"] == "running":
            self.apply_faults(container, record_)
            self.read_stdin(container, record_)
            self.reap(record_, self.now)
            if record_["state"] == "running":
                return self.running_status(container, record_)
        if record_ is not None and record_["state"] == "exited":
            if not self.should_restart(record_, policy):
                return container_status(container, record_, ready=False)
            delay = backoff(record_["attempt"])
            restart_at = parse_rfc3339(record_["finishedAt"]) + dt.timedelta(seconds=delay)
            if self.now < restart_at:
                return self.crash_loop(container, record_, delay, restart_at)
        waiting = kubelet_images.ensure_image(self, container, record_)
        if waiting is not None:
            if waiting["reason"] == "ContainerCreating":
                waiting = {"reason": self.default_waiting}
            return container_status(container, record_, ready=False, waiting=waiting, previous=previous)
        try:
            argv, env = kubelet_start.create_config(self, container)
        except ConfigError as err:
            self.event(WARNING, "Failed", f"Error: {err}", name)
            self.wake_at(self.now + dt.timedelta(seconds=kubelet_start.CONFIG_RETRY))
            return container_status(
                container,
                record_,
                ready=False,
                previous=previous,
                waiting={"reason": "CreateContainerConfigError", "message": str(err)},
            )
        started = self.start_container(container, record_, previous, argv, env)
        if started["state"] != "running":  # it ended at once (or could not start): restart or back off now
            return self.sync_container(container, previous, policy)
        self.apply_faults(container, started)
        self.read_stdin(container, started)
        return self.running_status(container, started)

    def should_restart(self, record_: dict, policy: str = "") -> bool:
        policy = policy or self.pod["spec"].get("restartPolicy", "Always")
        return policy == "Always" or (policy == "OnFailure" and record_.get("exitCode", 0) != 0)

    def crash_loop(self, container: dict, record_: dict, delay: float, restart_at: dt.datetime) -> dict:
        """The restart must wait. The sync that notices the exit writes the container terminated (OOMKilled,
        Error, …: syncPod generates the status before SyncPod meets the back-off); from the next sync on, a
        moment later, it waits as CrashLoopBackOff (the reason cache) and each sync records BackOff."""
        name, pod_name = container["name"], f"{self.meta['name']}_{self.meta['namespace']}({self.uid})"
        if not record_.get("backoff_seen"):
            record_["backoff_seen"] = True
            self.runtime.dirty = True
            self.wake_at(self.now + dt.timedelta(seconds=PLEG_RELIST_PERIOD))
            return container_status(container, record_, ready=False, waiting=hook_error_waiting(record_))
        self.event(WARNING, "BackOff", f"Back-off restarting failed container {name} in pod {pod_name}", name)
        self.wake_at(min(restart_at, self.now + backoff_resync(self.uid, self.now)))
        waiting = {
            "reason": "CrashLoopBackOff",
            "message": f"back-off {go_duration(delay)} restarting failed container={name} pod={pod_name}",
        }
        return container_status(container, record_, ready=False, waiting=waiting)

    # -- containers ---------------------------------------------------------------
    def start_container(
        self, container: dict, previous: dict | None, last_status: dict | None, argv: list[str], env: dict[str, str]
    ) -> dict:
        name = container["name"]
        if previous is not None:
            attempt = previous["attempt"] + 1
        else:  # the runtime lost it (the node restarted): the count goes on from the pod's status
            attempt = 0
            if last_status is not None and last_status.get("containerID"):  # it ran before
                attempt = last_status["restartCount"] + 1
        self.hop("CreateContainer", container=name)
        created = self.runtime.create_container(self.uid, name, parse_image(container["image"]), attempt)
        if previous is not None and previous["state"] == "exited":
            created["last"] = {
                k: previous[k]
                for k in ("exitCode", "reason", "startedAt", "finishedAt", "id", "message", "key")
                if k in previous
            }
            created["last"]["log"] = log_summary(previous)
            if previous.get("last", {}).get("key"):
                container_pods.logs.forget(self.api.cluster, keys=[previous["last"]["key"]])
        self.event(NORMAL, "Created", f"Created container: {name}", name)
        self.hop("StartContainer", container=name)
        sandbox = self.runtime.sandbox(self.uid) or {}
        failure = kubelet_start.start_process(self, container, created, argv, env, sandbox.get("ip", ""))
        if failure:
            self.runtime.fail_start(created, self.now, failure)
            self.event(WARNING, "Failed", f"Error: {failure}", name)
            return created
        self.event(NORMAL, "Started", f"Started container {name}", name)
        self.reap(created, self.now)
        if created["state"] == "running" and hooks.handler_of(container, "postStart") is not None:
            self.post_start(container, created)
        return created

    def post_start(self, container: dict, record_: dict) -> None:
        """startContainer's step 4: the postStart hook; on failure the container is killed."""
        handler = hooks.handler_of(container, "postStart") or {}
        outcome = hooks.run_handler(self, container, record_, handler, self.now.timestamp(), hooks.HOOK_HORIZON)
        if outcome.ok:
            return
        name = container["name"]
        record_["hook_error"] = outcome.message
        self.event(WARNING, "FailedPostStartHook", "PostStartHook failed", name)
        self.event(NORMAL, "Killing", "FailedPostStartHook", name)
        self.stop(container, record_, int(self.pod["spec"].get("terminationGracePeriodSeconds", 30)))

    def apply_faults(self, container: dict, record_: dict) -> None:
        if record_.get("stopping") or record_["state"] != "running":
            return
        earliest = started_at(record_) + dt.timedelta(seconds=1)  # a process needs a moment to fail
        crash = self.pod_faults.get("crash")
        if crash is not None:
            self.end_process(record_, max(self.now, earliest), crash, "Completed" if crash == 0 else "Error")

    def end_process(self, record_: dict, at: dt.datetime, code: int, reason: str) -> None:
        current = record_.get("exits_at")
        if current is None or dt.datetime.fromisoformat(current) > at:
            record_.update(exits_at=at.isoformat(), exit_code=code, exit_reason=reason)
            self.runtime.dirty = True

    def stop(
        self,
        container: dict,
        record_: dict,
        grace: int,
        deadline: dt.datetime | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """StopContainer: the stop signal now, SIGKILL when the grace period ends."""
        at = at or self.now
        deadline = deadline or at + dt.timedelta(seconds=grace)
        handler = hooks.handler_of(container, "preStop")
        if handler is not None and grace > 0 and not record_.get("stopping"):
            outcome = hooks.run_handler(self, container, record_, handler, at.timestamp(), float(grace))
            if not outcome.ok:
                self.event(WARNING, "FailedPreStopHook", outcome.message, container["name"])
            at = at + dt.timedelta(seconds=outcome.seconds)
            deadline = max(deadline, at + dt.timedelta(seconds=hooks.MINIMUM_GRACE))
            grace = hooks.remaining_grace(grace, outcome.seconds)
        self.hop("StopContainer", container=container["name"], grace=grace)
        handled, code = pid1.signal_term(record_["proc"]) if record_.get("proc") else (True, 0)
        signal = image_config(container["image"]).stopsignal
        if handled:
            self.runtime.stop_container(
                record_,
                min(deadline, at + dt.timedelta(seconds=1)),
                code,
                "Completed" if code == 0 else "Error",
                signal,
            )
        else:
            self.runtime.stop_container(record_, deadline, 137, "Error", signal)

    def running_status(self, container: dict, record_: dict) -> dict:
        ends = exits_at(record_)
        if ends is not None and ends <= self.now:  # foreseen, yet still running: look again at the next relist
            ends = self.now + dt.timedelta(seconds=PLEG_RELIST_PERIOD)
        self.wake_at(ends)
        if record_.get("hook_error"):  # killed for its postStart hook: the reason cache's PostStartHookError
            return container_status(container, record_, ready=False, waiting=hook_error_waiting(record_))
        self.wake_at(kubelet_start.wake_for(record_, self.now))
        ready, started = self.checker.readiness(container, record_)
        if container in self.init_specs and not is_sidecar(container):
            ready = False  # a regular init container is ready once it has exited 0
        return container_status(container, record_, ready=ready, started=started)

    # -- status -------------------------------------------------------------------
    def write_status(
        self,
        sandbox: dict | None,
        statuses: list[dict],
        init_statuses: list[dict] | None = None,
        ephemeral: list[dict] | None = None,
    ) -> None:
        initialized = any(self.runtime.container(self.uid, c["name"]) is not None for c in self.main_specs)
        phase = pod_phase(self.pod, statuses, init_statuses, initialized)
        if ephemeral is None:
            ephemeral = kubelet_ephemeral.statuses(self)
        now = rfc3339(self.now)
        desired = build_status(self.pod, self.node, sandbox, statuses, phase, now, init_statuses, ephemeral)
        if desired == (self.pod.get("status") or {}):
            return

        def apply(pod: dict) -> dict:
            pod["status"] = build_status(pod, self.node, sandbox, statuses, phase, now, init_statuses, ephemeral)
            return pod

        try:
            self.api.update_with("pods", self.meta["namespace"], self.meta["name"], apply, subresource="status")
        except StatusError as err:
            if err.code != 404:
                raise


def hook_error_waiting(record_: dict) -> dict | None:
    """The waiting state of a container killed because its postStart hook failed (ErrPostStartHook)."""
    if not record_.get("hook_error"):
        return None
    return {"reason": "PostStartHookError", "message": record_["hook_error"]}


def log_summary(record_: dict) -> dict:
    """What `kubectl logs --previous` needs of a container instance once it is gone."""
    proc = record_.get("proc") or {}
    server = proc.get("listen") or {}
    main = next((b for b in server.values() if b.get("name") == proc.get("pid1")), None)
    return {
        "banners": proc.get("banners", []),
        "signal": record_.get("signal"),
        "server": main,
        "startedAt": record_.get("startedAt"),
        "finishedAt": record_.get("finishedAt"),
        "key": record_.get("key"),
    }


def probe_failure(probe: dict, status_code: int) -> str:
    """What the prober reports for each handler type when the check fails."""
    if probe.get("httpGet"):
        return f"HTTP probe failed with statuscode: {status_code}"
    if probe.get("tcpSocket"):
        port = probe["tcpSocket"].get("port")
        return f"dial tcp: connect to port {port}: connection refused"
    if probe.get("grpc"):
        return 'service unhealthy (responded with "NOT_SERVING")'
    return "command terminated with exit code 1"
