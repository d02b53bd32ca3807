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
    """Strict, Warn or Ignore; kube-apiserver's default for a request that names none is Warn
    (handlers/rest.go fieldValidation: unknown and duplicate fields are dropped with a Warning header)."""
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


# -- ListOptions (metainternalversion.ListOptions, as ListResource decodes and validates them) ----------
EXACT, NOT_OLDER_THAN = "Exact", "NotOlderThan"


@dataclass(frozen=True)
class ListOptions:
    label_selector: str | None
    field_selector: str | None
    resource_version: str
    resource_version_match: str
    limit: int
    continue_token: str
    timeout_seconds: int | None
    send_initial_events: bool | None


def go_parse_int(text: str) -> int:
    """strconv.ParseInt(text, 10, 64), raising its error text (what DecodeParameters answers)."""
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        raise ValueError(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ValueError(f'strconv.ParseInt: parsing "{text}": value out of range')
    return value


def _int_param(request: HttpRequest, name: str) -> int | None:
    values = request.GET.getlist(name)
    if not values:
        return None
    try:
        return go_parse_int(values[0])
    except ValueError as err:
        raise StatusError.bad_request(str(err)) from None


def _bool_param(request: HttpRequest, name: str) -> bool | None:
    """Convert_Slice_string_To_bool: "0" and "false" (any case) are false, anything else true."""
    values = request.GET.getlist(name)
    if not values:
        return None
    return not (values[0] == "0" or values[0].lower() == "false")


def list_options(request: HttpRequest, watch: bool = False) -> ListOptions:
    """The query of a list or watch, decoded as ParameterCodec.DecodeParameters decodes it (400 with
    strconv's or the selector parser's words) and, for a list, checked as ValidateListOptions checks
    it (422 Invalid ListOptions). Field labels are checked per kind by the caller (parse_field_selector
    with the resource type), as ListResource does after validation."""
    from cluster.apiserver.selectors import SelectorError, parse_fields, parse_labels

    timeout = _int_param(request, "timeoutSeconds")
    limit = _int_param(request, "limit")
    labels, fields = request.GET.get("labelSelector", ""), request.GET.get("fieldSelector", "")
    try:
        parse_labels(labels)
        parse_fields(fields)
    except SelectorError as err:
        raise StatusError.bad_request(str(err)) from None
    opts = ListOptions(labels or None, fields or None, request.GET.get("resourceVersion", ""),
                       request.GET.get("resourceVersionMatch", ""), limit or 0, request.GET.get("continue", ""),
                       timeout, _bool_param(request, "sendInitialEvents"))
    if not watch:
        validate_list_options(opts)
    return opts


def validate_list_options(opts: ListOptions) -> None:
    """ValidateListOptions for a list (k8s.io/apimachinery/pkg/apis/meta/internalversion/validation)."""
    from cluster.apiserver.errors import field_error

    causes = []
    match = opts.resource_version_match
    if match:
        if not opts.resource_version:
            causes.append(field_error("forbidden", "resourceVersionMatch",
                                      "resourceVersionMatch is forbidden unless resourceVersion is provided"))
        if opts.continue_token:
            causes.append(field_error("forbidden", "resourceVersionMatch",
                                      "resourceVersionMatch is forbidden when continue is provided"))
        if match not in (EXACT, NOT_OLDER_THAN):
            causes.append(field_error("notsupported", "resourceVersionMatch",
                                      'supported values: "Exact", "NotOlderThan", ""', match))
        if match == EXACT and opts.resource_version == "0":
            causes.append(field_error("forbidden", "resourceVersionMatch",
                                      'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
    if opts.send_initial_events is not None:
        causes.append(field_error("forbidden", "sendInitialEvents", "sendInitialEvents is forbidden for list"))
    if causes:
        raise StatusError.invalid("ListOptions", "meta.k8s.io", "", causes)


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
