"""Reading a shell script the way a POSIX sh does: tokens, a syntax tree, then a flat program.

Token recognition follows POSIX (XCU 2.3) as Python's shlex does in posix mode —
quotes, backslashes, `#` comments, the operators `; & && || | ( ) > >> < 2>&1` —
and adds what shlex cannot: a word keeps its parts, so `'$HOME'` stays literal
while `"$HOME"` and `$(date)`, `$((i+1))`, `${VAR:-x}` and backquotes are expanded
when the command runs, and keywords (`while`, `do`, `done`, …) are only keywords
where the grammar expects them. Nothing here runs anything.

The tree is compiled to a flat list of instructions (run a pipeline, jump, jump if
the last status was zero or not, for-loop steps, end) so that a running script's
position is one integer: a container's shell can stop in the middle of a `sleep`,
be saved in the database, and resume where it was on the cluster's virtual clock.

Arrays as bash has them in their simplest form: `items=(foo bar baz)` and
`${items[$i]}`, `${items[@]}`, `${#items[@]}`.

Not supported (a syntax error says so): functions, here-documents, `case` fall-through
(`;&`), associative arrays, process substitution.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

OPERATORS = ("&&", "||", ";;", ">>", ">&", "<&", "&>", "<<", ";", "&", "|", "(", ")", "<", ">")
KEYWORDS = {"if", "then", "else", "elif", "fi", "while", "until", "do", "done", "for", "in", "case", "esac",
            "{", "}", "!"}
Word = tuple  # a tuple of parts: ("lit", s) ("sq", s) ("dq", parts) ("var", name, op, word) ("len", name)
#                                 ("cmd", source) ("arith", source) ("tilde",)


class ShellSyntaxError(Exception):
    """What sh says of a script it cannot parse."""


@dataclass(frozen=True)
class Tok:
    kind: str  # "word", "op", "nl", "redir", "eof"
    value: Any = None  # a word's Word, an operator's or a redirection's text: its type follows `kind`
    fd: int | None = None


# -- the lexer -----------------------------------------------------------------------------
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
                fd = int(src[self.i:j])
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
            if c == "(" and not parts and lit and lit[-1] == "=" and _assignment((("lit", "".join(lit)),)):
                end = self._matching(self.i + 1, "(", ")")
                flush()
                parts.append(("array", self.src[self.i + 1:end]))
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
                parts.append(("sq", self.src[self.i + 1:end]))
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
                parts.append(("sq", self.src[self.i + 1:end]))
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
            return ("arith", src[i + 3:end])
        if src.startswith("$(", i):
            end = self._matching(i + 2, "(", ")")
            self.i = end + 1
            return ("cmd", src[i + 2:end])
        if src.startswith("${", i):
            end = src.find("}", i)
            if end < 0:
                raise ShellSyntaxError("bad substitution")
            self.i = end + 1
            return _braced(src[i + 2:end])
        j = i + 1
        if j < len(src) and (src[j].isalpha() or src[j] == "_"):
            while j < len(src) and (src[j].isalnum() or src[j] == "_"):
                j += 1
            self.i = j
            return ("var", src[i + 1:j], "", ())
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
        body = self.src[self.i + 1:end]
        self.i = end + 1
        return body


def _braced(body: str) -> tuple:
    if body.startswith("#") and len(body) > 1:
        if "[" in body and body.endswith("]"):
            return ("len", body[1:body.index("[")], body[body.index("[") + 1:-1])
        return ("len", body[1:])
    name = ""
    for ch in body:
        if ch.isalnum() or ch == "_" or (not name and ch in "?$#@*!"):
            name += ch
        else:
            break
    rest = body[len(name):]
    if not name:
        raise ShellSyntaxError("bad substitution")
    if rest.startswith("[") and "]" in rest:  # bash: an element of an array, or all of them
        close = rest.index("]")
        index, rest = rest[1:close], rest[close + 1:]
        if rest:
            raise ShellSyntaxError("bad substitution")
        return ("index", name, index)
    for op in (":-", ":=", ":+", ":?", "-", "=", "+", "?", "##", "#", "%%", "%"):
        if rest.startswith(op):
            return ("var", name, op, Lexer(rest[len(op):]).whole())
    if rest:
        raise ShellSyntaxError("bad substitution")
    return ("var", name, "", ())


# -- the parser -------------------------------------------------------------------------------
class Parser:
    """sh's grammar (XCU 2.10), the parts scripts in pods use."""

    def __init__(self, src: str) -> None:
        self.toks = Lexer(src).tokens()
        self.i = 0

    def peek(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def keyword(self) -> str:
        tok = self.peek()
        if tok.kind == "word" and len(tok.value) == 1 and tok.value[0][0] == "lit" and tok.value[0][1] in KEYWORDS:
            return tok.value[0][1]
        return ""

    def expect(self, word: str) -> None:
        self.skip_newlines()
        if self.keyword() != word and not (self.peek().kind == "op" and self.peek().value == word):
            raise ShellSyntaxError(f'syntax error: unexpected {self.describe()} (expecting "{word}")')
        self.take()

    def describe(self) -> str:
        tok = self.peek()
        if tok.kind == "eof":
            return "end of file"
        if tok.kind == "nl":
            return "newline"
        if tok.kind == "word":
            return f'"{_plain(tok.value)}"'
        return f'"{tok.value}"'

    def skip_newlines(self) -> None:
        while self.peek().kind == "nl":
            self.take()

    def program(self) -> tuple:
        body = self.compound_list(())
        if self.peek().kind != "eof":
            raise ShellSyntaxError(f"syntax error: unexpected {self.describe()}")
        return body

    def compound_list(self, stops: tuple[str, ...]) -> tuple:
        items: list = []
        while True:
            self.skip_newlines()
            if self.peek().kind == "eof" or self.keyword() in stops or self._closes():
                return ("list", tuple(items))
            andor = self.and_or()
            background = False
            tok = self.peek()
            if tok.kind == "op" and tok.value in (";", "&"):
                background = tok.value == "&"
                self.take()
            elif tok.kind not in ("nl", "eof") and not self._closes() and self.keyword() not in stops:
                raise ShellSyntaxError(f"syntax error: unexpected {self.describe()}")
            items.append((andor, background))

    def _closes(self) -> bool:
        tok = self.peek()
        return (tok.kind == "op" and tok.value in (")", ";;")) or self.keyword() == "}"

    def and_or(self) -> tuple:
        first = self.pipeline()
        rest = []
        while self.peek().kind == "op" and self.peek().value in ("&&", "||"):
            op = self.take().value
            self.skip_newlines()
            rest.append((op, self.pipeline()))
        return ("andor", first, tuple(rest))

    def pipeline(self) -> tuple:
        negate = False
        if self.keyword() == "!":
            self.take()
            negate = True
        commands = [self.command()]
        while self.peek().kind == "op" and self.peek().value == "|":
            self.take()
            self.skip_newlines()
            commands.append(self.command())
        return ("pipe", negate, tuple(commands))

    def command(self) -> tuple:
        word = self.keyword()
        if word in ("while", "until"):
            self.take()
            cond = self.compound_list(("do",))
            self.expect("do")
            body = self.compound_list(("done",))
            self.expect("done")
            return ("while", word == "until", cond, body)
        if word == "for":
            return self.for_loop()
        if word == "if":
            return self.if_clause()
        if word == "case":
            return self.case_clause()
        if word == "{":
            self.take()
            body = self.compound_list(("}",))
            self.expect("}")
            return ("group", body, self.redirects())
        if self.peek().kind == "op" and self.peek().value == "(":
            self.take()
            body = self.compound_list(())
            self.expect(")")
            return ("group", body, self.redirects())
        if word in KEYWORDS - {"{", "!"}:
            raise ShellSyntaxError(f'syntax error: unexpected "{word}"')
        return self.simple()

    def for_loop(self) -> tuple:
        self.take()
        name = _plain(self.take().value) if self.peek().kind == "word" else ""
        if not name.replace("_", "a").isalnum():
            raise ShellSyntaxError("syntax error: bad for loop variable")
        words = None
        self.skip_newlines()
        if self.keyword() == "in":
            self.take()
            words = []
            while self.peek().kind == "word":
                words.append(self.take().value)
        if self.peek().kind == "op" and self.peek().value == ";":
            self.take()
        self.expect("do")
        body = self.compound_list(("done",))
        self.expect("done")
        return ("for", name, None if words is None else tuple(words), body)

    def if_clause(self) -> tuple:
        self.take()
        branches = []
        while True:
            cond = self.compound_list(("then",))
            self.expect("then")
            body = self.compound_list(("elif", "else", "fi"))
            branches.append((cond, body))
            word = self.keyword()
            self.take()
            if word == "elif":
                continue
            if word == "else":
                otherwise = self.compound_list(("fi",))
                self.expect("fi")
                return ("if", tuple(branches), otherwise)
            if word == "fi":
                return ("if", tuple(branches), None)
            raise ShellSyntaxError(f"syntax error: unexpected {self.describe()} (expecting \"fi\")")

    def case_clause(self) -> tuple:
        self.take()
        subject = self.take().value
        self.expect("in")
        arms: list[tuple] = []
        while True:
            self.skip_newlines()
            if self.keyword() == "esac":
                self.take()
                return ("case", subject, tuple(arms))
            if self.peek().kind == "op" and self.peek().value == "(":
                self.take()
            patterns = [self.take().value]
            while self.peek().kind == "op" and self.peek().value == "|":
                self.take()
                patterns.append(self.take().value)
            self.expect(")")
            body = self.compound_list(("esac",))
            if self.peek().kind == "op" and self.peek().value == ";;":
                self.take()
            arms.append((tuple(patterns), body))

    def simple(self) -> tuple:
        assigns: list[tuple] = []
        words: list[Word] = []
        redirs: list[tuple] = []
        while True:
            tok = self.peek()
            if tok.kind == "redir":
                redirs.append(self.redirect())
            elif tok.kind == "word":
                if self.keyword() in ("then", "do", "done", "fi", "else", "elif", "esac", "}") and words:
                    words.append(self.take().value)
                    continue
                name = _assignment(tok.value)
                if name and not words:
                    self.take()
                    assigns.append((name, _assignment_value(tok.value)))
                else:
                    words.append(self.take().value)
            else:
                break
        if not (assigns or words or redirs):
            raise ShellSyntaxError(f"syntax error: unexpected {self.describe()}")
        return ("simple", tuple(assigns), tuple(words), tuple(redirs))

    def redirect(self) -> tuple:
        tok = self.take()
        if self.peek().kind != "word":
            raise ShellSyntaxError(f"syntax error: unexpected {self.describe()}")
        target = self.take().value
        fd = tok.fd if tok.fd is not None else (0 if tok.value in ("<", "<&") else 1)
        return (tok.value, fd, target)

    def redirects(self) -> tuple:
        found = []
        while self.peek().kind == "redir":
            found.append(self.redirect())
        return tuple(found)


def _plain(word: Word) -> str:
    return "".join(p[1] for p in word if p[0] in ("lit", "sq"))


def _assignment(word: Word) -> str:
    if not word or word[0][0] != "lit" or "=" not in word[0][1]:
        return ""
    name = word[0][1].split("=", 1)[0]
    return name if name and (name[0].isalpha() or name[0] == "_") and name.replace("_", "a").isalnum() else ""


def _assignment_value(word: Word) -> Word:
    head = word[0][1].split("=", 1)[1]
    return ((("lit", head),) if head else ()) + tuple(word[1:])


# -- the compiler ---------------------------------------------------------------------------------
@dataclass
class _Loop:
    start: int
    breaks: list[int]
    continues: list[int]
    is_for: bool


class Compiler:
    """Tree -> instructions: ("run", pipe, background) ("jmp", t) ("jz", t) ("jnz", t) ("status", n)
    ("for", var, words|None, end) ("next", var, end) ("pop", n) ("case", word, [(patterns, t)], end) ("end",)."""

    def __init__(self) -> None:
        self.code: list[list] = []
        self.loops: list[_Loop] = []

    def emit(self, *ins: object) -> int:
        self.code.append(list(ins))
        return len(self.code) - 1

    def patch(self, at: int, target: int) -> None:
        self.code[at][-1] = target

    def here(self) -> int:
        return len(self.code)

    def list_(self, node: tuple) -> None:
        for andor, background in node[1]:
            self.and_or(andor, background)

    def and_or(self, node: tuple, background: bool) -> None:
        self.pipeline(node[1], background)
        for op, pipe in node[2]:
            skip = self.emit("jnz" if op == "&&" else "jz", -1)
            self.pipeline(pipe, background)
            self.patch(skip, self.here())

    def pipeline(self, node: tuple, background: bool) -> None:
        negate, commands = node[1], node[2]
        if len(commands) == 1 and commands[0][0] != "simple" and not background:
            self.compound(commands[0])
            if negate:
                self.emit("not")
            return
        self.emit("run", node, background)

    def compound(self, node: tuple) -> None:
        kind = node[0]
        if kind == "group":
            self.list_(node[1])
        elif kind == "while":
            self.while_(node)
        elif kind == "for":
            self.for_(node)
        elif kind == "if":
            self.if_(node)
        elif kind == "case":
            self.case(node)

    def while_(self, node: tuple) -> None:
        _, until, cond, body = node
        self.emit("status", 0)
        start = self.here()
        loop = _Loop(start, [], [], False)
        self.list_(cond)
        leave = self.emit("jz" if until else "jnz", -1)
        self.loops.append(loop)
        self.list_(body)
        self.loops.pop()
        self.emit("jmp", start)
        end = self.here()
        self.emit("status", 0)
        for at in [leave] + loop.breaks:
            self.patch(at, end)
        for at in loop.continues:
            self.patch(at, start)

    def for_(self, node: tuple) -> None:
        _, name, words, body = node
        init = self.emit("for", name, words, -1)
        start = self.emit("next", name, -1)
        loop = _Loop(start, [], [], True)
        self.loops.append(loop)
        self.list_(body)
        self.loops.pop()
        self.emit("jmp", start)
        end = self.here()
        for at in [init, start] + loop.breaks:
            self.patch(at, end)
        for at in loop.continues:
            self.patch(at, start)

    def if_(self, node: tuple) -> None:
        ends = []
        for cond, body in node[1]:
            self.list_(cond)
            skip = self.emit("jnz", -1)
            self.list_(body)
            ends.append(self.emit("jmp", -1))
            self.patch(skip, self.here())
        if node[2] is not None:
            self.list_(node[2])
        else:
            self.emit("status", 0)
        for at in ends:
            self.patch(at, self.here())

    def case(self, node: tuple) -> None:
        table = self.emit("case", node[1], [], -1)
        ends = []
        for patterns, body in node[2]:
            self.code[table][2].append([patterns, self.here()])
            self.list_(body)
            ends.append(self.emit("jmp", -1))
        for at in ends + [table]:
            self.patch(at, self.here())

    def loop_control(self, word: str, depth: int) -> bool:
        """`break`/`continue` compile to jumps (leaving for-loops pops their state)."""
        if not self.loops:
            return False
        depth = max(1, min(depth, len(self.loops)))
        target = self.loops[-depth]
        pops = sum(1 for loop in self.loops[-depth:] if loop.is_for) - (1 if word == "continue" and target.is_for
                                                                          else 0)
        if pops:
            self.emit("pop", pops)
        at = self.emit("jmp", -1)
        (target.breaks if word == "break" else target.continues).append(at)
        return True


def _loop_word(pipe: tuple) -> tuple[str, int] | None:
    """`break`, `continue 2`: a bare loop-control command, which compiles to a jump."""
    if pipe[0] != "pipe" or len(pipe[2]) != 1 or pipe[1]:
        return None
    cmd = pipe[2][0]
    if cmd[0] != "simple" or cmd[1] or cmd[3] or not cmd[2]:
        return None
    words = [_plain(w) for w in cmd[2]]
    if words[0] not in ("break", "continue") or len(words) > 2:
        return None
    depth = int(words[1]) if len(words) == 2 and words[1].isdigit() else 1
    return words[0], depth


class _LoopAwareCompiler(Compiler):
    def pipeline(self, node: tuple, background: bool) -> None:
        control = _loop_word(node)
        if control and not background and self.loop_control(*control):
            return
        super().pipeline(node, background)


@functools.lru_cache(maxsize=256)
def compile_script(src: str) -> tuple[tuple, ...]:
    """The flat program for a script; ShellSyntaxError if sh would refuse it."""
    compiler = _LoopAwareCompiler()
    compiler.list_(Parser(src).program())
    compiler.emit("end")
    return tuple(tuple(ins) for ins in compiler.code)


def compile_argv(argv: tuple[str, ...]) -> tuple[tuple, ...]:
    """A container's command that is not a shell: one command whose words are already split."""
    words = tuple((("sq", w),) for w in argv)
    return (("run", ("pipe", False, (("simple", (), words, ()),)), False), ("end",))


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
