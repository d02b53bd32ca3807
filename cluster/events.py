"""The event recorder (client-go tools/record: event.go and events_cache.go): core/v1 Events about objects.

makeEvent names an Event `<involved object name>.<hex of its timestamp in
nanoseconds>` (fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())), here on the
cluster's virtual clock, so an object's Events list in the order they happened
(`kubectl get events` sorts by name). Each recording client (a component, a
kubelet) runs an EventCorrelator over what it records before anything is
written, as recordToSink does:

1. EventAggregator: events alike but for the message (same source, object,
   type and reason) are counted by distinct message; from the 10th distinct
   one within 10 minutes of the previous, they are folded into one Event whose
   message reads "(combined from similar events): <latest message>".
2. eventLogger: an event already seen (same source, object, field path, type,
   reason and message) is not a new Event: the one first written is patched
   with count + 1, lastTimestamp and message.
3. EventSourceObjectSpamFilter: a token bucket per source and object, 25
   events of burst refilled at one per 5 minutes; an event without a token is
   dropped. The logger has counted it all the same, so the next write that
   passes carries the full count ("x47 over 12m" while the last write was
   minutes ago), as on a real cluster.

A repeat is a PATCH of count, lastTimestamp and message; if that Event is gone
it is created again under the same name. The correlator's caches (LRU, 4096
entries each) live with the client, so a restarted component, like a restarted
kubelet, starts new Events.

Simplified: a virtual clock that stands still (fast-forward, step mode) gives
many events the same nanosecond; names stay unique because each is stamped at
least 1 ns after the cluster's previous one, which moves the hex by a few units
and no timestamp a user sees.
"""

from __future__ import annotations

import datetime as dt
import logging
import struct
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TypeVar

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.patch import STRATEGIC_MERGE_PATCH
from cluster.apiserver.server import APIServer

log = logging.getLogger(__name__)  # a rejected Event is logged, as the broadcaster logs it
NORMAL = "Normal"
WARNING = "Warning"

MAX_LRU_CACHE_ENTRIES = 4096  # maxLruCacheEntries
AGGREGATE_MAX_EVENTS = 10  # defaultAggregateMaxEvents
AGGREGATE_INTERVAL = dt.timedelta(seconds=600)  # defaultAggregateIntervalInSeconds
SPAM_BURST = 25  # defaultSpamBurst
SPAM_QPS = struct.unpack("f", struct.pack("f", 1.0 / 300.0))[0]  # defaultSpamQPS, a float32
COMBINED_PREFIX = "(combined from similar events): "  # EventAggregatorByReasonMessageFunc
NAME_RETRIES = 8

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_last_stamp: dict[tuple[int, str], int] = {}  # (cluster pk, token) -> the last event timestamp given, in ns

V = TypeVar("V")


class LRU(OrderedDict[tuple, V]):
    """groupcache's lru.Cache: Get and Add make an entry the most recent; Add drops the oldest past the size."""

    def __init__(self, size: int = MAX_LRU_CACHE_ENTRIES) -> None:
        super().__init__()
        self.size = size

    def lookup(self, key: tuple) -> V | None:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def add(self, key: tuple, value: V) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


@dataclass
class AggregateRecord:
    """aggregateRecord: the distinct messages seen in the group, and when the group last saw one."""

    local_keys: dict[str, None] = field(default_factory=dict)  # a set that remembers its order (PopAny, seeded)
    last: dt.datetime | None = None


@dataclass
class EventLog:
    """eventLog: what the logger knows of an Event it wrote."""

    count: int
    first_timestamp: str
    name: str
    resource_version: str = ""


@dataclass
class TokenBucket:
    """flowcontrol's passive token bucket (golang.org/x/time/rate Limiter.AllowN): it starts full, refills at
    `qps` up to `burst`, and a refused call changes nothing."""

    tokens: float = SPAM_BURST
    last: dt.datetime | None = None

    def try_accept(self, now: dt.datetime, qps: float = SPAM_QPS, burst: int = SPAM_BURST) -> bool:
        tokens = self.tokens
        if self.last is not None and now > self.last:
            tokens = min(float(burst), tokens + (now - self.last).total_seconds() * qps)
        if tokens < 1.0:
            return False
        self.tokens, self.last = tokens - 1.0, now if self.last is None or now > self.last else self.last
        return True


