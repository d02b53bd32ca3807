"""The diff a write's step shows: the object's changed leaf paths, old → new.

Simplified: not a JSON patch or a strategic merge patch but a flat list of leaf
paths (`spec.template.spec.containers[0].image`), lists compared index by
index, at most MAX_DIFF_ENTRIES of them in path order, each value cut to
MAX_VALUE_CHARS; metadata.resourceVersion and metadata.managedFields are left out.
"""

from __future__ import annotations

import json

MAX_DIFF_ENTRIES = 40
MAX_VALUE_CHARS = 80
_IGNORED = {"metadata.resourceVersion", "metadata.managedFields"}


def _flatten(value: object, prefix: str, out: dict[str, object]) -> None:
    if isinstance(value, dict) and value:
        for k in sorted(value):
            _flatten(value[k], f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            _flatten(item, f"{prefix}[{i}]", out)
    elif prefix and prefix not in _IGNORED:
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
    _flatten(old or {}, "", before)
    _flatten(new or {}, "", after)
    changed = [p for p in sorted(set(before) | set(after)) if before.get(p, None) != after.get(p, None)]
    return [{"path": p, "old": _short(before.get(p)), "new": _short(after.get(p))} for p in changed[:MAX_DIFF_ENTRIES]]
