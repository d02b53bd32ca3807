"""Label selectors (k8s.io/apimachinery/pkg/labels/selector.go); field selectors are in field_selectors.py.

Label selectors are read by a port of upstream's lexer and recursive-descent
parser, so every selector kube-apiserver accepts is accepted (`app=web`,
`tier!=db`, `env in (prod,qa)`, `!canary`, `app`, `replicas>2`) and every one it
refuses is refused with its words: `found ',', expected: identifier after ','`,
`unable to parse requirement: <nil>: Invalid value: "-x": name part must ...`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, overload

from cluster.apiserver.errors import StatusError
from cluster.apiserver.validation.names import is_qualified_name, is_valid_label_value

Requirement = Callable[[dict], bool]


class SelectorError(ValueError):
    """A selector that does not parse; kube-apiserver answers it with a 400 BadRequest."""


# -- the lexer (selector.go: Lexer) ---------------------------------------------------
_ERROR, _END, _CLOSE, _COMMA, _NOT, _DOUBLE_EQ, _EQ, _GT, _ID, _IN, _LT, _NOT_EQ, _NOT_IN, _OPEN = range(14)
_STRING_TO_TOKEN = {
    ")": _CLOSE,
    ",": _COMMA,
    "!": _NOT,
    "==": _DOUBLE_EQ,
    "=": _EQ,
    ">": _GT,
    "in": _IN,
    "<": _LT,
    "!=": _NOT_EQ,
    "notin": _NOT_IN,
    "(": _OPEN,
}
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")
BINARY_OPERATORS = ("in", "notin", "=", "==", "!=", "gt", "lt")  # selection.Operator values, as the parser lists them


def _lex(text: str) -> list[tuple[int, str]]:
    """Every token of `text` (Lexer.Lex until EndOfStringToken), as (token, literal)."""
    data = text.encode("utf-8", "surrogatepass")  # the Go lexer reads bytes
    pos, size, items = 0, len(data), []
    while True:
        while pos < size and chr(data[pos]) in _WHITESPACE:
            pos += 1
        if pos >= size or data[pos] == 0:
            items.append((_END, ""))
            return items
        if chr(data[pos]) in _SPECIAL:
            buffer, last = "", None
            while pos < size and data[pos] != 0 and chr(data[pos]) in _SPECIAL:
                candidate = buffer + chr(data[pos])
                if candidate in _STRING_TO_TOKEN:
                    buffer, last = candidate, (_STRING_TO_TOKEN[candidate], candidate)
                    pos += 1
                elif last is not None:
                    break
                else:
                    buffer = candidate
                    pos += 1
            if last is None:
                items.append((_ERROR, f"error expected: keyword found '{buffer}'"))
            else:
                items.append(last)
            continue
        start = pos
        while pos < size and data[pos] != 0 and chr(data[pos]) not in _SPECIAL and chr(data[pos]) not in _WHITESPACE:
            pos += 1
        literal = data[start:pos].decode("utf-8", "replace")
        items.append((_STRING_TO_TOKEN.get(literal, _ID), literal) if literal in ("in", "notin") else (_ID, literal))


# -- the parser (selector.go: Parser) -------------------------------------------------
@dataclass(frozen=True)
class _Req:
    key: str
    operator: str  # selection.Operator: "in", "notin", "=", "==", "!=", "exists", "!", "gt", "lt"
    values: tuple[str, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.position = 0

    def lookahead(self, values: bool) -> tuple[int, str]:
        tok, lit = self.items[self.position]
        return (_ID if values and tok in (_IN, _NOT_IN) else tok), lit

    def consume(self, values: bool) -> tuple[int, str]:
        tok, lit = self.lookahead(values)
        self.position += 1
        return tok, lit

    def parse(self) -> list[_Req]:
        requirements: list[_Req] = []
        while True:
            tok, lit = self.lookahead(True)
            if tok in (_ID, _NOT):
                try:
                    requirements.append(self.requirement())
                except SelectorError as err:
                    raise SelectorError(f"unable to parse requirement: {err}") from None
                tok, lit = self.consume(True)
                if tok == _END:
                    return requirements
                if tok == _COMMA:
                    tok2, lit2 = self.lookahead(True)
                    if tok2 not in (_ID, _NOT):
                        raise SelectorError(f"found '{lit2}', expected: identifier after ','")
                    continue
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            if tok == _END:
                return requirements
            raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> _Req:
        key, operator = self.key_and_operator()
        if operator in ("exists", "!"):
            return _new_requirement(key, operator, [])
        operator = self.operator()
        if operator in ("in", "notin"):
            values = self.set_values()
        else:
            values = self.exact_value()
        return _new_requirement(key, operator, sorted(values))

    def key_and_operator(self) -> tuple[str, str]:
        operator = ""
        tok, literal = self.consume(True)
        if tok == _NOT:
            operator = "!"
            tok, literal = self.consume(True)
        if tok != _ID:
            raise SelectorError(f"found '{literal}', expected: identifier")
        _validate_key(literal)
        if self.lookahead(True)[0] in (_END, _COMMA) and operator != "!":
            operator = "exists"
        return literal, operator

    def operator(self) -> str:
        tok, lit = self.consume(False)
        ops = {_IN: "in", _EQ: "=", _DOUBLE_EQ: "==", _GT: "gt", _LT: "lt", _NOT_IN: "notin", _NOT_EQ: "!="}
        if tok not in ops:
            raise SelectorError(f"found '{lit}', expected: {', '.join(BINARY_OPERATORS)}")
        return ops[tok]

    def set_values(self) -> set[str]:
        tok, lit = self.consume(True)
        if tok != _OPEN:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead(True)
        if tok in (_ID, _COMMA):
            values = self.identifiers()
            if self.consume(True)[0] != _CLOSE:
                raise SelectorError(f"found '{lit}', expected: ')'")
            return values
        if tok == _CLOSE:
            self.consume(True)
            return {""}
        raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")

    def identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.consume(True)
            if tok == _ID:
                values.add(lit)
                tok2, lit2 = self.lookahead(True)
                if tok2 == _COMMA:
                    continue
                if tok2 == _CLOSE:
                    return values
                raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            if tok == _COMMA:
                if not values:
                    values.add("")
                tok2, _ = self.lookahead(True)
                if tok2 == _CLOSE:
                    values.add("")
                    return values
                if tok2 == _COMMA:
                    values.add("")
                continue
            raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        tok, _ = self.lookahead(True)
        if tok in (_END, _COMMA):
            return {""}
        tok, lit = self.consume(True)
        if tok == _ID:
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")


def _quote(value: str) -> str:
    """Go's %q for the strings a selector holds."""
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _validate_key(key: str, path: str = "<nil>") -> None:
    """validateLabelKey: a field.Invalid on a nil path, which prints as `<nil>`."""
    errs = is_qualified_name(key)
    if errs:
        raise SelectorError(f"{path}: Invalid value: {_quote(key)}: {'; '.join(errs)}")


