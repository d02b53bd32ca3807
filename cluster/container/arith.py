"""Shell arithmetic `$(( … ))` (XCU 2.6.4): integers, + - * / % and comparisons, evaluated safely.

The expression is parsed with Python's `ast` and only integer literals, names
(shell variables, 0 when unset) and the C operators sh allows are evaluated;
anything else is an error, as sh would report it. Division truncates toward
zero, as C does. Numbers are intmax_t, 64 bits: a result wraps around as it does in
dash and busybox on a 64-bit machine, and a shift counts modulo 64 as x86 shifts do
(`$((1<<64))` is 1) — so a script cannot make the server build an integer of a million digits.
"""

from __future__ import annotations

import ast
import re
from typing import Callable

from cluster.container.shlexer import ShellSyntaxError


class ArithError(ShellSyntaxError):
    """sh: arithmetic syntax error (reported as sh reports a bad substitution: status 2, and the script goes on)."""


_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.BitAnd: lambda a, b: a & b,
    ast.BitOr: lambda a, b: a | b,
    ast.BitXor: lambda a, b: a ^ b,
    ast.LShift: lambda a, b: a << (b & 63),
    ast.RShift: lambda a, b: a >> (b & 63),
}
_COMPARE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}


def evaluate(expression: str, lookup: Callable[[str], int]) -> int:
    text = expression.strip() or "0"
    text = re.sub(r"&&", " and ", text)
    text = re.sub(r"\|\|", " or ", text)
    text = re.sub(r"!(?!=)", " not ", text)
    try:
        tree = ast.parse(text, mode="eval")
        return _eval(tree.body, lookup)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: a literal of 4,300+ digits
        raise ArithError(f"arithmetic syntax error: {expression.strip()}") from None


def _int64(value: int) -> int:
    """The value as a 64-bit two's-complement integer holds it."""
    return (value + (1 << 63)) % (1 << 64) - (1 << 63)


def _eval(node: ast.AST, lookup: Callable[[str], int]) -> int:
    return _int64(_value(node, lookup))


def _value(node: ast.AST, lookup: Callable[[str], int]) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Name):
        return lookup(node.id)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, lookup)
        ops = {ast.USub: -value, ast.UAdd: value, ast.Not: int(not value), ast.Invert: ~value}
        return ops[type(node.op)]
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, lookup), _eval(node.right, lookup)
        if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)):
            if right == 0:
                raise ArithError("divide by zero")
            quotient = abs(left) // abs(right) * (1 if (left >= 0) == (right >= 0) else -1)
            return quotient if not isinstance(node.op, ast.Mod) else left - quotient * right
        if type(node.op) in _BINARY:
            return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, lookup) for v in node.values]
        return int(all(values) if isinstance(node.op, ast.And) else any(values))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, lookup)
        for op, comparator in zip(node.ops, node.comparators):
            right = _eval(comparator, lookup)
            if type(op) not in _COMPARE or not _COMPARE[type(op)](left, right):
                return 0
            left = right
        return 1
    raise ArithError("arithmetic syntax error")
