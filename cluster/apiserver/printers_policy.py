"""Server-side printing of policy/v1 PodDisruptionBudgets (upstream's printers.go printPodDisruptionBudget).

MIN AVAILABLE and MAX UNAVAILABLE print the IntOrString as written (`2`, `50%`), `N/A` when unset;
ALLOWED DISRUPTIONS is status.disruptionsAllowed.
"""

from __future__ import annotations

import datetime as dt

from cluster.apiserver.printing import age, age_column, column, name_column

PDB_COLUMNS = [
    name_column(),
    column("Min Available", "The minimum number of pods that must be available."),
    column("Max Unavailable", "The maximum number of pods that may be unavailable."),
    column("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time.", type_="integer"),
    age_column(),
]


def _int_or_string(value: object) -> str:
    return "N/A" if value is None else str(value)


def pdb_row(obj: dict, now: dt.datetime) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [
        obj["metadata"]["name"],
        _int_or_string(spec.get("minAvailable")),
        _int_or_string(spec.get("maxUnavailable")),
        int(status.get("disruptionsAllowed") or 0),
        age(obj, now),
    ]
