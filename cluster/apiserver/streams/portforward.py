"""`kubectl port-forward`: a local port reaching a port inside the pod, through kube-apiserver.

kubectl 1.31+ (KUBECTL_PORT_FORWARD_WEBSOCKETS on by default) opens a websocket to
`pods/NAME/portforward` offering `SPDY/3.1+portforward.k8s.io` and runs a SPDY/3.1
connection inside it (kube-apiserver's tunneling handler, apiserver/pkg/util/proxy/
streamtunnel.go, passes that SPDY on to the kubelet). For every local connection
client-go's PortForwarder (tools/portforward/portforward.go) opens two SPDY streams
with the headers `streamType` (`error`, then `data`), `port` and `requestID`; the
server replies to each SYN_STREAM, connects to the port inside the pod's network
namespace, copies bytes both ways on the data stream, writes any failure as text on
the error stream, and half-closes (FIN) both when the connection ends. Where nothing
listens, containerd's error goes on the error stream and kubectl gives up the forward
(`error: lost connection to pod`).

The older websocket protocol (`v4.channel.k8s.io`, `portforward.k8s.io`: the
kubelet's, what the Python client's `portforward()` speaks) is served too: the ports
come in the query (`?ports=80`), port i has data channel 2i and error channel 2i+1,
and the first message on each channel is the port, little-endian.

Inside the pod, the simulated server answers (cluster/container/pods.py `http`): an
nginx serves its files (the welcome page), agnhost its hostname, and a server that
does not speak HTTP (redis, postgres) closes the connection, as they do on an HTTP
request. The request reaches the server from 127.0.0.1, as a port-forward does, and
the server logs it.

Simplified: only HTTP/1.x requests are understood (what curl or a browser sends);
any method is answered as GET; responses carry Date, Content-Type, Content-Length
and Connection headers only.
"""

from __future__ import annotations

import email.utils
import hashlib
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.apiserver.streams import location, spdy, wire
from cluster.apiserver.streams.location import StreamRequest
from cluster.apiserver.streams.remotecommand import Context
from cluster.container import pods
from cluster.container.net import Refused

TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
CHANNEL_PROTOCOLS = (wire.V4, wire.V4_BASE64, "portforward.k8s.io")
MAX_REQUEST_BYTES = 1024 * 1024  # what one forwarded connection may send before its request is whole
MAX_STREAMS = 256  # SPDY streams one forward may have open (two per local connection)
MAX_SPDY_BUFFER = 2 * 1024 * 1024
CLIENT_ADDRESS = "127.0.0.1"  # a port-forward connects from inside the pod's network namespace


# -- the server inside the pod -------------------------------------------------------------------------
@dataclass
class Connection:
    """One forwarded TCP connection, the pod's side: what the client sent that is not answered yet."""

    port: int
    buffer: bytearray = field(default_factory=bytearray)
    closed: bool = False


def refusal(api: APIServer, namespace: str, name: str, port: int) -> str:
    """containerd's error when nothing in the pod listens on `port`; '' when something does."""
    try:
        pod = api.get("pods", namespace, name)
    except StatusError:
        return f"pod {namespace}/{name} not found"
    if pods.listener(api, pod, port, api.now().timestamp()) is not None:
        return ""
    sandbox = location.sandbox_id(api, pod)
    netns = uuid.UUID(hashlib.sha256(sandbox.encode()).hexdigest()[:32])
    refused = f"dial tcp4 127.0.0.1:{port}: connect: connection refused"
    return (
        f"error forwarding port {port} to pod {sandbox}, uid : failed to execute portforward in network "
        f'namespace "/var/run/netns/cni-{netns}": failed to connect to localhost:{port} inside namespace '
        f'"{sandbox}", IPv4: {refused} IPv6 dial tcp6 [::1]:{port}: connect: connection refused '
    )


def answer(api: APIServer, namespace: str, name: str, conn: Connection) -> tuple[bytes, bool]:
    """The server's reply to every whole request in `conn.buffer`: (bytes to send, whether it closes)."""
    out = bytearray()
    while True:
        head_end = conn.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            if len(conn.buffer) > MAX_REQUEST_BYTES:
                return bytes(out) + _response(431, "", close=True), True
            return bytes(out), False
        lines = conn.buffer[:head_end].decode("latin-1").split("\r\n")
        words = lines[0].split()
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0") or 0) if headers.get("content-length", "0").isdigit() else 0
        if len(conn.buffer) < head_end + 4 + length:
            return bytes(out), False
        del conn.buffer[: head_end + 4 + length]
        if len(words) != 3 or not words[2].startswith("HTTP/"):
            return bytes(out) + _response(400, "", close=True), True  # not HTTP: the server closes
        method, path = words[0], words[1]
        try:
            status, body, *_ = pods.http(
                api,
                namespace,
                f"{namespace}/{name}",
                conn.port,
                path,
                CLIENT_ADDRESS,
                headers.get("user-agent", ""),
                api.now().timestamp(),
                log_request=True,
            )
        except Refused:
            return bytes(out), True  # the server went away: the connection is reset
        if status is None:
            return bytes(out), True  # not an HTTP server: it closes the connection
        close = headers.get("connection", "").lower() == "close" or words[2] == "HTTP/1.0"
        out += _response(status, body, close, head_only=method == "HEAD", now=api.now().timestamp())
        if close:
            return bytes(out), True


