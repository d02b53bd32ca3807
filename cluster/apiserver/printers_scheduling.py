"""Server-side printing of scheduling.k8s.io/v1 PriorityClasses (upstream's printers.go printPriorityClass).

PREEMPTIONPOLICY is PreemptLowerPriority when the object has none.
"""

from __future__ import annotations

import datetime as dt

from cluster.apiserver.printing import age, age_column, column, name_column

PRIORITYCLASS_COLUMNS = [
    name_column(),
    column("Value", "The priority pods of this class receive.", type_="integer"),
    column("Global-Default", "Whether pods that name no class get this one.", type_="boolean"),
    age_column(),
    column("PreemptionPolicy", "Whether pods of this class may preempt pods of lower priority."),
]


def priorityclass_row(obj: dict, now: dt.datetime) -> list:
    return [
        obj["metadata"]["name"],
        obj.get("value", 0),
        bool(obj.get("globalDefault")),
        age(obj, now),
        obj.get("preemptionPolicy") or "PreemptLowerPriority",
    ]
