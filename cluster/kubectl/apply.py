"""`kubectl apply -f FILE|DIR|-`: client-side apply, as kubectl v1.32 does it by default.

For each manifest: if the object does not exist, create it with the
`kubectl.kubernetes.io/last-applied-configuration` annotation (the manifest as
compact JSON, keys sorted, with the namespace kubectl fills in); otherwise
compute the three-way strategic merge patch (see threeway.py) and PATCH it as
application/strategic-merge-patch+json — `unchanged` when the patch is empty.
Server errors are collected and reported after the successes, one per
document; a document kubectl cannot read ends its file.
"""

from __future__ import annotations

import copy
import json

from cluster.apiserver.errors import StatusError
from cluster.apiserver.patch import STRATEGIC_MERGE_PATCH
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.create import OUTPUT_FLAGS, print_result
from cluster.kubectl.flags import Flag, UsageError
from cluster.kubectl.output import compact_json
from cluster.kubectl.targets import Target, api_error, for_each, kind_name, load_files
from cluster.kubectl.threeway import three_way_patch

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MISSING_ANNOTATION = (
    "Warning: resource {plural}/{name} is missing the kubectl.kubernetes.io/last-applied-configuration annotation "
    "which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by "
    "either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.\n"
)


@verb("apply")
def apply(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(
            args,
            fl.flags(
                "filename",
                "recursive",
                "selector",
                "all",
                *OUTPUT_FLAGS,
                extra=(Flag("server-side", "bool", False), Flag("prune", "bool", False)),
            ),
        )
        if parsed.positional and parsed.positional[0] in ("view-last-applied", "set-last-applied", "edit-last-applied"):
            return (
                view_last_applied(ctx, parsed.positional[1:])
                if parsed.positional[0] == "view-last-applied"
                else _unsupported(ctx, parsed.positional[0])
            )
        for unsupported in ("server-side", "prune"):
            if parsed[unsupported]:
                raise UsageError(f"kubeclass offers client-side apply only; --{unsupported} is not supported here")
        if parsed.positional:
            raise UsageError(
                f"Unexpected args: [{' '.join(parsed.positional)}]\nSee 'kubectl apply -h' for help and examples"
            )
        if not parsed.many("filename"):
            raise UsageError("must specify one of -f and -k\nSee 'kubectl apply -h' for help and examples")
        loaded = load_files(
            ctx,
            parsed.many("filename"),
            validate=parsed.text("validate") != "false",
            recursive=bool(parsed["recursive"]),
        )
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    if not loaded.targets and not loaded.errors:
        ctx.stderr.write("error: no objects passed to apply\n")
        return 1
    return for_each(ctx, loaded.targets, lambda target: apply_one(ctx, target, parsed), after=loaded.errors)


def apply_one(ctx: Context, target: Target, parsed: fl.Parsed) -> None:
    if not target.name:
        raise UsageError(_retrieval_error(ctx, target))
    modified = with_last_applied(target.manifest or {}, target)
    client_only = parsed.text("dry-run") == "client"
    dry_run = parsed.text("dry-run") == "server"
    try:
        current = ctx.api.get(target.rt, target.namespace, target.name)
    except StatusError as err:
        if err.code != 404:
            raise
        if client_only:
            print_result(ctx, parsed, modified, kind_name(target.rt, target.name) + " created")
            return
        try:
            created = ctx.api.create(target.rt, target.namespace or None, modified, dry_run=dry_run)
        except StatusError as create_err:
            raise api_error(create_err, "creating", target.source) from None
        print_result(ctx, parsed, created, kind_name(target.rt, target.name) + " created")
        return
    annotations = (current.get("metadata") or {}).get("annotations") or {}
    if LAST_APPLIED not in annotations:
        ctx.stderr.write(MISSING_ANNOTATION.format(plural=target.rt.plural, name=target.name))
    original = _decode(annotations.get(LAST_APPLIED, ""))
    patch = three_way_patch(target.rt, original, modified, current)
    if not patch:
        print_result(ctx, parsed, current, kind_name(target.rt, target.name) + " unchanged")
        return
    if client_only:
        print_result(ctx, parsed, current, kind_name(target.rt, target.name) + " configured")
        return
    try:
        patched = ctx.api.patch(target.rt, target.namespace, target.name, patch, STRATEGIC_MERGE_PATCH, dry_run=dry_run)
    except StatusError as err:
        raise api_error(err, "patching", target.source) from None
    print_result(ctx, parsed, patched, kind_name(target.rt, target.name) + " configured")


def with_last_applied(manifest: dict, target: Target) -> dict:
    """GetModifiedConfiguration: the manifest, annotated with its own compact JSON."""
    obj = copy.deepcopy(manifest)
    meta = obj.setdefault("metadata", {})
    if target.rt.namespaced and target.namespace:
        meta["namespace"] = target.namespace
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    recorded = compact_json(obj) + "\n"
    meta["annotations"] = {**annotations, LAST_APPLIED: recorded}
    return obj


def _decode(text: str) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _retrieval_error(ctx: Context, target: Target) -> str:
    group = target.rt.group
    gv = f"{group}/{target.rt.version}" if group else f"/{target.rt.version}"
    return (
        "error when retrieving current configuration of:\n"
        f'Resource: "{gv}, Resource={target.rt.plural}", GroupVersionKind: "{gv}, Kind={target.rt.kind}"\n'
        f'Name: "", Namespace: "{target.namespace}"\n'
        f'from server for: "{target.source}": resource name may not be empty'
    )


def view_last_applied(ctx: Context, args: list[str]) -> int:
    """`kubectl apply view-last-applied TYPE NAME`: the annotation, as YAML."""
    from cluster.kubectl.output import to_yaml
    from cluster.kubectl.targets import named_targets

    try:
        targets = named_targets(ctx, args)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    for target in targets:
        obj = ctx.api.get(target.rt, target.namespace, target.name)
        text = (obj["metadata"].get("annotations") or {}).get(LAST_APPLIED)
        if text is None:
            ctx.stderr.write(f"error: no last-applied-configuration annotation found on resource: {target.name}\n")
            return 1
        ctx.stdout.write(to_yaml(_decode(text)))
    return 0


def _unsupported(ctx: Context, sub: str) -> int:
    ctx.stderr.write(
        f"error: kubeclass does not offer `kubectl apply {sub}`; use `kubectl apply -f` or `kubectl patch` instead\n"
    )
    return 1
