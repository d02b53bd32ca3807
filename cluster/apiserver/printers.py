"""Server-side printing: meta.k8s.io/v1 Table, as kube-apiserver's printers make it.

One module serves both the HTTP Table (for a real kubectl's `get`) and
kubeclass's own `manage.py kubectl get`, so both print the same columns.
Column definitions follow upstream's pkg/printers/internalversion/printers.go.
"""
from __future__ import annotations

import datetime as dt

from cluster import clock
from cluster.apiserver.resources import ResourceType


def table(rt: ResourceType, items: list[dict], now: dt.datetime, resource_version: str = "",
          include_object: str = "Metadata") -> dict:
    """A meta.k8s.io/v1 Table for `items` (objects of kind `rt.kind`)."""
    columns = [
        {"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0},
        {"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp is a timestamp representing the server time when this object was created.", "priority": 0},
    ]
    rows = [{"cells": [o["metadata"]["name"], human_duration(now, o["metadata"].get("creationTimestamp"))],
             "object": _row_object(o, include_object)} for o in items]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": columns, "rows": rows}


def _row_object(obj: dict, include_object: str) -> dict | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def human_duration(now: dt.datetime, timestamp: str | None) -> str:
    """duration.HumanDuration of now - timestamp (`<unknown>` when absent)."""
    if not timestamp:
        return "<unknown>"
    seconds = int((now - clock.parse_rfc3339(timestamp)).total_seconds())
    return short_human_duration(seconds)


def short_human_duration(seconds: int) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m{s}s" if s else f"{minutes}m"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h{m}m" if m else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d{h}h" if h else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y{dy}d" if dy else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"
