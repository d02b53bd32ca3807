"""`kubectl set image TYPE/NAME CONTAINER=IMAGE...` (pkg/cmd/set/set_image.go).

Changes the image of the named containers (`*` for all) in a Pod or in a
workload's Pod template and sends the two-way strategic merge patch; an
unchanged image sends nothing and prints nothing, as kubectl does.
"""

from __future__ import annotations

from typing import Callable

from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.create import dry_run_suffix
from cluster.kubectl.flags import UsageError
from cluster.kubectl.mutate import change
from cluster.kubectl.targets import RESOURCE_HINT, Target, for_each, kind_name, named_or_selected

WORKLOADS = ("Pod", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob")


def pod_spec_of(kind: str, obj: dict) -> dict:
    """The pod spec a kind carries: its own, its template's, or (CronJob) its job template's."""
    if kind == "Pod":
        return obj["spec"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


# `kubectl set` SUBCOMMAND -> handler; setresources adds `resources`.
SUBCOMMANDS: dict[str, Callable[[Context, list[str]], int]] = {}
UPSTREAM_SUBCOMMANDS = ("env", "image", "resources", "selector", "serviceaccount", "subject")


@verb("set")
def set_(ctx: Context, args: list[str]) -> int:
    handler = SUBCOMMANDS.get(args[0]) if args else None
    if handler is not None:
        return handler(ctx, args[1:])
    if args and args[0] not in UPSTREAM_SUBCOMMANDS:
        ctx.stderr.write(f"error: unknown command \"{args[0]}\"\nSee 'kubectl set -h' for help and examples\n")
    else:
        offered = " and ".join(f"`kubectl set {name}`" for name in sorted(SUBCOMMANDS))
        ctx.stderr.write(f"error: kubeclass offers {offered} only\n")
    return 1


def set_image(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(args, fl.flags("filename", "selector", "all", "output", "dry-run"))
        resources = [a for a in parsed.positional if "=" not in a]
        images = dict(a.split("=", 1) for a in parsed.positional if "=" in a)
        if not images:
            raise UsageError("at least one image update is required")
        if not resources:
            raise UsageError(RESOURCE_HINT)
        targets = named_or_selected(ctx, resources, parsed["all"], parsed.text("selector"))
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1

    def act(target: Target) -> None:
        if target.rt.kind not in WORKLOADS:
            raise UsageError(
                f"error: {target.rt.plural}{'.' + target.rt.group if target.rt.group else ''} "
                f'"{target.name}" does not have a pod template'
            )

        def edit(obj: dict) -> None:
            spec = pod_spec_of(target.rt.kind, obj)
            containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
            for name, image in images.items():
                matched = [c for c in containers if name in ("*", c.get("name"))]
                if not matched:
                    raise UsageError(f'unable to find container named "{name}"')
                for container in matched:
                    container["image"] = image

        _, changed = change(ctx, target.rt, target.namespace, target.name, edit, dry_run=parsed.text("dry-run"))
        if changed:
            ctx.stdout.write(
                kind_name(target.rt, target.name) + " image updated" + dry_run_suffix(parsed.text("dry-run")) + "\n"
            )

    return for_each(ctx, targets, act)


SUBCOMMANDS["image"] = set_image
