"""remotecommand's websocket channels: the framing `kubectl exec` and `attach` speak, and their Status.

Upstream: k8s.io/apimachinery/pkg/util/httpstream/wsstream (conn.go) and
pkg/util/remotecommand (constants.go), client-go/tools/remotecommand/websocket.go.
Every websocket message is one channel byte then data: 0 stdin, 1 stdout, 2 stderr,
3 error (the final metav1.Status), 4 resize (`{"Width":…,"Height":…}` JSON). The
base64 protocols send text messages instead, the channel as an ASCII digit and the
data base64-encoded (for browsers). `v5.channel.k8s.io` adds the CLOSE signal
`[255, channel]`: the client says its stdin ended, which is how `kubectl exec -i`
and `kubectl cp` mark the end of what they send. On v4 and v5 the error channel
carries a metav1.Status (`Success`, or `Failure` with reason `NonZeroExitCode` and
an `ExitCode` cause); on the older `channel.k8s.io` it carries plain text.

kube-apiserver 1.30+ answers v5 itself (its StreamTranslator, proxying to the
kubelet over SPDY); v4 and older go straight to the kubelet's websocket server.
The two word an exit code differently, and kubeclass follows each.
"""

from __future__ import annotations

import base64
import json
from typing import Protocol

STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
CLOSE = 255
V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
V4_BASE64 = "v4.base64.channel.k8s.io"
V1 = "channel.k8s.io"
V1_BASE64 = "base64.channel.k8s.io"
REMOTECOMMAND_PROTOCOLS = (V5, V4, V4_BASE64, V1, V1_BASE64)  # the server's preference, best first
MAX_MESSAGE_BYTES = 32 * 1024  # client-go's websocket buffers are 32 KiB (+1 KiB for the channel byte)


class Link(Protocol):
    """The websocket as a session sees it (cluster/apiserver/http/streaming.py implements it)."""

    async def recv(self) -> bytes | str | None:
        """The next message from the client; None once the client has gone."""

    async def send(self, data: bytes | str) -> None:
        """One message to the client (bytes: binary, str: text)."""


class ChannelCodec:
    """The framing of one negotiated remotecommand protocol."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        self.base64 = "base64" in protocol
        self.version = 5 if protocol.startswith("v5.") else 4 if protocol.startswith("v4.") else 1
        self.close_signal = self.version >= 5

    def frames(self, channel: int, data: bytes) -> list[bytes | str]:
        """`data` on `channel`, split into messages a client's buffers take; one empty message for b''."""
        pieces = [data[i : i + MAX_MESSAGE_BYTES] for i in range(0, len(data), MAX_MESSAGE_BYTES)] or [b""]
        if self.base64:
            return [str(channel) + base64.b64encode(p).decode() for p in pieces]
        return [bytes([channel]) + p for p in pieces]

    def decode(self, message: bytes | str) -> tuple[int, bytes, bool]:
        """(channel, data, closed): `closed` for v5's CLOSE signal, which names its channel in `channel`.
        Channel -1 for a message that says nothing (empty)."""
        if isinstance(message, str) and not self.base64:
            message = message.encode("utf-8", "surrogateescape")  # a text frame (the Python client's str stdin)
        if not message:
            return -1, b"", False
        if self.base64:
            text = message if isinstance(message, str) else message.decode("latin-1")
            channel = ord(text[0]) - ord("0")
            try:
                return channel, base64.b64decode(text[1:]), False
            except ValueError:
                return -1, b"", False
        raw = message if isinstance(message, bytes) else message.encode("latin-1")
        if self.close_signal and raw[0] == CLOSE:
            return (raw[1] if len(raw) > 1 else -1), b"", True
        return raw[0], raw[1:], False

    def status(self, status: dict | str) -> list[bytes | str]:
        """The error channel's last word: a Status as JSON (v4+), or its message as text (v1)."""
        if self.version < 4:
            text = (
                status
                if isinstance(status, str)
                else ("" if status.get("status") == "Success" else status.get("message", ""))
            )
            return self.frames(ERROR, text.encode()) if text else []
        if isinstance(status, str):
            status = internal_error(status)
        return self.frames(ERROR, json.dumps(status, separators=(",", ":")).encode())


def negotiate(offered: list[str], supported: tuple[str, ...]) -> str | None:
    """The first of the server's protocols the client offered (wsstream's negotiation); '' when the client
    offered none (the default channel protocol); None when nothing matches."""
    offered = [p.strip() for p in offered if p.strip()]
    if not offered:
        return ""
    for protocol in supported:
        if protocol in offered:
            return protocol
    return None


# -- the Status that ends a session ----------------------------------------------------------------
def success() -> dict:
    return {"metadata": {}, "status": "Success"}


def exit_code(code: int, command: list[str], translated: bool) -> dict:
    """A non-zero exit, worded as kube-apiserver's StreamTranslator (v5) or the kubelet (v4) words it."""
    if translated:
        message = f"command terminated with non-zero exit code: command terminated with exit code {code}"
    else:
        message = (
            f"command terminated with non-zero exit code: error executing command [{' '.join(command)}], "
            f"exit code {code}"
        )
    return {
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def internal_error(cause: str) -> dict:
    """apierrors.NewInternalError, as the error channel carries it."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"Internal error occurred: {cause}",
        "reason": "InternalError",
        "details": {"causes": [{"message": cause}]},
        "code": 500,
    }
