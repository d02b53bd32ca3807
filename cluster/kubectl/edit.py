"""`kubectl edit TYPE NAME`: open the object in $KUBE_EDITOR/$EDITOR and send back the change.

As kubectl does (pkg/cmd/util/editor): write the object as YAML under a
comment header to a temporary file, run the editor, and if the text changed
send the difference as a strategic merge patch; an empty file cancels.
Without a terminal and KUBE_EDITOR — the browser terminal has neither — it says so and points at
`kubectl patch` and `kubectl apply`, which do the same job there.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile

import yaml

from cluster import decoding
from cluster.apiserver.patch import STRATEGIC_MERGE_PATCH
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.flags import UsageError
from cluster.kubectl.output import to_yaml
from cluster.kubectl.targets import RESOURCE_HINT, Target, for_each, kind_name, named_targets
from cluster.kubectl.threeway import two_way_patch

HEADER = (
    "# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
    "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
    "# reopened with the relevant failures.\n#\n"
)
NO_EDITOR = (
    "kubectl edit needs an editor, and this terminal has none: change the object with `kubectl patch` "
    "or `kubectl apply -f -` instead"
)
NO_TERMINAL = (
    "kubectl edit needs an editor on a terminal: set KUBE_EDITOR, or change the object with "
    "`kubectl patch` or `kubectl apply -f` instead"
)


@verb("edit")
def edit(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(args, fl.flags("filename", "output"))
        if not parsed.positional:
            raise UsageError(RESOURCE_HINT)
        targets = named_targets(ctx, parsed.positional)
        if any(not t.name for t in targets):
            raise UsageError("resource(s) were provided, but no name was specified")
        editor = _editor(ctx)
        if not editor:
            raise UsageError(NO_TERMINAL if ctx.local_files else NO_EDITOR)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1

    def act(target: Target) -> None:
        current = ctx.api.get(target.rt, target.namespace, target.name)
        edited = _run_editor(editor, HEADER + to_yaml(current))
        if edited is None:
            ctx.stdout.write("Edit cancelled, no changes made.\n")
            return
        patch = two_way_patch(target.rt, current, edited)
        if not patch:
            ctx.stdout.write("Edit cancelled, no changes made.\n")
            return
        ctx.api.patch(target.rt, target.namespace, target.name, patch, STRATEGIC_MERGE_PATCH)
        ctx.stdout.write(kind_name(target.rt, target.name) + " edited\n")

    return for_each(ctx, targets, act)


def _editor(ctx: Context) -> str:
    """KUBE_EDITOR always; otherwise EDITOR or vi, but only on a real terminal (not the browser's)."""
    if not ctx.local_files:
        return ""
    if os.environ.get("KUBE_EDITOR"):
        return os.environ["KUBE_EDITOR"]
    interactive = hasattr(ctx.stdin, "isatty") and ctx.stdin.isatty()
    return (os.environ.get("EDITOR") or "vi") if interactive else ""


def _run_editor(editor: str, text: str) -> dict | None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="kubectl-edit-", delete=False) as handle:
        handle.write(text)
        path = handle.name
    try:
        result = subprocess.run(shlex.split(editor) + [path], check=False, timeout=3600)
        if result.returncode != 0:
            raise UsageError(f'there was a problem with the editor "{editor}"')
        with open(path, encoding="utf-8") as handle:
            lines = [line for line in handle.read().splitlines(keepends=True) if not line.startswith("#")]
    finally:
        os.unlink(path)
    if not "".join(lines).strip():
        return None
    try:
        obj = decoding.load_yaml("".join(lines))
    except (yaml.YAMLError, decoding.DecodeError) as err:
        raise UsageError(f"edit cancelled, the file is not valid YAML: {err}") from None
    return obj if isinstance(obj, dict) else None
