"""Values against their schema, as the field manager reads them (sigs.k8s.io/structured-merge-diff typed).

- ToFieldSet (`field_set`): the fields an applied configuration sets; empty and null values and the
  entries of a map are owned themselves.
- Compare (`compare`, `added`): the fields an update added or modified, and those it removed, between
  two versions of an object. Equal subtrees are skipped with one dict comparison and a new subtree is
  walked once, so a write costs about its changed part.
- Merge (`merge`): an applied configuration over the live object: maps by field, list-maps by key,
  sets by value, everything else the configuration's.
- Prune (`remove_unowned`): what an applier stopped applying and nobody else owns leaves the object.

Simplified: apply merges list-map elements in live order, new ones appended.
"""

from __future__ import annotations

from cluster.apiserver.fieldschema import MISSING, UNKNOWN, Field, child, element_key, by_key, items_of, value_key
from cluster.apiserver.fieldsets import MEMBER, Tree, build, children_of, is_member, union


# -- ToFieldSet: the fields an applied configuration sets --------------------------------------
def field_set(config: dict, field: Field) -> Tree | None:
    return _map_set(config, field)


def _map_set(obj: dict, field: Field) -> Tree | None:
    kids = {}
    for key, value in obj.items():
        sub = child(field, key)
        node = _value_set(value, sub)
        if value is None or value == {} or not sub.declared:  # visitMapItems: empty, null and map entries are owned
            node = union(node, {})
        if node is not None:
            kids["f:" + key] = node
    return build(False, kids)


def _value_set(value: object, field: Field) -> Tree | None:
    if isinstance(value, dict) and field.shape in ("struct", "map", "unknown"):
        return _map_set(value, field)
    if isinstance(value, list) and field.shape == "listmap":
        keyed = by_key(value, field.keys)
        if keyed is not None:
            item = items_of(field)
            return build(False, {key: union(_map_set(element, item), {}) for key, element in keyed.items()})
    if isinstance(value, list) and field.shape == "set":
        return build(False, {value_key(v): {} for v in value})
    return {}


# -- Compare: what an update changed ------------------------------------------------------------
def compare(old: object, new: object, field: Field) -> tuple[Tree | None, Tree | None]:
    """(added or modified, removed) between two values, as typed.Compare reports them."""
    if old is MISSING:
        return added(new, field), None
    if new is not MISSING and old == new:
        return None, None
    shape = field.shape
    if shape in ("struct", "map", "unknown") and _is_map(old) and _is_map(new):
        return _compare_maps(old, new, field)
    if shape == "listmap" and _is_list(old) and _is_list(new):
        done = _compare_listmaps(old, new, field)
        if done is not None:
            return done
    if shape == "set" and _is_list(old) and _is_list(new):
        before = {value_key(v) for v in (old if isinstance(old, list) else ())}
        after = {value_key(v) for v in (new if isinstance(new, list) else ())}
        return (
            build(old is MISSING, {k: {} for k in after - before}),
            build(new is MISSING, {k: {} for k in before - after}),
        )
    if new is MISSING:
        return None, {}
    return {}, None


def added(value: object, field: Field) -> Tree:
    """compare(absent, value) without the comparing: every path of a new subtree, each owned."""
    shape = field.shape
    if isinstance(value, dict) and shape in ("struct", "map", "unknown"):
        if not value:
            return {}
        return build(True, {"f:" + k: added(v, child(field, k)) for k, v in value.items()})  # type: ignore[return-value]
    if isinstance(value, list) and shape == "listmap":
        keyed = by_key(value, field.keys)
        if keyed is not None:
            item = items_of(field)
            return build(True, {key: added(element, item) for key, element in keyed.items()})  # type: ignore[return-value]
    if isinstance(value, list) and shape == "set":
        return build(True, {value_key(v): {} for v in value})  # type: ignore[return-value]
    return {}


def _is_map(value: object) -> bool:
    return value is MISSING or value is None or isinstance(value, dict)


def _is_list(value: object) -> bool:
    return value is MISSING or value is None or isinstance(value, list)


