"""`kubectl create priorityclass` (pkg/cmd/create/create_priorityclass.go).

    kubectl create priorityclass NAME --value=VALUE [--global-default] [--description=TEXT]
        [--preemption-policy=PreemptLowerPriority|Never]

The object is built as kubectl v1.32 builds it: the value (0 when not given), globalDefault and
description as given, and the preemption policy always set (PreemptLowerPriority unless given).
The generator registers itself with `kubectl create` (cluster/kubectl/create.py).
"""

from __future__ import annotations

from cluster.kubectl.cli import Context
from cluster.kubectl.create import GENERATORS
from cluster.kubectl.flags import Flag, Parsed


def _priority_class(ctx: Context, name: str, parsed: Parsed) -> dict:
    return {
        "kind": "PriorityClass",
        "apiVersion": "scheduling.k8s.io/v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "value": parsed["value"],
        "globalDefault": bool(parsed["global-default"]),
        "description": parsed.text("description"),
        "preemptionPolicy": parsed.text("preemption-policy"),
    }


PRIORITYCLASS_FLAGS = (
    Flag("value", "int", 0),
    Flag("global-default", "bool", False),
    Flag("description", "string", ""),
    Flag("preemption-policy", "string", "PreemptLowerPriority"),
    Flag("save-config", "bool", False),
)
GENERATORS.update(
    {
        "priorityclass": (_priority_class, PRIORITYCLASS_FLAGS, ()),
        "pc": (_priority_class, PRIORITYCLASS_FLAGS, ()),
    }
)
