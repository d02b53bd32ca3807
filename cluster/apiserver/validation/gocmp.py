"""github.com/google/go-cmp's cmp.Diff (v0.6.0, as Kubernetes 1.32 vendors it), for the diff that
ValidatePodUpdate puts after "pod updates may not change fields other than ...".

A port of cmp/compare.go (the comparison tree), cmp/report_compare.go
(FormatDiff, formatDiffList: changed fields as `-`/`+` lines, two equal records
of context, `... // 18 identical fields`); the Go values and cmp/report_reflect.go
(FormatValue, FormatType, the verbosity limits) are gocmp_values.py; the text
tree it builds and prints (cmp/report_text.go: one-line lists, aligned keys and
values, tabs for indentation after a two-character diff marker) is gocmp_text.py.

Go values are modelled by `GoType` (gocmp_values.py; cluster/apiserver/validation/gotypes.py
builds core.PodSpec's).

Simplified: go-cmp chooses at random, per process, between regular and
non-breaking spaces after the `-`/`+` markers so that nobody relies on its
output; kubeclass always uses regular spaces (what `flags.Deterministic`
gives). Long strings are not diffed character by character
(FormatDiffSlice), slices are aligned by a simpler edit script than
internal/diff's, and there are no cycles or pointer references to report.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.apiserver.validation.gocmp_values import (
    _MISSING,
    AUTO,
    ELIDE,
    EMIT,
    MAX_VERBOSITY_PRESET,
    GoType,
    GoValue,
    Options,
    _field,
    _format_map_key,
    format_type,
    format_value,
    is_zero,
)
from cluster.apiserver.validation.gocmp_text import (
    IDENTICAL,
    INSERTED,
    REMOVED,
    UNKNOWN,
    DiffStats,
    TextList,
    TextNode,
    TextRecord,
    TextWrap,
)

NUM_CONTEXT_RECORDS = 2


# -- the comparison tree (compare.go, report_value.go) ----------------------------------------


@dataclass(eq=False)
class Node:
    type: GoType
    x: GoValue
    y: GoValue
    num_same: int = 0
    num_diff: int = 0
    num_children: int = 0
    max_depth: int = 0
    records: list[tuple[object, Node]] | None = None  # struct fields, slice elements, map entries
    value: Node | None = None  # a pointer's target
    leaf_by_method: bool = False
    map_key_type: GoType | None = None  # a map entry's key type, for printing its key

    @property
    def x_valid(self) -> bool:
        return self.x is not _MISSING

    @property
    def y_valid(self) -> bool:
        return self.y is not _MISSING


def _add_child(parent: Node, child: Node) -> None:
    parent.num_same += child.num_same
    parent.num_diff += child.num_diff
    parent.num_children += child.num_children + 1
    parent.max_depth = max(parent.max_depth, child.max_depth + 1)


def compare(t: GoType, x: GoValue, y: GoValue) -> Node:
    """compareAny: the tree of what differs between x and y."""
    node = Node(t, x, y)
    if x is _MISSING or y is _MISSING:
        _leaf(node, x is _MISSING and y is _MISSING)
        return node
    if t.equal is not None:
        _leaf(node, t.equal(x, y))
        node.leaf_by_method = True
        return node
    if t.kind == "struct":
        node.records = []
        for name, ft in t.fields:
            child = compare(ft, _field(x, name, ft), _field(y, name, ft))
            node.records.append((name, child))
            _add_child(node, child)
        return node
    if t.kind in ("slice", "map", "ptr") and (x is None or y is None):
        _leaf(node, x is None and y is None)
        return node
    if t.kind == "ptr":
        node.value = compare(t.item, x, y)
        _add_child(node, node.value)
        return node
    if t.kind == "slice":
        node.records = []
        for ix, iy in _edit_script(t.item, x, y):
            child = compare(t.item, x[ix] if ix >= 0 else _MISSING, y[iy] if iy >= 0 else _MISSING)
            node.records.append((None, child))
            _add_child(node, child)
        return node
    if t.kind == "map":
        node.records = []
        for key in sorted(set(x) | set(y)):
            child = compare(t.item, x.get(key, _MISSING), y.get(key, _MISSING))
            node.records.append((key, child))
            _add_child(node, child)
        return node
    _leaf(node, x == y)
    return node


def _leaf(node: Node, equal: bool) -> None:
    if equal:
        node.num_same += 1
    else:
        node.num_diff += 1


def _similar(t: GoType, a: GoValue, b: GoValue) -> tuple[bool, bool]:
    """(equal, similar) as diff.Result.Equal and Similar judge a pair of elements."""
    result = compare(t, a, b)
    return result.num_diff == 0, result.num_same + 1 >= result.num_diff


def _edit_script(t: GoType, xs: list, ys: list) -> list[tuple[int, int]]:
    """Pairs of indices (-1 where one side has no element): equal elements aligned, similar ones paired as
    modified, the rest removed then inserted."""
    n, m = len(xs), len(ys)
    if n == m:
        out: list[tuple[int, int]] = []
        for i in range(n):
            equal, similar = _similar(t, xs[i], ys[i])
            out += [(i, i)] if equal or similar else [(i, -1), (-1, i)]
        return out
    # longest common subsequence of equal elements
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            lcs[i][j] = (
                lcs[i + 1][j + 1] + 1 if compare(t, xs[i], ys[j]).num_diff == 0 else max(lcs[i + 1][j], lcs[i][j + 1])
            )
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if compare(t, xs[i], ys[j]).num_diff == 0:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif lcs[i + 1][j] >= lcs[i][j + 1]:
            i += 1
        else:
            j += 1
    out, i, j = [], 0, 0
    for pi, pj in pairs + [(n, m)]:
        gap_x, gap_y = list(range(i, pi)), list(range(j, pj))
        while gap_x and gap_y and _similar(t, xs[gap_x[0]], ys[gap_y[0]])[1]:
            out.append((gap_x.pop(0), gap_y.pop(0)))
        out += [(k, -1) for k in gap_x] + [(-1, k) for k in gap_y]
        if pi < n:
            out.append((pi, pj))
        i, j = pi + 1, pj + 1
    return out


# -- formatting (report_compare.go, report_reflect.go) ----------------------------------------
def _preset(opts: Options, i: int) -> Options:
    opts = opts.with_(verbosity_level=opts.verbosity() + 2 * i)
    if i > 0:
        opts = opts.with_(avoid_stringer=True)
    return opts


def format_diff(opts: Options, v: Node, parent_kind: str = "") -> TextNode | None:
    """formatOptions.FormatDiff."""
    if opts.diff_mode == IDENTICAL:
        opts = opts.with_verbosity(1)
    elif opts.verbosity() < 3:
        opts = opts.with_verbosity(3)
    if v.max_depth == 0:
        if opts.diff_mode in (UNKNOWN, IDENTICAL):
            if v.num_diff == 0:
                outx = format_value(opts, v.type, v.x, parent_kind)
                outy = format_value(opts, v.type, v.y, parent_kind)
                if outx is None:
                    return outy
                if outy is None:
                    return outx
                return outx if outx.length() < outy.length() else outy
            elided = opts.with_(type_mode=ELIDE)
            outx = format_value(elided, v.type, v.x, parent_kind)
            outy = format_value(elided, v.type, v.y, parent_kind)
            i = 0
            while i <= MAX_VERBOSITY_PRESET and outx is not None and outy is not None and outx.equal(outy):
                again = _preset(opts, i).with_(type_mode=ELIDE)
                outx = format_value(again, v.type, v.x, parent_kind)
                outy = format_value(again, v.type, v.y, parent_kind)
                i += 1
            records = TextList()
            if outx is not None:
                records.records.append(TextRecord(outx, REMOVED))
            if outy is not None:
                records.records.append(TextRecord(outy, INSERTED))
            return format_type(opts.with_(type_mode=EMIT), v.type, records)
        if opts.diff_mode == REMOVED:
            return format_value(opts, v.type, v.x, parent_kind)
        return format_value(opts, v.type, v.y, parent_kind)
    kind = v.type.kind
    if kind in ("struct", "slice", "map"):
        return format_type(opts, v.type, _format_diff_list(opts, v.records or [], kind))
    if kind == "ptr" and v.value is not None:
        return TextWrap("&", _format_both(opts, v.value, "ptr"))
    raise ValueError(f"{kind} cannot have children")


def _format_both(opts: Options, v: Node, parent_kind: str = "") -> TextNode:
    """FormatDiff of a node both sides have (an equal record, a parent of differences, the root), which
    go-cmp uses without a nil check: only a value one side lacks (an invalid reflect.Value) formats as nil."""
    out = format_diff(opts, v, parent_kind)
    if out is None:
        raise ValueError(f"a {v.type.kind} both sides have formatted as nil")
    return out


def _format_diff_list(opts: Options, recs: list[tuple[object, Node]], kind: str) -> TextNode:
    """formatOptions.formatDiffList."""
    name = {"struct": "field", "slice": "element", "map": "entry"}[kind]
    opts = opts.with_(type_mode=AUTO if kind == "struct" else ELIDE)
    max_len = -1
    if opts.limit_verbosity:
        if opts.diff_mode == IDENTICAL:
            max_len = ((1 << opts.verbosity()) >> 1) << 2
        else:
            max_len = (1 << opts.verbosity()) << 1
        opts = opts.with_(verbosity_level=opts.verbosity_level - 1)

    if opts.diff_mode in (IDENTICAL, REMOVED, INSERTED):
        out = TextList()
        deferred = False
        for key, node in recs:
            if len(out.records) == max_len:
                deferred = True
                break
            if kind == "struct":
                if opts.diff_mode == IDENTICAL:
                    zero = _zero_or_missing(node.type, node.x) or _zero_or_missing(node.type, node.y)
                elif opts.diff_mode == REMOVED:
                    zero = _zero_or_missing(node.type, node.x)
                else:
                    zero = _zero_or_missing(node.type, node.y)
                if zero:
                    continue
            text = format_diff(opts, node, kind)
            if text is not None:
                out.records.append(TextRecord(text, key=_key_text(kind, key, node)))
        if deferred:
            out.append_ellipsis()
        return TextWrap("{", out, "}")

    groups = _coalesce(name, recs)
    out = TextList()
    num_diffs = 0
    max_group = DiffStats(name)
    remaining = list(recs)
    for i, stats in enumerate(groups):
        if max_len >= 0 and num_diffs >= max_len:
            max_group = max_group.append(stats)
            continue
        if stats.num_diff() == 0:
            num_equal = stats.ignored + stats.identical
            lo = hi = 0
            while lo < NUM_CONTEXT_RECORDS and lo + hi < num_equal and i != 0:
                lo += 1
            while hi < NUM_CONTEXT_RECORDS and lo + hi < num_equal and i != len(groups) - 1:
                hi += 1
            if num_equal - (lo + hi) == 1 and stats.ignored == 0:
                hi += 1
            for key, node in remaining[:lo]:
                text = _format_both(opts.with_(diff_mode=IDENTICAL), node, kind)
                out.records.append(TextRecord(text, key=_key_text(kind, key, node)))
            if num_equal > lo + hi:
                stats.identical -= lo + hi
                out.append_ellipsis(stats)
            for key, node in remaining[num_equal - hi : num_equal]:
                text = _format_both(opts.with_(diff_mode=IDENTICAL), node, kind)
                out.records.append(TextRecord(text, key=_key_text(kind, key, node)))
            remaining = remaining[num_equal:]
            continue
        for key, node in remaining[: stats.num_diff()]:
            key_text = _key_text(kind, key, node)
            if node.num_children == node.max_depth:
                outx = format_diff(opts.with_(diff_mode=REMOVED), node, kind)
                outy = format_diff(opts.with_(diff_mode=INSERTED), node, kind)
                j = 0
                while j <= MAX_VERBOSITY_PRESET and outx is not None and outy is not None and outx.equal(outy):
                    again = _preset(opts, j)
                    outx = format_diff(again.with_(diff_mode=REMOVED), node, kind)
                    outy = format_diff(again.with_(diff_mode=INSERTED), node, kind)
                    j += 1
                if outx is not None:
                    out.records.append(TextRecord(outx, REMOVED, key_text))
                if outy is not None:
                    out.records.append(TextRecord(outy, INSERTED, key_text))
            else:
                out.records.append(TextRecord(_format_both(opts, node, kind), key=key_text))
        remaining = remaining[stats.num_diff() :]
        num_diffs += stats.num_diff()
    if not max_group.is_zero():
        out.append_ellipsis(max_group)
    return TextWrap("{", out, "}")


def _key_text(kind: str, key: object, node: Node) -> str:
    if kind == "struct":
        return str(key)
    if kind == "slice":
        return ""
    return _format_map_key(node.map_key_type, key)


def _zero_or_missing(t: GoType, value: GoValue) -> bool:
    return value is _MISSING or is_zero(t, value)


def _coalesce(name: str, recs: list[tuple[object, Node]]) -> list[DiffStats]:
    """coalesceAdjacentRecords."""
    groups: list[DiffStats] = []
    previous = None
    for _key, node in recs:
        case = 1 if node.num_diff == 0 else 2
        if case != previous:
            groups.append(DiffStats(name))
            previous = case
        stats = groups[-1]
        if node.num_diff == 0:
            stats.identical += 1
        elif not node.y_valid:
            stats.removed += 1
        elif not node.x_valid:
            stats.inserted += 1
        else:
            stats.modified += 1
    return groups


def diff(t: GoType, x: GoValue, y: GoValue) -> str:
    """cmp.Diff(x, y): "" when they are equal."""
    root = compare(t, x, y)
    if root.num_diff == 0:
        return ""
    _annotate_map_keys(root)
    return _format_both(Options(), root).string()


def _annotate_map_keys(node: Node) -> None:
    """Remember each map entry's key type, for printing its key."""
    if node.type.kind == "map" and node.records:
        for _key, child in node.records:
            child.map_key_type = node.type.key
    for _key, child in node.records or []:
        _annotate_map_keys(child)
    if node.value is not None:
        _annotate_map_keys(node.value)
