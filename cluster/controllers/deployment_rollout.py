"""How a Deployment rolls out (upstream's rolling.go, recreate.go and progress.go).

RollingUpdate grows the new ReplicaSet up to replicas + maxSurge and shrinks
old ones while at least replicas - maxUnavailable pods stay available;
Recreate scales every old ReplicaSet to zero and waits for their pods to be
gone before scaling the new one up. Status and the Progressing condition,
including progressDeadlineSeconds on the virtual clock, are written here.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Sequence

from cluster.controllers import deployment_util as du
from cluster.controllers.controller_utils import by_creation, parse_time, replicas_of

if TYPE_CHECKING:
    from cluster.controllers.deployment import DeploymentSync


# -- RollingUpdate ------------------------------------------------------------
def rollout_rolling(sync: DeploymentSync, rss: list[dict]) -> None:
    new_rs, old_rss = sync.all_replica_sets(rss, create=True)
    all_rss = old_rss + [new_rs]
    if new_rs is None:
        sync_rollout_status(sync, all_rss, new_rs)
        return
    if reconcile_new_replica_set(sync, all_rss, new_rs):
        sync_rollout_status(sync, all_rss, new_rs)
        return
    if reconcile_old_replica_sets(sync, all_rss, du.active(old_rss), new_rs):
        sync_rollout_status(sync, all_rss, new_rs)
        return
    if du.deployment_complete(sync.d, sync.d.get("status") or {}):
        sync.cleanup(old_rss)
    sync_rollout_status(sync, all_rss, new_rs)


def reconcile_new_replica_set(sync: DeploymentSync, all_rss: Sequence[dict | None], new_rs: dict) -> bool:
    replicas = du.spec_replicas(sync.d)
    if replicas_of(new_rs) == replicas:
        return False
    if replicas_of(new_rs) > replicas:
        return sync.scale_replica_set_and_record_event(new_rs, replicas)[0]
    wanted = du.new_rs_new_replicas(sync.d, all_rss, new_rs)
    return sync.scale_replica_set_and_record_event(new_rs, wanted)[0]


def reconcile_old_replica_sets(
    sync: DeploymentSync, all_rss: Sequence[dict | None], old_rss: list[dict], new_rs: dict
) -> bool:
    if du.spec_replica_count(old_rss) == 0:
        return False
    all_pods = du.spec_replica_count(all_rss)
    min_available = du.spec_replicas(sync.d) - du.max_unavailable(sync.d)
    new_unavailable = replicas_of(new_rs) - int((new_rs.get("status") or {}).get("availableReplicas", 0))
    max_scaled_down = all_pods - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    old_rss, cleaned = cleanup_unhealthy_replicas(sync, old_rss, max_scaled_down)
    scaled = scale_down_old_replica_sets_for_rolling_update(sync, old_rss + [new_rs], old_rss)
    return cleaned + scaled > 0


def cleanup_unhealthy_replicas(sync: DeploymentSync, old_rss: list[dict], max_cleanup: int) -> tuple[list[dict], int]:
    """Scale down old ReplicaSets' unavailable pods first: they would otherwise block the rollout."""
    old_rss = sorted(old_rss, key=by_creation)
    total = 0
    for index, rs in enumerate(old_rss):
        if total >= max_cleanup:
            break
        available = int((rs.get("status") or {}).get("availableReplicas", 0))
        if replicas_of(rs) == 0 or replicas_of(rs) == available:
            continue
        count = min(max_cleanup - total, replicas_of(rs) - available)
        _, old_rss[index] = sync.scale_replica_set_and_record_event(rs, replicas_of(rs) - count)
        total += count
    return old_rss, total


def scale_down_old_replica_sets_for_rolling_update(
    sync: DeploymentSync, all_rss: Sequence[dict | None], old_rss: list[dict]
) -> int:
    min_available = du.spec_replicas(sync.d) - du.max_unavailable(sync.d)
    available = du.available_replica_count(all_rss)
    if available <= min_available:
        return 0
    to_scale_down, total = available - min_available, 0
    for rs in sorted(old_rss, key=by_creation):
        if total >= to_scale_down:
            break
        if replicas_of(rs) == 0:
            continue
        count = min(replicas_of(rs), to_scale_down - total)
        sync.scale_replica_set_and_record_event(rs, replicas_of(rs) - count)
        total += count
    return total


# -- Recreate -----------------------------------------------------------------
def rollout_recreate(sync: DeploymentSync, rss: list[dict], pod_map: dict[str, list[dict]]) -> None:
    new_rs, old_rss = sync.all_replica_sets(rss, create=False)
    all_rss = [*old_rss, new_rs]
    scaled_down = False
    for rs in du.active(old_rss):
        scaled_down = sync.scale_replica_set_and_record_event(rs, 0)[0] or scaled_down
    if scaled_down or old_pods_running(new_rs, old_rss, pod_map):
        sync_rollout_status(sync, all_rss, new_rs)
        return
    if new_rs is None:
        new_rs, old_rss = sync.all_replica_sets(rss, create=True)
        all_rss = [*old_rss, new_rs]
    if new_rs is not None:
        sync.scale_replica_set_and_record_event(new_rs, du.spec_replicas(sync.d))
    if du.deployment_complete(sync.d, sync.d.get("status") or {}):
        sync.cleanup(old_rss)
    sync_rollout_status(sync, all_rss, new_rs)


