"""Label and field selectors (k8s.io/apimachinery/pkg/labels and pkg/fields).

Label selectors accept both syntaxes kube-apiserver accepts: equality-based
(`app=web`, `tier!=db`) and set-based (`env in (prod,qa)`, `!canary`, `app`).
Field selectors support the fields kubeclass indexes, as kube-apiserver supports
only a few fields per resource.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from cluster.apiserver.errors import StatusError

Requirement = Callable[[dict], bool]

_SET_RE = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*$")


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p.strip()]


def _requirement(text: str) -> Requirement:
    if m := _SET_RE.match(text):
        key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
        if op == "in":
            return lambda labels: key in labels and labels[key] in values
        return lambda labels: labels.get(key) not in values
    if m := _EQ_RE.match(text):
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _EXISTS_RE.match(text):
        negate, key = m.groups()
        return (lambda labels: key not in labels) if negate else (lambda labels: key in labels)
    raise StatusError.bad_request(f'unable to parse requirement: found \'{text.strip()}\', expected: valid label selector')


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...]
    text: str

    def matches(self, labels: dict | None) -> bool:
        labels = labels or {}
        return all(r(labels) for r in self.requirements)


def parse_label_selector(text: str | None) -> LabelSelector | None:
    if not text:
        return None
    return LabelSelector(tuple(_requirement(p) for p in _split_top(text)), text)


def selector_from_label_selector(selector: dict | None) -> LabelSelector | None:
    """A metav1.LabelSelector (matchLabels + matchExpressions) as a matcher.

    An empty selector matches everything; None matches nothing, as upstream's
    LabelSelectorAsSelector distinguishes them."""
    if selector is None:
        return None
    reqs: list[Requirement] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        reqs.append(lambda labels, k=key, v=value: labels.get(k) == v)
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), set(expr.get("values") or [])
        if op == "In":
            reqs.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
        elif op == "NotIn":
            reqs.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
        elif op == "Exists":
            reqs.append(lambda labels, k=key: k in labels)
        elif op == "DoesNotExist":
            reqs.append(lambda labels, k=key: k not in labels)
    return LabelSelector(tuple(reqs), format_label_selector(selector))


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: `app=web,tier in (a,b)`; `<none>` when empty."""
    if not selector:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), sorted(expr.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"


# -- field selectors --------------------------------------------------------
_FIELDS: dict[str, Callable[[dict], str]] = {
    "metadata.name": lambda o: o.get("metadata", {}).get("name", ""),
    "metadata.namespace": lambda o: o.get("metadata", {}).get("namespace", ""),
    "spec.nodeName": lambda o: (o.get("spec") or {}).get("nodeName", ""),
    "status.phase": lambda o: (o.get("status") or {}).get("phase", ""),
    "spec.unschedulable": lambda o: str(bool((o.get("spec") or {}).get("unschedulable", False))).lower(),
    "involvedObject.name": lambda o: (o.get("involvedObject") or {}).get("name", ""),
    "involvedObject.namespace": lambda o: (o.get("involvedObject") or {}).get("namespace", ""),
    "involvedObject.kind": lambda o: (o.get("involvedObject") or {}).get("kind", ""),
    "involvedObject.uid": lambda o: (o.get("involvedObject") or {}).get("uid", ""),
    "involvedObject.fieldPath": lambda o: (o.get("involvedObject") or {}).get("fieldPath", ""),
    "reason": lambda o: o.get("reason", ""),
    "type": lambda o: o.get("type", ""),
    "spec.schedulerName": lambda o: (o.get("spec") or {}).get("schedulerName", ""),
}


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[tuple[str, str, str], ...]

    def matches(self, obj: dict) -> bool:
        for field, op, value in self.terms:
            actual = _FIELDS[field](obj)
            if (actual == value) != (op != "!="):
                return False
        return True


def parse_field_selector(text: str | None, kind: str = "") -> FieldSelector | None:
    if not text:
        return None
    terms = []
    for part in _split_top(text):
        m = re.match(r"^\s*([A-Za-z.]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if not m:
            raise StatusError.bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, value = m.groups()
        if field not in _FIELDS:
            raise StatusError.bad_request(
                f'field label not supported: {field}' if not kind else f'"{field}" is not a known field selector: only "metadata.name", "metadata.namespace"'
            )
        terms.append((field, op, value))
    return FieldSelector(tuple(terms))
