"""`kubectl drain NODE`: cordon the node, then evict its pods (pkg/cmd/drain, pkg/drain).

As kubectl v1.32 does: the node is cordoned first (`node/worker-1 cordoned`), then its
pods are listed (field selector spec.nodeName, `--pod-selector`) and filtered in
upstream's order — pods being deleted for longer than --skip-wait-for-delete-timeout
are skipped; DaemonSet pods stop the drain unless --ignore-daemonsets (then `Warning:
ignoring DaemonSet-managed Pods: …`); mirror pods are skipped; pods with an emptyDir
stop it unless --delete-emptydir-data; pods without a controller stop it unless --force
— each stop is `cannot delete <what> (use --<flag> to override): ns/pod, …`. The
remaining pods are evicted through the Eviction API (`evicting pod ns/name`); a 429
from a PodDisruptionBudget is printed and retried every 5 seconds; each pod is
`pod/name evicted` once it is gone, and the node `node/worker-1 drained`. --timeout
bounds the whole wait (`global timeout reached`), --grace-period overrides the pods'
own, --disable-eviction deletes instead, --dry-run=client|server only says what would
be evicted.

Waiting: the command waits for the cluster to delete the pods. When a server drives the
cluster (the page, `make run`), it polls as kubectl does, on the wall clock; when nothing
drives it (`manage.py kubectl` on its own, the tests), it runs the control loops itself
in fast-forward while it waits, as `manage.py simulate` would, and the 5-second retries
and --timeout are then virtual seconds.

Simplified: without --timeout kubectl waits forever; here at most MAX_WAIT virtual seconds when it
drives the cluster itself, MAX_WALL_WAIT seconds of wall-clock time otherwise (or until the page's Stop).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cluster.apiserver.errors import StatusError
from cluster.apiserver.eviction import evict
from cluster.apiserver.resources import lookup
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.create import dry_run_suffix
from cluster.kubectl.flags import Flag, UsageError
from cluster.kubectl.get_flags import parse_duration
from cluster.kubectl.mutate import change
from cluster.kubectl.targets import selected_targets

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"
RETRY_DELAY = 5.0  # EvictErrorRetryDelay
POLL_INTERVAL = 1.0  # waitForDelete's interval
MAX_WAIT = 600.0
MAX_WALL_WAIT = 120.0

FLAGS = fl.flags(
    "selector",
    "dry-run",
    extra=(
        Flag("force", "bool", False),
        Flag("ignore-daemonsets", "bool", False),
        Flag("delete-emptydir-data", "bool", False),
        Flag("grace-period", "int", -1),
        Flag("timeout", "string", "0s"),
        Flag("pod-selector", "string", ""),
        Flag("disable-eviction", "bool", False),
        Flag("skip-wait-for-delete-timeout", "int", 0),
        Flag("chunk-size", "int", 500),
    ),
)


@dataclass
class Verdict:
    """PodDeleteStatus: whether the pod is deleted, and the warning or error that goes with it."""

    delete: bool
    reason: str = "Okay"  # Okay, Skip, Warning, Error
    message: str = ""


class DrainError(Exception):
    """An error of one node's drain; `lines` are the errors its aggregate holds."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines[0] if len(lines) == 1 else f"[{', '.join(lines)}]")
        self.lines = lines


# -- waiting ------------------------------------------------------------------------------------------
class Waiter:
    """How the command lets time pass: the cluster's own driver when nobody else drives it, else the wall clock."""

    def __init__(self, ctx: Context) -> None:
        from cluster.reconciler import lease

        self.ctx = ctx
        self.holder = lease.new_holder_id("kubectl-drain")
        self.driver = None
        self.elapsed = 0.0
        self.started = time.monotonic()
        if lease.try_acquire(ctx.api.cluster.pk, self.holder):
            from cluster.reconciler.driver import ClusterDriver

            self.driver = ClusterDriver(ctx.api.cluster)

    def seconds(self) -> float:
        return self.elapsed if self.driver is not None else time.monotonic() - self.started

    def sleep(self, seconds: float) -> None:
        if self.driver is not None:
            self.driver.fast_forward(seconds=seconds)
            self.ctx.api.cluster.refresh_from_db()
            self.elapsed += seconds
        else:
            self.ctx.stop.wait(seconds)

    def close(self) -> None:
        if self.driver is not None:
            from cluster.reconciler import lease

            lease.release(self.ctx.api.cluster.pk, self.holder)


