"""Server-side apply as APIServer serves it (PATCH application/apply-patch+yaml), split from server.py.

The configuration is merged by the managers' field sets (cluster/apiserver/managedfields.py),
creating the object when there is none, as upstream's applyPatcher does.

Simplified: APIServer's write path (update/create under the request transaction) does the rest.
"""

# `self: APIServer` below: the mixin's methods run as APIServer's, which mypy cannot see through the cycle.
# mypy: disable-error-code="misc"
from __future__ import annotations

from typing import TYPE_CHECKING


from cluster import clock
from cluster.apiserver import conversion, fieldvalidation, managedfields
from cluster.apiserver.errors import StatusError, field_error
from cluster.apiserver.fieldschema import root_for
from cluster.apiserver.requestbody import check_identity, clean_copy, decode_body, namespace_of, resource_type
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.storage import dry_run_answer, live_version, request_transaction, storage_key

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer


class ApplyMixin:
    """APIServer.apply (mixed into APIServer)."""

    def apply(
        self: APIServer,
        rt: ResourceType | str,
        namespace: str | None,
        name: str,
        body: object,
        subresource: str = "",
        dry_run: bool = False,
        field_validation: str = "Strict",
        manager: str = "",
        force: bool = False,
    ) -> tuple[dict, bool]:
        """PATCH application/apply-patch+yaml: merge the configuration by the managers' field sets, creating the
        object when there is none (applyPatcher; a status apply needs the object). Returns the object and
        whether it was created (201 rather than 200)."""
        served = resource_type(rt)
        rt = conversion.storage_rt(served)
        namespace = namespace_of(rt, namespace)
        body = clean_copy({"patch": body})["patch"]
        if not manager:
            raise StatusError.invalid(
                "PatchOptions",
                "meta.k8s.io",
                "",
                [field_error("required", "fieldManager", "is required for apply patch")],
            )
        config = decode_body(served, body, subresource)
        meta = config.get("metadata") or {}
        if meta.get("managedFields") is not None:
            raise StatusError.bad_request("metadata.managedFields must be nil")
        fieldvalidation.check_body(served, config, field_validation, fieldvalidation.NOTHING)
        field = root_for(served)
        has_status = "status" in rt.subresources

        def applied(live: dict) -> dict:
            entries = managedfields.decode(live.get("metadata", {}).get("managedFields")) or []
            result = managedfields.apply(
                live,
                config,
                field,
                entries,
                manager,
                served.api_version,
                subresource,
                has_status,
                force,
                clock.rfc3339(self.now()),
            )
            result.obj.setdefault("metadata", {})["managedFields"] = managedfields.encode(result.entries)
            return result.obj

        self._request("patch", served, namespace, name, subresource)
        with request_transaction(dry_run, self.store):
            before = live_version(self.store, storage_key(rt, namespace, name))
            exists = bool(subresource) or before is not None
            if exists:
                result = self._update_locked(
                    rt,
                    namespace,
                    name,
                    conversion.in_served(served, applied),
                    subresource,
                    precondition=True,
                    manager=None,
                )
            else:
                check_identity(rt, config, namespace, name)
                created = applied({"apiVersion": served.api_version, "kind": served.kind, "metadata": {}})
                result = self._create_locked(
                    rt, namespace, conversion.request_to_storage(served, created), dry_run, manager=None
                )
        if dry_run:
            result = dry_run_answer(result, before if exists else None)
        return conversion.to_served(served, result), not exists
