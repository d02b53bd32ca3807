"""Strategic merge patch, as kube-apiserver applies it (k8s.io/apimachinery/pkg/util/strategicpatch).

`kubectl apply` (client-side) and `kubectl patch` send strategic merge patches:
JSON merge patches that also know how each list is merged. A list marked
`x-kubernetes-patch-strategy: merge` with a `x-kubernetes-patch-merge-key`
(containers by name, Service ports by port, …) is merged element by element; a
`merge` list of scalars (finalizers) is a set union; every other list is
replaced. Directives steer the merge: `$patch: replace|delete` on a map or a
list element, `$setElementOrder/<list>` (the order kubectl wants),
`$deleteFromPrimitiveList/<list>`, `$retainKeys` (fields to keep, for
`retainKeys` fields such as a Deployment's strategy or a volume's source), and
`null` deletes a key.

The strategies and merge keys are read from the same OpenAPI extensions
kube-apiserver's Go struct tags generate, in the Kubernetes v1.32 schemas that
the pinned kubernetes-validate package ships.

How list elements are found and ordered is cluster/apiserver/strategic_lists.py.

Simplified: upstream answers some malformed patches (a list element without its
merge key, an unknown `$patch` value) with a 500; we answer 400 with upstream's
message. Directive keys left in newly added subtrees are dropped rather than
reported as unknown fields.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from cluster.apiserver import schemas
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.strategic_lists import (
    DIRECTIVE,
    PatchRejected,
    Positions,
    deduplicated,
    go_format,
    go_type,
    live_list_after_merge,
    no_merge_key,
    normalized_order,
    partition,
    same_key,
    scalar,
    without_keys,
)
from cluster.jsoncopy import deep_copy

RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder/"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"

BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"
NO_LIST_OF_LISTS = "lists of lists are not supported"


def apply(rt: ResourceType, obj: dict, patch: dict) -> dict:
    """The object after the patch; neither argument is modified."""
    try:
        return merge_map(deep_copy(obj), copy.deepcopy(patch), root_schema(rt))
    except PatchRejected as err:
        raise err.status_error() from None


# -- the schema: which strategy and merge key each field has -----------------
_resolve = schemas.resolve


def root_schema(rt: ResourceType) -> dict | None:
    return _resolve({"$ref": rt.schema_name})


@dataclass(frozen=True)
class PatchMeta:
    """What upstream's LookupPatchMetadata returns for one field."""

    schema: dict | None  # the field's value, resolved
    strategy: str  # "merge", "replace" or "" (retainKeys only steers `$retainKeys`)
    merge_key: str

    @property
    def items(self) -> dict | None:
        return _resolve((self.schema or {}).get("items"))


NO_META = PatchMeta(None, "", "")
_lookups: dict[tuple[int, str], PatchMeta] = {}


def lookup(schema: dict | None, key: str) -> PatchMeta:
    if schema is None:
        return NO_META
    cached = _lookups.get((id(schema), key))
    if cached is None:
        cached = _lookups[(id(schema), key)] = _lookup(schema, key)
    return cached


def _lookup(schema: dict, key: str) -> PatchMeta:
    field = (schema.get("properties") or {}).get(key)
    if field is None and isinstance(schema.get("additionalProperties"), dict):
        field = schema["additionalProperties"]
    if field is None:
        return NO_META
    strategies = [s for s in field.get("x-kubernetes-patch-strategy", "").split(",") if s and s != "retainKeys"]
    merge_key = field.get("x-kubernetes-patch-merge-key", "")
    return PatchMeta(_resolve(field), strategies[0] if strategies else "", merge_key)