def _go_strings(values: list[str]) -> str:
    return "[]string{" + ", ".join(_quote(v) for v in values) + "}" if values else "[]string{}"


def _new_requirement(key: str, operator: str, values: list[str]) -> _Req:
    """labels.NewRequirement's checks, each a field error; several are aggregated as `[a, b]`."""
    errs: list[str] = []
    if is_qualified_name(key):
        errs.append(f"key: Invalid value: {_quote(key)}: {'; '.join(is_qualified_name(key))}")
    if operator in ("in", "notin") and not values:
        errs.append(
            f"values: Invalid value: {_go_strings(values)}: for 'in', 'notin' operators, values set can't be empty"
        )
    elif operator in ("=", "==", "!=") and len(values) != 1:
        errs.append(
            f"values: Invalid value: {_go_strings(values)}: exact-match compatibility requires one single value"
        )
    elif operator in ("gt", "lt"):
        if len(values) != 1:
            errs.append(
                f"values: Invalid value: {_go_strings(values)}: for 'Gt', 'Lt' operators, exactly one value is required"
            )
        for i, value in enumerate(values):
            if _go_int(value) is None:
                errs.append(
                    f"values[{i}]: Invalid value: {_quote(value)}: for 'Gt', 'Lt' operators, the value "
                    "must be an integer"
                )
    for i, value in enumerate(values):
        msgs = is_valid_label_value(value)
        if msgs:
            errs.append(f"values[{i}][{key}]: Invalid value: {_quote(value)}: {'; '.join(msgs)}")
    if errs:
        raise SelectorError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")
    return _Req(key, operator, tuple(values))


