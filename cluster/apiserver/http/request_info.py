"""Reading a resource URL the way kube-apiserver's RequestInfoFactory does.

`/api/v1/namespaces/default/pods/web/status` → group "", version v1,
namespace default, resource pods, name web, subresource status; the verb
follows from the HTTP method, whether a name is present and `?watch=`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType, by_gvr

# Namespace subresources that stay on the namespace instead of naming a resource inside it.
NAMESPACE_SUBRESOURCES = ("status", "finalize")
TRUE_VALUES = ("1", "true", "True")


@dataclass(frozen=True)
class RequestInfo:
    rt: ResourceType
    namespace: str | None  # None: every namespace (or a cluster-scoped resource)
    name: str
    subresource: str
    verb: str


def _split(path: str) -> tuple[str, str, list[str]]:
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        return "", parts[1], parts[2:]
    if len(parts) >= 3 and parts[0] == "apis":
        return parts[1], parts[2], parts[3:]
    raise StatusError.not_found_resource("", "", "")


def _locate(parts: list[str]) -> tuple[str | None, list[str]]:
    if parts and parts[0] == "namespaces" and len(parts) > 1:
        if len(parts) > 2 and parts[2] not in NAMESPACE_SUBRESOURCES:
            return parts[1], parts[2:]
        return None, parts  # the namespace object itself (or its status/finalize)
    return None, parts


def _verb(method: str, named: bool, watching: bool) -> str:
    if method == "GET":
        return "watch" if watching else ("get" if named else "list")
    verbs = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete" if named else "deletecollection"}
    if method not in verbs:
        raise StatusError.method_not_allowed()
    return verbs[method]


def resolve(request: HttpRequest, path: str) -> RequestInfo:
    """What a REST request is about; 404 for paths that name no served resource."""
    group, version, parts = _split(path)
    namespace, parts = _locate(parts)
    if not parts or len(parts) > 3:
        raise StatusError.not_found_resource(group, version, "")
    rt = by_gvr(group, version, parts[0])
    name = parts[1] if len(parts) > 1 else ""
    subresource = parts[2] if len(parts) > 2 else ""
    if subresource and subresource not in rt.subresources:
        raise StatusError.not_found_resource(group, version, parts[0])
    if namespace is not None and not rt.namespaced:
        raise StatusError.not_found_resource(group, version, parts[0])
    watching = request.GET.get("watch", "") in TRUE_VALUES
    verb = _verb(request.method or "GET", bool(name), watching and not subresource)
    if rt.namespaced and namespace is None and verb not in ("list", "watch"):
        raise StatusError.not_found_resource(group, version, parts[0])
    return RequestInfo(rt, namespace, name, subresource, verb)
