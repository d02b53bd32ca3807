"""`kubectl taint NODE NAME KEY=VAL:EFFECT ... KEY:EFFECT- KEY-`
(staging/src/k8s.io/kubectl/pkg/cmd/taint/taint.go and utils.go, v1.32).

`key=value:Effect` (or `key:Effect`) adds a taint, `key:Effect-` removes the
taint with that key and effect, `key-` every taint with that key. The new list
is kubectl's: the added taints first, then the node's other taints in their
order. Adding a taint whose key and effect the node already has needs
`--overwrite`; removing one that is not there is an error and changes
nothing. The nodes are named, or chosen with `-l` or `--all`. Each node gets a
two-way strategic merge patch, and kubectl's word for what happened:
`node/worker-1 tainted`, `untainted` or `modified` (both, or --overwrite) —
without a dry-run suffix, as kubectl prints it. Validation errors and their
order are kubectl's (Complete, then Validate, then each node in turn).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from cluster.apiserver.errors import StatusError
from cluster.apiserver.patch import STRATEGIC_MERGE_PATCH
from cluster.apiserver.resources import lookup
from cluster.apiserver.validation.names import is_qualified_name, is_valid_label_value
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.cmdutil import Bare, check_dry_run, check_err, check_output, parse_flags, print_object, usage_error
from cluster.kubectl.flags import Parsed, UsageError
from cluster.kubectl.targets import Aggregate, for_each
from cluster.kubectl.threeway import two_way_patch

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
NODES = lookup("nodes")


@dataclass(frozen=True)
class Taint:
    key: str
    value: str = ""
    effect: str = ""
    time_added: str | None = None  # kept as the node had it (the node lifecycle controller sets it on NoExecute)

    def text(self) -> str:
        """Taint.ToString: key[=value][:effect]."""
        shown = f"{self.key}={self.value}" if self.value else self.key
        return f"{shown}:{self.effect}" if self.effect else shown

    def go_value(self) -> str:
        """fmt's %v of a v1.Taint (TimeAdded nil)."""
        return f"{{{self.key} {self.value} {self.effect} <nil>}}"

    def as_dict(self) -> dict:
        taint = {"key": self.key, **({"value": self.value} if self.value else {}), "effect": self.effect}
        return {**taint, "timeAdded": self.time_added} if self.time_added else taint


class TaintError(Aggregate):
    """What updateTaints refuses, one message per problem."""


@dataclass
class Options:
    resources: list[str]
    add: list[Taint]
    remove: list[Taint]
    overwrite: bool


@verb("taint")
def taint(ctx: Context, args: list[str]) -> int:
    parsed = parse_flags(
        ctx, args, fl.flags("selector", "all", "overwrite", "output", "dry-run", "field-manager", "validate"), "taint"
    )
    if parsed is None:
        return 1
    try:
        check_dry_run(parsed.text("dry-run"))
        opts = complete(parsed)
        problem = validate(opts, parsed)
    except UsageError as err:
        return check_err(ctx, [str(err)])
    if problem:
        return check_err(ctx, [problem])
    return run(ctx, parsed, opts)


def complete(parsed: Parsed) -> Options:
    """Split the arguments into resources and taint changes, and parse the changes."""
    resources: list[str] = []
    changes: list[str] = []
    for arg in parsed.positional:
        is_taint = "=" in arg or ":" in arg or arg.endswith("-")
        if is_taint:
            changes.append(arg)
        elif changes:
            raise UsageError(f"all resources must be specified before taint changes: {arg}")
        else:
            resources.append(arg)
    if not resources:
        raise UsageError("one or more resources must be specified as <resource> <name>")
    if not changes:
        raise UsageError("at least one taint update is required")
    try:
        add, remove = parse_taints(changes)
    except ValueError as err:
        raise usage_error(str(err), "taint") from None
    return Options(resources, add, remove, bool(parsed["overwrite"]))


def parse_taints(specs: list[str]) -> tuple[list[Taint], list[Taint]]:
    add: list[Taint] = []
    remove: list[Taint] = []
    for spec in specs:
        if spec.endswith("-"):
            found = parse_taint(spec[:-1])
            remove.append(Taint(found.key, "", found.effect))
            continue
        new = parse_taint(spec)
        if not new.effect:
            raise ValueError(f"invalid taint spec: {spec}")
        if any(t.key == new.key and t.effect == new.effect for t in add):
            raise ValueError(f"duplicated taints with the same key and effect: {new.go_value()}")
        add.append(new)
    return add, remove


