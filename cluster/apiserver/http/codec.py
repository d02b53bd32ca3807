"""kube-apiserver's serializers and content negotiation, for JSON over HTTP.

Decodes request bodies (JSON, or YAML as `kubectl create --raw` and curl users
send it), encodes responses and metav1.Status errors, and reads the Accept
header the way kube-apiserver's negotiation does for the two conversions
kubeclass offers: server-side Tables (`as=Table;g=meta.k8s.io;v=v1`) and
aggregated discovery (`as=APIGroupDiscoveryList;g=apidiscovery.k8s.io;v=v2`).

Simplified: protobuf bodies are decoded for the kinds kubectl's typed clients
send (see protobuf.py), but responses are always JSON, which every Kubernetes
client accepts; no CBOR.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import orjson

import yaml
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from cluster import decoding
from cluster.apiserver.errors import StatusError
from cluster.apiserver.http import protobuf

# kube-apiserver refuses request bodies over 3 MiB before decoding them.
MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024
JSON = "application/json"
PROTOBUF = "application/vnd.kubernetes.protobuf"
AGGREGATED_DISCOVERY = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


@dataclass(frozen=True)
class MediaType:
    """One entry of an Accept header: `application/json;as=Table;g=meta.k8s.io;v=v1`."""

    type: str
    params: dict[str, str]

    def converts_to(self, kind: str, group: str, versions: tuple[str, ...]) -> bool:
        return self.params.get("as") == kind and self.params.get("g") == group and self.params.get("v") in versions


def parse_accept(header: str) -> list[MediaType]:
    accepted = []
    for entry in header.split(","):
        parts = [p.strip() for p in entry.split(";") if p.strip()]
        if not parts:
            continue
        params = {}
        for param in parts[1:]:
            key, _, value = param.partition("=")
            params[key.strip()] = value.strip()
        accepted.append(MediaType(parts[0].lower(), params))
    return accepted


def wants_table(request: HttpRequest) -> bool:
    """kubectl get asks for `as=Table;v=v1;g=meta.k8s.io` first and plain JSON as a fallback."""
    for media in parse_accept(request.headers.get("Accept", "")):
        if media.converts_to("Table", "meta.k8s.io", ("v1", "v1beta1")):
            return True
        if media.type in (JSON, "*/*", "application/*") and not media.params.get("as"):
            return False
    return False


def wants_aggregated_discovery(request: HttpRequest) -> bool:
    for media in parse_accept(request.headers.get("Accept", "")):
        if media.converts_to("APIGroupDiscoveryList", "apidiscovery.k8s.io", ("v2",)):
            return True
        if media.type in (JSON, "*/*", "application/*") and not media.params.get("as"):
            return False
    return False


_GO_ESCAPES = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encode_json(body: object) -> bytes:
    """JSON as kube-apiserver's serializer writes it (apimachinery runtime/serializer/json: Go's
    json.Encoder): compact, UTF-8 as is, `<`, `>`, `&`, U+2028 and U+2029 escaped (the encoder's
    HTML-safe default), invalid text as U+FFFD, and the trailing newline Encode appends.

    Those characters can only occur inside strings, so escaping them in the bytes is exact."""
    try:
        data = orjson.dumps(body)
    except (TypeError, orjson.JSONEncodeError):  # lone surrogates, integers beyond 64 bits
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        data = _LONE_SURROGATE.sub("\ufffd", text).encode()
    for raw, escaped in _GO_ESCAPES:
        if raw in data:
            data = data.replace(raw, escaped)
    return data + b"\n"


def json_response(body: object, status: int = 200, content_type: str = JSON) -> HttpResponse:
    return HttpResponse(encode_json(body), status=status, content_type=content_type)


def status_response(err: StatusError) -> HttpResponse:
    """The Status of a refusal; one that says when to come back also says it in Retry-After, as
    ErrorNegotiated sets it from details.retryAfterSeconds (a 429, a 503, an eviction a PDB blocks)."""
    status = err.status()
    response = json_response(status, status=err.code)
    retry_after = (status.get("details") or {}).get("retryAfterSeconds")
    if isinstance(retry_after, int) and retry_after > 0:
        response["Retry-After"] = str(retry_after)
    return response


def success_status(details: dict | None = None) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        body["details"] = details
    return body


def raw_body(request: HttpRequest) -> bytes:
    """The request body, refused with 413 when over kube-apiserver's limit."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > MAX_REQUEST_BODY_BYTES:
        raise StatusError.too_large()
    try:
        body = request.body
    except RequestDataTooBig:
        raise StatusError.too_large() from None
    if len(body) > MAX_REQUEST_BODY_BYTES:
        raise StatusError.too_large()
    return body


