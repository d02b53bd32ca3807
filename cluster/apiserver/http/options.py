"""Query parameters and DeleteOptions, parsed as kube-apiserver's parameter codec parses them.

A value the codec cannot decode is a 400 BadRequest in strconv's or the
selector parser's words (metainternalversionscheme.ParameterCodec); options it
decodes but validation refuses are a 422 on CreateOptions, UpdateOptions,
PatchOptions, DeleteOptions or ListOptions (k8s.io/apimachinery/pkg/apis/meta/v1/validation,
pkg/apis/meta/internalversion/validation), every problem listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from cluster.apiserver.errors import GoValue, StatusError, field_error, go_quote

FIELD_VALIDATION = ("Ignore", "Warn", "Strict")
PROPAGATION_POLICIES = ("Orphan", "Background", "Foreground")
INCLUDE_OBJECT = ("None", "Metadata", "Object")
APPLY_PATCH_TYPES = ("application/apply-patch+yaml", "application/apply-patch+cbor")
FIELD_MANAGER_MAX_LENGTH = 128


@dataclass(frozen=True)
class DeleteOptions:
    grace_period_seconds: int | None
    propagation_policy: str | None
    preconditions: dict
    dry_run: bool


def include_object(request: HttpRequest) -> str:
    value = request.GET.get("includeObject") or "Metadata"
    if value not in INCLUDE_OBJECT:
        raise StatusError.bad_request(
            f'includeObject: Unsupported value: "{value}": supported values: "None", "Metadata", "Object"'
        )
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
    from cluster.apiserver.field_selectors import parse_fields
    from cluster.apiserver.selectors import SelectorError, parse_labels

    timeout = _int_param(request, "timeoutSeconds")
    limit = _int_param(request, "limit")
    labels, fields = request.GET.get("labelSelector", ""), request.GET.get("fieldSelector", "")
    try:
        parse_labels(labels)
        parse_fields(fields)
    except SelectorError as err:
        raise StatusError.bad_request(str(err)) from None
    opts = ListOptions(
        labels or None,
        fields or None,
        request.GET.get("resourceVersion", ""),
        request.GET.get("resourceVersionMatch", ""),
        limit or 0,
        request.GET.get("continue", ""),
        timeout,
        _bool_param(request, "sendInitialEvents"),
    )
    if watch:
        validate_watch_options(opts)
    else:
        validate_list_options(opts)
    return opts


def validate_watch_options(opts: ListOptions) -> None:
    """ValidateListOptions for a watch (validateWatchOptions, the WatchList feature on as in 1.32)."""
    causes = []
    match = opts.resource_version_match
    if opts.send_initial_events is not None and match != NOT_OLDER_THAN:
        causes.append(
            field_error(
                "forbidden",
                "resourceVersionMatch",
                f"sendInitialEvents requires setting resourceVersionMatch to {NOT_OLDER_THAN}",
            )
        )
    if match:
        if opts.send_initial_events is None:
            causes.append(
                field_error(
                    "forbidden",
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                )
            )
        if match != NOT_OLDER_THAN:
            causes.append(
                field_error("notsupported", "resourceVersionMatch", f'supported values: "{NOT_OLDER_THAN}"', match)
            )
        if opts.continue_token:
            causes.append(
                field_error(
                    "forbidden", "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"
                )
            )
    if causes:
        raise StatusError.invalid("ListOptions", "meta.k8s.io", "", causes)


def validate_list_options(opts: ListOptions) -> None:
    """ValidateListOptions for a list (k8s.io/apimachinery/pkg/apis/meta/internalversion/validation)."""
    from cluster.apiserver.errors import field_error

    causes = []
    match = opts.resource_version_match
    if match:
        if not opts.resource_version:
            causes.append(
                field_error(
                    "forbidden",
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                )
            )
        if opts.continue_token:
            causes.append(
                field_error(
                    "forbidden", "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"
                )
            )
        if match not in (EXACT, NOT_OLDER_THAN):
            causes.append(
                field_error(
                    "notsupported", "resourceVersionMatch", 'supported values: "Exact", "NotOlderThan", ""', match
                )
            )
        if match == EXACT and opts.resource_version == "0":
            causes.append(
                field_error(
                    "forbidden",
                    "resourceVersionMatch",
                    'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                )
            )
    if opts.send_initial_events is not None:
        causes.append(field_error("forbidden", "sendInitialEvents", "sendInitialEvents is forbidden for list"))
    if causes:
        raise StatusError.invalid("ListOptions", "meta.k8s.io", "", causes)


def _go_strings(values: list[str]) -> GoValue:
    """A []string as field errors print it (%#v)."""
    return GoValue("[]string{" + ", ".join(go_quote(v) for v in values) + "}" if values else "[]string(nil)")


def _dry_run_causes(values: list[str]) -> list[dict]:
    """ValidateDryRun: only "All"."""
    if all(v == "All" for v in values):
        return []
    return [field_error("notsupported", "dryRun", 'supported values: "All"', _go_strings(values))]


def _field_manager_causes(manager: str) -> list[dict]:
    """ValidateFieldManager: at most 128 bytes, printable characters only."""
    causes = []
    if len(manager.encode()) > FIELD_MANAGER_MAX_LENGTH:
        causes.append(
            field_error(
                "toolong", "fieldManager", f"may not be more than {FIELD_MANAGER_MAX_LENGTH} bytes", show_value=False
            )
        )
    for index, ch in enumerate(manager):
        if not ch.isprintable():
            causes.append(
                field_error(
                    "invalid", "fieldManager", f"invalid character U+{ord(ch):04X} (at position {index})", manager
                )
            )
    return causes


@dataclass(frozen=True)
class WriteOptions:
    dry_run: bool
    field_validation: str  # Strict, Warn or Ignore, as handlers/rest.go fieldValidation defaults it


def write_options(request: HttpRequest, kind: str, patch_type: str = "") -> WriteOptions:
    """CreateOptions, UpdateOptions or PatchOptions from the query, checked as ValidateCreateOptions (and its
    siblings) check them: every problem in one 422 `CreateOptions.meta.k8s.io "" is invalid`. A request that
    names no fieldValidation gets Warn: unknown and duplicate fields are dropped with a Warning header."""
    causes: list[dict] = []
    if kind == "PatchOptions":
        if patch_type not in APPLY_PATCH_TYPES and request.GET.getlist("force"):
            causes.append(field_error("forbidden", "force", "may not be specified for non-apply patch"))
        elif patch_type in APPLY_PATCH_TYPES and not request.GET.get("fieldManager"):
            # kubectl defaults it to "kubectl"; every other applier has to name itself
            causes.append(field_error("required", "fieldManager", "is required for apply patch"))
    causes += _field_manager_causes(request.GET.get("fieldManager", ""))
    dry_runs = request.GET.getlist("dryRun")
    causes += _dry_run_causes(dry_runs)
    directive = request.GET.get("fieldValidation", "")
    if directive not in ("",) + FIELD_VALIDATION:
        causes.append(
            field_error(
                "notsupported", "fieldValidation", 'supported values: "", "Ignore", "Strict", "Warn"', directive
            )
        )
    if causes:
        raise StatusError.invalid(kind, "meta.k8s.io", "", causes)
    return WriteOptions(bool(dry_runs), directive or "Warn")


def _go_unmarshal(field_name: str, value: object, go_type: str) -> StatusError:
    """A DeleteOptions body the JSON decoder cannot read: the handler passes the decoder's error on as it is,
    which ErrorToAPIStatus answers with a 500 and no reason."""
    word = (
        "string"
        if isinstance(value, str)
        else "bool"
        if isinstance(value, bool)
        else "object"
        if isinstance(value, dict)
        else "array"
        if isinstance(value, list)
        else "number"
    )
    return StatusError.unknown(
        500, f"json: cannot unmarshal {word} into Go struct field DeleteOptions.{field_name} of type {go_type}"
    )


def _query_int(request: HttpRequest, name: str) -> int | None:
    values = request.GET.getlist(name)
    if not values:
        return None
    try:
        return go_parse_int(values[0])
    except ValueError as err:
        raise StatusError.bad_request(str(err)) from None


def delete_options(body: object, request: HttpRequest) -> DeleteOptions:
    """DeleteOptions as DeleteResource reads them: from the body when there is one (kubectl sends one),
    else from the query (curl users), then checked as ValidateDeleteOptions checks them (422)."""
    if body is not None:  # a body, even `{}`, is all DeleteResource reads: the query is not looked at
        if not isinstance(body, dict):
            raise StatusError.unknown(500, "decoded object cannot be converted to DeleteOptions")
        grace = body.get("gracePeriodSeconds")
        if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
            raise _go_unmarshal("gracePeriodSeconds", grace, "int64")
        policy = body.get("propagationPolicy")
        if policy is not None and not isinstance(policy, str):
            raise _go_unmarshal("propagationPolicy", policy, "v1.DeletionPropagation")
        orphan = body.get("orphanDependents")
        if orphan is not None and not isinstance(orphan, bool):
            raise _go_unmarshal("orphanDependents", orphan, "bool")
        dry_runs = body.get("dryRun") or []
        if not isinstance(dry_runs, list) or not all(isinstance(v, str) for v in dry_runs):
            raise _go_unmarshal("dryRun", dry_runs, "[]string")
        preconditions = body.get("preconditions") or {}
        if not isinstance(preconditions, dict):
            raise _go_unmarshal("preconditions", preconditions, "v1.Preconditions")
    else:
        grace = _query_int(request, "gracePeriodSeconds")
        policy = request.GET.get("propagationPolicy")
        orphan_values = request.GET.getlist("orphanDependents")
        orphan = None if not orphan_values else not (orphan_values[0] == "0" or orphan_values[0].lower() == "false")
        dry_runs = request.GET.getlist("dryRun")
        preconditions = {}
        for key in ("uid", "resourceVersion"):
            if request.GET.get(f"preconditions.{key}"):
                preconditions[key] = request.GET[f"preconditions.{key}"]
    causes: list[dict] = []
    if orphan is not None and policy is not None:
        causes.append(
            field_error(
                "invalid", "propagationPolicy", "orphanDependents and deletionPropagation cannot be both set", policy
            )
        )
    if policy is not None and policy not in PROPAGATION_POLICIES:
        causes.append(
            field_error(
                "notsupported",
                "propagationPolicy",
                'supported values: "Foreground", "Background", "Orphan", "nil"',
                policy,
            )
        )
    causes += _dry_run_causes(dry_runs)
    if causes:
        raise StatusError.invalid("DeleteOptions", "meta.k8s.io", "", causes)
    if policy is None and orphan:
        policy = "Orphan"
    if grace is not None and grace < 0:
        grace = 1  # rest.BeforeDelete: a negative grace period is the shortest one
    return DeleteOptions(grace, policy, preconditions, bool(dry_runs))
