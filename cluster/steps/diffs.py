"""The diff a write's step shows: the object's changed leaf paths, old → new.

Simplified: not a JSON patch or a strategic merge patch but a flat list of leaf
paths (`spec.template.spec.containers[0].image`), lists compared index by
index, at most MAX_DIFF_ENTRIES of them in path order, each value cut to
MAX_VALUE_CHARS; metadata.resourceVersion and metadata.managedFields are left out.

Every recorded write computes one, so `diff` walks only where the two objects
differ (an equal subtree has no changed leaf); `diff_plain`, which flattens
both objects whole, is the reference it is tested against.
"""

from __future__ import annotations

import json

MAX_DIFF_ENTRIES = 40
MAX_VALUE_CHARS = 80
_IGNORED = {"metadata.resourceVersion", "metadata.managedFields"}


def _flatten(value: object, prefix: str, out: dict[str, object]) -> None:
    if prefix in _IGNORED:
        return
    if isinstance(value, dict) and value:
        for k in sorted(value):
            _flatten(value[k], f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            _flatten(item, f"{prefix}[{i}]", out)
    elif prefix:
        out[prefix] = value


def _short(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def diff(old: dict | None, new: dict | None) -> list[dict]:
    """The changed leaf paths, old → new (at most MAX_DIFF_ENTRIES, in path order)."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    _walk(old or {}, new or {}, "", before, after)
    return _entries(before, after)


def diff_plain(old: dict | None, new: dict | None) -> list[dict]:
    """`diff` the plain way: both objects flattened whole, then every path compared."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    _flatten(old or {}, "", before)
    _flatten(new or {}, "", after)
    return _entries(before, after)


_MISSING = object()  # a key or index one side does not have


def _walk(old: object, new: object, prefix: str, before: dict[str, object], after: dict[str, object]) -> None:
    """Flatten the leaves of `old` into `before` and of `new` into `after`, but only where they differ."""
    if old == new or prefix in _IGNORED:
        return
    if isinstance(old, dict) and isinstance(new, dict) and old and new:
        for k in old.keys() | new.keys():
            path = f"{prefix}.{k}" if prefix else str(k)
            _walk(old.get(k, _MISSING), new.get(k, _MISSING), path, before, after)
    elif isinstance(old, list) and isinstance(new, list) and old and new:
        for i in range(max(len(old), len(new))):
            old_item = old[i] if i < len(old) else _MISSING
            new_item = new[i] if i < len(new) else _MISSING
            _walk(old_item, new_item, f"{prefix}[{i}]", before, after)
    else:
        if old is not _MISSING:
            _flatten(old, prefix, before)
        if new is not _MISSING:
            _flatten(new, prefix, after)


def _entries(before: dict[str, object], after: dict[str, object]) -> list[dict]:
    changed = [p for p in sorted(before.keys() | after.keys()) if before.get(p, None) != after.get(p, None)]
    return [{"path": p, "old": _short(before.get(p)), "new": _short(after.get(p))} for p in changed[:MAX_DIFF_ENTRIES]]
