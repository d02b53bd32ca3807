"""`kubectl api-resources` and `kubectl api-versions`: what discovery advertises (pkg/cmd/apiresources).

Columns NAME, SHORTNAMES, APIVERSION, NAMESPACED, KIND (and VERBS,
CATEGORIES with `-o wide`), sorted by API group and then name, as kubectl
sorts them; `-o name` prints `plural.group`. Filters: `--namespaced`,
`--api-group`, `--verbs`, `--no-headers`, `--sort-by=name|kind`.
The metrics.k8s.io resources metrics-server adds (cluster/metrics.py) are listed as a real
cluster with metrics-server lists them.
"""

from __future__ import annotations

from cluster.apiserver.resources import PREFERRED, RESOURCES, ResourceType
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.flags import Flag, UsageError
from cluster.kubectl.tabwriter import TabWriter
from cluster.metrics import METRICS_RESOURCES

API_RESOURCES_FLAGS = (
    Flag("namespaced", "string", ""),
    Flag("api-group", "string", ""),
    Flag("verbs", "slice"),
    Flag("no-headers", "bool", False),
    Flag("sort-by", "string", ""),
    Flag("cached", "bool", False),
    Flag("categories", "slice"),
)


@verb("api-resources")
def api_resources(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(args, fl.flags("output", extra=API_RESOURCES_FLAGS))
        output, sort_by = parsed.text("output"), parsed.text("sort-by")
        if output not in ("", "wide", "name"):
            raise UsageError(f"--output {output} is not available")
        if sort_by not in ("", "name", "kind"):
            raise UsageError("--sort-by accepts only name or kind")
        if parsed.positional:
            raise UsageError(f"unexpected arguments: {parsed.positional}")
        # kubectl lists preferred versions only; metrics-server's aggregated API is discovered too
        chosen = [r for r in (*PREFERRED, *METRICS_RESOURCES) if _wanted(r, parsed)]
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    chosen.sort(key=lambda r: {"name": (r.plural,), "kind": (r.kind,)}.get(sort_by, (r.group, r.plural)))
    if output == "name":
        ctx.stdout.write("".join(f"{r.plural}.{r.group}\n" if r.group else f"{r.plural}\n" for r in chosen))
        return 0
    w = TabWriter(ctx.stdout)
    if not parsed["no-headers"]:
        w.write(
            "NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND"
            + ("\tVERBS\tCATEGORIES" if output == "wide" else "")
            + "\n"
        )
    for r in chosen:
        row = [r.plural, ",".join(r.short_names), r.api_version, "true" if r.namespaced else "false", r.kind]
        if output == "wide":
            row += [",".join(sorted(r.verbs)), ",".join(r.categories)]
        w.write("\t".join(row) + "\n")
    w.flush()
    return 0


def _wanted(r: ResourceType, parsed: fl.Parsed) -> bool:
    namespaced = parsed.text("namespaced")
    if namespaced and namespaced not in ("true", "false"):
        raise UsageError(
            f'invalid argument "{namespaced}" for "--namespaced" flag: strconv.ParseBool: parsing '
            f'"{namespaced}": invalid syntax'
        )
    if namespaced and (namespaced == "true") != r.namespaced:
        return False
    if "api-group" in parsed.given and parsed.text("api-group") != r.group:
        return False
    if parsed.many("verbs") and not set(parsed.many("verbs")) <= set(r.verbs):
        return False
    return not parsed.many("categories") or bool(set(parsed.many("categories")) & set(r.categories))


@verb("api-versions")
def api_versions(ctx: Context, args: list[str]) -> int:
    if args:
        ctx.stderr.write(
            f'error: unknown command "{args[0]}" for "kubectl api-versions"\n'
            if not args[0].startswith("-")
            else f"error: unknown flag: {args[0]}\n"
        )
        return 1
    ctx.stdout.write("".join(f"{v}\n" for v in sorted({r.api_version for r in (*RESOURCES, *METRICS_RESOURCES)})))
    return 0