def _compare_maps(old: object, new: object, field: Field) -> tuple[Tree | None, Tree | None]:
    left = old if isinstance(old, dict) else {}
    right = new if isinstance(new, dict) else {}
    if not left and not right:  # emptyPromoteToLeaf: keeps the empty/null distinction
        return (None, {}) if new is MISSING else ({}, None)
    changed, removed = {}, {}
    for key, value in left.items():
        after = right.get(key, MISSING)
        if after is not MISSING and after == value:  # most of an object is unchanged: one C-level comparison
            continue
        c, r = compare(value, after, child(field, key))
        if c is not None:
            changed["f:" + key] = c
        if r is not None:
            removed["f:" + key] = r
    for key, value in right.items():
        if key not in left:
            changed["f:" + key] = added(value, child(field, key))
    return build(old is MISSING, changed), build(new is MISSING, removed)


def _compare_listmaps(old: object, new: object, field: Field) -> tuple[Tree | None, Tree | None] | None:
    before = by_key(old if isinstance(old, list) else [], field.keys)
    after = by_key(new if isinstance(new, list) else [], field.keys)
    if before is None or after is None:
        return None
    item = items_of(field)
    changed, removed = {}, {}
    for key, value in before.items():
        now = after.get(key, MISSING)
        if now is not MISSING and now == value:
            continue
        c, r = _compare_maps(value, now, item)
        if c is not None:
            changed[key] = c
        if r is not None:
            removed[key] = r
    for key, value in after.items():
        if key not in before:
            changed[key] = added(value, item)
    # a list that was absent (an omitempty field) is owned itself, as compare's Added.Insert of a non-leaf
    return build(old is MISSING, changed), build(new is MISSING, removed)


# -- Merge: an applied configuration over the live object ---------------------------------------
def merge(live: object, config: object, field: Field) -> object:
    """The live object with the configuration merged in (typed.Merge): maps by field, list-maps by key,
    sets by value; everything else the configuration's. `live` is shared, not copied: pass a private one."""
    if isinstance(config, dict) and isinstance(live, dict) and field.shape in ("struct", "map", "unknown"):
        out = dict(live)
        for key, value in config.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = merge(live.get(key, MISSING), value, child(field, key))
        return out
    if isinstance(config, list) and isinstance(live, list) and field.shape == "listmap":
        mine, theirs = by_key(live, field.keys), by_key(config, field.keys)
        if mine is not None and theirs is not None:
            item = items_of(field)
            merged = [merge(element, theirs[key], item) if key in theirs else element for key, element in mine.items()]
            return merged + [_clean(element) for key, element in theirs.items() if key not in mine]
    if isinstance(config, list) and isinstance(live, list) and field.shape == "set":
        return list(live) + [v for v in config if v not in live]
    return _clean(config)


def _clean(value: object) -> object:
    """A private copy without nulls (a null in an applied configuration sets nothing)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def remove_unowned(
    obj: dict | list, stale: Tree, kept: Tree | None, field: Field, protected: tuple[str, ...] = ()
) -> None:
    """Remove from `obj` (in place) each path of `stale` that `kept` (everyone's fields) has nothing under;
    a list-map element keeps its key fields while anything else of it is kept (as addBackOwnedItems)."""
    for key, node in list(children_of(stale)):
        rest = kept.get(key) if kept else None
        if is_member(node) and rest is None and key[2:] not in protected:
            _drop(obj, key, field)
        elif any(k != MEMBER for k in node):
            target, sub, keys = _descend(obj, key, field)
            if isinstance(target, (dict, list)):
                remove_unowned(target, node, rest, sub, keys)


def _descend(obj: object, key: str, field: Field) -> tuple[object, Field, tuple[str, ...]]:
    if key.startswith("f:") and isinstance(obj, dict):
        return obj.get(key[2:]), child(field, key[2:]), ()
    if key.startswith("k:") and isinstance(obj, list):
        item = items_of(field)
        for element in obj:
            if element_key(element, field.keys) == key:
                return element, item, field.keys
    return None, UNKNOWN, ()


def _drop(obj: dict | list, key: str, field: Field) -> None:
    if key.startswith("f:") and isinstance(obj, dict):
        obj.pop(key[2:], None)
    elif key.startswith("k:") and isinstance(obj, list):
        obj[:] = [e for e in obj if element_key(e, field.keys) != key]
    elif key.startswith("v:") and isinstance(obj, list):
        obj[:] = [v for v in obj if value_key(v) != key]
