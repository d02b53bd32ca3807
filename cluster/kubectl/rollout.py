"""`kubectl rollout history|undo|restart|pause|resume|status` for Deployments (pkg/cmd/rollout).

History is read from the Deployment's ReplicaSets and their
`deployment.kubernetes.io/revision` annotation; `undo` copies a ReplicaSet's
Pod template (without its pod-template-hash label) back into the Deployment
with a JSON patch; `restart` stamps `kubectl.kubernetes.io/restartedAt` on
the template; `pause`/`resume` set spec.paused; `status` reads the
Deployment's status with kubectl's own messages. Simplified: `status`
watches for a bounded time (`--timeout` or `--request-timeout`, 30 s when
neither is given) since an in-process command cannot wait forever.
DaemonSets and StatefulSets (all but pause and resume) are in rollout_apps.py.
"""

from __future__ import annotations

import io
import time

from cluster import clock
from cluster.apiserver.patch import JSON_PATCH, STRATEGIC_MERGE_PATCH
from cluster.kubectl import flags as fl
from cluster.kubectl import rollout_apps
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.describe_format import PrefixWriter
from cluster.kubectl.flags import Flag, Parsed, UsageError
from cluster.kubectl.get_flags import parse_duration
from cluster.kubectl.targets import RESOURCE_HINT, Target, for_each, kind_name, named_or_selected

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
HASH_LABEL = "pod-template-hash"
SKIPPED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
)
SUBCOMMANDS = ("history", "undo", "restart", "pause", "resume", "status")
ROLLOUT_FLAGS = (
    Flag("revision", "int", 0),
    Flag("to-revision", "int", 0),
    Flag("watch", "bool", True, "w"),
    Flag("timeout", "string", "0s"),
    Flag("request-timeout", "string", "0"),
)
DEFAULT_WATCH_SECONDS = 30.0


@verb("rollout")
def rollout(ctx: Context, args: list[str]) -> int:
    if not args or args[0] not in SUBCOMMANDS:
        ctx.stderr.write(
            f"error: unknown command \"{' '.join(args)}\"\nSee 'kubectl rollout -h' for help and examples\n"
            if args
            else "error: a subcommand is required: history, pause, restart, "
            "resume, status or undo\nSee 'kubectl rollout -h' for help and examples\n"
        )
        return 1
    sub = args[0]
    try:
        parsed = fl.parse(args[1:], fl.flags("filename", "selector", "all", "dry-run", "output", extra=ROLLOUT_FLAGS))
        targets = _targets(ctx, parsed)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    return for_each(ctx, targets, lambda target: _action(sub, target)(ctx, target, parsed))


def _targets(ctx: Context, parsed: Parsed) -> list[Target]:
    if not parsed.positional:
        raise UsageError(RESOURCE_HINT)
    return named_or_selected(ctx, parsed.positional, parsed["all"], parsed.text("selector"))


def _action(sub: str, target: Target):
    """Deployments have every subcommand; DaemonSets and StatefulSets all but pause and resume."""
    kind = target.rt.kind
    if kind == "Deployment":
        return ACTIONS[sub]
    if kind in ("DaemonSet", "StatefulSet") and sub not in ("pause", "resume"):
        return rollout_apps.ACTIONS.get(sub, ACTIONS[sub])
    if sub in ("pause", "resume", "restart"):  # a patch that cannot be made: `<resource> "<name>" <why>`
        raise UsageError(f'{target.rt.group_resource} "{target.name}" {_not_implemented(sub, kind)}')
    raise UsageError(_not_implemented(sub, f"{kind}.{target.rt.group}" if target.rt.group else kind))


def _message(obj: dict) -> tuple[str, bool]:
    return rollout_message(obj) if obj["kind"] == "Deployment" else rollout_apps.status_message(obj)


def _not_implemented(sub: str, kind: str) -> str:
    return {
        "history": f'no history viewer has been implemented for "{kind}"',
        "undo": f'no rollbacker has been implemented for "{kind}"',
        "status": f"no status viewer has been implemented for {kind}",
        "pause": "pausing is not supported",
        "resume": "resuming is not supported",
        "restart": "restarting is not supported",
    }[sub]


