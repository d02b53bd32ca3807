"""kubectl's printers (k8s.io/cli-runtime/pkg/printers): table, name, json, yaml, custom-columns.

The table printer takes a meta.k8s.io Table, as the server prints it, and does
what kubectl does on the client: hides priority-1 columns unless `-o wide`,
adds NAMESPACE (`-A`), LABELS (`--show-labels`), the `kind/` name prefix when
several kinds are printed, upper-cases headers, and aligns with the tabwriter.
JSON and YAML print objects with sorted keys, as kubectl's unstructured
printers do (Go's encoding/json and sigs.k8s.io/yaml).
"""

from __future__ import annotations

import json
import re
from typing import overload
from dataclasses import dataclass, field

import yaml

from cluster.kubectl.tabwriter import TabWriter


@dataclass
class TableOptions:
    wide: bool = False
    no_headers: bool = False
    with_namespace: bool = False
    show_labels: bool = False
    label_columns: list[str] = field(default_factory=list)
    kind: str = ""  # `deployment.apps`: set when the names get a kind prefix


class TablePrinter:
    """HumanReadablePrinter: remembers whether it has printed headers for these columns."""

    def __init__(self, options: TableOptions) -> None:
        self.options = options
        self.printed_headers = False
        self.last_columns: list[dict] | None = None

    def print_table(self, table: dict, w: TabWriter, event_type: str = "") -> None:
        columns = table.get("columnDefinitions") or []
        no_headers = self.options.no_headers
        if self.printed_headers and (not columns or columns == self.last_columns):
            no_headers = True
        if not columns:
            columns = self.last_columns or []
        elif columns != self.last_columns:
            self.last_columns, self.printed_headers = columns, False
        rows = table.get("rows") or []
        if rows:
            self.printed_headers = True
        columns, cells = _decorate(columns, rows, self.options)
        if event_type:
            columns = [{"name": "Event", "type": "string", "priority": 0}] + columns
            cells = [[f"{event_type:<8}"] + c for c in cells]
        _print_rows(columns, cells, w, self.options.wide, no_headers)


def _decorate(columns: list[dict], rows: list[dict], options: TableOptions) -> tuple[list[dict], list[list]]:
    """decorateTable: namespace first, label columns last, `kind/` before the name."""
    name_index = -1
    if options.kind:
        name_index = next(
            (i for i, c in enumerate(columns) if c.get("format") == "name" and c.get("type") == "string"), -1
        )
    extra_front = [{"name": "Namespace", "type": "string"}] if options.with_namespace else []
    extra_back = [{"name": label.split("/")[-1].upper(), "type": "string"} for label in options.label_columns]
    if options.show_labels:
        extra_back.append({"name": "Labels", "type": "string"})
    all_cells = []
    for row in rows:
        cells = list(row.get("cells") or [])
        if name_index >= 0:
            cells[name_index] = f"{options.kind}/{cells[name_index]}"
        meta = (row.get("object") or {}).get("metadata") or {}
        if options.with_namespace:
            cells = [meta.get("namespace", "")] + cells
        labels = meta.get("labels") or {}
        cells += [labels.get(label, "") for label in options.label_columns]
        if options.show_labels:
            cells.append(",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>")
        all_cells.append(cells)
    return extra_front + columns + extra_back, all_cells


def _print_rows(columns: list[dict], rows: list[list], w: TabWriter, wide: bool, no_headers: bool) -> None:
    shown = [i for i, c in enumerate(columns) if wide or not c.get("priority")]
    if not no_headers:
        if not rows:
            return
        w.write("\t".join(columns[i]["name"].upper() for i in shown) + "\n")
    for cells in rows:
        w.write("\t".join(_cell_text(cells[i]) if i < len(cells) else "" for i in shown) + "\n")


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, str):
        cut = re.search(r"[\f\n\r]", cell)
        return cell[: cut.start()] + "..." if cut else cell
    return str(cell)


# -- -o name ----------------------------------------------------------------
def resource_name(obj: dict) -> str:
    """`pod/web`, `deployment.apps/web`: the name printer's kind/name."""
    group = obj.get("apiVersion", "").rpartition("/")[0]
    kind = obj.get("kind", "").lower()
    return f"{kind}.{group}/{obj['metadata']['name']}" if group else f"{kind}/{obj['metadata']['name']}"


def print_names(obj: dict) -> str:
    items = obj["items"] if obj.get("kind") == "List" else [obj]
    return "".join(resource_name(o) + "\n" for o in items)


# -- -o json / -o yaml ------------------------------------------------------
@overload
def omit_managed_fields(obj: dict) -> dict: ...


@overload
def omit_managed_fields(obj: object) -> object: ...


def omit_managed_fields(obj: object) -> object:
    """kubectl's OmitManagedFieldsPrinter: objects (and a List's items) without metadata.managedFields, which
    kubectl prints only with --show-managed-fields. Copies only what it changes."""
    if not isinstance(obj, dict):
        return obj
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    if isinstance(obj.get("items"), list):
        obj = {**obj, "items": [omit_managed_fields(item) for item in obj["items"]]}
    return obj


def to_json(obj: object, managed_fields: bool = False) -> str:
    """json.MarshalIndent(obj, "", "    ") of an unstructured object: sorted keys, HTML-safe escapes."""
    if not managed_fields:
        obj = omit_managed_fields(obj)
    text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    return _go_escapes(text) + "\n"


def compact_json(obj: object) -> str:
    """json.Marshal: sorted keys, no spaces."""
    return _go_escapes(json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def _go_escapes(text: str) -> str:
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


class _GoYAMLDumper(yaml.SafeDumper):
    """PyYAML's emitter shares libyaml's roots with go-yaml; only the quoting differs."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    resolved = dumper.resolve(yaml.ScalarNode, value, (True, False))
    if resolved in _NON_STRING_TAGS or _go_resolves_non_string(value):
        # go-yaml double-quotes a string that would read back as another type.
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_NON_STRING_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "null", "timestamp", "merge")}
_GO_SPECIAL = re.compile(
    r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|"
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|"
    r"\d{4}-\d{1,2}-\d{1,2}([Tt ].*)?|0x[0-9a-fA-F]+|0o?[0-7]+)$"
)


def _go_resolves_non_string(value: str) -> bool:
    return bool(_GO_SPECIAL.match(value))


_GoYAMLDumper.add_representer(str, _represent_str)


def to_yaml(obj: object, managed_fields: bool = False) -> str:
    """sigs.k8s.io/yaml's JSONToYAML: sorted keys, block style, two-space indents."""
    if not managed_fields:
        obj = omit_managed_fields(obj)
    return yaml.dump(obj, Dumper=_GoYAMLDumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=80)


# -- -o custom-columns ------------------------------------------------------
def print_custom_columns(spec: str, items: list[dict], no_headers: bool, w: TabWriter) -> None:
    from cluster.kubectl.jsonpath import JSONPath, relaxed

    columns: list[tuple[str, JSONPath]] = []
    for part in spec.split(","):
        header, _, path = part.partition(":")
        columns.append((header, JSONPath(relaxed(path))))
    if not no_headers:
        w.write("\t".join(h for h, _ in columns) + "\n")
    for obj in items:
        cells = []
        for _, column in columns:
            values = column.find(obj)
            cells.append(",".join(go_value(v) for v in values) if values else "<none>")
        w.write("\t".join(cells) + "\n")


def go_value(value: object) -> str:
    """fmt.Sprintf("%v") of a decoded JSON value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    return str(value)
