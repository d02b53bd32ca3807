"""The deployment controller's arithmetic (upstream's pkg/controller/deployment/util).

Spec defaults as kube-apiserver fills them, maxSurge / maxUnavailable
fenceposts, the revision and replica annotations on ReplicaSets, the
Deployment conditions, proportional scaling fractions, and the predicates
"complete", "progressing" and "timed out".
"""

import datetime as dt
import math
import re
from typing import Sequence

from cluster import clock
from cluster.controllers.controller_utils import by_creation, equal_ignore_hash, parse_time, replicas_of

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_REV_HISTORY_CHARS = 2000
_SKIPPED_ANNOTATIONS = {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO}
MAX_INT32 = 2**31 - 1
_DECIMAL = re.compile(r"[0-9]+")  # what strconv.ParseUint(s, 10, ...) accepts

# Condition reasons, as deploymentutil names them.
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"


# -- spec with apps/v1 defaults ---------------------------------------------------
def spec_replicas(d: dict) -> int:
    return replicas_of(d)


def strategy_type(d: dict) -> str:
    return ((d.get("spec") or {}).get("strategy") or {}).get("type") or "RollingUpdate"


def is_rolling_update(d: dict) -> bool:
    return strategy_type(d) == "RollingUpdate"


def min_ready_seconds(obj: dict) -> int:
    return int((obj.get("spec") or {}).get("minReadySeconds") or 0)


def revision_history_limit(d: dict) -> int | None:
    value = (d.get("spec") or {}).get("revisionHistoryLimit", 10)
    return None if value is None else int(value)


def progress_deadline(d: dict) -> int | None:
    """spec.progressDeadlineSeconds; None when the deployment has no deadline (HasProgressDeadline)."""
    value = (d.get("spec") or {}).get("progressDeadlineSeconds", 600)
    return None if value is None or value == MAX_INT32 else int(value)


def _rolling(d: dict) -> dict:
    return ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}


# -- fenceposts -------------------------------------------------------------
def scaled_value(value: int | str | None, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: an int as is, `25%` of total rounded up or down."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%") or not text[:-1].isdigit():
        raise ValueError(f'invalid value for IntOrString: invalid value "{text}": must be an integer or a percentage')
    exact = int(text[:-1]) * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(max_surge: int | str | None, max_unavailable: int | str | None, desired: int) -> tuple[int, int]:
    """ResolveFenceposts: surge rounds up, unavailable rounds down, never both zero."""
    surge = scaled_value(0 if max_surge is None else max_surge, desired, True)
    unavailable = scaled_value(0 if max_unavailable is None else max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _fenceposts(d: dict) -> tuple[int, int]:
    rolling = _rolling(d)
    return resolve_fenceposts(rolling.get("maxSurge", "25%"), rolling.get("maxUnavailable", "25%"), spec_replicas(d))


def max_surge(d: dict) -> int:
    return _fenceposts(d)[0] if is_rolling_update(d) else 0


def max_unavailable(d: dict) -> int:
    if not is_rolling_update(d) or spec_replicas(d) == 0:
        return 0
    return min(_fenceposts(d)[1], spec_replicas(d))


# -- revisions and annotations ------------------------------------------------------
def annotations(obj: dict) -> dict:
    return obj.setdefault("metadata", {}).setdefault("annotations", {})


def revision(obj: dict | None) -> int:
    text = ((obj or {}).get("metadata", {}).get("annotations") or {}).get(REVISION, "")
    try:
        return int(text) if text else 0
    except ValueError:
        return 0


def max_revision(rss: list[dict]) -> int:
    return max((revision(rs) for rs in rss), default=0)


def last_revision(rss: list[dict]) -> int:
    """The second highest revision: what `rollout undo` goes back to."""
    top = second = 0
    for rs in rss:
        value = revision(rs)
        if value >= top:
            top, second = value, top
        elif value > second:
            second = value
    return second


def set_replicas_annotations(rs: dict, desired: int, maximum: int) -> bool:
    notes = annotations(rs)
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(maximum))):
        if notes.get(key) != value:
            notes[key] = value
            changed = True
    return changed


def replicas_annotations_need_update(rs: dict, desired: int, maximum: int) -> bool:
    notes = rs.get("metadata", {}).get("annotations") or {}
    return notes.get(DESIRED_REPLICAS) != str(desired) or notes.get(MAX_REPLICAS) != str(maximum)


