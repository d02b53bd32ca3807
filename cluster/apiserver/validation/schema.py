"""Decoding checks: what kube-apiserver's JSON decoder rejects before validation runs.

kube-apiserver decodes a request body into the Go struct of the kind. A field
the struct does not have is an "unknown field" (an error with
fieldValidation=Strict, a warning with Warn, nothing with Ignore); a value of
the wrong JSON type is a `json: cannot unmarshal ...` error, always a 400.
kubeclass checks the body against the v1.32 OpenAPI schemas bundled with the
kubernetes-validate package: a compiled fastjsonschema validator answers the
common case (a valid object) in microseconds (compiled once and kept on disk
between processes: compiled.py), and only a failing object is run
through jsonschema's iter_errors, which yields every error so each one can be
reported in upstream's words.

Go reports only the first type error, and so does kubeclass (a BadRequest has no
causes). Unknown fields are dropped from the object unless the request is
Strict (`drop_unknown`); duplicate keys are found in the raw body
(cluster/apiserver/gojson.py, cluster/apiserver/fieldvalidation.py). Besides the
schema, the values that Go decodes by parsing (resource.Quantity, a Secret's
base64 data) are checked as their UnmarshalJSON checks them.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import fastjsonschema
import jsonschema
import kubernetes_validate
from referencing import Registry, Resource

from cluster import quantity
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.validation import compiled

SCHEMA_DIR = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / "v1.32.0-local-strict"
DEFS_URI = "https://kubernetes.io/api/_definitions.json"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

_lock = threading.Lock()


@dataclass
class SchemaErrors:
    """What decoding found: unknown fields (Go paths with [i]) and type errors (upstream's text)."""

    unknown: list[str] = field(default_factory=list)
    type_errors: list[tuple[str, str]] = field(default_factory=list)  # (field path, message)
    unknown_paths: list[tuple] = field(default_factory=list)  # each unknown field as keys and indices, to drop it


# Go's integer types: a number outside them is a decoding error, `cannot unmarshal number ...`.
INTEGER_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


@lru_cache(maxsize=1)
def definitions() -> dict:
    return with_ranges(json.loads((SCHEMA_DIR / "_definitions.json").read_text()))


def with_ranges(schema: dict) -> dict:
    """The schema with each int32 and int64 field bounded as its Go type is.

    The published schemas name the format only; bounds make the compiled
    validator refuse 2147483648 for replicas as kube-apiserver's decoder does.
    IntOrString's integer is an int32.
    """
    stack: list[object] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            types = node.get("type")
            if types == "integer" or (isinstance(types, list) and "integer" in types):
                go_type = node.get("format") or ("int32" if _in_int_or_string(schema, node) else "int64")
                low, high = INTEGER_RANGES.get(go_type, INTEGER_RANGES["int64"])
                node.setdefault("minimum", low)
                node.setdefault("maximum", high)
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return schema


def _in_int_or_string(schema: dict, node: dict) -> bool:
    defs = schema.get("$defs") or {}
    return any(node is branch for branch in (defs.get(INT_OR_STRING) or {}).get("oneOf", []))


@lru_cache(maxsize=1)
def _registry() -> Registry:
    return Resource.from_contents(definitions()) @ Registry()


@lru_cache(maxsize=None)
def kind_schema(rt: ResourceType) -> dict:
    api = rt.group.split(".")[0] + "-" + rt.version if rt.group else rt.version
    return with_ranges(json.loads((SCHEMA_DIR / f"{rt.kind.lower()}-{api}.json").read_text()))


@lru_cache(maxsize=None)
def _fast(rt: ResourceType) -> Callable[[dict], object]:
    with _lock:  # compiling is not re-entrant across threads (Daphne may run several)
        return compiled.validator(
            kind_schema(rt), handlers={"https": lambda _uri: definitions()}, referenced=(definitions(),)
        )


@lru_cache(maxsize=None)
def _slow(rt: ResourceType) -> jsonschema.Draft202012Validator:
    schema = kind_schema(rt)
    registry = Resource.from_contents(schema) @ _registry()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def check(rt: ResourceType, obj: dict) -> SchemaErrors:
    """Every decoding problem of `obj`; empty when the fast path accepts it."""
    found = SchemaErrors()
    try:
        _fast(rt)(obj)
    except fastjsonschema.JsonSchemaException:
        _collect(rt, obj, found)
    _check_quantities(rt, obj, found)
    if rt.kind == "Secret":
        _check_base64(obj, found)
    return found


def _collect(rt: ResourceType, obj: dict, found: SchemaErrors) -> None:
    ordered: list[tuple[tuple, str, Any]] = []  # (position, what, its details: a tuple whose shape follows what)
    for err in _slow(rt).iter_errors(obj):
        path = list(err.absolute_path)
        if err.validator == "additionalProperties":
            known = set((err.schema or {}).get("properties", {}))
            for key in err.instance:
                if key not in known:
                    ordered.append(
                        (_position(obj, path + [key]), "unknown", (go_path(path + [key]), tuple(path + [key])))
                    )
        elif err.validator in ("type", "oneOf") and err.instance is not None and len(path) > 0:
            ordered.append((_position(obj, path), "type", (path, err.instance)))
        elif err.validator in ("minimum", "maximum") and len(path) > 0:  # out of the Go type's range
            ordered.append((_position(obj, path), "type", (path, _OutOfRange(err.instance))))
    for _pos, what, detail in sorted(ordered, key=lambda item: item[0]):
        if what == "unknown":
            name, steps = detail
            if name not in found.unknown:
                found.unknown.append(name)
                found.unknown_paths.append(steps)
        else:
            path, value = detail
            found.type_errors.append((go_path(path), _unmarshal_message(rt, path, value)))


def _position(obj: object, path: list) -> tuple:
    """Where a path sits in document order (Go decodes fields in the order they are written)."""
    position = []
    for step in path:
        if isinstance(obj, dict):
            keys = list(obj)
            position.append(keys.index(step) if step in obj else len(keys))
            obj = obj.get(step)
        elif isinstance(obj, list) and isinstance(step, int):
            position.append(step)
            obj = obj[step] if step < len(obj) else None
        else:
            position.append(0)
    return tuple(position)


def go_path(path: list) -> str:
    """`spec.template.spec.containers[0].imagee`, as the strict decoder names a field."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


# -- the Go type names json.Unmarshal prints ---------------------------------
def _resolve(node: dict) -> tuple[str, dict]:
    ref = node.get("$ref", "")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return name, definitions()["$defs"][name]
    return "", node


def _go_name(definition: str) -> str:
    parts = definition.split(".")
    return f"{parts[-2]}.{parts[-1]}"


def go_type(node: dict) -> str:
    name, schema = _resolve(node)
    if name == INT_OR_STRING:
        return "int32"  # IntOrString decodes a non-string as int32
    if name and (schema.get("properties") is not None):
        return _go_name(name)
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "array" in types:
        return "[]" + go_type(schema.get("items", {}))
    if "object" in types:
        value = schema.get("additionalProperties")
        if isinstance(value, dict):
            value_name, _ = _resolve(value)
            if value_name == QUANTITY:
                return "v1.ResourceList"
            return "map[string]" + go_type(value)
        return _go_name(name) if name else "map[string]interface {}"
    if "integer" in types:
        return schema.get("format", "int64")
    if "number" in types:
        return "float64"
    if "boolean" in types:
        return "bool"
    return "string"


class _OutOfRange:
    """A number outside its field's Go integer type; Go names the number itself."""

    def __init__(self, value: object) -> None:
        self.value = value


def _json_word(value: object) -> str:
    if isinstance(value, _OutOfRange):
        return f"number {value.value}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, float) and not value.is_integer():
        return f"number {value}"
    return "number"


def _unmarshal_message(rt: ResourceType, path: list, value: object) -> str:
    """`json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`."""
    struct, node, fields = rt.kind, kind_schema(rt), []
    target = node
    for step in path:
        name, schema = _resolve(node)
        if isinstance(step, int):
            node = schema.get("items", {})
            continue
        props = schema.get("properties")
        if props is not None and step in props:
            if name:
                struct = name.rsplit(".", 1)[-1]
            fields.append(step)
            node = props[step]
        else:  # a map key: Go keeps the map's field as the context
            node = schema.get("additionalProperties", {})
        target = node
    if _resolve(target)[0] == QUANTITY:
        return QUANTITY_FORMAT
    return (
        f"json: cannot unmarshal {_json_word(value)} into Go struct field {struct}.{'.'.join(fields)} "
        f"of type {go_type(target)}"
    )


# -- resource.Quantity parses itself while decoding --------------------------
def _check_quantities(rt: ResourceType, obj: dict, found: SchemaErrors) -> None:
    for path, value in _quantities(rt, obj):
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            try:
                quantity.parse(value)
            except ValueError:
                found.type_errors.append((go_path(path), QUANTITY_FORMAT))


def _quantities(rt: ResourceType, obj: dict) -> list[tuple[list, object]]:
    """Every value of `obj` that the kind's Go struct holds as a resource.Quantity, with its path."""
    found: list[tuple[list, object]] = []
    tree = _quantity_tree(rt)
    if tree:
        _follow(tree, obj, [], found)
    return found


QuantityTree = dict  # field name (or "*" for any list item or map value) → subtree, or True at a Quantity


@lru_cache(maxsize=None)
def _quantity_tree(rt: ResourceType) -> QuantityTree | None:
    """The paths of the kind's schema that lead to a Quantity, found once per kind: requests and
    limits in every pod template, a quota's hard, a LimitRange's max, a node's capacity, …"""
    tree = _tree_below(kind_schema(rt), frozenset())
    return tree if isinstance(tree, dict) else None


def _tree_below(node: dict, seen: frozenset[str]) -> QuantityTree | bool | None:
    name, schema = _resolve(node)
    if name == QUANTITY:
        return True
    if name in seen:  # a recursive type (a CRD's JSONSchemaProps) holds no Quantity of its own
        return None
    seen = seen | {name} if name else seen
    children: QuantityTree = {}
    for key, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, dict) and (below := _tree_below(sub, seen)):
            children[key] = below
    for key in ("items", "additionalProperties"):
        sub = schema.get(key)
        if isinstance(sub, dict) and (below := _tree_below(sub, seen)):
            children["*"] = below
    return children or None


