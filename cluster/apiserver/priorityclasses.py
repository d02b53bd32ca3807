"""PriorityClasses (scheduling.k8s.io/v1): the two system classes, and what the Priority admission plugin asks.

kube-apiserver creates `system-node-critical` and `system-cluster-critical` when it
starts and refuses to delete them; here they are created with the cluster
(cluster/bootstrap.py). A Pod's `priorityClassName` gives it the class's value as
`spec.priority`; a Pod that names none gets the value of the class marked
`globalDefault` (with its name), or 0. Only one class may be the global default.

Simplified: a cluster created before PriorityClasses were served still admits the two
system class names by their built-in values, as if its API server had created them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster.apiserver.errors import StatusError

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

PREFIX = "system-"
HIGHEST_USER_DEFINABLE = 1_000_000_000
SYSTEM_CRITICAL = 2 * HIGHEST_USER_DEFINABLE
# name -> (value, description): upstream's SystemPriorityClasses, neither of them the global default.
SYSTEM_CLASSES = {
    "system-node-critical": (
        SYSTEM_CRITICAL + 1000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    "system-cluster-critical": (
        SYSTEM_CRITICAL,
        "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    ),
}


def system_objects() -> list[dict]:
    return [
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": name},
            "value": value,
            "description": description,
        }
        for name, (value, description) in SYSTEM_CLASSES.items()
    ]


def known_system_class(name: str, value: object, global_default: bool) -> str:
    """IsKnownSystemPriorityClass: "" when it is one, else why not."""
    if name not in SYSTEM_CLASSES:
        return f"{name} is not a known system priority class"
    if value != SYSTEM_CLASSES[name][0]:
        return f"value of {name} PriorityClass must be {SYSTEM_CLASSES[name][0]}"
    if global_default:
        return f"globalDefault of {name} PriorityClass must be false"
    return ""


def lookup(api: APIServer, name: str) -> dict | None:
    """The PriorityClass a Pod names (a system class by its built-in values if this cluster has no object)."""
    try:
        return api.get("priorityclasses", "", name)
    except StatusError as err:
        if err.code != 404:
            raise
    if name in SYSTEM_CLASSES:
        return {"metadata": {"name": name}, "value": SYSTEM_CLASSES[name][0]}
    return None


def global_default(api: APIServer) -> dict | None:
    """The default class; of several (only possible through races upstream), the one of lowest value."""
    defaults = [pc for pc in api.list("priorityclasses")["items"] if pc.get("globalDefault")]
    return min(defaults, key=lambda pc: pc.get("value", 0)) if defaults else None


def admit(api: APIServer, obj: dict, old: dict | None) -> None:
    """The Priority plugin on a PriorityClass: a second global default is refused."""
    if not obj.get("globalDefault"):
        return
    current = global_default(api)
    name = obj["metadata"].get("name", "")
    if current is not None and (old is None or current["metadata"]["name"] != name):
        raise StatusError.forbidden_object(
            "priorityclasses",
            "scheduling.k8s.io",
            name,
            f"PriorityClass {current['metadata']['name']} is already marked as default. Only one default can exist",
        )


def refuse_system_delete(name: str) -> None:
    """The PriorityClass REST storage keeps the system classes."""
    if name in SYSTEM_CLASSES:
        raise StatusError.forbidden_object(
            "priorityclasses", "scheduling.k8s.io", name, "this is a system priority class and cannot be deleted"
        )
