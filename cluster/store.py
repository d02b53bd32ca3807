"""etcd's key-value API over the models: range, put, delete, history, watch, compact.

Only the API server calls this module, just as only kube-apiserver talks to
etcd. Callers wrap each request in one database transaction, so a failed request
leaves neither a revision nor a half-written object behind.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from django.db import IntegrityError, connection, transaction
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
    return json.loads(text)


def _encode(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


class Store:
    """The key space of one cluster. A prefix ends with `/`; namespaced keys are
    `<prefix><namespace>/<name>` and cluster-scoped keys `<prefix><name>`."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    # -- reads ------------------------------------------------------------
    def current_revision(self) -> int:
        return Cluster.objects.filter(pk=self.cluster.pk).values_list("revision", flat=True).get()

    def get(self, key: str) -> KeyValue | None:
        row = Entry.objects.filter(cluster=self.cluster, key=key).first()
        if row is None:
            return None
        return KeyValue(row.key, _decode(row.value), row.create_revision, row.mod_revision, row.version)

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
        rows = Revision.objects.filter(cluster=self.cluster, revision__gt=revision)
        if prefix:
            rows = rows.filter(prefix=prefix)
        if namespace:
            rows = rows.filter(namespace=namespace)
        return [
            WatchEvent(r.type, KeyValue(r.key, _decode(r.value), r.create_revision, r.revision, r.version),
                       r.type == Revision.PUT and r.version == 1)
            for r in rows.order_by("revision")[:limit]
        ]

    def _check_not_compacted(self, revision: int) -> None:
        compacted = Cluster.objects.filter(pk=self.cluster.pk).values_list("compact_revision", flat=True).get()
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
        try:
            with transaction.atomic():
                Entry.objects.create(cluster=self.cluster, key=key, prefix=prefix, namespace=namespace,
                                     create_revision=revision, mod_revision=revision, version=1, value=text)
        except IntegrityError as err:
            raise KeyExists(key) from err
        Revision.objects.create(cluster=self.cluster, revision=revision, type=Revision.PUT, key=key,
                                prefix=prefix, namespace=namespace, create_revision=revision, version=1,
                                value=text)
        return KeyValue(key, value, revision, revision, 1)

    def update(self, key: str, value: dict, revision: int, expected_mod_revision: int | None = None) -> KeyValue:
        row = Entry.objects.filter(cluster=self.cluster, key=key).first()
        if row is None:
            raise KeyMissing(key)
        if expected_mod_revision is not None and row.mod_revision != expected_mod_revision:
            raise RevisionMismatch(row.mod_revision)
        text = _encode(value)
        version = row.version + 1
        Entry.objects.filter(pk=row.pk).update(mod_revision=revision, version=version, value=text)
        Revision.objects.create(cluster=self.cluster, revision=revision, type=Revision.PUT, key=key,
                                prefix=row.prefix, namespace=row.namespace,
                                create_revision=row.create_revision, version=version, value=text)
        return KeyValue(key, value, row.create_revision, revision, version)

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
