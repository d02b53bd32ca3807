"""POST /api/v1/namespaces/NS/pods/NAME/eviction: the Eviction API (pkg/registry/core/pod/storage/eviction.go).

An Eviction (policy/v1, or policy/v1beta1) asks kube-apiserver to delete a pod the way
a voluntary disruption should: only if no PodDisruptionBudget forbids it.

- A pod that is already terminal (Succeeded, Failed), still Pending, or being deleted is
  simply deleted: it can disrupt nothing more.
- A pod that more than one budget selects: 500, "This pod has more than one
  PodDisruptionBudget, which the eviction subresource does not support."
- A pod that is not Ready is deleted without spending the budget when the budget is
  healthy anyway (currentHealthy ≥ desiredHealthy > 0) or its
  unhealthyPodEvictionPolicy is AlwaysAllow.
- Otherwise the budget must allow a disruption: 429 TooManyRequests "Cannot evict pod
  as it would violate the pod's disruption budget." with the cause "The disruption
  budget web-pdb needs 2 healthy pods and has 2 currently" when disruptionsAllowed is 0
  (or "... is still being processed by the server." while the disruption controller has
  not observed the budget's generation); 403 when it is negative. An allowed eviction
  decrements disruptionsAllowed and records the pod in status.disruptedPods (so the
  disruption controller does not count it healthy while it goes) in the same write.

The pod then gets the DisruptionTarget condition (EvictionByEvictionAPI, "Eviction API:
evicting") and is deleted with the Eviction's deleteOptions (grace period,
preconditions, dry run); the answer is a Status Success with code 201.

Simplified: conflicting writes of the budget are not retried (the in-process store
serializes them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster import podutil
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import lookup
from cluster.apiserver.selectors import selector_from_label_selector
from cluster.clock import rfc3339

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."
EVICTION_VERSIONS = ("policy/v1", "policy/v1beta1")


def evict(api: APIServer, namespace: str, name: str, eviction: object, dry_run: bool = False) -> dict:
    """EvictionREST.Create: the Status kube-apiserver answers, or the StatusError it raises."""
    if (
        not isinstance(eviction, dict)
        or eviction.get("kind", "Eviction") != "Eviction"
        or eviction.get("apiVersion", "policy/v1") not in EVICTION_VERSIONS
    ):
        raise StatusError.bad_request(f"not a Eviction object: {type(eviction).__name__}")
    if (eviction.get("metadata") or {}).get("name") != name:
        raise StatusError.bad_request("name in URL does not match name in Eviction object")
    options = dict(eviction.get("deleteOptions") or {})
    dry_run = dry_run or bool(options.get("dryRun"))
    pods = lookup("pods")
    api._request("create", pods, namespace, name, "eviction")
    pod = api.get(pods, namespace, name)
    preconditions = dict(options.get("preconditions") or {})
    if can_ignore_pdb(pod):
        if _enforce_rv(pod) and not preconditions.get("resourceVersion"):
            preconditions["resourceVersion"] = pod["metadata"]["resourceVersion"]
        _delete(api, namespace, name, options, preconditions, dry_run, condition=False)
        return dict(SUCCESS)
    budgets = budgets_for(api, pod)
    if len(budgets) > 1:
        raise StatusError(
            500, "", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
        )
    if budgets:
        pdb = budgets[0]
        status, spec = pdb.get("status") or {}, pdb.get("spec") or {}
        ready = podutil.is_ready(pod)
        healthy_anyway = status.get("currentHealthy", 0) >= status.get("desiredHealthy", 0) > 0
        if not ready and (spec.get("unhealthyPodEvictionPolicy") == "AlwaysAllow" or healthy_anyway):
            preconditions.setdefault("resourceVersion", pod["metadata"]["resourceVersion"])
        else:
            check_and_decrement(api, pod, pdb, dry_run)
    _delete(api, namespace, name, options, preconditions, dry_run, condition=True)
    return dict(SUCCESS)


def can_ignore_pdb(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed", "Pending") or bool(
        pod["metadata"].get("deletionTimestamp")
    )


def _enforce_rv(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") and not pod["metadata"].get(
        "deletionTimestamp"
    )


def budgets_for(api: APIServer, pod: dict) -> list[dict]:
    """getPodDisruptionBudgets: the budgets of the pod's namespace whose (non-empty) selector matches it."""
    found = []
    for pdb in api.list("poddisruptionbudgets", pod["metadata"]["namespace"])["items"]:
        selector = (pdb.get("spec") or {}).get("selector")
        matcher = selector_from_label_selector(selector)
        if matcher is None or not matcher.requirements:  # a nil or empty selector matches nothing here
            continue
        if matcher.matches(pod["metadata"].get("labels")):
            found.append(pdb)
    return found


