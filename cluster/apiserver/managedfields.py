"""metadata.managedFields and server-side apply, as kube-apiserver's field manager keeps them.

Every write records who set which fields (k8s.io/apimachinery/pkg/util/managedfields and
sigs.k8s.io/structured-merge-diff): one entry per manager, operation (`Update` for create,
update and non-apply patches, `Apply` for server-side apply), apiVersion (Update only) and
subresource, with the set of fields in the FieldsV1 encoding: `f:<field>` for a field,
`k:{"name":"nginx"}` for an element of a list-map (by its `x-kubernetes-list-map-keys`, or the
strategic merge key cluster/apiserver/strategic.py looks up), `v:"x"` for a member of a set
list, and `.` for a node that is owned itself as well as having owned children.

An Update takes the fields it changed (added or modified) from everyone else and adds them to
its manager's set; fields it removed leave every set. An Apply merges the applied configuration
into the live object, removes the fields its manager applied last time and no longer applies
(when no other manager owns them), and refuses with 409 when it would change a field another
manager owns, unless forced, which takes the field over.

Who records: every client of the API server (kubectl and any HTTP client, `manage.py kubectl`,
the page's terminal, lessons, and in-process components run outside the reconciler, whose
manager is their binary's name: kube-controller-manager, kube-scheduler, kubelet). The
reconciler's own components — the clients the driver lends its journal — record nothing by
default, because the sets made bench/reconcile.py (100 nodes x 1000 replicas) about a fifth
slower in CPU, and more in wall time from the bigger etcd values; their writes leave the live
entries as they are, so fields they set are owned by nobody. KUBECLASS_COMPONENT_MANAGED_FIELDS
= True records theirs too (the kube-controller-manager and kubelet entries a real cluster shows).
So here, unlike upstream, an apply never conflicts with a controller of the reconciler.

The trees are kept in FieldsV1 form throughout (a leaf is `{}`, an owned node with children
has `.`), so reading and writing managedFields costs no conversion, and no set operation
modifies its arguments. Comparison skips equal subtrees with one dict comparison, and a new
subtree is walked once (`added`), so a write costs about its changed part.

Simplified: no conversion of sets between API versions (each entry keeps the version it was
written in; an Update entry names the storage version, an Apply the version applied); no apply
to the scale subresource (405); no `before-first-apply` / last-applied-configuration upgrade managers and no cap
of ten Update managers; lists without a list type in the schema are atomic; apply merges
list-map elements in live order, new ones appended; mutating admission runs before the field
manager here, so fields admission adds are owned by the writer; on create the "zero object"
that decides which maps get their own `.` is a small table of Go value structs (metadata,
spec, status, pod templates, strategies), not the Go types themselves.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import orjson

from cluster.apiserver import schemas, strategic
from cluster.apiserver.errors import StatusError
from cluster.jsoncopy import deep_copy

APPLY, UPDATE = "Apply", "Update"
MEMBER = "."
# stripmeta.go: never part of any manager's set.
STRIPPED_META = frozenset(("name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation",
                           "managedFields", "resourceVersion"))
# Key fields with a schema default (+default="TCP" on the ports' protocol), as SMD fills them in.
KEY_DEFAULTS = {"protocol": "TCP"}

Tree = dict  # FieldsV1: "f:…"/"k:…"/"v:…"/"i:…" → subtree; "." marks an owned node with children; {} an owned leaf
_MISSING = object()


# -- the schema: how each field is merged and keyed ------------------------------------------
class Field:
    """One field's schema as the field manager needs it; its children are looked up once and kept."""

    __slots__ = ("schema", "shape", "keys", "item", "declared", "children")

    def __init__(self, schema: dict | None, shape: str, keys: tuple[str, ...] = (), item: dict | None = None,
                 declared: bool = False) -> None:
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
        value = item.get(name, KEY_DEFAULTS.get(name, _MISSING)) if isinstance(item, dict) else _MISSING
        if value is not _MISSING:
            values[name] = value
    if not values:
        return None
    return "k:" + orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode()


def value_key(value: object) -> str:
    return "v:" + orjson.dumps(value).decode()


