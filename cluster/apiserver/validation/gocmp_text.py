"""go-cmp's text tree (cmp/report_text.go, v0.6.0), what cluster/apiserver/validation/gocmp.py's
reporter builds and prints: a line, a wrapped node (`{...}`, `&...`, `core.PodSpec(...)`) and a list of
records, each with its diff marker, key and comment (`// 18 identical fields`). `compact` folds a list
onto one line unless a record is removed, inserted, commented or itself multi-line (or, on a `-`/`+`
line, the list passes 80 columns); `expanded` writes one record a line, keys and values aligned, tabs
for indentation after a two-character diff marker (regular spaces, as `flags.Deterministic` gives).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

MAX_COLUMN_LENGTH = 80

UNKNOWN, IDENTICAL, REMOVED, INSERTED = 0, ord(" "), ord("-"), ord("+")  # diffMode


def _blen(text: str) -> int:
    return len(text.encode("utf-8"))


def _indent(n: int, d: int) -> str:
    """indentMode.appendIndent with regular spaces."""
    prefix = {UNKNOWN: "  ", IDENTICAL: "  ", REMOVED: "- ", INSERTED: "+ "}.get(d, "")
    return prefix + "\t" * n


class TextNode(ABC):
    """go-cmp's textNode interface: every node kind (text, list, line) implements these four."""

    @abstractmethod
    def length(self) -> int: ...

    @abstractmethod
    def equal(self, other: TextNode | None) -> bool: ...

    @abstractmethod
    def compact(self, d: int) -> tuple[str, TextNode]: ...

    @abstractmethod
    def expanded(self, d: int, n: int) -> str: ...

    def string(self) -> str:
        _, node = self.compact(UNKNOWN)
        return _indent(0, UNKNOWN) + node.expanded(UNKNOWN, 0) + "\n"


class TextLine(TextNode):
    def __init__(self, text: str) -> None:
        self.text = text

    def length(self) -> int:
        return _blen(self.text)

    def equal(self, other: TextNode | None) -> bool:
        return isinstance(other, TextLine) and other.text == self.text

    def compact(self, d: int) -> tuple[str, TextNode]:
        return self.text, self

    def expanded(self, d: int, n: int) -> str:
        return self.text


NIL = TextLine("nil")
ELLIPSIS = TextLine("...")


class TextWrap(TextNode):
    def __init__(self, prefix: str, value: TextNode, suffix: str = "") -> None:
        self.prefix, self.value, self.suffix = prefix, value, suffix

    def length(self) -> int:
        return _blen(self.prefix) + self.value.length() + _blen(self.suffix)

    def equal(self, other: TextNode | None) -> bool:
        return (
            isinstance(other, TextWrap)
            and (other.prefix, other.suffix) == (self.prefix, self.suffix)
            and self.value.equal(other.value)
        )

    def compact(self, d: int) -> tuple[str, TextNode]:
        inner, self.value = self.value.compact(d)
        text = self.prefix + inner + self.suffix
        if isinstance(self.value, TextLine):
            return text, TextLine(text)
        return text, self

    def expanded(self, d: int, n: int) -> str:
        return self.prefix + self.value.expanded(d, n) + self.suffix


@dataclass
class DiffStats:
    name: str
    ignored: int = 0
    identical: int = 0
    removed: int = 0
    inserted: int = 0
    modified: int = 0

    def is_zero(self) -> bool:
        return not (self.ignored or self.identical or self.removed or self.inserted or self.modified)

    def num_diff(self) -> int:
        return self.removed + self.inserted + self.modified

    def append(self, other: DiffStats) -> DiffStats:
        return DiffStats(
            self.name,
            self.ignored + other.ignored,
            self.identical + other.identical,
            self.removed + other.removed,
            self.inserted + other.inserted,
            self.modified + other.modified,
        )

    def __str__(self) -> str:
        counts = [
            (self.ignored, "ignored"),
            (self.identical, "identical"),
            (self.removed, "removed"),
            (self.inserted, "inserted"),
            (self.modified, "modified"),
        ]
        parts = [f"{n} {label}" for n, label in counts if n > 0]
        total = sum(n for n, _ in counts)
        name = self.name
        if total > 1:
            name += "s"
            if name.endswith("ys"):
                name = name[:-2] + "ies"
        if not parts:
            return ""
        if len(parts) <= 2:
            return " and ".join(parts) + " " + name
        return ", ".join(parts[:-1]) + ", and " + parts[-1] + " " + name


