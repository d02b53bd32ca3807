"""The step recorder: the API server's observer that buffers hops and stores them as StepEvent rows.

Every APIServer has a `Recorder` while step events are on (`enabled`). It turns
what the server observes — a request, an etcd write, a simulated connection —
into hops (hops.py); components add hops of their own with `record` (watch
deliveries, CRI calls, kube-proxy rule updates) and give their next request a
reason with `because`. Hops are buffered per APIServer and written in one
insert together with the etcd write they belong to (inside the same
transaction, so a rolled-back request leaves no step behind); the insert is raw
SQL, as it runs with every API write. Recording can be turned off for a
process with KUBECLASS_STEP_EVENTS=0 (the benchmarks) or for one APIServer with
`disable(api)`.

Simplified: a hop is a row, not a packet; an in-process component's requests
that wrote nothing (a no-op update, a 404 probe) are left out, while a user's
rejected request is kept. Sequence numbers are the cluster's next ones, taken
under a row lock (PostgreSQL) or in SQLite's serialized transaction; a
reconciler batch, which holds that lock from its first write to its commit,
counts on from its own last insert (HeldRevision.step_seq) instead of asking
again, and tests/test_steps.py checks that both number a log alike.

A reconciler batch gives its components a StepSink (sink.py): while the batch
holds the transaction their hops wait there, in order, and go in one insert
before it commits, instead of one insert with every write.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING

import orjson
from django.db import connection, transaction

from cluster import notify
from cluster.dbcursor import DriverCursor
from cluster.models import Cluster, StepEvent
from cluster.steps.hops import Hop, request_hop, traffic_hop, write_hop

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer
    from cluster.store import HeldRevision


def enabled() -> bool:
    return os.environ.get("KUBECLASS_STEP_EVENTS", "1") not in ("0", "false", "no")


class Recorder:
    """The step log of one APIServer instance: buffers hops, writes them with the next etcd write."""

    def __init__(self, api: APIServer) -> None:
        self.api = api
        self.buffer: list[Hop] = []
        self.enabled = True
        # In-process components probe (update, then create on 404) and repeat idempotent writes;
        # their requests that wrote nothing are left out. A user's rejected request is kept.
        self.elide_unwritten = api.hooks.elide_unwritten
        self.reason: tuple[str, dict] | None = None  # why a controller sends its next request (`because`)

    @property
    def source(self) -> str:
        host = self.api.hooks.host
        return f"{self.api.client}/{host}" if host else self.api.client

    def observe(self, kind: str, detail: dict) -> None:
        if not self.enabled:
            return
        if kind == "request":
            if self.elide_unwritten and self.buffer and self.buffer[-1].message_id.startswith("request."):
                self.buffer.pop()  # a component's request that changed nothing (a no-op or a 404 probe)
            hop = request_hop(self.source, detail)
            if self.reason is not None:
                hop.message_id, extra = self.reason
                hop.params = {**hop.params, **extra}
                self.reason = None
            self.buffer.append(hop)
        elif kind == "write":
            write = write_hop(detail)
            if (
                self.buffer
                and self.buffer[-1].message_id.startswith("request.")
                and self.buffer[-1].verb == "POST"
                and self.buffer[-1].object.endswith("-")
            ):
                self.buffer[-1].object = self.buffer[-1].params["object"] = write.object  # generateName
            self.buffer.append(write)
            self.flush()
        elif kind == "traffic":
            self.buffer.append(traffic_hop(detail))
            self.flush()

    def hop(self, hop: Hop) -> None:
        if self.enabled:
            self.buffer.append(hop)

    def flush(self) -> None:
        if self.elide_unwritten and self.buffer and self.buffer[-1].message_id.startswith("request."):
            self.buffer.pop()
        if not self.buffer:
            return
        hops, self.buffer = self.buffer, []
        sink = self.api.hooks.step_sink
        if sink is not None and sink.is_open:
            sink.keep(self.api.now(), hops)  # inserted with the rest of the batch's, before it commits
            return
        write_hops(self.api.cluster, self.api.now(), hops, self.api.hooks.held)


_STEP_TABLE = StepEvent._meta.db_table
_COLUMNS = "cluster_id, seq, time, source, target, verb, object, key, revision, message_id, params, diff"
_plain_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _dumps(value: object) -> str:
    """A hop's params or diff as compact JSON. orjson writes it ten times faster than the standard library
    (every hop has two); what orjson refuses — a lone surrogate, an integer beyond 64 bits — takes the plain
    path, whose text reads back the same (tests/test_steps.py)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError
        return _plain_dumps(value)


