"""kube-controller-manager's HorizontalPodAutoscaler controller (pkg/controller/podautoscaler/horizontal.go).

Every 15 s of virtual time (--horizontal-pod-autoscaler-sync-period) each HPA reads
its target through the scale subresource, the target's pods through the scale's
selector and their CPU usage from the (simulated) resource metrics API, computes a
recommendation (hpa_replicas.py), tempers it (hpa_normalize.py), writes the new
size through the scale subresource and reports status, conditions and events in
upstream's words.

Simplified: the resource metrics API is cluster/metrics.py and knows only CPU;
memory, Pods, Object, External and ContainerResource metrics report that no
metrics API serves them.
"""

from __future__ import annotations

import copy
import datetime as dt

from cluster import clock
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import RESOURCES, ResourceType
from cluster.apiserver.selectors import LabelSelector, parse_label_selector
from cluster.apiserver.server import APIServer
from cluster.controllers import hpa_normalize as normalizing
from cluster.controllers.base import Controller, Result, split_key
from cluster.controllers.hpa_metrics import MetricContext, MetricError, compute_metric
from cluster.events import NORMAL, WARNING, record
from cluster.informers import Lister

COMPONENT = "horizontal-pod-autoscaler"
SYNC_PERIOD = 15.0  # --horizontal-pod-autoscaler-sync-period


class ScaleTargetError(Exception):
    pass


class ComputeError(Exception):
    """No replica count from the metrics; `statuses` are the metric statuses to report anyway."""

    def __init__(self, message: str, statuses: list[dict] | None) -> None:
        super().__init__(message)
        self.statuses = statuses


class HorizontalPodAutoscalerController(Controller):
    name = COMPONENT
    watches = ("horizontalpodautoscalers",)
    # enqueueHPA: queue.AddRateLimited with a fixed 15 s interval, so a new HPA is first looked at 15 s
    # after it appears and its own status writes do not trigger another pass within the period
    event_delay = SYNC_PERIOD

    def __init__(self, api: APIServer) -> None:
        super().__init__(api)
        self.histories: dict[str, normalizing.History] = {}

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        try:
            hpa = self.lister.get("horizontalpodautoscalers", namespace, name)
        except StatusError as err:
            if err.code != 404:
                raise
            self.histories.pop(key, None)  # the HPA is gone: forget its recommendations
            return Result()
        history = self.histories.setdefault(key, normalizing.History())
        try:
            Autoscale(self.api, hpa, history, self.api.now(), self.lister).run()
        except StatusError as err:
            if err.code not in (404, 409):
                raise
        return Result(requeue_after=SYNC_PERIOD)


