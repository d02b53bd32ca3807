"""A request's body and target as the registry decodes them, before defaulting and admission.

The body is copied with its values as Go would have decoded them (`clean_copy`, cluster/decoding.py),
its nulls dropped, its kind and apiVersion checked against the endpoint's (`decode_body`, as the
codec's "does not match the expected kind"), and its name and namespace against the URL's
(`check_identity`, as the handlers' checkName and namespace checks). A cluster-scoped resource has no
namespace; a namespaced one defaults to `default` (`namespace_of`).

Simplified: bodies are JSON-shaped Python values (the HTTP layer has decoded YAML or JSON already).
"""

from __future__ import annotations

import copy

import orjson

from cluster import decoding
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType, by_kind, lookup


def resource_type(rt: ResourceType | str) -> ResourceType:
    """A resource named by its plural (or short) name, or already looked up."""
    return rt if isinstance(rt, ResourceType) else lookup(rt)


def namespace_of(rt: ResourceType, namespace: str | None) -> str:
    if not rt.namespaced:
        return ""
    return namespace or "default"


def decode_body(rt: ResourceType, body: object, subresource: str = "") -> dict:
    if not isinstance(body, dict):
        raise StatusError.bad_request(
            "the body of the request was in an unknown format - accepted media "
            "types include: application/json, application/yaml"
        )
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
                f"({rt.api_version})"
                if kind == rt.kind
                else f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})"
            )
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


def check_identity(rt: ResourceType, new: dict, namespace: str, name: str) -> None:
    """The body's name and namespace must be the URL's; missing ones are taken from it."""
    meta = new.get("metadata") or {}
    if meta.get("name") and meta["name"] != name:
        raise StatusError.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
        )
    if rt.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
        raise StatusError.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    meta["name"] = name
    if rt.namespaced:
        meta["namespace"] = namespace
