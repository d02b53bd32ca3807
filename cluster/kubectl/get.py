"""`kubectl get`: list or fetch resources and print them as kubectl v1.32 does.

Follows kubectl's pkg/cmd/get: the arguments are resource types (comma lists,
categories such as `all`) and names, or TYPE/NAME pairs; human-readable output
prints the server's Table per resource type with a blank line between types
and a `kind/` prefix when several kinds are shown; `-o yaml|json|name|jsonpath|go-template`
print the objects themselves, as one `List` unless a single object was asked
for. `-w` prints the table, then one row per change, for a bounded time.
`--raw URI` prints the API's answer to a GET of that path (raw.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from cluster import clock
from cluster.apiserver import printers
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType, in_category, lookup
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.get_flags import GetFlags, UsageError, parse_flags
from cluster.kubectl import gotemplate, sorting
from cluster.kubectl.jsonpath import JSONPath, JSONPathError
from cluster.kubectl.output import (
    TableOptions,
    TablePrinter,
    print_custom_columns,
    print_names,
    to_json,
    to_yaml,
)
from cluster.kubectl.raw import run_raw
from cluster.kubectl.tabwriter import TabWriter

NO_RESOURCE_TYPE = (
    'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of '
    "supported resources.\n\nerror: Required resource not specified.\n"
    'Use "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain pods).\n'
    "See 'kubectl get -h' for help and examples\n"
)


@dataclass
class Request:
    """One resource type, with the names asked for (none: list them all)."""

    rt: ResourceType
    names: list[str] = field(default_factory=list)


@dataclass
class Info:
    """What one request brought back (resource.Info): a list or one object."""

    rt: ResourceType
    objects: list[dict]
    resource_version: str = ""


@verb("get")
def get(ctx: Context, args: list[str]) -> int:
    try:
        flags = parse_flags(args)
        if flags.raw:
            return run_raw(ctx, flags)
        if not flags.positional:
            ctx.stderr.write(NO_RESOURCE_TYPE)
            return 1
        requests = resolve(flags.positional)
        if flags.watch:
            return watch(ctx, flags, requests)
        return run_get(ctx, flags, requests)
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    except SortCrash as crash:
        ctx.stderr.write(crash.line)  # klog.Exitf: what was not flushed yet is lost, as with kubectl
        return 1
    except JSONPathError as err:
        ctx.stderr.write(f"error: error executing jsonpath: {err}\n")
        return 1


def resolve(positional: list[str]) -> list[Request]:
    """ResourceTypeOrNameArgs: `pods`, `pods a b`, `deploy,svc`, `all`, `pod/a svc/b`."""
    if any("/" in arg for arg in positional):
        if not all("/" in arg for arg in positional):
            raise UsageError(
                "there is no need to specify a resource type as a separate argument when passing "
                "arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' "
                "instead of 'kubectl get resource resource/<resource_name>'"
            )
        requests: list[Request] = []
        for arg in positional:
            kind, _, name = arg.partition("/")
            if not name:
                raise UsageError("arguments in resource/name form must have a single resource and name")
            rt = _lookup(kind)
            if requests and requests[-1].rt == rt:
                requests[-1].names.append(name)
            else:
                requests.append(Request(rt, [name]))
        return requests
    types, names = positional[0], positional[1:]
    requests = []
    for kind in [t for t in types.split(",") if t]:
        for rt in in_category(kind) if kind == "all" else [_lookup(kind)]:
            requests.append(Request(rt, list(names)))
    return requests


def _lookup(kind: str) -> ResourceType:
    try:
        return lookup(kind)
    except StatusError:
        raise UsageError(f'the server doesn\'t have a resource type "{kind}"') from None


def fetch(ctx: Context, flags: GetFlags, requests: list[Request]) -> tuple[list[Info], list[StatusError]]:
    infos: list[Info] = []
    errors: list[StatusError] = []
    namespace = None if flags.all_namespaces else ctx.namespace
    for request in requests:
        if not request.names:
            listed = ctx.api.list(
                request.rt,
                namespace if request.rt.namespaced else None,
                label_selector=flags.selector or None,
                field_selector=flags.field_selector or None,
            )
            infos.append(Info(request.rt, listed["items"], listed["metadata"].get("resourceVersion", "")))
            continue
        for name in request.names:
            try:
                infos.append(Info(request.rt, [ctx.api.get(request.rt, ctx.namespace, name)]))
            except StatusError as err:
                if not (flags.ignore_not_found and err.code == 404):
                    errors.append(err)
    return infos, errors


def run_get(ctx: Context, flags: GetFlags, requests: list[Request]) -> int:
    infos, errors = fetch(ctx, flags, requests)
    if flags.output in ("", "wide"):
        print_human(ctx, flags, infos, errors)
    else:
        single = (
            len(requests) == 1
            and len(requests[0].names) == 1
            and "," not in flags.positional[0]
            and flags.positional[0] != "all"
        )
        if single and errors:
            return _report(ctx, errors)
        print_generic(ctx, flags, infos, single)
    return _report(ctx, errors)


def _report(ctx: Context, errors: list[StatusError]) -> int:
    for err in errors:
        ctx.stderr.write(f"Error from server ({err.reason}): {err.message}\n")
    return 1 if errors else 0


class SortCrash(Exception):
    """kubectl's sorter met a value it cannot order and exited with a fatal log line."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


