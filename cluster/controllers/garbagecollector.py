"""kube-controller-manager's garbage collector (pkg/controller/garbagecollector).

Objects name their owners in metadata.ownerReferences. When an owner is gone
(background propagation) its dependents are deleted; an owner deleted with
propagationPolicy=Foreground waits, with the foregroundDeletion finalizer,
until the dependents that block it (blockOwnerDeletion) are gone; with
propagationPolicy=Orphan the dependents lose their reference to it and the
orphan finalizer is removed. kube-apiserver adds those finalizers on delete and
removes the object once its last finalizer is gone.

Simplified: instead of upstream's in-memory dependency graph, dependents are
found by listing the owner's namespace (every namespace for a cluster-scoped
owner) when needed; Events are not tracked, as nothing owns or is owned by them
in kubeclass.
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import PREFERRED, ResourceType, by_kind, lookup
from cluster.apiserver.server import WatchEvent
from cluster.controllers.base import DONE, Controller, Result

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
TRACKED: tuple[ResourceType, ...] = tuple(r for r in PREFERRED if r.kind != "Event")


def _finalizers(obj: dict) -> list[str]:
    return list(obj.get("metadata", {}).get("finalizers") or [])


def _deleting(obj: dict) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def is_deleting_dependents(obj: dict) -> bool:
    return _deleting(obj) and FOREGROUND in _finalizers(obj)


def object_key(rt: ResourceType, namespace: str, name: str) -> str:
    return f"object:{rt.group_resource}:{namespace if rt.namespaced else ''}:{name}"


def _owner_type(ref: dict) -> ResourceType | None:
    try:
        return by_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
    except StatusError:
        return None


class GarbageCollector(Controller):
    name = "garbage-collector-controller"
    watches = tuple(r.plural for r in TRACKED)

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        rt = lookup(resource)
        meta = event.object.get("metadata", {})
        namespace = meta.get("namespace", "") if rt.namespaced else ""
        refs = meta.get("ownerReferences") or []
        if event.type == "DELETED":
            keys = [f"dependents:{namespace}:{meta.get('uid', '')}"]
            # An owner deleting in the foreground waits for exactly this: look at it again.
            for ref in refs:
                owner = _owner_type(ref)
                if owner is not None:
                    keys.append(object_key(owner, namespace, ref.get("name", "")))
            return keys
        # Like the graph builder: an object is looked at when one of its owners is absent
        # (or was replaced), or when it is itself deleting with a GC finalizer.
        dangling = any(not self._owner_present(ref, namespace) for ref in refs)
        if dangling or (_deleting(event.object) and {FOREGROUND, ORPHAN} & set(_finalizers(event.object))):
            return [object_key(rt, namespace, meta["name"])]
        return []

    def reconcile(self, key: str) -> Result:
        kind, _, rest = key.partition(":")
        # A refused request propagates: the driver requeues the key with back-off.
        if kind == "dependents":
            namespace, _, uid = rest.partition(":")
            for dependent, rt in self.dependents(uid, namespace):
                self.attempt_to_delete(dependent, rt)
            return DONE
        resource, namespace, name = rest.split(":", 2)
        return self.process(lookup(resource), namespace, name)

    def process(self, rt: ResourceType, namespace: str, name: str) -> Result:
        obj = self.lister.find(rt.plural, namespace, name)
        if obj is None:
            return DONE
        if _deleting(obj):
            if ORPHAN in _finalizers(obj):
                self.orphan_dependents(obj, rt)
            elif FOREGROUND in _finalizers(obj):
                self.process_deleting_dependents(obj, rt)
            return DONE
        if obj["metadata"].get("ownerReferences"):
            self.attempt_to_delete(obj, rt)
        return DONE

    # -- the dependency graph, read on demand ----------------------------------------
    def dependents(self, uid: str, namespace: str) -> list[tuple[dict, ResourceType]]:
        """Every object with an ownerReference to `uid` (owner in `namespace`, or cluster-scoped if empty)."""
        found = []
        for rt in TRACKED:
            if namespace and not rt.namespaced:
                continue
            for obj in self.lister.list(rt.plural, namespace or None):
                if any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or []):
                    found.append((obj, rt))
        return found

    def _owner(self, ref: dict, namespace: str) -> dict | None:
        """The live owner a reference names, or None when it is gone (or was replaced: another uid)."""
        rt = _owner_type(ref)
        if rt is None:
            return {}  # an unknown kind cannot be checked: treat as present, as upstream retries
        owner = self.lister.find(rt.plural, namespace if rt.namespaced else "", ref.get("name", ""))
        return owner if owner is not None and owner["metadata"].get("uid") == ref.get("uid") else None

    def _owner_present(self, ref: dict, namespace: str) -> bool:
        rt = _owner_type(ref)
        if rt is None:
            return True  # as _owner: an unknown kind counts as present
        return self.lister.uid(rt.plural, namespace if rt.namespaced else "", ref.get("name", "")) == ref.get("uid")

    # -- attemptToDeleteItem -----------------------------------------------------
    def attempt_to_delete(self, obj: dict, rt: ResourceType) -> None:
        meta = obj["metadata"]
        if _deleting(obj):
            if is_deleting_dependents(obj):
                self.process_deleting_dependents(obj, rt)
            return
        namespace = meta.get("namespace", "")
        solid, dangling, waiting = [], [], []
        for ref in meta.get("ownerReferences") or []:
            owner = self._owner(ref, namespace)
            if owner is None:
                dangling.append(ref)
            elif owner and is_deleting_dependents(owner):
                waiting.append(ref)
            else:
                solid.append(ref)
        if solid:
            if dangling or waiting:
                self._remove_owner_refs(obj, rt, {r.get("uid") for r in dangling + waiting})
            return
        if waiting and self.dependents(meta["uid"], namespace if rt.namespaced else ""):
            self._delete(obj, rt, "Foreground")
            return
        finalizers = _finalizers(obj)
        policy = "Orphan" if ORPHAN in finalizers else "Foreground" if FOREGROUND in finalizers else "Background"
        self._delete(obj, rt, policy)

    def _delete(self, obj: dict, rt: ResourceType, policy: str) -> None:
        meta = obj["metadata"]
        try:
            self.api.delete(
                rt,
                meta.get("namespace", ""),
                meta["name"],
                propagation_policy=policy,
                preconditions={"uid": meta["uid"]},
            )
        except StatusError as err:
            if err.code not in (404, 409):
                raise

    def _remove_owner_refs(self, obj: dict, rt: ResourceType, uids: set[str]) -> None:
        def put(latest: dict) -> dict:
            refs = [r for r in latest["metadata"].get("ownerReferences") or [] if r.get("uid") not in uids]
            if refs:
                latest["metadata"]["ownerReferences"] = refs
            else:
                latest["metadata"].pop("ownerReferences", None)
            return latest

        meta = obj["metadata"]
        try:
            self.api.update_with(rt, meta.get("namespace", ""), meta["name"], put)
        except StatusError as err:
            if err.code != 404:
                raise

    def _remove_finalizer(self, obj: dict, rt: ResourceType, finalizer: str) -> None:
        def put(latest: dict) -> dict:
            kept = [f for f in latest["metadata"].get("finalizers") or [] if f != finalizer]
            if kept:
                latest["metadata"]["finalizers"] = kept
            else:
                latest["metadata"].pop("finalizers", None)
            return latest

        meta = obj["metadata"]
        self.api.update_with(rt, meta.get("namespace", ""), meta["name"], put)

    # -- foreground and orphan ----------------------------------------------------
    def process_deleting_dependents(self, owner: dict, rt: ResourceType) -> None:
        """Delete the dependents (blocking ones first); drop the finalizer once none blocks."""
        uid = owner["metadata"]["uid"]
        namespace = owner["metadata"].get("namespace", "") if rt.namespaced else ""
        dependents = self.dependents(uid, namespace)
        blocking = [(d, drt) for d, drt in dependents if _blocks(d, uid)]
        if not blocking:
            self._remove_finalizer(owner, rt, FOREGROUND)
            return
        others = [(d, drt) for d, drt in dependents if not _blocks(d, uid)]
        for dependent, drt in blocking + others:
            if not _deleting(dependent) or is_deleting_dependents(dependent):
                self.attempt_to_delete(dependent, drt)

    def orphan_dependents(self, owner: dict, rt: ResourceType) -> None:
        uid = owner["metadata"]["uid"]
        namespace = owner["metadata"].get("namespace", "") if rt.namespaced else ""
        for dependent, drt in self.dependents(uid, namespace):
            self._remove_owner_refs(dependent, drt, {uid})
        self._remove_finalizer(owner, rt, ORPHAN)


def _blocks(dependent: dict, owner_uid: str) -> bool:
    return any(
        ref.get("uid") == owner_uid and ref.get("blockOwnerDeletion")
        for ref in dependent["metadata"].get("ownerReferences") or []
    )
