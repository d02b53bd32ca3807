"""LIST as kube-apiserver's storage answers it: the whole list, or one page of it.

A list without `limit`, `continue` or a resourceVersion other than "" or "0" is read whole at the
newest revision. Otherwise it is one page (cluster/apiserver/paging.py plans it): from the watch
cache (cacher.GetList: the next page starts after the last object selected) or from etcd (etcd3
store.GetList: after the last key read), at the newest revision or the one the continue token or an
exact resourceVersion names; `remainingItemCount` only when no selector filters the list.

Simplified: the watch cache and etcd are one store (cluster/store.py); a page "from the cache" is
read the same way, and differs only in its continue token, what its limit counts and the key check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from cluster.apiserver import paging, strategy
from cluster.apiserver.errors import StatusError, go_quote
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.field_selectors import FieldSelector
from cluster.apiserver.selectors import LabelSelector
from cluster.apiserver.storage import with_rv
from cluster.apiserver.watchevents import selected
from cluster.store import Compacted

if TYPE_CHECKING:
    from cluster.store import Store


def whole(
    store: Store, rt: ResourceType, namespace: str | None, labels: LabelSelector | None, fields: FieldSelector | None
) -> dict:
    """The whole list at the newest revision."""
    with transaction.atomic():
        revision = store.current_revision()
        kvs = store.range(rt.etcd_prefix, namespace if rt.namespaced else None)
    items = [strategy.present(rt, with_rv(kv)) for kv in kvs]
    items = [o for o in items if selected(o, labels, fields)]
    return {
        "kind": f"{rt.kind}List",
        "apiVersion": rt.api_version,
        "metadata": {"resourceVersion": str(revision)},
        "items": items,
    }


def page(
    store: Store,
    rt: ResourceType,
    namespace: str | None,
    labels: LabelSelector | None,
    fields: FieldSelector | None,
    limit: int,
    continue_token: str,
    resource_version: str,
    match: str,
) -> dict:
    """One page: from the watch cache (cacher.GetList: the next page starts after the last object
    selected) or from etcd (etcd3 store.GetList: after the last key read), at the newest revision or
    the one the continue token or an exact resourceVersion names."""
    key_prefix = rt.etcd_prefix + (f"{namespace}/" if rt.namespaced and namespace else "")
    with transaction.atomic():
        current = store.current_revision()
        plan = paging.plan(key_prefix, current, resource_version, match, limit, continue_token)
        if not plan.from_cache and rt.namespaced and namespace in (".", ".."):  # etcd3 prepareKey
            raise StatusError.unknown(500, f"invalid key: {go_quote(key_prefix[len('/registry') : -1])}")
        revision = current if plan.revision is None or plan.revision >= current else plan.revision
        if revision == current:
            kvs = store.range(rt.etcd_prefix, namespace if rt.namespaced else None)
        else:
            try:
                kvs = sorted(
                    (kv for kv in store.range_at(revision, rt.etcd_prefix) if kv.key.startswith(key_prefix)),
                    key=lambda kv: kv.key,
                )
            except Compacted:
                raise paging.compacted(plan.paging, plan.start_key, key_prefix) from None
    if plan.start_key:
        kvs = [kv for kv in kvs if kv.key >= plan.start_key]
    items: list[dict] = []
    more, last_key, last_selected = False, "", ""
    for index, kv in enumerate(kvs):
        if plan.limit > 0 and len(items) >= plan.limit:
            more = True
            break
        obj = strategy.present(rt, with_rv(kv))
        last_key = kv.key
        if selected(obj, labels, fields):
            items.append(obj)
            last_selected = kv.key
        if plan.from_cache and plan.limit > 0 and len(items) >= plan.limit:
            more = index < len(kvs) - 1
            break
    metadata: dict = {"resourceVersion": str(revision)}
    if more:
        metadata["continue"] = (
            paging.cache_continue(last_selected, key_prefix, revision)
            if plan.from_cache
            else paging.encode_continue(last_key + "\x00", key_prefix, revision)
        )
        if labels is None and fields is None:  # an exact count only without a selector, as upstream
            metadata["remainingItemCount"] = len(kvs) - plan.limit
    return {"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "metadata": metadata, "items": items}
