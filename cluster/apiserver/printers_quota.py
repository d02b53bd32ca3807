"""The Table rows of ResourceQuota (pkg/printers/internalversion/printers.go printResourceQuota).

REQUEST lists every quota'd resource that is not a limit as `name: used/hard`,
LIMIT the `limits.*` ones, each sorted by name, as `kubectl get quota` shows them.
LimitRange uses kube-apiserver's default table (NAME, CREATED AT), as upstream's does.
"""

from __future__ import annotations

import datetime as dt

from cluster.apiserver.printing import age, age_column, column, name_column

RESOURCEQUOTA_COLUMNS = [
    name_column(),
    age_column(),
    column("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
    column(
        "Limit",
        "Limits control the maximum amount of cpu/memory that a container may use independent of "
        "contention on the node.",
    ),
]


def resourcequota_row(obj: dict, now: dt.datetime) -> list:
    status = obj.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for name in sorted(hard):
        text = f"{name}: {used.get(name, '0')}/{hard[name]}"
        (limits if name.split(".")[0] == "limits" and "." in name else requests).append(text)
    return [obj["metadata"]["name"], age(obj, now), ", ".join(requests), ", ".join(limits)]
