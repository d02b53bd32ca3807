"""`kubectl label` and `kubectl annotate` (pkg/cmd/label, pkg/cmd/annotate).

`key=value` sets, `key-` removes; changing an existing value needs
`--overwrite`, as kubectl insists. The change goes out as a JSON merge patch
of metadata, and kubectl's words report it: `labeled`, `unlabeled`,
`not labeled`, `annotated`.
"""

from __future__ import annotations

from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.create import dry_run_suffix
from cluster.kubectl.flags import Flag, Parsed, UsageError
from cluster.kubectl.mutate import change_object
from cluster.kubectl.targets import Target, for_each, kind_name, named_or_selected

EXTRA = (Flag("resource-version", "string", ""), Flag("list", "bool", False), Flag("local", "bool", False))


@verb("label")
def label(ctx: Context, args: list[str]) -> int:
    return _run(ctx, args, "labels", "label")


@verb("annotate")
def annotate(ctx: Context, args: list[str]) -> int:
    return _run(ctx, args, "annotations", "annotation")


def _run(ctx: Context, args: list[str], field: str, noun: str) -> int:
    try:
        parsed = fl.parse(
            args,
            fl.flags("filename", "selector", "all", "overwrite", "output", "dry-run", "all-namespaces", extra=EXTRA),
        )
        resources, updates, removals = _split(parsed.positional)
        if not updates and not removals and not parsed["list"]:
            raise UsageError(f"at least one {noun} update is required")
        targets = _targets(ctx, parsed, resources)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1

    def edit(obj: dict) -> None:
        values = dict(obj["metadata"].get(field) or {})
        values.update(updates)
        for key in removals:
            values.pop(key, None)
        obj["metadata"][field] = values
        if not values:
            obj["metadata"].pop(field)
        if parsed.text("resource-version"):
            obj["metadata"]["resourceVersion"] = parsed.text("resource-version")

    def act(target: Target) -> None:
        current = ctx.api.get(target.rt, target.namespace, target.name)
        if parsed["list"]:
            for key, value in sorted((current["metadata"].get(field) or {}).items()):
                ctx.stdout.write(f"{key}={value}\n")
            return
        _check_overwrite(current, field, updates, bool(parsed["overwrite"]))
        for key in removals:
            if key not in (current["metadata"].get(field) or {}):
                ctx.stdout.write(f'{noun} "{key}" not found.\n')
        _, changed = change_object(ctx, target.rt, current, edit, strategic=False, dry_run=parsed.text("dry-run"))
        ctx.stdout.write(
            f"{kind_name(target.rt, target.name)} {_message(noun, changed, updates)}"
            f"{dry_run_suffix(parsed.text('dry-run'))}\n"
        )

    return for_each(ctx, targets, act)


def _split(positional: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    resources: list[str] = []
    updates: dict[str, str] = {}
    removals: list[str] = []
    for arg in positional:
        if "=" in arg:
            key, _, value = arg.partition("=")
            updates[key] = value
        elif arg.endswith("-") and len(arg) > 1 and resources:
            removals.append(arg[:-1])
        else:
            resources.append(arg)
    return resources, updates, removals


def _targets(ctx: Context, parsed: Parsed, resources: list[str]) -> list[Target]:
    if not resources:
        raise UsageError("one or more resources must be specified as <resource> <name> or <resource>/<name>")
    return named_or_selected(ctx, resources, parsed["all"], parsed.text("selector"))


def _check_overwrite(obj: dict, field: str, updates: dict[str, str], overwrite: bool) -> None:
    existing = obj["metadata"].get(field) or {}
    if overwrite:
        return
    for key, value in updates.items():
        if key in existing and existing[key] != value:
            raise UsageError(f"'{key}' already has a value ({existing[key]}), and --overwrite is false")


def _message(noun: str, changed: bool, updates: dict[str, str]) -> str:
    if noun == "annotation":
        return "annotated"
    if not changed:
        return "not labeled"
    return "labeled" if updates else "unlabeled"
