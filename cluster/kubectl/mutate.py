"""Read-modify-PATCH, as kubectl's imperative verbs change objects (set, label, cordon, rollout).

kubectl reads the object, changes a copy locally, and sends the difference:
a two-way strategic merge patch (set image, cordon, rollout) or a JSON merge
patch (label, annotate). An empty difference sends nothing, which is how
kubectl knows to say `already cordoned` or `not labeled`.
"""

from __future__ import annotations

import copy
from typing import Callable

from cluster.apiserver.patch import MERGE_PATCH, STRATEGIC_MERGE_PATCH
from cluster.apiserver.resources import ResourceType
from cluster.kubectl.cli import Context
from cluster.kubectl.threeway import two_way_patch


def merge_diff(before: object, after: object) -> object:
    """jsonpatch.CreateMergePatch: the RFC 7386 patch from `before` to `after`."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return after
    patch: dict = {}
    for key, value in after.items():
        if key not in before:
            patch[key] = value
        elif before[key] != value:
            patch[key] = merge_diff(before[key], value) if isinstance(value, dict) else value
    for key in before:
        if key not in after:
            patch[key] = None
    return patch


def change(
    ctx: Context,
    rt: ResourceType,
    namespace: str,
    name: str,
    edit: Callable[[dict], None],
    strategic: bool = True,
    dry_run: str = "none",
) -> tuple[dict, bool]:
    """Apply `edit` to a copy of the live object and PATCH the difference; whether anything changed."""
    current = ctx.api.get(rt, namespace, name)
    return change_object(ctx, rt, current, edit, strategic, dry_run)


def change_object(
    ctx: Context,
    rt: ResourceType,
    current: dict,
    edit: Callable[[dict], None],
    strategic: bool = True,
    dry_run: str = "none",
) -> tuple[dict, bool]:
    desired = copy.deepcopy(current)
    edit(desired)
    patch: object
    if strategic:
        patch = two_way_patch(rt, current, desired)
        patch_type = STRATEGIC_MERGE_PATCH
    else:
        patch = merge_diff(current, desired)
        patch_type = MERGE_PATCH
    if not patch:
        return current, False
    if dry_run == "client":
        return desired, True
    meta = current["metadata"]
    patched = ctx.api.patch(rt, meta.get("namespace", ""), meta["name"], patch, patch_type, dry_run=dry_run == "server")
    return patched, True
