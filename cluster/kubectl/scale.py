"""`kubectl scale TYPE NAME --replicas=N`: through the scale subresource (pkg/cmd/scale).

kubectl reads `<resource>/<name>/scale`, checks `--current-replicas` and
`--resource-version` preconditions, and writes the new `spec.replicas` back
through the same subresource: a HorizontalPodAutoscaler scales the same way.
Prints `deployment.apps/web scaled`.
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.create import dry_run_suffix
from cluster.kubectl.flags import Flag, UsageError
from cluster.kubectl.targets import RESOURCE_HINT, Target, for_each, kind_name, named_or_selected

SCALE_FLAGS = (
    Flag("replicas", "int", -1),
    Flag("current-replicas", "int", -1),
    Flag("resource-version", "string", ""),
    Flag("timeout", "string", "0s"),
)


@verb("scale")
def scale(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(args, fl.flags("filename", "selector", "all", "output", "dry-run", extra=SCALE_FLAGS))
        fl.require(parsed, "replicas")
        if int(parsed["replicas"]) < 0:
            raise UsageError("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
        if not parsed.positional:
            raise UsageError(RESOURCE_HINT)
        targets = named_or_selected(ctx, parsed.positional, parsed["all"], parsed.text("selector"))
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1

    def act(target: Target) -> None:
        try:
            current = ctx.api.get_scale(target.rt, target.namespace, target.name)
        except StatusError as err:
            if len(targets) == 1:
                raise UsageError(f"no objects passed to scale {err.message}") from None
            raise
        expected = int(parsed["current-replicas"])
        if expected >= 0 and current["spec"]["replicas"] != expected:
            raise UsageError(f"Expected replicas to be {expected}, was {current['spec']['replicas']}")
        current["spec"]["replicas"] = int(parsed["replicas"])
        if parsed.text("resource-version"):
            current["metadata"]["resourceVersion"] = parsed.text("resource-version")
        else:
            current["metadata"].pop("resourceVersion", None)
        if parsed.text("dry-run") != "client":
            ctx.api.update_scale(target.rt, target.namespace, target.name, current)
        ctx.stdout.write(kind_name(target.rt, target.name) + " scaled" + dry_run_suffix(parsed.text("dry-run")) + "\n")

    return for_each(ctx, targets, act)
