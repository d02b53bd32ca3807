"""ControllerRefManager (k8s.io/kubernetes pkg/controller/controller_ref_manager.go).

How a controller decides which objects are its own: it keeps the ones whose
controller ownerReference names it and still match its selector, adopts
matching orphans (sets itself as their controller), and releases the ones that
no longer match. A Deployment claims ReplicaSets this way; a ReplicaSet, Pods.
"""

from __future__ import annotations

from typing import Callable

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.apiserver.selectors import selector_from_label_selector
from cluster.controllers.controller_utils import controller_of, is_being_deleted, new_controller_ref


def claim(api: APIServer, owner: dict, resource: str, candidates: list[dict]) -> list[dict]:
    """The candidates `owner` controls after adopting and releasing as upstream does."""
    matcher, uid = selector_from_label_selector(owner["spec"].get("selector")), owner["metadata"]["uid"]
    claimed = []
    for obj in candidates:
        ref = controller_of(obj)
        matches = matcher is not None and matcher.matches(obj["metadata"].get("labels") or {})
        if ref is not None:
            if ref.get("uid") != uid:
                continue
            if matches:
                claimed.append(obj)
            elif not is_being_deleted(owner):
                _update(api, resource, obj, _without_owner(uid))
            continue
        if matches and not is_being_deleted(owner) and not is_being_deleted(obj):
            adopted = _update(api, resource, obj, _with_controller(new_controller_ref(owner)))
            if adopted is not None and (controller_of(adopted) or {}).get("uid") == uid:
                claimed.append(adopted)
    return claimed


def _with_controller(ref: dict) -> Callable[[dict], dict]:
    def put(obj: dict) -> dict:
        if controller_of(obj) is None:  # someone else may have adopted it meanwhile
            obj["metadata"].setdefault("ownerReferences", []).append(ref)
        return obj

    return put


def _without_owner(uid: str) -> Callable[[dict], dict]:
    def put(obj: dict) -> dict:
        refs = [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
        if refs:
            obj["metadata"]["ownerReferences"] = refs
        else:
            obj["metadata"].pop("ownerReferences", None)
        return obj

    return put


def _update(api: APIServer, resource: str, obj: dict, mutate: Callable[[dict], dict]) -> dict | None:
    meta = obj["metadata"]
    try:
        return api.update_with(resource, meta.get("namespace"), meta["name"], mutate)
    except StatusError as err:
        if err.code == 404:  # gone meanwhile: nothing to adopt or release
            return None
        raise