def event_key(event: dict) -> tuple:
    """getEventKey: source, object (with field path), type, reason and message."""
    source, ref = event.get("source") or {}, event["involvedObject"]
    return (
        source.get("component", ""),
        source.get("host", ""),
        ref.get("kind", ""),
        ref.get("namespace", ""),
        ref.get("name", ""),
        ref.get("fieldPath", ""),
        ref.get("uid", ""),
        ref.get("apiVersion", ""),
        event.get("type", ""),
        event.get("reason", ""),
        event.get("message", ""),
    )


def spam_key(event: dict) -> tuple:
    """getSpamKey: source and object."""
    source, ref = event.get("source") or {}, event["involvedObject"]
    return (
        source.get("component", ""),
        source.get("host", ""),
        ref.get("kind", ""),
        ref.get("namespace", ""),
        ref.get("name", ""),
        ref.get("uid", ""),
        ref.get("apiVersion", ""),
    )


def aggregate_key(event: dict) -> tuple[tuple, str]:
    """EventAggregatorByReasonFunc: (source, object, type, reason, reporting controller and instance), message."""
    source, ref = event.get("source") or {}, event["involvedObject"]
    return (
        source.get("component", ""),
        source.get("host", ""),
        ref.get("kind", ""),
        ref.get("namespace", ""),
        ref.get("name", ""),
        ref.get("uid", ""),
        ref.get("apiVersion", ""),
        event.get("type", ""),
        event.get("reason", ""),
        event.get("reportingComponent", ""),
        event.get("reportingInstance", ""),
    ), event.get("message", "")


class EventCorrelator:
    """EventCorrelator (NewEventCorrelator's defaults): aggregate, then count, then filter spam."""

    def __init__(self) -> None:
        self.aggregates: LRU[AggregateRecord] = LRU()  # aggregate key -> AggregateRecord
        self.logs: LRU[EventLog] = LRU()  # event key (or aggregate key) -> EventLog
        self.spam: LRU[TokenBucket] = LRU()  # spam key -> TokenBucket

    def correlate(self, event: dict, now: dt.datetime, stamp: int) -> tuple[dict, bool, tuple] | None:
        """EventCorrelate: the event to write, whether it patches an existing one, and the key the logger keeps
        it under; None when the spam filter drops it."""
        event, key = self._aggregate(event, now, stamp)
        event, repeat = self._observe(event, key)
        if not self._accept(event, now):
            return None
        return event, repeat, key

    def _aggregate(self, event: dict, now: dt.datetime, stamp: int) -> tuple[dict, tuple]:
        """EventAggregate: the event itself and its own key, or from the 10th distinct message within the
        interval a combined event keyed by the group."""
        group, message = aggregate_key(event)
        record = self.aggregates.lookup(group)
        if record is None or record.last is None or now - record.last > AGGREGATE_INTERVAL:
            record = AggregateRecord()
        record.local_keys[message] = None
        record.last = now
        self.aggregates.add(group, record)
        if len(record.local_keys) < AGGREGATE_MAX_EVENTS:
            return event, event_key(event)
        del record.local_keys[next(iter(record.local_keys))]  # do not grow the set past the maximum
        stamped = clock.rfc3339(now)
        combined = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{event['involvedObject'].get('name')}.{stamp:x}",
                "namespace": event["metadata"]["namespace"],
            },
            "involvedObject": event["involvedObject"],
            "reason": event["reason"],
            "message": COMBINED_PREFIX + event.get("message", ""),
            "source": event["source"],
            "firstTimestamp": stamped,
            "lastTimestamp": stamped,
            "count": 1,
            "type": event["type"],
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        }
        return combined, group

    def _observe(self, event: dict, key: tuple) -> tuple[dict, bool]:
        """eventObserve: a repeat takes the first Event's name and firstTimestamp and the next count."""
        last = self.logs.lookup(key)
        if last is not None and last.count > 0:
            event = dict(
                event,
                metadata=dict(event["metadata"], name=last.name),
                count=last.count + 1,
                firstTimestamp=last.first_timestamp,
            )
            self.logs.add(
                key, EventLog(event["count"], event["firstTimestamp"], event["metadata"]["name"], last.resource_version)
            )
            return event, True
        self.logs.add(key, EventLog(event["count"], event["firstTimestamp"], event["metadata"]["name"], ""))
        return event, False

    def _accept(self, event: dict, now: dt.datetime) -> bool:
        """EventSourceObjectSpamFilter.Filter, inverted: whether the source may still write about the object."""
        key = spam_key(event)
        bucket = self.spam.lookup(key) or TokenBucket()
        accepted = bucket.try_accept(now)
        self.spam.add(key, bucket)
        return accepted

    def update_state(self, event: dict) -> None:
        """UpdateState: remember the Event as the server returned it."""
        meta = event["metadata"]
        self.logs.add(
            event_key(event),
            EventLog(
                event.get("count", 1), event.get("firstTimestamp", ""), meta["name"], meta.get("resourceVersion", "")
            ),
        )


