"""`kubectl get --sort-by`: kubectl v1.32's sorter (staging/src/k8s.io/kubectl/pkg/cmd/get/sorter.go).

The field is a JSONPath (`.metadata.name` is relaxed to `{.metadata.name}`), read from each
object with missing keys allowed; the first value found is the key. An object without one sorts
first. Keys compare as kubectl's isLess compares what JSON decoding gave: numbers as numbers
(an integer and a float do not compare), strings that both parse as quantities as quantities
(`500m` < `2` < `100Mi` < `1Gi`), other strings byte by byte (`web-10` < `web-2`, as the real
kubectl v1.32 prints them; a natural order came to kubectl later); anything else (a bool,
a list, a map) is "an unsortable type", on which kubectl exits with a fatal log line.

The order of equal keys is Go's sort.Sort's (gosort.py). What kubectl does around it — the
table's rows sorted when one resource type was asked for, "No resources found" when the field
is on none of them, an error when several types were — is get.py's.
"""

from __future__ import annotations

from decimal import Decimal

from cluster import quantity
from cluster.kubectl.cmdutil import klog_line
from cluster.kubectl.gosort import go_sort
from cluster.kubectl.gotemplate.values import type_name  # Go's %T of a decoded JSON value
from cluster.kubectl.jsonpath import JSONPath, JSONPathError, relaxed


class FieldNotFound(Exception):
    """SortObjects / NewTableSorter: the field is on none of the objects."""

    def __init__(self, field: str) -> None:
        super().__init__(f'couldn\'t find any field with path "{field}" in the list of objects')


class Unsortable(Exception):
    """isLess on a kind it cannot order: kubectl logs it with klog.Exitf and exits 1."""


# Where kubectl's klog.Exitf calls sit (sorter.go), as its fatal line names them.
TABLE_SORTER = ("sorter.go:375", "[][][]reflect.Value")
RUNTIME_SORT = ("sorter.go:329", "*unstructured.Unstructured")


def field_path(sort_by: str) -> str:
    return relaxed(sort_by)


def sort_objects(objects: list[dict], sort_by: str) -> list[dict]:
    """The objects in kubectl's order; FieldNotFound or Unsortable as kubectl fails."""
    field = field_path(sort_by)
    try:
        path = JSONPath(field)
        keyed = [(_first(path, obj), obj) for obj in objects]
    except JSONPathError:
        raise FieldNotFound(field) from None
    if objects and not any(key is not _NONE for key, _ in keyed):
        raise FieldNotFound(field)
    go_sort(keyed, lambda a, b: _less_keys(a[0], b[0]))
    return [obj for _, obj in keyed]


def fatal_line(where: tuple[str, str], sort_by: str, err: Unsortable) -> str:
    """klog's fatal line as kubectl prints it before exiting: `F1204 19:37:32.596255   32705 sorter.go:329] …`."""
    site, holder = where
    return klog_line("F", site, f"Field {field_path(sort_by)} in {holder} is an unsortable type: interface, err: {err}")


_NONE = object()


def _first(path: JSONPath, obj: dict) -> object:
    values = path.find(obj)
    return values[0] if values else _NONE


def _less_keys(a: object, b: object) -> bool:
    if a is _NONE:
        return True
    if b is _NONE:
        return False
    return is_less(a, b)


def is_less(a: object, b: object) -> bool:
    """isLess for values decoded from JSON (reflect.Interface in kubectl)."""
    if a is None or b is None:
        return a is None and b is not None
    kind = type_name(a)
    if kind in ("bool", "[]interface {}", "map[string]interface {}"):
        raise Unsortable(f"unsortable type: {kind}")
    if kind != type_name(b):
        raise Unsortable("unsortable interface: interface")
    if isinstance(a, str) and isinstance(b, str):
        qa, qb = _quantity(a), _quantity(b)
        if qa is not None and qb is not None:
            return qa < qb
        return a < b  # byte order (Go's <); kubectl v1.32 has no natural order for strings
    return a < b  # type: ignore[operator]  # int64 or float64, both the same kind


def _quantity(text: str) -> Decimal | None:
    try:
        return quantity.parse(text)
    except (ValueError, ArithmeticError):
        return None
