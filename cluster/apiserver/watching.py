"""Watches and etcd's housekeeping as APIServer serves them, split from server.py.

Watch batches read the store's history after a revision; compaction forgets old history
(kube-apiserver's compactor); the lessor deletes keys whose lease expired.

Simplified: watches are polled batches, not streams; compaction is counted in revisions.
"""

# `self: APIServer` below: the mixin's methods run as APIServer's, which mypy cannot see through the cycle.
# mypy: disable-error-code="misc"
from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from django.db import connection

from cluster import steps
from cluster.apiserver import storage
from cluster.apiserver.errors import StatusError
from cluster.apiserver.field_selectors import parse_field_selector
from cluster.apiserver.requestbody import resource_type
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.selectors import parse_label_selector
from cluster.apiserver.storage import request_transaction
from cluster.apiserver.watchevents import WatchEvent, fan_out, watch_event
from cluster.store import Compacted, Store

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

LEASE_REVOKE_RATE = 1000  # etcd's leaseRevokeRate: leases revoked a second, at most


class WatchMixin:
    """APIServer.watch_batch, watch_many, current_revision, compact and expire_leases (mixed in)."""

    def watch_batch(
        self: APIServer,
        rt: ResourceType | str,
        namespace: str | None,
        since: int,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 500,
    ) -> tuple[builtins.list[WatchEvent], int]:
        """The watch events after revision `since`, and the revision to resume from.

        A compacted `since` is kube-apiserver's 410 Gone "too old resource version".
        """
        rt = resource_type(rt)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt)
        try:
            raw = self.store.events_since(since, rt.etcd_prefix, namespace if rt.namespaced else None, limit)
        except Compacted as err:
            raise StatusError.gone(f"too old resource version: {err.requested} ({err.compacted})") from None
        events = [ev for r in raw if (ev := watch_event(rt, r, labels, fields)) is not None]
        return events, (raw[-1].kv.mod_revision if raw else since)

    def watch_many(
        self: APIServer, resources: builtins.list[str], since: int, limit: int = 1000
    ) -> tuple[builtins.list[tuple[str, WatchEvent]], int]:
        """One watch over several resources, oldest first, and the revision to resume from.

        What a shared informer factory sees: one stream instead of one query per resource."""
        try:
            raw = self.store.events_since(since, None, None, limit)
        except Compacted as err:
            raise StatusError.gone(f"too old resource version: {err.requested} ({err.compacted})") from None
        return fan_out(resources, raw), (raw[-1].kv.mod_revision if raw else since)

    def current_revision(self: APIServer) -> int:
        return self.store.current_revision()

    def compact(self: APIServer, keep: int) -> int:
        """kube-apiserver's compactor: forget etcd history older than the last `keep` revisions.

        Upstream compacts every 5 minutes to the revision it saw 5 minutes earlier; kubeclass
        keeps a longer window, counted in revisions, because time travel reads it. Step events
        older than the window go with it. Returns the history rows removed."""
        target = self.store.current_revision() - keep
        if target <= self.cluster.compact_revision:
            return 0
        removed = self.store.compact(target)
        steps.prune(self.cluster, target)
        return removed

    def expire_leases(self: APIServer, limit: int = LEASE_REVOKE_RATE) -> int:
        """etcd's lessor: delete the keys whose lease has expired on the cluster's clock — the Events older
        than --event-ttl since their last write. Not a request: nothing is admitted or recorded as a step,
        and watchers see each key's DELETE as from any write. Returns the keys deleted (at most `limit`)."""
        # A writer of its own, outside this client's journal (a driver's watch reads the deletes from the
        # store); it shares the held revision only inside the caller's transaction, which forgets it at its end.
        store = Store(self.cluster, held=self.hooks.held if connection.in_atomic_block else None)
        now = storage.lease_now(self.now())
        if not store.expired(now, 1):
            return 0  # the usual answer, given without taking the write lock
        with request_transaction():
            store.reserve_revision()  # the write lock (on PostgreSQL the counter's row) before the keys are read
            keys = store.expired(now, limit)
            for key in keys:
                store.delete(key, store.reserve_revision())
        return len(keys)