def _int_annotation(rs: dict, key: str) -> int | None:
    """getNonNegativeInt32FromAnnotation: the annotation as strconv.ParseUint(value, 10, 32) reads it, at most
    MaxInt32; None when it is missing, is not plain decimal digits ("-1", "+3", " 3", "3_0", "x") or is too big."""
    text = (rs.get("metadata", {}).get("annotations") or {}).get(key)
    if text is None or not _DECIMAL.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_INT32 else None


def desired_replicas_annotation(rs: dict) -> int | None:
    """GetDesiredReplicasAnnotation."""
    return _int_annotation(rs, DESIRED_REPLICAS)


def copy_deployment_annotations(d: dict, rs: dict) -> bool:
    notes, changed = annotations(rs), False
    for key, value in (d.get("metadata", {}).get("annotations") or {}).items():
        if key in _SKIPPED_ANNOTATIONS or notes.get(key) == value:
            continue
        notes[key] = value
        changed = True
    return changed


def set_new_replica_set_annotations(d: dict, rs: dict, new_revision: int, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations: copy the deployment's annotations, raise the revision, keep history."""
    changed = copy_deployment_annotations(d, rs)
    notes = annotations(rs)
    old_text = notes.get(REVISION)
    try:
        old_revision = int(old_text) if old_text else 0
    except ValueError:
        return False
    if old_revision < new_revision:
        notes[REVISION] = str(new_revision)
        changed = True
        if old_text is not None:
            _append_revision_history(notes, old_text)
    if not exists and set_replicas_annotations(rs, spec_replicas(d), spec_replicas(d) + max_surge(d)):
        changed = True
    return changed


def _append_revision_history(notes: dict, old_revision: str) -> None:
    history = notes.get(REVISION_HISTORY, "")
    if not history:
        notes[REVISION_HISTORY] = old_revision
        return
    parts = history.split(",")
    total, start = len(history) + len(old_revision) + 1, 0
    while total > MAX_REV_HISTORY_CHARS and start < len(parts):
        total -= len(parts[start]) + 1
        start += 1
    if total <= MAX_REV_HISTORY_CHARS:
        notes[REVISION_HISTORY] = ",".join(parts[start:] + [old_revision])


def set_deployment_annotations_to(d: dict, rs: dict) -> None:
    """SetDeploymentAnnotationsTo: on rollback, the deployment takes that ReplicaSet's annotations."""
    kept = {k: v for k, v in (d["metadata"].get("annotations") or {}).items() if k in _SKIPPED_ANNOTATIONS}
    for key, value in (rs["metadata"].get("annotations") or {}).items():
        if key not in _SKIPPED_ANNOTATIONS:
            kept[key] = value
    d["metadata"]["annotations"] = kept


# -- finding replica sets -------------------------------------------------------
def find_new_replica_set(d: dict, rss: list[dict]) -> dict | None:
    """The oldest ReplicaSet whose template equals the deployment's (ignoring the hash label)."""
    for rs in sorted(rss, key=by_creation):
        if equal_ignore_hash(rs["spec"].get("template"), d["spec"].get("template")):
            return rs
    return None


def find_old_replica_sets(d: dict, rss: list[dict], new_rs: dict | None) -> list[dict]:
    new_uid = new_rs["metadata"]["uid"] if new_rs else None
    return [rs for rs in rss if rs["metadata"]["uid"] != new_uid]


def active(rss: Sequence[dict | None]) -> list[dict]:
    """FilterActiveReplicaSets: those with replicas > 0."""
    return [rs for rs in rss if rs is not None and replicas_of(rs) > 0]


def find_active_or_latest(new_rs: dict | None, old_rss: list[dict]) -> dict | None:
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=by_creation, reverse=True)
    candidates = active([*newest_first, new_rs])
    if not candidates:
        return new_rs if new_rs is not None else newest_first[0]
    return candidates[0] if len(candidates) == 1 else None


def spec_replica_count(rss: Sequence[dict | None]) -> int:
    return sum(replicas_of(rs) for rs in rss if rs is not None)


def _status_sum(rss: Sequence[dict | None], field: str) -> int:
    return sum(int((rs.get("status") or {}).get(field, 0)) for rs in rss if rs is not None)


def actual_replica_count(rss: Sequence[dict | None]) -> int:
    return _status_sum(rss, "replicas")


def ready_replica_count(rss: Sequence[dict | None]) -> int:
    return _status_sum(rss, "readyReplicas")


