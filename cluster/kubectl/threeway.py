"""The three-way strategic merge patch of client-side `kubectl apply`.

kubectl compares three versions of an object (k8s.io/apimachinery's
strategicpatch.CreateThreeWayMergePatch): the configuration last applied
(the `kubectl.kubernetes.io/last-applied-configuration` annotation), the new
manifest, and the live object. The patch sets everything the manifest says
that the live object does not have, and deletes what the last applied
configuration had but the manifest dropped — so fields other writers set
(status, defaults, a controller's annotations) survive. Lists with a patch
merge key (containers by `name`, ports by `containerPort`) are diffed element
by element, with `$patch: delete` for removed elements and
`$setElementOrder/<list>` for the manifest's order; merge lists of scalars use
`$deleteFromPrimitiveList/<list>`; every other list is replaced whole.

Fields with the `retainKeys` strategy (a Deployment's strategy, a volume's
source) get a `$retainKeys` list, so switching `type: Recreate` drops the
defaulted rollingUpdate as on a real cluster. Strategies and merge keys come
from the Kubernetes v1.32 OpenAPI definitions kubernetes-validate ships,
loaded once. Simplified: no conflict detection (kubectl apply overwrites
other writers' changes to fields it manages, as it does with --overwrite).
"""

from __future__ import annotations


from cluster.apiserver import schemas
from cluster.apiserver.resources import ResourceType

_MISSING = object()


_resolve = schemas.resolve


def schema_for(rt: ResourceType) -> dict | None:
    return _resolve({"$ref": f"#/$defs/{rt.schema_name}"})


def _field(schema: dict | None, key: str) -> tuple[dict | None, str, str, bool]:
    """The field's schema, its patch strategy (merge or replace), its merge key, and whether it retains keys."""
    if not schema:
        return None, "", "", False
    field = (schema.get("properties") or {}).get(key)
    if field is None and isinstance(schema.get("additionalProperties"), dict):
        field = schema["additionalProperties"]
    if field is None:
        return None, "", "", False
    declared = field.get("x-kubernetes-patch-strategy", "").split(",")
    strategies = [s for s in declared if s and s != "retainKeys"]
    return (
        _resolve(field),
        (strategies[0] if strategies else ""),
        field.get("x-kubernetes-patch-merge-key", ""),
        "retainKeys" in declared,
    )


def three_way_patch(rt: ResourceType, original: dict, modified: dict, current: dict) -> dict:
    """The patch that takes `current` to `modified`, deleting what `original` had and `modified` dropped."""
    schema = schema_for(rt)
    delta = _diff_maps(current, modified, schema, ignore_deletions=True)
    deletions = _diff_maps(original, modified, schema, ignore_additions=True)
    patch = _merge_patches(deletions, delta, schema)
    _add_element_order(patch, modified, schema)
    return patch


def two_way_patch(rt: ResourceType, original: dict, modified: dict) -> dict:
    """The patch that takes `original` to `modified` (kubectl set/label/annotate/cordon send these)."""
    schema = schema_for(rt)
    patch = _diff_maps(original, modified, schema)
    _add_element_order(patch, modified, schema)
    return patch


def _diff_maps(
    original: dict,
    modified: dict,
    schema: dict | None,
    ignore_deletions: bool = False,
    ignore_additions: bool = False,
    retain_keys: bool = False,
) -> dict:
    patch: dict = {}
    for key, new in modified.items():
        old = original.get(key, _MISSING)
        field_schema, strategy, merge_key, retains = _field(schema, key)
        if old is _MISSING or type(old) is not type(new) and not _both_numbers(old, new):
            if not ignore_additions:
                patch[key] = new
            continue
        if isinstance(new, dict):
            sub = _diff_maps(old, new, field_schema, ignore_deletions, ignore_additions, retains)
            if sub:
                patch[key] = sub
        elif isinstance(new, list) and strategy == "merge":
            _diff_merge_list(patch, key, old, new, field_schema, merge_key, ignore_deletions, ignore_additions, retains)
        elif old != new and not ignore_additions:
            patch[key] = new
    if not ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    kept = sorted(k for k, v in modified.items() if v is not None)
    dropped = any(v is not None and k not in modified for k, v in original.items())
    if retain_keys and kept and (patch or dropped):
        # `$retainKeys`: fields of a union (a strategy's type, a volume's source) the server must not keep.
        patch["$retainKeys"] = kept
    return patch


