"""etcd's key-value API over the models: range, put, delete, history, watch, compact, lease expiry.

Only the API server calls this module, just as only kube-apiserver talks to
etcd. Callers wrap each request in one database transaction, so a failed request
leaves neither a revision nor a half-written object behind.

The space quota: etcd refuses writes past --quota-backend-bytes; kubeclass counts
live keys instead, per cluster (Cluster.object_limit). Events are counted apart,
against KUBECLASS_EVENT_LIMIT, as if kept in an etcd of their own — what large
clusters do with kube-apiserver's --etcd-servers-overrides=/events#… — so the
Events a busy hour leaves behind (each lives --event-ttl) never fill the quota
that a learner's Deployments and Pods need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Max

from cluster.dbcursor import DriverCursor
from cluster.models import Cluster, Entry, Revision


class KeyExists(Exception):
    """The key is already present (etcd txn compare create_revision == 0 failed)."""


class KeyMissing(Exception):
    """The key is absent."""


class RevisionMismatch(Exception):
    """The caller's mod revision is not the key's current one (a stale write)."""

    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


EVENTS_PREFIX = "/registry/events/"  # the key space --etcd-servers-overrides gives an etcd of its own


class SpaceExceeded(Exception):
    """The cluster holds as many keys as its quota allows (etcd's `--quota-backend-bytes`, in keys)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class Compacted(Exception):
    """The requested revision is older than the compacted history."""

    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(requested, compacted)
        self.requested = requested
        self.compacted = compacted


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: dict
    create_revision: int
    mod_revision: int
    version: int


@dataclass(frozen=True)
class WatchEvent:
    type: str  # PUT or DELETE, as etcd reports them
    kv: KeyValue
    created: bool  # a PUT whose version is 1: kube-apiserver turns it into ADDED


@dataclass(frozen=True)
class Written:
    """One write as the store made it, its value still the JSON text etcd keeps."""

    type: str
    key: str
    text: str
    create_revision: int
    mod_revision: int
    version: int

    def event(self) -> WatchEvent:
        """The write as `events_since` reports it."""
        kv = KeyValue(self.key, _decode(self.text), self.create_revision, self.mod_revision, self.version)
        return WatchEvent(self.type, kv, self.type == Revision.PUT and self.version == 1)


def _decode(text: str) -> dict:
    # Every list and watch decodes each object it returns; orjson parses the
    # same JSON into the same dicts several times faster than the stdlib.
    return orjson.loads(text)


def decode_value(text: str) -> dict:
    """A value as the store keeps it, decoded (for readers of etcd's history outside the store: step diffs)."""
    return _decode(text)


class Unencodable(ValueError):
    """A value the store will not write, because it could not read it back."""


def encode_value(value: dict) -> str:
    """The JSON text etcd keeps: written and read by the same library (orjson), so what the
    store writes it can always read. orjson refuses lone surrogates, integers beyond 64 bits
    and nesting beyond 254 levels; the API server's decoding (cluster/decoding.py) has
    turned such input into valid values or refused it before it gets here."""
    try:
        return orjson.dumps(value).decode()
    except TypeError as err:
        raise Unencodable(str(err)) from None


_ENTRY = Entry._meta.db_table
_REVISION = Revision._meta.db_table
_CLUSTER = Cluster._meta.db_table


class HeldRevision:
    """The revision counter as a writer holding the cluster's write lock knows it.

    From a transaction's first write to its end no other client can write: on
    SQLite the IMMEDIATE transaction holds the database's write lock, and on
    PostgreSQL the counter's row stays locked FOR UPDATE. In that span the last
    revision this writer made is the current one, and the next request need not
    read it again. Whoever shares one among its Stores (the reconciler's batches)
    must `forget` it when its transaction or a savepoint in it ends in a rollback,
    and when the transaction ends.
    """

    def __init__(self) -> None:
        self.revision: int | None = None
        self.keys = 0  # the live keys as of `revision`, valid only while it is set
        self.event_keys = 0  # of which Events, counted against their own quota
        # The last step's sequence number (cluster/steps/recorder.py), under the same lock: valid only while
        # `revision` is set, and only once a step was written since.
        self.step_seq: int | None = None

    def forget(self) -> None:
        self.revision = None
        self.step_seq = None


class Store:
    """The key space of one cluster. A prefix ends with `/`; namespaced keys are
    `<prefix><namespace>/<name>` and cluster-scoped keys `<prefix><name>`."""

    def __init__(
        self, cluster: Cluster, journal: list[Written] | None = None, held: HeldRevision | None = None
    ) -> None:
        self.cluster = cluster
        # When a list is given, every write this Store makes is appended to it
        # as etcd's watch would report it (cluster/reconciler/watchcache.py reads its own
        # writes from it instead of from the database).
        self.journal = journal
        # When given, the revision counter as known since this transaction's first write.
        self.held = held
        self._keys = 0  # live keys as of the reserved revision, for the space quota
        self._event_keys = 0  # live Events as of the reserved revision, for the Events' own quota

    # -- reads ------------------------------------------------------------
    def current_revision(self) -> int:
        return self._cluster_row("revision")

    def _cluster_row(self, column: str) -> int:
        # Raw SQL: the reconciler asks for the revision before every unit of work.
        with DriverCursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {_CLUSTER} WHERE id = %s", [self.cluster.pk])
            row = cursor.fetchone()
        if row is None:
            raise Cluster.DoesNotExist(f"cluster {self.cluster.pk} is gone")
        return row[0]

    def get(self, key: str) -> KeyValue | None:
        # Raw SQL on the (cluster, key) unique index: every request reads at least one key.
        with DriverCursor() as cursor:
            cursor.execute(
                f"SELECT value, create_revision, mod_revision, version FROM {_ENTRY} "
                "WHERE cluster_id = %s AND key = %s",
                [self.cluster.pk, key],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        return KeyValue(key, _decode(row[0]), row[1], row[2], row[3])

    def range(self, prefix: str, namespace: str | None = None) -> list[KeyValue]:
        # Raw SQL, as `get`: every list and every admission check ranges, and the ORM's query building
        # cost more than the query.
        sql = (
            f"SELECT key, value, create_revision, mod_revision, version FROM {_ENTRY} "
            "WHERE cluster_id = %s AND prefix = %s"
        )
        params: list = [self.cluster.pk, prefix]
        if namespace:
            sql += " AND namespace = %s"
            params.append(namespace)
        with DriverCursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        # Sorted here, in etcd's byte order, not by ORDER BY: asked to sort, SQLite walks the
        # (cluster, key) index through every key of the cluster instead of using the prefix
        # index, and PostgreSQL would sort by its collation, which need not be byte order.
        rows.sort()
        return [KeyValue(k, _decode(v), c, m, ver) for k, v, c, m, ver in rows]

    def count(self, prefix: str | None = None) -> int:
        rows = Entry.objects.filter(cluster=self.cluster)
        return (rows.filter(prefix=prefix) if prefix else rows).count()

    def keys(self) -> list[tuple[str, int, int, int]]:
        """Every live key with its create revision, mod revision and version."""
        return list(
            Entry.objects.filter(cluster=self.cluster)
            .order_by("key")
            .values_list("key", "create_revision", "mod_revision", "version")
        )

    def range_at(self, revision: int, prefix: str | None = None) -> list[KeyValue]:
        """The live keys as they were right after `revision` (time travel)."""
        self._check_not_compacted(revision)
        rows = Revision.objects.filter(cluster=self.cluster, revision__lte=revision)
        if prefix:
            rows = rows.filter(prefix=prefix)
        newest = rows.values("key").annotate(last=Max("revision")).values_list("last", flat=True)
        picked = Revision.objects.filter(cluster=self.cluster, revision__in=list(newest)).order_by("key")
        return [
            KeyValue(r.key, _decode(r.value), r.create_revision, r.revision, r.version)
            for r in picked
            if r.type == Revision.PUT
        ]

    def events_since(
        self, revision: int, prefix: str | None = None, namespace: str | None = None, limit: int = 1000
    ) -> list[WatchEvent]:
        """Every write after `revision`, oldest first: what an etcd watch sends."""
        self._check_not_compacted(revision + 1)
        where = ["cluster_id = %s", "revision > %s"]
        params: list[object] = [self.cluster.pk, revision]
        for column, value in (("prefix", prefix), ("namespace", namespace)):
            if value:
                where.append(f"{column} = %s")
                params.append(value)
        with DriverCursor() as cursor:
            cursor.execute(
                f"SELECT type, key, value, create_revision, revision, version FROM {_REVISION} "
                f"WHERE {' AND '.join(where)} ORDER BY revision LIMIT %s",
                [*params, limit],
            )
            rows = cursor.fetchall()
        return [
            WatchEvent(
                kind, KeyValue(key, _decode(value), created, rev, version), kind == Revision.PUT and version == 1
            )
            for kind, key, value, created, rev, version in rows
        ]

    def _check_not_compacted(self, revision: int) -> None:
        compacted = self._cluster_row("compact_revision")
        if revision < compacted:
            raise Compacted(revision, compacted)

    # -- writes (call inside transaction.atomic) ---------------------------
    # A request reserves its revision first (for uid and generateName), runs its
    # checks, and only then writes: the entry, the history row and, last, the
    # cluster's revision counter. A refused request has therefore written nothing
    # and needs no savepoint to undo.
    def reserve_revision(self) -> int:
        """The revision the next write will take; on PostgreSQL the row lock serialises writers."""
        if self.held is not None and self.held.revision is not None:
            self._keys, self._event_keys = self.held.keys, self.held.event_keys
            return self.held.revision + 1
        with DriverCursor() as cursor:
            lock = " FOR UPDATE" if cursor.vendor == "postgresql" else ""  # SQLite: IMMEDIATE transactions
            cursor.execute(
                f"SELECT revision, key_count, event_key_count FROM {_CLUSTER} WHERE id = %s{lock}", [self.cluster.pk]
            )
            row = cursor.fetchone()
            assert row is not None  # the cluster's own row
            revision, self._keys, self._event_keys = row
        return revision + 1

    def _check_space(self, prefix: str) -> None:
        """Refuse a new key past its quota: the cluster's object limit, or the Events' own limit."""
        if prefix == EVENTS_PREFIX:
            # A cluster without an object limit (an administrator's, a benchmark's) has none for Events either.
            limit = settings.KUBECLASS_EVENT_LIMIT if self.cluster.object_limit else 0
            held = self._event_keys
        else:
            limit, held = self.cluster.object_limit, self._keys
        if limit and held >= limit:
            raise SpaceExceeded(limit)

    def _advance(self, cursor: DriverCursor, revision: int, keys: int = 0, prefix: str = "") -> None:
        """Move the revision counter, and the live key count of `prefix`'s quota by `keys` (+1 a create,
        -1 a delete)."""
        column = "event_key_count" if prefix == EVENTS_PREFIX else "key_count"
        cursor.execute(
            f"UPDATE {_CLUSTER} SET revision = %s, {column} = {column} + %s WHERE id = %s",
            [revision, keys, self.cluster.pk],
        )
        self.cluster.revision = revision
        if prefix == EVENTS_PREFIX:
            self._event_keys += keys
        else:
            self._keys += keys
        if self.held is not None:
            self.held.revision = revision
            self.held.keys, self.held.event_keys = self._keys, self._event_keys

    def create(
        self,
        key: str,
        value: dict,
        revision: int,
        prefix: str,
        namespace: str = "",
        text: str | None = None,
        lease_expiry: int | None = None,
    ) -> KeyValue:
        """Put a new key; `text`, when given, is `value` encoded already; `lease_expiry` (virtual Unix
        milliseconds), when given, attaches it to a lease that ends then."""
        text = encode_value(value) if text is None else text
        self._check_space(prefix)
        # etcd's "create if create_revision == 0" as one statement: no savepoint, no second lookup.
        with DriverCursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_ENTRY} (cluster_id, key, prefix, namespace, create_revision, mod_revision, "
                "version, value, lease_expiry) VALUES (%s, %s, %s, %s, %s, %s, 1, %s, %s) "
                "ON CONFLICT (cluster_id, key) DO NOTHING RETURNING id",
                [self.cluster.pk, key, prefix, namespace, revision, revision, text, lease_expiry],
            )
            if cursor.fetchone() is None:
                raise KeyExists(key)
            self._append(cursor, revision, Revision.PUT, key, prefix, namespace, revision, 1, text)
            self._advance(cursor, revision, +1, prefix)
        self._journal(Written(Revision.PUT, key, text, revision, revision, 1))
        return KeyValue(key, value, revision, revision, 1)

    def _append(
        self,
        cursor: DriverCursor,
        revision: int,
        type_: str,
        key: str,
        prefix: str,
        namespace: str,
        create_revision: int,
        version: int,
        text: str,
    ) -> None:
        """Add one write to the history (etcd's revision log)."""
        cursor.execute(
            f"INSERT INTO {_REVISION} (cluster_id, revision, type, key, prefix, namespace, create_revision, "
            "version, value) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [self.cluster.pk, revision, type_, key, prefix, namespace, create_revision, version, text],
        )

    def update(
        self,
        key: str,
        value: dict,
        revision: int,
        expected_mod_revision: int | None = None,
        text: str | None = None,
        lease_expiry: int | None = None,
    ) -> KeyValue:
        """Put a new value of an existing key, attached to the lease `lease_expiry` names (or to none,
        as a Put without a lease detaches the key from its old one)."""
        text = encode_value(value) if text is None else text
        # Compare-and-swap on mod_revision in the UPDATE itself, as etcd's txn does.
        sql = (
            f"UPDATE {_ENTRY} SET mod_revision = %s, version = version + 1, value = %s, lease_expiry = %s "
            "WHERE cluster_id = %s AND key = %s"
        )
        params: list = [revision, text, lease_expiry, self.cluster.pk, key]
        if expected_mod_revision is not None:
            sql += " AND mod_revision = %s"
            params.append(expected_mod_revision)
        with DriverCursor() as cursor:
            cursor.execute(sql + " RETURNING create_revision, version, prefix, namespace", params)
            row = cursor.fetchone()
            if row is None:
                current = self.get(key)
                if current is None:
                    raise KeyMissing(key)
                raise RevisionMismatch(current.mod_revision)
            create_revision, version, prefix, namespace = row
            self._append(cursor, revision, Revision.PUT, key, prefix, namespace, create_revision, version, text)
            self._advance(cursor, revision)
        self._journal(Written(Revision.PUT, key, text, create_revision, revision, version))
        return KeyValue(key, value, create_revision, revision, version)

    def delete(self, key: str, revision: int, expected_mod_revision: int | None = None) -> KeyValue:
        with DriverCursor() as cursor:
            cursor.execute(
                f"SELECT id, prefix, namespace, create_revision, mod_revision, value FROM {_ENTRY} "
                "WHERE cluster_id = %s AND key = %s",
                [self.cluster.pk, key],
            )
            row = cursor.fetchone()
            if row is None:
                raise KeyMissing(key)
            pk, prefix, namespace, create_revision, mod_revision, text = row
            if expected_mod_revision is not None and mod_revision != expected_mod_revision:
                raise RevisionMismatch(mod_revision)
            cursor.execute(f"DELETE FROM {_ENTRY} WHERE id = %s", [pk])
            self._append(cursor, revision, Revision.DELETE, key, prefix, namespace, create_revision, 0, text)
            self._advance(cursor, revision, -1, prefix)
        self._journal(Written(Revision.DELETE, key, text, create_revision, revision, 0))
        return KeyValue(key, _decode(text), create_revision, revision, 0)

    def expired(self, now: int, limit: int) -> list[str]:
        """The keys whose lease ended at or before `now` (virtual Unix milliseconds), soonest first, at most
        `limit`: what etcd's lessor revokes next (each is then deleted as any key is, see `delete`)."""
        with DriverCursor() as cursor:
            cursor.execute(
                f"SELECT key FROM {_ENTRY} WHERE cluster_id = %s AND lease_expiry IS NOT NULL "
                "AND lease_expiry <= %s ORDER BY lease_expiry, key LIMIT %s",
                [self.cluster.pk, now, limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def _journal(self, written: Written) -> None:
        if self.journal is not None:
            self.journal.append(written)

    def compact(self, revision: int) -> int:
        """Forget history older than `revision`, keeping each key's value as of it."""
        with transaction.atomic():
            superseded: Iterable[int] = (
                Revision.objects.filter(cluster=self.cluster, revision__lte=revision)
                .values("key")
                .annotate(last=Max("revision"))
                .values_list("last", flat=True)
            )
            keep = set(superseded)
            old = Revision.objects.filter(cluster=self.cluster, revision__lt=revision)
            doomed = [
                pk
                for pk, rev, typ in old.values_list("pk", "revision", "type")
                if rev not in keep or typ == Revision.DELETE
            ]
            for start in range(0, len(doomed), 500):
                Revision.objects.filter(pk__in=doomed[start : start + 500]).delete()
            Cluster.objects.filter(pk=self.cluster.pk).update(compact_revision=revision)
            self.cluster.compact_revision = revision
        return len(doomed)
