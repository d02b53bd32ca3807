"""`kubectl rollout history|undo|restart|status` for DaemonSets and StatefulSets (pkg/polymorphichelpers).

History is the ControllerRevisions the object controls (history.go); `undo`
sends a revision's data, a strategic merge patch that replaces the pod
template, back to the object (rollback.go: skipped when the template already
matches, "no last revision to roll back to" without an older one); `restart`
stamps `kubectl.kubernetes.io/restartedAt` on the template; `status` reads
status with kubectl's own messages (rollout_status.go) and, like `rollout
status` for Deployments, watches until the rollout is done.
"""

from __future__ import annotations

import io

from cluster.apiserver.patch import STRATEGIC_MERGE_PATCH
from cluster.controllers.history import template_of, template_patch
from cluster.kubectl.cli import Context
from cluster.kubectl.describe_format import PrefixWriter, describe_pod_template
from cluster.kubectl.flags import Parsed, UsageError
from cluster.kubectl.targets import Target, kind_name

CHANGE_CAUSE = "kubernetes.io/change-cause"


def revisions(ctx: Context, obj: dict) -> list[dict]:
    """controlledHistory: the ControllerRevisions the object controls, by revision."""
    uid = obj["metadata"]["uid"]
    listed = ctx.api.list("controllerrevisions", obj["metadata"]["namespace"])["items"]
    owned = [
        r
        for r in listed
        if any(ref.get("controller") and ref.get("uid") == uid for ref in r["metadata"].get("ownerReferences") or [])
    ]
    return sorted(owned, key=lambda r: r.get("revision", 0))


class RawPrefixWriter:
    """describe.NewPrefixWriter on a plain buffer: printTemplate writes its tabs without aligning them."""

    def __init__(self, out: io.StringIO) -> None:
        self.out = out

    def write(self, level: int, text: str) -> None:
        self.out.write("  " * level + text)

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def flush(self) -> None:
        pass


def template_text(template: dict) -> str:
    """printTemplate: DescribePodTemplate into an unaligned PrefixWriter."""
    buffer = io.StringIO()
    describe_pod_template(RawPrefixWriter(buffer), template)  # type: ignore[arg-type]
    return buffer.getvalue()


def history(ctx: Context, target: Target, parsed: Parsed) -> None:
    obj = ctx.api.get(target.rt, target.namespace, target.name)
    by_number = {r.get("revision", 0): r for r in revisions(ctx, obj)}
    wanted = int(parsed["revision"])
    header = f"with revision #{wanted}" if wanted > 0 else ""
    if not by_number:
        body = "No rollout history found."
    elif wanted > 0:
        if wanted not in by_number:
            raise UsageError("unable to find the specified revision")
        body = template_text(template_of(by_number[wanted]))
    else:
        buffer = io.StringIO()
        w = PrefixWriter(buffer)
        w.write(0, "REVISION\tCHANGE-CAUSE\n")
        for number in sorted(by_number):
            cause = (by_number[number]["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
            w.write(0, f"{number}\t{cause or '<none>'}\n")
        w.flush()
        body = buffer.getvalue()
    ctx.stdout.write(f"{kind_name(target.rt, target.name)} {header}\n{body}\n")


def undo(ctx: Context, target: Target, parsed: Parsed) -> None:
    obj = ctx.api.get(target.rt, target.namespace, target.name)
    wanted = int(parsed["to-revision"])
    if wanted < 0:
        raise UsageError(f"unable to find specified revision {wanted} in history")
    history_ = revisions(ctx, obj)
    if wanted == 0 and len(history_) <= 1:
        raise UsageError("no last revision to roll back to")
    chosen = history_[-2] if wanted == 0 else next((r for r in history_ if r.get("revision") == wanted), None)
    if chosen is None:
        raise UsageError(f"unable to find specified revision {wanted} in history")
    name = kind_name(target.rt, target.name)
    if parsed.text("dry-run") == "client":
        ctx.stdout.write(f"{name} will roll back to {template_text(template_of(chosen))} (dry run)\n")
        return
    if template_patch(obj) == chosen.get("data"):
        ctx.stdout.write(f"{name} skipped rollback (current template already matches revision {wanted})\n")
        return
    ctx.api.patch(
        target.rt,
        target.namespace,
        target.name,
        chosen["data"],
        STRATEGIC_MERGE_PATCH,
        dry_run=parsed.text("dry-run") == "server",
    )
    ctx.stdout.write(f"{name} rolled back\n")


def status_message(obj: dict) -> tuple[str, bool]:
    """DaemonSetStatusViewer / StatefulSetStatusViewer: kubectl's message and whether the rollout is done."""
    return (_daemonset_status if obj["kind"] == "DaemonSet" else _statefulset_status)(obj)


def _daemonset_status(ds: dict) -> tuple[str, bool]:
    name, status = ds["metadata"]["name"], ds.get("status") or {}
    if (ds["spec"].get("updateStrategy") or {}).get("type") != "RollingUpdate":
        raise UsageError("rollout status is only available for RollingUpdate strategy type")
    if ds["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
        return "Waiting for daemon set spec update to be observed...\n", False
    desired, updated = status.get("desiredNumberScheduled", 0), status.get("updatedNumberScheduled", 0)
    if updated < desired:
        return (
            f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new pods have been '
            "updated...\n"
        ), False
    available = status.get("numberAvailable", 0)
    if available < desired:
        return (
            f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated pods are '
            "available...\n"
        ), False
    return f'daemon set "{name}" successfully rolled out\n', True


def _statefulset_status(sts: dict) -> tuple[str, bool]:
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") != "RollingUpdate":
        raise UsageError("rollout status is only available for RollingUpdate strategy type")
    observed = status.get("observedGeneration", 0)
    if observed == 0 or sts["metadata"].get("generation", 0) > observed:
        return "Waiting for statefulset spec update to be observed...\n", False
    replicas = spec.get("replicas", 1)
    if status.get("readyReplicas", 0) < replicas:
        return f"Waiting for {replicas - status.get('readyReplicas', 0)} pods to be ready...\n", False
    rolling = strategy.get("rollingUpdate")
    if rolling is not None:
        updated = status.get("updatedReplicas", 0)
        if rolling.get("partition") is not None and updated < replicas - rolling["partition"]:
            return (
                f"Waiting for partitioned roll out to finish: {updated} out of "
                f"{replicas - rolling['partition']} new pods have been updated...\n"
            ), False
        return f"partitioned roll out complete: {updated} new pods have been updated...\n", True
    if status.get("updateRevision") != status.get("currentRevision"):
        return (
            f"waiting for statefulset rolling update to complete {status.get('updatedReplicas', 0)} pods at "
            f"revision {status.get('updateRevision')}...\n"
        ), False
    return (
        f"statefulset rolling update complete {status.get('currentReplicas', 0)} pods at revision "
        f"{status.get('currentRevision')}...\n"
    ), True


ACTIONS = {"history": history, "undo": undo}
