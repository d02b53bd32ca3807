"""Pod and pod template validation (pkg/apis/core/validation: ValidatePodSpec and friends).

Covers what a learner writes: containers (names, images, ports, pull policy,
resources with requests <= limits), restartPolicy, dnsPolicy and dnsConfig, nodeSelector,
tolerations, serviceAccountName, nodeName, hostname.

An update also goes through ValidatePodUpdate (pod_update.py): a running Pod's
spec is immutable but for images, activeDeadlineSeconds and tolerations.

Ephemeral containers are validation/ephemeral.py's.

Simplified: volumes, probes, security contexts and affinity are not checked.
"""

from __future__ import annotations

from cluster.apiserver.validation import names
from cluster.apiserver.validation.ephemeral import validate_ephemeral_containers
from cluster.apiserver.validation.fields import (
    IP_MESSAGE,
    as_dict,
    as_list,
    dns1123_label,
    dns1123_subdomain,
    duplicate,
    forbidden,
    invalid,
    is_ip,
    labels,
    nonnegative,
    not_supported,
    parse_quantity,
    required,
)
from cluster.apiserver.validation.meta import annotations as validate_annotations

PROTOCOLS = ("SCTP", "TCP", "UDP")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
MAX_INT32 = 2**31 - 1


def validate_pod(obj: dict, old: dict | None) -> list[dict]:
    """ValidatePodCreate, or ValidatePodUpdate when `old` is given (cluster/apiserver/validation/pod_update.py)."""
    errs = validate_pod_spec(as_dict(obj.get("spec")), "spec")
    if old is None and as_list(as_dict(obj.get("spec")).get("ephemeralContainers")):
        errs.append(forbidden("spec.ephemeralContainers", "cannot be set on create"))
    if old is not None:
        from cluster.apiserver.validation.pod_update import validate_pod_update

        errs += validate_pod_update(obj, old)
    return errs


def validate_pod_template(template: dict, path: str) -> list[dict]:
    meta = as_dict(template.get("metadata"))
    errs = labels(f"{path}.metadata.labels", meta.get("labels"))
    errs += validate_annotations(f"{path}.metadata.annotations", meta.get("annotations"))
    return errs + validate_pod_spec(as_dict(template.get("spec")), f"{path}.spec")


def validate_pod_spec(spec: dict, path: str) -> list[dict]:
    containers = as_list(spec.get("containers"))
    init = as_list(spec.get("initContainers"))
    errs = validate_containers(containers, f"{path}.containers", {c.get("name") for c in init if isinstance(c, dict)})
    errs += _validate_init_containers(init, f"{path}.initContainers")
    errs += validate_ephemeral_containers(spec, f"{path}.ephemeralContainers")
    errs += _enum(f"{path}.restartPolicy", spec.get("restartPolicy"), RESTART_POLICIES)
    errs += _enum(f"{path}.dnsPolicy", spec.get("dnsPolicy"), DNS_POLICIES)
    errs += labels(f"{path}.nodeSelector", spec.get("nodeSelector"))
    for key in ("serviceAccountName", "nodeName"):
        if spec.get(key):
            errs += dns1123_subdomain(f"{path}.{key}", spec[key])
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and not 1 <= deadline <= MAX_INT32:
        errs.append(invalid(f"{path}.activeDeadlineSeconds", deadline, names.inclusive_range_error(1, MAX_INT32)))
    for key in ("hostname", "subdomain"):
        if spec.get(key):
            errs += dns1123_label(f"{path}.{key}", spec[key])
    errs += nonnegative(f"{path}.terminationGracePeriodSeconds", spec.get("terminationGracePeriodSeconds"))
    errs += validate_tolerations(as_list(spec.get("tolerations")), f"{path}.tolerations")
    return errs + _validate_dns_config(spec, f"{path}.dnsConfig")


MAX_DNS_NAMESERVERS, MAX_DNS_SEARCH_PATHS, MAX_DNS_SEARCH_CHARS = 3, 32, 2048