def _keyed(items: list, keys: tuple[str, ...]) -> dict[str, dict] | None:
    """A list-map's elements by key, or None when one lacks its key or two share one (then: atomic)."""
    out: dict[str, dict] = {}
    for item in items:
        key = element_key(item, keys)
        if key is None or key in out:
            return None
        out[key] = item
    return out


# -- set algebra on FieldsV1 trees --------------------------------------------------------------
def _member(node: Tree) -> bool:
    return not node or MEMBER in node


def _build(member: bool, children: dict) -> Tree | None:
    if not children:
        return {} if member else None
    # sorted as SMD serializes a set (and so the stored JSON is the same on every run); "." first.
    # Plain string order is PathElement order for the f:, k: and v: elements we make (i: never).
    ordered: Tree = {MEMBER: {}} if member else {}
    if len(children) == 1:
        ordered.update(children)
    else:
        for key in sorted(children):
            ordered[key] = children[key]
    return ordered


def union(a: Tree | None, b: Tree | None) -> Tree | None:
    if a is None:
        return b
    if b is None:
        return a
    kids = dict(_kids(a))
    for key, sub in _kids(b):
        kids[key] = union(kids[key], sub) if key in kids else sub
    return _build(_member(a) or _member(b), kids)


def difference(a: Tree | None, b: Tree | None) -> Tree | None:
    if a is None or b is None:
        return a
    kids = {}
    b_kids = b if b else {}
    for key, sub in _kids(a):
        rest = difference(sub, b_kids[key]) if key in b_kids else sub
        if rest is not None:
            kids[key] = rest
    return _build(_member(a) and not _member(b), kids)


def intersection(a: Tree | None, b: Tree | None) -> Tree | None:
    if a is None or b is None:
        return None
    kids = {}
    for key, sub in _kids(a):
        if key in b and key != MEMBER:
            both = intersection(sub, b[key])
            if both is not None:
                kids[key] = both
    return _build(_member(a) and _member(b), kids)


def _kids(node: Tree):
    return ((k, v) for k, v in node.items() if k != MEMBER)


def _order(key: str) -> tuple[int, str]:
    return ("fkvi".find(key[0]), key)  # fieldpath.PathElement.Compare: fields, keys, values, indexes


