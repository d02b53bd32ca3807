"""Container lifecycle hooks (pkg/kubelet/lifecycle/handlers.go, kuberuntime_container.go), simulated.

postStart runs right after StartContainer. If it fails, the kubelet records a Warning
`FailedPostStartHook` "PostStartHook failed" (upstream keeps the handler's message out
of the event so that secrets do not leak), kills the container with the Killing
message "FailedPostStartHook", and the container waits as `PostStartHookError` until
it is restarted by the restart policy (then CrashLoopBackOff, as for any exit).

preStop runs when a container is killed (pod deletion, a failed liveness probe, an
eviction, a failed postStart), before the stop signal, if the grace period is above 0.
It may use up the grace period; what is left, at least 2 s (minimumGracePeriodInSeconds),
is the stop signal's. A failure is a Warning `FailedPreStopHook` carrying the handler's
message; the container is stopped all the same.

Handlers, as handlerRunner.Run has them:
- exec: the command runs in the container (its filesystem, its environment) on the
  virtual clock; a non-zero status fails with `command '…' exited with N: <stderr>`;
- httpGet: a GET to a process of the pod listening on the port; only a failure to
  connect fails it (the answer's status code does not matter, as upstream);
- sleep: waits `seconds`.

Simplified: a postStart hook is run as of the container's start moment and the
kubelet does not block on it (a hook still running after HOOK_HORIZON seconds counts
as done); tcpSocket handlers (deprecated, never run upstream) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cluster.apiserver.errors import go_quote
from cluster.container import commands, shell
from cluster.container.context import Names, make_host
from cluster.registry import image_config

if TYPE_CHECKING:
    from cluster.kubelet_pods import PodSync

HOOK_HORIZON = 300.0  # seconds a postStart hook is followed on the virtual clock
MINIMUM_GRACE = 2  # minimumGracePeriodInSeconds


@dataclass(frozen=True)
class HookOutcome:
    """How a handler ended: ok or not, the kubelet's message when not, and the seconds it took."""

    ok: bool
    message: str = ""
    seconds: float = 0.0


def handler_of(container: dict, hook: str) -> dict | None:
    """The container's postStart or preStop handler, if it has one."""
    handler = (container.get("lifecycle") or {}).get(hook)
    return handler if isinstance(handler, dict) and handler else None


def pod_full_name(pod: dict) -> str:
    """format.Pod: name_namespace(uid)."""
    meta = pod["metadata"]
    return f"{meta['name']}_{meta.get('namespace', 'default')}({meta.get('uid', '')})"


def run_handler(sync: PodSync, container: dict, record: dict, handler: dict, at: float, limit: float) -> HookOutcome:
    """handlerRunner.Run: the handler, started at `at`, followed for at most `limit` seconds."""
    if handler.get("exec") is not None:
        return _run_exec(sync, container, record, handler["exec"].get("command") or [], at, limit)
    if handler.get("httpGet") is not None:
        return _run_http(sync, container, handler["httpGet"], at)
    if handler.get("sleep") is not None:
        seconds = float(handler["sleep"].get("seconds") or 0)
        return HookOutcome(True, seconds=min(seconds, limit))
    return HookOutcome(True)


def _run_exec(sync: PodSync, container: dict, record: dict, command: list, at: float, limit: float) -> HookOutcome:
    argv = [str(word) for word in command]
    name = container["name"]
    host = make_host(
        sync.api,
        sync.pod,
        container,
        Names(sync.uid, name, record["attempt"]),
        sync.node,
        ip=(sync.runtime.sandbox(sync.uid) or {}).get("ip", ""),
    )
    env = dict((record.get("proc") or {}).get("vars") or {}) or dict(image_config(container["image"]).env)
    prefix = (
        f"Exec lifecycle hook ([{' '.join(argv)}]) for Container {go_quote(name)} in Pod "
        f"{go_quote(pod_full_name(sync.pod))} failed - error: "
    )
    if not argv or commands.missing_executable(shell.Shell(shell.new_state(argv or ["sh"], env, at), host), argv[0]):
        error = (
            f"rpc error: code = Unknown desc = failed to exec in container: failed to start exec "
            f'"{record["id"]}": OCI runtime exec failed: exec failed: unable to start container process: '
            f'exec: "{argv[0] if argv else ""}": executable file not found in $PATH: unknown'
        )
        return HookOutcome(False, f'{prefix}{error}, message: ""')
    state = shell.new_state(argv, env, at, image_config(container["image"]).workdir, pid1="exec")
    host.out = []
    shell.advance(state, host, at + limit)
    host.fs.save()
    ended = state.get("exit")
    if ended is None:
        return HookOutcome(True, seconds=limit)
    stdout = "".join(text for _, stream, text in host.out if stream == "stdout")
    stderr = "".join(text for _, stream, text in host.out if stream != "stdout")
    code, seconds = int(ended["code"]), max(0.0, float(ended["at"]) - at)
    if code == 0:
        return HookOutcome(True, seconds=seconds)
    error = f"command '{' '.join(argv)}' exited with {code}: {stderr}"
    return HookOutcome(False, f"{prefix}{error}, message: {go_quote(stdout + stderr)}", seconds)


def _run_http(sync: PodSync, container: dict, get: dict, at: float) -> HookOutcome:
    from cluster.kubelet_checks import Checker, resolve_port

    ip = get.get("host") or (sync.runtime.sandbox(sync.uid) or {}).get("ip", "")
    port = resolve_port(container, get.get("port"))
    path = get.get("path") or ""
    checker = getattr(sync, "checker", None) or Checker(sync)
    if checker.listener(port) is not None:
        return HookOutcome(True)
    url = f"{(get.get('scheme') or 'HTTP').lower()}://{ip}:{port}{path if path.startswith('/') else '/' + path}"
    return HookOutcome(
        False,
        f"HTTP lifecycle hook ({path}) for Container {go_quote(container['name'])} in Pod "
        f"{go_quote(pod_full_name(sync.pod))} failed - error: Get {go_quote(url)}: dial tcp "
        f"{ip}:{port}: connect: connection refused",
    )


def remaining_grace(grace: int, hook_seconds: float) -> int:
    """killContainer: the grace period left for the stop signal after the preStop hook."""
    return max(grace - int(hook_seconds), MINIMUM_GRACE)