@dataclass
class TextRecord:
    value: TextNode
    diff: int = 0
    key: str = ""
    elide_comma: bool = False
    comment: object = None  # DiffStats or a plain comment string


class TextList(TextNode):
    def __init__(self, records: list[TextRecord] | None = None) -> None:
        self.records = records or []

    def append_ellipsis(self, stats: DiffStats | None = None) -> None:
        has_stats = stats is not None and not stats.is_zero()
        if not self.records or not self.records[-1].value.equal(ELLIPSIS):
            self.records.append(TextRecord(ELLIPSIS, elide_comma=True, comment=stats if has_stats else None))
            return
        if has_stats and stats is not None:
            last = self.records[-1]
            last.comment = last.comment.append(stats) if isinstance(last.comment, DiffStats) else stats

    def length(self) -> int:
        total = 0
        for i, r in enumerate(self.records):
            total += _blen(r.key) + (2 if r.key else 0) + r.value.length() + (2 if i < len(self.records) - 1 else 0)
        return total

    def equal(self, other: TextNode | None) -> bool:
        if not isinstance(other, TextList) or len(other.records) != len(self.records):
            return False
        for a, b in zip(self.records, other.records):
            if (a.diff, a.key) != (b.diff, b.key) or not a.value.equal(b.value) or str(a.comment) != str(b.comment):
                return False
        return True

    def compact(self, d: int) -> tuple[str, TextNode]:
        records = [TextRecord(r.value, r.diff, r.key, r.elide_comma, r.comment) for r in self.records]
        out, multi = "", False
        for i, r in enumerate(records):
            if r.diff in (INSERTED, REMOVED):
                multi = True
            out += r.key + (": " if r.key else "")
            text, r.value = r.value.compact(d | r.diff)
            out += text
            if not isinstance(r.value, TextLine):
                multi = True
            if r.comment is not None:
                multi = True
            if i < len(records) - 1:
                out += ", "
        if d in (INSERTED, REMOVED) and _blen(out) > MAX_COLUMN_LENGTH:
            multi = True
        if not multi:
            return out, TextLine(out)
        return out, TextList(records)

    def expanded(self, d: int, n: int) -> str:
        records = self.records
        key_pad = self._align(lambda r: r.key == "" or not isinstance(r.value, TextLine), lambda r: len(r.key))
        value_pad = self._align(
            lambda r: not isinstance(r.value, TextLine) or r.value.equal(ELLIPSIS) or r.comment is None,
            lambda r: len(r.value.text),
        )
        simple = bool(records)
        for r in records:
            simple = r.diff == 0 and r.key == "" and isinstance(r.value, TextLine) and r.comment is None
            if not simple:
                break
        out = ""
        if simple:
            n += 1
            batch = ""
            for r in records:
                assert isinstance(r.value, TextLine)  # what `simple` means
                line = r.value.text
                if _blen(batch) + _blen(line) + 2 > MAX_COLUMN_LENGTH and batch:
                    out += "\n" + _indent(n, d) + batch.rstrip(" ")
                    batch = ""
                batch += line + ", "
            if batch:
                out += "\n" + _indent(n, d) + batch.rstrip(" ")
            n -= 1
            return out + "\n" + _indent(n, d)
        n += 1
        for i, r in enumerate(records):
            out += "\n" + _indent(n, d | r.diff)
            if r.key:
                out += r.key + ": "
            out += " " * key_pad[i]
            out += r.value.expanded(d | r.diff, n)
            if not r.elide_comma:
                out += ","
            out += " " * value_pad[i]
            if r.comment is not None:
                out += " // " + str(r.comment)
        n -= 1
        return out + "\n" + _indent(n, d)

    def _align(self, skip, size) -> list[int]:
        pads = [0] * len(self.records)
        start = end = longest = 0
        for i, r in enumerate(self.records):
            if skip(r):
                for j in range(start, min(end, len(self.records))):
                    pads[j] = longest - size(self.records[j])
                start, end, longest = i + 1, i + 1, 0
            else:
                longest = max(longest, size(r))
                end = i + 1
        for j in range(start, min(end, len(self.records))):
            pads[j] = longest - size(self.records[j])
        return pads
