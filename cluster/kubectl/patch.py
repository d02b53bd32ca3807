"""`kubectl patch TYPE NAME -p PATCH [--type=strategic|merge|json]` (pkg/cmd/patch).

The patch text may be JSON or YAML, as kubectl converts YAML to JSON before
sending it. `patched (no change)` when the server's answer is the object as
it was.
"""

from __future__ import annotations

import yaml

from cluster import decoding
from cluster.apiserver.patch import JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.flags import Flag, UsageError
from cluster.kubectl.output import to_json, to_yaml
from cluster.kubectl.targets import RESOURCE_HINT, Target, for_each, go_yaml_error, kind_name, named_targets

PATCH_TYPES = {"json": JSON_PATCH, "merge": MERGE_PATCH, "strategic": STRATEGIC_MERGE_PATCH}
PATCH_FLAGS = (
    Flag("patch", "string", "", "p"),
    Flag("patch-file", "string", ""),
    Flag("type", "string", "strategic"),
    Flag("subresource", "string", ""),
    Flag("local", "bool", False),
)


@verb("patch")
def patch(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(args, fl.flags("filename", "output", "dry-run", "field-manager", extra=PATCH_FLAGS))
        patch_type = parsed.text("type")
        if patch_type not in PATCH_TYPES:
            raise UsageError(f'--type must be one of [json merge strategic], not "{patch_type}"')
        text = parsed.text("patch")
        if parsed.text("patch-file"):
            if not ctx.local_files:
                raise UsageError("this terminal cannot read files: pass the patch with -p instead")
            with open(parsed.text("patch-file"), encoding="utf-8") as handle:
                text = handle.read()
        if not text:
            raise UsageError("must specify --patch or --patch-file containing the contents of the patch")
        body = _decode(text)
        if not parsed.positional:
            raise UsageError(RESOURCE_HINT)
        targets = named_targets(ctx, parsed.positional)
        if any(not t.name for t in targets):
            raise UsageError("resource(s) were provided, but no name was specified")
    except (UsageError, OSError) as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1

    def act(target: Target) -> None:
        before = ctx.api.get(target.rt, target.namespace, target.name)
        after = ctx.api.patch(
            target.rt,
            target.namespace,
            target.name,
            body,
            PATCH_TYPES[patch_type],
            subresource=parsed.text("subresource"),
            dry_run=parsed.text("dry-run") in ("server", "client"),
        )
        output = parsed.text("output")
        if output in ("yaml", "json"):
            ctx.stdout.write(to_yaml(after) if output == "yaml" else to_json(after))
            return
        # kubectl compares the objects before and after; its dry-run modes add no suffix here.
        word = " patched (no change)" if _same(before, after) else " patched"
        ctx.stdout.write(kind_name(target.rt, target.name) + word + "\n")

    return for_each(ctx, targets, act)


def _same(before: dict, after: dict) -> bool:
    return _without_version(before) == _without_version(after)


def _without_version(obj: dict) -> dict:
    return {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}}


def _decode(text: str) -> object:
    """yaml.ToJSON: kubectl accepts the patch as JSON or YAML."""
    try:
        return decoding.load_yaml(text)
    except yaml.YAMLError as err:
        raise UsageError(f'unable to parse "{text}": {go_yaml_error(err)}') from None
    except decoding.DecodeError as err:
        raise UsageError(f'unable to parse "{text}": yaml: {err}') from None