def content_type(request: HttpRequest) -> str:
    return (request.META.get("CONTENT_TYPE") or JSON).split(";")[0].strip().lower()


# What a create or update body may be; a patch's media type names the patch kind instead.
BODY_TYPES = (JSON, "application/yaml", PROTOBUF)
PATCH_BODY_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
APPLY_PATCH = "application/apply-patch+yaml"  # decoded only as a PATCH's body (server-side apply)


FIND_KIND_STRUCT = (
    'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
)


def summarize(body: bytes, max_length: int = 30) -> str:
    """handlers.summarizeData: an object's first bytes as text, anything else in hex."""
    if not body:
        return "<empty>"
    if body[:1] == b"{":
        text = body[:max_length].decode("utf-8", "replace")
        return text + " ..." if len(body) > max_length else text
    return body[:max_length].hex() + (" ..." if len(body) > max_length else "")


def unrecognized(into_kind: str, error: str, body: bytes) -> StatusError:
    """transformDecodeError when the body named no kind it could read: `the object provided is unrecognized`."""
    return StatusError.bad_request(
        f"the object provided is unrecognized (must be of type {into_kind}): {error} ({summarize(body)})"
    )


def _json_error(body: bytes, err: decoding.DecodeError) -> str:
    """encoding/json's words for a body it cannot parse (cluster/apiserver/gojson.py), else the decoder's."""
    from cluster.apiserver import gojson

    return gojson.syntax_error(body) or str(err)


def _find_kind_problem(value: object) -> str:
    """SimpleMetaFactory.Interpret: the body must be a JSON object whose kind and apiVersion are strings."""
    words = {list: "array", str: "string", bool: "bool", int: "number", float: "number"}
    if not isinstance(value, dict):
        if value is None:
            return ""
        return f"json: cannot unmarshal {words.get(type(value), 'number')} into Go value of type {FIND_KIND_STRUCT}"
    for key in ("apiVersion", "kind"):
        if value.get(key) is not None and not isinstance(value[key], str):
            word = "object" if isinstance(value[key], dict) else words.get(type(value[key]), "number")
            return f"json: cannot unmarshal {word} into Go struct field .{key} of type string"
    return ""


def decode_body(request: HttpRequest, allow_empty: bool = False, into_kind: str = "", apply: bool = False) -> object:
    """The request body as JSON-like data (cluster/decoding.py); a malformed body is a 400 naming what is wrong,
    a media type kube-apiserver does not decode a 415. With `into_kind` (a create or update of that kind) a body
    whose kind cannot be read is refused as transformDecodeError words it."""
    kind = content_type(request)
    body = raw_body(request)
    if body.strip() and kind not in BODY_TYPES + PATCH_BODY_TYPES + ((APPLY_PATCH,) if apply else ()):
        raise StatusError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: " + ", ".join(BODY_TYPES),
        )
    if kind == PROTOBUF and body:
        return protobuf.decode(body)
    if not body.strip():
        if allow_empty:
            return None
        if into_kind:
            raise unrecognized(
                into_kind, "couldn't get version/kind; json parse error: unexpected end of JSON input", body
            )
        raise StatusError.bad_request("the body of the request was empty")
    if "yaml" in kind:
        try:
            value = _decode_yaml(body)
        except StatusError as err:
            if into_kind and err.code == 400:
                raise unrecognized(into_kind, err.message, body) from None
            raise
    else:
        try:
            value = decoding.load_json(body)  # invalid UTF-8 becomes U+FFFD, as Go's decoder does
        except decoding.DecodeError as err:
            message = f"couldn't get version/kind; json parse error: {_json_error(body, err)}"
            if into_kind:
                raise unrecognized(into_kind, message, body) from None
            raise StatusError.bad_request(message) from None
    if into_kind:
        problem = _find_kind_problem(value)
        if problem:
            raise unrecognized(into_kind, f"couldn't get version/kind; json parse error: {problem}", body)
    return value


def _decode_yaml(body: bytes) -> object:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise StatusError.bad_request("error converting YAML to JSON: yaml: invalid leading UTF-8 octet") from None
    try:
        return decoding.load_yaml(text)
    except yaml.composer.ComposerError as err:
        if "single document" in str(err):
            raise StatusError.bad_request("the body of the request must be exactly one YAML document") from None
        raise StatusError.bad_request(f"error converting YAML to JSON: yaml: {err.problem}") from None
    except yaml.YAMLError as err:
        raise StatusError.bad_request(f"error converting YAML to JSON: {decoding.go_yaml_error(err)}") from None
    except decoding.DecodeError as err:
        raise StatusError.bad_request(f"error converting YAML to JSON: yaml: {err}") from None
