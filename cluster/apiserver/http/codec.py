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
from dataclasses import dataclass

import yaml
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

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
        return (self.params.get("as") == kind and self.params.get("g") == group
                and self.params.get("v") in versions)


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


def json_response(body: object, status: int = 200, content_type: str = JSON) -> HttpResponse:
    return HttpResponse(json.dumps(body, separators=(",", ":")), status=status, content_type=content_type)


def status_response(err: StatusError) -> HttpResponse:
    return json_response(err.status(), status=err.code)


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


def decode_body(request: HttpRequest, allow_empty: bool = False) -> object:
    """The request body as JSON-like data; a malformed body is a 400 naming what is wrong."""
    kind = content_type(request)
    body = raw_body(request)
    if kind == PROTOBUF and body:
        return protobuf.decode(body)
    if not body.strip():
        if allow_empty:
            return None
        raise StatusError.bad_request("the body of the request was empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise StatusError.bad_request("the body of the request is not valid UTF-8") from None
    if "yaml" in kind:
        return _decode_yaml(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise StatusError.bad_request(f"couldn't get version/kind; json parse error: {err.msg} "
                                      f"(line {err.lineno}, column {err.colno})") from None


def _decode_yaml(text: str) -> object:
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise StatusError.bad_request(f"error converting YAML to JSON: yaml: {problem}{where}") from None
    if len(documents) != 1:
        raise StatusError.bad_request("the body of the request must be exactly one YAML document")
    return documents[0]
