"""The `paths` half of the OpenAPI v3 documents: one operation per REST verb.

kube-apiserver describes every endpoint it installs, with the query parameters
each accepts and the group-version-kind it works on
(`x-kubernetes-group-version-kind`). kubectl relies on two of those facts: a
PATCH operation that lists `fieldValidation` means the server validates fields
itself, and one that accepts `application/strategic-merge-patch+json` means
apply may send a strategic merge patch.

Simplified: descriptions are short, and connect-style subresources (log, exec)
are left out because kubeclass does not serve them over HTTP.
"""

from __future__ import annotations

from cluster.apiserver.resources import ResourceType

REF_PREFIX = "#/components/schemas/"
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
PATCH_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
SUBRESOURCE_KINDS = {
    "scale": ("autoscaling", "v1", "Scale", "io.k8s.api.autoscaling.v1.Scale"),
    "binding": ("", "v1", "Binding", "io.k8s.api.core.v1.Binding"),
}
SUBRESOURCE_VERBS = {
    "status": ("get", "put", "patch"),
    "ephemeralcontainers": ("get", "put", "patch"),
    "scale": ("get", "put", "patch"),
    "binding": ("post",),
}

_QUERY = {
    "pretty": "If 'true', then the output is pretty printed.",
    "dryRun": "When present, indicates that modifications should not be persisted. The only valid value is "
    "All: all dry run stages are processed.",
    "fieldManager": "A name associated with the actor or entity that is making these changes.",
    "fieldValidation": "How the server treats fields it does not know or that are duplicated: Ignore, Warn "
    "or Strict (the request fails with BadRequest).",
    "force": 'Force is going to "force" Apply requests; it must be unset for non-apply patch requests.',
    "labelSelector": "A selector to restrict the list of returned objects by their labels.",
    "fieldSelector": "A selector to restrict the list of returned objects by their fields.",
    "limit": "The maximum number of responses to return for a list call.",
    "continue": "The continue option should be set when retrieving more results from the server.",
    "resourceVersion": "Sets a constraint on what resource versions a request may be served from.",
    "resourceVersionMatch": "Determines how resourceVersion is applied to list calls.",
    "timeoutSeconds": "Timeout for the list/watch call.",
    "watch": "Watch for changes to the described resources and return them as a stream of add, update, and "
    "remove notifications.",
    "allowWatchBookmarks": 'Requests watch events with type "BOOKMARK".',
    "sendInitialEvents": "Whether a watch starts with synthetic events of the current state.",
    "gracePeriodSeconds": "The duration in seconds before the object should be deleted.",
    "propagationPolicy": "Whether and how garbage collection will be performed: Orphan, Background or Foreground.",
    "orphanDependents": "Deprecated: please use the PropagationPolicy.",
}
_BOOLEAN = {
    "pretty": False,
    "watch": True,
    "allowWatchBookmarks": True,
    "sendInitialEvents": True,
    "force": True,
    "orphanDependents": True,
}
_INTEGER = {"limit", "timeoutSeconds", "gracePeriodSeconds"}
LIST_PARAMS = (
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
)
WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
DELETE_PARAMS = ("dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy")


def _param(name: str) -> dict:
    schema: dict = {
        "type": "boolean" if name in _BOOLEAN else "integer" if name in _INTEGER else "string",
        "uniqueItems": True,
    }
    return {"name": name, "in": "query", "description": _QUERY[name], "schema": schema}


def _path_params(rt: ResourceType, named: bool) -> list[dict]:
    params = []
    if named:
        params.append(
            {
                "name": "name",
                "in": "path",
                "description": f"name of the {rt.kind}",
                "required": True,
                "schema": {"type": "string", "uniqueItems": True},
            }
        )
    if rt.namespaced:
        params.append(
            {
                "name": "namespace",
                "in": "path",
                "required": True,
                "description": "object name and auth scope, such as for teams and projects",
                "schema": {"type": "string", "uniqueItems": True},
            }
        )
    params.append(_param("pretty"))
    return params


def _camel(group: str) -> str:
    first = group.split(".")[0] if group else "core"
    return first[:1].upper() + first[1:]


def _content(schema_name: str) -> dict:
    schema = {"$ref": REF_PREFIX + schema_name}
    return {t: {"schema": schema} for t in ("application/json", "application/yaml")}


