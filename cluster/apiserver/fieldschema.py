"""How the field manager sees a resource's schema: each field's shape and the keys of its elements.

A field is a struct (declared properties), a granular map (additionalProperties), a list-map
keyed by its `x-kubernetes-list-map-keys` (or by the strategic merge key cluster/apiserver/strategic.py
looks up, for lists the schema leaves untyped), a set list, or atomic (a scalar, an atomic map or an
untyped list). An element of a list-map is named `k:{"containerPort":80,"protocol":"TCP"}` by its
keys, a member of a set `v:"x"` (sigs.k8s.io/structured-merge-diff schema and fieldpath's
PathElement). A Field looks its children up once and keeps them: one tree per resource (`root_for`).

Simplified: key fields with a schema default are filled in from a small table (the ports' protocol),
not from the schema's defaults.
"""

from __future__ import annotations

import orjson

from cluster.apiserver import schemas, strategic

# Key fields with a schema default (+default="TCP" on the ports' protocol), as SMD fills them in.
KEY_DEFAULTS = {"protocol": "TCP"}
MISSING = object()  # an absent value (None is JSON null)


class Field:
    """One field's schema as the field manager needs it; its children are looked up once and kept."""

    __slots__ = ("schema", "shape", "keys", "item", "declared", "children")

    def __init__(
        self,
        schema: dict | None,
        shape: str,
        keys: tuple[str, ...] = (),
        item: dict | None = None,
        declared: bool = False,
    ) -> None:
        self.schema = schema  # the value's schema, resolved
        self.shape = shape  # struct, map (granular), atomic, listmap, set, unknown
        self.keys = keys  # a list-map's keys
        self.item = item  # a list's element schema
        self.declared = declared  # a struct's own field (not an entry of a map)
        self.children: dict[str, Field] = {}


UNKNOWN = Field(None, "unknown")
_items: dict[int, Field] = {}


def root_field(schema: dict | None) -> Field:
    return _shape(schema, schema, True) if schema is not None else UNKNOWN


def child(parent: Field, key: str) -> Field:
    cached = parent.children.get(key)
    if cached is None:
        schema = parent.schema
        if schema is None:
            return UNKNOWN
        raw = (schema.get("properties") or {}).get(key)
        declared = raw is not None
        if raw is None and isinstance(schema.get("additionalProperties"), dict):
            raw = schema["additionalProperties"]
        cached = parent.children[key] = UNKNOWN if raw is None else _shape(raw, schemas.resolve(raw), declared)
    return cached


def items_of(field: Field) -> Field:
    """The Field of a list-map's elements (one per element schema, so its children are shared)."""
    if field.item is None:
        return UNKNOWN
    found = _items.get(id(field.item))
    if found is None:
        found = _items[id(field.item)] = Field(field.item, "struct")
    return found


def _shape(raw: dict, resolved: dict | None, declared: bool) -> Field:
    resolved = resolved or {}
    types = resolved.get("type") or raw.get("type") or []
    types = [types] if isinstance(types, str) else types
    if "array" in types or "items" in resolved:
        item = schemas.resolve(resolved.get("items") or raw.get("items"))
        list_type = raw.get("x-kubernetes-list-type") or resolved.get("x-kubernetes-list-type")
        keys = tuple(raw.get("x-kubernetes-list-map-keys") or ())
        merge_key, strategy = raw.get("x-kubernetes-patch-merge-key", ""), raw.get("x-kubernetes-patch-strategy", "")
        if list_type is None and "merge" in strategy:  # the strategic merge table, for lists the schema leaves untyped
            list_type, keys = ("map", (merge_key,)) if merge_key else ("set", ())
        if list_type == "map" and not keys and merge_key:
            keys = (merge_key,)
        shape = "listmap" if list_type == "map" and keys else "set" if list_type == "set" else "atomic"
        return Field(resolved, shape, keys, item, declared)
    if resolved.get("x-kubernetes-map-type") == "atomic":
        return Field(resolved, "atomic", declared=declared)
    if "properties" in resolved:
        return Field(resolved, "struct", declared=declared)
    if isinstance(resolved.get("additionalProperties"), dict) or "object" in types:
        return Field(resolved, "map", declared=declared)
    return Field(resolved, "atomic", declared=declared)  # a scalar: a leaf as an atomic value is


def element_key(item: dict, keys: tuple[str, ...]) -> str | None:
    """`k:{"containerPort":80,"protocol":"TCP"}`, or None when the element has none of its keys."""
    if len(keys) == 1 and isinstance(item, dict) and isinstance(item.get(keys[0]), str):  # the common case, fast
        return f'k:{{"{keys[0]}":{orjson.dumps(item[keys[0]]).decode()}}}'
    values = {}
    for name in keys:
        value = item.get(name, KEY_DEFAULTS.get(name, MISSING)) if isinstance(item, dict) else MISSING
        if value is not MISSING:
            values[name] = value
    if not values:
        return None
    return "k:" + orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode()


def value_key(value: object) -> str:
    return "v:" + orjson.dumps(value).decode()


def by_key(items: list, keys: tuple[str, ...]) -> dict[str, dict] | None:
    """A list-map's elements by key, or None when one lacks its key or two share one (then: atomic)."""
    out: dict[str, dict] = {}
    for item in items:
        key = element_key(item, keys)
        if key is None or key in out:
            return None
        out[key] = item
    return out


_roots: dict[str, Field] = {}


def root_for(rt) -> Field:  # noqa: ANN001 - a ResourceType
    found = _roots.get(rt.schema_name)
    if found is None:
        found = _roots[rt.schema_name] = root_field(strategic.root_schema(rt))
    return found
