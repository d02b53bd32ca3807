"""What Go's JSON decoding says about a request body, for kube-apiserver's messages.

- `syntax_error`: the text of encoding/json's SyntaxError for malformed JSON
  (scanner.go: `invalid character 'x' looking for beginning of value`,
  `unexpected end of JSON input`, ...), which kube-apiserver puts after
  `couldn't get version/kind; json parse error: `.
- `duplicates`: the keys a JSON object repeats, in document order, with where
  each key first appeared, so the strict decoder's `duplicate field "a.b"` and
  `unknown field "a.c"` errors can be listed in the order sigs.k8s.io/json
  meets them (decode.go: a duplicate is found at its second occurrence).
- `yaml_duplicates`: sigs.k8s.io/yaml's strict complaint about a YAML mapping
  that repeats a key (`line 5: key "name" already set in map`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import yaml

Path = tuple  # field names and list indices from the document's root

# The standard library's JSON string scanner (what json.loads uses); typeshed does not declare it.
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _quote_char(byte: int) -> str:
    """scanner.go quoteChar: the offending byte as Go quotes it (a byte >= 0x80 as the rune of that value)."""
    if byte == 0x27:
        return "'\\''"
    if byte == 0x22:
        return "'\"'"
    ch = chr(byte)
    if ch == "\\":
        return "'\\\\'"
    if ch.isprintable() and ch != "\x7f":
        return f"'{ch}'"
    names = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    if ch in names:
        return f"'{names[ch]}'"
    return f"'\\x{byte:02x}'" if byte < 0x80 else f"'\\u{byte:04x}'"


class _Syntax(Exception):
    pass


class _Scanner:
    """A recursive port of encoding/json's scanner, only for its error messages."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def fail(self, context: str) -> _Syntax:
        if self.pos >= len(self.data):
            return _Syntax("unexpected end of JSON input")
        return _Syntax(f"invalid character {_quote_char(self.data[self.pos])} {context}")

    def peek(self) -> int | None:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def skip_space(self) -> None:
        while self.pos < len(self.data) and self.data[self.pos] in b" \t\r\n":
            self.pos += 1

    def top(self) -> None:
        self.skip_space()
        self.value()
        self.skip_space()
        if self.pos < len(self.data):
            raise self.fail("after top-level value")

    def value(self) -> None:
        c = self.peek()
        if c is None:
            raise self.fail("")
        if c == ord("{"):
            self.pos += 1
            self.obj()
        elif c == ord("["):
            self.pos += 1
            self.arr()
        elif c == ord('"'):
            self.pos += 1
            self.string()
        elif c == ord("-") or ord("0") <= c <= ord("9"):
            self.number()
        elif c in (ord("t"), ord("f"), ord("n")):
            self.literal({ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}[c])
        else:
            raise self.fail("looking for beginning of value")

    def obj(self) -> None:
        self.skip_space()
        if self.peek() == ord("}"):
            self.pos += 1
            return
        while True:
            if self.peek() != ord('"'):
                raise self.fail("looking for beginning of object key string")
            self.pos += 1
            self.string()
            self.skip_space()
            if self.peek() != ord(":"):
                raise self.fail("after object key")
            self.pos += 1
            self.skip_space()
            self.value()
            self.skip_space()
            c = self.peek()
            if c == ord(","):
                self.pos += 1
                self.skip_space()
                continue
            if c == ord("}"):
                self.pos += 1
                return
            raise self.fail("after object key:value pair")

    def arr(self) -> None:
        self.skip_space()
        if self.peek() == ord("]"):
            self.pos += 1
            return
        while True:
            self.value()
            self.skip_space()
            c = self.peek()
            if c == ord(","):
                self.pos += 1
                self.skip_space()
                continue
            if c == ord("]"):
                self.pos += 1
                return
            raise self.fail("after array element")

    def string(self) -> None:
        while True:
            c = self.peek()
            if c is None:
                raise self.fail("")
            if c == ord('"'):
                self.pos += 1
                return
            if c == ord("\\"):
                self.pos += 1
                e = self.peek()
                if e is None:
                    raise self.fail("")
                if e in b'bfnrt\\/"':
                    self.pos += 1
                elif e == ord("u"):
                    self.pos += 1
                    for _ in range(4):
                        h = self.peek()
                        if h is None:
                            raise self.fail("")
                        if h not in b"0123456789abcdefABCDEF":
                            raise self.fail("in \\u hexadecimal character escape")
                        self.pos += 1
                else:
                    raise self.fail("in string escape code")
                continue
            if c < 0x20:
                raise self.fail("in string literal")
            self.pos += 1

    def digits(self) -> int:
        start = self.pos
        while (c := self.peek()) is not None and ord("0") <= c <= ord("9"):
            self.pos += 1
        return self.pos - start

    def number(self) -> None:
        if self.peek() == ord("-"):
            self.pos += 1
            c = self.peek()
            if c is None or not ord("0") <= c <= ord("9"):
                raise self.fail("in numeric literal")
        if self.peek() == ord("0"):
            self.pos += 1
        else:
            self.digits()
        if self.peek() == ord("."):
            self.pos += 1
            if not self.digits():
                raise self.fail("after decimal point in numeric literal")
        if self.peek() in (ord("e"), ord("E")):
            self.pos += 1
            if self.peek() in (ord("+"), ord("-")):
                self.pos += 1
            if not self.digits():
                raise self.fail("in exponent of numeric literal")

    def literal(self, word: bytes) -> None:
        self.pos += 1
        for expected in word[1:]:
            if self.peek() != expected:
                raise self.fail(f"in literal {word.decode()} (expecting {_quote_char(expected)})")
            self.pos += 1


