"""field.Error constructors (k8s.io/apimachinery/pkg/util/validation/field) and shared checks.

Paths are upstream's: `spec.containers[0].name`, `spec.containers[0].resources.requests[cpu]`.
"""

from __future__ import annotations

import ipaddress

from cluster import quantity
from cluster.apiserver.errors import GoValue, field_error
from cluster.apiserver.validation import names

NEGATIVE = "must be greater than or equal to 0"
IP_MESSAGE = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
IMMUTABLE = "field is immutable"


def required(path: str, detail: str = "") -> dict:
    return field_error("required", path, detail, show_value=False)


def invalid(path: str, value: object, detail: str) -> dict:
    return field_error("invalid", path, detail, value)


def not_supported(path: str, value: object, supported: list[str] | tuple[str, ...]) -> dict:
    return field_error("notsupported", path, "supported values: " + ", ".join(f'"{v}"' for v in supported), value)


def forbidden(path: str, detail: str) -> dict:
    return field_error("forbidden", path, detail, show_value=False)


def duplicate(path: str, value: object) -> dict:
    return field_error("duplicate", path, "", value)


def not_found(path: str, value: object) -> dict:
    return field_error("notfound", path, "", value)


def too_long(path: str, max_bytes: int) -> dict:
    return field_error("toolong", path, f"may not be more than {max_bytes} bytes", show_value=False)


def nonnegative(path: str, value: object) -> list[dict]:
    return [invalid(path, value, NEGATIVE)] if isinstance(value, int) and value < 0 else []


def immutable(path: str, new: object, old: object) -> list[dict]:
    return [invalid(path, new, IMMUTABLE)] if new != old else []


def dns1123_label(path: str, value: str) -> list[dict]:
    return [invalid(path, value, m) for m in names.is_dns1123_label(value)]


def dns1123_subdomain(path: str, value: str) -> list[dict]:
    return [invalid(path, value, m) for m in names.is_dns1123_subdomain(value)]


def labels(path: str, values: object) -> list[dict]:
    errs: list[dict] = []
    for key, value in sorted((values or {}).items()) if isinstance(values, dict) else []:
        errs += [invalid(path, key, m) for m in names.is_qualified_name(key)]
        errs += [invalid(path, value, m) for m in names.is_valid_label_value(str(value))]
    return errs


def is_ip(value: object) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def as_dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list:
    return value if isinstance(value, list) else []


def go_quantity(value: object) -> str:
    return str(value)


def parse_quantity(value: object) -> quantity.Decimal | None:
    try:
        return quantity.parse(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None


def go_int_or_string(value: object) -> GoValue:
    """intstr.IntOrString as %#v prints it."""
    if isinstance(value, str):
        return GoValue(f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{value}"}}')
    return GoValue(f'intstr.IntOrString{{Type:0, IntVal:{value or 0}, StrVal:""}}')


def go_label_selector(selector: object) -> GoValue:
    """metav1.LabelSelector as %#v prints it."""
    sel = as_dict(selector)
    match = sel.get("matchLabels")
    labels_text = "map[string]string(nil)"
    if isinstance(match, dict):
        labels_text = "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(match.items())) + "}"
    exprs = as_list(sel.get("matchExpressions"))
    if exprs:
        items = []
        for e in exprs:
            e = as_dict(e)
            values = as_list(e.get("values"))
            values_text = "[]string{" + ", ".join(f'"{v}"' for v in values) + "}" if values else "[]string(nil)"
            items.append(
                f'v1.LabelSelectorRequirement{{Key:"{e.get("key", "")}", '
                f'Operator:"{e.get("operator", "")}", Values:{values_text}}}'
            )
        exprs_text = "[]v1.LabelSelectorRequirement{" + ", ".join(items) + "}"
    else:
        exprs_text = "[]v1.LabelSelectorRequirement(nil)"
    return GoValue(f"v1.LabelSelector{{MatchLabels:{labels_text}, MatchExpressions:{exprs_text}}}")