def paths(tree: Tree | None, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The owned paths in Set.Iterate's order: a level's members, then each child's."""
    if not tree:
        return []
    keys = sorted((k for k in tree if k != MEMBER), key=_order)
    out = [prefix + (k,) for k in keys if _member(tree[k])]
    for key in keys:
        if any(k != MEMBER for k in tree[key]):
            out += paths(tree[key], prefix + (key,))
    return out


def path_string(path: tuple[str, ...]) -> str:
    """fieldpath.Path.String(): `.spec.template.spec.containers[name="nginx"].image`."""
    out = []
    for element in path:
        kind, text = element[0], element[2:]
        if kind == "f":
            out.append("." + text)
        elif kind == "k":
            fields = json.loads(text)
            out.append("[" + ",".join(f"{name}={_go_string(value)}" for name, value in fields.items()) + "]")
        elif kind == "v":
            out.append(f"[={_go_string(json.loads(text))}]")
        else:
            out.append(f"[{text}]")
    return "".join(out)


def _go_string(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


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
    return _build(False, kids)


def _value_set(value: object, field: Field) -> Tree | None:
    if isinstance(value, dict) and field.shape in ("struct", "map", "unknown"):
        return _map_set(value, field)
    if isinstance(value, list) and field.shape == "listmap":
        keyed = _keyed(value, field.keys)
        if keyed is not None:
            item = items_of(field)
            return _build(False, {key: union(_map_set(element, item), {}) for key, element in keyed.items()})
    if isinstance(value, list) and field.shape == "set":
        return _build(False, {value_key(v): {} for v in value})
    return {}


# -- Compare: what an update changed ------------------------------------------------------------
def compare(old: object, new: object, field: Field) -> tuple[Tree | None, Tree | None]:
    """(added or modified, removed) between two values, as typed.Compare reports them."""
    if old is _MISSING:
        return added(new, field), None
    if new is not _MISSING and old == new:
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
        return (_build(old is _MISSING, {k: {} for k in after - before}),
                _build(new is _MISSING, {k: {} for k in before - after}))
    if new is _MISSING:
        return None, {}
    return {}, None


def added(value: object, field: Field) -> Tree:
    """compare(absent, value) without the comparing: every path of a new subtree, each owned."""
    shape = field.shape
    if isinstance(value, dict) and shape in ("struct", "map", "unknown"):
        if not value:
            return {}
        return _build(True, {"f:" + k: added(v, child(field, k)) for k, v in value.items()})  # type: ignore[return-value]
    if isinstance(value, list) and shape == "listmap":
        keyed = _keyed(value, field.keys)
        if keyed is not None:
            item = items_of(field)
            return _build(True, {key: added(element, item) for key, element in keyed.items()})  # type: ignore[return-value]
    if isinstance(value, list) and shape == "set":
        return _build(True, {value_key(v): {} for v in value})  # type: ignore[return-value]
    return {}


def _is_map(value: object) -> bool:
    return value is _MISSING or value is None or isinstance(value, dict)


def _is_list(value: object) -> bool:
    return value is _MISSING or value is None or isinstance(value, list)


def _compare_maps(old: object, new: object, field: Field) -> tuple[Tree | None, Tree | None]:
    left = old if isinstance(old, dict) else {}
    right = new if isinstance(new, dict) else {}
    if not left and not right:  # emptyPromoteToLeaf: keeps the empty/null distinction
        return (None, {}) if new is _MISSING else ({}, None)
    changed, removed = {}, {}
    for key, value in left.items():
        after = right.get(key, _MISSING)
        if after is not _MISSING and after == value:  # most of an object is unchanged: one C-level comparison
            continue
        c, r = compare(value, after, child(field, key))
        if c is not None:
            changed["f:" + key] = c
        if r is not None:
            removed["f:" + key] = r
    for key, value in right.items():
        if key not in left:
            changed["f:" + key] = added(value, child(field, key))
    return _build(old is _MISSING, changed), _build(new is _MISSING, removed)


def _compare_listmaps(old: object, new: object, field: Field) -> tuple[Tree | None, Tree | None] | None:
    before = _keyed(old if isinstance(old, list) else [], field.keys)
    after = _keyed(new if isinstance(new, list) else [], field.keys)
    if before is None or after is None:
        return None
    item = items_of(field)
    changed, removed = {}, {}
    for key, value in before.items():
        now = after.get(key, _MISSING)
        if now is not _MISSING and now == value:
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
    return _build(old is _MISSING, changed), _build(new is _MISSING, removed)


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
                out[key] = merge(live.get(key, _MISSING), value, child(field, key))
        return out
    if isinstance(config, list) and isinstance(live, list) and field.shape == "listmap":
        mine, theirs = _keyed(live, field.keys), _keyed(config, field.keys)
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


def remove_unowned(obj: dict | list, stale: Tree, kept: Tree | None, field: Field,
                   protected: tuple[str, ...] = ()) -> None:
    """Remove from `obj` (in place) each path of `stale` that `kept` (everyone's fields) has nothing under;
    a list-map element keeps its key fields while anything else of it is kept (as addBackOwnedItems)."""
    for key, node in list(_kids(stale)):
        rest = kept.get(key) if kept else None
        if _member(node) and rest is None and key[2:] not in protected:
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


# -- the managedFields list ---------------------------------------------------------------------
@dataclass
class Entry:
    manager: str
    operation: str
    api_version: str
    time: str | None
    fields: Tree | None
    subresource: str = ""

    @property
    def ident(self) -> tuple[str, str, str, str]:
        # BuildManagerIdentifier: appliers are one manager whatever version they apply in
        return self.manager, self.operation, self.subresource, "" if self.operation == APPLY else self.api_version

    def encoded(self) -> dict:
        out: dict[str, object] = {"manager": self.manager, "operation": self.operation, "apiVersion": self.api_version}
        if self.time:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = self.fields
        if self.subresource:
            out["subresource"] = self.subresource
        return out


def decode(entries: object) -> list[Entry] | None:
    """The entries of metadata.managedFields, or None when they cannot be read (then the live ones count)."""
    if not isinstance(entries, list):
        return None
    out = []
    for raw in entries:
        if not isinstance(raw, dict):
            return None
        fields = raw.get("fieldsV1")
        if fields is not None and not isinstance(fields, dict):
            return None
        if fields:  # an entry without fields is dropped: `[{}]` is how a client resets managedFields
            out.append(Entry(str(raw.get("manager") or ""), str(raw.get("operation") or UPDATE),
                             str(raw.get("apiVersion") or ""), raw.get("time"), fields,
                             str(raw.get("subresource") or "")))
    return out


def encode(entries: list[Entry]) -> list[dict]:
    """sortEncodedManagedFields: Apply before Update, then by time, manager, apiVersion, subresource."""
    kept = [e for e in entries if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    return [e.encoded() for e in kept]


def strip_meta(tree: Tree | None) -> Tree | None:
    """stripmeta.go also strips `metadata` itself: a set never owns the metadata node."""
    if not tree or "f:metadata" not in tree:
        return tree
    meta = {k: v for k, v in tree["f:metadata"].items() if k != MEMBER}
    rest = {k: v for k, v in tree.items() if k not in ("f:metadata", MEMBER)}
    if meta:
        rest["f:metadata"] = meta
    return _build(MEMBER in tree, rest)


def comparable(obj: dict | None, subresource: str, has_status: bool) -> dict:
    """The object as the field manager sees it: no apiVersion, kind or stripped metadata, and only the
    half of the object the endpoint may write (the strategies' reset fields)."""
    if not obj:
        return {}
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    meta = out.get("metadata")
    if isinstance(meta, dict):
        out["metadata"] = {k: v for k, v in meta.items() if k not in STRIPPED_META}
    if has_status and subresource == "":
        out.pop("status", None)
    elif subresource == "status":  # a Go status struct is never absent: `status: {}` at the least
        out = {"status": out.get("status") or {}}
    return out


# Go value structs: present (empty) in the zero object a create is compared with, so they get no `.`.
_VALUE_STRUCTS = {
    "Deployment": ("template", "strategy"), "ReplicaSet": ("template",), "StatefulSet": ("template", "updateStrategy"),
    "DaemonSet": ("template", "updateStrategy"), "Job": ("template",), "ReplicationController": (),
}

# PodSpec.Containers has no omitempty: the zero object holds `containers: null`, so the list gets no `.`.
_ZERO_POD_SPEC = {"containers": None}


def zero_object(kind: str, new: dict) -> dict:
    zero: dict = {"metadata": {}}
    if "spec" in new:
        spec: dict = {}
        for name in _VALUE_STRUCTS.get(kind, ()):
            spec[name] = {"metadata": {}, "spec": _ZERO_POD_SPEC} if name == "template" else {}
        if kind == "CronJob":
            spec["jobTemplate"] = {"metadata": {}, "spec": {"template": {"metadata": {}, "spec": _ZERO_POD_SPEC}}}
        zero["spec"] = _ZERO_POD_SPEC if kind == "Pod" else spec
    if "status" in new:
        zero["status"] = {}
    return zero


def record_update(entries: list[Entry], old: dict, new: dict, field: Field, manager: str, api_version: str,
                  subresource: str, now: str) -> list[Entry]:
    """An Update's effect on the sets (managedFieldsUpdater.Update over Updater.Update with force)."""
    changed, removed = compare(old, new, field)
    if changed is None and removed is None:
        return entries
    changed = strip_meta(changed)
    mine = Entry(manager, UPDATE, api_version, now, None, subresource)
    out = []
    previous = None
    for entry in entries:
        rest = difference(difference(entry.fields, changed), removed)
        if entry.ident == mine.ident:
            previous = Entry(entry.manager, entry.operation, entry.api_version, entry.time, rest, entry.subresource)
            continue
        if rest:
            out.append(entry if rest is entry.fields else
                       Entry(entry.manager, entry.operation, entry.api_version, entry.time, rest, entry.subresource))
    if changed:
        mine.fields = union(changed, previous.fields if previous else None)
        out.append(mine)
    elif previous is not None and previous.fields:
        out.append(previous)
    return out


@dataclass
class Applied:
    obj: dict
    entries: list[Entry]


def apply(live: dict, config: dict, field: Field, entries: list[Entry], manager: str, api_version: str,
          subresource: str, has_status: bool, force: bool, now: str) -> Applied:
    """Updater.Apply: merge, prune what this manager stopped applying, check conflicts, take ownership."""
    applied_set = strip_meta(field_set(comparable(config, subresource, has_status), field)) or {}
    merged = merge(live, config, field)
    assert isinstance(merged, dict)
    last = next((e for e in entries if e.manager == manager and e.operation == APPLY
                 and e.subresource == subresource), None)
    others = [e for e in entries if e is not last]
    if last is not None and last.fields:
        stale = difference(last.fields, applied_set)
        if stale:
            kept: Tree | None = applied_set
            for entry in others:
                kept = union(kept, entry.fields)
            merged = deep_copy(merged)  # merge shares untouched subtrees with `live`, which compare still reads
            remove_unowned(merged, stale, kept, field)
    changed, removed = compare(comparable(live, subresource, has_status), comparable(merged, subresource, has_status),
                               field)
    conflicts = [(e, paths(intersection(e.fields, changed))) for e in others]
    conflicts = [(e, found) for e, found in conflicts if found]
    if conflicts and not force:
        raise conflict_error(conflicts)
    out = []
    for entry in others:
        rest = difference(difference(entry.fields, changed), removed)
        if rest:
            out.append(Entry(entry.manager, entry.operation, entry.api_version, entry.time, rest, entry.subresource))
    unchanged = changed is None and removed is None
    time = last.time if unchanged and last is not None else now  # the time moves only when the object does
    out.append(Entry(manager, APPLY, api_version, time, applied_set, subresource))
    return Applied(merged, out)


def conflict_error(conflicts: list[tuple[Entry, list[tuple[str, ...]]]]) -> StatusError:
    """internal.NewConflictError: one cause per field, the message as getConflictMessage words it."""
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {describe(e)}", "field": path_string(p)}
              for e, found in conflicts for p in found]
    if len(causes) == 1:
        message = f"Apply failed with 1 conflict: {causes[0]['message']}: {causes[0]['field']}"
    else:
        lines = []
        for entry, found in sorted(conflicts, key=lambda c: _identifier(c[0])):
            lines.append(f"conflicts with {describe(entry)}:")
            lines += [f"- {path_string(p)}" for p in found]
        message = f"Apply failed with {len(causes)} conflicts: " + "\n".join(lines)
    return StatusError(409, "Conflict", message, {"causes": causes})


def _identifier(entry: Entry) -> str:
    """The JSON manager identifier upstream sorts conflicting managers by."""
    body = {"manager": entry.manager, "operation": entry.operation}
    if entry.operation != APPLY:
        body["apiVersion"] = entry.api_version
    if entry.subresource:
        body["subresource"] = entry.subresource
    return json.dumps(body, separators=(",", ":"))


def describe(entry: Entry) -> str:
    """printManager: `"kubectl-client-side-apply" using apps/v1`, `"kubelet" with subresource "status" using v1`."""
    text = json.dumps(entry.manager, ensure_ascii=False)
    if entry.subresource:
        text += f' with subresource {json.dumps(entry.subresource)}'
    if entry.operation == UPDATE:
        text += f" using {entry.api_version}"
    return text


def manager_from_user_agent(agent: str) -> str:
    """prefixFromUserAgent: the User-Agent up to its first `/`, printable characters, at most 128 bytes."""
    out, size = [], 0
    for ch in agent.split("/")[0]:
        if not ch.isprintable():
            continue
        size += len(ch.encode())
        if size > 128:
            break
        out.append(ch)
    return "".join(out)


_roots: dict[str, Field] = {}


def root_for(rt) -> Field:  # noqa: ANN001 - a ResourceType
    found = _roots.get(rt.schema_name)
    if found is None:
        found = _roots[rt.schema_name] = root_field(strategic.root_schema(rt))
    return found
