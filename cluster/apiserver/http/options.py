"""Query parameters and DeleteOptions, parsed as kube-apiserver's parameter codec parses them.

Each bad value is a 400 BadRequest saying which parameter and why, instead of
an exception deeper in the request.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from cluster.apiserver.errors import StatusError

FIELD_VALIDATION = ("Ignore", "Warn", "Strict")
PROPAGATION_POLICIES = ("Orphan", "Background", "Foreground")
INCLUDE_OBJECT = ("None", "Metadata", "Object")


@dataclass(frozen=True)
class DeleteOptions:
    grace_period_seconds: int | None
    propagation_policy: str | None
    preconditions: dict
    dry_run: bool


def dry_run(values: list[str]) -> bool:
    for value in values:
        if value != "All":
            raise StatusError.bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)


def query_dry_run(request: HttpRequest) -> bool:
    return dry_run(request.GET.getlist("dryRun"))


def field_validation(request: HttpRequest) -> str:
    """Strict, Warn or Ignore; kube-apiserver's default for a request that names none is Warn."""
    value = request.GET.get("fieldValidation") or "Warn"
    if value not in FIELD_VALIDATION:
        raise StatusError.bad_request(f'fieldValidation: Unsupported value: "{value}": supported values: '
                                      '"Ignore", "Strict", "Warn"')
    return value


def include_object(request: HttpRequest) -> str:
    value = request.GET.get("includeObject") or "Metadata"
    if value not in INCLUDE_OBJECT:
        raise StatusError.bad_request(f'includeObject: Unsupported value: "{value}": supported values: '
                                      '"None", "Metadata", "Object"')
    return value


def selectors(request: HttpRequest) -> tuple[str | None, str | None]:
    return request.GET.get("labelSelector") or None, request.GET.get("fieldSelector") or None


def _integer(name: str, value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise StatusError.bad_request(f"{name}: expected an integer, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StatusError.bad_request(f'{name}: invalid value "{value}": expected an integer') from None


def _policy(body: dict, request: HttpRequest) -> str | None:
    policy = body.get("propagationPolicy") or request.GET.get("propagationPolicy") or None
    orphan = body.get("orphanDependents")
    if orphan is None and request.GET.get("orphanDependents"):
        orphan = request.GET["orphanDependents"] in ("1", "true", "True")
    if policy and orphan is not None:
        raise StatusError(422, "Invalid", "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: "
                                          "Invalid value: \"" + policy + "\": orphanDependents and "
                                          "deletionPropagation cannot be both set")
    if policy is None and orphan:
        return "Orphan"
    if policy is not None and policy not in PROPAGATION_POLICIES:
        raise StatusError(422, "Invalid", f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: '
                                          f'Unsupported value: "{policy}": supported values: "Foreground", '
                                          '"Background", "Orphan"')
    return policy


def delete_options(body: object, request: HttpRequest) -> DeleteOptions:
    """DeleteOptions from the request body (kubectl sends one) and the query (curl users do)."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise StatusError.bad_request("the body of a DELETE request must be a DeleteOptions object")
    preconditions = body.get("preconditions") or {}
    if not isinstance(preconditions, dict):
        raise StatusError.bad_request("preconditions: expected an object")
    body_dry_run = body.get("dryRun") or []
    if not isinstance(body_dry_run, list):
        raise StatusError.bad_request("dryRun: expected a list")
    grace = _integer("gracePeriodSeconds", body.get("gracePeriodSeconds",
                                                    request.GET.get("gracePeriodSeconds")))
    if grace is not None and grace < 0:
        grace = 1  # upstream turns a negative grace period into the shortest one
    return DeleteOptions(grace, _policy(body, request), preconditions,
                         dry_run(body_dry_run) or query_dry_run(request))