def _sort(objects: list[dict], sort_by: str, where: tuple[str, str]) -> list[dict]:
    """sorting.sort_objects, with kubectl's failures: its error text, or its fatal exit."""
    try:
        return sorting.sort_objects(objects, sort_by)
    except sorting.FieldNotFound as err:
        raise UsageError(str(err)) from None
    except sorting.Unsortable as err:
        raise SortCrash(sorting.fatal_line(where, sort_by, err)) from None


def _sort_infos(infos: list[Info], sort_by: str) -> list[Info]:
    """RuntimeSorter over several results: kubectl sorts the Tables themselves by the field, which a
    Table seldom has (`.metadata.name` is not on one), so asking for several types fails as it does there."""
    if len(infos) <= 1:
        return infos
    tables = [
        {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": info.resource_version}}
        for info in infos
    ]
    position = {id(table): i for i, table in enumerate(tables)}
    return [infos[position[id(table)]] for table in _sort(tables, sort_by, sorting.RUNTIME_SORT)]


def _sorted_rows(info: Info, sort_by: str) -> list[dict] | None:
    """SortingPrinter over one Table: its rows in order, or None when the field is on none of them
    (kubectl drops that printer's error, so the table prints nothing)."""
    if not sort_by or len(info.objects) <= 1:
        return info.objects
    try:
        return _sort(info.objects, sort_by, sorting.TABLE_SORTER)
    except UsageError:
        return None


class _TrackingOut:
    """The trackingWriter and separatorWriter of kubectl get: a blank line between resource groups."""

    def __init__(self, out) -> None:
        self.out, self.written, self.ready = out, 0, False

    def write(self, text: str) -> None:
        if text and self.ready:
            self.out.write("\n")
            self.ready = False
        self.out.write(text)
        self.written += len(text)


def print_human(ctx: Context, flags: GetFlags, infos: list[Info], errors: list[StatusError]) -> None:
    tracking = _TrackingOut(ctx.stdout)
    w = TabWriter(tracking)
    with_kind = len(infos) > 1 and any(i.rt != infos[0].rt for i in infos)
    printer: TablePrinter | None = None
    last: ResourceType | None = None
    now = ctx.api.now()
    if flags.sort_by:
        infos = _sort_infos(infos, flags.sort_by)
    for info in infos:
        if printer is None or info.rt != last:
            w.flush()
            w.set_remembered_widths(None)
            if last is not None and not flags.no_headers and tracking.written > 0:
                tracking.ready = True
            printer = TablePrinter(table_options(flags, info.rt, with_kind))
            last = info.rt
        rows = _sorted_rows(info, flags.sort_by)
        if rows is not None:
            printer.print_table(printers.table(info.rt, rows, now, info.resource_version), w)
    w.flush()
    if tracking.written == 0 and not flags.ignore_not_found and not errors:
        namespaced = not flags.all_namespaces and all(i.rt.namespaced for i in infos)
        ctx.stderr.write(
            f"No resources found in {ctx.namespace} namespace.\n" if namespaced else "No resources found\n"
        )


def table_options(flags: GetFlags, rt: ResourceType, with_kind: bool) -> TableOptions:
    kind = ""
    if with_kind:
        kind = f"{rt.kind}.{rt.group}".lower() if rt.group else rt.kind.lower()
    return TableOptions(
        wide=flags.output == "wide",
        no_headers=flags.no_headers,
        with_namespace=flags.all_namespaces and rt.namespaced,
        show_labels=flags.show_labels,
        label_columns=flags.label_columns,
        kind=kind,
    )


def print_generic(ctx: Context, flags: GetFlags, infos: list[Info], single: bool) -> None:
    items = [obj for info in infos for obj in info.objects]
    if flags.sort_by and not (single and len(items) == 1):
        items = _sort(items, flags.sort_by, sorting.RUNTIME_SORT)
    if single and len(items) == 1:
        obj = items[0]
    else:
        obj = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    fmt, _, arg = flags.output.partition("=")
    # Only -o yaml and -o json leave managedFields out (--show-managed-fields); a jsonpath or a template sees them.
    if fmt == "yaml":
        ctx.stdout.write(to_yaml(obj, flags.show_managed_fields))
    elif fmt == "json":
        ctx.stdout.write(to_json(obj, flags.show_managed_fields))
    elif fmt == "name":
        ctx.stdout.write(print_names(obj))
    elif fmt == "jsonpath":
        ctx.stdout.write(JSONPath(_strip_quotes(arg)).execute(obj))
    elif fmt == "custom-columns":
        w = TabWriter(ctx.stdout)
        print_custom_columns(arg, items, flags.no_headers, w)
        w.flush()
    elif fmt in ("go-template", "template"):
        printed = gotemplate.execute(arg or flags.template, obj, flags.allow_missing_template_keys)
        ctx.stdout.write(printed.stdout)
        if printed.error:
            raise UsageError(printed.error)


def _strip_quotes(template: str) -> str:
    if len(template) >= 2 and template[0] == template[-1] and template[0] in "'\"":
        return template[1:-1]
    return template


# -- watch ------------------------------------------------------------------
def watch(ctx: Context, flags: GetFlags, requests: list[Request]) -> int:
    """Print the current table (unless --watch-only), then a row per change until the time is up."""
    if len(requests) != 1:
        raise UsageError("you may only specify a single resource type")
    request = requests[0]
    infos, errors = fetch(ctx, flags, requests)
    if errors:
        return _report(ctx, errors)
    out = _TrackingOut(ctx.stdout)
    w = TabWriter(out)
    printer = TablePrinter(table_options(flags, request.rt, False))
    since = ctx.api.current_revision()
    if not flags.watch_only:
        printer.print_table(printers.table(request.rt, infos[0].objects if infos else [], ctx.api.now()), w)
        w.flush()
    namespace = None if flags.all_namespaces or not request.rt.namespaced else ctx.namespace
    deadline = time.monotonic() + flags.watch_seconds
    while time.monotonic() < deadline and not ctx.stop.is_set():
        events, since = ctx.api.watch_batch(
            request.rt, namespace, since, flags.selector or None, flags.field_selector or None
        )
        if events:
            clock.reload(ctx.api.cluster)
        for event in events:
            if request.names and event.object["metadata"]["name"] not in request.names:
                continue
            table = printers.table(request.rt, [event.object], ctx.api.now())
            printer.print_table(table, w, event.type if flags.output_watch_events else "")
            w.flush()
        if hasattr(ctx.stdout, "flush"):
            ctx.stdout.flush()
        ctx.stop.wait(0.2)
    return 0