def _operation(
    verb: str,
    action: str,
    rt: ResourceType,
    gvk: tuple[str, str, str],
    op_name: str,
    response: str,
    params: tuple[str, ...],
    body: str | None = None,
) -> dict:
    group, version, kind = gvk
    op: dict = {
        "description": f"{action} {kind}",
        "operationId": f"{verb}{_camel(rt.group)}{rt.version.capitalize()}{op_name}",
        "parameters": [_param(p) for p in params],
        "responses": {
            "200": {"description": "OK", "content": _content(response)},
            "401": {"description": "Unauthorized"},
        },
        "tags": [f"{rt.group.split('.')[0] or 'core'}_{rt.version}"],
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": group, "kind": kind, "version": version},
    }
    if body == "patch":
        schema = {"$ref": REF_PREFIX + META + "Patch"}
        op["requestBody"] = {"content": {t: {"schema": schema} for t in PATCH_TYPES}, "required": True}
    elif body:
        op["requestBody"] = {"content": _content(body), "required": True}
    if verb in ("create", "replace"):
        op["responses"]["201"] = {"description": "Created", "content": _content(response)}
    return op


def paths_for(resources: list[ResourceType]) -> dict:
    paths: dict[str, dict] = {}
    for rt in resources:
        paths.update(_resource_paths(rt))
    return dict(sorted(paths.items()))


def _resource_paths(rt: ResourceType) -> dict:
    root = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
    scoped = "Namespaced" if rt.namespaced else ""
    collection = f"{root}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{root}/{rt.plural}"
    gvk = (rt.group, rt.version, rt.kind)
    schema, list_schema = rt.schema_name, rt.schema_name + "List"
    verbs = set(rt.verbs)
    coll: dict = {"parameters": _path_params(rt, named=False)}
    if "list" in verbs:
        coll["get"] = _operation("list", "list", rt, gvk, f"{scoped}{rt.kind}", list_schema, LIST_PARAMS)
    if "create" in verbs:
        coll["post"] = _operation("create", "post", rt, gvk, f"{scoped}{rt.kind}", schema, WRITE_PARAMS, schema)
    if "deletecollection" in verbs:
        coll["delete"] = _operation(
            "deletecollection",
            "deletecollection",
            rt,
            gvk,
            f"Collection{scoped}{rt.kind}",
            META + "Status",
            DELETE_PARAMS + LIST_PARAMS,
        )
    item = {
        "parameters": _path_params(rt, named=True),
        "get": _operation("read", "get", rt, gvk, f"{scoped}{rt.kind}", schema, ()),
        "put": _operation("replace", "put", rt, gvk, f"{scoped}{rt.kind}", schema, WRITE_PARAMS, schema),
        "patch": _operation(
            "patch", "patch", rt, gvk, f"{scoped}{rt.kind}", schema, WRITE_PARAMS + ("force",), "patch"
        ),
        "delete": _operation("delete", "delete", rt, gvk, f"{scoped}{rt.kind}", META + "Status", DELETE_PARAMS),
    }
    paths = {collection: coll, f"{collection}/{{name}}": item}
    if rt.namespaced and "list" in verbs:
        everywhere = {
            "parameters": [_param("pretty")],
            "get": _operation("list", "list", rt, gvk, f"{rt.kind}ForAllNamespaces", list_schema, LIST_PARAMS),
        }
        paths[f"{root}/{rt.plural}"] = everywhere
    for sub in rt.subresources:
        if sub in SUBRESOURCE_VERBS:
            paths[f"{collection}/{{name}}/{sub}"] = _subresource_path(rt, sub, scoped)
    return paths


def _subresource_path(rt: ResourceType, sub: str, scoped: str) -> dict:
    group, version, kind, schema = SUBRESOURCE_KINDS.get(sub, (rt.group, rt.version, rt.kind, rt.schema_name))
    gvk = (group, version, kind)
    name = f"{scoped}{rt.kind}{sub.capitalize()}"
    path: dict = {"parameters": _path_params(rt, named=True)}
    for verb in SUBRESOURCE_VERBS[sub]:
        if verb == "get":
            path["get"] = _operation("read", "get", rt, gvk, name, schema, ())
        elif verb == "put":
            path["put"] = _operation("replace", "put", rt, gvk, name, schema, WRITE_PARAMS, schema)
        elif verb == "patch":
            path["patch"] = _operation("patch", "patch", rt, gvk, name, schema, WRITE_PARAMS + ("force",), "patch")
        else:
            path["post"] = _operation("create", "post", rt, gvk, name, schema, WRITE_PARAMS, schema)
    return path