def record(
    api: APIServer,
    involved: dict,
    type_: str,
    reason: str,
    message: str,
    component: str,
    host: str = "",
    field_path: str = "",
) -> dict | None:
    """Record an Event about `involved` from `component` (on `host`); the Event written, or None if the spam
    filter dropped it."""
    meta = involved.get("metadata", {})
    namespace = meta.get("namespace") or "default"
    now = api.now()
    stamp = _stamp(api, now)
    stamped = clock.rfc3339(now)
    ref = {
        "kind": involved.get("kind"),
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "apiVersion": involved.get("apiVersion"),
        "resourceVersion": meta.get("resourceVersion"),
    }
    if field_path:
        ref["fieldPath"] = field_path
    ref = {k: v for k, v in ref.items() if v}
    source = {"component": component}
    if host:
        source["host"] = host
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta.get('name')}.{stamp:x}", "namespace": namespace},
        "involvedObject": ref,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": stamped,
        "lastTimestamp": stamped,
        "count": 1,
        "type": type_,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host,
    }
    correlator = _correlator(api)
    result = correlator.correlate(event, now, stamp)
    if result is None:
        return None
    event, repeat, key = result
    written = _write(api, event, repeat)
    if written is not None:
        correlator.update_state(written)
        log = correlator.logs.get(key)
        if log is not None and log.name != written["metadata"]["name"]:  # created under the next nanosecond
            log.name = written["metadata"]["name"]
    return written


def _write(api: APIServer, event: dict, repeat: bool) -> dict | None:
    """recordEvent: PATCH a repeat (count, lastTimestamp, message); CREATE a new Event, or a repeat whose Event
    is gone. An Event the server refuses is given up (None), as upstream logs and drops it: recording never
    fails the component."""
    namespace, name = event["metadata"]["namespace"], event["metadata"]["name"]
    try:
        if repeat:
            try:
                return api.patch(
                    "events",
                    namespace,
                    name,
                    {"count": event["count"], "lastTimestamp": event["lastTimestamp"], "message": event["message"]},
                    STRATEGIC_MERGE_PATCH,
                )
            except StatusError as err:
                if err.code != 404:
                    raise
        for _ in range(NAME_RETRIES):
            try:
                return api.create("events", namespace, event)
            except StatusError as err:
                if err.code != 409 or repeat:
                    raise
            # An Event of the same nanosecond is stored (the virtual clock stood still across a restart): the next.
            base, _, stamp = name.rpartition(".")
            name = f"{base}.{_restamp(api, int(stamp, 16) + 1):x}"
            event = dict(event, metadata=dict(event["metadata"], name=name))
    except StatusError as err:
        log.info("Server rejected event %s/%s (will not retry!): %s", namespace, name, err.message)
    return None


def _stamp(api: APIServer, now: dt.datetime) -> int:
    """The event's time in Unix nanoseconds (metav1.Time.UnixNano), at least 1 ns after the cluster's last."""
    return _restamp(api, (now - _EPOCH) // dt.timedelta(microseconds=1) * 1000)


def _restamp(api: APIServer, nanos: int) -> int:
    key = (api.cluster.pk, api.cluster.token)
    last = _last_stamp.get(key, 0)
    if last - 1_000_000_000 < nanos <= last:  # the clock stood still (further behind: the cluster was reset)
        nanos = last + 1
    _last_stamp[key] = nanos
    return nanos


def _correlator(api: APIServer) -> EventCorrelator:
    """The recording client's correlator (one per EventBroadcaster: per component, per kubelet)."""
    correlator = api.event_correlator
    if correlator is None:
        correlator = api.event_correlator = EventCorrelator()
    return correlator