def _both_numbers(a: object, b: object) -> bool:
    return (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    )


def _diff_merge_list(
    patch: dict,
    key: str,
    old: list,
    new: list,
    schema: dict | None,
    merge_key: str,
    ignore_deletions: bool,
    ignore_additions: bool,
    retain_keys: bool,
) -> None:
    if merge_key and all(isinstance(i, dict) for i in old + new):
        items = _diff_keyed_list(
            old, new, _resolve((schema or {}).get("items")), merge_key, ignore_deletions, ignore_additions, retain_keys
        )
        if items:
            patch[key] = items
        return
    if not ignore_additions:
        added = [i for i in new if i not in old]
        if added:
            patch[key] = added
    if not ignore_deletions:
        removed = [i for i in old if i not in new]
        if removed:
            patch[f"$deleteFromPrimitiveList/{key}"] = removed


def _diff_keyed_list(
    old: list,
    new: list,
    item_schema: dict | None,
    merge_key: str,
    ignore_deletions: bool,
    ignore_additions: bool,
    retain_keys: bool,
) -> list:
    by_key = {item.get(merge_key): item for item in old}
    items: list = []
    for item in new:
        before = by_key.get(item.get(merge_key))
        if before is None:
            if not ignore_additions:
                items.append(item)
            continue
        sub = _diff_maps(before, item, item_schema, ignore_deletions, ignore_additions, retain_keys)
        if sub:
            items.append({merge_key: item.get(merge_key), **sub})
    if not ignore_deletions:
        kept = {item.get(merge_key) for item in new}
        items.extend(
            {merge_key: item.get(merge_key), "$patch": "delete"} for item in old if item.get(merge_key) not in kept
        )
    return items


def _merge_patches(first: dict, second: dict, schema: dict | None) -> dict:
    """One patch with both changes: keyed list elements that name the same element become one."""
    merged = dict(first)
    for key, value in second.items():
        field_schema, _, merge_key, _ = _field(schema, key)
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_patches(merged[key], value, field_schema)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = _merge_lists(merged[key], value, merge_key, _resolve((field_schema or {}).get("items")))
        else:
            merged[key] = value
    return merged


def _merge_lists(first: list, second: list, merge_key: str, item_schema: dict | None) -> list:
    if not merge_key:
        return second + [item for item in first if item not in second]
    result = [dict(item) for item in second]
    for item in first:
        twin = next(
            (
                r
                for r in result
                if isinstance(r, dict) and isinstance(item, dict) and r.get(merge_key) == item.get(merge_key)
            ),
            None,
        )
        if twin is None:
            result.append(item)
        else:
            twin.update(_merge_patches(item, twin, item_schema))
    return result


def _add_element_order(patch: dict, modified: dict, schema: dict | None) -> None:
    """`$setElementOrder/<list>`: the manifest's order for every merge list the patch touches."""
    for key in list(patch):
        if key.startswith("$"):
            continue
        field_schema, strategy, merge_key, _ = _field(schema, key)
        value, new = patch[key], modified.get(key)
        if isinstance(value, dict) and isinstance(new, dict):
            _add_element_order(value, new, field_schema)
        elif isinstance(value, list) and strategy == "merge" and isinstance(new, list):
            item_schema = _resolve((field_schema or {}).get("items"))
            if merge_key and all(isinstance(i, dict) for i in new):
                patch[f"$setElementOrder/{key}"] = [{merge_key: i.get(merge_key)} for i in new]
                for item in value:
                    twin = next((i for i in new if i.get(merge_key) == item.get(merge_key)), None)
                    if twin is not None and item.get("$patch") != "delete":
                        _add_element_order(item, twin, item_schema)
            else:
                patch[f"$setElementOrder/{key}"] = list(new)
    for key in [k for k in patch if k.startswith("$deleteFromPrimitiveList/")]:
        name = key.split("/", 1)[1]
        if f"$setElementOrder/{name}" not in patch and isinstance(modified.get(name), list):
            patch[f"$setElementOrder/{name}"] = list(modified[name])
