"""Watch events: etcd's changes as the watchers of a resource are told them.

etcd reports a put or a delete of a key; a watcher of a resource hears ADDED (the key's first
version), MODIFIED or DELETED with the object as the API presents it and its resourceVersion,
only when the object passes the watch's label and field selectors (`watch_event`, the cacher's
filter). One stream over several resources (`fan_out`) is what a shared informer factory sees:
each change goes to every resource whose key prefix holds the key.

Simplified: a changed object that leaves a selector is dropped rather than sent as DELETED, and
an object that enters one arrives as MODIFIED; the watch cache is the database's history.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from cluster.apiserver import strategy
from cluster.apiserver.requestbody import resource_type
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.field_selectors import FieldSelector
from cluster.apiserver.selectors import LabelSelector
from cluster.store import WatchEvent as StoreEvent


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, as the watch API names them
    object: dict
    revision: int


def selected(obj: dict, labels: LabelSelector | None, fields: FieldSelector | None) -> bool:
    if labels and not labels.matches(obj.get("metadata", {}).get("labels")):
        return False
    return not fields or fields.matches(obj)


def watch_event(
    rt: ResourceType, raw: StoreEvent, labels: LabelSelector | None, fields: FieldSelector | None
) -> WatchEvent | None:
    obj = raw.kv.value
    obj.setdefault("metadata", {})["resourceVersion"] = str(raw.kv.mod_revision)
    obj = strategy.present(rt, obj)
    if raw.type == "DELETE":
        return WatchEvent("DELETED", obj, raw.kv.mod_revision) if selected(obj, labels, fields) else None
    if not selected(obj, labels, fields):
        return None
    return WatchEvent("ADDED" if raw.created else "MODIFIED", obj, raw.kv.mod_revision)


def fan_out(resources: list[str], raw: list[StoreEvent]) -> list[tuple[str, WatchEvent]]:
    """etcd's events as the watch events of each resource whose prefix holds the key."""
    wanted = [(name, resource_type(name)) for name in resources]
    out: list[tuple[str, WatchEvent]] = []
    for r in raw:
        matches = [(name, rt) for name, rt in wanted if r.kv.key.startswith(rt.etcd_prefix)]
        for index, (name, rt) in enumerate(matches):
            one = r if index == len(matches) - 1 else copy.deepcopy(r)
            if (ev := watch_event(rt, one, None, None)) is not None:
                out.append((name, ev))
    return out
