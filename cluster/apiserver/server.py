"""kube-apiserver's request handling for one cluster: the generic registry.

Every caller — kubectl over HTTP, `manage.py kubectl`, the dashboard's terminal,
the simulated controllers, scheduler and kubelets — goes through `APIServer`,
which runs the request pipeline kube-apiserver runs: decode, defaulting,
admission, validation, the etcd write with optimistic concurrency, and the
watch that tells everyone else. Each request is one database transaction, or
part of the caller's (a reconciler's unit of work): it writes only after every
check has passed, so a refused request leaves nothing behind either way.

A version served besides the storage version (events.k8s.io/v1 Events,
autoscaling/v1 HorizontalPodAutoscalers) is decoded and schema-checked as
itself, converted to the storage version for the rest of the pipeline, and
converted back for the answer (cluster.apiserver.conversion).

Every write records metadata.managedFields, and PATCH with application/apply-patch+yaml
is server-side apply (cluster/apiserver/managedfields.py). The field manager is the
request's `fieldManager`, else the User-Agent's first word; the in-process kubectl's is
kubectl's own per command (kubectl-create, …), an in-process component's its binary's name
(kube-controller-manager, kube-scheduler, kubelet), as upstream's User-Agents make it. The
reconciler's components record nothing unless KUBECLASS_COMPONENT_MANAGED_FIELDS is on (cost).

Simplified: no authorization beyond the cluster token.
"""
from __future__ import annotations

import builtins  # APIServer.list shadows the built-in in the annotations below it
import copy
import datetime as dt
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

import orjson
from django.conf import settings
from django.db import connection, transaction

from cluster import clock, decoding, steps
from cluster.apiserver import admission, conversion, fieldvalidation, managedfields, paging, patch as patching, strategy
from cluster.apiserver.errors import StatusError, field_error, go_quote
from cluster.apiserver.hooks import ClientHooks, ObservedKind, Observer
from cluster.apiserver.resources import ResourceType, by_kind, lookup
from cluster.apiserver.selectors import FieldSelector, LabelSelector, parse_field_selector, parse_label_selector
from cluster.apiserver.validation.names import validate_path_segment_name
from cluster.jsoncopy import deep_copy
from cluster.models import Cluster
from cluster.store import (Compacted, KeyExists, KeyMissing, KeyValue, RevisionMismatch, SpaceExceeded, Store,
                           Unencodable, encode_value)
from cluster.store import WatchEvent as StoreEvent

if TYPE_CHECKING:
    from cluster.events import EventCorrelator

GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # upstream's utilrand alphabet
MAX_NAME_GENERATION_CREATE_ATTEMPTS = 8  # upstream's maxNameGenerationCreateAttempts


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, as the watch API names them
    object: dict
    revision: int


def resolve_cluster(cluster: Cluster | str) -> Cluster:
    if isinstance(cluster, Cluster):
        return cluster
    try:
        return Cluster.objects.get(name=cluster)
    except Cluster.DoesNotExist:
        raise StatusError(404, "NotFound", f'cluster "{cluster}" not found') from None