def _validate_dns_config(spec: dict, path: str) -> list[dict]:
    """validatePodDNSConfig: dnsPolicy None needs nameservers; at most 3 of them, each an IP; search paths
    that are DNS subdomains, 32 of them and 2048 characters at most; options with names."""
    config = spec.get("dnsConfig")
    if spec.get("dnsPolicy") == "None":
        if config is None:
            return [required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not as_list(as_dict(config).get("nameservers")):
            detail = "must provide at least one DNS nameserver when `dnsPolicy` is None"
            return [required(f"{path}.nameservers", detail)]
    if config is None:
        return []
    config, errs = as_dict(config), []
    nameservers = as_list(config.get("nameservers"))
    if len(nameservers) > MAX_DNS_NAMESERVERS:
        errs.append(
            invalid(f"{path}.nameservers", nameservers, f"must not have more than {MAX_DNS_NAMESERVERS} nameservers")
        )
    for i, server in enumerate(nameservers):
        if not is_ip(server):
            errs.append(invalid(f"{path}.nameservers[{i}]", server, IP_MESSAGE))
    searches = [str(s) for s in as_list(config.get("searches"))]
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        errs.append(
            invalid(f"{path}.searches", searches, f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths")
        )
    if len(" ".join(searches)) > MAX_DNS_SEARCH_CHARS:
        errs.append(
            invalid(
                f"{path}.searches",
                searches,
                f"must not have more than {MAX_DNS_SEARCH_CHARS} characters (including spaces) in the search list",
            )
        )
    for i, search in enumerate(searches):
        errs += dns1123_subdomain(f"{path}.searches[{i}]", search.removesuffix("."))
    for i, option in enumerate(as_list(config.get("options"))):
        if not as_dict(option).get("name"):
            errs.append(required(f"{path}.options[{i}]", "Option.Name must not be empty"))
    return errs


def _enum(path: str, value: object, allowed: tuple[str, ...]) -> list[dict]:
    if value in allowed:
        return []
    if not value:
        return [required(path)]
    return [not_supported(path, value, allowed)]


def validate_containers(containers: list, path: str, init_names: set) -> list[dict]:
    if not containers:
        return [required(path)]
    errs: list[dict] = []
    seen: set = set(init_names)
    for i, raw in enumerate(containers):
        ctr, at = as_dict(raw), f"{path}[{i}]"
        errs += container_common(ctr, at)
        if ctr.get("name") in seen:
            errs.append(duplicate(f"{at}.name", ctr.get("name")))
        else:
            seen.add(ctr.get("name"))
        if ctr.get("restartPolicy") is not None:
            errs.append(forbidden(f"{at}.restartPolicy", "may not be set for non-init containers"))
    return errs


def _validate_init_containers(containers: list, path: str) -> list[dict]:
    errs: list[dict] = []
    seen: set = set()
    for i, raw in enumerate(containers):
        ctr, at = as_dict(raw), f"{path}[{i}]"
        errs += container_common(ctr, at)
        if ctr.get("name") in seen:
            errs.append(duplicate(f"{at}.name", ctr.get("name")))
        seen.add(ctr.get("name"))
    return errs


def container_common(ctr: dict, path: str) -> list[dict]:
    errs: list[dict] = []
    name = ctr.get("name") or ""
    errs += [required(f"{path}.name")] if not name else dns1123_label(f"{path}.name", name)
    if not ctr.get("image"):
        errs.append(required(f"{path}.image"))
    policy = ctr.get("terminationMessagePolicy")
    if not policy:
        errs.append(required(f"{path}.terminationMessagePolicy", "must be 'File' or 'FallbackToLogsOnError'"))
    elif policy not in ("File", "FallbackToLogsOnError"):
        errs.append(not_supported(f"{path}.terminationMessagePolicy", policy, ("File", "FallbackToLogsOnError")))
    errs += validate_container_ports(as_list(ctr.get("ports")), f"{path}.ports")
    errs += _validate_env(as_list(ctr.get("env")), f"{path}.env")
    errs += _enum(f"{path}.imagePullPolicy", ctr.get("imagePullPolicy"), PULL_POLICIES)
    errs += validate_resources(as_dict(ctr.get("resources")), f"{path}.resources")
    return errs


def validate_container_ports(ports: list, path: str) -> list[dict]:
    errs: list[dict] = []
    seen: set[str] = set()
    for i, raw in enumerate(ports):
        port, at = as_dict(raw), f"{path}[{i}]"
        name = port.get("name") or ""
        if name:
            msgs = names.is_valid_port_name(name)
            if msgs:
                errs += [invalid(f"{at}.name", name, m) for m in msgs]
            elif name in seen:
                errs.append(duplicate(f"{at}.name", name))
            else:
                seen.add(name)
        number = port.get("containerPort") or 0
        if number == 0:
            errs.append(required(f"{at}.containerPort"))
        else:
            errs += [invalid(f"{at}.containerPort", number, m) for m in names.is_valid_port_num(number)]
        if port.get("hostPort"):
            errs += [invalid(f"{at}.hostPort", port["hostPort"], m) for m in names.is_valid_port_num(port["hostPort"])]
        protocol = port.get("protocol") or ""
        if not protocol:
            errs.append(required(f"{at}.protocol"))
        elif protocol not in PROTOCOLS:
            errs.append(not_supported(f"{at}.protocol", protocol, PROTOCOLS))
    return errs


def _validate_env(env: list, path: str) -> list[dict]:
    errs: list[dict] = []
    for i, raw in enumerate(env):
        var = as_dict(raw)
        if not var.get("name"):
            errs.append(required(f"{path}[{i}].name"))
    return errs


def _standard_container_resource(name: str) -> bool:
    return name in ("cpu", "memory", "ephemeral-storage") or name.startswith("hugepages-")


def _resource_name(name: str, path: str) -> list[dict]:
    if "/" not in name:
        if not _standard_container_resource(name):
            return [invalid(path, name, "must be a standard resource for containers")]
        return []
    return [invalid(path, name, m) for m in names.is_qualified_name(name)]


def validate_resources(resources: dict, path: str) -> list[dict]:
    limits, requests = as_dict(resources.get("limits")), as_dict(resources.get("requests"))
    errs: list[dict] = []
    for name, value in limits.items():
        errs += _resource_name(name, f"{path}.limits[{name}]")
        errs += _nonnegative_quantity(f"{path}.limits[{name}]", value)
    for name, value in requests.items():
        errs += _resource_name(name, f"{path}.requests[{name}]")
        errs += _nonnegative_quantity(f"{path}.requests[{name}]", value)
        if name not in limits:
            if name.startswith("hugepages-"):
                errs.append(required(f"{path}.limits", "Limit must be set for non overcommitable resources"))
            continue
        request, limit = parse_quantity(value), parse_quantity(limits[name])
        if request is None or limit is None:
            continue
        if name.startswith("hugepages-") and request != limit:
            errs.append(invalid(f"{path}.requests", str(value), f"must be equal to {name} limit of {limits[name]}"))
        elif request > limit:
            errs.append(
                invalid(f"{path}.requests", str(value), f"must be less than or equal to {name} limit of {limits[name]}")
            )
    return errs


def _nonnegative_quantity(path: str, value: object) -> list[dict]:
    parsed = parse_quantity(value)
    if parsed is not None and parsed < 0:
        return [invalid(path, str(value), "must be greater than or equal to 0")]
    return []


def validate_tolerations(tolerations: list, path: str) -> list[dict]:
    errs: list[dict] = []
    for i, raw in enumerate(tolerations):
        tol, at = as_dict(raw), f"{path}[{i}]"
        key, operator, effect = tol.get("key") or "", tol.get("operator") or "", tol.get("effect") or ""
        if key:
            errs += [invalid(f"{at}.key", key, m) for m in names.is_qualified_name(key)]
        if not key and operator != "Exists":
            errs.append(
                invalid(
                    f"{at}.operator",
                    operator,
                    'operator must be Exists when `key` is empty, which means "match all values and all keys"',
                )
            )
        if tol.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(invalid(f"{at}.effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if operator in ("Equal", ""):
            msgs = names.is_valid_label_value(str(tol.get("value") or ""))
            if msgs:
                errs.append(invalid(f"{at}.operator", tol.get("value") or "", ";".join(msgs)))
        elif operator != "Exists":
            errs.append(not_supported(f"{at}.operator", operator, ("Equal", "Exists")))
        if effect and effect not in TAINT_EFFECTS:
            errs.append(not_supported(f"{at}.effect", effect, TAINT_EFFECTS))
    return errs
