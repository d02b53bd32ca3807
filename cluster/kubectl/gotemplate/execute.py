"""text/template's execution (exec.go, funcs.go) over the object kubectl decoded.

The walk keeps what exec.go's state keeps: the variables' scopes, the node evaluated last (an error
names it, with its line and column), and whether a value came out of a map or a list (an interface {},
as "can't evaluate field x in type interface {}" says) or out of a pipeline (its own type). Missing keys
give MISSING unless --allow-missing-template-keys=false. The built-in functions are Go's (and, or, not,
len, index, slice, print, printf, println, eq, ne, lt, le, gt, ge) and kubectl's exists and
base64decode. A template may print at most 16 MiB and take a million steps: it runs on the class
server's shared thread.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cluster.kubectl.gotemplate.parse import (
    Action,
    Branch,
    Call,
    Chain,
    Command,
    Dot,
    Field,
    Identifier,
    Literal,
    Loop,
    Node,
    Pipe,
    Text,
    Variable,
)
from cluster.kubectl.gotemplate.values import (
    MISSING,
    NAME,
    ExecError,
    format_with,
    go_sprint,
    go_sprintf,
    kind_of,
    line_of,
    printed,
    printed_inner,
    type_name,
)

MAX_OUTPUT = 16 * 1024 * 1024  # a range nested over a sandbox's objects must not fill the server's memory
MAX_STEPS = 1_000_000


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass
class Value:
    """A value and what text/template knows of its type: `boxed` when it came out of a map or a list as an
    interface {} (as a field error names it), unboxed once a pipeline has produced it."""

    data: object
    boxed: bool = False


NO_VALUE = Value(MISSING)
ARITY = {"not": 1, "len": 1, "base64decode": 1, "lt": 2, "le": 2, "gt": 2, "ge": 2, "ne": 2}
AT_LEAST_ONE = {"and", "or", "index", "slice", "printf", "eq", "exists"}


class Executor:
    def __init__(
        self, text: str, root: object, missing_key_error: bool = False, defined: dict[str, list[Node]] | None = None
    ) -> None:
        self.text = text
        self.defined = defined or {}
        self.missing_key_error = missing_key_error
        self.out: list[str] = []
        self.size = 0
        self.steps = 0
        self.scopes: list[list[tuple[str, Value]]] = [[("$", Value(root))]]
        self.node: Node | None = None

    # -- output, bounds and errors
    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > MAX_OUTPUT:
            raise self.error("kubeclass: the template's output passed 16 MiB")
        self.out.append(text)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.error("kubeclass: the template took more than a million steps")

    def at(self, node: Node) -> None:
        self.node = node

    def error(self, message: str) -> ExecError:
        node = self.node
        if node is None:
            return ExecError(f"template: {NAME}: {message}")
        line = line_of(self.text, node.pos)
        col = node.pos - (self.text.rfind("\n", 0, node.pos) + 1)
        return ExecError(f'template: {NAME}:{line}:{col}: executing "{NAME}" at <{_context(node)}>: {message}')

    def fail(self, name: str, message: str) -> ExecError:
        return self.error(f"error calling {name}: {message}")

    # -- the tree
    def walk(self, dot: Value, nodes: list[Node]) -> None:
        for node in nodes:
            self.tick()
            if isinstance(node, Text):
                self.write(node.text)
            elif isinstance(node, Action):
                self.at(node)
                value = self.pipeline(dot, node.pipe)
                if not node.pipe.declared:
                    self.write(printed(value.data))
            elif isinstance(node, Branch):
                self.branch(dot, node)
            elif isinstance(node, Loop):
                raise _Break() if node.keyword == "break" else _Continue()
            elif isinstance(node, Call):
                self.template(dot, node)

    def template(self, dot: Value, node: Call) -> None:
        self.at(node)
        body = self.defined.get(node.name)
        if body is None:
            raise self.error(f'template "{node.name}" not defined')
        value = self.pipeline(dot, node.pipe) if node.pipe is not None else NO_VALUE
        saved = self.scopes
        self.scopes = [[("$", value)]]
        try:
            self.walk(value, body)
        finally:
            self.scopes = saved

    def branch(self, dot: Value, node: Branch) -> None:
        self.scopes.append([])
        try:
            self.at(node)
            value = self.pipeline(dot, node.pipe)
            if node.keyword == "range":
                self.range(dot, node, value)
            elif self.truth(value.data):
                self.walk(value if node.keyword == "with" else dot, node.body)
            elif node.otherwise is not None:
                self.walk(dot, node.otherwise)
        finally:
            self.scopes.pop()

    def range(self, dot: Value, node: Branch, value: Value) -> None:
        data = value.data
        if isinstance(data, dict):
            items = [(Value(k), Value(data[k], boxed=True)) for k in sorted(data)]
        elif isinstance(data, list):
            items = [(Value(i), Value(e, boxed=True)) for i, e in enumerate(data)]
        elif data is MISSING:
            items = []
        else:  # the error names the node evaluated last, as exec.go's does
            raise self.error(f"range can't iterate over {printed_inner(data)}")
        declared = node.pipe.declared
        for key, element in items:
            self.tick()
            if len(declared) == 1:
                self.set_variable(declared[0], element)
            elif len(declared) == 2:
                self.set_variable(declared[0], key)
                self.set_variable(declared[1], element)
            try:
                self.walk(element, node.body)
            except _Continue:
                continue
            except _Break:
                break
        if not items and node.otherwise is not None:
            self.walk(dot, node.otherwise)

    # -- variables
    def set_variable(self, name: str, value: Value) -> None:
        for scope in reversed(self.scopes):
            for index, (known, _old) in enumerate(scope):
                if known == name:
                    scope[index] = (name, value)
                    return
        self.scopes[-1].append((name, value))

    def variable(self, name: str) -> Value:
        for scope in reversed(self.scopes):
            for known, value in reversed(scope):
                if known == name:
                    return value
        raise self.error(f"undefined variable: {name}")

    # -- pipelines and commands
    def pipeline(self, dot: Value, pipe: Pipe) -> Value:
        value = NO_VALUE
        final: Value | None = None
        for command in pipe.commands:
            value = self.command(dot, command, final)
            final = value
        if value.data is None:
            value = NO_VALUE  # reflect.ValueOf(value.Interface()): a null is no value from here on
        else:
            value = Value(value.data)
        for name in pipe.declared:
            if pipe.assign:
                self.set_variable(name, value)
            else:
                self.scopes[-1].append((name, value))
        return value

    def command(self, dot: Value, command: Command, final: Value | None) -> Value:
        first, rest = command.args[0], command.args[1:]
        if isinstance(first, Identifier):
            return Value(self.call(dot, first, rest, final, command))
        if rest or final is not None:
            self.at(first)
            if isinstance(first, (Field, Chain)) or (isinstance(first, Variable) and len(first.names) > 1):
                raise self.error(f"{first.names[-1]} is not a method but has arguments")
            raise self.error(f"can't give argument to non-function {first}")
        return self.operand(dot, first)

    def operand(self, dot: Value, node: Node) -> Value:
        self.tick()
        if not isinstance(node, Pipe):
            self.at(node)  # exec.go's s.at: an error names the node evaluated last
        if isinstance(node, Field):
            return self.fields(dot, node.names, node)
        if isinstance(node, Variable):
            start = self.variable(node.names[0])
            return self.fields(start, node.names[1:], node)
        if isinstance(node, Chain):
            return self.fields(self.operand(dot, node.node), node.names, node)
        if isinstance(node, Pipe):
            saved = self.node
            self.scopes.append([])
            try:
                return self.pipeline(dot, node)
            finally:
                self.scopes.pop()
                self.node = saved
        if isinstance(node, Dot):
            return dot
        if isinstance(node, Literal):
            return Value(node.value)
        assert isinstance(node, Identifier)
        return Value(self.call(dot, node, [], None, node))

    def fields(self, receiver: Value, names: list[str], node: Node) -> Value:
        for name in names:
            self.tick()
            data = receiver.data
            if data is MISSING:
                if self.missing_key_error:
                    self.at(node)
                    raise self.error(f'nil data; no entry for key "{name}"')
                return NO_VALUE
            if isinstance(data, dict):
                if name in data:
                    receiver = Value(data[name], boxed=True)
                    continue
                if self.missing_key_error:
                    self.at(node)
                    raise self.error(f'map has no entry for key "{name}"')
                return NO_VALUE
            self.at(node)
            if data is None:
                raise self.error(f"nil pointer evaluating interface {{}}.{name}")
            raise self.error(f"can't evaluate field {name} in type {go_type(receiver)}")
        return receiver

    # -- functions (funcs.go, and kubectl's exists and base64decode)
    def call(self, dot: Value, function: Identifier, arg_nodes: list[Node], final: Value | None, node: Node) -> object:
        """evalFunction and evalCall: the arguments' count is checked at the function's name, a function's
        own error is reported at its whole command."""
        name = function.name
        count = len(arg_nodes) + (final is not None)
        self.at(function)
        if name in ARITY and count != ARITY[name]:
            raise self.error(f"wrong number of args for {name}: want {ARITY[name]} got {count}")
        if name in AT_LEAST_ONE and count < 1:
            raise self.error(f"wrong number of args for {name}: want at least 1 got 0")
        if name in ("and", "or"):
            return self.and_or(dot, name, arg_nodes, final)
        values = [self.operand(dot, a).data for a in arg_nodes] + ([final.data] if final is not None else [])
        self.at(node)
        if name == "not":
            return not self.truth(values[0])
        if name == "len":
            return self.length(values[0])
        if name == "index":
            return self.index(values[0], values[1:])
        if name == "print":
            return go_sprint(values)
        if name == "println":
            return " ".join(printed_inner(v) for v in values) + "\n"
        if name == "printf":
            return go_sprintf(self.string_arg(values[0]), values[1:])
        if name in ("eq", "ne"):
            return self.eq(values) if name == "eq" else not self.eq(values)
        if name in ("lt", "le", "gt", "ge"):
            order = self.compare(name, values[0], values[1])
            return {"lt": order < 0, "le": order <= 0, "gt": order > 0, "ge": order >= 0}[name]
        if name == "exists":
            return exists(values[0], values[1:])
        if name == "slice":
            return self.slice(values[0], values[1:])
        return self.base64decode(self.string_arg(values[0]))

    def and_or(self, dot: Value, name: str, arg_nodes: list[Node], final: Value | None) -> object:
        """Go 1.18's and/or: arguments are evaluated only until the answer is known."""
        value: object = MISSING
        for node in arg_nodes:
            value = self.operand(dot, node).data
            if self.truth(value) == (name == "or"):
                return value
        return final.data if final is not None else value

    def truth(self, value: object) -> bool:
        """isTrue: false, 0, "", nil and empty maps and lists are false."""
        return value is not MISSING and value is not None and bool(value)

    def string_arg(self, value: object) -> str:
        if not isinstance(value, str):
            raise self.error(f"wrong type for value; expected string; got {type_name(value)}")
        return value

    def length(self, item: object) -> int:
        if isinstance(item, str):
            return len(item.encode())
        if isinstance(item, (dict, list)):
            return len(item)
        if item is MISSING:  # reflect panics on the invalid value, and safeCall reports the panic
            raise self.fail("len", "reflect: call of reflect.Value.Type on zero Value")
        if item is None:
            raise self.fail("len", "len of nil pointer")
        raise self.fail("len", f"len of type {type_name(item)}")

    def index(self, item: object, keys: list[object]) -> object:
        if item is MISSING or item is None:
            raise self.fail("index", "index of untyped nil")
        for key in keys:
            if isinstance(item, dict):
                if not isinstance(key, str):
                    raise self.fail("index", f"value has type {type_name(key)}; should be string")
                item = item.get(key)
            elif isinstance(item, (list, str)):
                if isinstance(key, bool) or not isinstance(key, int):
                    raise self.fail("index", f"cannot index slice/array with type {type_name(key)}")
                if not 0 <= key < len(item):
                    raise self.fail("index", f"index out of range: {key}")
                item = item[key] if isinstance(item, list) else item.encode()[key]
            elif item is None:
                raise self.fail("index", "index of nil pointer")
            else:
                raise self.fail("index", f"can't index item of type {type_name(item)}")
        return item

    def slice(self, item: object, bounds: list[object]) -> object:
        if not isinstance(item, (str, list)):
            raise self.fail("slice", f"can't slice item of type {type_name(item)}")
        if len(bounds) > (3 if isinstance(item, list) else 2):
            raise self.fail("slice", f"too many slice indexes: {len(bounds)}")
        if any(isinstance(b, bool) or not isinstance(b, int) for b in bounds):
            raise self.fail("slice", "cannot index slice/array with nil")
        numbers = [int(b) for b in bounds]  # type: ignore[call-overload]
        size = len(item.encode()) if isinstance(item, str) else len(item)
        start = numbers[0] if numbers else 0
        end = numbers[1] if len(numbers) > 1 else size
        if not 0 <= start <= end <= size:
            raise self.fail("slice", f"index out of range: {end if end > size else start}")
        return item.encode()[start:end].decode(errors="replace") if isinstance(item, str) else item[start:end]

    def eq(self, values: list[object]) -> bool:
        first = values[0]
        if len(values) < 2:
            raise self.fail("eq", "missing argument for comparison")
        for other in values[1:]:
            kinds = (kind_of(first), kind_of(other))
            if kinds[0] != kinds[1]:
                if "nil" not in kinds:
                    raise self.fail("eq", "incompatible types for comparison")
                continue
            if kinds[0] in ("map", "list"):
                raise self.fail("eq", f"non-comparable type {format_with('s', other)}: {type_name(other)}")
            if kinds[0] == "nil" or first == other:
                return True
        return False

    def compare(self, name: str, left: object, right: object) -> int:
        kinds = (kind_of(left), kind_of(right))
        if any(k not in ("int", "float", "string", "bool") for k in kinds) or "bool" in kinds:
            raise self.fail(name, "invalid type for comparison")
        if kinds[0] != kinds[1]:
            raise self.fail(name, "incompatible types for comparison")
        assert isinstance(left, (int, float, str)) and isinstance(right, (int, float, str))
        return (left > right) - (left < right)  # type: ignore[operator]

    def base64decode(self, text: str) -> str:
        try:
            return base64.b64decode(text, validate=True).decode(errors="replace")
        except (binascii.Error, ValueError):
            raise self.fail(
                "base64decode", f"base64 decode failed: illegal base64 data at input byte {_bad_byte(text)}"
            ) from None


def exists(item: object, keys: list[object]) -> bool:
    """kubectl's exists: whether every index leads somewhere (maps by key, lists by position)."""
    for key in keys:
        if isinstance(item, dict) and isinstance(key, str) and key in item:
            item = item[key]
        elif isinstance(item, list) and isinstance(key, int) and 0 <= key < len(item):
            item = item[key]
        else:
            return False
    return True


def _bad_byte(text: str) -> int:
    """Where Go's StdEncoding.DecodeString gives up: the first character outside the alphabet (padding
    that comes too early counts), or the start of a last group too short."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    for index, ch in enumerate(text):
        if ch not in alphabet and not (ch == "=" and index % 4 >= 2):
            return index
    return len(text) - len(text) % 4


def go_type(value: Value) -> str:
    return "interface {}" if value.boxed else type_name(value.data)


def _context(node: Node) -> str:
    """ErrorContext's `<…>`: the node as text."""
    return str(node)
