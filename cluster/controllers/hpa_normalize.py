"""How the HPA tempers a recommendation (pkg/controller/podautoscaler/horizontal.go's
normalizeDesiredReplicas and normalizeDesiredReplicasWithBehaviors).

Without `spec.behavior`: the highest recommendation of the last five minutes wins
(so a dip in load does not shrink the workload at once), then the result is
clamped to [minReplicas, maxReplicas] and a scale-up to at most max(2 × current, 4).

With `spec.behavior`: scale-up and scale-down each have a stabilization window
(0 s and 300 s by default) and rate policies (by default up: 100 % or 4 pods per
15 s, whichever is more; down: 100 % per 15 s), measured against the scale events
this controller made within each policy's period.

The recommendations and scale events live in the controller's memory, as in
kube-controller-manager: a restart forgets them. Times are the cluster's virtual clock.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

DOWNSCALE_STABILIZATION = dt.timedelta(minutes=5)  # --horizontal-pod-autoscaler-downscale-stabilization
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0
INT32_MAX, INT32_MIN = 2**31 - 1, -(2**31)


@dataclass
class ScaleEvent:
    replica_change: int  # absolute value
    timestamp: dt.datetime
    outdated: bool = False


@dataclass
class Limited:
    """A normalized replica count and the conditions it sets."""

    replicas: int
    able_reason: str
    able_message: str
    limited: bool
    limit_reason: str
    limit_message: str


@dataclass
class History:
    """What the controller remembers about one HPA between syncs."""

    recommendations: list[tuple[int, dt.datetime]] = field(default_factory=list)
    scale_up_events: list[ScaleEvent] = field(default_factory=list)
    scale_down_events: list[ScaleEvent] = field(default_factory=list)

    def record_initial(self, current: int, now: dt.datetime) -> None:
        if not self.recommendations:
            self.recommendations = [(current, now)]


READY = ("ReadyForNewScale", "recommended size matches current size")
WITHIN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")
TOO_MANY = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
TOO_FEW = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
UP_LIMIT = ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
DOWN_LIMIT = ("ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
DOWN_STABILIZED = (
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent recommendation",
)
UP_STABILIZED = (
    "ScaleUpStabilized",
    "recent recommendations were lower than current one, applying the lowest recent recommendation",
)


# -- without behavior ---------------------------------------------------------------
def normalize(history: History, current: int, desired: int, minimum: int, maximum: int, now: dt.datetime) -> Limited:
    stabilized = _stabilize(history, desired, now)
    able = DOWN_STABILIZED if stabilized != desired else READY
    replicas, reason = _clamp_with_rules(current, stabilized, minimum, maximum)
    return Limited(replicas, *able, replicas != stabilized, *reason)


def _stabilize(history: History, desired: int, now: dt.datetime) -> int:
    """The highest recommendation within the window; the newest replaces one that fell out of it."""
    highest, old_index = desired, None
    cutoff = now - DOWNSCALE_STABILIZATION
    for i, (recommendation, timestamp) in enumerate(history.recommendations):
        if timestamp < cutoff:
            old_index = i
        elif recommendation > highest:
            highest = recommendation
    _remember(history, old_index, desired, now)
    return highest


def _remember(history: History, old_index: int | None, desired: int, now: dt.datetime) -> None:
    if old_index is not None:
        history.recommendations[old_index] = (desired, now)
    else:
        history.recommendations.append((desired, now))


def _clamp_with_rules(current: int, desired: int, minimum: int, maximum: int) -> tuple[int, tuple[str, str]]:
    scale_up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
    if maximum > scale_up_limit:
        highest, reason = scale_up_limit, UP_LIMIT
    else:
        highest, reason = maximum, TOO_MANY
    if desired < minimum:
        return minimum, TOO_FEW
    if desired > highest:
        return highest, reason
    return desired, WITHIN_RANGE


# -- with behavior ------------------------------------------------------------------
def normalize_with_behavior(
    history: History, behavior: dict, current: int, desired: int, minimum: int, maximum: int, now: dt.datetime
) -> Limited:
    up, down = _rules(behavior.get("scaleUp"), 0), _rules(behavior.get("scaleDown"), 300)
    stabilized, stabilized_reason = _stabilize_with_behavior(history, up, down, current, desired, now)
    able = stabilized_reason if stabilized != desired else READY
    replicas, reason = _clamp_with_rate(history, up, down, current, stabilized, minimum, maximum, now)
    return Limited(replicas, *able, replicas != stabilized, *reason)


def _rules(rules: dict | None, window: int) -> dict:
    """The controller's view of one direction's rules: an unset window takes its default."""
    rules = dict(rules or {})
    if rules.get("stabilizationWindowSeconds") is None:
        rules["stabilizationWindowSeconds"] = window
    rules.setdefault("selectPolicy", "Max")
    rules.setdefault("policies", [])
    return rules


def _stabilize_with_behavior(
    history: History, up: dict, down: dict, current: int, desired: int, now: dt.datetime
) -> tuple[int, tuple[str, str]]:
    up_cutoff = now - dt.timedelta(seconds=up["stabilizationWindowSeconds"])
    down_cutoff = now - dt.timedelta(seconds=down["stabilizationWindowSeconds"])
    up_recommendation = down_recommendation = desired
    old_index = None
    for i, (recommendation, timestamp) in enumerate(history.recommendations):
        if timestamp > up_cutoff:
            up_recommendation = min(recommendation, up_recommendation)
        if timestamp > down_cutoff:
            down_recommendation = max(recommendation, down_recommendation)
        if timestamp < up_cutoff and timestamp < down_cutoff:
            old_index = i
    recommendation = max(current, up_recommendation)
    recommendation = min(recommendation, down_recommendation)
    _remember(history, old_index, desired, now)
    return recommendation, (UP_STABILIZED if desired >= current else DOWN_STABILIZED)


def _clamp_with_rate(
    history: History, up: dict, down: dict, current: int, desired: int, minimum: int, maximum: int, now: dt.datetime
) -> tuple[int, tuple[str, str]]:
    if desired > current:
        limit = max(_scale_up_limit(current, history, up, now), current)
        if maximum > limit:
            highest, reason = limit, UP_LIMIT
        else:
            highest, reason = maximum, TOO_MANY
        if desired > highest:
            return highest, reason
    elif desired < current:
        limit = min(_scale_down_limit(current, history, down, now), current)
        if minimum < limit:
            lowest, reason = limit, DOWN_LIMIT
        else:
            lowest, reason = minimum, TOO_FEW
        if desired < lowest:
            return lowest, reason
    return desired, WITHIN_RANGE


def _change_in_period(period_seconds: int, events: list[ScaleEvent], now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(seconds=period_seconds)
    return sum(e.replica_change for e in events if e.timestamp > cutoff)


def _period_start(current: int, history: History, period: int, now: dt.datetime) -> int:
    return (
        current
        - _change_in_period(period, history.scale_up_events, now)
        + _change_in_period(period, history.scale_down_events, now)
    )


def _scale_up_limit(current: int, history: History, rules: dict, now: dt.datetime) -> int:
    """calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now."""
    if rules["selectPolicy"] == "Disabled":
        return current
    pick, result = (min, INT32_MAX) if rules["selectPolicy"] == "Min" else (max, INT32_MIN)
    for policy in rules["policies"]:
        start = _period_start(current, history, policy["periodSeconds"], now)
        if policy["type"] == "Pods":
            proposed = start + policy["value"]
        else:
            proposed = math.ceil(start * (1 + policy["value"] / 100))
        result = pick(result, proposed)
    return result


def _scale_down_limit(current: int, history: History, rules: dict, now: dt.datetime) -> int:
    """calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now."""
    if rules["selectPolicy"] == "Disabled":
        return current
    pick, result = (max, INT32_MIN) if rules["selectPolicy"] == "Min" else (min, INT32_MAX)
    for policy in rules["policies"]:
        start = _period_start(current, history, policy["periodSeconds"], now)
        if policy["type"] == "Pods":
            proposed = start - policy["value"]
        else:
            proposed = int(start * (1 - policy["value"] / 100))
        result = pick(result, proposed)
    return result


def store_scale_event(history: History, behavior: dict | None, previous: int, new: int, now: dt.datetime) -> None:
    """storeScaleEvent: remember a rescale for the rate policies, reusing an outdated slot."""
    if behavior is None:
        return
    if new > previous:
        events, rules, change = history.scale_up_events, _rules(behavior.get("scaleUp"), 0), new - previous
    else:
        events, rules, change = history.scale_down_events, _rules(behavior.get("scaleDown"), 300), previous - new
    longest = max([p["periodSeconds"] for p in rules["policies"]], default=0)
    cutoff = now - dt.timedelta(seconds=longest)
    old_index = None
    for i, event in enumerate(events):
        if event.timestamp < cutoff:
            event.outdated = True
        if event.outdated:
            old_index = i
    if old_index is not None:
        events[old_index] = ScaleEvent(change, now)
    else:
        events.append(ScaleEvent(change, now))
