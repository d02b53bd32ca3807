"""`kubectl delete`: by name, by label selector, `--all`, or the objects in files (pkg/cmd/delete).

Sends DeleteOptions as kubectl does: `propagationPolicy` from `--cascade`
(background unless told otherwise), `gracePeriodSeconds` from
`--grace-period`/`--now`/`--force`. Prints `pod "web" deleted` per object
(`force deleted` with a zero grace period). Simplified: kubectl then waits
until the objects are gone; in-process the command returns at once, as with
`--wait=false`, because the controllers that finish a deletion run in the
same loop after the command.
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.create import dry_run_suffix
from cluster.kubectl.flags import Flag, Parsed, UsageError
from cluster.kubectl.targets import (
    RESOURCE_HINT,
    Target,
    api_error,
    load_files,
    named_targets,
    report,
    selected_targets,
    visit,
)

DELETE_FLAGS = (
    Flag("cascade", "string", "background"),
    Flag("grace-period", "int", -1),
    Flag("now", "bool", False),
    Flag("force", "bool", False),
    Flag("wait", "bool", True),
    Flag("ignore-not-found", "bool", False),
    Flag("timeout", "string", "0s"),
    Flag("field-selector", "string", ""),
    Flag("quiet", "bool", False),
)
IMMEDIATE = (
    "Warning: Immediate deletion does not wait for confirmation that the running resource has been "
    "terminated. The resource may continue to run on the cluster indefinitely.\n"
)
CASCADES = {
    "background": "Background",
    "true": "Background",
    "foreground": "Foreground",
    "orphan": "Orphan",
    "false": "Orphan",
}


@verb("delete")
def delete(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(
            _bare_cascade(args),
            fl.flags(
                "filename", "recursive", "selector", "all", "output", "dry-run", "all-namespaces", extra=DELETE_FLAGS
            ),
        )
        propagation, grace = _options(ctx, parsed)
        targets, errors = _targets(ctx, parsed)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    ignore_missing = bool(parsed["ignore-not-found"]) or (
        "ignore-not-found" not in parsed.given
        and (parsed["all"] or bool(parsed.text("selector")) or bool(parsed.text("field-selector")))
    )
    found = 0

    def act(target: Target) -> None:
        nonlocal found
        if parsed.text("dry-run") != "client":
            try:
                ctx.api.delete(
                    target.rt,
                    target.namespace or None,
                    target.name,
                    grace_period_seconds=grace,
                    propagation_policy=propagation,
                    dry_run=parsed.text("dry-run") == "server",
                )
            except StatusError as err:
                if err.code == 404 and ignore_missing:
                    return
                if target.source:
                    raise api_error(err, "deleting", target.source) from None
                raise
        found += 1
        _print_deleted(ctx, parsed, target, grace)

    server_errors = visit(targets, act)
    selecting = bool(parsed["all"] or parsed.text("selector") or parsed.text("field-selector"))
    if found == 0 and not server_errors and not errors and (selecting or not ignore_missing):
        ctx.stdout.write("No resources found\n")
    return report(ctx, [*server_errors, *errors])


def _bare_cascade(args: list[str]) -> list[str]:
    """`--cascade` alone means `--cascade=background` (pflag's NoOptDefVal)."""
    return ["--cascade=background" if a == "--cascade" else a for a in args]


def _options(ctx: Context, parsed: Parsed) -> tuple[str, int | None]:
    cascade = parsed.text("cascade")
    if cascade not in CASCADES:
        raise UsageError(f'invalid cascade value ({cascade}). Must be "background", "foreground", or "orphan"')
    grace = int(parsed["grace-period"])
    if parsed["now"]:
        if grace != -1:
            raise UsageError("--now and --grace-period cannot be specified together")
        grace = 1
    if grace == 0 and not parsed["force"]:
        grace = 1  # kubectl's guard against accidental immediate deletion
    if parsed["force"] and grace < 0:
        grace = 0
    if parsed["force"] and grace > 0:
        raise UsageError("--force and --grace-period greater than 0 cannot be specified together")
    if parsed["force"] and grace == 0:
        ctx.stderr.write(IMMEDIATE)
    return CASCADES[cascade], (grace if grace >= 0 else None)


def _targets(ctx: Context, parsed: Parsed) -> tuple[list[Target], list[str]]:
    selector, everything = parsed.text("selector"), bool(parsed["all"])
    fields = parsed.text("field-selector")
    if everything and selector:
        raise UsageError("setting 'all' parameter but found a non empty selector. ")
    if parsed.many("filename"):
        if parsed.positional:
            raise UsageError(
                "Unexpected args: [" + " ".join(parsed.positional) + "]\nSee 'kubectl delete -h' for help and examples"
            )
        loaded = load_files(ctx, parsed.many("filename"), validate=False, recursive=bool(parsed["recursive"]))
        return loaded.targets, loaded.errors
    if not parsed.positional:
        raise UsageError(RESOURCE_HINT)
    targets = named_targets(ctx, parsed.positional)
    unnamed = [t for t in targets if not t.name]
    if not unnamed:
        if everything or selector or fields:
            raise UsageError("name cannot be provided when a selector is specified")
        return targets, []
    if not (everything or selector or fields):
        raise UsageError("resource(s) were provided, but no name was specified")
    return selected_targets(ctx, [t.rt for t in unnamed], selector, fields), []


def _print_deleted(ctx: Context, parsed: Parsed, target: Target, grace: int | None) -> None:
    kind = f"{target.rt.kind.lower()}.{target.rt.group}" if target.rt.group else target.rt.kind.lower()
    if parsed.text("output") == "name":
        ctx.stdout.write(f"{kind}/{target.name}\n")
        return
    operation = "force deleted" if grace == 0 else "deleted"
    operation += dry_run_suffix(parsed.text("dry-run"))
    ctx.stdout.write(f'{kind} "{target.name}" {operation}\n')
