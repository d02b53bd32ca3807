"""go-cmp's Go values and their formatting (cmp/report_reflect.go, v0.6.0), for gocmp.py's cmp.Diff.

`GoType` models a Go type (cluster/apiserver/validation/gotypes.py builds core.PodSpec's):
a struct is a dict of its set fields, a slice or map a list or dict (None for nil), a
pointer its pointee (None for nil). FormatValue and FormatType print one such value as
go-cmp does, with the verbosity limits that print `{i: {...}, s: "1"}`; `Options` are
go-cmp's formatOptions.

Simplified: no cycles or pointer references, strings are single-line or triple-quoted
only as formatString does for diffs, and there are no custom formatters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from cluster.apiserver.validation.gocmp_text import (
    ELLIPSIS,
    IDENTICAL,
    INSERTED,
    NIL,
    REMOVED,
    UNKNOWN,
    TextLine,
    TextList,
    TextNode,
    TextRecord,
    TextWrap,
)

MAX_VERBOSITY_PRESET = 6

EMIT, ELIDE, AUTO = 0, 1, 2  # typeMode


# -- Go types -------------------------------------------------------------------------------
GoValue = Any  # a JSON-like value (dict, list, str, number, bool, None) whose shape its GoType tells


@dataclass(eq=False)
class GoType:
    kind: str  # struct, slice, map, ptr, string, int, uint, bool, float
    name: str = ""  # as go-cmp prints a named type: "core.Container"; "" for an unnamed one
    elem: GoType | None = None  # a slice's element, a map's value, a pointer's target
    key: GoType | None = None  # a map's key
    fields: list[tuple[str, GoType]] = field(default_factory=list)  # a struct's, in declaration order
    stringer: bool = False  # a named string type with a String method: printed s"..."
    equal: Callable[[object, object], bool] | None = None  # an Equal method: compared as a leaf (Quantity)
    prim: str = ""  # an unnamed primitive's Go name when not the kind's default (int32)
    json: dict[str, str] = field(default_factory=dict)  # a struct's field name -> JSON name ("" inline)

    @property
    def item(self) -> GoType:
        """The element of a slice, the value of a map, the target of a pointer: the types that have one."""
        assert self.elem is not None, f"a {self.kind} has no element type"
        return self.elem

    @property
    def map_key(self) -> GoType:
        assert self.key is not None, f"a {self.kind} has no key type"
        return self.key

    def type_string(self) -> str:
        """value.TypeString without qualified names."""
        if self.name:
            return self.name
        if self.kind == "slice":
            return "[]" + self.item.type_string()
        if self.kind == "map":
            return f"map[{self.map_key.type_string()}]{self.item.type_string()}"
        if self.kind == "ptr":
            return "*" + self.item.type_string()
        return (
            self.prim
            or {"string": "string", "int": "int64", "uint": "uint64", "bool": "bool", "float": "float64"}[self.kind]
        )

    def zero(self) -> object:
        if self.kind == "struct":
            return {}
        if self.kind in ("slice", "map", "ptr"):
            return None
        return {"string": "", "int": 0, "uint": 0, "bool": False, "float": 0.0}[self.kind]


def is_zero(t: GoType, value: GoValue) -> bool:
    """reflect.Value.IsZero."""
    if t.kind == "struct":
        return all(is_zero(ft, (value or {}).get(name, ft.zero())) for name, ft in t.fields)
    if t.kind in ("slice", "map", "ptr"):
        return value is None
    return value == t.zero()


def _field(value: GoValue, name: str, t: GoType) -> GoValue:
    got = (value or {}).get(name)
    return t.zero() if got is None and t.kind not in ("slice", "map", "ptr") else got


# -- value formatting (report_reflect.go) ----------------------------------------------
_MISSING = object()  # an invalid reflect.Value: a slice element or map entry only one side has


@dataclass(frozen=True)
class Options:
    diff_mode: int = UNKNOWN
    type_mode: int = EMIT
    verbosity_level: int = 0
    limit_verbosity: bool = False
    avoid_stringer: bool = False

    def with_(self, **changes: Any) -> Options:
        return dataclasses.replace(self, **changes)

    def with_verbosity(self, level: int) -> Options:
        return self.with_(verbosity_level=level, limit_verbosity=True)

    def verbosity(self) -> int:
        return max(0, min(16, self.verbosity_level))


def format_type(opts: Options, t: GoType, text: TextNode) -> TextNode:
    """formatOptions.FormatType."""
    if opts.type_mode == AUTO:
        if t.kind not in ("struct", "slice", "map"):
            return text
        if text.equal(NIL):
            return text
        if opts.diff_mode == IDENTICAL:
            return text
    elif opts.type_mode == ELIDE:
        return text
    name = t.type_string()
    if not t.name and t.kind == "ptr":
        name = "(" + name + ")"
    return TextWrap(name, _wrap_parens(text))


def _wrap_parens(text: TextNode) -> TextNode:
    if isinstance(text, TextWrap) and (
        (text.prefix.startswith("(") and text.suffix.endswith(")"))
        or (text.prefix.startswith("{") and text.suffix.endswith("}"))
    ):
        return text
    return TextWrap("(", text, ")")


def format_value(opts: Options, t: GoType, value: GoValue, parent_kind: str = "") -> TextNode | None:
    """formatOptions.FormatValue: nil for a value one side lacks (an invalid reflect.Value)."""
    if value is _MISSING:
        return None
    return _format_valid(opts, t, value, parent_kind)


def _format_valid(opts: Options, t: GoType, value: GoValue, parent_kind: str = "") -> TextNode:
    """FormatValue of a value that is there (a root, a struct's field, an element, an entry, a pointee)."""
    if t.stringer and not opts.avoid_stringer:
        return _format_string(opts, "s", str(value))
    skip_type = False
    out: TextNode
    if t.kind == "bool":
        out = TextLine("true" if value else "false")
    elif t.kind in ("int", "uint"):
        out = TextLine(str(value))
    elif t.kind == "float":
        out = TextLine(repr(float(value)))
    elif t.kind == "string":
        out = _format_string(opts, "", value)
    elif t.kind == "struct":
        fields = ((name, ft, _field(value, name, ft)) for name, ft in t.fields)
        out = _format_records(
            opts, AUTO, "struct", len(t.fields), ((name, ft, fv) for name, ft, fv in fields if not is_zero(ft, fv))
        )  # zero: elided
    elif t.kind == "slice":
        if value is None:
            return _typed(opts, t, NIL)
        out = _format_records(opts, ELIDE, "slice", len(value), (("", t.item, item) for item in value))
    elif t.kind == "map":
        if value is None:
            return _typed(opts, t, NIL)
        out = _format_records(
            opts, ELIDE, "map", len(value), ((_format_map_key(t.key, key), t.item, value[key]) for key in sorted(value))
        )
    elif t.kind == "ptr":
        if value is None:
            return _typed(opts, t, NIL)
        if not t.name:
            skip_type = True
        out = TextWrap("&", _format_valid(opts, t.item, value, "ptr"))
    else:
        raise ValueError(t.kind)
    return out if skip_type else format_type(opts, t, out)


def _format_records(
    opts: Options, type_mode: int, kind: str, max_len: int, entries: Iterable[tuple[str, GoType, GoValue]]
) -> TextNode:
    """FormatValue's loop over a struct's set fields, a slice's elements or a map's entries (key, type,
    value): `{...}`, cut with an ellipsis after 2, 4, 8, ... records when the verbosity is limited."""
    if opts.limit_verbosity:
        max_len = ((1 << opts.verbosity()) >> 1) << 2
        opts = opts.with_(verbosity_level=opts.verbosity_level - 1)
    records = TextList()
    for key, t, value in entries:
        if len(records.records) == max_len:
            records.append_ellipsis()
            break
        records.records.append(TextRecord(_format_valid(opts.with_(type_mode=type_mode), t, value, kind), key=key))
    return TextWrap("{", records, "}")


def _typed(opts: Options, t: GoType, text: TextNode) -> TextNode:
    return format_type(opts, t, text)


def _format_map_key(t: GoType | None, key: object) -> str:
    """formatMapKey: a single line, strings quoted, a stringer's key as s"..."."""
    opts = Options(diff_mode=IDENTICAL, type_mode=ELIDE, verbosity_level=MAX_VERBOSITY_PRESET, limit_verbosity=True)
    if t is None:
        t = GoType("string")
    return _format_valid(opts, t, key, "map").string().strip()


def _format_string(opts: Options, prefix: str, text: str) -> TextNode:
    """formatOptions.formatString (single-line; a long one cut at the verbosity's length)."""
    max_len = len(text)
    max_lines = text.count("\n") + 1
    if opts.limit_verbosity:
        max_len = (1 << opts.verbosity()) << 5
        max_lines = (1 << opts.verbosity()) << 2
    lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
    triple = len(lines) >= 4 and opts.diff_mode in (REMOVED, INSERTED)
    if triple:
        for line in lines:
            if (
                line.lstrip(prefix).startswith('"""')
                or line.startswith("...")
                or not all(ch.isprintable() or ch == "\t" for ch in line)
                or len(line) > max_len
            ):
                triple = False
                break
    if triple:
        records = TextList([TextRecord(TextLine(prefix + '"""'), opts.diff_mode, elide_comma=True)])
        for i, line in enumerate(lines):
            elided = len(lines) - i
            if i == max_lines - 1 and elided > 1:
                records.records.append(
                    TextRecord(ELLIPSIS, opts.diff_mode, elide_comma=True, comment=f"{elided} elided lines")
                )
                break
            records.records.append(TextRecord(TextLine(line), opts.diff_mode, elide_comma=True))
        records.records.append(TextRecord(TextLine(prefix + '"""'), opts.diff_mode, elide_comma=True))
        return TextWrap("(", records, ")")
    if len(text) > max_len + 3:
        return TextLine(prefix + go_string_literal(text[:max_len]) + "...")
    return TextLine(prefix + go_string_literal(text))


def go_string_literal(text: str) -> str:
    """formatString: strconv.Quote, or a raw `string` when that is shorter and printable."""
    from cluster.apiserver.errors import go_quote

    quoted = go_quote(text)
    if len(quoted) == len(text) + 2:
        return quoted
    if "`" not in text and "\n" not in text and all(ch.isprintable() or ch == "\t" for ch in text):
        return "`" + text + "`"
    return quoted
