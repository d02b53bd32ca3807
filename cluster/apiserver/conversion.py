"""Conversion between the versions that share one etcd prefix.

kube-apiserver stores an Event once and serves it both as core/v1 and as
events.k8s.io/v1, renaming fields on the way (involvedObject ↔ regarding,
message ↔ note, the old timestamps and count under deprecated* names). The
stored form here is core/v1's.
"""
from __future__ import annotations

from cluster.apiserver.resources import ResourceType

# core/v1 field → events.k8s.io/v1 field
_EVENT_FIELDS = (
    ("involvedObject", "regarding"), ("message", "note"), ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"), ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"), ("reportingComponent", "reportingController"),
)
_SAME = ("metadata", "reason", "type", "action", "related", "series", "eventTime", "reportingInstance")


def is_events_v1(rt: ResourceType) -> bool:
    return rt.group == "events.k8s.io"


def from_storage(rt: ResourceType, obj: dict) -> dict:
    """The stored (core/v1) object in the served version of `rt`."""
    if not is_events_v1(rt):
        return obj
    served = {key: obj[key] for key in _SAME if key in obj}
    for core, new in _EVENT_FIELDS:
        if obj.get(core) not in (None, ""):
            served[new] = obj[core]
    return served


def to_storage(rt: ResourceType, obj: dict) -> dict:
    """An object of the served version of `rt` in its stored (core/v1) form."""
    if not is_events_v1(rt):
        return obj
    stored = {key: obj[key] for key in _SAME if key in obj}
    for core, new in _EVENT_FIELDS:
        if obj.get(new) not in (None, ""):
            stored[core] = obj[new]
    return stored
