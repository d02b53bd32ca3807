"""What one simulated process may take from the server: memory, and work per advance.

A real process grows until the kernel's OOM killer ends it: at its container's memory limit, or when
the node runs out. Here every process of every sandbox lives in the server's own memory, so the
simulated node is small: a process may hold MEMORY bytes of text (its variables, arguments, loop lists,
scripts, and the word or output it is building), or its container's memory limit when that is lower.
Past it the process is OOM-killed, as the kernel would kill it: exit status 137, reason OOMKilled, for
a container's main process and for a `kubectl exec` alike.

Work is the shell's budget (cluster/container/shell.py's BUDGET): a command costs one unit and every
KiB it expands, reads or writes one more, so a loop that pushes megabytes through pipes is
fast-forwarded as soon as one that runs many small commands. An operation whose cost grows faster
than its input (sh's `${x%%pattern}` tries every cut) is charged what it would cost before it starts.

A container's processes share a budget that grows with the virtual time since they last ran: RATE
units a second, up to the whole BUDGET. A container on a busy node is throttled the same way; here it
keeps one learner's two hundred `while true` pods from taking the server's CPU from everyone else's.
Work a process could not do in time is done later (its clock is fast-forwarded), never skipped.

Simplified: memory is counted as characters of text, without the interpreter's overhead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cluster.container.shell import Host

MEMORY = 8 << 20  # bytes of text one process may hold: below what the budget lets it write in one advance
KIB = 1024  # bytes a budget unit pays for
SCAN_EVERY = 1 << 20  # bytes produced between two counts of a process's memory
RATE = 200  # budget units a container's processes earn per virtual second
FLOOR = 2_000  # units an advance always has (a container that has just started)
NESTING = 64  # subshells and $(…) inside one another (each is a shell run inside its parent, here)
FIELD_MAX = 1 << 20  # the widest printf field made (a real printf streams a wider one; here output is kept)


class OutOfMemory(Exception):
    """The process needs more memory than it may have: the OOM killer ends it."""


class OutOfWork(Exception):
    """One operation would cost more than the advance has left: the process is still busy with it."""


def budget_for(seconds: float, most: int) -> int:
    """What a container's processes may spend on `seconds` of virtual time since they last ran."""
    return int(min(most, max(FLOOR, RATE * max(seconds, 0.0))))


def memory_cap(limit: int) -> int:
    """A process's memory: its container's limit when one is set and lower, else the simulated node's share."""
    return min(MEMORY, limit) if limit > 0 else MEMORY


def footprint(state: dict) -> int:
    """Characters of text the process holds: variables, each frame's arguments, script and loop list."""
    size = sum(len(name) + len(value) for name, value in state["vars"].items())
    for frame in state["frames"]:
        size += sum(len(arg) for arg in frame.get("args") or ())
        size += len((frame.get("code") or {}).get("sh") or "")
        size += sum(len(word) for argv in [(frame.get("code") or {}).get("argv") or ()] for word in argv)
        for loop in frame.get("loops") or ():
            size += sum(len(item) for item in loop.get("items") or ())
    return size


class Accounting(ABC):
    """What a shell pays as it runs (cluster/container/shell.py's Shell): work from the budget, and its memory.
    The shell says how its process dies when it outgrows its memory."""

    state: dict
    host: Host

    @abstractmethod
    def oom_kill(self) -> None: ...

    @property
    def memory_cap(self) -> int:
        return memory_cap(self.host.memory_limit)

    def charge(self, nbytes: int) -> None:
        """Work: a unit of the budget per KiB expanded, read or written; memory is counted every SCAN_EVERY bytes."""
        self.host.budget[0] -= nbytes // KIB
        meter = self.host.meter
        meter[0] += nbytes
        if meter[0] >= SCAN_EVERY:
            meter[0] = 0
            self.count_memory()

    def spend(self, units: int) -> None:
        """Pay for an operation before it starts; OutOfWork when the advance has not that much left."""
        if units > self.host.budget[0]:
            raise OutOfWork
        self.host.budget[0] -= units

    def count_memory(self) -> None:
        if footprint(self.state) > self.memory_cap:
            self.oom_kill()

    def check_size(self, size: int) -> None:
        """A value being built that alone would not fit in the process's memory."""
        if size > self.memory_cap:
            raise OutOfMemory
