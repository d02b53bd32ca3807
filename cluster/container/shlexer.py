"""Shell tokens, the way a POSIX sh reads them (XCU 2.3): operators, newlines, redirections and words.

Token recognition follows POSIX as Python's shlex does in posix mode — quotes, backslashes,
`#` comments, the operators `; & && || | ( ) > >> < 2>&1` — and adds what shlex cannot: a word
keeps its parts (a Word), so `'$HOME'` stays literal while `"$HOME"` and `$(date)`, `$((i+1))`,
`${VAR:-x}`, `${items[$i]}` and backquotes are expanded when the command runs
(cluster/container/shexpand.py). `name=(a b c)` is one word, a bash array. Nothing here runs
anything; the grammar is cluster/container/shparse.py's.

Not supported (a syntax error says so): here-documents, process substitution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OPERATORS = ("&&", "||", ";;", ">>", ">&", "<&", "&>", "<<", ";", "&", "|", "(", ")", "<", ">")
Word = tuple  # a tuple of parts: ("lit", s) ("sq", s) ("dq", parts) ("var", name, op, word) ("len", name)
#                                 ("cmd", source) ("arith", source) ("tilde",)


class ShellSyntaxError(Exception):
    """What sh says of a script it cannot parse."""


@dataclass(frozen=True)
class Tok:
    kind: str  # "word", "op", "nl", "redir", "eof"
    value: Any = None  # a word's Word, an operator's or a redirection's text: its type follows `kind`
    fd: int | None = None


class Lexer:
    def __init__(self, src: str) -> None:
        self.src, self.i = src, 0

    def tokens(self) -> list[Tok]:
        out: list[Tok] = []
        while True:
            tok = self.next()
            out.append(tok)
            if tok.kind == "eof":
                return out

    def peek(self, n: int = 0) -> str:
        j = self.i + n
        return self.src[j] if j < len(self.src) else ""

    def next(self) -> Tok:
        src = self.src
        while self.i < len(src) and src[self.i] in " \t" or src.startswith("\\\n", self.i):
            self.i += 2 if src.startswith("\\\n", self.i) else 1
        if self.i >= len(src):
            return Tok("eof")
        c = src[self.i]
        if c == "#":
            while self.i < len(src) and src[self.i] != "\n":
                self.i += 1
            return self.next()
        if c == "\n":
            self.i += 1
            return Tok("nl")
        if c.isdigit():
            j = self.i
            while j < len(src) and src[j].isdigit():
                j += 1
            if j < len(src) and src[j] in "<>":
                fd = int(src[self.i : j])
                self.i = j
                return self._redirect(fd)
        for op in OPERATORS:
            if src.startswith(op, self.i):
                if op in (">", ">>", "<", ">&", "<&", "&>", "<<"):
                    return self._redirect(None)
                self.i += len(op)
                return Tok("op", op)
        return Tok("word", self.word())

    def _redirect(self, fd: int | None) -> Tok:
        for op in (">>", ">&", "<&", "&>", "<<", ">|", ">", "<"):
            if self.src.startswith(op, self.i):
                self.i += len(op)
                if op == "<<":
                    raise ShellSyntaxError("here-documents are not supported")
                return Tok("redir", ">" if op == ">|" else op, fd)
        raise ShellSyntaxError("bad redirection")

    def word(self) -> Word:
        parts: list = []
        lit: list[str] = []

        def flush() -> None:
            if lit:
                parts.append(("lit", "".join(lit)))
                lit.clear()

        start = self.i
        while self.i < len(self.src):
            c = self.src[self.i]
            if c == "(" and not parts and lit and lit[-1] == "=" and assignment((("lit", "".join(lit)),)):
                end = self._matching(self.i + 1, "(", ")")
                flush()
                parts.append(("array", self.src[self.i + 1 : end]))
                self.i = end + 1
                continue
            if c in " \t\n;&|()<>":
                break
            if c == "\\":
                if self.i + 1 < len(self.src):
                    flush()
                    parts.append(("sq", self.src[self.i + 1]))
                self.i += 2
            elif c == "'":
                end = self.src.find("'", self.i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated quoted string")
                flush()
                parts.append(("sq", self.src[self.i + 1 : end]))
                self.i = end + 1
            elif c == '"':
                flush()
                self.i += 1
                parts.append(("dq", tuple(self.dquoted())))
            elif c == "$":
                flush()
                parts.append(self.dollar())
            elif c == "`":
                flush()
                parts.append(("cmd", self.backquote()))
            elif c == "~" and self.i == start:
                flush()
                parts.append(("tilde",))
                self.i += 1
            else:
                lit.append(c)
                self.i += 1
        flush()
        return tuple(parts)

    def whole(self) -> Word:
        """The rest of the text as one word, blanks included (the word of `${VAR:-some default}`)."""
        parts: list = []
        while self.i < len(self.src):
            c = self.src[self.i]
            if c == "'":
                end = self.src.find("'", self.i + 1)
                end = len(self.src) if end < 0 else end
                parts.append(("sq", self.src[self.i + 1 : end]))
                self.i = end + 1
            elif c == '"':
                self.i += 1
                parts.append(("dq", tuple(self.dquoted())))
            elif c == "$":
                parts.append(self.dollar())
            else:
                parts.append(("lit", c))
                self.i += 1
        return tuple(parts)

    def dquoted(self) -> list:
        parts: list = []
        lit: list[str] = []
        while True:
            if self.i >= len(self.src):
                raise ShellSyntaxError("unterminated quoted string")
            c = self.src[self.i]
            if c == '"':
                self.i += 1
                break
            if c == "\\" and self.peek(1) in '$`"\\\n':
                if self.peek(1) != "\n":
                    lit.append(self.peek(1))
                self.i += 2
            elif c in "$`":
                if lit:
                    parts.append(("lit", "".join(lit)))
                    lit.clear()
                parts.append(self.dollar() if c == "$" else ("cmd", self.backquote()))
            else:
                lit.append(c)
                self.i += 1
        if lit:
            parts.append(("lit", "".join(lit)))
        return parts

    def dollar(self) -> tuple:
        src, i = self.src, self.i
        if src.startswith("$((", i):
            end = self._matching(i + 3, "((", "))")
            self.i = end + 2
            return ("arith", src[i + 3 : end])
        if src.startswith("$(", i):
            end = self._matching(i + 2, "(", ")")
            self.i = end + 1
            return ("cmd", src[i + 2 : end])
        if src.startswith("${", i):
            end = src.find("}", i)
            if end < 0:
                raise ShellSyntaxError("bad substitution")
            self.i = end + 1
            return _braced(src[i + 2 : end])
        j = i + 1
        if j < len(src) and (src[j].isalpha() or src[j] == "_"):
            while j < len(src) and (src[j].isalnum() or src[j] == "_"):
                j += 1
            self.i = j
            return ("var", src[i + 1 : j], "", ())
        if j < len(src) and src[j] in "?$#@*!0123456789-":
            self.i = j + 1
            return ("var", src[j], "", ())
        self.i = j
        return ("lit", "$")

    def _matching(self, j: int, opener: str, closer: str) -> int:
        depth, quote = 1, ""
        while j < len(self.src):
            c = self.src[j]
            if quote:
                quote = "" if c == quote else quote
            elif c in "'\"":
                quote = c
            elif self.src.startswith(closer, j) and depth == 1:
                return j
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            j += 1
        raise ShellSyntaxError(f"unterminated {opener}")

    def backquote(self) -> str:
        end = self.src.find("`", self.i + 1)
        if end < 0:
            raise ShellSyntaxError("unterminated `")
        body = self.src[self.i + 1 : end]
        self.i = end + 1
        return body


def _braced(body: str) -> tuple:
    if body.startswith("#") and len(body) > 1:
        if "[" in body and body.endswith("]"):
            return ("len", body[1 : body.index("[")], body[body.index("[") + 1 : -1])
        return ("len", body[1:])
    name = ""
    for ch in body:
        if ch.isalnum() or ch == "_" or (not name and ch in "?$#@*!"):
            name += ch
        else:
            break
    rest = body[len(name) :]
    if not name:
        raise ShellSyntaxError("bad substitution")
    if rest.startswith("[") and "]" in rest:  # bash: an element of an array, or all of them
        close = rest.index("]")
        index, rest = rest[1:close], rest[close + 1 :]
        if rest:
            raise ShellSyntaxError("bad substitution")
        return ("index", name, index)
    for op in (":-", ":=", ":+", ":?", "-", "=", "+", "?", "##", "#", "%%", "%"):
        if rest.startswith(op):
            return ("var", name, op, Lexer(rest[len(op) :]).whole())
    if rest:
        raise ShellSyntaxError("bad substitution")
    return ("var", name, "", ())


def plain(word: Word) -> str:
    """A word's literal text (its quoted and unquoted literal parts)."""
    return "".join(p[1] for p in word if p[0] in ("lit", "sq"))


def assignment(word: Word) -> str:
    """The variable a word assigns (`NAME=…`), or "" when it is not an assignment."""
    if not word or word[0][0] != "lit" or "=" not in word[0][1]:
        return ""
    name = word[0][1].split("=", 1)[0]
    return name if name and (name[0].isalpha() or name[0] == "_") and name.replace("_", "a").isalnum() else ""


def parse_words(src: str) -> list[Word]:
    """The words of a command substitution or `eval`-free argument list."""
    lexer = Lexer(src)
    out: list[Word] = []
    while True:
        tok = lexer.next()
        if tok.kind == "eof":
            return out
        if tok.kind == "word":
            out.append(tok.value)
