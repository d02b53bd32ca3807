"""`-o go-template`: Go's text/template, as kubectl runs it over an object.

kubectl turns the object into JSON and back into Go maps, lists, strings, int64s,
float64s and bools (k8s.io/apimachinery/pkg/util/json keeps whole numbers
int64), then executes the template with text/template's built-in functions and
two of its own, `exists` and `base64decode`. A key that is missing prints
`<no value>` (--allow-missing-template-keys, true by default), as does a null.

This module parses the template into text/template's nodes (lex.go, parse.go)
and walks them as exec.go does: actions, pipelines with `|`, variables
(`$`, `$x := …`, `$i, $e := …`), `if`/`else if`/`else`, `range` (lists, and maps in
key order) with `break` and `continue`, `with`, parenthesised
pipelines with fields after them, comments and the `{{-`/`-}}` trim markers.
Error texts and the positions in them are text/template's.

`define`, `template` and `block` work within the one template kubectl is given.

Simplified: printf knows the verbs templates use (%s %v %d %q %t %x %X %o %f %e
%g %c %%, with flags, width and precision), not Go's whole fmt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cluster.kubectl.gotemplate.execute import Executor, ExecError, Value
from cluster.kubectl.gotemplate.parse import parse
from cluster.kubectl.gotemplate.values import TemplateError, go_quote, printed_inner

__all__ = ["Printed", "execute", "go_json"]


@dataclass
class Printed:
    stdout: str
    error: str = ""  # kubectl's `error: …` line, without the prefix


def execute(template: str, obj: dict, allow_missing_keys: bool = True) -> Printed:
    """GoTemplatePrinter.PrintObj: the output, or — when executing fails — what was printed, kubectl's
    debugging block and the error."""
    try:
        nodes, defined = parse(template)
    except TemplateError as err:
        return Printed("", f"error parsing template {template}, {err}")
    executor = Executor(template, obj, missing_key_error=not allow_missing_keys, defined=defined)
    try:
        executor.walk(Value(obj), nodes)
    except ExecError as err:
        raw = go_json(obj)
        debug = (
            f"Error executing template: {err}. Printing more information for debugging the template:\n"
            f"\ttemplate was:\n\t\t{template}\n"
            f"\traw data was:\n\t\t{raw}\n"
            f"\tobject given to template engine was:\n\t\t{printed_inner(obj)}\n\n"
        )
        return Printed("".join(executor.out) + debug, f"error executing template {go_quote(template)}: {err}")
    return Printed("".join(executor.out))


def go_json(obj: object) -> str:
    """json.Marshal of the unstructured object: keys sorted, compact, HTML characters escaped."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text