def write_hops(cluster: Cluster, moment: dt.datetime, hops: list[Hop], held: HeldRevision | None = None) -> None:
    """Append hops with the next sequence numbers; raw SQL, as this runs with every API write.

    The next number is the cluster's last plus one, read under its write lock; a writer that holds the lock
    for a whole batch (`held`: the reconciler's) knows it from its own last insert and need not ask again."""
    write_hop_chunks(cluster, [(moment, hops)], held)


def write_hop_chunks(
    cluster: Cluster, chunks: list[tuple[dt.datetime, list[Hop]]], held: HeldRevision | None = None
) -> None:
    """`write_hops` for several moments' hops at once, numbered on in the order given."""
    if connection.in_atomic_block:
        _insert_hops(cluster, chunks, held)
    else:
        with transaction.atomic():
            _insert_hops(cluster, chunks, held)
    notify.cluster_changed(cluster.pk)


def _insert_hops(cluster: Cluster, chunks: list[tuple[dt.datetime, list[Hop]]], held: HeldRevision | None) -> None:
    if held is not None and held.revision is None:
        held = None  # this transaction has not written yet: it may not hold the lock
    with DriverCursor() as cursor:
        if held is not None and held.step_seq is not None:
            last = held.step_seq
        else:
            last = _last_seq(cursor, cluster)
        jsonb = "::jsonb" if cursor.vendor == "postgresql" else ""
        timed: list[tuple[object, Hop]] = []
        for moment, hops in chunks:
            when = connection.ops.adapt_datetimefield_value(moment)
            timed.extend((when, h) for h in hops)
        rows = [
            (
                cluster.pk,
                last + i,
                when,
                h.source,
                h.target,
                h.verb,
                h.object[:400],
                h.key[:400],
                h.revision,
                h.message_id,
                _dumps(h.params),
                _dumps(h.diff),
            )
            for i, (when, h) in enumerate(timed, start=1)
        ]
        cursor.executemany(
            f"INSERT INTO {_STEP_TABLE} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            f"%s{jsonb}, %s{jsonb})",
            rows,
        )
    if held is not None:
        held.step_seq = last + len(rows)


def _last_seq(cursor: DriverCursor, cluster: Cluster) -> int:
    """The cluster's last step number, with its write lock taken (PostgreSQL's row lock; SQLite's IMMEDIATE
    transaction holds the database's)."""
    if cursor.vendor == "postgresql":
        cursor.execute("SELECT id FROM cluster_cluster WHERE id = %s FOR UPDATE", [cluster.pk])
    cursor.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {_STEP_TABLE} WHERE cluster_id = %s", [cluster.pk])
    row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def recorder_of(api: APIServer) -> Recorder | None:
    """The API server's step recorder (it makes one when step events are on), unless disabled."""
    recorder = api.recorder
    return recorder if recorder is not None and recorder.enabled else None


def record(api: APIServer, hop: Hop) -> None:
    """Add a hop that is not an API request (a watch delivery, a CRI call, a kube-proxy rule update)."""
    recorder = recorder_of(api)
    if recorder is not None:
        recorder.hop(hop)


def because(api: APIServer, message_id: str, **params: object) -> None:
    """Explain the component's next request with `message_id` (a controller's reason) instead of the generic text."""
    recorder = recorder_of(api)
    if recorder is not None:
        recorder.reason = (message_id, {k: str(v) for k, v in params.items()})


def flush(api: APIServer) -> None:
    recorder = recorder_of(api)
    if recorder is not None:
        recorder.flush()


def disable(api: APIServer) -> None:
    recorder = api.recorder
    if recorder is not None:
        recorder.enabled = False
        recorder.buffer.clear()