# -- history and undo -------------------------------------------------------
def replica_sets(ctx: Context, deployment: dict) -> list[dict]:
    """The ReplicaSets the Deployment controls (deploymentutil.GetAllReplicaSets)."""
    uid = deployment["metadata"].get("uid")
    listed = ctx.api.list("replicasets", deployment["metadata"]["namespace"])["items"]
    return [
        rs
        for rs in listed
        if any(ref.get("controller") and ref.get("uid") == uid for ref in rs["metadata"].get("ownerReferences") or [])
    ]


def _revision(rs: dict) -> int | None:
    text = (rs["metadata"].get("annotations") or {}).get(REVISION, "")
    return int(text) if text.isdigit() else None


def history(ctx: Context, target: Target, parsed: Parsed) -> None:
    deployment = ctx.api.get(target.rt, target.namespace, target.name)
    templates = {}
    for rs in replica_sets(ctx, deployment):
        revision = _revision(rs)
        if revision is None:
            continue
        template = rs["spec"]["template"]
        cause = (rs["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
        if cause:
            template.setdefault("metadata", {}).setdefault("annotations", {})[CHANGE_CAUSE] = cause
        templates[revision] = template
    wanted = int(parsed["revision"])
    header = f"with revision #{wanted}" if wanted > 0 else ""
    if not templates:
        body = "No rollout history found."
    elif wanted > 0:
        if wanted not in templates:
            raise UsageError("unable to find the specified revision")
        body = rollout_apps.template_text(templates[wanted])  # printTemplate: its tabs are not aligned
    else:
        buffer = io.StringIO()
        w = PrefixWriter(buffer)
        w.write(0, "REVISION\tCHANGE-CAUSE\n")
        for revision in sorted(templates):
            cause = ((templates[revision].get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE)
            w.write(0, f"{revision}\t{cause or '<none>'}\n")
        w.flush()
        body = buffer.getvalue()
    ctx.stdout.write(f"{kind_name(target.rt, target.name)} {header}\n{body}\n")


def undo(ctx: Context, target: Target, parsed: Parsed) -> None:
    deployment = ctx.api.get(target.rt, target.namespace, target.name)
    wanted = int(parsed["to-revision"])
    if wanted < 0:
        raise UsageError(f"unable to find specified revision {wanted} in history")
    rs = _revision_rs(replica_sets(ctx, deployment), wanted, target.name)
    template = rs["spec"]["template"]
    name = kind_name(target.rt, target.name)
    if parsed.text("dry-run") == "client":  # printTemplate, then the printer's dry-run suffix
        ctx.stdout.write(f"{name} {rollout_apps.template_text(template)} (dry run)\n")
        return
    if deployment["spec"].get("paused"):
        raise UsageError(
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again"
        )
    if _without_hash(template) == _without_hash(deployment["spec"]["template"]):
        ctx.stdout.write(f"{name} skipped rollback (current template already matches revision {wanted})\n")
        return
    restored = _without_hash(template)
    current_annotations = deployment["metadata"].get("annotations") or {}
    annotations = {k: v for k, v in current_annotations.items() if k in SKIPPED_ANNOTATIONS}
    annotations.update(
        {k: v for k, v in (rs["metadata"].get("annotations") or {}).items() if k not in SKIPPED_ANNOTATIONS}
    )
    patch = [
        {"op": "replace", "path": "/spec/template", "value": restored},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]
    ctx.api.patch(
        target.rt, target.namespace, target.name, patch, JSON_PATCH, dry_run=parsed.text("dry-run") == "server"
    )
    ctx.stdout.write(f"{name} rolled back\n")


def _revision_rs(rss: list[dict], wanted: int, name: str) -> dict:
    by_revision = {r: rs for rs in rss if (r := _revision(rs)) is not None}
    if wanted > 0:
        if wanted not in by_revision:
            raise UsageError(f"unable to find specified revision {wanted} in history")
        return by_revision[wanted]
    revisions = sorted(by_revision)
    if len(revisions) < 2:
        raise UsageError(f'no rollout history found for deployment "{name}"')
    return by_revision[revisions[-2]]


def _without_hash(template: dict) -> dict:
    import copy

    clean = copy.deepcopy(template)
    labels = (clean.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return clean


# -- restart, pause, resume -------------------------------------------------
def restart(ctx: Context, target: Target, parsed: Parsed) -> None:
    deployment = ctx.api.get(target.rt, target.namespace, target.name)
    if deployment["spec"].get("paused"):
        raise UsageError("can't restart paused deployment (run rollout resume first)")
    stamp = clock.rfc3339(ctx.api.now())
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    if parsed.text("dry-run") != "client":
        ctx.api.patch(
            target.rt,
            target.namespace,
            target.name,
            patch,
            STRATEGIC_MERGE_PATCH,
            dry_run=parsed.text("dry-run") == "server",
        )
    ctx.stdout.write(f"{kind_name(target.rt, target.name)} restarted\n")


def pause(ctx: Context, target: Target, parsed: Parsed) -> None:
    _set_paused(ctx, target, parsed, True)


def resume(ctx: Context, target: Target, parsed: Parsed) -> None:
    _set_paused(ctx, target, parsed, False)


def _set_paused(ctx: Context, target: Target, parsed: Parsed, paused: bool) -> None:
    deployment = ctx.api.get(target.rt, target.namespace, target.name)
    if bool(deployment["spec"].get("paused")) == paused:
        group_resource = target.rt.group_resource
        raise UsageError(
            f'{group_resource} "{target.name}" is already paused'
            if paused
            else f'{group_resource} "{target.name}" is not paused'
        )
    if parsed.text("dry-run") != "client":
        ctx.api.patch(
            target.rt,
            target.namespace,
            target.name,
            {"spec": {"paused": True if paused else None}},
            STRATEGIC_MERGE_PATCH,
            dry_run=parsed.text("dry-run") == "server",
        )
    ctx.stdout.write(f"{kind_name(target.rt, target.name)} {'paused' if paused else 'resumed'}\n")


# -- status -----------------------------------------------------------------
def rollout_message(deployment: dict) -> tuple[str, bool]:
    """DeploymentStatusViewer.Status: kubectl's message and whether the rollout is complete."""
    name = deployment["metadata"]["name"]
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    if deployment["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
        return "Waiting for deployment spec update to be observed...\n", False
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            raise UsageError(f'deployment "{name}" exceeded its progress deadline')
    replicas = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    if updated < replicas:
        return (
            f'Waiting for deployment "{name}" rollout to finish: {updated} out of {replicas} new replicas '
            "have been updated...\n"
        ), False
    if status.get("replicas", 0) > updated:
        return (
            f'Waiting for deployment "{name}" rollout to finish: {status.get("replicas", 0) - updated} old '
            "replicas are pending termination...\n"
        ), False
    available = status.get("availableReplicas", 0)
    if available < updated:
        return (
            f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} updated replicas '
            "are available...\n"
        ), False
    return f'deployment "{name}" successfully rolled out\n', True


def status(ctx: Context, target: Target, parsed: Parsed) -> None:
    deployment = ctx.api.get(target.rt, target.namespace, target.name)
    message, done = _message(deployment)
    ctx.stdout.write(message)
    if done or not parsed["watch"]:
        return
    bounds = [parse_duration(parsed.text(f)) for f in ("timeout", "request-timeout")]
    seconds = min([b for b in bounds if b] or [DEFAULT_WATCH_SECONDS])
    deadline = time.monotonic() + seconds
    since = ctx.api.current_revision()
    while time.monotonic() < deadline and not ctx.stop.is_set():
        events, since = ctx.api.watch_batch(
            target.rt, target.namespace, since, field_selector=f"metadata.name={target.name}"
        )
        for event in events:
            if event.type == "DELETED":
                raise UsageError("object has been deleted")
            latest, done = _message(event.object)
            if latest != message:
                ctx.stdout.write(latest)
                message = latest
            if done:
                return
        ctx.stop.wait(0.2)
    raise UsageError("timed out waiting for the condition")


ACTIONS = {"history": history, "undo": undo, "restart": restart, "pause": pause, "resume": resume, "status": status}
