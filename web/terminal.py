"""The page's terminal: one kubectl command line, run in-process against the cluster's API server.

A command that keeps watching (`get -w`, `rollout status`) is not run by the
POST that submits it: the POST answers with an entry that the page then
streams from `stream()` until the command ends, the learner stops it (Stop,
or Ctrl-C) or STREAM_SECONDS pass, so the next command can be typed at once.

The commands run on the thread every page shares, so each cluster's commands get
a share of its CPU (cluster/reconciler/fairness.py, as the control loops do):
`get all -A -o yaml` of a full sandbox takes a tenth of a second, and a script that
sent it without end would stall the class. Past the share, a command is refused
for a moment with a line that says so.
"""

from __future__ import annotations

import asyncio
import io
import queue
import shlex
import threading
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, TextIO, cast  # _QueueWriter is a text stream that writes, all kubectl asks

from django.db import close_old_connections, connection
from django.utils.translation import gettext as _

from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.models import Cluster
from cluster.reconciler.fairness import CpuShare

MAX_COMMAND_CHARS = 4096
MAX_STDIN_CHARS = 3 * 1024 * 1024
WATCH_FLAGS = {"-w", "--watch", "--watch-only"}
STREAM_SECONDS = 600  # a watch in the page ends after ten minutes, as a safeguard
MAX_STREAMS = 3  # open watches per cluster page process-wide, per cluster
_open_streams: dict[int, int] = {}
_lock = threading.Lock()
_cpu = CpuShare()  # the pages' thread, per cluster


@dataclass
class Result:
    command: str
    stdout: str = ""
    stderr: str = ""
    code: int = 0
    stream: bool = False  # the page should stream this command instead
    argv: list[str] = field(default_factory=list)

    def context(self) -> dict:
        return {
            "command": self.command,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "code": self.code,
            "stream": self.stream,
        }


def parse(line: str) -> tuple[list[str], str]:
    """The arguments after `kubectl`, or an error message."""
    try:
        argv = shlex.split(line)
    except ValueError as err:
        return [], f"error: {err}\n"
    if argv and argv[0] == "kubectl":
        argv = argv[1:]
    if not argv and line:
        return [], _("error: type a kubectl command, for example: kubectl get pods") + "\n"
    return argv, ""


def streams(argv: list[str]) -> bool:
    """Commands that keep watching: get -w, rollout status, logs -f, and run -i and debug -i (which wait for their
    container and show what it prints)."""
    if argv[:1] == ["run"]:
        return bool({"-i", "-it", "-ti", "--stdin", "--attach", "--rm"} & set(argv))
    if argv[:1] == ["debug"]:
        return bool({"-i", "-it", "-ti", "--stdin", "--attach"} & set(argv))
    if argv[:1] == ["get"]:
        return bool(WATCH_FLAGS & set(argv)) or any(a.startswith("--watch=true") for a in argv)
    if argv[:1] == ["logs"]:
        return bool({"-f", "--follow"} & set(argv)) or any(a.startswith("--follow=true") for a in argv)
    return argv[:2] == ["rollout", "status"] and "--watch=false" not in argv


def run(cluster: Cluster, line: str, stdin: str = "") -> Result:
    line = line.strip()[:MAX_COMMAND_CHARS]
    argv, problem = parse(line)
    if problem:
        return Result(line, stderr=problem, code=1)
    if not argv:
        return Result(line)
    if streams(argv):
        return Result(line, stream=True, argv=argv)
    if not _cpu.allowed(cluster.pk):
        busy = _("error: this cluster's commands have used their share of the server for now; try again in a moment")
        return Result(line, stderr=busy + "\n", code=1, argv=argv)
    out, err = io.StringIO(), io.StringIO()
    api = APIServer(cluster, client="kubectl")
    started = time.thread_time()
    try:
        code = cli.run(api, argv, stdin=io.StringIO(stdin[:MAX_STDIN_CHARS]), stdout=out, stderr=err, local_files=False)
    finally:
        _cpu.charge(cluster.pk, time.thread_time() - started)
    return Result(line, out.getvalue(), err.getvalue(), code, argv=argv)


class _QueueWriter(io.TextIOBase):
    """kubectl's stdout and stderr, handed to the streaming response a piece at a time."""

    def __init__(self, pieces: queue.Queue, kind: str) -> None:
        self.pieces, self.kind = pieces, kind

    def write(self, text: str) -> int:
        if text:
            self.pieces.put((self.kind, text))
        return len(text)


def with_request_timeout(argv: list[str]) -> list[str]:
    """kubectl's own words with the page's bound on a streamed command, among the flags: after `--` it would be
    part of the container's command (`kubectl run -i … -- sh`, `kubectl debug -i … -- ps`)."""
    end = argv.index("--") if "--" in argv else len(argv)
    if any(a.startswith(("--request-timeout", "--timeout")) for a in argv[:end]):
        return list(argv)
    return [*argv[:end], f"--request-timeout={STREAM_SECONDS}s", *argv[end:]]


def _work(cluster_pk: int, argv: list[str], pieces: queue.Queue, stop: threading.Event) -> None:
    close_old_connections()
    try:
        cluster = Cluster.objects.get(pk=cluster_pk)
        args = with_request_timeout(argv)
        stdout, stderr = cast(TextIO, _QueueWriter(pieces, "out")), cast(TextIO, _QueueWriter(pieces, "err"))
        code = cli.run(
            APIServer(cluster, client="kubectl"),
            args,
            stdin=io.StringIO(),
            stdout=stdout,
            stderr=stderr,
            local_files=False,
            stop=stop,
        )
        pieces.put(("end", str(code)))
    except Exception as err:  # noqa: BLE001 - the page shows the failure instead of hanging
        pieces.put(("err", f"error: {err}\n"))
        pieces.put(("end", "1"))
    finally:
        connection.close()


def frames(kind: str, text: str) -> list[bytes]:
    """One line of the stream for each line of `text`: `kind|line`; the end of a line still to come (an attach
    streams `OK!OK!` with no newline) is `kind+|part`, which the page prints without breaking the line."""
    pieces = text.split("\n")
    whole, rest = pieces[:-1], pieces[-1]
    out = [f"{kind}|{line}\n".encode() for line in whole]
    if rest:
        out.append(f"{kind}+|{rest}\n".encode() if kind in ("out", "err") else f"{kind}|{rest}\n".encode())
    return out


async def stream(cluster: Cluster, argv: list[str]) -> AsyncIterator[bytes]:
    """Run a watching command in a thread and yield its output as it comes: `out|…`, `err|…` (`out+|…`, `err+|…`
    for part of a line) and `end|code` lines."""
    with _lock:
        if _open_streams.get(cluster.pk, 0) >= MAX_STREAMS:
            yield ("err|" + _("error: too many watches are open on this cluster; stop one first") + "\n").encode()
            yield b"end|1\n"
            return
        _open_streams[cluster.pk] = _open_streams.get(cluster.pk, 0) + 1
    pieces: queue.Queue = queue.Queue()
    stop = threading.Event()
    worker = threading.Thread(target=_work, args=(cluster.pk, argv, pieces, stop), daemon=True)
    worker.start()
    try:
        while True:
            try:
                kind, text = pieces.get_nowait()
            except queue.Empty:
                await asyncio.sleep(0.1)
                continue
            for frame in frames(kind, text):
                yield frame
            if kind == "end":
                return
    finally:
        stop.set()  # the page stopped reading (Stop, Ctrl-C, navigation): end the watch
        with _lock:
            _open_streams[cluster.pk] = max(0, _open_streams.get(cluster.pk, 1) - 1)
