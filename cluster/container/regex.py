"""The regular expressions a learner hands to grep and sed, matched by RE2.

glibc's and musl's regex engines take time in proportion to the text, and so does RE2; Python's own
`re` backtracks, and a pattern such as `(a|a)*$` or `a*a*a*a*a*b` against a line of a's would keep the
server busy for hours. Every pattern from inside a container goes through here.

grep and sed read a basic expression (BRE) unless told -E; `basic` turns one into the extended form.

Simplified: RE2's syntax (POSIX ERE and Perl classes such as \\d; no backreferences or lookaround);
a pattern RE2 refuses is reported as a bad regex, as grep and sed report one they cannot compile.
"""

from __future__ import annotations

import re
from typing import Protocol

import re2


class Match(Protocol):
    def group(self, index: int = 0) -> str | None: ...


class Regex:
    """A compiled pattern: search a line, or substitute in it."""

    def __init__(self, pattern: str, ignore_case: bool = False) -> None:
        options = re2.Options()
        options.case_sensitive = not ignore_case
        options.log_errors = False  # a bad pattern is the learner's error, not the server's log line
        try:
            self._compiled = re2.compile(pattern, options)
        except (re2.error, UnicodeEncodeError) as err:  # UnicodeEncodeError: a lone surrogate in the pattern
            raise BadRegex(str(err)) from None

    def search(self, text: str) -> bool:
        try:
            return self._compiled.search(text) is not None
        except UnicodeEncodeError:  # RE2 reads UTF-8; a line holding a lone surrogate matches nothing
            return False

    def sub(self, replacement: str, text: str, count: int = 0) -> str:
        """sed's s///: `&` is the match, `\\1`…`\\9` its groups, `\\&` and `\\\\` themselves."""
        try:
            return self._compiled.sub(lambda match: _expand(replacement, match), text, count)
        except UnicodeEncodeError:
            return text


class BadRegex(ValueError):
    """RE2 could not compile the pattern."""


_BASIC_OPERATORS = "(){}|+?"


def basic(pattern: str) -> str:
    """A POSIX basic expression in extended syntax: in a BRE `\\(` `\\)` `\\{` `\\}` group and count (and, as GNU
    reads them, `\\|` `\\+` `\\?`), while ( ) { } | + ? are plain characters."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            out.append(escaped if escaped in _BASIC_OPERATORS else char + escaped)
            i += 2
            continue
        out.append("\\" + char if char in _BASIC_OPERATORS else char)
        i += 1
    return "".join(out)


_REPLACEMENT = re.compile(r"\\(\d)|\\(.)|&", re.DOTALL)


def _expand(replacement: str, match: Match) -> str:
    def piece(found: re.Match) -> str:
        if found.group(1) is not None:
            return match.group(int(found.group(1))) or ""
        if found.group(2) is not None:
            return "\n" if found.group(2) == "n" else found.group(2)
        return match.group(0) or ""

    return _REPLACEMENT.sub(piece, replacement)
