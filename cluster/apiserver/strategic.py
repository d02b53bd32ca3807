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

Simplified: upstream answers some malformed patches (a list element without its
merge key, an unknown `$patch` value) with a 500; we answer 400 with upstream's
message. Directive keys left in newly added subtrees are dropped rather than
reported as unknown fields.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass

from cluster.apiserver import schemas
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType
from cluster.jsoncopy import deep_copy

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder/"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"

BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"
NO_LIST_OF_LISTS = "lists of lists are not supported"


class PatchRejected(Exception):
    """A patch strategicpatch refuses; `code` is the HTTP status kube-apiserver answers with."""

    def __init__(self, message: str, code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def status_error(self) -> StatusError:
        if self.code == 422:
            return StatusError.generic(422)  # NewGenericServerResponse: the patch error's own words are dropped
        return StatusError.bad_request(self.message)


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
            doomed = {_scalar(v) for v in patch}
            return [v for v in original if _scalar(v) not in doomed]
        merged = _deduplicated(original + patch)
    else:
        if not merge_key:
            raise PatchRejected("cannot merge lists without merge key for type struct")
        original, patch = _list_directives(original, patch, merge_key)
        merged = _merge_by_key(original, patch, merge_key, item_schema)
    in_patch, server_only = _partition(merged, patch, merge_key)
    return _normalized_order(in_patch, server_only, patch, original, merge_key)


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
                raise _no_merge_key(item, merge_key)
            doomed.append(item[merge_key])
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchRejected("merging lists cannot yet be specified in the patch")
        else:
            raise PatchRejected(f"unknown patch type: {directive} in map: {go_format(item)}")
    if doomed:
        original = _without_keys(original, merge_key, doomed)
    if replace:
        return _cleaned_list(plain), []
    return original, plain


def _without_keys(original: list, merge_key: str, doomed: list) -> list:
    """The elements whose merge key is none of `doomed` (upstream deletes them one directive at a time)."""
    try:
        gone = {_scalar(value) for value in doomed}
    except TypeError:  # a map or list as a merge key's value: compare one by one
        for value in doomed:
            original = [o for o in original if not _has_key_value(o, merge_key, value)]
        return original
    kept = []
    for item in original:
        if not isinstance(item, dict):
            raise PatchRejected("value for key is not a map.")
        key = item.get(merge_key, _MISSING)
        if key is _MISSING or _hashable_scalar(key) not in gone:
            kept.append(item)
    return kept


def _merge_by_key(original: list, patch: list, merge_key: str, item_schema: dict | None) -> list:
    merged = list(original)
    positions = Positions(merged, merge_key)
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
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
        in_patch, server_only = _partition(merged or [], order, meta.merge_key)
        server_order = current or []
        if current and wanted and meta.strategy == "merge" and meta.merge_key and element_kind(current) is dict:
            server_order = live_list_after_merge(current, wanted, meta.merge_key)
        original[name] = _normalized_order(in_patch, server_only, order, server_order, meta.merge_key)


def _live_list_after_merge(live: list, patch: list, merge_key: str) -> list:
    """The live list as upstream's ordering step reads it: by then the merge has written into it.

    mergeSlice works on the live list's own Go array. Each `$patch: delete` element is taken out with
    `append(s[:k], s[k+1:]...)`, which shifts the rest left in place and leaves the last slot as it was;
    each new element is then appended into the freed slots, still inside the live list's length. So when
    kubectl apply deletes one env entry and adds another, the live order used to interleave the two parts
    already names the new entry (`kubectl patch --local` shows the same)."""
    array = list(live)
    length = len(array)
    for item in patch:
        if item.get(DIRECTIVE) == "delete":
            while (k := _go_find(array[:length], merge_key, item[merge_key])) >= 0:
                array[k : length - 1] = array[k + 1 : length]
                length -= 1
    if any(item.get(DIRECTIVE) == "replace" for item in patch):
        return array  # the patch's elements replace the list: nothing is appended to the live array
    for item in patch:
        if DIRECTIVE in item or _go_find(array[:length], merge_key, item[merge_key]) >= 0:
            continue
        if length == len(array):
            break  # out of the live list's length: what follows is written elsewhere
        array[length] = item
        length += 1
    return array


def _go_find(items: list, merge_key: str, value: object) -> int:
    """findMapInSliceBasedOnKeyValue: the first element whose merge key is present and equal."""
    wanted = _scalar(value)
    for index, item in enumerate(items):
        if merge_key in item and _scalar(item[merge_key]) == wanted:
            return index
    return -1


def live_list_after_merge(live: list, patch: list, merge_key: str) -> list:
    """`_live_list_after_merge`'s answer without its scans (one per deleted or new element: quadratic in a
    patch of thousands): the kept elements keep their order, and each freed slot holds what was last in the
    list when it was freed, until new elements fill the slots in patch order."""
    try:
        return _live_list_after_merge_by_key(live, patch, merge_key)
    except TypeError:  # a map or list as a merge key's value: the plain walk compares them
        return _live_list_after_merge(live, patch, merge_key)


def _live_list_after_merge_by_key(live: list, patch: list, merge_key: str) -> list:
    positions: dict[tuple[bool, object], deque[int]] = {}
    for index, item in enumerate(live):
        if merge_key in item:
            positions.setdefault(_scalar(item[merge_key]), deque()).append(index)
    deleted = [False] * len(live)
    slots: dict[int, object] = {}  # a freed slot → what the shift left in it
    length, last = len(live), len(live) - 1
    for item in patch:
        if item.get(DIRECTIVE) != "delete":
            continue
        matches = positions.get(_scalar(item[merge_key]))
        while matches:
            while deleted[last]:
                last -= 1
            length -= 1
            slots[length] = live[last]
            deleted[matches.popleft()] = True
    array = [item for index, item in enumerate(live) if not deleted[index]]
    array += [slots[slot] for slot in range(length, len(live))]
    if any(item.get(DIRECTIVE) == "replace" for item in patch):
        return array
    present = {key for key, matches in positions.items() if matches}
    for item in patch:
        key = _scalar(item[merge_key])
        if DIRECTIVE in item or key in present:
            continue
        if length == len(array):
            break
        array[length] = item
        length += 1
        present.add(key)
    return array


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
        if _same_key(items[i], order[j], merge_key):
            i += 1
        j += 1
    if i < len(items):
        raise PatchRejected(
            f"The order in patch list:\n{go_format(patch)}\n doesn't match $setElementOrder list:\n{go_format(order)}\n"
        )


# -- order: the patch's order first, the live list's for what only the server has
def _partition(merged: list, by: list, merge_key: str) -> tuple[list, list]:
    in_patch: list = []
    server_only: list = []
    positions = Positions(by, merge_key)
    for item in merged:
        if merge_key and (not isinstance(item, dict) or merge_key not in item):
            raise _no_merge_key(item, merge_key)
        (in_patch if positions.index_of(item) >= 0 else server_only).append(item)
    return in_patch, server_only


def _normalized_order(in_patch: list, server_only: list, patch_order: list, server_order: list, merge_key: str) -> list:
    """upstream's normalizeElementOrder: sort each part by its own order, then interleave them."""
    server = Positions(server_order, merge_key)
    left = _sorted_by(server_only, server)
    right = _sorted_by(in_patch, Positions(patch_order, merge_key))
    result: list = []
    i = j = 0
    while i < len(left) or j < len(right):
        if j >= len(right) or (i < len(left) and _before(left[i], right[j], server)):
            result.append(left[i])
            i += 1
        else:
            result.append(right[j])
            j += 1
    return result


def _before(left: object, right: object, server: Positions) -> bool:
    li, ri = server.index_of(left), server.index_of(right)
    return li >= 0 and ri >= 0 and li < ri


def _sorted_by(items: list, order: Positions) -> list:
    merge_key = order.merge_key
    keep: list = []
    doomed: list = []
    for item in items:
        deleting = merge_key and isinstance(item, dict) and item.get(DIRECTIVE) == "delete"
        (doomed if deleting else keep).append(item)

    def position(item: object) -> int:
        index = order.index_of(item)
        return index if index >= 0 else len(order.items)

    return sorted(keep, key=position) + doomed


# -- comparisons with Go's interface equality ------------------------------
def _scalar(value: object) -> tuple[bool, object]:
    return (isinstance(value, bool), value)


def _deduplicated(items: list) -> list:
    seen: set = set()
    unique = []
    for item in items:
        if _scalar(item) not in seen:
            seen.add(_scalar(item))
            unique.append(item)
    return unique


def _has_key_value(item: object, merge_key: str, value: object) -> bool:
    if not isinstance(item, dict):
        raise PatchRejected("value for key is not a map.")
    return merge_key in item and _scalar(item[merge_key]) == _scalar(value)


def _same_key(left: object, right: object, merge_key: str) -> bool:
    if not merge_key:
        return _scalar(left) == _scalar(right)
    for side in (left, right):
        if not isinstance(side, dict):
            raise PatchRejected(f"expected a map[string]interface {{}}, but received a {go_type(side)}")
        if merge_key not in side:
            raise _no_merge_key(side, merge_key)
    assert isinstance(left, dict) and isinstance(right, dict)  # checked above
    return _scalar(left[merge_key]) == _scalar(right[merge_key])


def _index_of(items: list, wanted: object, merge_key: str) -> int:
    if merge_key:
        value = _scalar(wanted.get(merge_key)) if isinstance(wanted, dict) else _scalar(None)
        for index, item in enumerate(items):
            if isinstance(item, dict) and _scalar(item.get(merge_key)) == value:
                return index
        return -1
    target = _scalar(wanted)
    for index, item in enumerate(items):
        if not isinstance(item, (dict, list)) and _scalar(item) == target:
            return index
    return -1


_MISSING = object()


def _hashable_scalar(value: object) -> object:
    """_scalar(value) where it can be hashed, else a key nothing in a set equals."""
    try:
        hash(value)
    except TypeError:
        return _MISSING
    return _scalar(value)


class Positions:
    """Where each element of a list first appears, by its merge key (by its value in a list of scalars):
    `_index_of`'s answer without scanning the list. The merge asks it once for every element of the patch,
    and a scan each time made a patch of 8,000 env entries against as many take a minute (the whole
    request body may hold a hundred thousand). A key that cannot be hashed (a map as a merge key's value)
    or an element whose key changed sends every question back to the scan."""

    def __init__(self, items: list, merge_key: str) -> None:
        self.items, self.merge_key = items, merge_key
        self.first: dict | None = {}
        for index in range(len(items)):
            self._note(index)

    def _key_of(self, item: object, wanted: bool) -> tuple[bool, object] | None:
        """What `_index_of` compares: None for an element it never matches."""
        if self.merge_key:
            if isinstance(item, dict):
                return _scalar(item.get(self.merge_key))
            return _scalar(None) if wanted else None
        if isinstance(item, (dict, list)) and not wanted:
            return None
        return _scalar(item)

    def _note(self, index: int) -> None:
        if self.first is None:
            return
        key = self._key_of(self.items[index], wanted=False)
        if key is None:
            return
        try:
            self.first.setdefault(key, index)
        except TypeError:
            self.first = None

    def appended(self) -> None:
        self._note(len(self.items) - 1)

    def replaced(self, index: int) -> None:
        """The element at `index` was merged: still findable there only if its key is the same."""
        if self.first is None:
            return
        key = self._key_of(self.items[index], wanted=False)
        try:
            if key is None or self.first.get(key) != index:
                self.first = None
        except TypeError:
            self.first = None

    def index_of(self, wanted: object) -> int:
        if self.first is not None:
            try:
                return self.first.get(self._key_of(wanted, wanted=True), -1)
            except TypeError:
                pass
        return _index_of(self.items, wanted, self.merge_key)


def _no_merge_key(item: object, merge_key: str) -> PatchRejected:
    return PatchRejected(f"map: {go_format(item)} does not contain declared merge key: {merge_key}")


# -- Go's %v, for upstream's messages ---------------------------------------
def go_format(value: object) -> str:
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_format(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def go_type(value: object) -> str:
    names = {
        dict: "map[string]interface {}",
        list: "[]interface {}",
        str: "string",
        bool: "bool",
        int: "int64",
        float: "float64",
    }
    return names.get(type(value), "<nil>")
