"""The pods/binding and */scale subresources as APIServer serves them, split from server.py.

Simplified: binding and scale are read-modify-writes through APIServer's update path,
with upstream's messages for an assigned pod and an out-of-range replica count.
"""

# `self: APIServer` below: the mixin's methods run as APIServer's, which mypy cannot see through the cycle.
# mypy: disable-error-code="misc"
from __future__ import annotations

from typing import TYPE_CHECKING


from cluster import clock
from cluster.apiserver import strategy
from cluster.apiserver.errors import StatusError
from cluster.apiserver.requestbody import clean_copy, namespace_of, resource_type
from cluster.apiserver.resources import ResourceType, lookup
from cluster.apiserver.storage import request_transaction

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer


class SubresourcesMixin:
    """APIServer.bind, get_scale and update_scale (mixed into APIServer)."""

    def bind(self: APIServer, namespace: str, name: str, binding: dict) -> dict:
        """POST pods/<name>/binding: the scheduler's way of setting spec.nodeName."""
        binding = clean_copy(binding)
        node = (binding.get("target") or {}).get("name", "")
        if not node:
            raise StatusError.invalid(
                "Binding",
                "",
                name,
                [{"reason": "FieldValueRequired", "field": "target.name", "message": "Required value"}],
            )
        rt = lookup("pods")
        annotations = (binding.get("metadata") or {}).get("annotations") or {}

        def assign(pod: dict) -> dict:
            current = pod["spec"].get("nodeName")
            if pod["metadata"].get("deletionTimestamp"):
                raise StatusError.conflict("pods/binding", name)
            if current:
                raise StatusError(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is '
                    f'already assigned to node "{current}"',
                )
            pod["spec"]["nodeName"] = node
            if annotations:  # as upstream's setPodNodeAndMetadata, the Binding's annotations land on the pod
                pod["metadata"].setdefault("annotations", {}).update(annotations)
            for cond in (pod.get("status") or {}).get("conditions") or []:
                if cond.get("type") == "PodScheduled":  # UpdatePodCondition replaces reason and message
                    cond.pop("reason", None)
                    cond.pop("message", None)
            strategy.set_condition(pod, "PodScheduled", "True", clock.rfc3339(self.now()))
            return pod

        self._request("create", rt, namespace, name, "binding")
        with request_transaction():
            self._update_locked(rt, namespace, name, assign, "binding", precondition=False)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    def get_scale(self: APIServer, rt: ResourceType | str, namespace: str | None, name: str) -> dict:
        rt = resource_type(rt)
        return strategy.scale_of(rt, self.get(rt, namespace, name))

    def update_scale(
        self: APIServer, rt: ResourceType | str, namespace: str | None, name: str, scale: dict, field_manager: str = ""
    ) -> dict:
        rt = resource_type(rt)
        replicas = (scale.get("spec") or {}).get("replicas")
        wanted_rv = (scale.get("metadata") or {}).get("resourceVersion")
        if isinstance(replicas, int) and not -(2**31) <= replicas < 2**31:
            raise StatusError.bad_request(  # Scale.spec.replicas is an int32, as on every workload
                f'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal number {replicas} '
                "into Go struct field ScaleSpec.spec.replicas of type int32"
            )
        if not isinstance(replicas, int) or replicas < 0:
            raise StatusError.invalid(
                "Scale",
                "autoscaling",
                name,
                [
                    {
                        "reason": "FieldValueInvalid",
                        "field": "spec.replicas",
                        "message": f"Invalid value: {replicas}: must be greater than or equal to 0",
                    }
                ],
            )

        def rescale(obj: dict) -> dict:
            if wanted_rv and wanted_rv != obj["metadata"]["resourceVersion"]:
                raise StatusError.conflict(rt.group_resource, name)
            obj["spec"]["replicas"] = replicas
            return obj

        self._request("update", rt, namespace, name, "scale")
        with request_transaction():
            updated = self._update_locked(
                rt, namespace_of(rt, namespace), name, rescale, "scale", precondition=False, manager=field_manager
            )
        return strategy.scale_of(rt, updated)
