"""Admission (kube-apiserver's built-in admission plugins), the minimal core.

NamespaceLifecycle: objects can only be created in a namespace that exists and
is not terminating, and the four system namespaces cannot be deleted.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")


def admit_create(api: APIServer, rt: ResourceType, obj: dict) -> None:
    if not rt.namespaced:
        return
    namespace = obj["metadata"]["namespace"]
    ns = api.store.get(f"/registry/namespaces/{namespace}")
    if ns is None:
        raise StatusError(404, "NotFound", f'namespaces "{namespace}" not found',
                          {"name": namespace, "kind": "namespaces"})
    if ns.value.get("metadata", {}).get("deletionTimestamp") and rt.kind != "Event":
        raise StatusError(403, "Forbidden",
                          f'{rt.plural} "{obj["metadata"].get("name") or obj["metadata"].get("generateName", "")}" '
                          f"is forbidden: unable to create new content in namespace {namespace} because it is "
                          "being terminated",
                          {"name": obj["metadata"].get("name", ""), "kind": rt.plural})


def admit_update(api: APIServer, rt: ResourceType, new: dict, old: dict, subresource: str) -> None:
    return None


def admit_delete(api: APIServer, rt: ResourceType, obj: dict) -> None:
    name = obj["metadata"]["name"]
    if rt.kind == "Namespace" and name in IMMORTAL_NAMESPACES:
        raise StatusError(403, "Forbidden", f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                          {"name": name, "kind": "namespaces"})