def _follow(tree: QuantityTree | bool, value: object, path: list, found: list[tuple[list, object]]) -> None:
    if tree is True:
        found.append((path, value))
        return
    assert isinstance(tree, dict)
    if isinstance(value, dict):
        for key, item in value.items():
            below = tree.get(key) or tree.get("*")
            if below:
                _follow(below, item, path + [key], found)
    elif isinstance(value, list) and "*" in tree:
        for index, item in enumerate(value):
            _follow(tree["*"], item, path + [index], found)


_BASE64 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def base64_error(text: str) -> str | None:
    """Where Go's base64.StdEncoding stops on `text` ([]byte fields are base64 in JSON), or None."""
    text = text.replace("\r", "").replace("\n", "")
    body = text.rstrip("=")
    padding = len(text) - len(body)
    for index, char in enumerate(body):
        if char not in _BASE64:
            return f"illegal base64 data at input byte {index}"
    if padding > 2 or len(text) % 4:
        return f"illegal base64 data at input byte {len(text) - len(text) % 4 if not padding else len(body)}"
    return None


def _check_base64(obj: dict, found: SchemaErrors) -> None:
    data = obj.get("data")
    for key, value in data.items() if isinstance(data, dict) else []:
        if isinstance(value, str):
            problem = base64_error(value)
            if problem:
                found.type_errors.append((go_path(["data", key]), problem))


def raise_for(rt: ResourceType, found: SchemaErrors, field_validation: str) -> list[str]:
    """Raise kube-apiserver's 400 for `found` (errors.NewBadRequest through transformDecodeError: a message,
    no details); return the warnings a Warn request gets."""
    prefix = f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
    unknown = [f'unknown field "{name}"' for name in found.unknown]
    if found.type_errors:
        raise StatusError.bad_request(prefix + found.type_errors[0][1])
    if unknown and field_validation == "Strict":
        raise StatusError.bad_request(prefix + "strict decoding error: " + ", ".join(unknown))
    return unknown if field_validation == "Warn" else []


def drop_unknown(obj: dict, found: SchemaErrors) -> None:
    """Remove the unknown fields, as decoding into the Go struct leaves them behind (Warn and Ignore)."""
    for steps in found.unknown_paths:
        node: object = obj
        for step in steps[:-1]:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                node = None
                break
        if isinstance(node, dict):
            node.pop(steps[-1], None)
