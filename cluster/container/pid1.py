"""What a container's PID 1 does with a signal: the kubelet's stop (SIGTERM, or the image's STOPSIGNAL) and
`kill` from an exec (cluster/container/signals.py).

The kernel delivers a signal to a PID namespace's init only if that process installed a handler for it. Servers
(nginx, redis, agnhost, …) handle SIGTERM and SIGINT and exit with status 0, nginx also SIGQUIT (its graceful
stop); a shell or `sleep` as PID 1 has none, so the signal is dropped, unless a `trap` names it; then the
process ends with the status the trap's `exit` gives. Simplified: other signals are ignored.
"""

from __future__ import annotations

from cluster.container import programs


def signal_handled(state: dict, name: str) -> tuple[bool, int]:
    """Signal `name` (TERM, INT, QUIT, …, without SIG) to the process whose state is `state`: (whether it ends,
    its exit status)."""
    if state.get("exit") is not None:
        return True, state["exit"]["code"]
    trap = (state.get("traps") or {}).get(name)
    if trap is not None:
        return True, _trap_code(str(trap))
    if name in ("TERM", "INT"):
        return programs.handles_sigterm(state.get("pid1", ""))
    return name == "QUIT" and state.get("pid1", "") == "nginx", 0


def signal_term(state: dict) -> tuple[bool, int]:
    """SIGTERM, as the kubelet stops a container: a shell or sleep runs on until the grace period's SIGKILL."""
    return signal_handled(state, "TERM")


def _trap_code(action: str) -> int:
    """The status a trap's action exits with: `exit N`, else 0."""
    words = action.replace(";", " ").split()
    if "exit" in words and words.index("exit") + 1 < len(words) and words[words.index("exit") + 1].isdigit():
        return int(words[words.index("exit") + 1])
    return 0
