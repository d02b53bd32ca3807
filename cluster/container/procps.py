"""procps' `ps` in a Debian-based container: `ps`, `ps aux`, `ps -ef`.

Debian's slim images (redis, nginx, python) ship no `ps`; `apt-get install procps` adds it
(cluster/container/packages.py). In `kubectl exec`, the container's PID namespace holds its main
process as PID 1, the exec's shell and `ps` itself; in an ephemeral container with a target, the
target's process is PID 1 and the debug shell comes after it.

Simplified: the CPU and memory columns are fixed small figures (a simulated process uses none), and
only these three forms are known: other options print the plain listing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cluster.container.shell import Res

if TYPE_CHECKING:
    from cluster.container.shell import Shell

ENTRYPOINTS = ("docker-entrypoint.sh", "/docker-entrypoint.sh", "/usr/local/bin/docker-entrypoint.sh")
# What an official image's PID 1 becomes once its entrypoint script has exec'd the server, started as root:
# redis' entrypoint drops to its own user (gosu) and redis names its process after what it listens on; nginx
# names its master and starts one worker per CPU as the user `nginx` (the worker PIDs its stop lines name).
TITLES = {
    "redis-server": ("redis", "Ssl", "redis-server *:6379"),
    "nginx": ("root", "Ss", "nginx: master process nginx -g daemon off;"),
}
NGINX_WORKER_PID = 29
EXEC_PID, PS_PID = 7, 42  # the exec's shell and ps (any number above 1 would do; these are what busybox's ps shows)
SIZES = {"shell": (4188, 3456), "ps": (8104, 4096), "main": (11432, 8192)}  # VSZ, RSS in KiB (illustrative)


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    user: str
    tty: str
    stat: str
    start: float
    command: str
    size: str  # a key of SIZES


def listing(
    sh: Shell,
    argv: list[str],
    main: tuple[str, str],
    own: tuple[str, str] | None,
    host: list[tuple[int, str, str]] | None = None,
) -> Res:
    """`ps [aux | -ef]` for the processes: PID 1 `main` (user, command), the exec's shell `own`, and ps; with
    `host` (pid, user, command), the node's processes instead of the container's (hostPID)."""
    if host is None:
        processes = _processes(sh, argv, main, own)
    else:
        processes = _host_processes(sh, argv, host, own)
    processes.sort(key=lambda p: p.pid)  # ps lists by PID
    options = " ".join(argv[1:])
    if options in ("aux", "-aux", "axu", "-ef", "-e -f", "-aef"):
        return Res(0, _bsd(processes) if "u" in options else _full(processes))
    me = next(p for p in processes if p.size == "ps")  # with no options: its user's processes on its terminal
    mine = [p for p in processes if p.tty == me.tty and p.user == me.user]
    rows = "".join(f"{p.pid:>7} {p.tty:<8} 00:00:00 {_comm(p)}\n" for p in mine)
    return Res(0, "    PID TTY          TIME CMD\n" + rows)


def _processes(sh: Shell, argv: list[str], main: tuple[str, str], own: tuple[str, str] | None) -> list[Process]:
    tty = "pts/0" if sh.state.get("tty") else "?"
    now = float(sh.state.get("t") or 0)
    started = _main_started(sh) or now
    rows = [_main(main, started)]
    if rows[0].command.startswith("nginx: master"):
        workers = int(getattr(sh.host, "cpus", 2))
        rows += [Process(NGINX_WORKER_PID + i, 1, "nginx", "?", "S", started, "nginx: worker process", "main")
                 for i in range(workers)]  # fmt: skip
    if own is not None:
        rows.append(Process(EXEC_PID, 0, own[0], tty, "Ss", now, own[1], "shell"))
    parent, user = (EXEC_PID, own[0]) if own is not None else (0, main[0] or "root")
    rows.append(Process(PS_PID, parent, user, tty, "R+" if tty != "?" else "R", now, " ".join(argv), "ps"))
    return rows


def _host_processes(
    sh: Shell, argv: list[str], host: list[tuple[int, str, str]], own: tuple[str, str] | None
) -> list[Process]:
    """The node's processes (cluster/container/nodeprocs.py), then the exec's shell and ps after the last."""
    tty, now = "pts/0" if sh.state.get("tty") else "?", float(sh.state.get("t") or 0)
    rows = [Process(pid, 0 if pid == 1 else 1, user, "?", "Ss" if pid < 300 else "Sl", now, cmd, "main")
            for pid, user, cmd in host]  # fmt: skip
    pid = max((r.pid for r in rows), default=1) + 10
    if own is not None:
        rows.append(Process(pid, 0, own[0], tty, "Ss", now, own[1], "shell"))
    user = own[0] if own is not None else "root"
    rows.append(Process(pid + 7, pid if own else 0, user, tty, "R+" if tty != "?" else "R", now, " ".join(argv), "ps"))
    return rows


def _main(main: tuple[str, str], started: float) -> Process:
    """PID 1: what the container was started with, as the image's entrypoint leaves it running."""
    user, stat, command = running_as(main[0], main[1])
    return Process(1, 0, user, "?", stat, started, command, "main")


def running_as(user: str, command: str) -> tuple[str, str, str]:
    """(user, STAT, command) of a container's main process once the image's entrypoint script has exec'd it."""
    user, words = user or "root", command.split()
    if words[:1] and words[0] in ENTRYPOINTS and len(words) > 1:
        words = words[1:]  # the entrypoint script execs its command
    program = words[0].rsplit("/", 1)[-1] if words else ""
    if program in TITLES and user == "root":
        return TITLES[program]
    return user, "Ss", " ".join(words)


def _bsd(processes: list[Process]) -> str:
    head = "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n"
    return head + "".join(
        f"{p.user:<8} {p.pid:>7}  0.0  0.0 {SIZES[p.size][0]:>6} {SIZES[p.size][1]:>5} {p.tty:<8} {p.stat:<4} "
        f"{_hhmm(p.start)}   0:00 {p.command}\n"
        for p in processes
    )


def _full(processes: list[Process]) -> str:
    head = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
    return head + "".join(
        f"{p.user:<8} {p.pid:>7} {p.ppid:>7}  0 {_hhmm(p.start)} {p.tty:<8} 00:00:00 {p.command}\n" for p in processes
    )


def _comm(process: Process) -> str:
    return process.command.split()[0].rsplit("/", 1)[-1] if process.command else "?"


def _hhmm(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%H:%M")


def _main_started(sh: Shell) -> float | None:
    """When the main process started, from the pod's status (PID 1's START)."""
    statuses = ((sh.host.pod or {}).get("status") or {}).get("containerStatuses") or []
    name = (sh.host.spec or {}).get("targetContainerName") or (sh.host.spec or {}).get("name")
    for status in statuses:
        started = ((status.get("state") or {}).get("running") or {}).get("startedAt")
        if status.get("name") == name and started:
            return dt.datetime.fromisoformat(started.replace("Z", "+00:00")).timestamp()
    return None
