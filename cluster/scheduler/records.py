"""What kube-scheduler decided about each pod and why, kept beside the cluster rather than in it.

A real kube-scheduler leaves no trace of its per-node reasoning on the Pod: it
logs Filter and Score results at -v=10 and writes only the Binding, the
PodScheduled condition and an Event. So the dashboard's scheduler tab does not
read its table from the Kubernetes API either. Like kube-scheduler-simulator,
which keeps every plugin's results in a result store of its own
(simulator/scheduler/plugin/resultstore), the scheduler writes each cycle's
record to a simulator-side table: a ring of RuntimeState rows, scope
"scheduler", named "0" .. "31", in the same unit of work as its Binding (or
its FailedScheduling event), so a rolled-back unit leaves no record either.

Each row holds one cycle: {"seq": n, "namespace", "pod", "uid", "decision":
<the Decision record as JSON text, cluster/scheduler/scheduler.py>}. `seq` grows by one per
record; the row `seq % KEPT` is overwritten, so the ring keeps the last KEPT
decisions. Only the process that drives the cluster (its reconciler lease)
runs its scheduler, so one writer numbers them.
"""

from __future__ import annotations

import json

import orjson

from cluster.models import Cluster, RuntimeState
from cluster.dbcursor import DriverCursor

SCOPE = "scheduler"
KEPT = 32  # decisions kept: the dashboard shows the latest, or the latest for a pod it names


class DecisionLog:
    """The scheduler's writer into the ring."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._next: int | None = None

    def write(self, pod: dict, decision: str) -> None:
        """Record one cycle's decision (compact JSON, as Decision.record makes it) about `pod`."""
        if self._next is None:
            self._next = max((entry["seq"] for entry in _entries(self.cluster)), default=-1) + 1
        seq, meta = self._next, pod["metadata"]
        self._next += 1
        # The decision stays JSON text inside the row: PostgreSQL's jsonb would reorder its keys (plugins in the
        # order they ran, nodes by name), and the text is what the scheduler made anyway.
        data = orjson.dumps(
            {
                "seq": seq,
                "namespace": meta.get("namespace") or "default",
                "pod": meta["name"],
                "uid": meta.get("uid", ""),
                "decision": decision,
            }
        ).decode()
        table = RuntimeState._meta.db_table
        with DriverCursor() as cursor:
            cast = "::jsonb" if cursor.vendor == "postgresql" else ""
            cursor.execute(
                f"UPDATE {table} SET data = %s{cast} WHERE cluster_id = %s AND scope = %s AND name = %s",
                [data, self.cluster.pk, SCOPE, str(seq % KEPT)],
            )
            if cursor.cursor.rowcount == 0:
                cursor.execute(
                    f"INSERT INTO {table} (cluster_id, scope, name, data) VALUES (%s, %s, %s, %s{cast})",
                    [self.cluster.pk, SCOPE, str(seq % KEPT), data],
                )


def recent(cluster: Cluster) -> list[dict]:
    """The recorded decisions, newest first, each with its "decision" parsed."""
    return [dict(entry, decision=json.loads(entry["decision"])) for entry in _entries(cluster)]


def latest(cluster: Cluster, live_pods: dict[tuple[str, str], str], name: str = "") -> dict | None:
    """The newest decision about a pod that still exists (`live_pods`: (namespace, name) -> uid), or about the
    pod called `name`; its "decision" parsed."""
    for entry in _entries(cluster):
        if live_pods.get((entry["namespace"], entry["pod"])) != entry["uid"]:
            continue  # deleted, or replaced by a new pod of the same name
        if name and entry["pod"] != name:
            continue
        return dict(entry, decision=json.loads(entry["decision"]))
    return None


def _entries(cluster: Cluster) -> list[dict]:
    rows = RuntimeState.objects.filter(cluster=cluster, scope=SCOPE).values_list("data", flat=True)
    return sorted((row for row in rows if isinstance(row, dict) and "seq" in row), key=lambda e: -e["seq"])