def old_pods_running(new_rs: dict | None, old_rss: list[dict], pod_map: dict[str, list[dict]]) -> bool:
    """Whether any pod of an old ReplicaSet still exists and has not finished."""
    if du.actual_replica_count(old_rss) > 0:
        return True
    new_uid = new_rs["metadata"]["uid"] if new_rs else None
    for uid, pods in pod_map.items():
        if uid == new_uid:
            continue
        if any((pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded") for pod in pods):
            return True
    return False


# -- status and progress ----------------------------------------------------------
def calculate_status(sync: DeploymentSync, all_rss: Sequence[dict | None], new_rs: dict | None) -> dict:
    d = sync.d
    available = du.available_replica_count(all_rss)
    unavailable = max(0, du.spec_replica_count(all_rss) - available)
    old = d.get("status") or {}
    status = {
        "observedGeneration": d["metadata"].get("generation", 0),
        "replicas": du.actual_replica_count(all_rss),
        "updatedReplicas": du.actual_replica_count([new_rs]),
        "readyReplicas": du.ready_replica_count(all_rss),
        "availableReplicas": available,
        "unavailableReplicas": unavailable,
        "conditions": copy.deepcopy(old.get("conditions") or []),
    }
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if available >= du.spec_replicas(d) - du.max_unavailable(d):
        du.set_condition(
            status,
            du.new_condition("Available", "True", du.MIN_AVAILABLE, "Deployment has minimum availability.", sync.now()),
        )
    else:
        du.set_condition(
            status,
            du.new_condition(
                "Available", "False", du.MIN_UNAVAILABLE, "Deployment does not have minimum availability.", sync.now()
            ),
        )
    return status


def sync_rollout_status(sync: DeploymentSync, all_rss: Sequence[dict | None], new_rs: dict | None) -> None:
    """syncRolloutStatus: status plus the Progressing condition, or a requeue to check the deadline."""
    d = sync.d
    status = calculate_status(sync, all_rss, new_rs)
    deadline = du.progress_deadline(d)
    if deadline is None:
        du.remove_condition(status, "Progressing")
    current = du.get_condition(d.get("status") or {}, "Progressing")
    complete_already = (
        status["replicas"] == status["updatedReplicas"]
        and current is not None
        and current.get("reason") == du.NEW_RS_AVAILABLE
    )
    if deadline is not None and not complete_already:
        _progressing_condition(sync, status, new_rs, current)
    failures = replica_failures(all_rss, new_rs)
    if failures:
        du.set_condition(status, failures[0])
    else:
        du.remove_condition(status, "ReplicaFailure")
    if du.clean_status(status) == du.clean_status(d.get("status") or {}):
        requeue_stuck_deployment(sync, status)
        return
    sync.update_status(status)


def _progressing_condition(sync: DeploymentSync, status: dict, new_rs: dict | None, current: dict | None) -> None:
    d, now = sync.d, sync.now()
    subject = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs else f'Deployment "{d["metadata"]["name"]}"'
    if du.deployment_complete(d, status):
        du.set_condition(
            status,
            du.new_condition(
                "Progressing", "True", du.NEW_RS_AVAILABLE, f"{subject} has successfully progressed.", now
            ),
        )
    elif du.deployment_progressing(d, status):
        condition = du.new_condition("Progressing", "True", du.REPLICA_SET_UPDATED, f"{subject} is progressing.", now)
        # Progress refreshes lastUpdateTime even with the same reason; only a status change moves the transition time.
        if current is not None:
            if current.get("status") == "True":
                condition["lastTransitionTime"] = current.get("lastTransitionTime")
            du.remove_condition(status, "Progressing")
        du.set_condition(status, condition)
    elif du.deployment_timed_out(d, status, now):
        du.set_condition(
            status, du.new_condition("Progressing", "False", du.TIMED_OUT, f"{subject} has timed out progressing.", now)
        )


def requeue_stuck_deployment(sync: DeploymentSync, status: dict) -> None:
    """Look again when the progress deadline would pass (lastUpdateTime + deadline - now, plus a second)."""
    d = sync.d
    current = du.get_condition(d.get("status") or {}, "Progressing")
    deadline = du.progress_deadline(d)
    if deadline is None or current is None:
        return
    if du.deployment_complete(d, status) or current.get("reason") == du.TIMED_OUT:
        return
    since = parse_time(current.get("lastUpdateTime"))
    if since is None:
        return
    after = (since - sync.now()).total_seconds() + deadline
    sync.requeue(0.0 if after < 1 else after + 1)


def replica_failures(all_rss: Sequence[dict | None], new_rs: dict | None) -> list[dict]:
    """ReplicaFailure conditions of the ReplicaSets, the new one's first, as Deployment conditions."""

    def failures(rs: dict | None) -> list[dict]:
        if rs is None:
            return []
        return [
            {
                "type": c["type"],
                "status": c.get("status"),
                "lastUpdateTime": c.get("lastTransitionTime"),
                "lastTransitionTime": c.get("lastTransitionTime"),
                "reason": c.get("reason"),
                "message": c.get("message"),
            }
            for c in (rs.get("status") or {}).get("conditions") or []
            if c.get("type") == "ReplicaFailure"
        ]

    found = failures(new_rs)
    if found:
        return found
    return [c for rs in all_rss for c in failures(rs)]