def available_replica_count(rss: Sequence[dict | None]) -> int:
    return _status_sum(rss, "availableReplicas")


def new_rs_new_replicas(d: dict, all_rss: Sequence[dict | None], new_rs: dict) -> int:
    """NewRSNewReplicas: how far the new ReplicaSet may grow now."""
    if not is_rolling_update(d):
        return spec_replicas(d)
    current = spec_replica_count(all_rss)
    max_total = spec_replicas(d) + max_surge(d)
    if current >= max_total:
        return replicas_of(new_rs)
    scale_up = min(max_total - current, spec_replicas(d) - replicas_of(new_rs))
    return replicas_of(new_rs) + scale_up


def is_saturated(d: dict, rs: dict | None) -> bool:
    if rs is None:
        return False
    desired = desired_replicas_annotation(rs)
    return (
        desired is not None
        and replicas_of(rs) == spec_replicas(d)
        and desired == spec_replicas(d)
        and int((rs.get("status") or {}).get("availableReplicas", 0)) == spec_replicas(d)
    )


# -- proportional scaling -------------------------------------------------------
def _round_half_away(value: float) -> int:
    return int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))


def replica_set_proportion(rs: dict, d: dict, to_add: int, added: int) -> int:
    """GetReplicaSetProportion: this ReplicaSet's share of a scaling, within what is left."""
    if rs is None or replicas_of(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replica_set_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _replica_set_fraction(rs: dict, d: dict) -> int:
    """getReplicaSetFraction: how many replicas this ReplicaSet gains (or loses) when the deployment is scaled.

    Its size scaled by deploymentMaxReplicas / deploymentMaxReplicasBeforeScale, the latter read from its
    max-replicas annotation; when that is missing, unreadable or 0 (someone edited it), the deployment's
    status.replicas stands in, and when that is 0 too the ReplicaSet does not take part (0).
    """
    if spec_replicas(d) == 0:
        return -replicas_of(rs)
    deployment_max_replicas = spec_replicas(d) + max_surge(d)
    before_scale = _int_annotation(rs, MAX_REPLICAS)
    if not before_scale:
        before_scale = int((d.get("status") or {}).get("replicas", 0))
        if before_scale == 0:
            return 0
    scale_base = replicas_of(rs)
    return _round_half_away(scale_base * deployment_max_replicas / before_scale) - scale_base


def clean_status(status: dict) -> dict:
    """DeploymentStatus as JSON: zero counts and empty lists are omitted (omitempty)."""
    return {k: v for k, v in status.items() if v not in (0, None, [], {}) or (k == "collisionCount" and v is not None)}


# -- conditions ---------------------------------------------------------------
def get_condition(status: dict, type_: str) -> dict | None:
    for cond in status.get("conditions") or []:
        if cond.get("type") == type_:
            return cond
    return None


def new_condition(type_: str, status: str, reason: str, message: str, now: dt.datetime) -> dict:
    stamp = clock.rfc3339(now)
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def set_condition(status: dict, condition: dict) -> None:
    """SetDeploymentCondition: same status and reason is no change; same status keeps its transition time."""
    current = get_condition(status, condition["type"])
    if current and current.get("status") == condition["status"] and current.get("reason") == condition["reason"]:
        return
    if current and current.get("status") == condition["status"]:
        condition["lastTransitionTime"] = current.get("lastTransitionTime")
    remove_condition(status, condition["type"])
    status.setdefault("conditions", []).append(condition)


def remove_condition(status: dict, type_: str) -> None:
    kept = [c for c in status.get("conditions") or [] if c.get("type") != type_]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


# -- rollout predicates ---------------------------------------------------------
def deployment_complete(d: dict, status: dict) -> bool:
    replicas = spec_replicas(d)
    return (
        status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
        and status.get("availableReplicas", 0) == replicas
        and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 0)
    )


def deployment_progressing(d: dict, status: dict) -> bool:
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = status.get("replicas", 0) - status.get("updatedReplicas", 0)
    return (
        status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or new_old < old_old
        or status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or status.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )


def deployment_timed_out(d: dict, status: dict, now: dt.datetime) -> bool:
    deadline = progress_deadline(d)
    cond = get_condition(status, "Progressing")
    if deadline is None or cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    since = parse_time(cond.get("lastUpdateTime"))
    return since is not None and since + dt.timedelta(seconds=deadline) < now
