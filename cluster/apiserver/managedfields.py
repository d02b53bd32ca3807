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

This module keeps the managedFields list: decoding and encoding its entries, an Update's effect on
them (`record`, which the API server's write path calls, over `record_update`) and an Apply
(`apply`, with its conflicts). What it builds on: the sets and their algebra
(cluster/apiserver/fieldsets.py), the schema's shapes (fieldschema.py) and what a value sets, what an
update changed and the merge of an applied configuration (fieldvalues.py).

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
from typing import TYPE_CHECKING

from django.conf import settings

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.fieldschema import Field, root_for
from cluster.apiserver.fieldsets import MEMBER, Tree, build, difference, intersection, path_string, paths, union
from cluster.apiserver.fieldvalues import compare, field_set, merge, remove_unowned
from cluster.jsoncopy import deep_copy

if TYPE_CHECKING:
    from cluster.apiserver.resources import ResourceType
    from cluster.apiserver.server import APIServer

APPLY, UPDATE = "Apply", "Update"
# stripmeta.go: never part of any manager's set.
STRIPPED_META = frozenset(
    (
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    )
)


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
            out.append(
                Entry(
                    str(raw.get("manager") or ""),
                    str(raw.get("operation") or UPDATE),
                    str(raw.get("apiVersion") or ""),
                    raw.get("time"),
                    fields,
                    str(raw.get("subresource") or ""),
                )
            )
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
    return build(MEMBER in tree, rest)


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
    "Deployment": ("template", "strategy"),
    "ReplicaSet": ("template",),
    "StatefulSet": ("template", "updateStrategy"),
    "DaemonSet": ("template", "updateStrategy"),
    "Job": ("template",),
    "ReplicationController": (),
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


def record_update(
    entries: list[Entry], old: dict, new: dict, field: Field, manager: str, api_version: str, subresource: str, now: str
) -> list[Entry]:
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
            out.append(
                entry
                if rest is entry.fields
                else Entry(entry.manager, entry.operation, entry.api_version, entry.time, rest, entry.subresource)
            )
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


def apply(
    live: dict,
    config: dict,
    field: Field,
    entries: list[Entry],
    manager: str,
    api_version: str,
    subresource: str,
    has_status: bool,
    force: bool,
    now: str,
) -> Applied:
    """Updater.Apply: merge, prune what this manager stopped applying, check conflicts, take ownership."""
    applied_set = strip_meta(field_set(comparable(config, subresource, has_status), field)) or {}
    merged = merge(live, config, field)
    assert isinstance(merged, dict)
    last = next(
        (e for e in entries if e.manager == manager and e.operation == APPLY and e.subresource == subresource), None
    )
    others = [e for e in entries if e is not last]
    if last is not None and last.fields:
        stale = difference(last.fields, applied_set)
        if stale:
            kept: Tree | None = applied_set
            for entry in others:
                kept = union(kept, entry.fields)
            merged = deep_copy(merged)  # merge shares untouched subtrees with `live`, which compare still reads
            remove_unowned(merged, stale, kept, field)
    changed, removed = compare(
        comparable(live, subresource, has_status), comparable(merged, subresource, has_status), field
    )
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
    causes = [
        {"reason": "FieldManagerConflict", "message": f"conflict with {describe(e)}", "field": path_string(p)}
        for e, found in conflicts
        for p in found
    ]
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
        text += f" with subresource {json.dumps(entry.subresource)}"
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


def record(
    api: APIServer, rt: ResourceType, old: dict | None, new: dict, provided: object, manager: str, subresource: str
) -> None:
    """managedFields after an Update-operation write: the request's own when it sends some (and writes
    the main resource), else the live object's, with what this write changed given to `manager`.

    The reconciler's components (clients lent the driver's journal) record nothing unless
    KUBECLASS_COMPONENT_MANAGED_FIELDS is on: the sets cost a fifth more CPU in bench/reconcile.py
    (see the module's docstring). Their writes keep the live entries as they are."""
    meta = new["metadata"]
    if api.hooks.journal is not None and not settings.KUBECLASS_COMPONENT_MANAGED_FIELDS:
        live = (old or {}).get("metadata", {}).get("managedFields")
        if live:
            meta["managedFields"] = live
        else:
            meta.pop("managedFields", None)
        return
    entries = decode(provided) if provided and not subresource else None
    if entries is None:
        entries = decode((old or {}).get("metadata", {}).get("managedFields")) or []
    has_status = "status" in rt.subresources
    after = comparable(new, subresource, has_status)
    before = comparable(old, subresource, has_status) if old is not None else zero_object(rt.kind, after)
    entries = record_update(
        entries,
        before,
        after,
        root_for(rt),
        manager or api.field_manager,
        rt.api_version,
        subresource,
        clock.rfc3339(api.now()),
    )
    encoded = encode(entries)
    if encoded:
        meta["managedFields"] = encoded
    else:
        meta.pop("managedFields", None)
