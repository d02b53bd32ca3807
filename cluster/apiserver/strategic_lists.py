"""Strategic merge patch's lists: finding an element as Go compares it, and the order a merged list takes.

strategicpatch finds a list element by its merge key (or, in a list of scalars, by its value) with Go's
interface equality (`scalar`: true is not 1); `Positions` answers the same as the plain scan `_index_of`
from a dict of first places, as the merge asks once per element of the patch (a scan each time was
quadratic: 8,000 env entries took a minute). A merged list takes the patch's order for what the patch
names and the live list's for the rest (normalizeElementOrder), where upstream reads the live list as its
own merge left it (`live_list_after_merge`, with the plain walk `_live_list_after_merge` beside it).
Refusals are PatchRejected, with upstream's words (`go_format` is Go's %v of a decoded value).
"""

from __future__ import annotations

from collections import deque

from cluster.apiserver.errors import StatusError

DIRECTIVE = "$patch"


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


# -- the live list as upstream's merge left it ------------------------------
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
    wanted = scalar(value)
    for index, item in enumerate(items):
        if merge_key in item and scalar(item[merge_key]) == wanted:
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
            positions.setdefault(scalar(item[merge_key]), deque()).append(index)
    deleted = [False] * len(live)
    slots: dict[int, object] = {}  # a freed slot → what the shift left in it
    length, last = len(live), len(live) - 1
    for item in patch:
        if item.get(DIRECTIVE) != "delete":
            continue
        matches = positions.get(scalar(item[merge_key]))
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
        key = scalar(item[merge_key])
        if DIRECTIVE in item or key in present:
            continue
        if length == len(array):
            break
        array[length] = item
        length += 1
        present.add(key)
    return array


# -- `$patch: delete` elements, taken out by merge key -----------------------
def without_keys(original: list, merge_key: str, doomed: list) -> list:
    """The elements whose merge key is none of `doomed` (upstream deletes them one directive at a time)."""
    try:
        gone = {scalar(value) for value in doomed}
    except TypeError:  # a map or list as a merge key's value: compare one by one
        for value in doomed:
            original = [o for o in original if not has_key_value(o, merge_key, value)]
        return original
    kept = []
    for item in original:
        if not isinstance(item, dict):
            raise PatchRejected("value for key is not a map.")
        key = item.get(merge_key, MISSING)
        if key is MISSING or hashable_scalar(key) not in gone:
            kept.append(item)
    return kept


# -- order: the patch's order first, the live list's for what only the server has
def partition(merged: list, by: list, merge_key: str) -> tuple[list, list]:
    in_patch: list = []
    server_only: list = []
    positions = Positions(by, merge_key)
    for item in merged:
        if merge_key and (not isinstance(item, dict) or merge_key not in item):
            raise no_merge_key(item, merge_key)
        (in_patch if positions.index_of(item) >= 0 else server_only).append(item)
    return in_patch, server_only


def normalized_order(in_patch: list, server_only: list, patch_order: list, server_order: list, merge_key: str) -> list:
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
def scalar(value: object) -> tuple[bool, object]:
    return (isinstance(value, bool), value)


def deduplicated(items: list) -> list:
    seen: set = set()
    unique = []
    for item in items:
        if scalar(item) not in seen:
            seen.add(scalar(item))
            unique.append(item)
    return unique


def has_key_value(item: object, merge_key: str, value: object) -> bool:
    if not isinstance(item, dict):
        raise PatchRejected("value for key is not a map.")
    return merge_key in item and scalar(item[merge_key]) == scalar(value)


def same_key(left: object, right: object, merge_key: str) -> bool:
    if not merge_key:
        return scalar(left) == scalar(right)
    for side in (left, right):
        if not isinstance(side, dict):
            raise PatchRejected(f"expected a map[string]interface {{}}, but received a {go_type(side)}")
        if merge_key not in side:
            raise no_merge_key(side, merge_key)
    assert isinstance(left, dict) and isinstance(right, dict)  # checked above
    return scalar(left[merge_key]) == scalar(right[merge_key])


def _index_of(items: list, wanted: object, merge_key: str) -> int:
    if merge_key:
        value = scalar(wanted.get(merge_key)) if isinstance(wanted, dict) else scalar(None)
        for index, item in enumerate(items):
            if isinstance(item, dict) and scalar(item.get(merge_key)) == value:
                return index
        return -1
    target = scalar(wanted)
    for index, item in enumerate(items):
        if not isinstance(item, (dict, list)) and scalar(item) == target:
            return index
    return -1


MISSING = object()


def hashable_scalar(value: object) -> object:
    """scalar(value) where it can be hashed, else a key nothing in a set equals."""
    try:
        hash(value)
    except TypeError:
        return MISSING
    return scalar(value)


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
                return scalar(item.get(self.merge_key))
            return scalar(None) if wanted else None
        if isinstance(item, (dict, list)) and not wanted:
            return None
        return scalar(item)

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


def no_merge_key(item: object, merge_key: str) -> PatchRejected:
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
