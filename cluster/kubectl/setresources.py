"""`kubectl set resources` (staging/src/k8s.io/kubectl/pkg/cmd/set/set_resources.go, v1.32).

Sets `--limits` and `--requests` (`cpu=200m,memory=512Mi`) on the containers
`-c` selects (all by default; `*` is a wildcard, matched as kubectl's
selectString does) in a Pod or a workload's Pod template, containers first and
then init containers. The quantities are parsed and sent in canonical form
(`0.5` → `500m`), and the change goes out as a two-way strategic merge patch;
an unchanged object sends nothing and prints nothing. Errors keep kubectl's
order: a target that cannot be read stops everything; then the containers not
found, then the objects without a pod template and the patches the API server
refused (`failed to patch resources update to pod template ...`). A Pod's
resources go to the API server like any other change, which decides whether a
running Pod may be changed in place.

Simplified: no -f/--local/--record; -o prints json, yaml, name or jsonpath (client dry
run prints the changed object with sorted keys, not in Go's field order).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import partial

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context
from cluster.kubectl.cmdutil import check_dry_run, check_err, check_output, parse_flags, print_object
from cluster.kubectl.create import dry_run_suffix
from cluster.kubectl.flags import Flag, Parsed, UsageError
from cluster.kubectl.mutate import change_object
from cluster.kubectl.quantities import canonical
from cluster.kubectl.setimage import SUBCOMMANDS
from cluster.kubectl.targets import RESOURCE_HINT, Target, kind_name, named_or_selected, named_targets, visit

RESOURCES_FLAGS = (
    Flag("containers", "string", "*", short="c"),
    Flag("limits", "string", ""),
    Flag("requests", "string", ""),
)
TEMPLATED = ("Pod", "Deployment", "ReplicaSet")


@dataclass(frozen=True)
class Requirements:
    containers: str  # the -c pattern
    limits: dict[str, str] | None  # None: --limits not given
    requests: dict[str, str] | None


def set_resources(ctx: Context, args: list[str]) -> int:
    parsed = parse_flags(
        ctx,
        args,
        fl.flags("selector", "all", "output", "dry-run", "field-manager", extra=RESOURCES_FLAGS),
        "set resources",
    )
    if parsed is None:
        return 1
    try:
        check_dry_run(parsed.text("dry-run"))
        check_output(parsed.text("output"))
        objects, errors = _read_targets(ctx, parsed)
        if errors:
            return check_err(ctx, errors)
        wanted = _requirements(parsed)
    except UsageError as err:
        return check_err(ctx, [str(err)])
    return _update_all(ctx, parsed, objects, wanted)


def _read_targets(ctx: Context, parsed: Parsed) -> tuple[list[tuple[ResourceType, dict]], list]:
    """The builder with Latest(): every object as the server has it, or the errors reading them."""
    selector = parsed.text("selector")
    if not parsed.positional:
        raise UsageError("at least one resource must be specified to use a selector" if selector else RESOURCE_HINT)
    if selector and any(t.name for t in named_targets(ctx, parsed.positional)):
        raise UsageError("name cannot be provided when a selector is specified")
    objects: list[tuple[ResourceType, dict]] = []

    def read(target: Target) -> None:
        objects.append((target.rt, ctx.api.get(target.rt, target.namespace, target.name)))

    errors = visit(named_or_selected(ctx, parsed.positional, bool(parsed["all"]), selector), read)
    return objects, errors


def _requirements(parsed: Parsed) -> Requirements:
    """Validate: the flags, then each resource list as generateversioned.HandleResourceRequirementsV1 parses it."""
    if parsed["all"] and parsed.text("selector"):
        raise UsageError("cannot set --all and --selector at the same time")
    limits, requests = parsed.text("limits"), parsed.text("requests")
    if not limits and not requests:
        raise UsageError("you must specify an update to requests or limits (in the form of --requests/--limits)")
    return Requirements(parsed.text("containers"), resource_list(limits), resource_list(requests))


def resource_list(spec: str) -> dict[str, str] | None:
    """`cpu=200m,memory=512Mi` → {"cpu": "200m", "memory": "512Mi"}, quantities canonical."""
    if not spec:
        return None
    result: dict[str, str] = {}
    for statement in spec.split(","):
        parts = statement.split("=")
        if len(parts) != 2:
            raise UsageError(f"Invalid argument syntax {statement}, expected <resource>=<value>")
        try:
            result[parts[0]] = canonical(parts[1])
        except ValueError as err:
            raise UsageError(str(err)) from None
    return result


def _update_all(ctx: Context, parsed: Parsed, objects: list[tuple[ResourceType, dict]], wanted: Requirements) -> int:
    missing: list[str | StatusError] = []  # CalculatePatches' errors come before the ones of the patch loop

    def update(item: tuple[ResourceType, dict]) -> None:
        rt, obj = item
        name = obj["metadata"]["name"]
        if rt.kind not in TEMPLATED:
            raise UsageError(
                f"error: {rt.plural}/{name} the object is not a pod or does not have a pod template: "
                f"*{rt.version}.{rt.kind}\n"
            )
        if not select_containers(pod_spec(rt, obj), wanted.containers):
            missing.append(f"error: unable to find container named {wanted.containers}")
            return
        try:
            result, changed = change_object(
                ctx, rt, canonical_resources(rt, obj), partial(_apply, rt, wanted), dry_run=parsed.text("dry-run")
            )
        except StatusError as err:
            raise UsageError(f"failed to patch resources update to pod template {err.message}") from None
        if changed:
            print_object(
                ctx,
                parsed.text("output"),
                result,
                kind_name(rt, name),
                "resource requirements updated" + dry_run_suffix(parsed.text("dry-run")),
            )

    errors = visit(objects, update)
    return check_err(ctx, missing + errors)


def pod_spec(rt: ResourceType, obj: dict) -> dict:
    """polymorphichelpers.UpdatePodSpecForObject: a Pod's spec, or its template's."""
    spec = obj.setdefault("spec", {})
    return spec if rt.kind == "Pod" else spec.setdefault("template", {}).setdefault("spec", {})


def select_containers(spec: dict, pattern: str) -> list[dict]:
    """The containers, then the init containers, whose names match the -c pattern."""
    pool = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    return [c for c in pool if select_string(str(c.get("name") or ""), pattern)]


def select_string(name: str, pattern: str) -> bool:
    """selectString: `*` matches anything; parts between stars must appear in order (kubectl's own matcher)."""
    if pattern == "*":
        return True
    if "*" not in pattern:
        return name == pattern
    pos = 0
    parts = pattern.split("*")
    for i, part in enumerate(parts):
        if not part:
            continue
        found = name[pos:].find(part)
        if found < pos or (i == 0 and pos != 0) or (i == len(parts) - 1 and len(name) != len(part) + found):
            return False
        pos = found
    return True


def _apply(rt: ResourceType, wanted: Requirements, obj: dict) -> None:
    for container in select_containers(pod_spec(rt, obj), wanted.containers):
        resources = container.setdefault("resources", {})
        for key, values in (("limits", wanted.limits), ("requests", wanted.requests)):
            if values is not None:
                resources[key] = {**(resources.get(key) or {}), **values}


def canonical_resources(rt: ResourceType, obj: dict) -> dict:
    """The object as kubectl decodes it: each container's quantities in canonical form, so `0.5` equals `500m`."""
    decoded = copy.deepcopy(obj)
    spec = pod_spec(rt, decoded)
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        for values in ((container.get("resources") or {}).get(k) for k in ("limits", "requests")):
            if not values:
                continue
            for key, value in values.items():
                try:
                    values[key] = canonical(str(value))
                except ValueError:
                    pass
    return decoded


SUBCOMMANDS["resources"] = set_resources
