"""The object as the registry hands it to etcd, and the request's transaction (k8s.io/apiserver/pkg/storage).

- The key: `/registry/<resource>/<namespace>/<name>`, refused as the registry's NamespaceKeyFunc
  refuses a name that cannot be a path segment and as the etcd3 store's prepareKey refuses a key
  that climbs (`storage_key`).
- The value: the object without its resourceVersion, which lives in the key's mod revision
  (`stored`, `with_rv`), as compact JSON no larger than etcd's request limit (`encoded`).
- The uid: a version-4 UUID drawn from the cluster's seed (`uuid4_text`), so a run replays.
- The TTL: an Event is written with a lease of kube-apiserver's --event-ttl (one hour,
  KUBECLASS_EVENT_TTL_MINUTES), counted from each write; etcd deletes it when the lease
  expires (`lease_expiry`, APIServer.expire_leases).
- The transaction: one per request, or part of the caller's (`request_transaction`).

Simplified: etcd is cluster/store.py over the database; its request limit is
KUBECLASS_MAX_OBJECT_BYTES. The lease's expiry is exact: kube-apiserver's leaseManager
lets writes within a minute share one lease granted a minute longer, so an Event there
lives between one TTL and a minute more.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Iterator

from django.conf import settings
from django.db import connection, transaction

from cluster.apiserver.errors import StatusError, go_quote
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.validation.names import validate_path_segment_name
from cluster.store import EVENTS_PREFIX, KeyValue, Store, Unencodable, encode_value


def storage_key(rt: ResourceType, namespace: str, name: str) -> str:
    """The etcd key of one object, refused as the registry's NamespaceKeyFunc refuses a name that cannot be a
    path segment (400) and as the etcd3 store's prepareKey refuses a key that climbs (`%2e%2e` as the
    namespace: a 500 that names the key)."""
    if not name:
        raise StatusError.bad_request("Name parameter required.")
    problems = validate_path_segment_name(name, False)
    if problems:
        raise StatusError.bad_request(f"Name parameter invalid: {go_quote(name)}: {';'.join(problems)}")
    key = rt.key(namespace, name)
    if rt.namespaced and namespace in (".", ".."):
        registry_key = key[len("/registry") :]
        raise StatusError.unknown(500, f"invalid key: {go_quote(registry_key)}")
    return key


def with_rv(kv: KeyValue) -> dict:
    """The stored object with its resourceVersion, the key's mod revision, put back."""
    obj = kv.value
    obj.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
    return obj


def dry_run_answer(result: dict, version: str | None) -> dict:
    """What a dry run answers: the object as the write would make it, with the resourceVersion storage had,
    for nothing was written (DryRunnableStorage): an update's live one, none for a create."""
    meta = {k: v for k, v in (result.get("metadata") or {}).items() if k != "resourceVersion"}
    if version is not None:
        meta["resourceVersion"] = version
    return {**result, "metadata": meta}


def live_version(store: Store, key: str) -> str | None:
    """The resourceVersion stored under `key` now (None: nothing is)."""
    kv = store.get(key)
    return None if kv is None else str(kv.mod_revision)


def stored(obj: dict) -> dict:
    """The object as etcd keeps it: resourceVersion lives in the key's mod revision.

    Only the top level and metadata are copied; the rest is shared with `obj`,
    which the write path no longer changes once it is stored.
    """
    kept = dict(obj)
    if isinstance(obj.get("metadata"), dict):
        kept["metadata"] = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    return kept


def encoded(value: dict) -> str:
    """The compact JSON etcd keeps, refused as etcd refuses a value over its request limit."""
    try:
        text = encode_value(value)
    except Unencodable as err:  # cleaned input never gets here; refuse rather than store what cannot be read
        raise StatusError.bad_request(f"the object cannot be stored: {err}") from None
    size = len(text) if text.isascii() else len(text.encode())
    if size > settings.KUBECLASS_MAX_OBJECT_BYTES:
        raise StatusError(413, "RequestEntityTooLarge", "etcdserver: request is too large")
    return text


def lease_expiry(rt: ResourceType, now: dt.datetime) -> int | None:
    """When the lease a write of `rt` at `now` is attached to expires (virtual Unix milliseconds), or None:
    the registry's TTLFunc, which only Events have (the core/v1 and events.k8s.io/v1 ones share the key
    space), always --event-ttl from the write, so every repeat of an Event keeps it another TTL."""
    if rt.etcd_prefix != EVENTS_PREFIX:
        return None
    return round((now.timestamp() + settings.KUBECLASS_EVENT_TTL_MINUTES * 60) * 1000)


def lease_now(now: dt.datetime) -> int:
    """`now` as lease expiries are kept: virtual Unix milliseconds."""
    return round(now.timestamp() * 1000)


def uuid4_text(digest: bytes) -> str:
    """str(uuid.UUID(bytes=digest[:16], version=4)) without building the UUID (one per create)."""
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@contextmanager
def request_transaction(dry_run: bool = False, store: Store | None = None) -> Iterator[None]:
    """The request's transaction.

    Inside a caller's transaction (a reconciler's unit of work) a request opens
    no savepoint: it writes only after every check has passed (cluster/store.py),
    so a refused request has nothing to undo and the caller's earlier writes
    stay. A dry run always gets a transaction of its own, rolled back at the end
    (and `store`'s held revision with it).
    """
    if connection.in_atomic_block and not dry_run:
        yield
        return
    try:
        with transaction.atomic():
            yield
            if dry_run:
                transaction.set_rollback(True)
    finally:
        if dry_run and store is not None and store.held is not None:
            store.held.forget()
