"""The event recorder (client-go's tools/record): core/v1 Events about objects.

Named `<object name>.<hex>` as upstream names them; a repeat of the same
reason and message on the same object bumps `count` and `lastTimestamp`
instead of writing a new Event, as the recorder's correlator does. Like the
correlator, each client remembers the Events it wrote (an LRU cache), so a new
Event is created straight away and only a known one is read and bumped.
"""
from __future__ import annotations

import hashlib

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer

NORMAL = "Normal"
WARNING = "Warning"
RECORDED_CACHE_SIZE = 4096  # maxLruCacheEntries


def record(api: APIServer, involved: dict, type_: str, reason: str, message: str, component: str,
           host: str = "", field_path: str = "") -> dict:
    """Create or bump the Event for (object, reason, message) and return it."""
    meta = involved.get("metadata", {})
    namespace = meta.get("namespace") or "default"
    now = clock.rfc3339(api.now())
    ref = {"kind": involved.get("kind"), "namespace": meta.get("namespace"), "name": meta.get("name"),
           "uid": meta.get("uid"), "apiVersion": involved.get("apiVersion"),
           "resourceVersion": meta.get("resourceVersion")}
    if field_path:
        ref["fieldPath"] = field_path
    ref = {k: v for k, v in ref.items() if v}
    name = f"{meta.get('name')}.{_suffix(meta.get('uid', ''), reason, message, field_path)}"

    def bump(event: dict) -> dict:
        event["count"] = event.get("count", 1) + 1
        event["lastTimestamp"] = now
        return event

    seen = _recorded(api)
    if (namespace, name) in seen:
        try:
            return api.update_with("events", namespace, name, bump)
        except StatusError as err:
            if err.code != 404:
                raise
    source = {"component": component}
    if host:
        source["host"] = host
    try:
        event = api.create("events", namespace, {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref, "reason": reason, "message": message, "source": source,
            "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": type_,
            "eventTime": None, "reportingComponent": component, "reportingInstance": host,
        })
    except StatusError as err:
        if err.code != 409:
            raise
        event = api.update_with("events", namespace, name, bump)  # recorded before this recorder started
    seen[(namespace, name)] = None
    if len(seen) > RECORDED_CACHE_SIZE:
        del seen[next(iter(seen))]
    return event


def _recorded(api: APIServer) -> dict[tuple[str, str], None]:
    """The Events this client has written, oldest first (the correlator's LRU cache)."""
    seen = getattr(api, "_recorded_events", None)
    if seen is None:
        seen = api._recorded_events = {}  # type: ignore[attr-defined]
    return seen


def _suffix(uid: str, reason: str, message: str, field_path: str) -> str:
    # Upstream appends the creation time in hex nanoseconds; a digest of the
    # correlation key is as long, deterministic under a seed, and lets a repeat
    # find the Event to bump without a lookup table.
    return hashlib.sha256(f"{uid}|{reason}|{message}|{field_path}".encode()).hexdigest()[:16]
