"""The values a template works on, as Go's reflect and fmt see them: their kinds and type names, and how
an action, print and printf write them (fmt's %v, with its `<nil>`, `map[k:v]` and `[a b]`).

kubectl hands the template the object decoded into Go maps, lists, strings, int64s, float64s and bools;
a number written in the template itself is an int (GoInt). MISSING is an invalid reflect.Value: a key that
is not there, or a null once a pipeline has ended, printed `<no value>`.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from cluster.apiserver.errors import go_quote

NAME = "output"  # template.New("output")
MISSING = object()  # an invalid reflect.Value: a missing key, or a null once a pipeline has ended


class GoInt(int):
    """An integer constant of the template itself: Go's int, where the object's numbers are int64."""


class TemplateError(Exception):
    """A parse error, worded as text/template words it: `template: output:1: unclosed action`."""


class ExecError(Exception):
    """An execution error: `template: output:1:2: executing "output" at <index .a 5>: …`."""


def line_of(text: str, pos: int) -> int:
    return 1 + text.count("\n", 0, pos)


def kind_of(value: object) -> str:
    if value is MISSING or value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "map" if isinstance(value, dict) else "list"


def type_name(value: object) -> str:
    if isinstance(value, GoInt):
        return "int"
    return {
        "nil": "<nil>",
        "bool": "bool",
        "int": "int64",
        "float": "float64",
        "string": "string",
        "map": "map[string]interface {}",
        "list": "[]interface {}",
    }[kind_of(value)]


# -- printing (fmt) --------------------------------------------------------------------------------------
def printed(value: object) -> str:
    """What an action prints: fmt.Fprint of the value, `<no value>` for none."""
    if value is MISSING or value is None:
        return "<no value>"
    return printed_inner(value)


def printed_inner(value: object) -> str:
    """%v of a value inside a map or a list (a null there is `<nil>`)."""
    if value is MISSING:
        return "<no value>"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value, "g")
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{printed_inner(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(printed_inner(v) for v in value) + "]"
    return str(value)


def go_float(value: float, verb: str, precision: int | None = None) -> str:
    """strconv.FormatFloat: 'g' (shortest digits, in e-notation from an exponent of 6 on or below -4, as
    %v prints a float64), 'e' or 'f'."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if verb == "f":
        return f"{value:.{6 if precision is None else precision}f}"
    if verb == "e":
        return f"{value:.{6 if precision is None else precision}e}"
    if precision is not None:
        return f"{value:.{precision}g}"
    exact = Decimal(repr(abs(value))).normalize()
    sign, digits, exponent = exact.as_tuple()
    assert isinstance(exponent, int)
    first = len(digits) + exponent - 1  # the exponent of the leading digit
    minus = "-" if value < 0 else ""
    if first < -4 or first >= 6:
        text = "".join(map(str, digits))
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'+' if first >= 0 else '-'}{abs(first):02d}"
    return minus + format(exact, "f")


def go_sprint(values: list[object]) -> str:
    """fmt.Sprint: a space between two operands when neither is a string."""
    out = []
    for index, value in enumerate(values):
        if index and not isinstance(value, str) and not isinstance(values[index - 1], str):
            out.append(" ")
        out.append(printed_inner(value))
    return "".join(out)


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


def go_sprintf(template: str, args: list[object]) -> str:
    """fmt.Sprintf for the verbs templates use; a verb with the wrong kind of value prints `%!d(string=x)`."""
    out = []
    position = 0
    used = 0
    for match in _VERB.finditer(template):
        out.append(template[position : match.start()])
        position = match.end()
        flags, width, precision, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if used >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        value = args[used]
        used += 1
        out.append(_pad(format_with(verb, value, flags, precision), flags, width))
    out.append(template[position:])
    if used < len(args):
        out.append("%!(EXTRA " + ", ".join(f"{type_name(a)}={printed_inner(a)}" for a in args[used:]) + ")")
    return "".join(out)


def format_with(verb: str, value: object, flags: str = "", precision: str | None = None) -> str:
    """fmt applies a verb to a map's keys and values and to a list's elements, one by one."""
    if isinstance(value, dict) and verb != "v":
        inner = " ".join(
            f"{format_with(verb, k, flags, precision)}:{format_with(verb, value[k], flags, precision)}"
            for k in sorted(value)
        )
        return "map[" + inner + "]"
    if isinstance(value, list) and verb != "v":
        return "[" + " ".join(format_with(verb, v, flags, precision) for v in value) + "]"
    return _format_one(verb, value, flags, precision)


def _format_one(verb: str, value: object, flags: str, precision: str | None) -> str:
    kind = kind_of(value)
    if verb == "v":
        return printed_inner(value)
    if verb == "s" and kind == "string":
        text = printed_inner(value)
        return text[: int(precision)] if precision is not None else text
    if verb == "q" and kind == "string":
        assert isinstance(value, str)
        return go_quote(value)
    if verb == "t" and kind == "bool":
        return printed_inner(value)
    if kind == "int" and verb in "dxXoc":
        assert isinstance(value, int)
        if verb == "c":
            return chr(value)
        text = {"d": f"{abs(value)}", "x": f"{abs(value):x}", "X": f"{abs(value):X}", "o": f"{abs(value):o}"}[verb]
        sign = "-" if value < 0 else "+" if "+" in flags else ""
        return sign + text
    if kind == "string" and verb in "xX":
        assert isinstance(value, str)
        text = value.encode().hex()
        return text.upper() if verb == "X" else text
    if kind == "float" and verb in "feEgG":
        assert isinstance(value, float)
        number = value
        digits = int(precision) if precision is not None else None
        if verb in "gG":
            text = go_float(number, "g", digits) if digits is None else f"{number:.{digits}g}"
        else:
            text = go_float(number, verb.lower(), digits)
        return text.upper() if verb in "EG" else text
    name = type_name(value) if value is not MISSING else "<nil>"
    return f"%!{verb}({name}={printed_inner(value)})"


def _pad(text: str, flags: str, width: str | None) -> str:
    if width is None or len(text) >= int(width):
        return text
    if "-" in flags:
        return text.ljust(int(width))
    if "0" in flags and (text[:1].isdigit() or text[:1] in "+-"):
        sign = text[0] if text[0] in "+-" else ""
        return sign + text[len(sign) :].rjust(int(width) - len(sign), "0")
    return text.rjust(int(width))
