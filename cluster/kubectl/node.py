"""`kubectl cordon|uncordon NODE` (pkg/cmd/drain): set or clear spec.unschedulable.

The change is a two-way strategic merge patch of the Node; a node already in
the wanted state is left alone and kubectl says `already cordoned`.
`kubectl drain` is cluster/kubectl/drain.py.
"""

from __future__ import annotations

from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.create import dry_run_suffix
from cluster.kubectl.flags import UsageError
from cluster.kubectl.mutate import change
from cluster.kubectl.targets import for_each, resource_type, selected_targets


@verb("cordon")
def cordon(ctx: Context, args: list[str]) -> int:
    return _schedulable(ctx, args, "cordon", True)


@verb("uncordon")
def uncordon(ctx: Context, args: list[str]) -> int:
    return _schedulable(ctx, args, "uncordon", False)


def _schedulable(ctx: Context, args: list[str], command: str, unschedulable: bool) -> int:
    rt = resource_type("nodes")
    try:
        parsed = fl.parse(args, fl.flags("selector", "dry-run"))
        if parsed.text("selector"):
            names = [t.name for t in selected_targets(ctx, [rt], parsed.text("selector"))]
        elif len(parsed.positional) == 1:
            names = parsed.positional
        else:
            raise UsageError(f"USAGE: {command} NODE [flags]\nSee 'kubectl {command} -h' for help and examples")
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1

    def edit(node: dict) -> None:
        if unschedulable:
            node.setdefault("spec", {})["unschedulable"] = True
        else:
            node.setdefault("spec", {}).pop("unschedulable", None)

    def act(name: str) -> None:
        _, changed = change(ctx, rt, "", name, edit, dry_run=parsed.text("dry-run"))
        word = f"{command}ed" if command == "uncordon" else "cordoned"
        suffix = dry_run_suffix(parsed.text("dry-run"))
        ctx.stdout.write(f"node/{name} {word}{suffix}\n" if changed else f"node/{name} already {word}\n")

    return for_each(ctx, names, act)
