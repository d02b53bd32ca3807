"""text/template's lexer (lex.go): text and `{{…}}` actions, the actions cut into tokens.

`{{- ` and ` -}}` trim the white space next to them; an action that holds only a comment is dropped.
Each token remembers whether white space came before it: `.a.b` is one operand, `.a .b` two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from cluster.kubectl.gotemplate.values import NAME, TemplateError, go_quote, line_of


@dataclass
class Token:
    kind: str  # text, field, variable, identifier, keyword, string, char, number, bool, nil, dot, pipe,
    # lparen, rparen, declare, assign, comma, left, right, eof
    value: str
    pos: int
    spaced: bool = False  # white space before it: `.a .b` is two operands, `.a.b` one


KEYWORDS = {"range", "if", "else", "end", "with", "break", "continue", "define", "template", "block", "nil"}
_ACTION_TOKEN = re.compile(
    r"""(?P<space>[ \t\r\n]+)
    |(?P<comment>/\*.*?\*/)
    |(?P<declare>:=)
    |(?P<string>"(?:[^"\\\n]|\\.)*")
    |(?P<raw>`[^`]*`)
    |(?P<char>'(?:[^'\\\n]|\\.)+')
    |(?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?))
    |(?P<variable>\$[A-Za-z0-9_]*)
    |(?P<field>\.[A-Za-z_][A-Za-z0-9_]*)
    |(?P<dot>\.)
    |(?P<identifier>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<pipe>\|)
    |(?P<lparen>\()
    |(?P<rparen>\))
    |(?P<assign>=)
    |(?P<comma>,)
    """,
    re.VERBOSE | re.DOTALL,
)


def lex(text: str) -> list[Token]:
    """The template's tokens, text between actions trimmed where `{{- ` and ` -}}` ask."""
    tokens: list[Token] = []
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            _add_text(tokens, text[pos:], pos)
            break
        trim_left = text.startswith("{{- ", start) or text.startswith("{{-\t", start) or text.startswith("{{-\n", start)
        chunk = text[pos:start]
        _add_text(tokens, chunk.rstrip(" \t\r\n") if trim_left else chunk, pos)
        inner = start + (3 if trim_left else 2)
        end = _action_end(text, inner)
        if end < 0:
            raise parse_error(text, start, "unclosed action")
        trim_right = end > inner and text[end - 1] == "-" and text[end - 2 : end - 1] in (" ", "\t", "\r", "\n")
        body_end = end - 1 if trim_right else end
        body = text[inner:body_end].strip()
        if not (body.startswith("/*") and body.endswith("*/") and len(body) >= 4):  # a comment prints nothing
            tokens.append(Token("left", "{{", start))
            tokens.extend(_action_tokens(text, inner, body_end))
            tokens.append(Token("right", "}}", end))
        pos = end + 2
        if trim_right:
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
    tokens.append(Token("eof", "", len(text)))
    return tokens


def _add_text(tokens: list[Token], chunk: str, pos: int) -> None:
    if chunk:
        tokens.append(Token("text", chunk, pos))


def _action_end(text: str, pos: int) -> int:
    """Where the action's `}}` is, skipping quoted strings and comments (-1: none)."""
    i = pos
    while i < len(text):
        if text.startswith("}}", i):
            return i
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                return -1
            i = close + 2
            continue
        quote = text[i]
        if quote in "\"'`":
            j = i + 1
            while j < len(text) and text[j] != quote:
                if quote != "`" and text[j] == "\\":
                    j += 1
                if quote != "`" and text[j : j + 1] == "\n":
                    return -1
                j += 1
            i = j + 1
            continue
        i += 1
    return -1


def _action_tokens(text: str, start: int, end: int) -> Iterator[Token]:
    pos = start
    spaced = False
    while pos < end:
        match = _ACTION_TOKEN.match(text, pos, end)
        if match is None:
            raise parse_error(text, pos, f"unexpected {go_quote(text[pos])} in command")
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "raw":
            kind = "string"
        if kind == "identifier" and value in ("true", "false"):
            kind = "bool"
        elif kind == "identifier" and value in KEYWORDS:
            kind = "nil" if value == "nil" else "keyword"
        if kind == "comment" and (text[start:pos].strip() or text[match.end() : end].strip()):
            raise parse_error(text, pos, "comment ends before closing delimiter")
        if kind not in ("space", "comment"):
            yield Token(kind, value, pos, spaced)
        spaced = kind in ("space", "comment")
        pos = match.end()


def parse_error(text: str, pos: int, message: str) -> TemplateError:
    return TemplateError(f"template: {NAME}:{line_of(text, pos)}: {message}")