class APIServer:
    """The API of one cluster. `client` names the caller in step events; `hooks` is what an
    in-process caller lends it (cluster/apiserver/hooks.py)."""

    def __init__(self, cluster: Cluster | str, client: str = "kubectl", hooks: ClientHooks | None = None) -> None:
        self.cluster = resolve_cluster(cluster)
        self.client = client
        self.hooks = hooks if hooks is not None else ClientHooks()
        self.store = Store(self.cluster, journal=self.hooks.journal, held=self.hooks.held)
        # The step log of this client's requests, when step events are on (cluster/steps.py).
        self.recorder: steps.Recorder | None = steps.Recorder(self) if steps.enabled() else None
        self.observers: list[Observer] = [self.recorder.observe] if self.recorder is not None else []
        # The client's EventCorrelator, made on its first Event (cluster/events.py), as each
        # EventBroadcaster upstream has its own.
        self.event_correlator: EventCorrelator | None = None

    def add_observer(self, observer: Observer) -> None:
        """Hear every request, write and traffic report of this client from now on."""
        self.observers.append(observer)

    def report(self, kind: ObservedKind, detail: dict) -> None:
        """Tell the observers of something that happened outside a request (kube-proxy's traffic)."""
        for observer in list(self.observers):
            observer(kind, detail)

    # -- helpers ----------------------------------------------------------
    def now(self) -> dt.datetime:
        return clock.now(self.cluster)

    def _seeded(self, *parts: object) -> bytes:
        text = ":".join(str(p) for p in (self.cluster.seed, self.cluster.name, *parts))
        return hashlib.sha256(text.encode()).digest()

    def _uid(self, revision: int) -> str:
        return _uuid4_text(self._seeded("uid", revision))

    def random_suffix(self, *parts: object, length: int = 5) -> str:
        digest = self._seeded("suffix", *parts)
        return "".join(GENERATE_NAME_ALPHABET[b % len(GENERATE_NAME_ALPHABET)] for b in digest[:length])

    def _request(self, verb: str, rt: ResourceType, namespace: str | None, name: str, subresource: str = "") -> None:
        if self.observers:
            self._emit("request", {"verb": verb, "resource": rt, "namespace": namespace or "", "name": name,
                                   "subresource": subresource})

    def _emit(self, kind: ObservedKind, detail: dict) -> None:
        for observer in self.observers:
            observer(kind, detail)

    @staticmethod
    def _with_rv(kv: KeyValue) -> dict:
        obj = kv.value
        obj.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
        return obj

    def _read(self, rt: ResourceType, namespace: str, name: str) -> KeyValue:
        kv = self.store.get(storage_key(rt, namespace, name))
        if kv is None:
            raise StatusError.not_found(rt.group_resource, name)
        return kv

    # -- reads ------------------------------------------------------------
    def get(self, rt: ResourceType | str, namespace: str | None, name: str) -> dict:
        rt = _rt(rt)
        obj = self._with_rv(self._read(rt, _ns(rt, namespace), name))
        return strategy.present(rt, obj)

    def list(self, rt: ResourceType | str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int = 0, continue_token: str = "",
             resource_version: str = "", resource_version_match: str = "") -> dict:
        """A list, whole or one page of it (`limit`, `continue_token`), as kube-apiserver's storage answers
        it (cluster/apiserver/paging.py); a field selector's labels are checked against the kind
        (cluster/apiserver/selectors.py)."""
        rt = _rt(rt)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt)
        if not (limit > 0 or continue_token or resource_version not in ("", "0") or resource_version_match):
            with transaction.atomic():
                revision = self.store.current_revision()
                kvs = self.store.range(rt.etcd_prefix, namespace if rt.namespaced else None)
            items = [strategy.present(rt, self._with_rv(kv)) for kv in kvs]
            items = [o for o in items if _selected(o, labels, fields)]
            return {"kind": f"{rt.kind}List", "apiVersion": rt.api_version,
                    "metadata": {"resourceVersion": str(revision)}, "items": items}
        return self._list_page(rt, namespace, labels, fields, limit, continue_token, resource_version,
                               resource_version_match)

    def _list_page(self, rt: ResourceType, namespace: str | None, labels: LabelSelector | None,
                   fields: FieldSelector | None, limit: int, continue_token: str, resource_version: str,
                   match: str) -> dict:
        """One page: from the watch cache (cacher.GetList: the next page starts after the last object
        selected) or from etcd (etcd3 store.GetList: after the last key read), at the newest revision or
        the one the continue token or an exact resourceVersion names."""
        key_prefix = rt.etcd_prefix + (f"{namespace}/" if rt.namespaced and namespace else "")
        with transaction.atomic():
            current = self.store.current_revision()
            page = paging.plan(key_prefix, current, resource_version, match, limit, continue_token)
            if not page.from_cache and rt.namespaced and namespace in (".", ".."):  # etcd3 prepareKey
                raise StatusError.unknown(500, f"invalid key: {go_quote(key_prefix[len('/registry'):-1])}")
            revision = current if page.revision is None or page.revision >= current else page.revision
            if revision == current:
                kvs = self.store.range(rt.etcd_prefix, namespace if rt.namespaced else None)
            else:
                try:
                    kvs = sorted((kv for kv in self.store.range_at(revision, rt.etcd_prefix)
                                  if kv.key.startswith(key_prefix)), key=lambda kv: kv.key)
                except Compacted:
                    raise paging.compacted(page.paging, page.start_key, key_prefix) from None
        if page.start_key:
            kvs = [kv for kv in kvs if kv.key >= page.start_key]
        items: list[dict] = []
        more, last_key, last_selected = False, "", ""
        for index, kv in enumerate(kvs):
            if page.limit > 0 and len(items) >= page.limit:
                more = True
                break
            obj = strategy.present(rt, self._with_rv(kv))
            last_key = kv.key
            if _selected(obj, labels, fields):
                items.append(obj)
                last_selected = kv.key
            if page.from_cache and page.limit > 0 and len(items) >= page.limit:
                more = index < len(kvs) - 1
                break
        metadata: dict = {"resourceVersion": str(revision)}
        if more:
            metadata["continue"] = (paging.cache_continue(last_selected, key_prefix, revision) if page.from_cache
                                    else paging.encode_continue(last_key + "\x00", key_prefix, revision))
            if labels is None and fields is None:  # an exact count only without a selector, as upstream
                metadata["remainingItemCount"] = len(kvs) - page.limit
        return {"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "metadata": metadata, "items": items}

    def list_at(self, rt: ResourceType | str, revision: int) -> builtins.list[dict]:
        """The objects of one resource as they were right after `revision` (time travel, read-only)."""
        rt = _rt(rt)
        try:
            kvs = self.store.range_at(revision, rt.etcd_prefix)
        except Compacted as err:
            raise StatusError.gone(f"too old resource version: {err.requested} ({err.compacted})") from None
        return [strategy.present(rt, self._with_rv(kv)) for kv in kvs]

    def etcd_keys(self, revision: int | None = None) -> builtins.list[tuple[str, int, int, int]]:
        """What etcd holds: every live key with create revision, mod revision and version."""
        if revision is None:
            return self.store.keys()
        return [(kv.key, kv.create_revision, kv.mod_revision, kv.version) for kv in self.store.range_at(revision)]

    def etcd_value(self, key: str) -> dict | None:
        kv = self.store.get(key)
        return None if kv is None else self._with_rv(kv)

    # -- writes -----------------------------------------------------------
    def create(self, rt: ResourceType | str, namespace: str | None, body: object, dry_run: bool = False,
               field_validation: str = "Strict",
               findings: fieldvalidation.BodyFindings = fieldvalidation.NOTHING, field_manager: str = "") -> dict:
        """POST: `findings` are what the HTTP layer saw in the raw body (repeated keys), for field validation."""
        served = _rt(rt)
        rt = conversion.storage_rt(served)
        obj = _decode_body(served, body)
        meta = obj.setdefault("metadata", {})
        namespace = _ns(rt, namespace or meta.get("namespace") or "default")
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise StatusError.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        fieldvalidation.check_body(served, obj, field_validation, findings)
        self._request("create", served, namespace, meta.get("name") or meta.get("generateName", ""))
        obj = conversion.request_to_storage(served, obj)
        with _transaction(dry_run, self.store):
            created = self._create_locked(rt, namespace, obj, dry_run, field_manager)
        return conversion.to_served(served, created)

    def _create_locked(self, rt: ResourceType, namespace: str, obj: dict, dry_run: bool,
                       manager: str | None = "") -> dict:
        """`manager` None: the caller has set managedFields already (an apply that creates)."""
        meta = obj["metadata"]
        provided = meta.get("managedFields")
        for key in ("resourceVersion", "uid", "creationTimestamp", "deletionTimestamp", "generation",
                    "deletionGracePeriodSeconds", "managedFields", "selfLink"):
            meta.pop(key, None)
        admission.admit_create(self, rt, obj)
        strategy.prepare_for_create(self, rt, obj)
        if manager is None:
            if provided:
                meta["managedFields"] = provided
        else:
            self._record_fields(rt, None, obj, provided, manager, "")
        revision = self.store.reserve_revision()
        generate = "" if meta.get("name") else meta.get("generateName") or ""
        # A generated name that is taken is drawn again, up to 8 attempts in all, as
        # kube-apiserver's createWithGenerateNameRetry (RetryGenerateName, GA in 1.32):
        # 5 letters from 27 collide within a few thousand names of one prefix.
        meta["uid"] = self._uid(revision)
        meta["creationTimestamp"] = clock.rfc3339(self.now())
        for attempt in range(MAX_NAME_GENERATION_CREATE_ATTEMPTS if generate else 1):
            if generate:
                meta["name"] = generate + self.random_suffix(revision, *([attempt] if attempt else []))
            strategy.prepare_named(rt, obj)
            strategy.validate_create(rt, obj)
            if not attempt:
                admission.validate_create(self, rt, obj)
            stored = _stored(obj)
            text = _encoded(stored)
            try:
                kv = self.store.create(rt.key(namespace, meta["name"]), stored, revision, rt.etcd_prefix,
                                       namespace if rt.namespaced else "", text=text)
                break
            except KeyExists:
                continue
            except SpaceExceeded:  # what kube-apiserver answers when etcd's quota is used up
                # etcd's own error, which InterpretCreateError passes on as it is: a 500 with no reason
                raise StatusError.unknown(500, "etcdserver: mvcc: database space exceeded") from None
        else:
            raise StatusError.already_exists(rt.group_resource, meta["name"])
        self._emit("write", {"verb": "create", "resource": rt, "key": kv.key, "revision": revision,
                             "object": kv.value, "old": None})
        return strategy.present(rt, self._with_rv(kv))

    def update(self, rt: ResourceType | str, namespace: str | None, name: str, body: object,
               subresource: str = "", dry_run: bool = False, field_validation: str = "Strict",
               findings: fieldvalidation.BodyFindings = fieldvalidation.NOTHING, field_manager: str = "") -> dict:
        served = _rt(rt)
        rt = conversion.storage_rt(served)
        namespace = _ns(rt, namespace)
        obj = _decode_body(served, body, subresource)
        fieldvalidation.check_body(served, obj, field_validation, findings)
        self._request("update", served, namespace, name, subresource)
        obj = conversion.request_to_storage(served, obj)
        uid = (obj.get("metadata") or {}).get("uid") or ""
        with _transaction(dry_run, self.store):
            result = self._update_locked(rt, namespace, name, lambda _old: obj, subresource,
                                         precondition=True, uid_precondition=uid, manager=field_manager)
        return conversion.to_served(served, result)

    def patch(self, rt: ResourceType | str, namespace: str | None, name: str, patch_body: object,
              patch_type: str, subresource: str = "", dry_run: bool = False,
              field_validation: str = "Strict", findings: fieldvalidation.PatchFindings | None = None,
              field_manager: str = "", force: bool = False) -> dict:
        """PATCH: the patch applies to the served version of the stored object, and the result is decoded as
        patch.go decodes it (cluster/apiserver/fieldvalidation.py); `findings` are the strict errors of the
        patch document itself. An apply patch is server-side apply (`force` takes conflicting fields over)."""
        served = _rt(rt)
        rt = conversion.storage_rt(served)
        namespace = _ns(rt, namespace)
        patch_body = clean_copy({"patch": patch_body})["patch"]
        if patch_type == patching.APPLY_PATCH:
            return self.apply(served, namespace, name, patch_body, subresource, dry_run, field_validation,
                              field_manager, force)[0]

        def apply(old: dict) -> dict:  # the patch applies to the served version of the object
            base = strategy.view_for_subresource(served, old, subresource)
            patched = patching.apply_patch(served, base, patch_body, patch_type)
            fieldvalidation.check_patched(served, patched, field_validation, patch_type, patch_body, findings)
            return patched

        self._request("patch", served, namespace, name, subresource)
        with _transaction(dry_run, self.store):
            result = self._update_locked(rt, namespace, name, conversion.in_served(served, apply), subresource,
                                         precondition=True, manager=field_manager)
        return conversion.to_served(served, result)

    def apply(self, rt: ResourceType | str, namespace: str | None, name: str, body: object, subresource: str = "",
              dry_run: bool = False, field_validation: str = "Strict", manager: str = "",
              force: bool = False) -> tuple[dict, bool]:
        """PATCH application/apply-patch+yaml: merge the configuration by the managers' field sets, creating the
        object when there is none (applyPatcher; a status apply needs the object). Returns the object and
        whether it was created (201 rather than 200)."""
        served = _rt(rt)
        rt = conversion.storage_rt(served)
        namespace = _ns(rt, namespace)
        body = clean_copy({"patch": body})["patch"]
        if not manager:
            raise StatusError.invalid("PatchOptions", "meta.k8s.io", "", [
                field_error("required", "fieldManager", "is required for apply patch")])
        config = _decode_body(served, body, subresource)
        meta = config.get("metadata") or {}
        if meta.get("managedFields") is not None:
            raise StatusError.bad_request("metadata.managedFields must be nil")
        fieldvalidation.check_body(served, config, field_validation, fieldvalidation.NOTHING)
        field = managedfields.root_for(served)
        has_status = "status" in rt.subresources

        def applied(live: dict) -> dict:
            entries = managedfields.decode(live.get("metadata", {}).get("managedFields")) or []
            result = managedfields.apply(live, config, field, entries, manager, served.api_version, subresource,
                                         has_status, force, clock.rfc3339(self.now()))
            result.obj.setdefault("metadata", {})["managedFields"] = managedfields.encode(result.entries)
            return result.obj

        self._request("patch", served, namespace, name, subresource)
        with _transaction(dry_run, self.store):
            exists = bool(subresource) or self.store.get(storage_key(rt, namespace, name)) is not None
            if exists:
                result = self._update_locked(rt, namespace, name, conversion.in_served(served, applied), subresource,
                                             precondition=True, manager=None)
            else:
                _check_identity(rt, config, namespace, name)
                created = applied({"apiVersion": served.api_version, "kind": served.kind, "metadata": {}})
                result = self._create_locked(rt, namespace, conversion.request_to_storage(served, created), dry_run,
                                             manager=None)
        return conversion.to_served(served, result), not exists

    def _record_fields(self, rt: ResourceType, old: dict | None, new: dict, provided: object, manager: str,
                       subresource: str) -> None:
        """managedFields after an Update-operation write: the request's own when it sends some (and writes
        the main resource), else the live object's, with what this write changed given to `manager`.

        The reconciler's components (clients lent the driver's journal) record nothing unless
        KUBECLASS_COMPONENT_MANAGED_FIELDS is on: the sets cost a fifth more CPU in bench/reconcile.py
        (see cluster/apiserver/managedfields.py). Their writes keep the live entries as they are."""
        meta = new["metadata"]
        if self.hooks.journal is not None and not settings.KUBECLASS_COMPONENT_MANAGED_FIELDS:
            live = (old or {}).get("metadata", {}).get("managedFields")
            if live:
                meta["managedFields"] = live
            else:
                meta.pop("managedFields", None)
            return
        entries = managedfields.decode(provided) if provided and not subresource else None
        if entries is None:
            entries = managedfields.decode((old or {}).get("metadata", {}).get("managedFields")) or []
        has_status = "status" in rt.subresources
        after = managedfields.comparable(new, subresource, has_status)
        before = managedfields.comparable(old, subresource, has_status) if old is not None else \
            managedfields.zero_object(rt.kind, after)
        entries = managedfields.record_update(entries, before, after, managedfields.root_for(rt),
                                              manager or self.field_manager, rt.api_version, subresource,
                                              clock.rfc3339(self.now()))
        encoded = managedfields.encode(entries)
        if encoded:
            meta["managedFields"] = encoded
        else:
            meta.pop("managedFields", None)

    # What the in-process kubectl names its writes for the command it runs (kubectl-create, …); see field_manager.
    default_field_manager: str = ""

    @property
    def field_manager(self) -> str:
        """The manager an in-process client's writes are recorded under: `default_field_manager` when set,
        else its binary's name, which is what upstream's default (the User-Agent's first word) makes of
        each component's client."""
        if self.default_field_manager:
            return self.default_field_manager
        name = self.client.split("/")[0]
        if name.endswith("-controller"):
            return "kube-controller-manager"
        return name

    def _update_locked(self, rt: ResourceType, namespace: str, name: str, mutate: Callable[[dict], dict],
                       subresource: str, precondition: bool, uid_precondition: str = "",
                       manager: str | None = "") -> dict:
        """`manager` "" is this client's own; None leaves managedFields as `mutate` made them (an apply)."""
        kv = self._read(rt, namespace, name)
        old = self._with_rv(kv)
        if uid_precondition and uid_precondition != old["metadata"].get("uid"):
            # a PUT's uid is a storage precondition (DefaultUpdatedObjectInfo.Preconditions), checked by
            # GuaranteedUpdate before anything else and reported as its StorageError
            raise StatusError.conflict(rt.group_resource, name, (
                f"StorageError: invalid object, Code: 4, Key: {kv.key}, ResourceVersion: 0, AdditionalErrorMsg: "
                f"Precondition failed: UID in precondition: {uid_precondition}, UID in object meta: "
                f"{old['metadata'].get('uid', '')}"))
        incoming = mutate(deep_copy(old))
        wanted_rv = (incoming.get("metadata") or {}).get("resourceVersion")
        if precondition and wanted_rv and wanted_rv != str(kv.mod_revision):
            raise StatusError.conflict(rt.group_resource, name)
        new = strategy.merge_subresource(rt, old, incoming, subresource)
        if manager is None and subresource:  # an apply to a subresource: its own managedFields, not the live ones
            new["metadata"]["managedFields"] = (incoming.get("metadata") or {}).get("managedFields")
        _check_identity(rt, new, namespace, name)
        admission.admit_update(self, rt, new, old, subresource)
        strategy.prepare_for_update(self, rt, new, old, subresource)
        if manager is not None and subresource != "binding":  # BindingREST writes storage directly
            self._record_fields(rt, old, new, new["metadata"].get("managedFields"), manager, subresource)
        strategy.validate_update(rt, new, old, subresource)
        return self._write_update(rt, kv, new, old)

    def _write_update(self, rt: ResourceType, kv: KeyValue, new: dict, old: dict) -> dict:
        meta = new["metadata"]
        if _finalized(meta) and not (rt.kind == "Namespace" and (new.get("spec") or {}).get("finalizers")):
            return self._delete_now(rt, kv, old)  # a Namespace also waits for its spec.finalizers
        stored_new, stored_old = _stored(new), _stored(old)
        if stored_new == stored_old:
            return strategy.present(rt, old)  # no-op writes do not bump resourceVersion, as upstream
        text = _encoded(stored_new)
        revision = self.store.reserve_revision()
        try:
            written = self.store.update(kv.key, stored_new, revision, expected_mod_revision=kv.mod_revision,
                                        text=text)
        except (RevisionMismatch, KeyMissing):
            raise StatusError.conflict(rt.group_resource, meta["name"]) from None
        self._emit("write", {"verb": "update", "resource": rt, "key": kv.key, "revision": revision,
                             "object": written.value, "old": stored_old})
        return strategy.present(rt, self._with_rv(written))

    def update_with(self, rt: ResourceType | str, namespace: str | None, name: str,
                    mutate: Callable[[dict], dict | None], subresource: str = "") -> dict:
        """Read-modify-write in one transaction, for in-process components."""
        served = _rt(rt)
        rt = conversion.storage_rt(served)
        namespace = _ns(rt, namespace)

        def apply(old: dict) -> dict:
            result = mutate(old)
            return old if result is None else result

        self._request("update", served, namespace, name, subresource)
        with _transaction():
            result = self._update_locked(rt, namespace, name, conversion.in_served(served, apply), subresource,
                                         precondition=False)
        return conversion.to_served(served, result)

    # -- delete -----------------------------------------------------------
    def delete(self, rt: ResourceType | str, namespace: str | None, name: str,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None,
               preconditions: dict | None = None, dry_run: bool = False) -> dict:
        served = _rt(rt)
        rt = conversion.storage_rt(served)
        namespace = _ns(rt, namespace)
        self._request("delete", served, namespace, name)
        with _transaction(dry_run, self.store):
            result = self._delete_locked(rt, namespace, name, grace_period_seconds, propagation_policy,
                                         preconditions or {})
        return conversion.to_served(served, result)

    def _delete_locked(self, rt: ResourceType, namespace: str, name: str, grace: int | None,
                       propagation: str | None, preconditions: dict) -> dict:
        kv = self._read(rt, namespace, name)
        old = self._with_rv(kv)
        meta = old["metadata"]
        # rest.BeforeDelete checks the preconditions first, naming the Kind where a resource would go
        by_kind_name = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
        if preconditions.get("uid") and preconditions["uid"] != meta.get("uid"):
            raise StatusError.conflict(by_kind_name, name, f"the UID in the precondition ({preconditions['uid']}) does "
                                       f"not match the UID in record ({meta.get('uid')}). The object might have been "
                                       "deleted and then recreated")
        if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta["resourceVersion"]:
            raise StatusError.conflict(by_kind_name, name, "the ResourceVersion in the precondition "
                                       f"({preconditions['resourceVersion']}) does not match the ResourceVersion in "
                                       f"record ({meta['resourceVersion']}). The object might have been modified")
        admission.admit_delete(self, rt, old)
        new = copy.deepcopy(old)
        graceful = strategy.begin_graceful_delete(self, rt, new, grace)
        finalizers = _deletion_finalizers(new, propagation)
        if not graceful and not finalizers:
            return self._delete_now(rt, kv, old)
        new["metadata"]["finalizers"] = finalizers or new["metadata"].get("finalizers")
        if not new["metadata"]["finalizers"]:
            new["metadata"].pop("finalizers")
        new["metadata"].setdefault("deletionTimestamp", clock.rfc3339(self.now()))
        new["metadata"].setdefault("deletionGracePeriodSeconds", 0)
        return self._write_update(rt, kv, new, old)

    def _delete_now(self, rt: ResourceType, kv: KeyValue, old: dict) -> dict:
        revision = self.store.reserve_revision()
        self.store.delete(kv.key, revision)
        self._emit("write", {"verb": "delete", "resource": rt, "key": kv.key, "revision": revision,
                             "object": None, "old": _stored(deep_copy(old))})
        gone = strategy.present(rt, old)
        gone["metadata"]["resourceVersion"] = str(revision)
        return gone

    # -- subresources -----------------------------------------------------
    def bind(self, namespace: str, name: str, binding: dict) -> dict:
        """POST pods/<name>/binding: the scheduler's way of setting spec.nodeName."""
        binding = clean_copy(binding)
        node = (binding.get("target") or {}).get("name", "")
        if not node:
            raise StatusError.invalid("Binding", "", name, [
                {"reason": "FieldValueRequired", "field": "target.name", "message": "Required value"}])
        rt = lookup("pods")
        annotations = (binding.get("metadata") or {}).get("annotations") or {}

        def assign(pod: dict) -> dict:
            current = pod["spec"].get("nodeName")
            if pod["metadata"].get("deletionTimestamp"):
                raise StatusError.conflict("pods/binding", name)
            if current:
                raise StatusError(409, "Conflict",
                                  f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is '
                                  f'already assigned to node "{current}"')
            pod["spec"]["nodeName"] = node
            if annotations:  # as upstream's setPodNodeAndMetadata, the Binding's annotations land on the pod
                pod["metadata"].setdefault("annotations", {}).update(annotations)
            for cond in (pod.get("status") or {}).get("conditions") or []:
                if cond.get("type") == "PodScheduled":  # UpdatePodCondition replaces reason and message
                    cond.pop("reason", None)
                    cond.pop("message", None)
            strategy.set_condition(pod, "PodScheduled", "True", clock.rfc3339(self.now()))
            return pod

        self._request("create", rt, namespace, name, "binding")
        with _transaction():
            self._update_locked(rt, namespace, name, assign, "binding", precondition=False)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    def get_scale(self, rt: ResourceType | str, namespace: str | None, name: str) -> dict:
        rt = _rt(rt)
        return strategy.scale_of(rt, self.get(rt, namespace, name))

    def update_scale(self, rt: ResourceType | str, namespace: str | None, name: str, scale: dict,
                     field_manager: str = "") -> dict:
        rt = _rt(rt)
        replicas = (scale.get("spec") or {}).get("replicas")
        wanted_rv = (scale.get("metadata") or {}).get("resourceVersion")
        if isinstance(replicas, int) and not -(2**31) <= replicas < 2**31:
            raise StatusError.bad_request(  # Scale.spec.replicas is an int32, as on every workload
                f'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal number {replicas} '
                "into Go struct field ScaleSpec.spec.replicas of type int32")
        if not isinstance(replicas, int) or replicas < 0:
            raise StatusError.invalid("Scale", "autoscaling", name, [
                {"reason": "FieldValueInvalid", "field": "spec.replicas",
                 "message": f"Invalid value: {replicas}: must be greater than or equal to 0"}])

        def rescale(obj: dict) -> dict:
            if wanted_rv and wanted_rv != obj["metadata"]["resourceVersion"]:
                raise StatusError.conflict(rt.group_resource, name)
            obj["spec"]["replicas"] = replicas
            return obj

        self._request("update", rt, namespace, name, "scale")
        with _transaction():
            updated = self._update_locked(rt, _ns(rt, namespace), name, rescale, "scale", precondition=False,
                                          manager=field_manager)
        return strategy.scale_of(rt, updated)

    # -- watch ------------------------------------------------------------
    def watch_batch(self, rt: ResourceType | str, namespace: str | None, since: int,
                    label_selector: str | None = None, field_selector: str | None = None,
                    limit: int = 500) -> tuple[builtins.list[WatchEvent], int]:
        """The watch events after revision `since`, and the revision to resume from.

        A compacted `since` is kube-apiserver's 410 Gone "too old resource version".
        """
        rt = _rt(rt)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt)
        try:
            raw = self.store.events_since(since, rt.etcd_prefix, namespace if rt.namespaced else None, limit)
        except Compacted as err:
            raise StatusError.gone(f"too old resource version: {err.requested} ({err.compacted})") from None
        events = [ev for r in raw if (ev := _watch_event(rt, r, labels, fields)) is not None]
        return events, (raw[-1].kv.mod_revision if raw else since)

    def watch_many(self, resources: builtins.list[str], since: int,
                   limit: int = 1000) -> tuple[builtins.list[tuple[str, WatchEvent]], int]:
        """One watch over several resources, oldest first, and the revision to resume from.

        What a shared informer factory sees: one stream instead of one query per resource."""
        try:
            raw = self.store.events_since(since, None, None, limit)
        except Compacted as err:
            raise StatusError.gone(f"too old resource version: {err.requested} ({err.compacted})") from None
        return fan_out(resources, raw), (raw[-1].kv.mod_revision if raw else since)

    def current_revision(self) -> int:
        return self.store.current_revision()

    def compact(self, keep: int) -> int:
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


