"""Shared pieces of server-side printing (k8s.io/kubernetes/pkg/printers).

Column definitions, durations as `kubectl get` shows them (apimachinery's
duration.HumanDuration), and the small formatting helpers several kinds share
(label selectors, container cells, access modes). Simplified: column
descriptions are upstream's for the common columns and a short summary of the
field's API documentation for the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from cluster import clock

NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name automatically. "
    "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
    "updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
AGE_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is "
    "not guaranteed to be set in happens-before order across separate operations. Clients may not set "
    "this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. "
    "Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
CONTAINERS_DOC = "Names of each container in the template."
IMAGES_DOC = "Images referenced by each container in the template."

Row = Callable[[dict, dt.datetime], list]


def column(name: str, description: str, type_: str = "string", priority: int = 0, fmt: str = "") -> dict:
    """One metav1.TableColumnDefinition."""
    return {"name": name, "type": type_, "format": fmt, "description": description, "priority": priority}


def name_column() -> dict:
    return column("Name", NAME_DOC, fmt="name")


def age_column() -> dict:
    return column("Age", AGE_DOC)


def age(obj: dict, now: dt.datetime) -> str:
    return human_duration(now, (obj.get("metadata") or {}).get("creationTimestamp"))


def human_duration(now: dt.datetime, timestamp: str | None) -> str:
    """translateTimestampSince: duration.HumanDuration of now - timestamp (`<unknown>` when absent)."""
    if not timestamp:
        return "<unknown>"
    return short_human_duration(int((now - clock.parse_rfc3339(timestamp)).total_seconds()))


def short_human_duration(seconds: int) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration, on whole seconds."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return _two(minutes, "m", seconds % 60, "s")
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        return _two(hours, "h", minutes % 60, "m")
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return _two(hours // 24, "d", hours % 24, "h")
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        return _two(hours // 24 // 365, "y", (hours // 24) % 365, "d")
    return f"{hours // 24 // 365}y"


def _two(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big}{big_unit}{small}{small_unit}" if small else f"{big}{big_unit}"


def format_labels(labels: dict | None) -> str:
    """labels.FormatLabels: sorted `k=v` pairs, `<none>` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def selector_string(selector: dict | None) -> str:
    """metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key; empty for everything."""
    if not selector:
        return ""
    reqs: list[tuple[str, str]] = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator"), sorted(set(expr.get("values") or []))
        text = {
            "In": f"{key} in ({','.join(values)})",
            "NotIn": f"{key} notin ({','.join(values)})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(op, "")
        reqs.append((key, text))
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: like selector_string, but `<none>` when empty."""
    return selector_string(selector) or "<none>"


def container_cells(containers: list[dict] | None) -> tuple[str, str]:
    """layoutContainerCells: container names and images, comma separated."""
    containers = containers or []
    return ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)


def access_modes(modes: list[str] | None) -> str:
    """GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order."""
    modes = modes or []
    short = [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")]
    return ",".join(abbrev for mode, abbrev in short if mode in modes)


def more_list(items: list[str], count: int, maximum: int, empty: str) -> str:
    """`a,b,c + 2 more...`, as the endpoints printers cut long lists."""
    text = ",".join(items[:maximum])
    if count > maximum:
        return f"{text} + {count - maximum} more..."
    return text or empty
