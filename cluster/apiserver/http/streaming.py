"""kube-apiserver's streaming subresources over websockets: `pods/exec`, `pods/attach`, `pods/portforward`.

kubectl 1.32 opens these as a websocket upgrade of `GET /api/v1/namespaces/NS/pods/
NAME/exec?command=…&container=…&stdin=…` (also `attach`, `portforward`, and the same
under the older `/k8s/<cluster>/` prefix). Daphne routes websockets to Channels, not
to the Django views, so `KubernetesStreams` (installed in web/asgi.py) sends those
paths to `StreamConsumer` and every other websocket to the dashboard's stack. The
consumer does what kube-apiserver does before an upgrade — authenticate the bearer
token (401), read the pod and pick the container (404, 400: location.py), negotiate
the subprotocol — and answers a refusal as a plain HTTP response with a
metav1.Status body (the ASGI websocket denial extension, web/daphne_denial.py),
which client-go turns into its error. Then the session runs
(cluster/apiserver/streams): remotecommand's channels for exec and attach
(`v5.channel.k8s.io`, and v4 / v1 / base64 for other clients), and for port-forward
SPDY/3.1 tunnelled in the websocket (`SPDY/3.1+portforward.k8s.io`, kubectl's) or
the kubelet's channel protocol (`v4.channel.k8s.io`, the Python client's).

client-go falls back to SPDY (a `POST` with `Upgrade: SPDY/3.1`) when a websocket
upgrade fails. Daphne cannot hand a raw connection over to another protocol, so
kubeclass has no SPDY/3.1 upgrade: `serve_http` answers that POST (and a plain GET)
with the same checks and their Status, and otherwise a 400 saying websockets are
required. That is also why a refusal repeats the upgrade's own error: kubectl prints
the fallback's.

Bounded, as a class server must be: a session lasts at most MAX_SESSION_SECONDS,
each cluster has at most MAX_SESSIONS_PER_CLUSTER at once and the process
MAX_SESSIONS (more get 429 TooManyRequests), and a client that sends faster than the
session reads is cut off past MAX_INBOX_BYTES.
"""

from __future__ import annotations

import contextlib
import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from channels.consumer import AsyncConsumer
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.utils.datastructures import CaseInsensitiveMapping

from cluster import idle
from cluster.apiserver.errors import StatusError
from cluster.apiserver.http import clients, codec
from cluster.apiserver.http.auth import authenticate
from cluster.apiserver.http.ratelimit import Slots, slots_full
from cluster.apiserver.server import APIServer
from cluster.apiserver.streams import location, portforward, remotecommand, wire
from cluster.apiserver.streams.location import StreamRequest
from cluster.apiserver.streams.remotecommand import Context, Refusal
from cluster.models import Cluster

logger = logging.getLogger(__name__)
STREAM_PATH = re.compile(
    r"^/(?:k8s/(?P<cluster>[-a-zA-Z0-9_]+)/)?api/v1/namespaces/(?P<namespace>[^/]+)/pods/"
    r"(?P<name>[^/]+)/(?P<subresource>exec|attach|portforward)/?$"
)
MAX_SESSION_SECONDS = 3600.0
MAX_SESSIONS_PER_CLUSTER = 8
MAX_SESSIONS = 256
MAX_INBOX_BYTES = 8 * 1024 * 1024
STREAMS_READY_SECONDS = 0.25  # at most, before a session sends to a client that has said nothing yet
DENIAL_EXTENSION = "websocket.http.response"
SPDY_HINT = {
    "portforward": "KUBECTL_PORT_FORWARD_WEBSOCKETS",
    "exec": "KUBECTL_REMOTE_COMMAND_WEBSOCKETS",
    "attach": "KUBECTL_REMOTE_COMMAND_WEBSOCKETS",
}

_sessions = Slots()  # cluster pk -> open sessions in this process


class KubernetesStreams:
    """ASGI websocket router: the API's streaming paths to StreamConsumer, every other path to `other`.

    `denial`: the server implements the websocket denial response extension (web/daphne_denial.py)."""

    def __init__(self, other: Callable[..., Awaitable[None]], denial: bool = False) -> None:
        self.other, self.denial = other, denial
        self.streams = StreamConsumer.as_asgi()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope.get("type") == "websocket" and STREAM_PATH.match(scope.get("path", "")):
            if self.denial:
                scope = {**scope, "extensions": {**(scope.get("extensions") or {}), DENIAL_EXTENSION: {}}}
            return await self.streams(scope, receive, send)
        return await self.other(scope, receive, send)


