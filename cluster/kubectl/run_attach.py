"""`kubectl run -i` (`-it`, `--attach`, `--rm`) in the page's terminal, which has no terminal of its own.

kubectl creates the pod with `stdin`, `stdinOnce` (and `tty` with -t), waits for it to run, attaches and
sends what it reads on stdin. The page has nothing to type into a running process, so this is what
kubectl does when its stdin is not a terminal and is empty (`< /dev/null`): under -t it says "Unable to
use a TTY", a shell reading its stdin meets the end of it and exits 0, and a command's output is shown
as it comes. With --restart=Never or OnFailure kubectl waits for the pod to finish and exits with the
container's status ("pod default/x terminated (Error)"); with --rm it then deletes the pod.
"""

from __future__ import annotations

import time
from typing import Callable

from cluster.apiserver.errors import StatusError
from cluster.apiserver.streams import terminal
from cluster.container import stdin as container_stdin
from cluster.kubectl.cli import Context
from cluster.kubectl.flags import UsageError
from cluster.kubectl.get_flags import parse_duration
from cluster.kubelet_logs import LogOptions, follow_chunks

NO_TTY = "Unable to use a TTY - input is not a terminal or the right kind of file\n"
NO_PROMPT = "If you don't see a command prompt, try pressing enter.\n"
POLL_SECONDS = 0.2


def attach(ctx: Context, pod: dict, tty: bool, remove: bool, running_timeout: str) -> int:
    """Wait for the pod, show what its container prints, wait for its end when its policy lets it end,
    and delete it under --rm; the container's exit status."""
    name = pod["metadata"]["name"]
    if tty:
        ctx.stderr.write(NO_TTY)
    try:
        current = _wait(ctx, name, ("Running", "Succeeded", "Failed"), parse_duration(running_timeout) or 60)
        if tty:
            ctx.stderr.write(NO_PROMPT)
        _end_input(ctx, current)
        for chunk in follow_chunks(
            ctx.api,
            ctx.namespace,
            name,
            LogOptions(container=name, follow=True),
            ctx.stop.is_set,
            time.monotonic() + 600,
            raw=True,
        ):
            ctx.stdout.write(chunk)
        code = 0
        if pod["spec"].get("restartPolicy") in ("Never", "OnFailure"):
            wanted = ("Succeeded",) if pod["spec"]["restartPolicy"] == "OnFailure" else ("Succeeded", "Failed")
            code = _exit_code(ctx, _wait(ctx, name, wanted, 600))
    finally:
        if remove:
            _delete(ctx, name)
    return code


def _wait(ctx: Context, name: str, phases: tuple[str, ...], seconds: float) -> dict:
    return wait_for(ctx, name, lambda pod: (pod.get("status") or {}).get("phase") in phases, seconds)


def wait_for(ctx: Context, name: str, done: Callable[[dict], bool], seconds: float) -> dict:
    """The pod once `done` says so, polled as kubectl's watch would see it; a timeout, or the learner's stop,
    is kubectl's "timed out waiting for the condition"."""
    deadline = time.monotonic() + seconds
    while True:
        pod = ctx.api.get("pods", ctx.namespace, name)
        if done(pod):
            return pod
        if time.monotonic() >= deadline or ctx.stop.is_set():
            raise UsageError("timed out waiting for the condition")
        ctx.stop.wait(POLL_SECONDS)


def _end_input(ctx: Context, pod: dict) -> None:
    """The empty stdin ends at once: a shell waiting on it exits 0 (cluster/container/stdin.py)."""
    spec = pod["spec"]["containers"][0]
    if terminal.container_shell(spec) is not None:
        container_stdin.end_input(ctx.api, pod, spec["name"], 0)


def _exit_code(ctx: Context, pod: dict) -> int:
    state = ((pod.get("status") or {}).get("containerStatuses") or [{}])[0].get("state") or {}
    done = state.get("terminated") or {}
    code = int(done.get("exitCode", 0))
    if code:
        message = f"\n{done['message']}" if done.get("message") else ""
        ctx.stderr.write(
            f"pod {ctx.namespace}/{pod['metadata']['name']} terminated ({done.get('reason', 'Error')}){message}\n"
        )
    return code


def _delete(ctx: Context, name: str) -> None:
    try:
        ctx.api.delete("pods", ctx.namespace, name)
    except StatusError:
        return
    ctx.stdout.write(f'pod "{name}" deleted\n')
