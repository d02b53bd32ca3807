"""Word expansion as sh does it (XCU 2.6), for the container's shell (cluster/container/shell.py).

A word's parts (cluster/container/shlexer.py) become text: literals and quotes as they are, `~`
as $HOME, parameters with their `${VAR:-x}`, `:=`, `:+`, `:?` and `#`, `##`, `%`, `%%` forms, the
special parameters ($?, $#, $@, $1, …), `$(…)` and backquotes (run at once, cluster/container/shell.py's
capture), `$((…))` (cluster/container/arith.py). Unquoted results are split into fields on blanks,
`"$@"` gives one field per argument, and a pattern is matched against the directory's names.
bash's arrays in their simplest form: element i of NAME is kept as the variable `NAME[i]` (NAME
itself is element 0).

Simplified: IFS is always blanks; globbing matches only the last path component and skips
dot-files; `$$` is 1 and `$!` counts background commands from 40.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Callable

from cluster.container import arith
from cluster.container.fs import FsError, resolve_path
from cluster.container.limits import KIB
from cluster.container.shlexer import ShellSyntaxError, parse_words

if TYPE_CHECKING:
    from cluster.container.shell import Host


# bash sets BASH_VERSION for itself: Debian 12's bash, or Alpine 3.20's (apk add bash).
BASH_VERSIONS = {"busybox": "5.2.26(1)-release", "": "5.2.15(1)-release"}


class Expander(ABC):
    """What a shell expands its words with: its state (variables, arguments, directory) and host."""

    state: dict
    host: Host

    @property
    @abstractmethod
    def frame(self) -> dict:
        """The running frame: its `args` are $0, $1, …"""

    @abstractmethod
    def capture(self, source: str) -> str:
        """$(…): the output of a command list, trailing newlines removed."""

    @abstractmethod
    def charge(self, nbytes: int) -> None:
        """Work done: the budget pays a unit per KiB (cluster/container/limits.py)."""

    @abstractmethod
    def spend(self, units: int) -> None:
        """Pay for an operation before it starts (limits.OutOfWork when the advance cannot)."""

    @abstractmethod
    def check_size(self, size: int) -> None:
        """limits.OutOfMemory when a value of `size` characters would not fit in the process's memory."""

    def var(self, name: str) -> str | None:
        state = self.state
        args = self.frame["args"] if state["frames"] else []
        special: dict[str, Callable[[], str]] = {
            "?": lambda: str(state["st"]),
            "$": lambda: "1",
            "#": lambda: str(max(0, len(args) - 1)),
            "@": lambda: " ".join(args[1:]),
            "*": lambda: " ".join(args[1:]),
            "!": lambda: str(40 + state["bg"]),
            "-": lambda: "",
            "PWD": lambda: state["cwd"],
        }
        if name in special:
            return special[name]()
        if name.isdigit():
            index = int(name)
            return args[index] if index < len(args) else None
        if name == "BASH_VERSION" and name not in state["vars"] and args[:1] and args[0].endswith("bash"):
            return BASH_VERSIONS.get(self.host.dialect, BASH_VERSIONS[""])
        return state["vars"].get(name)

    def expand_one(self, word: tuple) -> str:
        text = "".join(text for text, _ in self._parts(word))
        self.charge(len(text))
        return text

    def expand_words(self, words: tuple) -> list[str]:
        fields: list[str] = []
        size = 0
        for word in words:
            more = self._fields(word)
            size += sum(len(f) for f in more)
            self.check_size(size)  # the whole argument list is held at once
            fields.extend(more)
        self.charge(size)
        return fields

    def _fields(self, word: tuple) -> list[str]:
        """One word -> fields: unquoted expansions are split on blanks; `"$@"` gives one field per argument."""
        if len(word) == 1 and word[0][0] == "dq" and word[0][1] == (("var", "@", "", ()),):
            return self.frame["args"][1:]
        fields: list[str] = []
        current, started = "", False
        for text, splittable in self._parts(word):
            if not splittable:
                current, started = current + text, True
                continue
            pieces = text.split()
            if text[:1].isspace() and started:
                fields.append(current)
                current, started = "", False
            for i, piece in enumerate(pieces):
                if i:
                    fields.append(current)
                    current = ""
                current, started = current + piece, True
            if text[-1:].isspace() and started:
                fields.append(current)
                current, started = "", False
        if started:
            fields.append(current)
        return (
            self._glob(fields, word) if any(p[0] == "lit" and any(c in p[1] for c in "*?[") for p in word) else fields
        )

    def _glob(self, fields: list[str], word: tuple) -> list[str]:
        out: list[str] = []
        for pattern in fields:
            directory, _, name = resolve_path(self.state["cwd"], pattern).rpartition("/")
            try:
                names = self.host.fs.listdir(directory or "/")
            except FsError:
                names = []
            match = glob_matcher(name)
            matches = sorted(n for n in names if match(n) and not n.startswith("."))
            prefix = pattern.rpartition("/")[0]
            out.extend([f"{prefix}/{m}" if "/" in pattern else m for m in matches] or [pattern])
        return out

    def _parts(self, word: tuple) -> list[tuple[str, bool]]:
        """(text, splittable) pieces of a word, no more than the process's memory holds."""
        out: list[tuple[str, bool]] = []
        size = 0
        for part in word:
            if out:
                size += len(out[-1][0])
                self.check_size(size)
            kind = part[0]
            if kind in ("lit", "sq"):
                out.append((part[1], False))
            elif kind == "dq":
                out.append(("".join(t for t, _ in self._parts(part[1])), False))
            elif kind == "tilde":
                out.append((self.state["vars"].get("HOME", "/root"), False))
            elif kind == "cmd":
                out.append((self.capture(part[1]), True))
            elif kind == "arith":
                out.append((str(arith.evaluate(self.expand_arith(part[1]), self.arith_var)), True))
            elif kind == "len" and len(part) > 2:
                out.append(
                    (
                        str(len(self.elements(part[1])))
                        if part[2] in ("@", "*")
                        else str(len(self.element(part[1], part[2]))),
                        True,
                    )
                )
            elif kind == "len":
                out.append((str(len(self.var(part[1]) or "")), True))
            elif kind == "index":
                out.append(
                    (
                        " ".join(self.elements(part[1])) if part[2] in ("@", "*") else self.element(part[1], part[2]),
                        True,
                    )
                )
            else:
                out.append((self.parameter(part), True))
        size += len(out[-1][0]) if out else 0
        self.check_size(size)
        return out

    # -- bash arrays: element i of NAME is kept as the variable `NAME[i]` (NAME itself is element 0) ---------
    def array_values(self, name: str, source: str) -> list[tuple[str, str]]:
        items = self.expand_words(tuple(parse_words(source)))
        for key in [k for k in self.state["vars"] if k.startswith(name + "[")]:
            del self.state["vars"][key]
        return [(name, items[0] if items else "")] + [(f"{name}[{i}]", item) for i, item in enumerate(items)]

    def elements(self, name: str) -> list[str]:
        found, i = [], 0
        while f"{name}[{i}]" in self.state["vars"]:
            found.append(self.state["vars"][f"{name}[{i}]"])
            i += 1
        return found or ([self.state["vars"][name]] if name in self.state["vars"] else [])

    def element(self, name: str, index: str) -> str:
        position = arith.evaluate(self.expand_arith(index), self.arith_var)
        if position == 0 and f"{name}[0]" not in self.state["vars"]:
            return self.var(name) or ""
        return self.state["vars"].get(f"{name}[{position}]", "")

    def expand_arith(self, source: str) -> str:
        return self.expand_one(tuple(p for w in [_arith_word(source)] for p in w))

    def arith_var(self, name: str) -> int:
        value = self.var(name) or "0"
        try:
            return int(value)
        except ValueError:
            return 0

    def parameter(self, part: tuple) -> str:
        _, name, op, arg = part
        value = self.var(name)
        if not op:
            return value or ""
        colon = op.startswith(":")
        unset = value is None or (colon and value == "")
        base = op.lstrip(":")
        if base == "-":
            return self.expand_one(arg) if unset else (value or "")
        if base == "=":
            if unset:
                self.state["vars"][name] = self.expand_one(arg)
            return self.state["vars"].get(name, "")
        if base == "+":
            return "" if unset else self.expand_one(arg)
        if base == "?":
            if unset:
                raise ShellSyntaxError(f"{name}: {self.expand_one(arg) or 'parameter not set'}")
            return value or ""
        return _trim(value or "", op, self.expand_one(arg), self.spend)


