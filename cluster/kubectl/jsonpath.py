"""kubectl's JSONPath templates (k8s.io/client-go/util/jsonpath), the common part.

Supports literal text, `{.a.b}`, `{$.a}`, `{.a[0]}`, `{.a[-1]}`, `{.a[*]}`,
`{.a[1:3]}`, `{.a['k.with.dots']}`, `{.a.*}`, `{..name}`, filters
`[?(@.type=="Ready")]` (==, !=, <, >, <=, >= and existence), string literals
`{"\\n"}` and `{range .items[*]}...{end}`. Missing keys print nothing, as
kubectl allows them. Several results are joined by a space; maps and lists
print as compact JSON.

Unlike kubectl's, this one runs on the class server (the dashboard's terminal), so a template
may take MAX_STEPS steps and print MAX_OUTPUT characters: ranges nested four deep over 200
pods are 1.6 billion steps, which the learner's own kubectl would spend its own time on.
"""

from __future__ import annotations

import json
import re
from typing import Any  # a step's argument: its type follows its kind (a name, an index, a slice, a filter)


_MISSING = object()
MAX_STEPS = 1_000_000
MAX_OUTPUT = 16 << 20


class JSONPathError(ValueError):
    pass


def relaxed(path: str) -> str:
    """RelaxedJSONPathExpression: `.a.b`, `a.b` and `{.a.b}` all mean `{.a.b}`."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    if not path.startswith((".", "$")):
        path = "." + path
    return "{" + path + "}"


class JSONPath:
    def __init__(self, template: str) -> None:
        self.nodes = _parse_template(template)

    def find(self, obj: object) -> list:
        """The values of the template's single expression (custom-columns)."""
        for kind, value in self.nodes:
            if kind == "expr":
                return [v for v in _evaluate(value, [obj], obj) if v is not _MISSING]
        return []

    def execute(self, obj: object) -> str:
        out: list[str] = []
        self.steps, self.size = 0, 0
        self._run(self.nodes, obj, obj, out)
        return "".join(out)

    def _count(self, printed: str) -> None:
        """One more step and what it printed; JSONPathError past what the server does for one template."""
        self.steps += 1
        self.size += len(printed)
        if self.steps > MAX_STEPS or self.size > MAX_OUTPUT:
            raise JSONPathError("the template does more than the simulated kubectl does for one command")

    def _run(self, nodes: list, current: object, root: object, out: list[str]) -> None:
        i = 0
        while i < len(nodes):
            kind, value = nodes[i]
            printed = ""
            if kind == "text":
                printed = value
            elif kind == "expr":
                printed = " ".join(_text(v) for v in _evaluate(value, [current], root) if v is not _MISSING)
            self._count(printed)
            if kind in ("text", "expr"):
                out.append(printed)
            elif kind == "range":
                body, i = _range_body(nodes, i)
                for item in [v for v in _evaluate(value, [current], root) if v is not _MISSING]:
                    for element in item if isinstance(item, list) else [item]:
                        self._run(body, element, root, out)
                continue
            elif kind == "end":
                raise JSONPathError("not in range, nothing to end")
            i += 1


def _range_body(nodes: list, start: int) -> tuple[list, int]:
    depth = 0
    for j in range(start + 1, len(nodes)):
        if nodes[j][0] == "range":
            depth += 1
        elif nodes[j][0] == "end":
            if depth == 0:
                return nodes[start + 1 : j], j + 1
            depth -= 1
    raise JSONPathError("unclosed action")


def _text(value: object) -> str:
    from cluster.kubectl.output import compact_json, go_value

    if isinstance(value, (dict, list)):
        return compact_json(value)
    return go_value(value)


def _parse_template(template: str) -> list[tuple[str, Any]]:
    nodes: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(template):
        start = template.find("{", pos)
        if start < 0:
            nodes.append(("text", template[pos:]))
            break
        if start > pos:
            nodes.append(("text", template[pos:start]))
        end = _closing_brace(template, start)
        nodes.append(_action(template[start + 1 : end].strip()))
        pos = end + 1
    return nodes


def _closing_brace(template: str, start: int) -> int:
    quote = ""
    for i in range(start + 1, len(template)):
        ch = template[i]
        if quote:
            if ch == "\\":
                continue
            if ch == quote and template[i - 1] != "\\":
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "}":
            return i
    raise JSONPathError("unclosed action")


