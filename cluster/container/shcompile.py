"""A shell script's syntax tree compiled to a flat program, so that a running script's position is one integer.

The instructions: run a pipeline, jump, jump if the last status was zero or not, set the status,
negate it, for-loop steps (start, next item, pop), a `case` table, end. `break` and `continue`
compile to jumps (leaving a for-loop pops its state). With the program flat, a container's shell
can stop in the middle of a `sleep`, be saved in the database, and resume where it was on the
cluster's virtual clock (cluster/container/shell.py runs it).

Simplified: a compound command in a pipeline or in the background is compiled on its own and run
to completion at once (cluster/container/shell.py's subshell).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cluster.container.shlexer import ShellSyntaxError, plain
from cluster.container.shparse import Parser


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
        pops = sum(1 for loop in self.loops[-depth:] if loop.is_for) - (
            1 if word == "continue" and target.is_for else 0
        )
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
    words = [plain(w) for w in cmd[2]]
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


SCRIPT_MAX = 128 * 1024  # Linux's MAX_ARG_STRLEN: the longest `sh -c` script execve passes on


def compile_script(src: str) -> tuple[tuple, ...]:
    """The flat program for a script; ShellSyntaxError if sh would refuse it, or if it is longer than
    SCRIPT_MAX (an `eval` of it would run in a real shell; here every script is compiled and kept)."""
    if len(src) > SCRIPT_MAX:
        raise ShellSyntaxError("Argument list too long")
    try:
        return _compile_script(src)
    except RecursionError:  # thousands of nested ( { if …: dash's parser would recurse as deep in C
        raise ShellSyntaxError("nested too deeply") from None


@functools.lru_cache(maxsize=256)
def _compile_script(src: str) -> tuple[tuple, ...]:
    compiler = _LoopAwareCompiler()
    compiler.list_(Parser(src).program())
    compiler.emit("end")
    return tuple(tuple(ins) for ins in compiler.code)


def compile_argv(argv: tuple[str, ...]) -> tuple[tuple, ...]:
    """A container's command that is not a shell: one command whose words are already split."""
    words = tuple((("sq", w),) for w in argv)
    return (("run", ("pipe", False, (("simple", (), words, ()),)), False), ("end",))
