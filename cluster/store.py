"""etcd's key-value API over the models: range, put, delete, history, watch, compact.

Only the API server calls this module, just as only kube-apiserver talks to
etcd. Callers wrap each request in one database transaction, so a failed request
leaves neither a revision nor a half-written object behind.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

import orjson
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Max

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


def _decode(text: str) -> dict:
    # Every list and watch decodes each object it returns; orjson parses the
    # same JSON into the same dicts several times faster than the stdlib.
    return orjson.loads(text)


_json_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def _encode(value: dict) -> str:
    # orjson writes the same compact JSON several times faster; what it refuses
    # (an integer beyond 64 bits, say) goes through the standard library.
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _json_encode(value)
_ENTRY = Entry._meta.db_table
_REVISION = Revision._meta.db_table
_CLUSTER = Cluster._meta.db_table


class Store:
    """The key space of one cluster. A prefix ends with `/`; namespaced keys are
    `<prefix><namespace>/<name>` and cluster-scoped keys `<prefix><name>`."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    # -- reads ------------------------------------------------------------
    def current_revision(self) -> int:
        return self._cluster_row("revision")

    def _cluster_row(self, column: str) -> int:
        # Raw SQL: the reconciler asks for the revision before every unit of work.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {_CLUSTER} WHERE id = %s", [self.cluster.pk])
            row = cursor.fetchone()
        if row is None:
            raise Cluster.DoesNotExist(f"cluster {self.cluster.pk} is gone")
        return row[0]

    def get(self, key: str) -> KeyValue | None:
        # Raw SQL on the (cluster, key) unique index: every request reads at least one key.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT value, create_revision, mod_revision, version FROM {_ENTRY} "
                           "WHERE cluster_id = %s AND key = %s", [self.cluster.pk, key])
            row = cursor.fetchone()
        if row is None:
            return None
        return KeyValue(key, _decode(row[0]), row[1], row[2], row[3])

    def range(self, prefix: str, namespace: str | None = None) -> list[KeyValue]:
        rows = Entry.objects.filter(cluster=self.cluster, prefix=prefix)
        if namespace:
            rows = rows.filter(namespace=namespace)
        return [
            KeyValue(k, _decode(v), c, m, ver)
            for k, v, c, m, ver in rows.order_by("key").values_list(
                "key", "value", "create_revision", "mod_revision", "version"
            )
        ]

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
        where, params = ["cluster_id = %s", "revision > %s"], [self.cluster.pk, revision]
        for column, value in (("prefix", prefix), ("namespace", namespace)):
            if value:
                where.append(f"{column} = %s")
                params.append(value)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT type, key, value, create_revision, revision, version FROM {_REVISION} "
                           f"WHERE {' AND '.join(where)} ORDER BY revision LIMIT %s", [*params, limit])
            rows = cursor.fetchall()
        return [WatchEvent(kind, KeyValue(key, _decode(value), created, rev, version),
                           kind == Revision.PUT and version == 1)
                for kind, key, value, created, rev, version in rows]

    def _check_not_compacted(self, revision: int) -> None:
        compacted = self._cluster_row("compact_revision")
        if revision < compacted:
            raise Compacted(revision, compacted)

    # -- writes (call inside transaction.atomic) ---------------------------
    def next_revision(self) -> int:
        """Take the next revision; the row lock serialises writers to this cluster."""
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cluster_cluster SET revision = revision + 1 WHERE id = %s RETURNING revision",
                [self.cluster.pk],
            )
            (revision,) = cursor.fetchone()
        self.cluster.revision = revision
        return revision

    def create(self, key: str, value: dict, revision: int, prefix: str, namespace: str = "") -> KeyValue:
        text = _encode(value)
        # etcd's "create if create_revision == 0" as one statement: no savepoint, no second lookup.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_ENTRY} (cluster_id, key, prefix, namespace, create_revision, mod_revision, "
                "version, value) VALUES (%s, %s, %s, %s, %s, %s, 1, %s) "
                "ON CONFLICT (cluster_id, key) DO NOTHING RETURNING id",
                [self.cluster.pk, key, prefix, namespace, revision, revision, text])
            if cursor.fetchone() is None:
                raise KeyExists(key)
            self._append(cursor, revision, Revision.PUT, key, prefix, namespace, revision, 1, text)
        return KeyValue(key, value, revision, revision, 1)

    def _append(self, cursor: CursorWrapper, revision: int, type_: str, key: str, prefix: str, namespace: str,
                create_revision: int, version: int, text: str) -> None:
        """Add one write to the history (etcd's revision log)."""
        cursor.execute(
            f"INSERT INTO {_REVISION} (cluster_id, revision, type, key, prefix, namespace, create_revision, "
            "version, value) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [self.cluster.pk, revision, type_, key, prefix, namespace, create_revision, version, text])

    def update(self, key: str, value: dict, revision: int, expected_mod_revision: int | None = None) -> KeyValue:
        text = _encode(value)
        # Compare-and-swap on mod_revision in the UPDATE itself, as etcd's txn does.
        sql = (f"UPDATE {_ENTRY} SET mod_revision = %s, version = version + 1, value = %s "
               "WHERE cluster_id = %s AND key = %s")
        params: list = [revision, text, self.cluster.pk, key]
        if expected_mod_revision is not None:
            sql += " AND mod_revision = %s"
            params.append(expected_mod_revision)
        with connection.cursor() as cursor:
            cursor.execute(sql + " RETURNING create_revision, version, prefix, namespace", params)
            row = cursor.fetchone()
            if row is None:
                current = self.get(key)
                if current is None:
                    raise KeyMissing(key)
                raise RevisionMismatch(current.mod_revision)
            create_revision, version, prefix, namespace = row
            self._append(cursor, revision, Revision.PUT, key, prefix, namespace, create_revision, version, text)
        return KeyValue(key, value, create_revision, revision, version)

    def delete(self, key: str, revision: int, expected_mod_revision: int | None = None) -> KeyValue:
        row = Entry.objects.filter(cluster=self.cluster, key=key).first()
        if row is None:
            raise KeyMissing(key)
        if expected_mod_revision is not None and row.mod_revision != expected_mod_revision:
            raise RevisionMismatch(row.mod_revision)
        Entry.objects.filter(pk=row.pk).delete()
        Revision.objects.create(cluster=self.cluster, revision=revision, type=Revision.DELETE, key=key,
                                prefix=row.prefix, namespace=row.namespace,
                                create_revision=row.create_revision, version=0, value=row.value)
        return KeyValue(key, _decode(row.value), row.create_revision, revision, 0)

    def compact(self, revision: int) -> int:
        """Forget history older than `revision`, keeping each key's value as of it."""
        with transaction.atomic():
            superseded: Iterable[int] = (
                Revision.objects.filter(cluster=self.cluster, revision__lte=revision)
                .values("key").annotate(last=Max("revision")).values_list("last", flat=True)
            )
            keep = set(superseded)
            old = Revision.objects.filter(cluster=self.cluster, revision__lt=revision)
            doomed = [pk for pk, rev, typ in old.values_list("pk", "revision", "type")
                      if rev not in keep or typ == Revision.DELETE]
            for start in range(0, len(doomed), 500):
                Revision.objects.filter(pk__in=doomed[start:start + 500]).delete()
            Cluster.objects.filter(pk=self.cluster.pk).update(compact_revision=revision)
            self.cluster.compact_revision = revision
        return len(doomed)
