"""Ephemeral containers (pkg/apis/core/validation: validateEphemeralContainers, ValidatePodEphemeralContainersUpdate).

An ephemeral container is a debugging container added to a running Pod through the
`pods/ephemeralcontainers` subresource (what `kubectl debug` patches); a Pod may not be
created with one. It is validated as any container, and besides: its name is unique
among all the Pod's containers, its targetContainerName names one of the Pod's other
containers, and the fields a Pod relies on for its service (ports, probes, lifecycle,
resources) may not be set on it. Once added it can be neither changed nor removed.

Simplified: the refusal of a changed ephemeral container does not carry upstream's
go-cmp diff of the two versions.
"""

from __future__ import annotations

from cluster.apiserver.validation.fields import as_dict, as_list, duplicate, forbidden, not_found

FORBIDDEN = "cannot be set for an Ephemeral Container"
# EphemeralContainerCommon's fields in the Go struct's order, and whether an ephemeral container may set them
# (allowedEphemeralContainerFields); a field not listed is refused.
ALLOWED_FIELDS = {
    "name": True,
    "image": True,
    "command": True,
    "args": True,
    "workingDir": True,
    "ports": False,
    "envFrom": True,
    "env": True,
    "resources": False,
    "resizePolicy": False,
    "restartPolicy": False,
    "volumeMounts": True,
    "volumeDevices": True,
    "livenessProbe": False,
    "readinessProbe": False,
    "startupProbe": False,
    "lifecycle": False,
    "terminationMessagePath": True,
    "terminationMessagePolicy": True,
    "imagePullPolicy": True,
    "securityContext": True,
    "stdin": True,
    "stdinOnce": True,
    "tty": True,
}


def validate_ephemeral_containers(spec: dict, path: str) -> list[dict]:
    """The spec's ephemeral containers, each on its own and against the Pod's other containers."""
    from cluster.apiserver.validation.pod import container_common

    others = {as_dict(c).get("name") for key in ("containers", "initContainers") for c in as_list(spec.get(key))}
    seen = set(others)
    errs: list[dict] = []
    for i, raw in enumerate(as_list(spec.get("ephemeralContainers"))):
        ctr, at = as_dict(raw), f"{path}[{i}]"
        errs += container_common(ctr, at)
        name = ctr.get("name")
        if name in seen:
            errs.append(duplicate(f"{at}.name", name))
        else:
            seen.add(name)
        target = ctr.get("targetContainerName")
        if target and target not in others:
            errs.append(not_found(f"{at}.targetContainerName", target))
        refused = [key for key, allowed in ALLOWED_FIELDS.items() if not allowed and ctr.get(key)]
        errs += [forbidden(f"{at}.{key}", FORBIDDEN) for key in refused]
        for j, mount in enumerate(as_list(ctr.get("volumeMounts"))):
            errs += [
                forbidden(f"{at}.volumeMounts[{j}].{key}", FORBIDDEN)
                for key in ("subPath", "subPathExpr")
                if as_dict(mount).get(key)
            ]
    return errs


def validate_update(new: dict, old: dict) -> list[dict]:
    """ValidatePodEphemeralContainersUpdate's own rule: existing ephemeral containers stay as they are."""
    annotations = as_dict(as_dict(old.get("metadata")).get("annotations"))
    if "kubernetes.io/config.mirror" in annotations:
        return [forbidden("", "static pods do not support ephemeral containers")]
    path = "spec.ephemeralContainers"
    incoming = {as_dict(c).get("name"): c for c in as_list(as_dict(new.get("spec")).get("ephemeralContainers"))}
    errs: list[dict] = []
    for existing in as_list(as_dict(old.get("spec")).get("ephemeralContainers")):
        name = as_dict(existing).get("name")
        if name not in incoming:
            errs.append(forbidden(path, f'existing ephemeral containers "{name}" may not be removed\n'))
        elif incoming[name] != existing:
            errs.append(forbidden(path, f'existing ephemeral containers "{name}" may not be changed\n'))
    return errs