@dataclass(frozen=True)
class _Admitted:
    cluster: Cluster
    client: str
    request: StreamRequest
    protocol: str
    container: str


class _HeaderView:
    """What auth.authenticate reads of a request (its headers), for a websocket's scope."""

    def __init__(self, scope: dict) -> None:
        self.headers = CaseInsensitiveMapping(
            {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers") or []}
        )


class StreamConsumer(AsyncConsumer):
    """One streaming session: admitted (or refused) at the handshake, then run as a task."""

    channel_layer_alias = "kubeclass-streams-need-no-layer"  # not configured: no channel layer

    async def websocket_connect(self, message: dict) -> None:
        self.task: asyncio.Task | None = None
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.heard = asyncio.Event()  # the client sent something: its streams exist
        self.queued = 0
        self.slot: int | None = None
        match = STREAM_PATH.match(self.scope["path"])
        assert match is not None  # KubernetesStreams routes only matching paths here
        try:
            admitted = await database_sync_to_async(self._admit)(match)
        except StatusError as err:
            await self._deny(err.code, codec.status_response(err).content, "application/json")
            raise StopConsumer() from None
        except Refusal as refusal:
            await self._deny(refusal.code, refusal.text.encode(), "text/plain; charset=utf-8")
            raise StopConsumer() from None
        self.slot = admitted.cluster.pk
        await self.send({"type": "websocket.accept", "subprotocol": admitted.protocol or None})
        self.task = asyncio.get_running_loop().create_task(self._run(admitted))

    def _admit(self, match: re.Match) -> _Admitted:
        headers = _HeaderView(self.scope)
        host, _ = split_domain_port(headers.headers.get("Host", ""))
        if not validate_host(host, settings.ALLOWED_HOSTS):
            raise StatusError.bad_request(f"Invalid HTTP_HOST header: {headers.headers.get('Host', '')!r}")
        cluster = authenticate(headers, match["cluster"])  # type: ignore[arg-type]
        idle.touch(cluster)
        agent = headers.headers.get("User-Agent", "")
        clients.record(cluster, agent)
        client = agent.split("/")[0].strip() or "client"
        api = APIServer(cluster, client=client)
        request = location.parse(
            match["subresource"],
            match["namespace"],
            match["name"],
            self.scope.get("query_string", b"").decode("latin-1"),
        )
        offered = list(self.scope.get("subprotocols") or [])
        if request.subresource == "portforward":
            protocol = wire.negotiate(offered, (portforward.TUNNEL_PROTOCOL, *portforward.CHANNEL_PROTOCOLS))
        else:
            protocol = wire.negotiate(offered, wire.REMOTECOMMAND_PROTOCOLS)
        if protocol is None:
            raise StatusError.bad_request(
                f"requested protocol(s) are not supported: {offered}; supports {list(wire.REMOTECOMMAND_PROTOCOLS)}"
            )
        if request.subresource == "portforward":
            location.locate(api, request)
            if protocol != portforward.TUNNEL_PROTOCOL and not request.ports:
                raise Refusal(400, 'query parameter "ports" is required')
            container = ""
        else:
            container = remotecommand.admit(api, request, protocol)
        _take_slot(cluster.pk)
        return _Admitted(cluster, client, request, protocol, container)

    async def _deny(self, code: int, body: bytes, content_type: str) -> None:
        if DENIAL_EXTENSION in (self.scope.get("extensions") or {}):
            await self.send(
                {
                    "type": "websocket.http.response.start",
                    "status": code,
                    "headers": [(b"content-type", content_type.encode())],
                }
            )
            await self.send({"type": "websocket.http.response.body", "body": body})
        else:
            await self.send({"type": "websocket.close"})  # the server answers 403

    async def _run(self, admitted: _Admitted) -> None:
        link = _Link(self)
        ctx = Context(admitted.cluster, admitted.client)
        request = admitted.request
        channels = wire.ChannelCodec(admitted.protocol or wire.V1)
        try:
            if request.subresource == "portforward":
                session = (
                    portforward.serve_tunnel(link, ctx, request)
                    if admitted.protocol == portforward.TUNNEL_PROTOCOL
                    else portforward.serve_channels(link, ctx, request, admitted.protocol)
                )
            else:
                await self._streams_ready()
                session = remotecommand.serve(link, channels, ctx, request, admitted.container)
            ended = ""
            try:
                await asyncio.wait_for(session, MAX_SESSION_SECONDS)
            except TimeoutError:
                ended = f"kubeclass ends a streaming session after {int(MAX_SESSION_SECONDS)} seconds"
            except Exception as err:  # noqa: BLE001 - a bug ends the session with a Status, as upstream's would
                logger.exception("streaming session %s failed", self.scope.get("path"))
                ended = str(err) or type(err).__name__
            if ended and request.subresource != "portforward" and not link.gone:
                for frame in channels.status(wire.internal_error(ended)):
                    await link.send(frame)
        finally:
            _release_slot(admitted.cluster.pk)
            self.slot = None
            if not link.gone:
                await self.send({"type": "websocket.close", "code": 1000})

    async def _streams_ready(self) -> None:
        """client-go reads the socket before it has made its streams and drops a frame for a stream it does not
        have yet ("Unknown stream id 1, discarding message"): a shell's first prompt, sent at once, could be lost.
        A runtime takes milliseconds to start the process anyway; the client's first message (a terminal's size,
        or stdin) shows its streams are there, else a short wait stands in for them."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.heard.wait(), STREAMS_READY_SECONDS)

    async def websocket_receive(self, message: dict) -> None:
        data = message.get("bytes")
        if data is None:
            data = message.get("text") or ""
        self.queued += len(data)
        self.heard.set()
        if self.queued > MAX_INBOX_BYTES:
            await self.send({"type": "websocket.close", "code": 1009})  # message too big for this server
            self.inbox.put_nowait(None)
            return
        self.inbox.put_nowait(data)

    async def websocket_disconnect(self, message: dict) -> None:
        self.inbox.put_nowait(None)
        if self.task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.task), 5)
            except (TimeoutError, Exception):  # noqa: BLE001 - the session ends either way
                self.task.cancel()
        raise StopConsumer()


class _Link:
    """wire.Link over the consumer: messages in from its inbox, out through Channels' send."""

    def __init__(self, consumer: StreamConsumer) -> None:
        self.consumer = consumer
        self.gone = False

    async def recv(self) -> bytes | str | None:
        if self.gone:
            return None
        item = await self.consumer.inbox.get()
        if item is None:
            self.gone = True
            return None
        self.consumer.queued -= len(item)
        return item

    async def send(self, data: bytes | str) -> None:
        if self.gone:
            return
        key = "bytes" if isinstance(data, bytes) else "text"
        await self.consumer.send({"type": "websocket.send", key: data})


def _take_slot(cluster_pk: int) -> None:
    if not _sessions.take(cluster_pk, MAX_SESSIONS_PER_CLUSTER, MAX_SESSIONS):
        raise slots_full()


def _release_slot(cluster_pk: int) -> None:
    _sessions.release(cluster_pk)


# -- the same paths over plain HTTP (client-go's SPDY fallback) ------------------------------------------
def http_target(parts: list[str]) -> tuple[str, str, str] | None:
    """(namespace, name, subresource) when an /api path names a streaming subresource."""
    if (
        len(parts) == 7
        and parts[:3] == ["api", "v1", "namespaces"]
        and parts[4] == "pods"
        and parts[6] in location.SUBRESOURCES
    ):
        return parts[3], parts[5], parts[6]
    return None


def serve_http(request: HttpRequest, cluster: Cluster, namespace: str, name: str, subresource: str) -> HttpResponse:
    """A streaming subresource reached without a websocket: the upgrade's checks, then why it cannot go on."""
    if request.method not in ("GET", "POST"):
        raise StatusError.method_not_allowed()
    api = APIServer(cluster, client=(request.headers.get("User-Agent", "").split("/")[0].strip() or "client"))
    stream = location.parse(subresource, namespace, name, request.META.get("QUERY_STRING", ""))
    pod, container = location.locate(api, stream)
    if subresource != "portforward" and not location.running(api, pod, container):
        return HttpResponse(f'container not found ("{container}")', status=500, content_type="text/plain")
    if "spdy" in request.headers.get("Upgrade", "").lower():
        raise StatusError.bad_request(
            f"kubeclass serves pods/{subresource} over WebSockets only (the protocol kubectl 1.31+ uses by "
            f"default), not SPDY/3.1: unset {SPDY_HINT[subresource]} or set it to true"
        )
    raise StatusError.bad_request("Upgrade request required")
