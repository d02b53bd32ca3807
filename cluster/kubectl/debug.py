"""`kubectl debug POD --image=I`: an ephemeral container added to a running Pod (pkg/cmd/debug).

kubectl builds the container — named `debugger-` and five random letters unless `-c` names it, the image,
the words after `--` as its command (`--arguments-only`: its args), `--env`, stdin and tty under `-i`/`-t`,
`targetContainerName` from `--target`, the security context of `--profile` — and patches it into the Pod
through the `pods/ephemeralcontainers` subresource; the kubelet starts it. Without `--profile` the legacy
profile is used, with kubectl's warning that it is deprecated. With `-i` or `--attach` kubectl waits for the
container to run and attaches, as `kubectl run -i` does in this terminal (run_attach.py): the page has
nothing to type with, so a shell meets the end of its input and exits.

`--copy-to=NAME` debugs a copy of the Pod instead (debug_copy.py), which kubectl creates, deleting the original
under `--replace`; with `-i` it attaches to the copy's debug container.

`node/NAME` runs a Pod on the node in its host namespaces instead (debug_node.py).

Simplified: no `--custom` profile file.
"""

from __future__ import annotations

import time
from typing import Callable

from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.streams import terminal
from cluster.container import stdin as container_stdin
from cluster.kubectl import debug_copy, debug_node, imageref
from cluster.kubectl.cli import Context, verb
from cluster.kubectl.cmdutil import check_err, parse_flags
from cluster.kubectl.targets import resource_type
from cluster.kubectl.flags import Flag, Parsed, UsageError
from cluster.kubectl.get_flags import parse_duration
from cluster.kubectl.run_attach import NO_PROMPT, NO_TTY, wait_for
from cluster.kubelet_logs import LogOptions, follow_chunks

