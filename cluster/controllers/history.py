"""ControllerRevisions: the rollout history of DaemonSets and StatefulSets (pkg/controller/history).

A ControllerRevision records one state of its owner as `data`, a strategic
merge patch that replaces `spec.template` (`{"spec":{"template":{...,
"$patch":"replace"}}}`, the getPatch of both controllers), and an increasing
`revision` number. `kubectl rollout history` lists them; `rollout undo`
applies one's data as a patch. The revision's name is `<owner>-<hash>` and
its labels are the template's plus `controller-revision-hash`.

StatefulSet revisions are named with history.HashControllerRevision: FNV-32
over the data as Go's encoding/json writes it (keys sorted, <>& escaped), so
the name follows from the template alone. DaemonSet revisions use the pod
template hash (controller.ComputeHash; see controller_utils.compute_hash).
"""

from __future__ import annotations

import copy
import json

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.controllers.controller_ref import claim
from cluster.controllers.controller_utils import new_controller_ref, safe_encode_string
from cluster.informers import Lister

REVISION_HASH = "controller-revision-hash"  # apps.ControllerRevisionHashLabelKey
MAX_PREFIX = 223


def go_json(value: object) -> bytes:
    """encoding/json.Marshal of a decoded value: compact, map keys sorted, <, > and & escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def fnv32(data: bytes, start: int = 0x811C9DC5) -> int:
    """hash/fnv.New32 (FNV-1: multiply, then xor)."""
    value = start
    for byte in data:
        value = ((value * 0x01000193) & 0xFFFFFFFF) ^ byte
    return value


def hash_revision(data: dict, collision_count: int | None) -> str:
    """HashControllerRevision: FNV-32 of the data's JSON (and the collision count), safe-encoded."""
    raw = go_json(data)
    if collision_count is not None:
        raw += str(collision_count).encode()
    return safe_encode_string(str(fnv32(raw)))


def template_patch(owner: dict) -> dict:
    """getPatch: the owner's pod template as a patch that replaces spec.template."""
    template = copy.deepcopy((owner.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def template_of(revision: dict) -> dict:
    """The pod template a revision's data restores."""
    template = copy.deepcopy(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


def apply_revision(owner: dict, revision: dict) -> dict:
    """ApplyRevision: the owner with the revision's template (its strategic merge patch applied)."""
    applied = copy.deepcopy(owner)
    applied.setdefault("spec", {})["template"] = template_of(revision)
    return applied


def revision_name(prefix: str, hash_: str) -> str:
    return f"{prefix[:MAX_PREFIX]}-{hash_}"


def new_revision(owner: dict, data: dict, number: int, hash_: str, annotations: dict | None = None) -> dict:
    """NewControllerRevision: owned by `owner`, labelled with its template's labels and the hash."""
    labels = dict((((owner.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {})
    labels[REVISION_HASH] = hash_
    meta: dict = {
        "name": revision_name(owner["metadata"]["name"], hash_),
        "namespace": owner["metadata"]["namespace"],
        "labels": labels,
        "ownerReferences": [new_controller_ref(owner)],
    }
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": meta, "data": data, "revision": number}


def sort_revisions(revisions: list[dict]) -> list[dict]:
    """SortControllerRevisions: by revision, then creation time, then name."""
    return sorted(
        revisions,
        key=lambda r: (r.get("revision", 0), r["metadata"].get("creationTimestamp", ""), r["metadata"]["name"]),
    )


def max_revision(revisions: list[dict]) -> int:
    return max((r.get("revision", 0) for r in revisions), default=0)


def controlled_revisions(api: APIServer, lister: Lister, owner: dict) -> list[dict]:
    """The owner's ControllerRevisions after adopting matching orphans and releasing the rest."""
    meta = owner["metadata"]
    candidates = lister.owned_or_orphans("controllerrevisions", meta["namespace"], meta["uid"])
    return claim(api, owner, "controllerrevisions", candidates)


def create_revision(api: APIServer, owner: dict, make: object, collision_count: int) -> tuple[dict, int]:
    """CreateControllerRevision: create `make(collision_count)`; a name taken by other data bumps the count."""
    while True:
        revision = make(collision_count)  # type: ignore[operator]
        try:
            return api.create("controllerrevisions", owner["metadata"]["namespace"], revision), collision_count
        except StatusError as err:
            if err.reason != "AlreadyExists":
                raise
        existing = api.get("controllerrevisions", owner["metadata"]["namespace"], revision["metadata"]["name"])
        if existing.get("data") == revision["data"]:
            return existing, collision_count
        collision_count += 1


def set_revision_number(api: APIServer, revision: dict, number: int) -> dict:
    """UpdateControllerRevision: only the revision number changes (a rollback renumbers an old state)."""
    if revision.get("revision") == number:
        return revision

    def put(obj: dict) -> dict:
        obj["revision"] = number
        return obj

    return api.update_with("controllerrevisions", revision["metadata"]["namespace"], revision["metadata"]["name"], put)


def delete_revision(api: APIServer, revision: dict) -> None:
    try:
        api.delete("controllerrevisions", revision["metadata"]["namespace"], revision["metadata"]["name"])
    except StatusError as err:
        if err.code != 404:
            raise
