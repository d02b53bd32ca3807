"""/openapi/v2: the Swagger 2.0 document kube-apiserver publishes beside its OpenAPI v3 ones.

kubectl 1.32 still reads it: `kubectl create|apply -f` of a `kind: List`
validates each item client-side against these definitions (the v3 documents
have no path for v1 List), and client-go's discovery client asks for it in
protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, the
gnostic openapi_v2.Document; openapi_v2_proto.py) and accepts nothing else.

The definitions are upstream's own, as kubernetes-validate ships them for
v1.32 (the same source openapi.py converts to v3): `#/definitions/` references
beside their description as kube-openapi writes v2, `["string", "null"]`
unions as plain types, IntOrString and Quantity as kube-openapi writes them,
apiVersion/kind without their pinning enum, `x-kubernetes-group-version-kind`
on each top-level kind (what kubectl looks models up by). The paths are the v3
documents' operations (openapi_paths.py) in v2 form: parameters inline, a
`body` parameter instead of requestBody, `consumes`/`produces` lists.

Negotiation is kube-openapi's handler: the first acceptable of JSON and the
two protobuf media types wins (`*/*` or no Accept: JSON), anything else is 406;
an ETag per encoding (SHA-512 of the bytes) and If-None-Match → 304.

Simplified: only the kinds kubeclass serves and what they reference; shared
`#/parameters/` entries are written inline; no gzip.
"""

from __future__ import annotations

import functools
import hashlib
import json

from django.http import HttpRequest, HttpResponse

from cluster.apiserver.http import openapi, openapi_paths, openapi_v2_proto
from cluster.apiserver.resources import RESOURCES

REF_PREFIX = "#/definitions/"
V3_REF_PREFIX = "#/components/schemas/"
JSON_TYPE = "application/json"
PROTOBUF_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
PROTOBUF_DEPRECATED = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
# (media type a client may ask for, media type answered, encoding)
ACCEPTED = (
    (JSON_TYPE, JSON_TYPE, "json"),
    (PROTOBUF_DEPRECATED, PROTOBUF_TYPE, "protobuf"),
    (PROTOBUF_TYPE, PROTOBUF_TYPE, "protobuf"),
)
_SCHEMA_KEYWORDS = ("items", "additionalProperties")
# kube-openapi writes these two as strings with a format, not as unions (the same as the v3 documents).
_SPECIAL = {name: dict(schema) for name, schema in openapi._SPECIAL.items()}  # noqa: SLF001 - one source of truth


def convert_schema(node: dict) -> dict:
    """One JSON Schema node as a Swagger 2.0 schema object."""
    out: dict = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = REF_PREFIX + value.rpartition("/")[2]
        elif key == "type" and isinstance(value, list):
            concrete = [t for t in value if t != "null"]
            out[key] = concrete[0] if len(concrete) == 1 else concrete
        elif key in _SCHEMA_KEYWORDS and isinstance(value, dict):
            out[key] = convert_schema(value)
        elif key == "properties":
            out[key] = {name: convert_schema(v) for name, v in value.items()}
        elif key in ("oneOf", "anyOf", "allOf", "not"):
            continue  # not Swagger 2.0; the only unions (IntOrString, Quantity) are replaced below
        else:
            out[key] = value
    return out


@functools.lru_cache(maxsize=1)
def _raw_definitions() -> dict[str, dict]:
    with open(openapi.SCHEMA_DIR / "_definitions.json", encoding="utf-8") as f:
        return json.load(f)["$defs"]


def _definition(name: str) -> dict:
    if name in _SPECIAL:
        return _SPECIAL[name]
    schema = convert_schema(_raw_definitions()[name])
    for field in ("apiVersion", "kind"):
        prop = (schema.get("properties") or {}).get(field)
        if prop and "enum" in prop:
            schema["properties"][field] = {k: v for k, v in prop.items() if k != "enum"}
    return schema


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


def definitions(roots: set[str]) -> dict[str, dict]:
    """The named definitions and everything they reference, sorted by name."""
    raw = _raw_definitions()
    picked: dict[str, dict] = {}
    pending = sorted(r for r in roots if r in raw)
    while pending:
        name = pending.pop()
        if name in picked:
            continue
        picked[name] = _definition(name)
        pending.extend(r for r in _refs(picked[name]) if r not in picked and r in raw)
    return dict(sorted(picked.items()))


