"""The flags of `kubectl get`, parsed as kubectl's pflag parses them.

Short flags take their value attached or separate (`-owide`, `-o wide`,
`-lapp=web`), long flags with `=` or a separate value. Unknown flags and
output formats get kubectl's own error text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OUTPUT_FORMATS = (
    "custom-columns",
    "custom-columns-file",
    "go-template",
    "go-template-file",
    "json",
    "jsonpath",
    "jsonpath-as-json",
    "jsonpath-file",
    "name",
    "template",
    "templatefile",
    "wide",
    "yaml",
)
SUPPORTED_OUTPUTS = ("", "wide", "yaml", "json", "name", "jsonpath", "custom-columns", "go-template", "template")
DEFAULT_WATCH_SECONDS = 30.0


@dataclass
class GetFlags:
    positional: list[str] = field(default_factory=list)
    output: str = ""
    selector: str = ""
    field_selector: str = ""
    all_namespaces: bool = False
    show_labels: bool = False
    no_headers: bool = False
    watch: bool = False
    watch_only: bool = False
    output_watch_events: bool = False
    ignore_not_found: bool = False
    label_columns: list[str] = field(default_factory=list)
    watch_seconds: float = DEFAULT_WATCH_SECONDS
    raw: str = ""  # --raw URI: GET it from the API and print the body as it is
    show_managed_fields: bool = False
    template: str = ""  # --template: the go-template, when -o names the format without one
    allow_missing_template_keys: bool = True
    sort_by: str = ""  # --sort-by: a JSONPath to order the objects by (sorting.py)


_VALUE_FLAGS = {
    "-o": "output",
    "--output": "output",
    "-l": "selector",
    "--selector": "selector",
    "--field-selector": "field_selector",
    "-L": "label_columns",
    "--label-columns": "label_columns",
    "--request-timeout": "request_timeout",
    "--chunk-size": "",
    "--sort-by": "sort_by",
    "--raw": "raw",
    "--template": "template",
}
_BOOL_FLAGS = {
    "-A": "all_namespaces",
    "--all-namespaces": "all_namespaces",
    "--show-labels": "show_labels",
    "--no-headers": "no_headers",
    "-w": "watch",
    "--watch": "watch",
    "--watch-only": "watch_only",
    "--output-watch-events": "output_watch_events",
    "--ignore-not-found": "ignore_not_found",
    "--show-managed-fields": "show_managed_fields",
    "--allow-missing-template-keys": "allow_missing_template_keys",
}


class UsageError(Exception):
    """A client-side error kubectl reports as `error: ...`."""


def parse_flags(args: list[str]) -> GetFlags:
    flags = GetFlags()
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            flags.positional.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            flags.positional.append(arg)
            continue
        name, value = _split(arg)
        if name in _BOOL_FLAGS:
            if value not in (None, "true", "false"):
                raise UsageError(
                    f'invalid argument "{value}" for "{name}" flag: strconv.ParseBool: parsing '
                    f'"{value}": invalid syntax'
                )
            setattr(flags, _BOOL_FLAGS[name], value != "false")
            continue
        if name not in _VALUE_FLAGS:
            raise UsageError(
                f"unknown flag: {name}" if name.startswith("--") else f"unknown shorthand flag: '{name[1]}' in {arg}"
            )
        if value is None:
            if i >= len(args):
                raise UsageError(f"flag needs an argument: {_flag_word(name)}")
            value = args[i]
            i += 1
        _set_value(flags, _VALUE_FLAGS[name], value)
    if flags.watch_only:
        flags.watch = True
    if flags.template and not flags.output:
        flags.output = "go-template"  # PrintFlags: a template with no -o means -o go-template
    _check_output(flags.output, flags.template)
    return flags


def _split(arg: str) -> tuple[str, str | None]:
    if arg.startswith("--"):
        name, eq, value = arg.partition("=")
        return name, value if eq else None
    name, rest = arg[:2], arg[2:]
    if rest.startswith("="):
        rest = rest[1:]
    return name, rest or None


def _flag_word(name: str) -> str:
    if name.startswith("--"):
        return name
    long = {"-o": "output", "-l": "selector", "-L": "label-columns"}.get(name, "")
    return f"'{name[1]}' in {name}" if not long else f"'{name[1]}' in -{name[1]}"


def _set_value(flags: GetFlags, attr: str, value: str) -> None:
    if attr == "label_columns":
        flags.label_columns.extend(v for v in value.split(",") if v)
    elif attr == "request_timeout":
        seconds = parse_duration(value)
        if seconds:
            flags.watch_seconds = seconds
    elif attr in ("output", "selector", "field_selector", "raw", "template", "sort_by"):
        setattr(flags, attr, value)


def parse_duration(text: str) -> float:
    """`30s`, `2m`, `500ms`, `10` (seconds), as --request-timeout takes them."""
    m = re.match(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$", text.strip())
    if not m:
        return 0.0
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


def _check_output(output: str, template: str = "") -> None:
    fmt, _, spec = output.partition("=")
    if fmt in ("go-template", "template") and not spec and not template:
        raise UsageError("template format specified but no template given")
    if fmt == "custom-columns" and spec:
        for part in spec.split(","):
            if ":" not in part:
                raise UsageError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
    if fmt not in SUPPORTED_OUTPUTS or (fmt in ("jsonpath", "custom-columns") and "=" not in output):
        if fmt in ("jsonpath", "custom-columns") and "=" not in output:
            raise UsageError(
                f"{fmt} format specified but no {fmt} template given"
                if fmt == "jsonpath"
                else "custom-columns format specified but no custom columns given"
            )
        raise UsageError(
            f'unable to match a printer suitable for the output format "{output}", allowed formats '
            f"are: {','.join(OUTPUT_FORMATS)}"
        )
