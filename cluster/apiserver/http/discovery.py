"""API discovery: /version, /api, /apis, /apis/<group>[/<version>], and aggregated discovery.

What kube-apiserver tells clients about itself, built from the resource table
in cluster.apiserver.resources: the legacy documents (APIVersions,
APIGroupList, APIGroup, APIResourceList with `pods/status`-style subresource
entries) and the aggregated apidiscovery.k8s.io/v2 document kubectl 1.32
fetches in one request per root.

Simplified: no storageVersionHash. A group with several versions lists them
in the resource table's order, the preferred (first) one first.
"""

from __future__ import annotations

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import GROUP_ORDER, RESOURCES, ResourceType, groups

VERSION_INFO = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0",
    "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53",
    "gitTreeState": "clean",
    "buildDate": "2024-12-11T17:59:15Z",
    "goVersion": "go1.23.3",
    "compiler": "gc",
    "platform": "linux/amd64",
}

# Subresource → (group, version, kind) it answers with (None: the parent's) and its verbs, as upstream registers them.
SUBRESOURCES: dict[str, tuple[tuple[str, str, str] | None, tuple[str, ...]]] = {
    "status": (None, ("get", "patch", "update")),
    "scale": (("autoscaling", "v1", "Scale"), ("get", "patch", "update")),
    "binding": (("", "v1", "Binding"), ("create",)),
    "log": (None, ("get",)),
    "exec": (("", "v1", "PodExecOptions"), ("create", "get")),
    "eviction": (("policy", "v1", "Eviction"), ("create",)),
    "token": (("authentication.k8s.io", "v1", "TokenRequest"), ("create",)),
    "finalize": (None, ("update",)),
    "ephemeralcontainers": (None, ("get", "patch", "update")),
}


def _gvk(rt: ResourceType, subresource: str = "") -> tuple[str, str, str]:
    answer = SUBRESOURCES[subresource][0] if subresource else None
    return answer or (rt.group, rt.version, rt.kind)


def served_groups() -> dict[str, list[ResourceType]]:
    """Groups in kube-apiserver's discovery order, each with its resources sorted by name."""
    return {g: sorted(rs, key=lambda r: r.plural) for g, rs in groups().items() if rs}


def group_versions() -> list[tuple[str, str]]:
    """Every served (group, version), legacy core first."""
    seen: list[tuple[str, str]] = []
    for group in GROUP_ORDER:
        for r in RESOURCES:
            if r.group == group and (group, r.version) not in seen:
                seen.append((group, r.version))
    return seen


def _versions_of(group: str) -> list[str]:
    versions = [v for g, v in group_versions() if g == group]
    if not versions:
        raise StatusError.not_found_resource(group, "", "")
    return versions


# -- legacy discovery -----------------------------------------------------------
def api_versions(server_address: str) -> dict:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group(group: str) -> dict:
    gvs = [{"groupVersion": f"{group}/{version}", "version": version} for version in _versions_of(group)]
    return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}


def api_group_list() -> dict:
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [api_group(g) for g in served_groups() if g]}


def api_group_document(group: str) -> dict:
    return {"kind": "APIGroup", "apiVersion": "v1", **api_group(group)}


def api_resource_list(group: str, version: str) -> dict:
    resources = [r for r in served_groups().get(group, []) if r.version == version]
    if not resources:
        raise StatusError.not_found_resource(group, version, "")
    entries = []
    for rt in resources:
        entries.append(_resource_entry(rt))
        entries.extend(_subresource_entry(rt, sub) for sub in sorted(rt.subresources))
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": entries,
    }


def _resource_entry(rt: ResourceType) -> dict:
    entry = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    return entry


def _subresource_entry(rt: ResourceType, subresource: str) -> dict:
    group, version, kind = _gvk(rt, subresource)
    entry = {"name": f"{rt.plural}/{subresource}", "singularName": "", "namespaced": rt.namespaced}
    if (group, version) != (rt.group, rt.version):
        entry.update({"group": group, "version": version})
    entry.update({"kind": kind, "verbs": list(SUBRESOURCES[subresource][1])})
    return entry


# -- aggregated discovery (apidiscovery.k8s.io/v2) -------------------------------
def aggregated(legacy: bool) -> dict:
    """The APIGroupDiscoveryList for /api (legacy=True) or /apis."""
    items = []
    for group, resources in served_groups().items():
        if (group == "") != legacy:
            continue
        versions = [
            {
                "version": version,
                "resources": [_aggregated_resource(r) for r in resources if r.version == version],
                "freshness": "Current",
            }
            for version in _versions_of(group)
        ]
        items.append({"metadata": {"name": group} if group else {}, "versions": versions})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}


def _aggregated_resource(rt: ResourceType) -> dict:
    group, version, kind = _gvk(rt)
    entry: dict[str, object] = {
        "resource": rt.plural,
        "responseKind": {"group": group, "version": version, "kind": kind},
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    if rt.subresources:
        entry["subresources"] = [_aggregated_subresource(rt, s) for s in sorted(rt.subresources)]
    return entry


def _aggregated_subresource(rt: ResourceType, subresource: str) -> dict:
    group, version, kind = _gvk(rt, subresource)
    return {
        "subresource": subresource,
        "responseKind": {"group": group, "version": version, "kind": kind},
        "verbs": list(SUBRESOURCES[subresource][1]),
    }