TRIM_WORK = 4 * KIB  # characters a cut's match may look at for one unit of the budget


def _trim(value: str, op: str, pattern: str, spend: Callable[[int], None]) -> str:
    """${x#p} ${x##p}: the shortest or longest prefix that matches p removed; ${x%p} ${x%%p}: a suffix.

    As sh does it: every cut is tried in turn, from the shortest or the longest, each a match of up to
    the whole value, so the work grows with the square of the value's length and is paid as it goes."""
    match = glob_regex(pattern).fullmatch
    n, work = len(value), 0
    prefix = op in ("#", "##")
    shortest_first = op in ("#", "%")
    cuts = range(n + 1) if shortest_first == prefix else range(n, -1, -1)
    for cut in cuts:
        work += (cut if prefix else n - cut) + 1
        if work >= 16 * TRIM_WORK:
            spend(work // TRIM_WORK)
            work = 0
        if match(value, 0, cut) if prefix else match(value, cut):
            return value[cut:] if prefix else value[:cut]
    return value


PATTERN_MAX = 4 * KIB  # a longer glob pattern is refused (it would be compiled and cached as a regex)


def glob_matcher(pattern: str) -> Callable[[str], bool]:
    """fnmatch.fnmatchcase for one pattern: the name matches the whole pattern."""
    regex = glob_regex(pattern)
    return lambda name: regex.match(name) is not None


@functools.lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """The pattern as fnmatch translates it; ShellSyntaxError past PATTERN_MAX."""
    if len(pattern) > PATTERN_MAX:
        raise ShellSyntaxError(f"pattern too long (kubeclass matches patterns of up to {PATTERN_MAX} characters)")
    return re.compile(fnmatch.translate(pattern))


def _arith_word(source: str) -> tuple:
    words = parse_words(f'"{source}"') if '"' not in source else parse_words(source)
    return words[0] if words else ()