def syntax_error(data: bytes) -> str | None:
    """encoding/json's error text for `data`, or None when it is valid JSON."""
    try:
        _Scanner(data).top()
    except _Syntax as err:
        return str(err)
    except RecursionError:
        return None
    return None


# -- duplicate keys ---------------------------------------------------------------------
@dataclass
class Duplicates:
    """Repeated keys of one JSON document: (offset of the repeat, path) in document order, and the offset
    at which every key path first appeared."""

    repeats: list[tuple[int, Path]] = field(default_factory=list)
    first: dict[Path, int] = field(default_factory=dict)


def _has_duplicates(text: str) -> bool:
    found = False

    def hook(pairs: list) -> dict:
        nonlocal found
        if not found and len({k for k, _ in pairs}) != len(pairs):
            found = True
        return {}

    try:
        json.loads(text, object_pairs_hook=hook)
    except (ValueError, RecursionError):
        return False
    return found


class _Walker:
    """Reads keys and their offsets; values are skipped by structure only (the document is valid)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.decoder = json.JSONDecoder()
        self.out = Duplicates()

    def space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def value(self, path: Path) -> None:
        self.space()
        c = self.text[self.pos]
        if c == "{":
            self.pos += 1
            seen: set[str] = set()
            self.space()
            if self.text[self.pos] == "}":
                self.pos += 1
                return
            while True:
                self.space()
                at = self.pos
                key, self.pos = _scanstring(self.text, self.pos + 1)
                child = path + (key,)
                if key in seen:
                    self.out.repeats.append((at, child))
                else:
                    seen.add(key)
                    self.out.first.setdefault(child, at)
                self.space()
                self.pos += 1  # ':'
                self.value(child)
                self.space()
                if self.text[self.pos] == ",":
                    self.pos += 1
                    continue
                self.pos += 1  # '}'
                return
        if c == "[":
            self.pos += 1
            self.space()
            if self.text[self.pos] == "]":
                self.pos += 1
                return
            index = 0
            while True:
                self.value(path + (index,))
                index += 1
                self.space()
                if self.text[self.pos] == ",":
                    self.pos += 1
                    continue
                self.pos += 1
                return
        _value, self.pos = self.decoder.raw_decode(self.text, self.pos)


def duplicates(data: bytes | str) -> Duplicates | None:
    """The repeated keys of a valid JSON document, or None when it repeats none (the common case,
    answered by the C decoder)."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if not _has_duplicates(text):
        return None
    walker = _Walker(text)
    try:
        walker.value(())
    except (ValueError, IndexError, RecursionError):
        return None
    return walker.out


def yaml_duplicates(text: str) -> list[str]:
    """sigs.k8s.io/yaml's `line N: key "k" already set in map` for each repeated mapping key."""
    found: list[tuple[int, str]] = []  # (line, message)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        found.append(
                            (
                                key.start_mark.line + 1,
                                f'line {key.start_mark.line + 1}: key "{key.value}" already set in map',
                            )
                        )
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return [text for _line, text in sorted(found)]


def go_path(path: Path) -> str:
    """`spec.template.spec.containers[0].image`, as the strict decoder names a field."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text