def _go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64), or None where it errs."""
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def _matcher(req: _Req) -> Requirement:
    """Requirement.Matches for one requirement."""
    key, op, values = req.key, req.operator, req.values
    if op in ("=", "==", "in"):
        if len(values) == 1:
            only = values[0]
            return lambda labels: key in labels and labels[key] == only
        wanted = frozenset(values)
        return lambda labels: key in labels and labels[key] in wanted
    if op in ("!=", "notin"):
        unwanted = frozenset(values)
        return lambda labels: key not in labels or labels[key] not in unwanted
    if op == "exists":
        return lambda labels: key in labels
    if op == "!":
        return lambda labels: key not in labels
    bound = _go_int(values[0]) if values else None

    def compare(labels: dict) -> bool:
        if key not in labels or bound is None:
            return False
        actual = _go_int(labels[key])
        if actual is None:
            return False
        return actual > bound if op == "gt" else actual < bound

    return compare


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...]
    text: str

    def matches(self, labels: dict | None) -> bool:
        labels = labels or {}
        for requirement in self.requirements:
            if not requirement(labels):
                return False
        return True


def parse_labels(text: str) -> list[_Req]:
    """labels.Parse: the requirements sorted by key, or SelectorError with upstream's message."""
    return sorted(_Parser(text).parse(), key=lambda r: r.key)


def parse_label_selector(text: str | None) -> LabelSelector | None:
    """A `labelSelector` query value as a matcher; a malformed one is kube-apiserver's 400."""
    if not text:
        return None
    try:
        requirements = parse_labels(text)
    except SelectorError as err:
        raise StatusError.bad_request(str(err)) from None
    return LabelSelector(tuple(_matcher(r) for r in requirements), text)


@overload
def selector_from_label_selector(selector: dict) -> LabelSelector: ...


@overload
def selector_from_label_selector(selector: dict | None) -> LabelSelector | None: ...


def selector_from_label_selector(selector: dict | None) -> LabelSelector | None:
    """A metav1.LabelSelector (matchLabels + matchExpressions) as a matcher.

    An empty selector matches everything; None matches nothing, as upstream's
    LabelSelectorAsSelector distinguishes them."""
    if selector is None:
        return None
    reqs: list[Requirement] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        reqs.append(_equals(key, value))
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), set(expr.get("values") or [])
        if op == "In":
            reqs.append(_in(key, values))
        elif op == "NotIn":
            reqs.append(_not_in(key, values))
        elif op == "Exists":
            reqs.append(_exists(key))
        elif op == "DoesNotExist":
            reqs.append(_does_not_exist(key))
    return LabelSelector(tuple(reqs), format_label_selector(selector))


def _equals(k: object, v: object) -> Requirement:
    return lambda labels: labels.get(k) == v


def _in(k: object, vs: set) -> Requirement:
    return lambda labels: labels.get(k) in vs


def _not_in(k: object, vs: set) -> Requirement:
    return lambda labels: labels.get(k) not in vs


def _exists(k: object) -> Requirement:
    return lambda labels: k in labels


def _does_not_exist(k: object) -> Requirement:
    return lambda labels: k not in labels


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: `app=web,tier in (a,b)`; `<none>` when empty."""
    if not selector:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), sorted(expr.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"