# -- module helpers ---------------------------------------------------------
def fan_out(resources: list[str], raw: list[StoreEvent]) -> list[tuple[str, WatchEvent]]:
    """etcd's events as the watch events of each resource whose prefix holds the key."""
    wanted = [(name, _rt(name)) for name in resources]
    out: list[tuple[str, WatchEvent]] = []
    for r in raw:
        matches = [(name, rt) for name, rt in wanted if r.kv.key.startswith(rt.etcd_prefix)]
        for index, (name, rt) in enumerate(matches):
            one = r if index == len(matches) - 1 else copy.deepcopy(r)
            if (ev := _watch_event(rt, one, None, None)) is not None:
                out.append((name, ev))
    return out


@contextmanager
def _transaction(dry_run: bool = False, store: Store | None = None) -> Iterator[None]:
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


def _uuid4_text(digest: bytes) -> str:
    """str(uuid.UUID(bytes=digest[:16], version=4)) without building the UUID (one per create)."""
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
        registry_key = key[len("/registry"):]
        raise StatusError.unknown(500, f"invalid key: {go_quote(registry_key)}")
    return key


def _rt(rt: ResourceType | str) -> ResourceType:
    return rt if isinstance(rt, ResourceType) else lookup(rt)


def _ns(rt: ResourceType, namespace: str | None) -> str:
    if not rt.namespaced:
        return ""
    return namespace or "default"