def _response(status: int, body: str, close: bool, head_only: bool = False, now: float | None = None) -> bytes:
    data = body.encode()
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    kind = "text/html" if body.lstrip().lower().startswith(("<!doctype html", "<html")) else "text/plain; charset=utf-8"
    head = [f"HTTP/1.1 {status} {phrase}"]
    if now is not None:
        head.append(f"Date: {email.utils.formatdate(now, usegmt=True)}")
    head += [
        f"Content-Type: {kind}",
        f"Content-Length: {len(data)}",
        f"Connection: {'close' if close else 'keep-alive'}",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + (b"" if head_only else data)


# -- SPDY inside a websocket (kubectl) ------------------------------------------------------------------
@dataclass
class _Pair:
    port: int
    data: int = 0  # stream ids
    error: int = 0
    conn: Connection | None = None


async def serve_tunnel(link: wire.Link, ctx: Context, request: StreamRequest) -> None:
    """A SPDY/3.1 connection inside the websocket, until the client goes away (or says GOAWAY)."""
    framer = spdy.Framer()
    streams: dict[int, tuple[str, str]] = {}  # stream id -> (requestID, streamType)
    pairs: dict[str, _Pair] = {}

    async def finish(pair: _Pair, error: str = "") -> None:
        if pair.conn is not None and pair.conn.closed:
            return
        pair.conn = pair.conn or Connection(pair.port)
        pair.conn.closed = True
        if error:
            await link.send(framer.data(pair.error, error.encode()))
        await link.send(framer.data(pair.data, b"", fin=True) + framer.data(pair.error, b"", fin=True))

    while True:
        message = await link.recv()
        if message is None:
            return
        try:
            frames = framer.feed(message if isinstance(message, bytes) else message.encode("latin-1"))
        except spdy.ProtocolError:
            return
        if len(framer.buffer) > MAX_SPDY_BUFFER:
            return
        for frame in frames:
            if frame.kind == spdy.SYN_STREAM:
                kind, port = frame.headers.get("streamtype", ""), frame.headers.get("port", "")
                request_id = frame.headers.get("requestid") or str(frame.stream_id // 4)
                if kind not in ("data", "error") or not port.isdigit() or len(streams) >= MAX_STREAMS:
                    await link.send(framer.rst_stream(frame.stream_id, spdy.RST_REFUSED_STREAM))
                    continue
                await link.send(framer.syn_reply(frame.stream_id))
                streams[frame.stream_id] = (request_id, kind)
                pair = pairs.setdefault(request_id, _Pair(int(port)))
                setattr(pair, kind, frame.stream_id)
                if pair.data and pair.error and pair.conn is None:
                    problem = await ctx.call(refusal, request.namespace, request.name, pair.port)
                    if problem:
                        await finish(pair, problem)
                    else:
                        pair.conn = Connection(pair.port)
            elif frame.kind == 0:
                request_id, kind = streams.get(frame.stream_id, ("", ""))
                forwarded = pairs.get(request_id)
                if forwarded is None or kind != "data" or forwarded.conn is None or forwarded.conn.closed:
                    continue
                forwarded.conn.buffer += frame.data
                if frame.data:
                    reply, close = await ctx.call(answer, request.namespace, request.name, forwarded.conn)
                    if reply:
                        await link.send(framer.data(forwarded.data, reply))
                    if close:
                        await finish(forwarded)
                if frame.fin:
                    await finish(forwarded)
            elif frame.kind == spdy.RST_STREAM:
                request_id, _ = streams.pop(frame.stream_id, ("", ""))
                if not any(r == request_id for r, _ in streams.values()):
                    pairs.pop(request_id, None)  # both of the connection's streams are gone
            elif frame.kind == spdy.PING:
                await link.send(framer.ping(frame.ping_id))
            elif frame.kind == spdy.GOAWAY:
                return


# -- the websocket channel protocol (the Python client) -------------------------------------------------
async def serve_channels(link: wire.Link, ctx: Context, request: StreamRequest, protocol: str) -> None:
    """Port i on channels 2i (data) and 2i+1 (error); one connection per port, as the kubelet serves it."""
    codec = wire.ChannelCodec(protocol or wire.V4)
    conns = [Connection(port) for port in request.ports]
    for i, port in enumerate(request.ports):
        for channel in (2 * i, 2 * i + 1):
            for frame in codec.frames(channel, port.to_bytes(2, "little")):
                await link.send(frame)
    for i, conn in enumerate(conns):
        problem = await ctx.call(refusal, request.namespace, request.name, conn.port)
        if problem:
            conn.closed = True
            for frame in codec.frames(2 * i + 1, problem.encode()):
                await link.send(frame)
    while True:
        message = await link.recv()
        if message is None:
            return
        channel, payload, _ = codec.decode(message)
        if channel < 0 or channel % 2 or channel // 2 >= len(conns) or conns[channel // 2].closed:
            continue
        conn = conns[channel // 2]
        conn.buffer += payload
        reply, close = await ctx.call(answer, request.namespace, request.name, conn)
        if reply:
            for frame in codec.frames(channel, reply):
                await link.send(frame)
        if close:
            return  # the connection ended: the kubelet's handler returns and the websocket closes
