"""`kubectl exec` and `kubectl attach` over a websocket: the kubelet's remotecommand server, simulated.

Upstream, kube-apiserver's StreamTranslator (v5) or the kubelet's websocket
server (v4 and older) runs the session: it writes an empty message on the lowest
output channel to say the stream is up, copies stdin to the process and its
stdout/stderr back, and ends with the Status on the error channel, then closes the
websocket normally (client-go reads the error channel to end of stream).

Here an exec runs the command in the simulated container (cluster/kubectl/exec.py:
the container's files, environment and working directory, changes persisted):

- without stdin it runs at once;
- with stdin it runs once stdin has ended — v5's CLOSE signal, which `kubectl exec
  -i` and `kubectl cp` send at end of input (v4 has no such signal: its stdin ends
  when the client has sent nothing for STDIN_IDLE_SECONDS);
- an interactive shell (`sh`, `bash -il`) with stdin runs line by line instead, as a
  shell reads a pipe or a terminal (cluster/apiserver/streams/terminal.py), with a
  prompt and echo under `-t`, resize messages accepted.

An attach streams what the container prints from now on (its log as the kubelet
keeps it, cluster/kubelet_logs.py) until the container ends or the client leaves.
An attach with stdin to a container whose process is a shell reading its stdin
(`kubectl run -it --rm … -- sh`, the documentation's way into a debugging pod) is an
interactive shell in the container, as for exec.

Simplified: output is sent when the command has run (in the order it was written); a
command reading stdin sees all of it at once; an attached shell runs beside the
container's own (its `exit` ends the session; on a node the container's shell would
exit, and restart by the pod's restartPolicy); `attach -i` to any other process does
not reach it (what is typed is read and dropped), and an attach shows stderr lines on
stdout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.apiserver.streams import location, terminal, wire
from cluster.apiserver.streams.location import StreamRequest
from cluster.container import shell
from cluster.container import stdin as container_stdin
from cluster.container.pods import pod_containers
from cluster.kubectl.exec import INTERNAL, ExecError, prepare_exec
from cluster.kubelet_logs import FOLLOW_POLL_SECONDS, Follower, LogOptions
from cluster.models import Cluster

ENCODING = ("utf-8", "surrogateescape")  # bytes through the shell's text pipes and back (cluster/container/tar.py)
MAX_STDIN_BYTES = 4 * 1024 * 1024  # what one exec may send before its stdin ends (kubectl cp's archive)
STDIN_IDLE_SECONDS = 1.0
# A process's stdout and stderr are two pipes, each copied to the client on its own: a notice on stderr reaches the
# terminal before the client has read what follows on stdout. client-go copies each stream in a goroutine of its
# own, and `kubectl cp` exits as soon as the archive on stdout ends, so tar's notice sent back to back with the
# archive was lost now and then. The first switch from one stream to the other waits this long, as a real
# process's separate pipes would keep them apart.
STREAM_SWITCH_SECONDS = 0.05


@dataclass(frozen=True)
class Context:
    """Who the session runs for: the cluster and the client's name (for step events)."""

    cluster: Cluster
    client: str

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(api, *args)` in Django's sync world (database access), off the event loop."""
        return await database_sync_to_async(lambda: fn(APIServer(self.cluster, client=self.client), *args))()


class Refusal(Exception):
    """The kubelet refuses before the upgrade, in plain text (what v4 clients see for a stopped container)."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code, self.text = code, text


def admit(api: APIServer, request: StreamRequest, protocol: str) -> str:
    """The container the session runs in; StatusError (kube-apiserver) or Refusal (kubelet) before the upgrade.

    With v5 the upgrade happens at kube-apiserver, so a container that is not running is reported after it,
    on the error channel (see `serve`)."""
    pod, container = location.locate(api, request)
    if not protocol.startswith("v5.") and not location.running(api, pod, container):
        raise Refusal(500, f'container not found ("{container}")')
    return container


async def serve(
    link: wire.Link, codec: wire.ChannelCodec, ctx: Context, request: StreamRequest, container: str
) -> None:
    """One exec or attach session, from the first message to the Status."""
    session = _Session(link, codec, ctx, request, container)
    first = wire.STDOUT if request.stdout else wire.STDERR if request.stderr else wire.ERROR
    await session.send(first, b"")
    if not await ctx.call(_running, request, container):
        cause = f'unable to upgrade connection: container not found ("{container}")'
        await session.finish(wire.internal_error(cause))
        return
    if request.subresource == "attach":
        shell_command = await ctx.call(_attached_shell, request, container) if request.stdin else None
        if shell_command is not None:
            await session.interactive(shell_command, attached=True)
        else:
            await session.attach()
    elif request.stdin and terminal.interactive(request.command):
        await session.interactive(request.command)
    else:
        await session.exec()


def _run(api: APIServer, request: StreamRequest, container: str, stdin: str) -> tuple[int, list[tuple[str, str]]]:
    """Run the command as `kubectl exec` runs it: (exit code, [(stream, text)…] in the order written)."""
    command = list(request.command)
    target = prepare_exec(api, api.get("pods", request.namespace, request.name), container, command)
    code, _, _ = shell.run_instant(target.host, command, target.env, target.now, stdin, cwd=target.cwd)
    target.persist()
    return code, [(stream, text) for _, stream, text in target.host.out]


def _attached_shell(api: APIServer, request: StreamRequest, container: str) -> tuple[str, ...] | None:
    """The container's own shell, when it reads its stdin: typing into an attach reaches it."""
    try:
        pod = api.get("pods", request.namespace, request.name)
    except StatusError:
        return None
    spec = next((c for c in pod_containers(pod) if c["name"] == container), None)
    return terminal.container_shell(spec) if spec is not None else None


def _end_input(api: APIServer, request: StreamRequest, container: str, status: int) -> None:
    """The attached user ended the container's stdin: its shell exits with `status` (cluster/container/stdin.py)."""
    try:
        pod = api.get("pods", request.namespace, request.name)
    except StatusError:
        return
    container_stdin.end_input(api, pod, container, status)


def _running(api: APIServer, request: StreamRequest, container: str) -> bool:
    try:
        pod = api.get("pods", request.namespace, request.name)
    except Exception:  # noqa: BLE001 - gone since the upgrade: not running
        return False
    return location.running(api, pod, container)


class _Session:
    def __init__(
        self, link: wire.Link, codec: wire.ChannelCodec, ctx: Context, request: StreamRequest, container: str
    ) -> None:
        self.link, self.codec, self.ctx, self.request, self.container = link, codec, ctx, request, container
        self.translated = codec.version >= 5  # v5: kube-apiserver's StreamTranslator words the Status

    # -- sending ----------------------------------------------------------------------------------
    async def send(self, channel: int, data: bytes) -> None:
        for message in self.codec.frames(channel, data):
            await self.link.send(message)

    async def output(self, stream: str, text: str) -> None:
        """What the process wrote, on the channel the client asked for (a terminal has only stdout)."""
        if not text:
            return
        if self.request.tty:
            if self.request.stdout:
                await self.send(wire.STDOUT, terminal.onlcr(text).encode(*ENCODING))
            return
        wanted = self.request.stdout if stream == "stdout" else self.request.stderr
        if wanted:
            await self.send(wire.STDOUT if stream == "stdout" else wire.STDERR, text.encode(*ENCODING))

    async def finish(self, status: dict) -> None:
        for message in self.codec.status(status):
            await self.link.send(message)

    async def exit_status(self, code: int) -> None:
        await self.finish(
            wire.success() if code == 0 else wire.exit_code(code, list(self.request.command), self.translated)
        )

    def internal(self, err: ExecError) -> dict:
        cause = str(err).strip()
        prefix = INTERNAL.split("Internal error occurred: ")[0] + "Internal error occurred: "
        cause = cause[len(prefix) :] if cause.startswith(prefix) else cause
        # The translator meets the kubelet's InternalError as a plain error and wraps it once more.
        return wire.internal_error(f"Internal error occurred: {cause}" if self.translated else cause)

    # -- exec ---------------------------------------------------------------------------------------
    async def exec(self) -> None:
        data = b""
        if self.request.stdin and not self.request.tty:
            read = await self.read_stdin()
            if read is None:
                return  # the client left
            data = read
        try:
            code, written = await self.ctx.call(_run, self.request, self.container, data.decode(*ENCODING))
        except ExecError as error:
            await self.finish(self.internal(error))
            return
        await self.output_all(written)
        await self.exit_status(code)

    async def output_all(self, written: list[tuple[str, str]]) -> None:
        """What the process wrote, in order; the first switch between stdout and stderr waits a moment."""
        wanted = {"stdout": self.request.stdout or self.request.tty, "stderr": self.request.stderr or self.request.tty}
        shown = [(stream, text) for stream, text in written if text and wanted.get(stream)]
        switched = False
        for stream, text in shown:
            if not switched and not self.request.tty and stream != shown[0][0]:
                await asyncio.sleep(STREAM_SWITCH_SECONDS)
                switched = True
            await self.output(stream, text)

    async def read_stdin(self) -> bytes | None:
        """Everything the client sends on stdin until it ends; None if the client goes away first."""
        data = bytearray()
        while True:
            try:
                message = await (
                    self.link.recv()
                    if self.codec.close_signal
                    else asyncio.wait_for(self.link.recv(), STDIN_IDLE_SECONDS)
                )
            except TimeoutError:
                return bytes(data)
            if message is None:
                return None
            channel, payload, closed = self.codec.decode(message)
            if closed and channel == wire.STDIN:
                return bytes(data)
            if channel == wire.STDIN and not closed:
                data += payload
                if len(data) > MAX_STDIN_BYTES:
                    await self.finish(
                        wire.internal_error(
                            f"stdin of this exec is larger than kubeclass accepts ({MAX_STDIN_BYTES} bytes)"
                        )
                    )
                    return None

    # -- an interactive shell ------------------------------------------------------------------------
    async def end_shell(self, status: int, attached: bool) -> None:
        """An exec reports its exit status; an attach ends in Success whatever the process exited with, as
        the kubelet's attach does (the streams closed), and the container's shell exits with it."""
        if attached:
            await self.ctx.call(_end_input, self.request, self.container, status)
            await self.finish(wire.success())
            return
        await self.exit_status(status)

    async def interactive(self, command: tuple[str, ...], attached: bool = False) -> None:
        """A shell, one command line at a time. `attached`: the container's own shell (an attach), which
        exits with the session (cluster/container/stdin.py)."""
        req = self.request
        sh = terminal.InteractiveShell(req.namespace, req.name, self.container, command, req.tty)
        try:
            await self.ctx.call(sh.start)
        except ExecError as error:
            await self.finish(self.internal(error))
            return
        keys = terminal.LineDiscipline(req.tty)
        pending: list[str] = []
        if req.tty:
            await self.output("stdout", sh.prompt())
        while True:
            message = await self.link.recv()
            if message is None:
                return
            channel, payload, closed = self.codec.decode(message)
            if closed and channel == wire.STDIN:
                events = keys.end()
            elif channel == wire.STDIN:
                events = keys.feed(payload)
            else:
                continue  # resize ({"Width","Height"}): accepted, nothing to redraw
            for kind, text in events:
                if kind == "echo":
                    await self.send(wire.STDOUT, text.encode())
                    continue
                if kind == "interrupt":
                    pending, sh.status = [], terminal.INTERRUPTED
                elif kind == "eof":
                    await self.output("stdout", sh.farewell())
                    await self.end_shell(sh.status, attached)
                    return
                else:
                    pending.append(text)
                    source = "\n".join(pending)
                    if not sh.complete(source):
                        if req.tty:
                            await self.output("stdout", sh.prompt(continuation=True))
                        continue
                    pending = []
                    if source.strip():
                        try:
                            written, exited = await self.ctx.call(sh.run, source)
                        except terminal.Gone:
                            await self.exit_status(137)  # the container was killed, and the shell with it
                            return
                        for stream, chunk in written:
                            await self.output(stream, chunk)
                        if exited:
                            await self.output("stdout", sh.farewell())
                            await self.end_shell(sh.status, attached)
                            return
                if req.tty:
                    await self.output("stdout", sh.prompt())

    # -- attach ---------------------------------------------------------------------------------------
    async def attach(self) -> None:
        req = self.request
        opts = LogOptions(container=self.container, follow=True, tail_lines=0)
        try:
            follower: Follower = await self.ctx.call(
                lambda api: _first(Follower(api, req.namespace, req.name, opts, raw=True))
            )
        except StatusError as err:
            await self.finish(wire.internal_error(err.message))
            return
        deadline = time.monotonic()
        while not follower.done:
            deadline += FOLLOW_POLL_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                try:
                    message = await asyncio.wait_for(self.link.recv(), left)
                except TimeoutError:
                    break
                if message is None:
                    return  # stdin and resizes are read and dropped: the process is not reached
            text = await database_sync_to_async(follower.poll)()
            await self.output("stdout", text)
        await self.finish(wire.success())


def _first(follower: Follower) -> Follower:
    follower.first()
    return follower
