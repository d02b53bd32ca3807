"""Bytes and text into API values, safely: what Go's decoders accept and refuse.

kube-apiserver decodes JSON with a fork of Go's encoding/json, and YAML (from
kubectl, or a body sent as application/yaml) with go-yaml, whose result is
re-encoded as JSON. Both edges of kubeclass — the HTTP API and the kubectl
manifests the page's terminal reads — decode through this module, so that
nothing reaches the store that it could not read back:

- Strings. Go's JSON decoder replaces an invalid UTF-16 escape (a lone
  surrogate such as `"\\ud800"`) and invalid UTF-8 with U+FFFD, and so does
  Go's JSON encoder when go-yaml's output is re-encoded. `clean` does the
  same: such a string is stored with U+FFFD, never as a value the store's
  JSON library refuses.
- Numbers. A JSON number with a zero fraction (`3.0`) is the integer 3, as
  it is once kubectl has converted YAML to JSON; integers beyond 64 bits are
  refused here, and each kind's int32 and int64 fields are range-checked by the
  schema (cluster/apiserver/validation/schema.py) with Go's words.
- Depth. Objects nest at most MAX_DEPTH levels (Go's decoder allows 10,000;
  no Kubernetes object comes near 100, and every recursive walk in kubeclass
  then stays far from Python's recursion limit).
- YAML aliases. go-yaml refuses a document when more than 99 % of what it
  decodes comes from expanding aliases ("document contains excessive
  aliasing", its rule for documents up to 400,000 nodes), and kubeclass adds a
  budget of MAX_EXPANDED_NODES on top. Both are measured on the composed node
  graph, before a single alias is expanded, so a "billion laughs" document
  costs microseconds.

Simplified: go-yaml's alias ratio counts the alias nodes themselves too;
here an alias costs its expansion only. libyaml (PyYAML's C parser) refuses
nesting beyond 1,000 levels while parsing, so a hostile document never
reaches Python's recursion.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from typing import Any

import yaml

MAX_DEPTH = 100
MAX_EXPANDED_NODES = 100_000
MAX_INTEGER_DIGITS = 20  # int64 and uint64 have at most 20 digits
FLOAT_EXACT = 2**53  # a float of larger magnitude is not an exact integer any more
REPLACEMENT = "\ufffd"
# go-yaml's alias rule (yaml.v2 decode.go): checked once over 100 aliased and 1,000 decoded nodes.
ALIAS_RATIO = 0.99

TOO_DEEP = f"exceeded max depth of {MAX_DEPTH} nested objects or lists"
_SURROGATE = re.compile("[\ud800-\udfff]")


class DecodeError(ValueError):
    """The input cannot be decoded; the message is what Go's decoder would say."""


# -- values ---------------------------------------------------------------------
def clean(value: object) -> object:
    """`value` as Go would have decoded it: U+FFFD for lone surrogates, integral floats as ints.

    Raises DecodeError for nesting deeper than MAX_DEPTH, integers longer than
    any Go integer type and non-finite numbers. Walks iteratively: the input may be hostile.
    """
    root = [value]
    stack: list[tuple[Any, Any, int]] = [(root, 0, 0)]  # (the list or dict holding an item, its index or key, depth)
    while stack:
        holder, slot, depth = stack.pop()
        item = holder[slot]
        if isinstance(item, str):
            if _SURROGATE.search(item):
                holder[slot] = _SURROGATE.sub(REPLACEMENT, item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if len(str(abs(item))) > MAX_INTEGER_DIGITS:  # a typed field's range is the schema's to check
                raise DecodeError(f"json: cannot unmarshal number {_shown(item)} into Go value of type int64")
        elif isinstance(item, float):
            holder[slot] = _number(item)
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                raise DecodeError(TOO_DEEP)
            stack.extend(_children(item, depth + 1))
        else:  # what YAML has and JSON has not: !!binary, !!timestamp, !!set
            holder[slot] = _as_json(item)
            stack.append((holder, slot, depth))
    return root[0]


def _as_json(item: object) -> object:
    """A YAML-only value as sigs.k8s.io/yaml hands it to JSON."""
    if isinstance(item, (bytes, bytearray)):
        return base64.b64encode(bytes(item)).decode()  # Go marshals []byte as base64
    if isinstance(item, (dt.date, dt.datetime)):
        return item.isoformat().replace("+00:00", "Z")
    if isinstance(item, (set, frozenset, tuple)):
        return {_key(k): None for k in item} if isinstance(item, (set, frozenset)) else list(item)
    return str(item)


def without_nulls(obj: dict) -> dict:
    """A typed object as Go decodes it: a JSON null in a struct field is the same as no field.

    (Go leaves the field at its zero value; a nil pointer is then omitted when
    the object is written back.) A null item of a list is dropped as well.
    """
    stack: list[object] = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in [k for k, v in node.items() if v is None]:
                del node[key]
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            if any(v is None for v in node):
                node[:] = [v for v in node if v is not None]
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return obj


def _children(item: dict | list, depth: int) -> list[tuple[list | dict, object, int]]:
    if isinstance(item, list):
        return [(item, i, depth) for i in range(len(item))]
    bad = [k for k in item if not isinstance(k, str) or _SURROGATE.search(k)]
    for key in bad:  # JSON keys are strings; YAML may give numbers or booleans
        item[_key(key)] = item.pop(key)
    return [(item, k, depth) for k in item]


def _key(key: object) -> str:
    if isinstance(key, str):
        return _SURROGATE.sub(REPLACEMENT, key)
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _number(value: float) -> int | float:
    if not math.isfinite(value):
        raise DecodeError("json: unsupported value: a number must be finite")
    if value.is_integer() and abs(value) <= FLOAT_EXACT:
        return int(value)
    return value


def _shown(value: int) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:24] + "…"