DEBUG_FLAGS = [
    Flag("image", "string", ""),
    Flag("container", "string", "", "c"),
    Flag("target", "string", ""),
    Flag("stdin", "bool", False, "i"),
    Flag("tty", "bool", False, "t"),
    Flag("attach", "bool", False),
    Flag("quiet", "bool", False, "q"),
    Flag("image-pull-policy", "string", ""),
    Flag("env", "list"),
    Flag("profile", "string", "legacy"),
    Flag("arguments-only", "bool", False),
    Flag("request-timeout", "string", "0"),  # the page bounds a streamed command with it
    Flag("copy-to", "string", ""),
    Flag("replace", "bool", False),
    Flag("same-node", "bool", False),
    Flag("set-image", "list"),
    Flag("share-processes", "bool", True),
    *(Flag(f"keep-{name}", "bool", name == "init-containers") for name in debug_copy.KEEP_FLAGS),
]
POD_WORDS = ("pod", "pods", "po")
NODE_WORDS = ("node", "nodes", "no")
LEGACY_WARNING = (
    "--profile=legacy is deprecated and will be removed in the future. It is recommended to explicitly specify a "
    'profile, for example "--profile=general".\n'
)
# What each profile sets on an ephemeral container (pkg/cmd/debug/profiles.go).
PROFILES: dict[str, dict | None] = {
    "legacy": None,
    "general": {"capabilities": {"add": ["SYS_PTRACE"]}},
    "baseline": None,
    "restricted": {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "netadmin": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
    "sysadmin": {"privileged": True},
}


@verb("debug")
def debug(ctx: Context, args: list[str]) -> int:
    parsed = parse_flags(ctx, args, DEBUG_FLAGS, "debug")
    if parsed is None:
        return 1
    try:
        debug_copy.set_images(parsed)  # pflag reads --set-image's pairs as it parses the flags
    except UsageError as err:
        ctx.stderr.write(f"Error: {err}\nSee 'kubectl debug --help' for usage.\n")
        return 1
    try:
        names, words = _split(parsed)
        _check(ctx, parsed, names, words)
        if parsed.text("profile") == "legacy":
            ctx.stderr.write(LEGACY_WARNING)
        for name in names:
            code = _debug_pod(ctx, parsed, name, words)
            if code:
                return code
        return 0
    except UsageError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1


def _split(parsed: Parsed) -> tuple[list[str], list[str]]:
    if parsed.dash_at >= 0:
        return parsed.positional[: parsed.dash_at], parsed.positional[parsed.dash_at :]
    return parsed.positional, []


def _check(ctx: Context, parsed: Parsed, names: list[str], words: list[str]) -> None:
    """DebugOptions.Complete and Validate, in kubectl's order."""
    if parsed.text("profile") not in PROFILES:
        raise UsageError(f"unknown profile: {parsed.text('profile')}")
    image, copy_to, container = parsed.text("image"), parsed.text("copy-to"), parsed.text("container")
    if parsed["attach"] and "attach" in parsed.given and not image and not container:
        raise UsageError("you must specify --container or create a new container using --image in order to attach.")
    images = debug_copy.set_images(parsed)
    if copy_to:
        if not image and not images and not words:
            raise UsageError("you must specify --image, --set-image or command arguments.")
        if words and not container and not image:
            raise UsageError("you must specify an existing container or a new image when specifying args.")
    else:
        for flag in ("replace", "same-node"):
            if parsed[flag]:
                raise UsageError(f"--{flag} may only be used with --copy-to.")
        if images:
            raise UsageError("--set-image may only be used with --copy-to.")
        if not image:
            raise UsageError("you must specify --image when not using --copy-to.")
    if image and not imageref.valid(image):
        raise UsageError(f'invalid image name "{image}": {imageref.INVALID}')
    if not names:
        raise UsageError("NAME or filename is required for debug")
    policy = parsed.text("image-pull-policy")
    if policy and policy not in ("Always", "IfNotPresent", "Never"):
        raise UsageError(f"invalid image pull policy: {policy}")
    for name, each in images.items():
        if not imageref.valid(each):
            raise UsageError(f'invalid image name "{each}" for container "{name}": {imageref.INVALID}')
    if parsed.text("target"):
        if copy_to:
            raise UsageError("--target is incompatible with --copy-to. Use --share-processes instead.")
        if not parsed["quiet"]:
            ctx.stdout.write(
                f'Targeting container "{parsed.text("target")}". If you don\'t see processes from this '
                "container it may be because the container runtime doesn't support this feature.\n"
            )
    if parsed["tty"] and not parsed["stdin"]:
        raise UsageError("-i/--stdin is required for containers with -t/--tty=true")


def _debug_pod(ctx: Context, parsed: Parsed, target: str, words: list[str]) -> int:
    kind, _, name = target.rpartition("/")
    if kind in NODE_WORDS:
        return _debug_node(ctx, parsed, name, words)
    if kind not in ("", *POD_WORDS):
        return _unsupported(ctx, resource_type(kind), name)
    if parsed.text("copy-to"):
        return _debug_copy(ctx, parsed, name, words)
    try:
        pod = ctx.api.get("pods", ctx.namespace, name)
        container = _container(ctx, parsed, pod, words)
        # CreateTwoWayMergePatch of the Pod and the Pod with the new container: the list's order is kept
        existing = [c.get("name") for c in (pod.get("spec") or {}).get("ephemeralContainers") or []]
        order = [{"name": n} for n in [*existing, container["name"]]]
        patch = {"spec": {"$setElementOrder/ephemeralContainers": order, "ephemeralContainers": [container]}}
        ctx.api.patch(
            "pods",
            ctx.namespace,
            name,
            patch,
            "application/strategic-merge-patch+json",
            subresource="ephemeralcontainers",
        )
    except StatusError as err:
        return check_err(ctx, [err])
    if parsed["attach"] or parsed["stdin"]:
        return _attach(ctx, parsed, name, container)
    return 0


def _unsupported(ctx: Context, rt: ResourceType, name: str) -> int:
    """Any other kind: the builder fetches it, and the visitor refuses it."""
    try:
        ctx.api.get(rt, ctx.namespace if rt.namespaced else None, name)
    except StatusError as err:
        return check_err(ctx, [err])
    group_version = f"{rt.group}/{rt.version}"  # schema.GroupVersionKind's String(): "/v1" for the core group
    ctx.stderr.write(f'error: "{group_version}, Kind={rt.kind}" not supported by debug\n')
    return 1


def _debug_node(ctx: Context, parsed: Parsed, name: str, words: list[str]) -> int:
    """visitNode: a Pod on the node in its host namespaces (--copy-to does not apply), then attach if asked."""
    try:
        node = ctx.api.get("nodes", None, name)
        env = [_env_var(item) for item in parsed.many("env")]
        created = ctx.api.create("pods", ctx.namespace, debug_node.node_debug_pod(ctx, parsed, node, words, env))
    except StatusError as err:
        return check_err(ctx, [err])
    if parsed["attach"] or parsed["stdin"]:
        return _attach(ctx, parsed, created["metadata"]["name"], created["spec"]["containers"][0])
    return 0


def _debug_copy(ctx: Context, parsed: Parsed, name: str, words: list[str]) -> int:
    """debugByCopy: create the copy (and delete the original under --replace), then attach if asked."""
    try:
        pod = ctx.api.get("pods", ctx.namespace, name)
        env = [_env_var(item) for item in parsed.many("env")]
        copied, container = debug_copy.pod_copy(ctx, parsed, pod, words, env)
        created = ctx.api.create("pods", copied["metadata"]["namespace"], copied)
        if parsed["replace"]:
            ctx.api.delete("pods", ctx.namespace, name, grace_period_seconds=0)
    except StatusError as err:
        return check_err(ctx, [err])
    if (parsed["attach"] or parsed["stdin"]) and container:
        spec = next(c for c in created["spec"]["containers"] if c["name"] == container)
        return _attach(ctx, parsed, created["metadata"]["name"], spec)
    return 0


def _container(ctx: Context, parsed: Parsed, pod: dict, words: list[str]) -> dict:
    """generateDebugContainer: the ephemeral container kubectl sends, its notice written as kubectl writes it."""
    name = parsed.text("container")
    if not name:
        taken = len((pod.get("spec") or {}).get("ephemeralContainers") or [])
        name = "debugger-" + ctx.api.random_suffix("debug", pod["metadata"]["uid"], taken)
        if not parsed["quiet"]:
            ctx.stdout.write(f"Defaulting debug container name to {name}.\n")
    container = debug_node.debug_container(parsed, name, words, [_env_var(item) for item in parsed.many("env")])
    if parsed.text("target"):
        container["targetContainerName"] = parsed.text("target")
    security = PROFILES[parsed.text("profile")]
    if security is not None:
        container["securityContext"] = security
    return container


def _env_var(item: str) -> dict:
    key, sep, value = item.partition("=")
    if not sep:
        raise UsageError(f"invalid env: {item}")
    return {"name": key, "value": value}


def _attach(ctx: Context, parsed: Parsed, pod_name: str, container: dict) -> int:
    """handleAttachPod with an empty stdin that is no terminal: wait for the container, end its input, show its
    output until it ends."""
    name = container["name"]
    pod = wait_for(ctx, pod_name, _running(name), parse_duration("1m0s") or 60)
    # A container that has already ended is not attached to: kubectl falls back to its logs, without the notices.
    attached = "terminated" not in _state(pod, name)
    if parsed["tty"] and attached:
        ctx.stderr.write(NO_TTY)
    if parsed["stdin"] and attached:
        ctx.stderr.write(NO_PROMPT)
        if terminal.container_shell(container) is not None:
            container_stdin.end_input(ctx.api, pod, name, 0)
    opts = LogOptions(container=name, follow=True)
    for chunk in follow_chunks(ctx.api, ctx.namespace, pod_name, opts, ctx.stop.is_set, time.monotonic() + 600, True):
        ctx.stdout.write(chunk)
    return 0


def _running(container: str) -> Callable[[dict], bool]:
    """Whether the debug container has started (running, or already ended)."""

    def started(pod: dict) -> bool:
        state = _state(pod, container)
        return bool(state.get("running") or state.get("terminated"))

    return started


def _state(pod: dict, container: str) -> dict:
    """getContainerStatusByName: the container's state, looked for among the init, the regular and the ephemeral
    containers' statuses."""
    status = pod.get("status") or {}
    statuses = [s for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses")
                for s in status.get(key) or []]  # fmt: skip
    return next((s.get("state") or {} for s in statuses if s.get("name") == container), {})
