"""PATCH: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.

Strategic merge patch merges lists by their patch merge key (containers by
name, ports by containerPort, …) as upstream's strategicpatch package does; the
keys and strategies are read from the Kubernetes schemas kubernetes-validate
ships, the same x-kubernetes-patch-* extensions kube-apiserver uses.
"""

from __future__ import annotations

import copy
from typing import overload

import jsonpatch

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType
from cluster.jsoncopy import deep_copy

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


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


def apply_patch(rt: ResourceType, obj: dict, body: object, patch_type: str) -> dict:
    if patch_type == JSON_PATCH:
        if not isinstance(body, list):
            raise StatusError.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        try:
            return jsonpatch.apply_patch(obj, body)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
            raise StatusError.generic(422) from None  # NewGenericServerResponse drops jsonpatch's own words
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