# -- the command -----------------------------------------------------------------------------------------
@verb("drain")
def drain(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(args, FLAGS)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    selector = parsed.text("selector")
    if not parsed.positional and "selector" not in parsed.given:
        ctx.stderr.write("error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples\n")
        return 1
    if parsed.positional and selector:
        ctx.stderr.write(
            "error: error: cannot specify both a node name and a --selector option\n"
            "See 'kubectl drain -h' for help and examples\n"
        )
        return 1
    dry_run = parsed.text("dry-run") or "none"
    if dry_run not in ("none", "client", "server"):
        ctx.stderr.write(f'error: Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".\n')
        return 1
    pod_selector = parsed.text("pod-selector")
    if pod_selector:
        from cluster.apiserver.selectors import parse_label_selector

        try:
            parse_label_selector(pod_selector)
        except StatusError:
            ctx.stderr.write("error: --pod-selector=<pod_selector> must be a valid label selector\n")
            return 1
    rt = lookup("nodes")
    try:
        nodes = (
            [t.name for t in selected_targets(ctx, [rt], selector)]
            if selector
            else [ctx.api.get(rt, "", name)["metadata"]["name"] for name in parsed.positional]
        )
    except StatusError as err:
        ctx.stderr.write(f"Error from server ({err.reason}): {err.message}\n")
        return 1
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    suffix = dry_run_suffix(dry_run)
    for name in nodes:  # RunCordonOrUncordon(true)
        try:
            _, changed = change(
                ctx, rt, "", name, lambda n: n.setdefault("spec", {}).update(unschedulable=True), dry_run=dry_run
            )
        except StatusError as err:
            ctx.stderr.write(f'error: unable to cordon node "{name}": {err.message}\n')
            continue
        ctx.stdout.write(f"node/{name} cordoned{suffix}\n" if changed else f"node/{name} already cordoned{suffix}\n")
    drainer = Drainer(ctx, parsed, dry_run)
    failed: list[DrainError] = []
    remaining: list[str] = []
    try:
        for name in nodes:
            try:
                drainer.drain_node(name)
            except DrainError as err:
                ctx.stderr.write(f'error: unable to drain node "{name}" due to error: {err}, continuing command...\n')
                failed.append(err)
                remaining.append(name)
                continue
            ctx.stdout.write(f"node/{name} drained{suffix}\n")
    finally:
        drainer.waiter_close()
    if remaining:
        ctx.stderr.write("There are pending nodes to be drained:\n" + "".join(f" {n}\n" for n in remaining))
    if not failed:
        return 0
    lines = failed[0].lines if len(failed) == 1 else [str(e) for e in failed]
    ctx.stderr.write("".join(line + "\n" for line in lines))  # MultipleErrors: no `error: ` prefix
    return 1


class Drainer:
    """drain.Helper."""

    def __init__(self, ctx: Context, parsed: fl.Parsed, dry_run: str) -> None:
        self.ctx, self.dry_run = ctx, dry_run
        self.force, self.ignore_daemonsets = bool(parsed["force"]), bool(parsed["ignore-daemonsets"])
        self.delete_emptydir = bool(parsed["delete-emptydir-data"])
        self.grace = int(parsed["grace-period"])
        self.timeout = parse_duration(parsed.text("timeout") or "0")
        self.pod_selector = parsed.text("pod-selector")
        self.disable_eviction = bool(parsed["disable-eviction"])
        self.skip_wait = int(parsed["skip-wait-for-delete-timeout"])
        self.waiter: Waiter | None = None

    def waiter_close(self) -> None:
        if self.waiter is not None:
            self.waiter.close()

    # -- which pods ------------------------------------------------------------------------------
    def pods_for_deletion(self, node: str) -> tuple[list[dict], list[tuple[dict, Verdict]]]:
        """GetPodsForDeletion: (pods to delete, every pod with its verdict)."""
        listed = self.ctx.api.list("pods", None, self.pod_selector or None, f"spec.nodeName={node}")["items"]
        judged = []
        for pod in listed:
            verdict = Verdict(True)
            for check in (self.skip_deleted, self.daemonset, self.mirror, self.local_storage, self.unreplicated):
                verdict = check(pod)
                if not verdict.delete:
                    break
            judged.append((pod, verdict))
        return [p for p, v in judged if v.delete], judged

    def skip_deleted(self, pod: dict) -> Verdict:
        return Verdict(False, "Skip") if self.should_skip(pod) else Verdict(True)

    def should_skip(self, pod: dict) -> bool:
        stamp = pod["metadata"].get("deletionTimestamp")
        if self.skip_wait <= 0 or not stamp:
            return False
        from cluster.clock import parse_rfc3339

        return (self.ctx.api.now() - parse_rfc3339(stamp)).total_seconds() > self.skip_wait

    def daemonset(self, pod: dict) -> Verdict:
        ref = _controller_of(pod)
        if ref is None or ref.get("kind") != "DaemonSet" or _terminal(pod):
            return Verdict(True)
        try:
            self.ctx.api.get("daemonsets", pod["metadata"]["namespace"], ref.get("name", ""))
        except StatusError as err:
            if err.code == 404 and self.force:
                return Verdict(True, "Warning", err.message)
            return Verdict(False, "Error", err.message)
        if not self.ignore_daemonsets:
            return Verdict(False, "Error", DAEMONSET_FATAL)
        return Verdict(False, "Warning", DAEMONSET_WARNING)

    def mirror(self, pod: dict) -> Verdict:
        return (
            Verdict(False, "Skip") if MIRROR_ANNOTATION in (pod["metadata"].get("annotations") or {}) else Verdict(True)
        )

    def local_storage(self, pod: dict) -> Verdict:
        if not any("emptyDir" in v for v in (pod.get("spec") or {}).get("volumes") or []) or _terminal(pod):
            return Verdict(True)
        if not self.delete_emptydir:
            return Verdict(False, "Error", LOCAL_STORAGE_FATAL)
        return Verdict(True, "Warning", LOCAL_STORAGE_WARNING)

    def unreplicated(self, pod: dict) -> Verdict:
        if _terminal(pod) or _controller_of(pod) is not None:
            return Verdict(True)
        if self.force:
            return Verdict(True, "Warning", UNMANAGED_WARNING)
        return Verdict(False, "Error", UNMANAGED_FATAL)

    # -- one node ------------------------------------------------------------------------------
    def drain_node(self, node: str) -> None:
        """deleteOrEvictPodsSimple."""
        pods, judged = self.pods_for_deletion(node)
        errors = _grouped(judged, "Error")
        if errors:
            raise DrainError([f"cannot delete {message}: {', '.join(names)}" for message, names in errors])
        warnings = _grouped(judged, "Warning")
        if warnings:
            self.ctx.stderr.write("Warning: " + "; ".join(f"{m}: {', '.join(n)}" for m, n in warnings) + "\n")
        if self.dry_run == "client":
            for pod in pods:
                self.ctx.stdout.write(f"evicting pod {_ns_name(pod)} (dry run)\n")
            return
        if not pods:
            return
        try:
            if self.disable_eviction:
                self.delete_pods(pods)
            else:
                self.evict_pods(pods)
        except DrainError as err:
            pending, _ = self.pods_for_deletion(node)
            if pending:
                self.ctx.stderr.write(f'There are pending pods in node "{node}" when an error occurred: {err}\n')
                self.ctx.stderr.write("".join(f"pod/{p['metadata']['name']}\n" for p in pending))
            raise

    def _waiter(self) -> Waiter:
        if self.waiter is None:
            self.waiter = Waiter(self.ctx)
        return self.waiter

    def _deadline(self, waiter: Waiter) -> float:
        if self.timeout > 0:
            return waiter.seconds() + self.timeout
        return waiter.seconds() + (MAX_WAIT if waiter.driver is not None else MAX_WALL_WAIT)

    def evict_pods(self, pods: list[dict]) -> None:
        """evictPods: one eviction per pod, retried after a 429, then a wait for each pod to be gone."""
        waiter = self._waiter()
        deadline = self._deadline(waiter)
        shown_timeout = _go_duration(self.timeout if self.timeout > 0 else deadline - waiter.seconds())
        errors: list[str] = []
        pending = {p["metadata"]["uid"]: p for p in pods}  # still to be evicted
        retry_at: dict[str, float] = {uid: waiter.seconds() for uid in pending}
        waiting: dict[str, dict] = {}  # evicted, not gone yet
        while pending or waiting:
            now = waiter.seconds()
            for uid, pod in list(pending.items()):
                if retry_at[uid] > now:
                    continue
                if self.dry_run == "server":
                    self.ctx.stdout.write(f"evicting pod {_ns_name(pod)} (server dry run)\n")
                else:
                    self.ctx.stdout.write(f"evicting pod {_ns_name(pod)}\n")
                if now >= deadline:
                    errors.append(
                        f'error when evicting pods/"{pod["metadata"]["name"]}" -n '
                        f'"{pod["metadata"]["namespace"]}": global timeout reached: {shown_timeout}'
                    )
                    del pending[uid]
                    continue
                outcome = self.evict_one(pod)
                if outcome == "retry":
                    retry_at[uid] = now + RETRY_DELAY
                    continue
                del pending[uid]
                if outcome == "evicted" and self.dry_run != "server":
                    waiting[uid] = pod
                elif outcome not in ("evicted", "gone"):
                    errors.append(outcome)
            self.report_gone(waiting, "evicted")
            if not pending and not waiting:
                break
            if waiter.seconds() >= deadline and waiting:
                errors += [
                    f'error when waiting for pod "{p["metadata"]["name"]}" in namespace '
                    f'"{p["metadata"]["namespace"]}" to terminate: context deadline exceeded'
                    for p in waiting.values()
                ]
                break
            if self.ctx.stop.is_set():
                errors += [
                    f'error when evicting pods/"{p["metadata"]["name"]}" -n "{p["metadata"]["namespace"]}": '
                    f"context canceled"
                    for p in pending.values()
                ]
                break
            waiter.sleep(
                min(
                    [POLL_INTERVAL]
                    + [
                        max(0.0, t - waiter.seconds())
                        for u, t in retry_at.items()
                        if u in pending and t > waiter.seconds()
                    ]
                )
            )
        if errors:
            raise DrainError(errors)

    def evict_one(self, pod: dict) -> str:
        """One Eviction: "evicted", "gone" (404), "retry" (429, printed), or the error to report."""
        meta = pod["metadata"]
        options: dict = {}
        if self.grace >= 0:
            options["gracePeriodSeconds"] = self.grace
        if self.dry_run == "server":
            options["dryRun"] = ["All"]
        body = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "deleteOptions": options,
        }
        try:
            evict(self.ctx.api, meta["namespace"], meta["name"], body, dry_run=self.dry_run == "server")
        except StatusError as err:
            if err.code == 404:
                return "gone"
            if err.code == 429:
                self.ctx.stderr.write(
                    f'error when evicting pods/"{meta["name"]}" -n "{meta["namespace"]}" (will '
                    f"retry after 5s): {err.message}\n"
                )
                return "retry"
            return f'error when evicting pods/"{meta["name"]}" -n "{meta["namespace"]}": {err.message}'
        return "evicted"

    def report_gone(self, waiting: dict[str, dict], verb_: str) -> None:
        """waitForDelete: `pod/name evicted` for each pod that is gone (or replaced by one of the same name)."""
        for uid, pod in list(waiting.items()):
            meta = pod["metadata"]
            try:
                current = self.ctx.api.get("pods", meta["namespace"], meta["name"])
            except StatusError as err:
                if err.code != 404:
                    raise
                current = None
            if current is None or current["metadata"].get("uid") != uid:
                self.ctx.stdout.write(f"pod/{meta['name']} {verb_}\n")
                del waiting[uid]
            elif self.should_skip(current):
                self.ctx.stdout.write(
                    f'pod "{meta["name"]}" has DeletionTimestamp older than {self.skip_wait} seconds, skipping\n'
                )
                del waiting[uid]

    def delete_pods(self, pods: list[dict]) -> None:
        """deletePods (--disable-eviction): DELETE each pod, then wait for them all."""
        waiter = self._waiter()
        deadline = self._deadline(waiter)
        waiting: dict[str, dict] = {}
        for pod in pods:
            meta = pod["metadata"]
            try:
                self.ctx.api.delete(
                    "pods",
                    meta["namespace"],
                    meta["name"],
                    grace_period_seconds=self.grace if self.grace >= 0 else None,
                    dry_run=self.dry_run == "server",
                )
            except StatusError as err:
                if err.code != 404:
                    raise DrainError([err.message]) from None
            waiting[meta["uid"]] = pod
        if self.dry_run == "server":
            return
        while True:
            self.report_gone(waiting, "deleted")
            if not waiting:
                return
            if waiter.seconds() >= deadline or self.ctx.stop.is_set():
                raise DrainError(["context deadline exceeded"])
            waiter.sleep(POLL_INTERVAL)


def _controller_of(pod: dict) -> dict | None:
    return next((r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")), None)


def _terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _ns_name(pod: dict) -> str:
    return f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"


def _grouped(judged: list[tuple[dict, Verdict]], reason: str) -> list[tuple[str, list[str]]]:
    """PodDeleteList.Warnings / errors: the pods of each message, messages in the order first met."""
    groups: dict[str, list[str]] = {}
    for pod, verdict in judged:
        if verdict.reason == reason:
            groups.setdefault(verdict.message or "unexpected error", []).append(_ns_name(pod))
    return list(groups.items())


def _go_duration(seconds: float) -> str:
    """time.Duration.String() of whole seconds: 30s, 1m0s, 1h0m0s."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
