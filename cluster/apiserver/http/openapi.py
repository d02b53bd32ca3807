"""/openapi/v3: the OpenAPI documents kube-apiserver publishes, one per group-version.

kubectl reads them for `kubectl explain`, for the strategic-merge metadata of
`kubectl apply`, and to learn that the server validates fields itself
(`--validate=strict` looks for a `fieldValidation` parameter on PATCH). The
schemas are upstream's own, as the pinned kubernetes-validate package ships
them in JSON Schema form; they are converted once to OpenAPI 3.0 shapes
(`#/components/schemas/` references wrapped in allOf beside a description,
`["string", "null"]` unions to plain types, IntOrString and Quantity as
kube-openapi writes them) and cached.

Simplified: only the group-versions and kinds kubeclass serves; no protobuf
encoding of the documents and no /openapi/v2 (kubectl 1.32 prefers v3).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import kubernetes_validate

from cluster.apiserver.http import openapi_paths
from cluster.apiserver.http.discovery import group_versions
from cluster.apiserver.resources import RESOURCES, ResourceType

SCHEMA_DIR = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / "v1.32.0-local"
REF_PREFIX = "#/components/schemas/"
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
# Definitions every group-version document carries, as kube-apiserver's do.
COMMON_SCHEMAS = (
    META + "DeleteOptions",
    META + "Status",
    META + "Patch",
    META + "WatchEvent",
    META + "APIResourceList",
)
SUBRESOURCE_SCHEMAS = {
    "scale": "io.k8s.api.autoscaling.v1.Scale",
    "binding": "io.k8s.api.core.v1.Binding",
    "eviction": "io.k8s.api.policy.v1.Eviction",
}
# Keywords whose values are schemas (or lists/maps of them); everything else is copied as it is.
_SCHEMA_KEYWORDS = ("items", "additionalProperties", "not")
_SCHEMA_LISTS = ("allOf", "oneOf", "anyOf")
_SCHEMA_MAPS = ("properties", "patternProperties")

# kube-openapi writes these two as strings with a format, not as unions.
_SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "description": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
        "marshalling and unmarshalling, it produces or consumes the inner type.  This allows you "
        "to have, for example, a JSON field that can accept a name or number.",
        "type": "string",
        "format": "int-or-string",
    },
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "description": "Quantity is a fixed-point representation of a number. It provides convenient "
        "marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() "
        "accessors.\n\nThe serialization format is:\n\n<quantity>        ::= "
        "<signedNumber><suffix>\n\nExamples: 100m (0.1), 1 (one), 1Gi (1024^3), 500M (500*1000^2).",
        "type": "string",
    },
}


def convert_schema(node: dict) -> dict:
    """One JSON Schema node as an OpenAPI 3.0 schema object."""
    if "$ref" in node:
        ref = REF_PREFIX + node["$ref"].rpartition("/")[2]
        rest = convert_schema({k: v for k, v in node.items() if k != "$ref"})
        return {"allOf": [{"$ref": ref}], **rest} if rest else {"$ref": ref}
    out: dict = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, list):
            concrete = [t for t in value if t != "null"]
            out[key] = concrete[0] if len(concrete) == 1 else concrete
        elif key in _SCHEMA_KEYWORDS and isinstance(value, dict):
            out[key] = convert_schema(value)
        elif key in _SCHEMA_LISTS:
            out[key] = [convert_schema(v) for v in value]
        elif key in _SCHEMA_MAPS:
            out[key] = {name: convert_schema(v) for name, v in value.items()}
        else:
            out[key] = value
    return out


def _strip_type_meta_enums(name: str, schema: dict) -> dict:
    """The JSON schemas pin apiVersion and kind with an enum; kube-apiserver's documents do not."""
    props = schema.get("properties") or {}
    for field in ("apiVersion", "kind"):
        if field in props and "enum" in props[field]:
            props[field] = {k: v for k, v in props[field].items() if k != "enum"}
    return schema


@functools.lru_cache(maxsize=1)
def definitions() -> dict[str, dict]:
    """Every upstream definition, converted (loaded once per process)."""
    with open(SCHEMA_DIR / "_definitions.json", encoding="utf-8") as f:
        raw = json.load(f)["$defs"]
    converted = {name: _strip_type_meta_enums(name, convert_schema(schema)) for name, schema in raw.items()}
    converted.update(_SPECIAL)
    return converted


def _refs(node: object) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF_PREFIX):
                found.add(ref[len(REF_PREFIX) :])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _closure(roots: list[str]) -> dict[str, dict]:
    defs = definitions()
    picked: dict[str, dict] = {}
    pending = [r for r in roots if r in defs]
    while pending:
        name = pending.pop()
        if name in picked:
            continue
        picked[name] = defs[name]
        pending.extend(r for r in _refs(defs[name]) if r not in picked and r in defs)
    return dict(sorted(picked.items()))


def resources_of(group: str, version: str) -> list[ResourceType]:
    return [r for r in RESOURCES if (r.group, r.version) == (group, version)]


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


@functools.lru_cache(maxsize=None)
def gv_document(group: str, version: str) -> bytes | None:
    """The OpenAPI v3 document of one group-version, serialised once."""
    resources = resources_of(group, version)
    if not resources:
        return None
    roots = list(COMMON_SCHEMAS)
    for rt in resources:
        roots += [rt.schema_name, rt.schema_name + "List"]
        roots += [SUBRESOURCE_SCHEMAS[s] for s in rt.subresources if s in SUBRESOURCE_SCHEMAS]
    document = {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": openapi_paths.paths_for(resources),
        "components": {
            "schemas": _closure(roots),
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "description": "Bearer Token authentication",
                    "name": "authorization",
                    "in": "header",
                }
            },
        },
        "security": [{"BearerToken": []}],
    }
    return json.dumps(document, separators=(",", ":")).encode()


@functools.lru_cache(maxsize=None)
def gv_hash(group: str, version: str) -> str:
    document = gv_document(group, version) or b""
    return hashlib.sha512(document).hexdigest().upper()


def index() -> dict:
    """/openapi/v3: where each group-version's document is, with a content hash for caching."""
    paths = {}
    for group, version in group_versions():
        path = gv_path(group, version)
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={gv_hash(group, version)}"}
    return {"paths": paths}


def document_for_path(path: str) -> tuple[bytes, str] | None:
    """The document and its hash for `api/v1` or `apis/<group>/<version>`; None if not served."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "api":
        group, version = "", parts[1]
    elif len(parts) == 3 and parts[0] == "apis":
        group, version = parts[1], parts[2]
    else:
        return None
    document = gv_document(group, version)
    return (document, gv_hash(group, version)) if document is not None else None
