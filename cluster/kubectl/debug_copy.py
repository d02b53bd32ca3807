"""`kubectl debug POD --copy-to=NAME`: a copy of the Pod to debug in (generatePodCopyWithDebugContainer).

The copy has the Pod's spec without its ephemeral containers and, unless `--same-node`, without its node (the
scheduler places it anew); its labels and annotations come along. `--set-image` changes the images of named
containers (`*` for all). Then either an existing container (`-c NAME`) gets the command after `--`, `--env`,
`--image` and stdin/tty, or a new container is added (named `debugger-` and five letters unless `-c` names it;
it needs `--image`). The profile then trims the copy (pkg/cmd/debug/profiles.go): legacy drops the labels only;
the others drop labels, annotations, probes and init containers unless `--keep-…` says otherwise, share the
process namespace and set the debug container's security context as for an ephemeral one. A `--set-image`-only
copy skips the profile. `--share-processes` given explicitly sets shareProcessNamespace; `--replace` deletes
the original Pod once the copy exists.

Simplified: no `--custom` profile file.
"""

from __future__ import annotations

import copy

from cluster.kubectl.cli import Context
from cluster.kubectl.flags import Parsed, UsageError

KEEP_FLAGS = ("labels", "annotations", "liveness", "readiness", "startup", "init-containers")


def set_images(parsed: Parsed) -> dict[str, str]:
    """--set-image name=image[,name=image]… (pflag's stringToString), repeatable."""
    images: dict[str, str] = {}
    for value in parsed.many("set-image"):
        for pair in value.split(","):
            name, sep, image = pair.partition("=")
            if not sep:
                problem = f"{pair} must be formatted as key=value"
                raise UsageError(f'invalid argument "{value}" for "--set-image" flag: {problem}')
            images[name] = image
    return images


def pod_copy(ctx: Context, parsed: Parsed, pod: dict, words: list[str], env: list[dict]) -> tuple[dict, str]:
    """The copy kubectl creates, and the name of the container to attach to ("" for a --set-image-only copy)."""
    meta = pod["metadata"]
    copied: dict = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": parsed.text("copy-to"), "namespace": meta.get("namespace", ctx.namespace)},
        "spec": copy.deepcopy(pod.get("spec") or {}),
    }
    for key in ("labels", "annotations"):
        if meta.get(key):
            copied["metadata"][key] = dict(meta[key])
    spec = copied["spec"]
    spec.pop("ephemeralContainers", None)
    if "share-processes" in parsed.given:
        spec["shareProcessNamespace"] = bool(parsed["share-processes"])
    if not parsed["same-node"]:
        spec.pop("nodeName", None)
    images = set_images(parsed)
    for container in spec.get("containers") or []:
        override = images.get(container["name"], images.get("*", ""))
        if override:
            container["image"] = override
    name = parsed.text("container")
    existing = [c for key in ("containers", "initContainers") for c in spec.get(key) or []]
    target = next((c for c in existing if c["name"] == name), None)
    if target is None:
        if not parsed.text("image"):
            if images:
                return copied, ""  # a --set-image-only copy
            raise UsageError("you must specify image when creating new container")
        name = name or _debug_container_name(ctx, parsed, spec, pod)
        target = {"name": name, "terminationMessagePolicy": "File"}
        spec.setdefault("containers", []).append(target)
    _configure(parsed, target, words, env)
    _apply_profile(parsed, copied, target)
    return copied, name


def _debug_container_name(ctx: Context, parsed: Parsed, spec: dict, pod: dict) -> str:
    taken = {c["name"] for key in ("containers", "initContainers") for c in spec.get(key) or []}
    attempt, name = 0, ""
    while not name or name in taken:
        name = "debugger-" + ctx.api.random_suffix("debug-copy", pod["metadata"]["uid"], attempt)
        attempt += 1
    if not parsed["quiet"]:
        ctx.stdout.write(f"Defaulting debug container name to {name}.\n")
    return name


def _configure(parsed: Parsed, container: dict, words: list[str], env: list[dict]) -> None:
    if words:
        if parsed["arguments-only"]:
            container["args"] = words
        else:
            container["command"] = words
            container.pop("args", None)
    if env:
        container["env"] = env
    if parsed.text("image"):
        container["image"] = parsed.text("image")
    if parsed.text("image-pull-policy"):
        container["imagePullPolicy"] = parsed.text("image-pull-policy")
    for field, flag in (("stdin", "stdin"), ("tty", "tty")):
        if parsed[flag]:
            container[field] = True
        else:
            container.pop(field, None)


def _apply_profile(parsed: Parsed, pod: dict, container: dict) -> None:
    """The profile's podCopy changes (profiles.go)."""
    profile = parsed.text("profile")
    meta, spec = pod["metadata"], pod["spec"]
    if profile == "legacy":
        meta.pop("labels", None)
        return
    keep = {flag: bool(parsed[f"keep-{flag}"]) for flag in KEEP_FLAGS}
    for key in ("labels", "annotations"):
        if not keep[key]:
            meta.pop(key, None)
    for each in spec.get("containers") or []:
        for flag in ("liveness", "readiness", "startup"):
            if not keep[flag]:
                each.pop(f"{flag}Probe", None)
    if not keep["init-containers"]:
        spec.pop("initContainers", None)
    _security(profile, container)
    spec.setdefault("shareProcessNamespace", True)


def _security(profile: str, container: dict) -> None:
    """What each profile does to the debug container's securityContext."""
    if profile in ("baseline", "restricted"):
        container.pop("securityContext", None)
    context = container.setdefault("securityContext", {})
    capabilities = context.setdefault("capabilities", {})
    if profile == "general":
        capabilities["add"] = [*capabilities.get("add", []), "SYS_PTRACE"]
    elif profile == "netadmin":
        capabilities["add"] = [*capabilities.get("add", []), "NET_ADMIN", "NET_RAW"]
    elif profile == "restricted":
        context["runAsNonRoot"] = True
        capabilities["drop"], capabilities["add"] = ["ALL"], None
        context["allowPrivilegeEscalation"] = False
        context["seccompProfile"] = {"type": "RuntimeDefault"}
    elif profile == "sysadmin":
        context["privileged"] = True
    if capabilities.get("add") is None:
        capabilities.pop("add", None)
    if not capabilities:
        context.pop("capabilities")
    if not context:
        container.pop("securityContext")