# -- maps -------------------------------------------------------------------
def merge_map(original: dict | None, patch: dict, schema: dict | None) -> dict:
    """upstream's mergeMap with MergeParallelList and IgnoreUnmatchedNulls, as the server runs it."""
    if DIRECTIVE in patch:
        return _map_directive(patch)
    original = {} if original is None else original
    _apply_retain_keys(original, patch)
    _merge_ordered_lists(original, patch, schema)
    for key, value in patch.items():
        deleting = key.startswith(DELETE_FROM_PRIMITIVE_LIST)
        if deleting:
            key = _list_name(key, DELETE_FROM_PRIMITIVE_LIST, BAD_PRIMITIVE_LIST)
        if value is None:
            original.pop(key, None)
            continue
        current = original.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            meta = lookup(schema, key)
            original[key] = _cleaned(value) if meta.strategy == "replace" else merge_map(current, value, meta.schema)
        elif isinstance(current, list) and isinstance(value, list):
            original[key] = _merge_list_field(current, value, lookup(schema, key), deleting)
        elif not deleting:
            _put_new(original, key, value)
    return original


def _map_directive(patch: dict) -> dict:
    directive = patch[DIRECTIVE]
    if directive == "replace":
        return _cleaned_map({k: v for k, v in patch.items() if k != DIRECTIVE})
    if directive == "delete":
        return {}
    raise PatchRejected(f"unknown patch type: {directive} in map: {go_format(patch)}")


def _apply_retain_keys(original: dict, patch: dict) -> None:
    """`$retainKeys`: clear every field the list does not name (a union field switching members)."""
    if RETAIN_KEYS not in patch:
        return
    retained = patch.pop(RETAIN_KEYS)
    if not isinstance(retained, list) or not all(isinstance(k, str) for k in retained):
        raise PatchRejected(BAD_RETAIN_KEYS)
    allowed = set(retained)
    for key, value in patch.items():
        if value is None or key.startswith((DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)):
            continue
        if key not in allowed:
            raise PatchRejected(BAD_RETAIN_KEYS)
    for key in [k for k in original if k not in allowed]:
        del original[key]


def _put_new(original: dict, key: str, value: object) -> None:
    cleaned, keep = _without_directives(_without_nulls(value))
    if keep:
        original[key] = cleaned
    else:
        original.pop(key, None)


def _cleaned(value: object) -> object:
    return _without_directives(value)[0]


def _cleaned_list(items: list) -> list:
    """_cleaned for a list: the kept items, cleaned."""
    return [c for c, keep in map(_without_directives, items) if keep]


def _cleaned_map(value: dict) -> dict:
    """_cleaned for a map that has no $patch directive of its own (so it is kept)."""
    kept, _keep = _without_directives(value)
    assert isinstance(kept, dict)
    return kept


def _without_nulls(value: object) -> object:
    """A value new to the object keeps no nulls (upstream's discardNullValuesFromPatch)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _without_directives(value: object) -> tuple[object, bool]:
    """A new value with its directives taken out, and whether it is kept at all (removeDirectives)."""
    if isinstance(value, dict):
        if DIRECTIVE in value:
            return None, False
        kept = {}
        for key, item in value.items():
            if key == RETAIN_KEYS or key.startswith((SET_ELEMENT_ORDER, DELETE_FROM_PRIMITIVE_LIST)):
                continue
            cleaned, keep = _without_directives(item)
            if keep:
                kept[key] = cleaned
        return kept, True
    if isinstance(value, list):
        return [c for c, keep in map(_without_directives, value) if keep], True
    return value, True


def _list_name(key: str, prefix: str, message: str) -> str:
    head, slash, name = key.partition("/")
    if not slash or head + "/" != prefix:
        raise PatchRejected(message)
    return name


# -- lists ------------------------------------------------------------------
def _merge_list_field(current: list, patch: list, meta: PatchMeta, deleting: bool) -> list:
    if meta.strategy != "merge":
        return _cleaned_list(patch)
    return merge_list(current, patch, meta.items, meta.merge_key, deleting)


def merge_list(original: list, patch: list, item_schema: dict | None, merge_key: str, deleting: bool = False) -> list:
    """upstream's mergeSlice: scalars are a set union, maps merge by their merge key."""
    if not original and not patch:
        return original
    kind = element_kind(original, patch)
    if kind is not dict:
        if deleting:
            doomed = {scalar(v) for v in patch}
            return [v for v in original if scalar(v) not in doomed]
        merged = deduplicated(original + patch)
    else:
        if not merge_key:
            raise PatchRejected("cannot merge lists without merge key for type struct")
        original, patch = _list_directives(original, patch, merge_key)
        merged = _merge_by_key(original, patch, merge_key, item_schema)
    in_patch, server_only = partition(merged, patch, merge_key)
    return normalized_order(in_patch, server_only, patch, original, merge_key)


