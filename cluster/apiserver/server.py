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

Beside it: the request body and target (cluster/apiserver/requestbody.py), the object as etcd
keeps it and the request's transaction (storage.py), LIST and its pages (listing.py) and watch
events (watchevents.py).

Simplified: no authorization beyond the cluster token.
"""

from __future__ import annotations

import builtins  # APIServer.list shadows the built-in in the annotations below it
import copy
import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Callable


from cluster import clock, steps
from cluster.apiserver import admission, conversion, fieldvalidation, listing, managedfields, strategy
from cluster.apiserver import patch as patching
from cluster.apiserver.errors import StatusError
from cluster.apiserver.hooks import ClientHooks, ObservedKind, Observer
from cluster.apiserver.requestbody import check_identity, clean_copy, decode_body, namespace_of, resource_type
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.server_apply import ApplyMixin
from cluster.apiserver.subresources import SubresourcesMixin
from cluster.apiserver.watching import LEASE_REVOKE_RATE as LEASE_REVOKE_RATE
from cluster.apiserver.watching import WatchMixin
from cluster.apiserver.watchevents import WatchEvent as WatchEvent
from cluster.apiserver.watchevents import fan_out as fan_out
from cluster.apiserver.watchevents import watch_event as watch_event
from cluster.apiserver.field_selectors import parse_field_selector
from cluster.apiserver.selectors import parse_label_selector
from cluster.apiserver import storage
from cluster.apiserver.storage import (
    dry_run_answer,
    live_version,
    request_transaction,
    storage_key,
    uuid4_text,
    with_rv,
)
from cluster.jsoncopy import deep_copy
from cluster.models import Cluster
from cluster.store import Compacted, KeyExists, KeyMissing, KeyValue, RevisionMismatch, SpaceExceeded, Store

if TYPE_CHECKING:
    from cluster.events import EventCorrelator

GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # upstream's utilrand alphabet
MAX_NAME_GENERATION_CREATE_ATTEMPTS = 8  # upstream's maxNameGenerationCreateAttempts


def resolve_cluster(cluster: Cluster | str) -> Cluster:
    if isinstance(cluster, Cluster):
        return cluster
    try:
        return Cluster.objects.get(name=cluster)
    except Cluster.DoesNotExist:
        raise StatusError(404, "NotFound", f'cluster "{cluster}" not found') from None


class APIServer(ApplyMixin, SubresourcesMixin, WatchMixin):
    """The API of one cluster. `client` names the caller in step events; `hooks` is what an
    in-process caller lends it (cluster/apiserver/hooks.py)."""

    def __init__(self, cluster: Cluster | str, client: str = "kubectl", hooks: ClientHooks | None = None) -> None:
        self.cluster = resolve_cluster(cluster)
        self.client = client
        self.hooks = hooks if hooks is not None else ClientHooks()
        self.store = Store(self.cluster, journal=self.hooks.journal, held=self.hooks.held)
        # The step log of this client's requests, when step events are on (cluster/steps/recorder.py).
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
        return uuid4_text(self._seeded("uid", revision))

    def random_suffix(self, *parts: object, length: int = 5) -> str:
        digest = self._seeded("suffix", *parts)
        return "".join(GENERATE_NAME_ALPHABET[b % len(GENERATE_NAME_ALPHABET)] for b in digest[:length])

    def _request(self, verb: str, rt: ResourceType, namespace: str | None, name: str, subresource: str = "") -> None:
        if self.observers:
            self._emit(
                "request",
                {"verb": verb, "resource": rt, "namespace": namespace or "", "name": name, "subresource": subresource},
            )

    def _emit(self, kind: ObservedKind, detail: dict) -> None:
        for observer in self.observers:
            observer(kind, detail)

    def _read(self, rt: ResourceType, namespace: str, name: str) -> KeyValue:
        kv = self.store.get(storage_key(rt, namespace, name))
        if kv is None:
            raise StatusError.not_found(rt.group_resource, name)
        return kv

    # -- reads ------------------------------------------------------------
    def get(self, rt: ResourceType | str, namespace: str | None, name: str) -> dict:
        rt = resource_type(rt)
        obj = with_rv(self._read(rt, namespace_of(rt, namespace), name))
        return strategy.present(rt, obj)

    def list(
        self,
        rt: ResourceType | str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        resource_version_match: str = "",
    ) -> dict:
        """A list, whole or one page of it (`limit`, `continue_token`), as kube-apiserver's storage answers
        it (cluster/apiserver/paging.py); a field selector's labels are checked against the kind
        (cluster/apiserver/selectors.py)."""
        rt = resource_type(rt)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt)
        if not (limit > 0 or continue_token or resource_version not in ("", "0") or resource_version_match):
            return listing.whole(self.store, rt, namespace, labels, fields)
        return listing.page(
            self.store, rt, namespace, labels, fields, limit, continue_token, resource_version, resource_version_match
        )

    def list_at(self, rt: ResourceType | str, revision: int) -> builtins.list[dict]:
        """The objects of one resource as they were right after `revision` (time travel, read-only)."""
        rt = resource_type(rt)
        try:
            kvs = self.store.range_at(revision, rt.etcd_prefix)
        except Compacted as err:
            raise StatusError.gone(f"too old resource version: {err.requested} ({err.compacted})") from None
        return [strategy.present(rt, with_rv(kv)) for kv in kvs]

    def etcd_keys(self, revision: int | None = None) -> builtins.list[tuple[str, int, int, int]]:
        """What etcd holds: every live key with create revision, mod revision and version."""
        if revision is None:
            return self.store.keys()
        return [(kv.key, kv.create_revision, kv.mod_revision, kv.version) for kv in self.store.range_at(revision)]

    def etcd_value(self, key: str) -> dict | None:
        kv = self.store.get(key)
        return None if kv is None else with_rv(kv)

    # -- writes -----------------------------------------------------------
    def create(
        self,
        rt: ResourceType | str,
        namespace: str | None,
        body: object,
        dry_run: bool = False,
        field_validation: str = "Strict",
        findings: fieldvalidation.BodyFindings = fieldvalidation.NOTHING,
        field_manager: str = "",
    ) -> dict:
        """POST: `findings` are what the HTTP layer saw in the raw body (repeated keys), for field validation."""
        served = resource_type(rt)
        rt = conversion.storage_rt(served)
        obj = decode_body(served, body)
        meta = obj.setdefault("metadata", {})
        namespace = namespace_of(rt, namespace or meta.get("namespace") or "default")
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise StatusError.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        fieldvalidation.check_body(served, obj, field_validation, findings)
        self._request("create", served, namespace, meta.get("name") or meta.get("generateName", ""))
        obj = conversion.request_to_storage(served, obj)
        with request_transaction(dry_run, self.store):
            created = self._create_locked(rt, namespace, obj, dry_run, field_manager)
        if dry_run:
            created = dry_run_answer(created, None)
        return conversion.to_served(served, created)

    def _create_locked(
        self, rt: ResourceType, namespace: str, obj: dict, dry_run: bool, manager: str | None = ""
    ) -> dict:
        """`manager` None: the caller has set managedFields already (an apply that creates)."""
        meta = obj["metadata"]
        provided = meta.get("managedFields")
        for key in (
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "generation",
            "deletionGracePeriodSeconds",
            "managedFields",
            "selfLink",
        ):
            meta.pop(key, None)
        conversion.to_internal(rt, obj)
        admission.admit_create(self, rt, obj)
        strategy.prepare_for_create(self, rt, obj)
        if manager is None:
            if provided:
                meta["managedFields"] = provided
        else:
            managedfields.record(self, rt, None, obj, provided, manager, "")
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
            stored = storage.stored(obj)
            text = storage.encoded(stored)
            try:
                kv = self.store.create(
                    rt.key(namespace, meta["name"]),
                    stored,
                    revision,
                    rt.etcd_prefix,
                    namespace if rt.namespaced else "",
                    text=text,
                    lease_expiry=storage.lease_expiry(rt, self.now()),
                )
                break
            except KeyExists:
                continue
            except SpaceExceeded:  # what kube-apiserver answers when etcd's quota is used up
                # etcd's own error, which InterpretCreateError passes on as it is: a 500 with no reason
                raise StatusError.unknown(500, "etcdserver: mvcc: database space exceeded") from None
        else:
            raise StatusError.already_exists(rt.group_resource, meta["name"])
        self._emit(
            "write",
            {"verb": "create", "resource": rt, "key": kv.key, "revision": revision, "object": kv.value, "old": None},
        )
        return strategy.present(rt, with_rv(kv))

    def update(
        self,
        rt: ResourceType | str,
        namespace: str | None,
        name: str,
        body: object,
        subresource: str = "",
        dry_run: bool = False,
        field_validation: str = "Strict",
        findings: fieldvalidation.BodyFindings = fieldvalidation.NOTHING,
        field_manager: str = "",
    ) -> dict:
        served = resource_type(rt)
        rt = conversion.storage_rt(served)
        namespace = namespace_of(rt, namespace)
        obj = decode_body(served, body, subresource)
        fieldvalidation.check_body(served, obj, field_validation, findings)
        self._request("update", served, namespace, name, subresource)
        obj = conversion.request_to_storage(served, obj)
        uid = (obj.get("metadata") or {}).get("uid") or ""
        with request_transaction(dry_run, self.store):
            before = live_version(self.store, storage_key(rt, namespace, name)) if dry_run else None
            result = self._update_locked(
                rt,
                namespace,
                name,
                lambda _old: obj,
                subresource,
                precondition=True,
                uid_precondition=uid,
                manager=field_manager,
            )
        if dry_run:
            result = dry_run_answer(result, before)
        return conversion.to_served(served, result)

    def patch(
        self,
        rt: ResourceType | str,
        namespace: str | None,
        name: str,
        patch_body: object,
        patch_type: str,
        subresource: str = "",
        dry_run: bool = False,
        field_validation: str = "Strict",
        findings: fieldvalidation.PatchFindings | None = None,
        field_manager: str = "",
        force: bool = False,
    ) -> dict:
        """PATCH: the patch applies to the served version of the stored object, and the result is decoded as
        patch.go decodes it (cluster/apiserver/fieldvalidation.py); `findings` are the strict errors of the
        patch document itself. An apply patch is server-side apply (`force` takes conflicting fields over)."""
        served = resource_type(rt)
        rt = conversion.storage_rt(served)
        namespace = namespace_of(rt, namespace)
        patch_body = clean_copy({"patch": patch_body})["patch"]
        if patch_type == patching.APPLY_PATCH:
            return self.apply(
                served, namespace, name, patch_body, subresource, dry_run, field_validation, field_manager, force
            )[0]

        def apply(old: dict) -> dict:  # the patch applies to the served version of the object
            base = strategy.view_for_subresource(served, old, subresource)
            patched = patching.apply_patch(served, base, patch_body, patch_type)
            fieldvalidation.check_patched(served, patched, field_validation, patch_type, patch_body, findings)
            return patched

        self._request("patch", served, namespace, name, subresource)
        with request_transaction(dry_run, self.store):
            before = live_version(self.store, storage_key(rt, namespace, name)) if dry_run else None
            result = self._update_locked(
                rt,
                namespace,
                name,
                conversion.in_served(served, apply),
                subresource,
                precondition=True,
                manager=field_manager,
            )
        if dry_run:
            result = dry_run_answer(result, before)
        return conversion.to_served(served, result)

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

    def _update_locked(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        mutate: Callable[[dict], dict],
        subresource: str,
        precondition: bool,
        uid_precondition: str = "",
        manager: str | None = "",
    ) -> dict:
        """`manager` "" is this client's own; None leaves managedFields as `mutate` made them (an apply)."""
        kv = self._read(rt, namespace, name)
        old = with_rv(kv)
        if uid_precondition and uid_precondition != old["metadata"].get("uid"):
            # a PUT's uid is a storage precondition (DefaultUpdatedObjectInfo.Preconditions), checked by
            # GuaranteedUpdate before anything else and reported as its StorageError
            raise StatusError.conflict(
                rt.group_resource,
                name,
                (
                    f"StorageError: invalid object, Code: 4, Key: {kv.key}, ResourceVersion: 0, AdditionalErrorMsg: "
                    f"Precondition failed: UID in precondition: {uid_precondition}, UID in object meta: "
                    f"{old['metadata'].get('uid', '')}"
                ),
            )
        incoming = mutate(deep_copy(old))
        wanted_rv = (incoming.get("metadata") or {}).get("resourceVersion")
        if precondition and wanted_rv and wanted_rv != str(kv.mod_revision):
            raise StatusError.conflict(rt.group_resource, name)
        new = strategy.merge_subresource(rt, old, incoming, subresource)
        if manager is None and subresource:  # an apply to a subresource: its own managedFields, not the live ones
            new["metadata"]["managedFields"] = (incoming.get("metadata") or {}).get("managedFields")
        check_identity(rt, new, namespace, name)
        conversion.to_internal(rt, new)
        admission.admit_update(self, rt, new, old, subresource)
        strategy.prepare_for_update(self, rt, new, old, subresource)
        if manager is not None and subresource != "binding":  # BindingREST writes storage directly
            managedfields.record(self, rt, old, new, new["metadata"].get("managedFields"), manager, subresource)
        strategy.validate_update(rt, new, old, subresource)
        return self._write_update(rt, kv, new, old)

    def _write_update(self, rt: ResourceType, kv: KeyValue, new: dict, old: dict) -> dict:
        meta = new["metadata"]
        if _finalized(meta) and not (rt.kind == "Namespace" and (new.get("spec") or {}).get("finalizers")):
            return self._delete_now(rt, kv, old)  # a Namespace also waits for its spec.finalizers
        stored_new, stored_old = storage.stored(new), storage.stored(old)
        if stored_new == stored_old:
            return strategy.present(rt, old)  # no-op writes do not bump resourceVersion, as upstream
        text = storage.encoded(stored_new)
        revision = self.store.reserve_revision()
        try:
            written = self.store.update(
                kv.key,
                stored_new,
                revision,
                expected_mod_revision=kv.mod_revision,
                text=text,
                lease_expiry=storage.lease_expiry(rt, self.now()),
            )
        except (RevisionMismatch, KeyMissing):
            raise StatusError.conflict(rt.group_resource, meta["name"]) from None
        self._emit(
            "write",
            {
                "verb": "update",
                "resource": rt,
                "key": kv.key,
                "revision": revision,
                "object": written.value,
                "old": stored_old,
            },
        )
        return strategy.present(rt, with_rv(written))

    def update_with(
        self,
        rt: ResourceType | str,
        namespace: str | None,
        name: str,
        mutate: Callable[[dict], dict | None],
        subresource: str = "",
    ) -> dict:
        """Read-modify-write in one transaction, for in-process components."""
        served = resource_type(rt)
        rt = conversion.storage_rt(served)
        namespace = namespace_of(rt, namespace)

        def apply(old: dict) -> dict:
            result = mutate(old)
            return old if result is None else result

        self._request("update", served, namespace, name, subresource)
        with request_transaction():
            result = self._update_locked(
                rt, namespace, name, conversion.in_served(served, apply), subresource, precondition=False
            )
        return conversion.to_served(served, result)

    # -- delete -----------------------------------------------------------
    def delete(
        self,
        rt: ResourceType | str,
        namespace: str | None,
        name: str,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions: dict | None = None,
        dry_run: bool = False,
    ) -> dict:
        served = resource_type(rt)
        rt = conversion.storage_rt(served)
        namespace = namespace_of(rt, namespace)
        self._request("delete", served, namespace, name)
        with request_transaction(dry_run, self.store):
            result = self._delete_locked(
                rt, namespace, name, grace_period_seconds, propagation_policy, preconditions or {}
            )
        return conversion.to_served(served, result)

    def _delete_locked(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        grace: int | None,
        propagation: str | None,
        preconditions: dict,
    ) -> dict:
        kv = self._read(rt, namespace, name)
        old = with_rv(kv)
        meta = old["metadata"]
        # rest.BeforeDelete checks the preconditions first, naming the Kind where a resource would go
        by_kind_name = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
        if preconditions.get("uid") and preconditions["uid"] != meta.get("uid"):
            raise StatusError.conflict(
                by_kind_name,
                name,
                f"the UID in the precondition ({preconditions['uid']}) does "
                f"not match the UID in record ({meta.get('uid')}). The object might have been "
                "deleted and then recreated",
            )
        if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta["resourceVersion"]:
            raise StatusError.conflict(
                by_kind_name,
                name,
                "the ResourceVersion in the precondition "
                f"({preconditions['resourceVersion']}) does not match the ResourceVersion in "
                f"record ({meta['resourceVersion']}). The object might have been modified",
            )
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
        self._emit(
            "write",
            {
                "verb": "delete",
                "resource": rt,
                "key": kv.key,
                "revision": revision,
                "object": None,
                "old": storage.stored(deep_copy(old)),
            },
        )
        gone = strategy.present(rt, old)
        gone["metadata"]["resourceVersion"] = str(revision)
        return gone


def _finalized(meta: dict) -> bool:
    return (
        bool(meta.get("deletionTimestamp"))
        and not meta.get("finalizers")
        and meta.get("deletionGracePeriodSeconds", 0) == 0
    )


def _deletion_finalizers(obj: dict, propagation: str | None) -> list[str]:
    finalizers = list(obj["metadata"].get("finalizers") or [])
    wanted = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}.get(propagation or "")
    if wanted and wanted not in finalizers:
        finalizers.append(wanted)
    return finalizers
