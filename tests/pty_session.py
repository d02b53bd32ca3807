"""The real kubectl on a pseudo-terminal, for the live tests of interactive sessions (exec -it, run -it, debug -it):
what it shows, typed into as a person would."""

from __future__ import annotations

import os
import pty
import select
import signal
import time

from tests.livesrv import LiveKubectl


def pty_session(kubectl: LiveKubectl, args: list[str], keystrokes: list[tuple[str, str]]) -> tuple[str, int]:
    """Run kubectl on a pseudo-terminal (so -t is a real terminal), type, and collect everything it shows."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: kubectl itself
        os.execvpe("kubectl", ["kubectl", *kubectl.flags, *args], kubectl.env)
    seen = b""

    def read_until(marker: bytes, seconds: float = 10) -> None:
        nonlocal seen
        deadline = time.monotonic() + seconds
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    return

    try:
        read_until(b"# ")
        for keys, wait_for in keystrokes:
            before = len(seen)
            os.write(fd, keys.encode())
            deadline = time.monotonic() + 10
            while wait_for.encode() not in seen[before:] and time.monotonic() < deadline:
                read_until(wait_for.encode(), 0.5)
        read_until(b"\xff", 3)  # whatever is left, until kubectl exits
        _, status = os.waitpid(pid, 0)
        return seen.decode(errors="replace"), os.waitstatus_to_exitcode(status)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