def _decode_body(rt: ResourceType, body: object, subresource: str = "") -> dict:
    if not isinstance(body, dict):
        raise StatusError.bad_request("the body of the request was in an unknown format - accepted media "
                                      "types include: application/json, application/yaml")
    obj = clean_copy(body)
    raw = obj.pop("data", None) if rt.kind == "ControllerRevision" else None  # a RawExtension: kept as sent
    obj = decoding.without_nulls(obj)
    if raw is not None:
        obj["data"] = raw
    if subresource in ("", "status"):
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if kind and api_version and (kind, api_version) != (rt.kind, rt.api_version):
            by_kind(api_version, kind)  # an unknown kind says so first
            raise StatusError.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({rt.api_version})" if kind == rt.kind else
                f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        obj["kind"], obj["apiVersion"] = rt.kind, rt.api_version
    if not isinstance(obj.get("metadata", {}), dict):
        raise StatusError.bad_request("metadata: expected an object")
    return obj


def clean_copy(body: object) -> dict:
    """A private copy of a request body, its values as Go would have decoded them (cluster/decoding.py).

    The JSON round trip is the fast path and the proof: orjson refuses exactly what
    must be cleaned (lone surrogates, integers beyond 64 bits, very deep nesting).
    """
    try:
        return orjson.loads(orjson.dumps(body))
    except (TypeError, ValueError):
        pass
    try:
        return decoding.clean(copy.deepcopy(body))  # type: ignore[return-value]
    except RecursionError:
        raise StatusError.bad_request(decoding.TOO_DEEP) from None
    except decoding.DecodeError as err:
        raise StatusError.bad_request(str(err)) from None