def parse_taint(spec: str) -> Taint:
    """`<key>=<value>:<effect>`, `<key>:<effect>` or `<key>`, checked as upstream's parseTaint does."""
    parts = spec.split(":")
    key, value, effect = parts[0], "", ""
    if len(parts) == 2:
        effect = parts[1]
        if effect not in EFFECTS:
            raise ValueError(f"invalid taint effect: {effect}, unsupported taint effect")
        key_value = parts[0].split("=")
        if len(key_value) > 2:
            raise ValueError(f"invalid taint spec: {spec}")
        key = key_value[0]
        if len(key_value) == 2:
            value = key_value[1]
            if errs := is_valid_label_value(value):
                raise ValueError(f"invalid taint spec: {spec}, {'; '.join(errs)}")
    elif len(parts) > 2:
        raise ValueError(f"invalid taint spec: {spec}")
    if errs := is_qualified_name(key):
        raise ValueError(f"invalid taint spec: {spec}, {'; '.join(errs)}")
    return Taint(key, value, effect)


def validate(opts: Options, parsed: Parsed) -> str:
    """The resource type must be nodes; no taint both added and removed; names, --all or -l."""
    resource_type = opts.resources[0].lower()
    try:
        rt = lookup(resource_type)
    except StatusError:
        return Bare(f'the server doesn\'t have a resource type "{resource_type}"')
    if rt.kind != "Node":
        return f"invalid resource type {resource_type}, only node types are supported"
    conflicts = [
        f"{r.key}={r.effect}"
        for a in opts.add
        for r in opts.remove
        if a.key == r.key and (not r.effect or a.effect == r.effect)
    ]
    if conflicts:
        return f"can not both modify and remove the following taint(s) in the same command: {', '.join(conflicts)}"
    everything, selector = bool(parsed["all"]), parsed.text("selector")
    if everything and selector:
        return "setting 'all' parameter with a non empty selector is prohibited"
    if not everything and not selector and len(opts.resources) < 2:
        return "at least one resource name must be specified since 'all' parameter is not set"
    return ""


def run(ctx: Context, parsed: Parsed, opts: Options) -> int:
    def act(name: str) -> None:
        node = ctx.api.get(NODES, "", name)
        operation, taints = update_taints(node, opts)
        check_output(parsed.text("output"))  # kubectl builds its printer for each node, once it knows the word
        result = _send(ctx, node, taints, parsed.text("dry-run"))
        print_object(ctx, parsed.text("output"), result, f"node/{name}", operation)

    return for_each(ctx, _node_names(ctx, parsed, opts), act, check=check_err)


def _node_names(ctx: Context, parsed: Parsed, opts: Options) -> list[str]:
    if parsed.text("selector") or parsed["all"]:
        listed = ctx.api.list(NODES, None, label_selector=parsed.text("selector") or None)
        return [n["metadata"]["name"] for n in listed["items"]]
    return opts.resources[1:]


def update_taints(node: dict, opts: Options) -> tuple[str, list[Taint]]:
    """updateTaints and reorganizeTaints: the operation's word and the node's new taints."""
    name = node["metadata"]["name"]
    old = [
        Taint(str(t.get("key", "")), str(t.get("value") or ""), str(t.get("effect", "")), t.get("timeAdded"))
        for t in (node.get("spec") or {}).get("taints") or []
    ]
    if not opts.overwrite:
        existing = [a.key for a in opts.add for t in old if a.key == t.key and a.effect == t.effect]
        if existing:
            raise TaintError(
                [f"node {name} already has {','.join(existing)} taint(s) with same effect(s) and --overwrite is false"]
            )
    new = list(opts.add) + [t for t in old if not any(a.key == t.key and a.effect == t.effect for a in opts.add)]
    added = len(old) != len(new)
    errors, removed = [], False
    for gone in opts.remove:
        kept = [t for t in new if not (t.key == gone.key and (not gone.effect or t.effect == gone.effect))]
        removed, new = len(kept) != len(new), kept
        if not removed:
            errors.append(f'taint "{gone.text()}" not found')
    if errors:
        raise TaintError(errors)
    if (added and removed) or opts.overwrite:
        return "modified", new
    return ("tainted" if added else "untainted"), new


def _send(ctx: Context, node: dict, taints: list[Taint], dry_run: str) -> dict:
    """The two-way strategic merge patch from the node to its retainted self (sent even when empty, as kubectl does)."""
    desired = copy.deepcopy(node)
    spec = desired.setdefault("spec", {})
    spec["taints"] = [t.as_dict() for t in taints]
    if not taints:
        spec.pop("taints")
    patch = two_way_patch(NODES, node, desired)
    if dry_run == "client":
        return desired
    return ctx.api.patch(NODES, "", node["metadata"]["name"], patch, STRATEGIC_MERGE_PATCH, dry_run=dry_run == "server")
