"""Field selectors (k8s.io/apimachinery/pkg/fields/selector.go), split from cluster/apiserver/selectors.py.

Field selectors are parsed as fields.ParseSelector parses them (terms split on
unescaped commas, `=`, `==` or `!=`, backslash escapes in values) and each field
label is checked against what the kind's field label conversion function
accepts (pkg/apis/core/v1/conversion.go; runtime.DefaultMetaV1FieldSelectorConversion
for the rest): `field label not supported: spec.foo`.

Simplified: the selectable fields are a fixed table of the kinds the simulation serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from cluster.apiserver.errors import StatusError
from cluster.apiserver.selectors import SelectorError

if TYPE_CHECKING:
    from cluster.apiserver.resources import ResourceType


# -- field selectors --------------------------------------------------------------------
def _involved(key: str) -> Callable[[dict], str]:
    return lambda o: str((o.get("involvedObject") or {}).get(key) or "")


def _spec(key: str) -> Callable[[dict], str]:
    return lambda o: str((o.get("spec") or {}).get(key) or "")


def _status(key: str) -> Callable[[dict], str]:
    return lambda o: str((o.get("status") or {}).get(key) or "")


def _flag(section: str, key: str) -> Callable[[dict], str]:
    return lambda o: "true" if (o.get(section) or {}).get(key) else "false"


def _pod_ips(obj: dict) -> str:
    return ",".join(
        str(ip.get("ip", "")) for ip in (obj.get("status") or {}).get("podIPs") or [] if isinstance(ip, dict)
    )


# The values each selectable field has (the registries' GetAttrs / ToSelectableFields).
FIELD_VALUES: dict[str, Callable[[dict], str]] = {
    "metadata.name": lambda o: str((o.get("metadata") or {}).get("name") or ""),
    "metadata.namespace": lambda o: str((o.get("metadata") or {}).get("namespace") or ""),
    "spec.nodeName": _spec("nodeName"),
    "spec.restartPolicy": _spec("restartPolicy"),
    "spec.schedulerName": _spec("schedulerName"),
    "spec.serviceAccountName": _spec("serviceAccountName"),
    "spec.hostNetwork": _flag("spec", "hostNetwork"),
    "spec.unschedulable": _flag("spec", "unschedulable"),
    "status.phase": _status("phase"),
    "status.podIP": _status("podIP"),
    "status.podIPs": _pod_ips,
    "status.nominatedNodeName": _status("nominatedNodeName"),
    "involvedObject.kind": _involved("kind"),
    "involvedObject.namespace": _involved("namespace"),
    "involvedObject.name": _involved("name"),
    "involvedObject.uid": _involved("uid"),
    "involvedObject.apiVersion": _involved("apiVersion"),
    "involvedObject.resourceVersion": _involved("resourceVersion"),
    "involvedObject.fieldPath": _involved("fieldPath"),
    "reason": lambda o: str(o.get("reason") or ""),
    "reportingComponent": lambda o: str(o.get("reportingComponent") or ""),
    # event strategy ToSelectableFields: the source's component, else the reporting controller
    "source": lambda o: str((o.get("source") or {}).get("component") or o.get("reportingComponent") or ""),
    "type": lambda o: str(o.get("type") or ""),
    "status.replicas": lambda o: str((o.get("status") or {}).get("replicas") or 0),
}

_META = ("metadata.name", "metadata.namespace")
# Field labels per kind (group/kind) as each conversion function accepts them; the rest of the
# kinds take DefaultMetaV1FieldSelectorConversion (metadata.name and metadata.namespace).
FIELD_LABELS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "Pod"): _META
    + (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.podIPs",
        "status.nominatedNodeName",
    ),
    ("", "Node"): ("metadata.name", "spec.unschedulable"),
    ("", "Event"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    )
    + _META,
    ("", "Namespace"): ("status.phase", "metadata.name"),
    ("", "Secret"): ("type",) + _META,
    ("apps", "ReplicaSet"): _META + ("status.replicas",),
}
# Old names a conversion function rewrites (a v1 client's spec.host).
FIELD_ALIASES: dict[tuple[str, str], dict[str, str]] = {("", "Pod"): {"spec.host": "spec.nodeName"}}


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[tuple[str, str, str], ...]  # (field, "=" or "!=", value)

    def matches(self, obj: dict) -> bool:
        for field, op, value in self.terms:
            getter = FIELD_VALUES.get(field)
            actual = getter(obj) if getter is not None else ""
            if (actual == value) != (op == "="):
                return False
        return True


def _split_terms(text: str) -> list[str]:
    """fields.splitTerms: split on commas that no backslash escapes."""
    if not text:
        return []
    terms, start, escaped = [], 0, False
    for index, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """fields.splitTerm: the first `!=`, `==` or `=` splits the term."""
    for index in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, index):
                return term[:index], op, term[index + len(op) :]
    return None


def _unescape(value: str) -> str:
    """fields.UnescapeValue."""
    if not any(ch in value for ch in "\\,="):
        return value
    out, in_slash = [], False
    for ch in value:
        if in_slash:
            if ch in "\\,=":
                out.append(ch)
            else:
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            in_slash = False
            continue
        if ch == "\\":
            in_slash = True
        elif ch in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if in_slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def parse_fields(text: str) -> list[tuple[str, str, str]]:
    """fields.ParseSelector: the terms sorted as text, or SelectorError with upstream's message."""
    terms = []
    for part in sorted(_split_terms(text)):
        if part == "":
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, raw = split
        terms.append((field, "!=" if op == "!=" else "=", _unescape(raw)))
    return terms


def field_label_error(rt: ResourceType, label: str) -> str | None:
    """What the kind's field label conversion function answers for `label`, or None when supported."""
    allowed = FIELD_LABELS.get((rt.group, rt.kind))
    if allowed is None:
        if label in _META:
            return None
        return f'"{label}" is not a known field selector: only "metadata.name", "metadata.namespace"'
    if label in allowed or label in FIELD_ALIASES.get((rt.group, rt.kind), {}):
        return None
    return f"field label not supported: {label}"


def parse_field_selector(text: str | None, rt: ResourceType | None = None) -> FieldSelector | None:
    """A `fieldSelector` query value as a matcher; each field label is checked against `rt`'s kind
    when given. A malformed selector or an unsupported label is kube-apiserver's 400."""
    if not text:
        return None
    try:
        terms = parse_fields(text)
    except SelectorError as err:
        raise StatusError.bad_request(str(err)) from None
    if rt is not None:
        aliases = FIELD_ALIASES.get((rt.group, rt.kind), {})
        for field, _op, _value in terms:
            problem = field_label_error(rt, field)
            if problem:
                raise StatusError.bad_request(problem)
        terms = [(aliases.get(f, f), op, v) for f, op, v in terms]
    if not terms:
        return None
    return FieldSelector(tuple(terms))
