"""PATCH: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.

Strategic merge patch merges lists by their patch merge key (containers by
name, ports by containerPort, …) as upstream's strategicpatch package does; the
keys and strategies are read from the Kubernetes schemas kubernetes-validate
ships, the same x-kubernetes-patch-* extensions kube-apiserver uses.

A JSON patch is bounded as kube-apiserver bounds it: at most 10,000 operations
(413), and its "copy" operations may add at most 3 MiB between them (422):
without that, twenty copies of a value into itself double it twenty times.
"""

from __future__ import annotations

import copy
from typing import overload

import jsonpatch
import jsonpointer
import orjson

from cluster.apiserver import fieldvalidation
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType
from cluster.jsoncopy import deep_copy

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

MAX_JSON_PATCH_OPERATIONS = 10_000  # maxJSONPatchOperations, apiserver's patch handler
JSON_PATCH_MAX_COPY_BYTES = 3 * 1024 * 1024  # the generic apiserver's JSONPatchMaxCopyBytes


@overload
def merge_patch(target: object, patch: dict) -> dict: ...


@overload
def merge_patch(target: object, patch: object) -> object: ...


def merge_patch(target: object, patch: object) -> object:
    """RFC 7386 JSON Merge Patch: a map patches a map (or replaces anything else with one); else it replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = deep_copy(target) if isinstance(target, dict) else {}  # the whole object: orjson's round trip
    _merge_into(result, patch)
    return result


def _merge_into(result: dict, patch: dict) -> None:
    # `result` is already a private copy: merge in place instead of copying each level again.
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            current = result.get(key)
            if not isinstance(current, dict):
                current = result[key] = {}
            _merge_into(current, value)
        else:
            result[key] = copy.deepcopy(value)


def apply_json_patch(obj: dict, operations: list) -> object:
    """RFC 6902, one operation at a time on a private copy, counting what the copies add (evanphx/json-patch's
    accumulatedCopySize: the copied value's JSON length)."""
    if len(operations) > MAX_JSON_PATCH_OPERATIONS:
        raise StatusError(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_JSON_PATCH_OPERATIONS}, got {len(operations)}",
        )
    document: object = deep_copy(obj)
    copied = 0
    try:
        for operation in operations:
            if isinstance(operation, dict) and operation.get("op") == "copy":
                copied += len(orjson.dumps(jsonpointer.resolve_pointer(document, str(operation.get("from")))))
                if copied > JSON_PATCH_MAX_COPY_BYTES:
                    raise StatusError.generic(422)  # "Unable to complete the copy, …", which the 422 drops
            document = jsonpatch.JsonPatch([operation]).apply(document, in_place=True)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError):
        raise StatusError.generic(422) from None  # NewGenericServerResponse drops jsonpatch's own words
    return document


def apply_patch(rt: ResourceType, obj: dict, body: object, patch_type: str) -> dict:
    if patch_type == JSON_PATCH:
        if not isinstance(body, list):
            raise StatusError.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        patched = apply_json_patch(obj, body)
        if patched is None:
            return {}  # null decodes into an empty object
        if not isinstance(patched, dict):
            raise fieldvalidation.not_an_object(patched)
        return patched
    if not isinstance(body, dict):
        raise StatusError.bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
    if patch_type == MERGE_PATCH:
        return merge_patch(obj, body)
    if patch_type == STRATEGIC_MERGE_PATCH:
        from cluster.apiserver import strategic

        return strategic.apply(rt, obj, body)
    raise StatusError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted "
        f"media types include: {JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_MERGE_PATCH}",
    )
