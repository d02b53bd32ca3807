"""`kubectl describe TYPE [NAME_PREFIX]`: one describer per kind (pkg/cmd/describe, pkg/describe).

Arguments resolve as for other verbs (`TYPE NAME...`, `TYPE/NAME`, `-l`,
all objects of a type); when `TYPE NAME` finds nothing, kubectl describes
every object whose name starts with NAME, and so does this. Descriptions are
separated by two blank lines; the describers themselves live in
describe_workloads.py and describe_config.py.
"""

from __future__ import annotations

import io
from typing import Callable

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType
from cluster.kubectl import flags as fl
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.describe_config import CONFIG_DESCRIBERS
from cluster.kubectl.describe_controllers import CONTROLLER_DESCRIBERS
from cluster.kubectl.describe_format import PrefixWriter, annotations_multiline, events_for, labels_multiline
from cluster.kubectl.describe_policy import POLICY_DESCRIBERS
from cluster.kubectl.describe_scheduling import SCHEDULING_DESCRIBERS
from cluster.kubectl.describe_workloads import WORKLOAD_DESCRIBERS
from cluster.kubectl.flags import Flag, UsageError
from cluster.kubectl.output import go_value
from cluster.kubectl.targets import Target, named_targets, report

Describer = Callable[[Context, dict, PrefixWriter, bool], None]
NO_TYPE = (
    'You must specify the type of resource to describe. Use "kubectl api-resources" for a complete list of '
    "supported resources."
)


@verb("describe")
def describe(ctx: Context, args: list[str]) -> int:
    try:
        parsed = fl.parse(
            args,
            fl.flags(
                "filename",
                "selector",
                "all-namespaces",
                extra=(Flag("show-events", "bool", True), Flag("chunk-size", "int", 500)),
            ),
        )
        if not parsed.positional:
            raise UsageError(NO_TYPE)
        targets = named_targets(ctx, parsed.positional)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    show_events = bool(parsed["show-events"])
    objects, errors = _fetch(ctx, targets, parsed.text("selector"), bool(parsed["all-namespaces"]))
    named = len(parsed.positional) == 2 and "/" not in parsed.positional[0]
    if named and errors and not objects and all(isinstance(e, StatusError) and e.code == 404 for e in errors):
        return _describe_prefix(ctx, targets[0].rt, parsed.positional[1], errors[0], show_events)
    for index, (rt, obj) in enumerate(objects):
        ctx.stdout.write(("" if index == 0 else "\n\n") + describe_object(ctx, rt, obj, show_events))
    if not objects and not errors:
        ctx.stderr.write(
            "No resources found\n"
            if parsed["all-namespaces"]
            else f"No resources found in {ctx.namespace} namespace.\n"
        )
    return report(ctx, errors)


def _fetch(ctx: Context, targets: list[Target], selector: str, everywhere: bool) -> tuple[list, list]:
    objects: list[tuple[ResourceType, dict]] = []
    errors: list = []
    for target in targets:
        if target.name:
            try:
                objects.append((target.rt, ctx.api.get(target.rt, target.namespace, target.name)))
            except StatusError as err:
                errors.append(err)
            continue
        namespace = None if everywhere or not target.rt.namespaced else ctx.namespace
        listed = ctx.api.list(target.rt, namespace, label_selector=selector or None)["items"]
        objects.extend((target.rt, obj) for obj in listed)
    return objects, errors


def _describe_prefix(ctx: Context, rt: ResourceType, prefix: str, original: StatusError, show_events: bool) -> int:
    listed = ctx.api.list(rt, ctx.namespace if rt.namespaced else None)["items"]
    matched = [obj for obj in listed if obj["metadata"]["name"].startswith(prefix)]
    if not matched:
        return report(ctx, [original])
    for obj in matched:
        ctx.stdout.write(describe_object(ctx, rt, obj, show_events) + "\n")
    return 0


def describe_object(ctx: Context, rt: ResourceType, obj: dict, show_events: bool = True) -> str:
    buffer = io.StringIO()
    w = PrefixWriter(buffer)
    describer = (
        WORKLOAD_DESCRIBERS.get(rt.kind)
        or CONTROLLER_DESCRIBERS.get(rt.kind)
        or CONFIG_DESCRIBERS.get(rt.kind)
        or POLICY_DESCRIBERS.get(rt.kind)
        or SCHEDULING_DESCRIBERS.get(rt.kind)
        or generic
    )
    describer(ctx, obj, w, show_events)
    w.flush()
    return buffer.getvalue()


def generic(ctx: Context, obj: dict, w: PrefixWriter, show_events: bool) -> None:
    """genericDescriber: the metadata, then every other field of the object, nested by level."""
    meta = obj["metadata"]
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    _unstructured(w, 0, obj, skip=("metadata",))
    if show_events:
        from cluster.kubectl.describe_format import describe_events

        describe_events(w, events_for(ctx.api, obj), ctx.api.now())


def _unstructured(w: PrefixWriter, level: int, content: dict, skip: tuple[str, ...] = ()) -> None:
    for key in sorted(content):
        if key in skip:
            continue
        value = content[key]
        title = _field_title(key)
        if isinstance(value, dict):
            w.write(level, f"{title}:\n")
            _unstructured(w, level + 1, value)
        elif isinstance(value, list):
            w.write(level, f"{title}:\n")
            for item in value:
                if isinstance(item, dict):
                    _unstructured(w, level + 1, item)
                else:
                    w.write(level + 1, f"{go_value(item)}\n")
        else:
            w.write(level, f"{title}:\t{go_value(value)}\n")


def _field_title(key: str) -> str:
    """kubectl's smartLabelFor: `apiVersion` → `API Version`, `clusterIP` → `Cluster IP`."""
    words, current = [], ""
    for ch in key:
        if ch.isupper() and current and not current[-1].isupper():
            words.append(current)
            current = ch
        else:
            current += ch
    words.append(current)
    special = {"api": "API", "ip": "IP", "ips": "IPs", "url": "URL", "uid": "UID", "cidr": "CIDR"}
    return " ".join(special.get(word.lower(), word[:1].upper() + word[1:]) for word in words if word)