def _stored(obj: dict) -> dict:
    """The object as etcd keeps it: resourceVersion lives in the key's mod revision.

    Only the top level and metadata are copied; the rest is shared with `obj`,
    which the write path no longer changes once it is stored.
    """
    stored = dict(obj)
    if isinstance(obj.get("metadata"), dict):
        stored["metadata"] = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    return stored


def _encoded(stored: dict) -> str:
    """The compact JSON etcd keeps, refused as etcd refuses a value over its request limit."""
    try:
        text = encode_value(stored)
    except Unencodable as err:  # cleaned input never gets here; refuse rather than store what cannot be read
        raise StatusError.bad_request(f"the object cannot be stored: {err}") from None
    size = len(text) if text.isascii() else len(text.encode())
    if size > settings.KUBECLASS_MAX_OBJECT_BYTES:
        raise StatusError(413, "RequestEntityTooLarge", "etcdserver: request is too large")
    return text


def _check_identity(rt: ResourceType, new: dict, namespace: str, name: str) -> None:
    meta = new.get("metadata") or {}
    if meta.get("name") and meta["name"] != name:
        raise StatusError.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
    if rt.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
        raise StatusError.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request")
    meta["name"] = name
    if rt.namespaced:
        meta["namespace"] = namespace


def _finalized(meta: dict) -> bool:
    return bool(meta.get("deletionTimestamp")) and not meta.get("finalizers") and \
        meta.get("deletionGracePeriodSeconds", 0) == 0


def _deletion_finalizers(obj: dict, propagation: str | None) -> list[str]:
    finalizers = list(obj["metadata"].get("finalizers") or [])
    wanted = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}.get(propagation or "")
    if wanted and wanted not in finalizers:
        finalizers.append(wanted)
    return finalizers


def _selected(obj: dict, labels: LabelSelector | None, fields: FieldSelector | None) -> bool:
    if labels and not labels.matches(obj.get("metadata", {}).get("labels")):
        return False
    return not fields or fields.matches(obj)


def _watch_event(rt: ResourceType, raw: StoreEvent, labels: LabelSelector | None,
                 fields: FieldSelector | None) -> WatchEvent | None:
    obj = raw.kv.value
    obj.setdefault("metadata", {})["resourceVersion"] = str(raw.kv.mod_revision)
    obj = strategy.present(rt, obj)
    if raw.type == "DELETE":
        return WatchEvent("DELETED", obj, raw.kv.mod_revision) if _selected(obj, labels, fields) else None
    if not _selected(obj, labels, fields):
        return None
    return WatchEvent("ADDED" if raw.created else "MODIFIED", obj, raw.kv.mod_revision)
