"""client-go's shared informers, indexers and listers (k8s.io/client-go/tools/cache).

Upstream components never read kube-apiserver on every sync: a shared informer
lists a resource once, keeps a local store current from the watch, and the
controllers read that store through listers, using indexes for the questions
they ask often ("the pods on node X", "the pods this ReplicaSet controls").
The reconciler's driver (cluster/reconciler/driver.py) does the same: it fills
one `SharedInformers` from its single watch stream and hands every component a
`CachedLister`. Outside the reconciler (a test calling one `reconcile`) a
component reads through `Lister`, which asks the API server each time and so
gives the same answers without a cache.

Objects a lister's `list` returns are shared with the cache and must not be
changed (as upstream's "do not mutate informer objects" rule); `get` returns a
private copy, since a component often edits what it read and writes it back.
The indexes are upstream's: `spec.nodeName` (PodNodeNameKeyIndex) and
`podControllerUID` with orphans under `_ORPHAN_POD`, plus the namespace.
"""

from __future__ import annotations

import builtins  # Lister.list shadows the built-in in the listers' annotations
from typing import Callable, Iterable

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import lookup
from cluster.apiserver.field_selectors import parse_field_selector
from cluster.apiserver.selectors import parse_label_selector
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.jsoncopy import deep_copy

NAMESPACE_INDEX = "namespace"
NODE_NAME_INDEX = "spec.nodeName"
CONTROLLER_UID_INDEX = "podControllerUID"
ORPHAN_INDEX_KEY = "_ORPHAN_POD"

JOURNAL_LENGTH = 100_000  # changes kept for readers that follow them (scheduler cache, ReplicaSet views)

IndexFunc = Callable[[dict], str]
#: one journal entry as readers see it: the object's key, the node its old version was bound to
#: ("" if none, or if it is new), and the object as it is now (None once deleted)
Change = tuple[str, str, "dict | None"]


def _namespace_of(obj: dict) -> str:
    return obj["metadata"].get("namespace") or ""


def _node_name_of(obj: dict) -> str:
    return (obj.get("spec") or {}).get("nodeName") or ""


def _controller_uid_of(obj: dict) -> str:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid") or ""
    return ORPHAN_INDEX_KEY


INDEXERS: dict[str, dict[str, IndexFunc]] = {
    "pods": {NODE_NAME_INDEX: _node_name_of, CONTROLLER_UID_INDEX: _controller_uid_of},
    "replicasets": {CONTROLLER_UID_INDEX: _controller_uid_of},
    "controllerrevisions": {CONTROLLER_UID_INDEX: _controller_uid_of},
    "jobs": {CONTROLLER_UID_INDEX: _controller_uid_of},
}


def object_key(obj: dict) -> str:
    """cache.MetaNamespaceKeyFunc: `namespace/name`, or `name` for cluster-scoped objects."""
    return _key(_namespace_of(obj), obj["metadata"]["name"])