class Autoscale:
    """One reconcileAutoscaler pass over one HPA."""

    def __init__(
        self, api: APIServer, hpa: dict, history: normalizing.History, now: dt.datetime, lister: Lister | None = None
    ) -> None:
        self.api, self.hpa, self.history, self.now = api, copy.deepcopy(hpa), history, now
        self.lister = lister or Lister(api)
        self.original_status = copy.deepcopy(hpa.get("status") or {})
        self.status = copy.deepcopy(hpa.get("status") or {})
        self.namespace = hpa["metadata"]["namespace"]
        self.spec = hpa.get("spec") or {}

    # -- conditions, events, status -----------------------------------------------
    def condition(self, type_: str, status: str, reason: str, message: str) -> None:
        """setConditionInList: a new status moves lastTransitionTime; reason and message always update."""
        conditions = self.status.setdefault("conditions", [])
        existing = next((c for c in conditions if c["type"] == type_), None)
        if existing is None:
            existing = {"type": type_}
            conditions.append(existing)
        if existing.get("status") != status:
            existing["lastTransitionTime"] = clock.rfc3339(self.now)
        existing.update(status=status, reason=reason, message=message)

    def event(self, type_: str, reason: str, message: str) -> None:
        record(self.api, self.hpa, type_, reason, message, COMPONENT)

    def set_status(self, current: int, desired: int, metrics: list[dict] | None, rescaled: bool) -> None:
        status: dict[str, object] = {"currentReplicas": current, "desiredReplicas": desired}
        if self.status.get("lastScaleTime"):
            status["lastScaleTime"] = self.status["lastScaleTime"]
        if rescaled:
            status["lastScaleTime"] = clock.rfc3339(self.now)
        if metrics:
            status["currentMetrics"] = metrics
        if self.status.get("conditions"):
            status["conditions"] = self.status["conditions"]
        if not current:
            status.pop("currentReplicas")  # omitempty, as the Go struct serializes it
        self.status = status

    def write_status(self) -> None:
        if self.status == self.original_status:
            return
        status = copy.deepcopy(self.status)

        def put(hpa: dict) -> dict:
            hpa["status"] = status
            return hpa

        self.api.update_with(
            "horizontalpodautoscalers", self.namespace, self.hpa["metadata"]["name"], put, subresource="status"
        )

    # -- the pass -------------------------------------------------------------------
    def run(self) -> None:
        try:
            rt, scale = self.get_scale()
        except ScaleTargetError as err:
            self.event(WARNING, "FailedGetScale", str(err))
            self.condition(
                "AbleToScale",
                "False",
                "FailedGetScale",
                f"the HPA controller was unable to get the target's current scale: {err}",
            )
            self.write_status()
            return
        self.condition(
            "AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale"
        )
        current = scale["spec"]["replicas"]
        self.history.record_initial(current, self.now)
        minimum = self.spec.get("minReplicas") or 1
        maximum = self.spec.get("maxReplicas") or 0
        metrics: list[dict] | None = None
        rescale, reason, desired = True, "", 0
        if current == 0 and minimum != 0:
            rescale = False
            self.condition(
                "ScalingActive",
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            )
        elif current > maximum:
            reason, desired = "Current number of replicas above Spec.MaxReplicas", maximum
        elif current < minimum:
            reason, desired = "Current number of replicas below Spec.MinReplicas", minimum
        else:
            try:
                proposal, metric_name, metrics = self.compute_replicas(scale, current)
            except ComputeError as err:
                self.set_status(current, self.status.get("desiredReplicas", 0), err.statuses, False)
                self.write_status()
                self.event(WARNING, "FailedComputeMetricsReplicas", str(err))
                return
            desired, reason = self.rescale_reason(proposal, metric_name, current)
            desired = self.normalize(current, desired, minimum, maximum)
            rescale = desired != current
        if rescale and not self.update_scale(rt, scale, current, desired, reason, metrics):
            return
        self.set_status(current, desired if rescale else current, metrics, rescale)
        self.write_status()

    def get_scale(self) -> tuple[ResourceType, dict]:
        ref = self.spec.get("scaleTargetRef") or {}
        api_version = ref.get("apiVersion") or ""
        if api_version.count("/") > 1:
            raise ScaleTargetError(f"unexpected GroupVersion string: {api_version}")
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        candidates = [r for r in RESOURCES if r.group == group and r.kind == ref.get("kind")]
        if not candidates:
            raise ScaleTargetError(f'no matches for kind "{ref.get("kind")}" in group "{group}"')
        try:
            return candidates[0], self.api.get_scale(candidates[0], self.namespace, ref.get("name") or "")
        except StatusError as err:
            if err.code >= 500:
                raise
            raise ScaleTargetError(err.message) from None

    def rescale_reason(self, proposal: int, metric_name: str, current: int) -> tuple[int, str]:
        desired = max(proposal, 0)
        if desired > current:
            return desired, f"{metric_name if proposal > 0 else ''} above target"
        if desired < current:
            return desired, "All metrics below target"
        return desired, ""

    def normalize(self, current: int, desired: int, minimum: int, maximum: int) -> int:
        behavior = self.spec.get("behavior")
        if behavior is None:
            limited = normalizing.normalize(self.history, current, desired, minimum, maximum, self.now)
        else:
            limited = normalizing.normalize_with_behavior(
                self.history, behavior, current, desired, minimum, maximum, self.now
            )
        self.condition("AbleToScale", "True", limited.able_reason, limited.able_message)
        self.condition(
            "ScalingLimited", "True" if limited.limited else "False", limited.limit_reason, limited.limit_message
        )
        return limited.replicas

    def update_scale(
        self, rt: ResourceType, scale: dict, current: int, desired: int, reason: str, metrics: list[dict] | None
    ) -> bool:
        wanted = copy.deepcopy(scale)
        wanted["spec"]["replicas"] = desired
        try:
            self.api.update_scale(rt, self.namespace, scale["metadata"]["name"], wanted)
        except StatusError as err:
            if err.code >= 500:
                raise
            self.event(WARNING, "FailedRescale", f"New size: {desired}; reason: {reason}; error: {err.message}")
            self.condition(
                "AbleToScale",
                "False",
                "FailedUpdateScale",
                f"the HPA controller was unable to update the target scale: {err.message}",
            )
            self.set_status(current, self.status.get("desiredReplicas", 0), metrics, False)
            self.write_status()
            return False
        self.condition(
            "AbleToScale",
            "True",
            "SucceededRescale",
            f"the HPA controller was able to update the target scale to {desired}",
        )
        self.event(NORMAL, "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
        normalizing.store_scale_event(self.history, self.spec.get("behavior"), current, desired, self.now)
        return True

    # -- metrics --------------------------------------------------------------------
    def compute_replicas(self, scale: dict, current: int) -> tuple[int, str, list[dict]]:
        """computeReplicasForMetrics: the highest proposal over all metrics, or ComputeError."""
        selector = self.selector(scale)
        specs = self.spec.get("metrics") or []
        statuses: list[dict] = [{"type": ""} for _ in specs]
        pods = [p for p in self.lister.list("pods", self.namespace) if selector.matches(p["metadata"].get("labels"))]
        ctx = MetricContext(self.api, self.namespace, selector, pods, self.now)
        replicas, metric_name, first_error, invalid = 0, "", None, 0
        for i, spec in enumerate(specs):
            try:
                proposal = compute_metric(ctx, spec, current)
            except MetricError as err:
                self.event(WARNING, err.reason, err.message)
                first_error, invalid = first_error or err, invalid + 1
                continue
            statuses[i] = proposal.status
            if replicas == 0 or proposal.replicas > replicas:
                replicas, metric_name = proposal.replicas, proposal.name
        if invalid >= len(specs) or (invalid and replicas < current):
            if first_error is not None:
                self.condition(
                    "ScalingActive",
                    "False",
                    first_error.reason,
                    f"the HPA was unable to compute the replica count: {first_error.message}",
                )
            raise ComputeError(
                f"invalid metrics ({invalid} invalid out of {len(specs)}), first error is: "
                f"{first_error.wrapped if first_error else ''}",
                statuses,
            )
        self.condition(
            "ScalingActive",
            "True",
            "ValidMetricFound",
            f"the HPA was able to successfully calculate a replica count from {metric_name}",
        )
        return replicas, metric_name, statuses

    def selector(self, scale: dict) -> LabelSelector:
        """validateAndParseSelector: the scale's selector, which must select pods of this HPA only."""
        text = (scale.get("status") or {}).get("selector") or ""
        if not text:
            self.event(WARNING, "SelectorRequired", "selector is required")
            self.condition("ScalingActive", "False", "InvalidSelector", "the HPA target's scale is missing a selector")
            raise ComputeError("selector is required", None)
        try:
            selector = parse_label_selector(text)
        except StatusError as err:
            message = f"couldn't convert selector into a corresponding internal selector object: {err.message}"
            self.event(WARNING, "InvalidSelector", message)
            self.condition("ScalingActive", "False", "InvalidSelector", message)
            raise ComputeError(message, None) from None
        assert selector is not None  # the text is not empty
        others = self.other_hpas_selecting(selector)
        if others:
            keys = " ".join(f"{self.namespace}/{name}" for name in sorted(others | {self.hpa["metadata"]["name"]}))
            message = f"pods by selector {text} are controlled by multiple HPAs: [{keys}]"
            self.event(WARNING, "AmbiguousSelector", message)
            self.condition("ScalingActive", "False", "AmbiguousSelector", message)
            raise ComputeError(message, None)
        return selector

    def other_hpas_selecting(self, selector: LabelSelector) -> set[str]:
        """The other HPAs in the namespace whose targets select some of the same pods."""
        others = [
            h
            for h in self.lister.list("horizontalpodautoscalers", self.namespace)
            if h["metadata"]["name"] != self.hpa["metadata"]["name"]
        ]
        if not others:
            return set()
        pods = [p for p in self.lister.list("pods", self.namespace) if selector.matches(p["metadata"].get("labels"))]
        overlapping = set()
        for other in others:
            try:
                _, scale = Autoscale(self.api, other, normalizing.History(), self.now, self.lister).get_scale()
                other_selector = parse_label_selector((scale.get("status") or {}).get("selector") or "")
            except (ScaleTargetError, StatusError):
                continue
            if other_selector and any(other_selector.matches(p["metadata"].get("labels")) for p in pods):
                overlapping.add(other["metadata"]["name"])
        return overlapping
