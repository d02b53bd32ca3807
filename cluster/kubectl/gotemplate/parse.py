"""text/template's parser (parse.go, node.go): the tokens made into a tree of nodes.

A function must be one kubectl's templates know (FUNCTIONS), a variable must have been declared in an
enclosing scope, {{break}} and {{continue}} must be inside a range, {{define}} only at the top; each
violation is the parse error Go gives. A field chain's position is that of its second field, as
Go's ChainNode makes it (the column an execution error reports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cluster.kubectl.gotemplate.lex import Token, lex, parse_error
from cluster.kubectl.gotemplate.values import GoInt, TemplateError, go_quote


# -- nodes (parse/node.go) -------------------------------------------------------------------------------
@dataclass
class Node:
    pos: int


@dataclass
class Text(Node):
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Field(Node):
    names: list[str]  # `.a.b` → ["a", "b"]

    def __str__(self) -> str:
        return "".join("." + n for n in self.names)


@dataclass
class Variable(Node):
    names: list[str]  # `$x.a` → ["$x", "a"]

    def __str__(self) -> str:
        return ".".join(self.names)


@dataclass
class Identifier(Node):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass
class Literal(Node):
    value: object
    source: str

    def __str__(self) -> str:
        return self.source


@dataclass
class Dot(Node):
    def __str__(self) -> str:
        return "."


@dataclass
class Command(Node):
    args: list[Node]

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, Pipe) else str(a) for a in self.args)


@dataclass
class Pipe(Node):
    commands: list[Command]
    declared: list[str] = field(default_factory=list)
    assign: bool = False

    def __str__(self) -> str:
        head = ", ".join(self.declared) + (" = " if self.assign else " := ") if self.declared else ""
        return head + " | ".join(str(c) for c in self.commands)


@dataclass
class Chain(Node):
    node: Node
    names: list[str]

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, Pipe) else str(self.node)
        return inner + "".join("." + n for n in self.names)


@dataclass
class Action(Node):
    pipe: Pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass
class Branch(Node):
    keyword: str  # if, range, with
    pipe: Pipe
    body: list[Node]
    otherwise: list[Node] | None

    def __str__(self) -> str:
        text = "{{" + self.keyword + " " + str(self.pipe) + "}}" + "".join(map(str, self.body))
        if self.otherwise is not None:
            text += "{{else}}" + "".join(map(str, self.otherwise))
        return text + "{{end}}"


@dataclass
class Call(Node):
    """{{template "name" pipeline}}: a template defined with {{define}} or {{block}}."""

    name: str
    pipe: Pipe | None

    def __str__(self) -> str:
        return "{{template " + go_quote(self.name) + (" " + str(self.pipe) if self.pipe else "") + "}}"


@dataclass
class Loop(Node):
    keyword: str  # break, continue

    def __str__(self) -> str:
        return "{{" + self.keyword + "}}"


# -- parsing (parse.go) ----------------------------------------------------------------------------------
FUNCTIONS = {
    "and",
    "or",
    "not",
    "len",
    "index",
    "print",
    "printf",
    "println",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "slice",
    "exists",
    "base64decode",
}


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = lex(text)
        self.i = 0
        self.variables: list[list[str]] = [["$"]]
        self.loops = 0
        self.defined: dict[str, list[Node]] = {}

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def error(self, token: Token, message: str) -> TemplateError:
        return parse_error(self.text, token.pos, message)

    def parse(self) -> list[Node]:
        body, ended = self.list_until(())
        if ended is not None:
            raise self.error(ended, f"unexpected {{{{{ended.value}}}}}")
        return body

    def list_until(self, stops: tuple[str, ...]) -> tuple[list[Node], Token | None]:
        """Nodes up to `{{end}}`/`{{else}}` (returned, with the left delimiter consumed) or the end."""
        nodes: list[Node] = []
        while True:
            token = self.next()
            if token.kind == "eof":
                if stops:
                    raise self.error(token, "unexpected EOF")
                return nodes, None
            if token.kind == "text":
                nodes.append(Text(token.pos, token.value))
                continue
            word = self.peek()
            if word.kind == "keyword" and word.value in ("end", "else"):
                if word.value not in stops:
                    raise self.error(word, f"unexpected {{{{{word.value}}}}}")
                self.next()
                return nodes, word
            if word.kind == "keyword" and word.value == "define":
                if stops:
                    raise self.error(word, "unexpected <define> in command")
                self.next()
                self.definition(word)
                continue
            nodes.append(self.action())

    def action(self) -> Node:
        token = self.peek()
        if token.kind == "keyword":
            self.next()
            if token.value in ("if", "range", "with"):
                return self.branch(token)
            if token.value in ("template", "block"):
                return self.call(token)
            if token.value in ("break", "continue"):
                if not self.loops:
                    raise self.error(token, f"{{{{{token.value}}}}} outside {{{{range}}}}")
                self.expect_right(token.value)
                return Loop(token.pos, token.value)
            raise self.error(token, f"kubeclass: {{{{{token.value}}}}} is not supported in kubectl's templates")
        pipe = self.pipeline("command", "right")
        return Action(token.pos, pipe)

    def template_name(self, keyword: Token) -> str:
        token = self.next()
        if token.kind != "string":
            raise self.error(token, f"unexpected {self.describe(token)} in {keyword.value} clause")
        return _unquote(token.value)

    def definition(self, keyword: Token) -> None:
        """{{define "name"}}…{{end}}: a template of its own, with its own variables."""
        name = self.template_name(keyword)
        self.expect_right("define clause")
        saved, self.variables = self.variables, [["$"]]
        body, _ended = self.list_until(("end",))
        self.expect_right("end")
        self.variables = saved
        self.defined[name] = body

    def call(self, keyword: Token) -> Node:
        """{{template "name" pipeline}}, or {{block "name" pipeline}}…{{end}}: a definition used at once."""
        name_token = self.peek()
        name = self.template_name(keyword)
        pipe = None if self.peek().kind == "right" else self.pipeline(keyword.value, "right")
        if pipe is None:
            self.next()
        if keyword.value == "block":
            saved, self.variables = self.variables, [["$"]]
            body, _ended = self.list_until(("end",))
            self.expect_right("end")
            self.variables = saved
            self.defined[name] = body
        return Call(name_token.pos, name, pipe)

    def expect_right(self, context: str) -> None:
        token = self.next()
        if token.kind != "right":
            raise self.error(token, f"unexpected {self.describe(token)} in {context}")

    def branch(self, keyword: Token) -> Node:
        self.variables.append([])
        pipe = self.pipeline(keyword.value, "right")
        if keyword.value == "range":
            self.loops += 1
        body, ended = self.list_until(("end", "else"))
        if keyword.value == "range":
            self.loops -= 1
        otherwise = None
        assert ended is not None
        if ended.value == "else":
            after = self.peek()
            if keyword.value in ("if", "with") and after.kind == "keyword" and after.value in ("if", "with"):
                self.next()  # {{else if …}}: an else holding one nested branch, ended by the same {{end}}
                nested = self.branch(after)
                otherwise = [nested]
            else:
                self.expect_right("else")
                otherwise, ended = self.list_until(("end",))
                self.expect_right("end")
        else:
            self.expect_right("end")
        self.variables.pop()
        return Branch(keyword.pos, keyword.value, pipe, body, otherwise)

    def pipeline(self, context: str, end: str) -> Pipe:
        start = self.peek()
        declared: list[str] = []
        assign = False
        if start.kind == "variable":
            save = self.i
            names = [self.next().value]
            if self.peek().kind == "comma" and context == "range":
                self.next()
                if self.peek().kind == "variable":
                    names.append(self.next().value)
            if self.peek().kind in ("declare", "assign"):
                assign = self.next().kind == "assign"
                declared = names
                for name in names:
                    if assign:
                        self.lookup_variable(name, start)
                    else:
                        self.variables[-1].append(name)
            else:
                self.i = save
        commands: list[Command] = []
        while True:
            token = self.peek()
            if token.kind == end:
                self.next()
                break
            if token.kind in ("right", "rparen", "eof"):
                raise self.error(token, f"unexpected {self.describe(token)} in operand")
            commands.append(self.command(end))
            if self.peek().kind == "pipe":
                self.next()
        if not commands:
            raise self.error(start, f"missing value for {context}")
        return Pipe(start.pos, commands, declared, assign)

    def command(self, end: str) -> Command:
        start = self.peek()
        args: list[Node] = []
        while True:
            token = self.peek()
            if token.kind in ("pipe", end):
                break
            if token.kind in ("right", "rparen", "eof"):
                raise self.error(token, f"unexpected {self.describe(token)} in operand")
            args.append(self.operand())
        if not args:
            raise self.error(start, "missing value for command")
        return Command(args[0].pos, args)

    def operand(self) -> Node:
        node = self.term()
        if self.peek().kind == "field" and not self.peek().spaced:
            names = []
            chain_pos = self.peek().pos
            while self.peek().kind == "field" and not self.peek().spaced:
                names.append(self.next().value[1:])
            if isinstance(node, Field):
                return Field(chain_pos, node.names + names)
            if isinstance(node, Variable):
                return Variable(chain_pos, node.names + names)
            if isinstance(node, (Literal, Dot)):
                raise self.error(self.tokens[self.i - 1], f"unexpected . after term {str(node)!r}")
            return Chain(chain_pos, node, names)
        return node

    def term(self) -> Node:
        token = self.next()
        if token.kind == "identifier":
            if token.value not in FUNCTIONS:
                raise self.error(token, f'function "{token.value}" not defined')
            return Identifier(token.pos, token.value)
        if token.kind == "dot":
            return Dot(token.pos)
        if token.kind == "nil":
            return Literal(token.pos, None, "nil")
        if token.kind == "variable":
            self.lookup_variable(token.value, token)
            return Variable(token.pos, [token.value])
        if token.kind == "field":
            return Field(token.pos, [token.value[1:]])
        if token.kind == "bool":
            return Literal(token.pos, token.value == "true", token.value)
        if token.kind == "number":
            return Literal(token.pos, self.number(token), token.value)
        if token.kind == "string":
            return Literal(token.pos, _unquote(token.value), token.value)
        if token.kind == "char":
            return Literal(token.pos, ord(_unquote('"' + token.value[1:-1] + '"')), token.value)
        if token.kind == "lparen":
            return self.pipeline("parenthesized pipeline", "rparen")
        raise self.error(token, f"unexpected {self.describe(token)} in operand")

    def number(self, token: Token) -> int | float:
        text = token.value.replace("_", "")
        try:
            if re.search(r"[.eE]", text) and not text.lower().lstrip("+-").startswith("0x"):
                return float(text)
            return GoInt(int(text, 0))
        except ValueError:
            raise self.error(token, f"bad number syntax: {token.value!r}") from None

    def lookup_variable(self, name: str, token: Token) -> None:
        if not any(name in scope for scope in self.variables):
            raise self.error(token, f'undefined variable "{name}"')

    @staticmethod
    def describe(token: Token) -> str:
        if token.kind == "eof":
            return "EOF"
        return '"' + token.value + '"'


def _unquote(source: str) -> str:
    if source.startswith("`"):
        return source[1:-1]
    body = source[1:-1]
    out = []
    i = 0
    escapes = {
        "n": "\n",
        "t": "\t",
        "r": "\r",
        "\\": "\\",
        '"': '"',
        "'": "'",
        "a": "\a",
        "b": "\b",
        "f": "\f",
        "v": "\v",
    }
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in escapes:
                out.append(escapes[nxt])
                i += 2
                continue
            if nxt in "xuU":
                width = {"x": 2, "u": 4, "U": 8}[nxt]
                out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse(text: str) -> tuple[list[Node], dict[str, list[Node]]]:
    """The template's nodes and the templates it defines."""
    parser = Parser(text)
    nodes = parser.parse()
    return nodes, parser.defined
