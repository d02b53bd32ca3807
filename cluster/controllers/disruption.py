"""kube-controller-manager's disruption controller (pkg/controller/disruption/disruption.go).

Keeps each PodDisruptionBudget's status: the pods its selector matches in its
namespace (a nil selector matches none, an empty one every pod), how many must stay
healthy and how many are expected:

- minAvailable as a number: desiredHealthy is that number and expectedPods the count
  of matching pods;
- minAvailable as a percentage, or maxUnavailable: expectedPods is the sum of the
  scales of the pods' controllers (a Deployment's replicas for its ReplicaSets' pods,
  a ReplicaSet's or a StatefulSet's own), and desiredHealthy that percentage of it
  rounded up, or expectedPods less maxUnavailable (rounded up) — a pod without a
  controller is reported (`UnmanagedPods` event) and, as upstream, leaves the status
  uncomputed (`CalculateExpectedPodCountFailed` when a controller cannot be found);

currentHealthy counts the matching pods that are Ready, not being deleted, and not
in `disruptedPods` (evictions the API server approved less than 2 minutes ago, which
this controller forgets once the pod is gone or the 2 minutes have passed);
disruptionsAllowed is currentHealthy − desiredHealthy (never below 0, and 0 while no
pod is expected), and the DisruptionAllowed condition says SufficientPods or
InsufficientPods. A budget matching no pods gets a `NoPods` event.

Simplified: the scale of other controllers (through their scale subresource) is not
looked up; the stale DisruptionTarget conditions of pods whose eviction never came are
not cleared.
"""

from __future__ import annotations

import datetime as dt
import math

from cluster.apiserver.errors import StatusError
from cluster.apiserver.selectors import selector_from_label_selector
from cluster.apiserver.server import WatchEvent
from cluster.clock import parse_rfc3339, rfc3339
from cluster.controllers.base import DONE, Controller, Result, split_key
from cluster.controllers.controller_utils import controller_of, is_pod_ready
from cluster.events import NORMAL, WARNING, record

COMPONENT = "controllermanager"  # upstream's recorder for this controller is named "controllermanager"
DELETION_TIMEOUT = 120.0  # DeletionTimeout: an approved eviction is expected to delete the pod within 2 minutes
PDBS = "poddisruptionbudgets"


def matching_pods(pdb: dict, pods: list[dict]) -> list[dict]:
    """getPodsForPdb: the pods of the budget's namespace its selector matches (nil: none)."""
    selector = selector_from_label_selector((pdb.get("spec") or {}).get("selector"))
    if selector is None:
        return []
    return [p for p in pods if selector.matches(p["metadata"].get("labels"))]


def go_label_selector(selector: dict) -> str:
    """*metav1.LabelSelector as %v prints it (its generated String method)."""
    labels = "".join(f"{k}: {v}," for k, v in sorted((selector.get("matchLabels") or {}).items()))
    expressions = "".join(
        f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},"
        f"Values:[{' '.join(e.get('values') or [])}],}},"
        for e in selector.get("matchExpressions") or []
    )
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{labels}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}"
    )