# -- paths: the v3 operations, rewritten in Swagger 2.0 form ---------------------------------
def _v2_refs(node: object) -> object:
    if isinstance(node, dict):
        return {
            k: (
                REF_PREFIX + v[len(V3_REF_PREFIX) :]
                if k == "$ref" and isinstance(v, str) and v.startswith(V3_REF_PREFIX)
                else _v2_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_v2_refs(v) for v in node]
    return node


def _parameter(param: dict) -> dict:
    out = {k: v for k, v in param.items() if k != "schema"}
    out.update(param.get("schema") or {})
    return out


def _operation(op: dict) -> dict:
    out: dict = {}
    body = op.get("requestBody")
    consumes = list((body or {}).get("content") or {}) or ["*/*"]
    produces: list[str] = []
    responses: dict = {}
    for code, response in (op.get("responses") or {}).items():
        answer = {"description": response.get("description", "")}
        for media, content in (response.get("content") or {}).items():
            if media not in produces:
                produces.append(media)
            if "schema" in content and "schema" not in answer:
                answer["schema"] = _v2_refs(content["schema"])
        responses[code] = answer
    for key, value in op.items():
        if key == "parameters":
            out[key] = [_parameter(p) for p in value]
        elif key == "requestBody":
            schema = next(iter(value["content"].values()))["schema"]
            out.setdefault("parameters", []).insert(
                0, {"name": "body", "in": "body", "required": True, "schema": _v2_refs(schema)}
            )
        elif key == "responses":
            out[key] = responses
        else:
            out[key] = value
    out["consumes"], out["produces"], out["schemes"] = consumes, produces, ["https"]
    return dict(sorted(out.items()))


def _path_item(item: dict) -> dict:
    out: dict = {}
    for key, value in item.items():
        out[key] = [_parameter(p) for p in value] if key == "parameters" else _operation(value)
    return out


@functools.lru_cache(maxsize=1)
def document() -> dict:
    """The whole Swagger 2.0 document (built once per process)."""
    paths = {path: _path_item(item) for path, item in openapi_paths.paths_for(list(RESOURCES)).items()}
    roots = set(openapi.COMMON_SCHEMAS) | _refs(paths)
    for rt in RESOURCES:
        roots |= {rt.schema_name, rt.schema_name + "List"}
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "definitions": definitions(roots),
        "securityDefinitions": {
            "BearerToken": {
                "type": "apiKey",
                "description": "Bearer Token authentication",
                "name": "authorization",
                "in": "header",
            }
        },
        "security": [{"BearerToken": []}],
    }


@functools.lru_cache(maxsize=2)
def encoded(encoding: str) -> tuple[bytes, str]:
    """The document as `json` or `protobuf` bytes, and its ETag (kube-openapi's: the SHA-512 in hex, quoted)."""
    if encoding == "json":
        data = json.dumps(document(), separators=(",", ":")).encode()
    else:
        data = openapi_v2_proto.encode_document(document())
    return data, '"' + hashlib.sha512(data).hexdigest().upper() + '"'


def _accepted(header: str) -> tuple[str, str] | None:
    """The first clause of the Accept header this handler serves: (answered media type, encoding)."""
    clauses = []
    for index, entry in enumerate((header or "*/*").split(",")):
        media, *params = [p.strip() for p in entry.split(";")]
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            clauses.append((-quality, media.count("*"), index, media.lower()))
    for _q, _stars, _i, media in sorted(clauses):  # goautoneg: by quality, then the more specific first
        kind, _, sub = media.partition("/")
        for asked, answered, encoding in ACCEPTED:
            a_kind, _, a_sub = asked.partition("/")
            if kind in (a_kind, "*") and sub in (a_sub, "*"):
                return answered, encoding
    return None


def response(request: HttpRequest) -> HttpResponse:
    found = _accepted(request.headers.get("Accept", ""))
    if found is None:
        response = HttpResponse(status=406)
        response["Vary"] = "Accept"
        return response
    media_type, encoding = found
    data, etag = encoded(encoding)
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        answer = HttpResponse(status=304)
    else:
        answer = HttpResponse(data, content_type=media_type)
    answer["Vary"] = "Accept"
    answer["ETag"] = etag
    return answer