# -- JSON -----------------------------------------------------------------------
def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise DecodeError(f"json: cannot unmarshal number {text[:24]}… into Go value of type int64")
    return int(text)


def _parse_float(text: str) -> int | float:
    return _number(float(text))


def _no_constant(text: str) -> float:
    raise DecodeError(f"invalid character '{text[0]}' looking for beginning of value")


def load_json(data: bytes | str) -> object:
    """One JSON value, cleaned; DecodeError with Go's wording when it is not valid JSON."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise DecodeError(f"{err.msg} (line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise DecodeError(TOO_DEEP) from None
    return clean(value)


# -- YAML -----------------------------------------------------------------------
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_Base):  # type: ignore[misc, valid-type]
    """A safe loader whose timestamps stay strings, as they do when kubectl converts YAML to JSON."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> object:
    """One YAML document (None when empty), cleaned. yaml.YAMLError for YAML it cannot parse,
    DecodeError for aliasing, depth or numbers it refuses."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_aliases(node)
        value = loader.construct_document(node)
    except yaml.composer.ComposerError as err:
        alias = _ALIAS_AT.match(text, err.problem_mark.index) if err.problem_mark and "alias" in str(err) else None
        if alias:  # libyaml's C composer does not name the alias
            raise DecodeError(f"unknown anchor '{alias.group(1)}' referenced") from None
        raise
    except RecursionError:
        raise DecodeError(TOO_DEEP) from None
    except DecodeError:
        raise
    except ValueError as err:  # an integer longer than Python converts (4,300 digits)
        raise DecodeError(f"cannot unmarshal number: {err}") from None
    finally:
        loader.dispose()
    return clean(value)


_ALIAS_AT = re.compile(r"\*([^\s,\[\]{}]+)")
_UNDEFINED_ALIAS = re.compile(r"found undefined alias '?([^']*)'?")


def go_yaml_error(err: yaml.YAMLError) -> str:
    """The error as go-yaml words it: `yaml: line N: problem`.

    libyaml and go-yaml (a port of it) share their messages; go-yaml numbers the
    line of a scanner error from 1 but that of a parser error from 0, and names
    no line for an unknown anchor.
    """
    problem = getattr(err, "problem", None) or str(err)
    alias = _UNDEFINED_ALIAS.search(problem)
    if alias:
        return f"yaml: unknown anchor '{alias.group(1)}' referenced"
    problem_mark = getattr(err, "problem_mark", None)
    context_mark = getattr(err, "context_mark", None)
    if problem_mark is not None and problem_mark.line:
        line = problem_mark.line + (1 if isinstance(err, yaml.scanner.ScannerError) else 0)
    elif context_mark is not None and context_mark.line:
        line = context_mark.line
    else:
        return f"yaml: {problem}"
    return f"yaml: line {line}: {problem}"


def check_aliases(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand too far, as go-yaml does, before expanding any."""
    sizes = _expanded_sizes(root)
    if sizes[id(root)] > MAX_EXPANDED_NODES:
        raise DecodeError("document contains excessive aliasing")
    # Walk in document order: a node met the first time is decoded where it stands; met
    # again it is an alias, and everything it expands to counts as aliased.
    seen: set[int] = set()
    decoded = aliased = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            decoded += sizes[id(node)]
            aliased += sizes[id(node)]
        else:
            seen.add(id(node))
            decoded += 1
            stack.extend(reversed(_nodes_below(node)))
        if aliased > 100 and decoded > 1000 and aliased / decoded > ALIAS_RATIO:
            raise DecodeError("document contains excessive aliasing")


def _expanded_sizes(root: yaml.Node) -> dict[int, int]:
    """Each node's size once its aliases are expanded; DecodeError for an anchor inside itself."""
    sizes: dict[int, int] = {}
    pending: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _nodes_below(node)
        if children_done:
            pending.discard(key)
            sizes[key] = min(MAX_EXPANDED_NODES + 1, 1 + sum(sizes[id(c)] for c in children))
            continue
        if key in pending:
            raise DecodeError("anchor refers to itself")
        pending.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes


def _nodes_below(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
