"""A shell script's syntax tree, parsed the way a POSIX sh parses it (XCU 2.10): the parts scripts in pods use.

Lists, and-or lists, pipelines (`!` negates), simple commands with their assignments and
redirections, `{ …; }` and `( … )` groups, `while`/`until`, `for` (over words, or over "$@"), `if`
with `elif`/`else`, and `case`. Keywords (`while`, `do`, `done`, …) are only keywords where the
grammar expects them. The tokens are cluster/container/shlexer.py's; the tree is compiled to a flat
program by cluster/container/shcompile.py. Nothing here runs anything.

Arrays as bash has them in their simplest form: `items=(foo bar baz)` and
`${items[$i]}`, `${items[@]}`, `${#items[@]}`.

Not supported (a syntax error says so): functions, here-documents, `case` fall-through
(`;&`), associative arrays, process substitution.
"""

from __future__ import annotations

from cluster.container.shlexer import Lexer, ShellSyntaxError, Tok, Word, assignment, plain

KEYWORDS = {
    "if",
    "then",
    "else",
    "elif",
    "fi",
    "while",
    "until",
    "do",
    "done",
    "for",
    "in",
    "case",
    "esac",
    "{",
    "}",
    "!",
}


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
            return f'"{plain(tok.value)}"'
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
        name = plain(self.take().value) if self.peek().kind == "word" else ""
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
            raise ShellSyntaxError(f'syntax error: unexpected {self.describe()} (expecting "fi")')

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
                name = assignment(tok.value)
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


def _assignment_value(word: Word) -> Word:
    head = word[0][1].split("=", 1)[1]
    return ((("lit", head),) if head else ()) + tuple(word[1:])
