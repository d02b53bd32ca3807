"""ObjectMeta validation (k8s.io/apimachinery/pkg/api/validation/objectmeta.go).

Names per kind follow each kind's ValidateNameFunc; labels are qualified names
with label values; annotation keys are qualified names and all annotations
together may hold at most 256 KiB.
"""

from typing import Callable

from cluster.apiserver.resources import ResourceType
from cluster.apiserver.validation import names
from cluster.apiserver.validation.fields import forbidden, immutable, invalid, labels, nonnegative, required, too_long

TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * (1 << 10)

NameFunc = Callable[[str, bool], list[str]]


def _path_segment(name: str, prefix: bool) -> list[str]:
    return names.validate_path_segment_name(name, prefix)


NAME_FUNCS: dict[str, NameFunc] = {
    "Service": names.name_is_dns1035_label,
    "Namespace": names.name_is_dns_label,
    "PersistentVolume": _path_segment,
}


def name_func(rt: ResourceType) -> NameFunc:
    return NAME_FUNCS.get(rt.kind, names.name_is_dns_subdomain)


def validate_object_meta(rt: ResourceType, meta: dict) -> list[dict]:
    errs: list[dict] = []
    fn = name_func(rt)
    generate_name, name = meta.get("generateName") or "", meta.get("name") or ""
    if generate_name:
        errs += [invalid("metadata.generateName", generate_name, m) for m in fn(generate_name, True)]
    if not name:
        errs.append(required("metadata.name", "name or generateName is required"))
    else:
        errs += [invalid("metadata.name", name, m) for m in fn(name, False)]
    namespace = meta.get("namespace") or ""
    if rt.namespaced:
        if not namespace:
            errs.append(required("metadata.namespace"))
        else:
            errs += [invalid("metadata.namespace", namespace, m) for m in names.is_dns1123_label(namespace)]
    elif namespace:
        errs.append(forbidden("metadata.namespace", "not allowed on this type"))
    errs += nonnegative("metadata.generation", meta.get("generation"))
    errs += labels("metadata.labels", meta.get("labels"))
    errs += annotations("metadata.annotations", meta.get("annotations"))
    return errs


def annotations(path: str, values: object) -> list[dict]:
    if not isinstance(values, dict):
        return []
    errs = []
    for key in sorted(values):
        errs += [invalid(path, key, m) for m in names.is_qualified_name(key.lower())]
    if sum(len(k) + len(str(v)) for k, v in values.items()) > TOTAL_ANNOTATION_SIZE_LIMIT_B:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT_B))
    return errs


def validate_object_meta_update(new: dict, old: dict) -> list[dict]:
    errs: list[dict] = []
    for key in ("name", "namespace", "uid", "creationTimestamp"):
        errs += immutable(f"metadata.{key}", new.get(key) or "", old.get(key) or "")
    return errs