def _key(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


class Informer:
    """One resource's local store and indexes (cache.ThreadSafeStore with its Indexers)."""

    def __init__(self, resource: str) -> None:
        self.resource = resource
        self.indexers: dict[str, IndexFunc] = {NAMESPACE_INDEX: _namespace_of, **INDEXERS.get(resource, {})}
        self.items: dict[str, dict] = {}
        self.indices: dict[str, dict[str, dict[str, dict]]] = {name: {} for name in self.indexers}
        #: every change as (key, the node the old object was bound to); position = journal_start + index.
        #: Readers get the current object from the store, so the journal holds no objects.
        self.journal: list[tuple[str, str]] = []
        self.journal_start = 0

    def replace(self, objects: Iterable[dict]) -> None:
        self.journal_start += len(self.journal) + 1  # a relist: readers of the journal must start over
        self.journal.clear()
        self.items.clear()
        for bucket in self.indices.values():
            bucket.clear()
        for obj in objects:
            self._add(object_key(obj), obj)

    def apply(self, event: WatchEvent) -> None:
        key = object_key(event.object)
        old = self.items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        if event.type != "DELETED":
            self._add(key, event.object)
        self.journal.append((key, _node_name_of(old) if old is not None else ""))
        if len(self.journal) > JOURNAL_LENGTH:
            dropped = len(self.journal) // 2
            del self.journal[:dropped]
            self.journal_start += dropped

    def changes_since(self, position: int) -> tuple[list[Change] | None, int]:
        """The changes after `position` and the position to ask from next; None if they are gone."""
        end = self.journal_start + len(self.journal)
        if position < self.journal_start:
            return None, end
        changes = self.journal[position - self.journal_start :]
        return [(key, old_node, self.items.get(key)) for key, old_node in changes], end

    def _add(self, key: str, obj: dict) -> None:
        self.items[key] = obj
        for name, func in self.indexers.items():
            value = func(obj)
            self.indices[name].setdefault(value, {})[key] = obj

    def _unindex(self, key: str, obj: dict) -> None:
        for name, func in self.indexers.items():
            value = func(obj)
            bucket = self.indices[name].get(value)
            if bucket is not None:
                bucket.pop(key, None)
                if not bucket:
                    del self.indices[name][value]

    def by_index(self, index: str, value: str) -> list[dict]:
        return list(self.indices[index].get(value, {}).values())


class SharedInformers:
    """The informers of every resource the reconciler watches, filled by one list and one watch."""

    def __init__(self, api: APIServer, resources: Iterable[str]) -> None:
        self.api = api
        self.informers = {resource: Informer(resource) for resource in resources}

    def sync(self) -> None:
        """List every resource (a start, or a resync after 410 Gone)."""
        for resource, informer in self.informers.items():
            informer.replace(self.api.list(resource)["items"])

    def apply(self, resource: str, event: WatchEvent) -> None:
        informer = self.informers.get(resource)
        if informer is not None:
            informer.apply(event)


def _index_value(resource: str, index: str, obj: dict) -> str:
    if index == NAMESPACE_INDEX:
        return _namespace_of(obj)
    return INDEXERS[resource][index](obj)


class Lister:
    """Reads straight from the API server: the same questions, no cache."""

    #: whether answers come from an informer cache (and its journal can be followed)
    cached = False

    def __init__(self, api: APIServer) -> None:
        self.api = api

    def get(self, resource: str, namespace: str | None, name: str) -> dict:
        return self.api.get(resource, namespace or "", name)

    def find(self, resource: str, namespace: str | None, name: str) -> dict | None:
        """`get`, with None for an object that does not exist."""
        return self._fetch(resource, namespace, name)

    def _fetch(self, resource: str, namespace: str | None, name: str) -> dict | None:
        """The object from the API server, None when it does not exist (never through an override of `get`)."""
        try:
            return self.api.get(resource, namespace or "", name)
        except StatusError as err:
            if err.code == 404:
                return None
            raise

    def peek(self, resource: str, namespace: str | None, name: str) -> dict | None:
        """`find` for a reader that changes nothing: the cache's own object, not a copy.

        Upstream's listers hand out shared objects that callers must not modify;
        `get` and `find` copy, `peek` (like `list`) does not."""
        return self.find(resource, namespace, name)

    def uid(self, resource: str, namespace: str | None, name: str) -> str | None:
        """The object's uid, or None when it does not exist (a check that needs no copy)."""
        obj = self.peek(resource, namespace, name)
        return None if obj is None else obj["metadata"].get("uid")

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> builtins.list[dict]:
        return self.api.list(resource, namespace, label_selector=label_selector, field_selector=field_selector)["items"]

    def by_index(self, resource: str, index: str, value: str) -> builtins.list[dict]:
        return [obj for obj in self.list(resource) if _index_value(resource, index, obj) == value]

    def changes_since(self, resource: str, position: int) -> tuple[builtins.list[Change] | None, int]:
        """The changes since `position`; None when unknown (read everything again)."""
        return None, 0

    def owned_or_orphans(self, resource: str, namespace: str, uid: str) -> builtins.list[dict]:
        """controller.FilterPodsByOwner: the objects `uid` controls, then the orphans of its namespace."""
        return [obj for obj in self.list(resource, namespace) if _controller_uid_of(obj) in (uid, ORPHAN_INDEX_KEY)]


class CachedLister(Lister):
    """Reads from the shared informers; resources nobody watches still go to the API server."""

    cached = True

    def __init__(self, api: APIServer, informers: SharedInformers) -> None:
        super().__init__(api)
        self.informers = informers

    def get(self, resource: str, namespace: str | None, name: str) -> dict:
        obj = self.find(resource, namespace, name)
        if obj is None:
            raise StatusError.not_found(lookup(resource).group_resource, name)
        return obj

    def find(self, resource: str, namespace: str | None, name: str) -> dict | None:
        informer = self.informers.informers.get(resource)
        if informer is None:
            return self._fetch(resource, namespace, name)
        obj = informer.items.get(_key(namespace, name))
        return None if obj is None else deep_copy(obj)

    def peek(self, resource: str, namespace: str | None, name: str) -> dict | None:
        informer = self.informers.informers.get(resource)
        if informer is None:
            return self._fetch(resource, namespace, name)
        return informer.items.get(_key(namespace, name))

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> builtins.list[dict]:
        informer = self.informers.informers.get(resource)
        if informer is None:
            return super().list(resource, namespace, label_selector, field_selector)
        chosen = informer.indices[NAMESPACE_INDEX].get(namespace, {}) if namespace else informer.items
        items = [chosen[key] for key in sorted(chosen)]  # in the API server's (etcd key) order
        labels, fields = parse_label_selector(label_selector), parse_field_selector(field_selector)
        if labels is not None:
            items = [o for o in items if labels.matches(o["metadata"].get("labels") or {})]
        if fields is not None:
            items = [o for o in items if fields.matches(o)]
        return items

    def by_index(self, resource: str, index: str, value: str) -> builtins.list[dict]:
        informer = self.informers.informers.get(resource)
        if informer is None:
            return super().by_index(resource, index, value)
        return informer.by_index(index, value)

    def changes_since(self, resource: str, position: int) -> tuple[builtins.list[Change] | None, int]:
        informer = self.informers.informers.get(resource)
        return (None, 0) if informer is None else informer.changes_since(position)

    def owned_or_orphans(self, resource: str, namespace: str, uid: str) -> builtins.list[dict]:
        informer = self.informers.informers.get(resource)
        if informer is None:
            return super().owned_or_orphans(resource, namespace, uid)
        orphans = [
            o for o in informer.by_index(CONTROLLER_UID_INDEX, ORPHAN_INDEX_KEY) if _namespace_of(o) == namespace
        ]
        return informer.by_index(CONTROLLER_UID_INDEX, uid) + orphans