def element_kind(*lists: list) -> type | None:
    """The one type every element has (sliceElementType): no lists of lists, no mixed lists."""
    kind: type | None = None
    for items in lists:
        for item in items:
            if kind is None:
                kind = type(item)
                if kind is list:
                    raise PatchRejected(NO_LIST_OF_LISTS, 422)
            elif type(item) is not kind:
                raise PatchRejected(f"list element types are not identical: {go_format(list(lists))}")
    return kind


def _list_directives(original: list, patch: list, merge_key: str) -> tuple[list, list]:
    """Apply `$patch: delete` and `$patch: replace` elements; return the list and the plain elements."""
    plain: list = []
    replace = False
    doomed: list = []  # the merge-key values of `$patch: delete` elements, taken out in one pass below
    for item in patch:
        if DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise no_merge_key(item, merge_key)
            doomed.append(item[merge_key])
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchRejected("merging lists cannot yet be specified in the patch")
        else:
            raise PatchRejected(f"unknown patch type: {directive} in map: {go_format(item)}")
    if doomed:
        original = without_keys(original, merge_key, doomed)
    if replace:
        return _cleaned_list(plain), []
    return original, plain


def _merge_by_key(original: list, patch: list, merge_key: str, item_schema: dict | None) -> list:
    merged = list(original)
    positions = Positions(merged, merge_key)
    for item in patch:
        if merge_key not in item:
            raise no_merge_key(item, merge_key)
        index = positions.index_of(item)
        if index >= 0:
            merged[index] = merge_map(merged[index], item, item_schema)
            positions.replaced(index)
        else:
            cleaned, keep = _without_directives(_without_nulls(item))
            if keep:
                merged.append(cleaned)
                positions.appended()
    return merged


def _merge_ordered_lists(original: dict, patch: dict, schema: dict | None) -> None:
    """`$setElementOrder/<list>`: merge that list now and put it in the order kubectl asked for."""
    for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        if not isinstance(order, list):
            raise PatchRejected(f"expected a []interface {{}}, but received a {go_type(order)}")
        name = _list_name(key, SET_ELEMENT_ORDER, BAD_SET_ELEMENT_ORDER)
        current, wanted = original.get(name), patch.pop(name, None)
        for value in (current, wanted):
            if value is not None and not isinstance(value, list):
                raise PatchRejected(f"expected a []interface {{}}, but received a {go_type(value)}")
        meta = lookup(schema, name)
        _check_order(wanted or [], order, meta.merge_key)
        if current is None and wanted is None:
            continue
        merged = _merge_list_field(current or [], wanted, meta, False) if wanted is not None else current
        if element_kind(current or [], wanted or []) is None:
            original[name] = merged
            continue
        in_patch, server_only = partition(merged or [], order, meta.merge_key)
        server_order = current or []
        if current and wanted and meta.strategy == "merge" and meta.merge_key and element_kind(current) is dict:
            server_order = live_list_after_merge(current, wanted, meta.merge_key)
        original[name] = normalized_order(in_patch, server_only, order, server_order, meta.merge_key)


def _check_order(patch: list, order: list, merge_key: str) -> None:
    """Every element of the patch list must appear in `$setElementOrder`, in the same order."""
    if not patch or not order:
        return
    items = [p for p in patch if not (merge_key and isinstance(p, dict) and p.get(DIRECTIVE) == "delete")]
    i = j = 0
    while i < len(items) and j < len(order):
        if isinstance(items[i], dict) and DIRECTIVE in items[i]:
            i += 1
            continue
        if same_key(items[i], order[j], merge_key):
            i += 1
        j += 1
    if i < len(items):
        raise PatchRejected(
            f"The order in patch list:\n{go_format(patch)}\n doesn't match $setElementOrder list:\n{go_format(order)}\n"
        )