def _action(text: str) -> tuple[str, Any]:
    if text == "end":
        return ("end", None)
    if text.startswith("range "):
        return ("range", _parse_path(text[6:].strip()))
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return ("text", json.loads(text))
    return ("expr", _parse_path(text))


_SEGMENT = re.compile(r"\.\.|\.|\[[^\]]*\]|(?:\\\.|[^.\[\\]|\\)+")


def _parse_path(text: str) -> list[tuple[str, Any]]:
    segments: list[tuple[str, Any]] = []
    if text.startswith("$"):
        segments.append(("root", None))
        text = text[1:]
    elif text.startswith("@"):
        text = text[1:]
    pos, recursive = 0, False
    while pos < len(text):
        if text.startswith("[?(", pos):
            end = text.index(")]", pos)
            segments.append(("filter", _parse_filter(text[pos + 3 : end])))
            pos = end + 2
            continue
        m = _SEGMENT.match(text, pos)
        if not m:
            raise JSONPathError(f"unrecognized character in action: {text[pos]!r}")
        token = m.group(0)
        pos = m.end()
        if token == "..":
            recursive = True
        elif token == ".":
            continue
        elif token.startswith("["):
            segments.append(_bracket(token[1:-1].strip(), recursive))
            recursive = False
        else:
            segments.append(("recursive" if recursive else "field", token.replace("\\.", ".")))
            recursive = False
    return segments


def _bracket(inner: str, recursive: bool) -> tuple[str, Any]:
    if inner == "*":
        return ("all", None)
    if inner[:1] in "'\"":
        return ("recursive" if recursive else "field", inner[1:-1])
    if ":" in inner:
        parts = [int(p) if p.strip() else None for p in inner.split(":")[:2]]
        return ("slice", (parts[0], parts[1]))
    try:
        return ("index", int(inner))
    except ValueError:
        raise JSONPathError(f"invalid array index {inner}") from None


_FILTER = re.compile(r"^\s*(@[^\s=!<>]*)\s*(==|!=|<=|>=|<|>)?\s*(.*?)\s*$")


def _parse_filter(text: str) -> tuple:
    m = _FILTER.match(text)
    if not m:
        raise JSONPathError(f"unrecognized filter {text}")
    left, op, right = m.groups()
    value: object = None
    if op:
        if right[:1] in "'\"":
            value = right[1:-1]
        else:
            try:
                value = json.loads(right)
            except ValueError:
                value = right
    return (_parse_path(left), op, value)


def _evaluate(path: list, values: list, root: object) -> list:
    for kind, arg in path:
        values = [v for v in _step(kind, arg, values, root) if v is not _MISSING]
    return values


def _step(kind: str, arg: Any, values: list, root: object) -> list:
    out: list = []
    for value in values:
        if kind == "root":
            out.append(root)
        elif kind == "field":
            if arg == "*":
                out.extend(value.values() if isinstance(value, dict) else value if isinstance(value, list) else [])
            elif isinstance(value, dict) and arg in value:
                out.append(value[arg])
        elif kind == "recursive":
            out.extend(_descend(value, str(arg)))
        elif kind == "all":
            out.extend(value if isinstance(value, list) else value.values() if isinstance(value, dict) else [])
        elif kind == "index" and isinstance(value, list):
            index = int(arg) if int(arg) >= 0 else len(value) + int(arg)
            if not 0 <= index < len(value):
                raise JSONPathError(f"array index out of bounds: index {arg}, length {len(value)}")
            out.append(value[index])
        elif kind == "slice" and isinstance(value, list):
            start, stop = arg
            out.extend(value[start:stop])
        elif kind == "filter" and isinstance(value, list):
            out.extend(item for item in value if _matches(arg, item, root))
    return out


def _descend(value: object, name: str) -> list:
    found = []
    if isinstance(value, dict):
        if name in value:
            found.append(value[name])
        for child in value.values():
            found.extend(_descend(child, name))
    elif isinstance(value, list):
        for child in value:
            found.extend(_descend(child, name))
    return found


def _matches(condition: tuple, item: object, root: object) -> bool:
    path, op, wanted = condition
    found = _evaluate(path, [item], root)
    if not op:
        return bool(found)
    if not found:
        return False
    actual = found[0]
    if op in ("==", "!="):
        return (str(actual) == str(wanted) if isinstance(wanted, str) else actual == wanted) == (op == "==")
    try:
        return {"<": actual < wanted, ">": actual > wanted, "<=": actual <= wanted, ">=": actual >= wanted}[op]
    except TypeError:
        return False