def too_many_requests(cause: str) -> StatusError:
    return StatusError(
        429, "TooManyRequests", VIOLATION, {"causes": [{"reason": "DisruptionBudget", "message": cause}]}
    )


def check_and_decrement(api: APIServer, pod: dict, pdb: dict, dry_run: bool) -> None:
    """checkAndDecrement: spend one disruption of the budget, or say why not."""
    status, name = pdb.get("status") or {}, pdb["metadata"]["name"]
    if status.get("observedGeneration", 0) < pdb["metadata"].get("generation", 1):
        raise too_many_requests(f"The disruption budget {name} is still being processed by the server.")
    allowed = status.get("disruptionsAllowed", 0)
    if allowed < 0:
        raise StatusError.forbidden_object("poddisruptionbudget", "policy", name, "pdb disruptions allowed is negative")
    if len(status.get("disruptedPods") or {}) > 2000:
        raise StatusError.forbidden_object(
            "poddisruptionbudget",
            "policy",
            name,
            "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
        )
    if allowed == 0:
        raise too_many_requests(
            f"The disruption budget {name} needs {status.get('desiredHealthy', 0)} healthy pods "
            f"and has {status.get('currentHealthy', 0)} currently"
        )
    if dry_run:
        return
    stamp = rfc3339(api.now())
    pod_name = pod["metadata"]["name"]

    def spend(current: dict) -> dict:
        from cluster.controllers.disruption import set_disruption_allowed

        st = current.setdefault("status", {})
        if st.get("disruptionsAllowed", 0) <= 0:
            raise too_many_requests(
                f"The disruption budget {name} needs {st.get('desiredHealthy', 0)} healthy "
                f"pods and has {st.get('currentHealthy', 0)} currently"
            )
        st["disruptionsAllowed"] -= 1
        if st["disruptionsAllowed"] == 0:
            set_disruption_allowed(st, stamp)
        st.setdefault("disruptedPods", {})[pod_name] = stamp
        return current

    api.update_with(
        "poddisruptionbudgets",
        pdb["metadata"]["namespace"],
        name,
        spend,
        subresource="status",
    )


def _delete(
    api: APIServer, namespace: str, name: str, options: dict, preconditions: dict, dry_run: bool, condition: bool
) -> None:
    """addConditionAndDeletePod: the DisruptionTarget condition, then the delete with the Eviction's options."""
    if condition and not dry_run:
        stamp = rfc3339(api.now())

        def mark(pod: dict) -> dict:
            meta = pod["metadata"]
            if preconditions.get("uid") and preconditions["uid"] != meta.get("uid"):
                raise StatusError.conflict(
                    "Pod",
                    name,
                    f"the UID in the precondition ({preconditions['uid']}) does "
                    f"not match the UID in record ({meta.get('uid')}). The object might have "
                    f"been deleted and then recreated",
                )
            if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta["resourceVersion"]:
                raise StatusError.conflict(
                    "Pod",
                    name,
                    "the ResourceVersion in the precondition "
                    f"({preconditions['resourceVersion']}) does not match the ResourceVersion "
                    f"in record ({meta['resourceVersion']}). The object might have been "
                    "modified",
                )
            conditions = [
                c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") != "DisruptionTarget"
            ]
            conditions.append(
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": stamp,
                    "reason": "EvictionByEvictionAPI",
                    "message": "Eviction API: evicting",
                }
            )
            pod.setdefault("status", {})["conditions"] = conditions
            return pod

        pod = api.update_with("pods", namespace, name, mark, subresource="status")
        if preconditions.get("resourceVersion"):
            preconditions["resourceVersion"] = pod["metadata"]["resourceVersion"]
    api.delete(
        "pods",
        namespace,
        name,
        grace_period_seconds=options.get("gracePeriodSeconds"),
        propagation_policy=options.get("propagationPolicy"),
        preconditions=preconditions,
        dry_run=dry_run,
    )