def scaled(value: object, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%"):
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    fraction = int(text[:-1]) * total / 100
    return math.ceil(fraction) if round_up else math.floor(fraction)


class DisruptionController(Controller):
    name = "disruption-controller"
    watches = (PDBS, "pods", "replicasets", "deployments", "statefulsets")

    def keys_for(self, resource: str, event: WatchEvent) -> list[str]:
        obj = event.object
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        if resource == PDBS:
            return [f"{namespace}/{meta['name']}"] if event.type != "DELETED" else []
        budgets = self.lister.list(PDBS, namespace)
        if not budgets:
            return []
        if resource == "pods":
            budgets = [b for b in budgets if matching_pods(b, [obj])]
        return [f"{namespace}/{b['metadata']['name']}" for b in budgets]

    def reconcile(self, key: str) -> Result:
        namespace, name = split_key(key)
        pdb = self.lister.find(PDBS, namespace, name)
        if pdb is None:
            return DONE
        now = self.api.now()
        pods = matching_pods(pdb, self.lister.list("pods", namespace))
        if not pods:
            record(self.api, pdb, NORMAL, "NoPods", "No matching pods found", COMPONENT)
        try:
            expected, desired, unmanaged = self.expected_pod_count(pdb, pods)
        except (LookupError, ValueError) as err:
            record(
                self.api,
                pdb,
                WARNING,
                "CalculateExpectedPodCountFailed",
                f"Failed to calculate the number of expected pods: {err}",
                COMPONENT,
            )
            return Result(requeue_after=30.0)
        if unmanaged:
            selector = go_label_selector((pdb.get("spec") or {}).get("selector") or {})
            record(
                self.api,
                pdb,
                WARNING,
                "UnmanagedPods",
                f"Pods selected by this PodDisruptionBudget (selector: {selector}) were found to be unmanaged. As "
                "a result, the status of the PDB cannot be calculated correctly, which may result in undefined "
                'behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an '
                "integer value.",
                COMPONENT,
            )
        disrupted, recheck = self.disrupted_pods(pdb, pods, now)
        healthy = sum(
            1
            for p in pods
            if not p["metadata"].get("deletionTimestamp") and p["metadata"]["name"] not in disrupted and is_pod_ready(p)
        )
        self.update_status(pdb, healthy, desired, expected, disrupted)
        return Result(requeue_after=max(0.0, (recheck - now).total_seconds())) if recheck else DONE

    # -- how many --------------------------------------------------------------------
    def expected_pod_count(self, pdb: dict, pods: list[dict]) -> tuple[int, int, list[str]]:
        """getExpectedPodCount: (expectedCount, desiredHealthy, unmanaged pod names)."""
        spec = pdb.get("spec") or {}
        if spec.get("maxUnavailable") is not None:
            expected, unmanaged = self.expected_scale(pods)
            return expected, max(0, expected - scaled(spec["maxUnavailable"], expected, True)), unmanaged
        minimum = spec.get("minAvailable")
        if isinstance(minimum, int):
            return len(pods), minimum, []
        if minimum is not None:
            expected, unmanaged = self.expected_scale(pods)
            return expected, scaled(minimum, expected, True), unmanaged
        return 0, 0, []

    def expected_scale(self, pods: list[dict]) -> tuple[int, list[str]]:
        """getExpectedScale: the sum of the scales of the pods' controllers."""
        scales: dict[str, int] = {}
        unmanaged = []
        for pod in pods:
            ref = controller_of(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref.get("uid") in scales:
                continue
            found = self.controller_scale(ref, pod["metadata"]["namespace"])
            if found is None:
                raise LookupError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            scales[found[0]] = found[1]
        return sum(scales.values()), unmanaged

    def controller_scale(self, ref: dict, namespace: str) -> tuple[str, int] | None:
        """The finders: a ReplicaSet (its Deployment's when it has one), a StatefulSet."""
        kind, name = ref.get("kind"), ref.get("name", "")
        if kind == "ReplicaSet":
            rs = self.lister.find("replicasets", namespace, name)
            if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
                return None
            owner = controller_of(rs)
            if owner is not None and owner.get("kind") == "Deployment":
                deployment = self.lister.find("deployments", namespace, owner.get("name", ""))
                if deployment is None or deployment["metadata"].get("uid") != owner.get("uid"):
                    return None
                return deployment["metadata"]["uid"], int((deployment.get("spec") or {}).get("replicas", 1))
            return rs["metadata"]["uid"], int((rs.get("spec") or {}).get("replicas", 1))
        if kind == "StatefulSet":
            sts = self.lister.find("statefulsets", namespace, name)
            if sts is None or sts["metadata"].get("uid") != ref.get("uid"):
                return None
            return sts["metadata"]["uid"], int((sts.get("spec") or {}).get("replicas", 1))
        return None

    def disrupted_pods(
        self, pdb: dict, pods: list[dict], now: dt.datetime
    ) -> tuple[dict[str, str], dt.datetime | None]:
        """buildDisruptedPodMap: the approved evictions still expected to happen, and when to look again."""
        previous = (pdb.get("status") or {}).get("disruptedPods") or {}
        kept: dict[str, str] = {}
        recheck = None
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp") or name not in previous:
                continue
            expected = parse_rfc3339(previous[name]) + dt.timedelta(seconds=DELETION_TIMEOUT)
            if expected < now:
                record(
                    self.api,
                    pod,
                    WARNING,
                    "NotDeleted",
                    f"Pod was expected by PDB {pdb['metadata']['namespace']}/"
                    f"{pdb['metadata']['name']} to be deleted but it wasn't",
                    COMPONENT,
                )
                continue
            kept[name] = previous[name]
            recheck = expected if recheck is None or expected < recheck else recheck
        return kept, recheck

    # -- status ------------------------------------------------------------------------
    def update_status(self, pdb: dict, healthy: int, desired: int, expected: int, disrupted: dict[str, str]) -> None:
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0
        generation = pdb["metadata"].get("generation", 1)
        wanted = {
            "disruptionsAllowed": allowed,
            "currentHealthy": healthy,
            "desiredHealthy": desired,
            "expectedPods": expected,
            "observedGeneration": generation,
        }
        if disrupted:
            wanted["disruptedPods"] = disrupted
        status = pdb.get("status") or {}
        current = {k: status.get(k) for k in wanted}
        if (
            current == wanted
            and set(status.get("disruptedPods") or {}) == set(disrupted)
            and _condition_up_to_date(status, allowed, generation)
        ):
            return
        stamp = rfc3339(self.api.now())

        def write(obj: dict) -> dict:
            old = obj.get("status") or {}
            new = {**wanted, "conditions": old.get("conditions") or []}
            if not disrupted:
                new.pop("disruptedPods", None)
            set_disruption_allowed(new, stamp)
            obj["status"] = {
                k: new[k]
                for k in (
                    "observedGeneration",
                    "disruptedPods",
                    "disruptionsAllowed",
                    "currentHealthy",
                    "desiredHealthy",
                    "expectedPods",
                    "conditions",
                )
                if k in new
            }
            return obj

        try:
            self.api.update_with(
                PDBS, pdb["metadata"]["namespace"], pdb["metadata"]["name"], write, subresource="status"
            )
        except StatusError as err:
            if err.code not in (404, 409):
                raise


def _condition_up_to_date(status: dict, allowed: int, generation: int) -> bool:
    """ConditionsAreUpToDate: the DisruptionAllowed condition matches the count and the generation."""
    condition = next((c for c in status.get("conditions") or [] if c.get("type") == "DisruptionAllowed"), None)
    if condition is None or condition.get("observedGeneration") != generation:
        return False
    return condition.get("status") == ("True" if allowed > 0 else "False")


def set_disruption_allowed(status: dict, stamp: str) -> None:
    """pdbhelper.UpdateDisruptionAllowedCondition, with meta.SetStatusCondition's transition time."""
    allowed = (status.get("disruptionsAllowed") or 0) > 0
    wanted = {
        "type": "DisruptionAllowed",
        "status": "True" if allowed else "False",
        "observedGeneration": status.get("observedGeneration", 0),
        "reason": "SufficientPods" if allowed else "InsufficientPods",
        "message": "",
    }
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionAllowed"]
    before = next((c for c in status.get("conditions") or [] if c.get("type") == "DisruptionAllowed"), None)
    changed = before is None or before.get("status") != wanted["status"]
    condition = {
        "type": "DisruptionAllowed",
        "status": wanted["status"],
        "observedGeneration": wanted["observedGeneration"],
        "lastTransitionTime": stamp if changed or before is None else before.get("lastTransitionTime", stamp),
        "reason": wanted["reason"],
        "message": "",
    }
    status["conditions"] = conditions + [condition]
