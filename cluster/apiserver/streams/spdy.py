"""SPDY/3.1 framing, the server's half: what `kubectl port-forward` speaks inside its websocket tunnel.

kubectl 1.31+ dials port-forwards with client-go's tunneling dialer
(tools/portforward/tunneling_dialer.go): a websocket with the subprotocol
`SPDY/3.1+portforward.k8s.io` whose binary messages carry, as one byte stream, a
SPDY/3.1 connection (k8s.io/apimachinery/pkg/util/httpstream/spdy over
moby/spdystream, which frames with golang.org/x/net/spdy). This module parses and
writes those frames:

- control frames: `1 | version(15) = 3 | type(16) | flags(8) | length(24) | data`
  (SYN_STREAM 1, SYN_REPLY 2, RST_STREAM 3, SETTINGS 4, PING 6, GOAWAY 7, HEADERS 8,
  WINDOW_UPDATE 9);
- data frames: `0 | stream id(31) | flags(8) | length(24) | data`, FLAG_FIN 0x01;
- header blocks: `count(32)` then `len(32) name len(32) value` pairs, names lower case,
  compressed with one zlib stream per direction primed with the SPDY/3 dictionary
  (flushed with Z_SYNC_FLUSH after each block).

Simplified: no flow control (spdystream neither sends nor honours WINDOW_UPDATE), no
server push, priorities are read and ignored.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
RST_PROTOCOL_ERROR, RST_REFUSED_STREAM, RST_CANCEL = 1, 3, 5
MAX_FRAME_BYTES = 1 << 24  # the 24-bit length field's limit
MAX_HEADER_BLOCK_BYTES = 64 * 1024  # a port-forward stream's headers are a few dozen bytes

# The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1):
# length-prefixed lower-case header names and values, then a run of common value fragments.
_WORDS = [
    "options",
    "head",
    "post",
    "put",
    "delete",
    "trace",
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "connection",
    "content-base",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-md5",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "pragma",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "retry-after",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "vary",
    "via",
    "warning",
    "www-authenticate",
    "method",
    "get",
    "status",
    "200 OK",
    "version",
    "HTTP/1.1",
    "url",
    "public",
    "set-cookie",
    "keep-alive",
    "origin",
]
_TAIL = (
    b"100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    b"203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    b"403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    b"Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    b"chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    b"text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)


def _dictionary() -> bytes:
    return b"".join(struct.pack(">I", len(w)) + w.encode() for w in _WORDS) + _TAIL


DICTIONARY = _dictionary()


class ProtocolError(Exception):
    """The peer sent something that is not SPDY/3.1: the connection is torn down."""


@dataclass
class Frame:
    """One parsed frame. `kind` is a control type, or 0 for a data frame."""

    kind: int
    flags: int = 0
    stream_id: int = 0
    data: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0  # RST_STREAM and GOAWAY
    ping_id: int = 0

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


class Framer:
    """A server's end of one SPDY connection: feed it bytes, get frames; ask it for bytes to send."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.inflate = zlib.decompressobj(zdict=DICTIONARY)
        self.deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)

    # -- reading --------------------------------------------------------------------------------
    def feed(self, data: bytes) -> list[Frame]:
        """Every complete frame in what has arrived so far (a frame may span websocket messages)."""
        self.buffer += data
        frames = []
        while len(self.buffer) >= 8:
            first, flags_length = struct.unpack(">II", self.buffer[:8])
            length = flags_length & 0xFFFFFF
            if len(self.buffer) < 8 + length:
                break
            payload = bytes(self.buffer[8 : 8 + length])
            del self.buffer[: 8 + length]
            flags = flags_length >> 24
            if first & 0x80000000:
                if (first >> 16) & 0x7FFF != VERSION:
                    raise ProtocolError(f"unsupported SPDY version {(first >> 16) & 0x7FFF}")
                frames.append(self._control(first & 0xFFFF, flags, payload))
            else:
                frames.append(Frame(0, flags, first & 0x7FFFFFFF, payload))
        return frames

    def _control(self, kind: int, flags: int, payload: bytes) -> Frame:
        try:
            if kind == SYN_STREAM:
                stream_id = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
                return Frame(kind, flags, stream_id, headers=self._headers(payload[10:]))
            if kind in (SYN_REPLY, HEADERS):
                stream_id = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
                return Frame(kind, flags, stream_id, headers=self._headers(payload[4:]))
            if kind in (RST_STREAM, GOAWAY):
                stream_id, status = struct.unpack(">II", payload[:8])
                return Frame(kind, flags, stream_id & 0x7FFFFFFF, status=status)
            if kind == PING:
                return Frame(kind, flags, ping_id=struct.unpack(">I", payload[:4])[0])
            if kind == WINDOW_UPDATE:
                return Frame(kind, flags, struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF)
        except (struct.error, zlib.error) as err:
            raise ProtocolError(f"malformed control frame {kind}: {err}") from None
        return Frame(kind, flags)  # SETTINGS and anything newer: read and ignored

    def _headers(self, block: bytes) -> dict[str, str]:
        raw = self.inflate.decompress(block, MAX_HEADER_BLOCK_BYTES)
        if self.inflate.unconsumed_tail:
            raise ProtocolError("header block too large")
        count, pos, headers = struct.unpack(">I", raw[:4])[0], 4, {}
        for _ in range(count):
            size = struct.unpack(">I", raw[pos : pos + 4])[0]
            name = raw[pos + 4 : pos + 4 + size].decode("latin-1").lower()
            pos += 4 + size
            size = struct.unpack(">I", raw[pos : pos + 4])[0]
            headers[name] = raw[pos + 4 : pos + 4 + size].decode("latin-1").split("\x00")[0]
            pos += 4 + size
        return headers

    # -- writing --------------------------------------------------------------------------------
    def syn_reply(self, stream_id: int, headers: dict[str, str] | None = None, fin: bool = False) -> bytes:
        pairs = sorted((headers or {}).items())
        block = struct.pack(">I", len(pairs)) + b"".join(
            struct.pack(">I", len(k)) + k.lower().encode("latin-1") + struct.pack(">I", len(v)) + v.encode("latin-1")
            for k, v in pairs
        )
        compressed = self.deflate.compress(block) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        return self._control_frame(SYN_REPLY, FLAG_FIN if fin else 0, struct.pack(">I", stream_id) + compressed)

    def data(self, stream_id: int, data: bytes, fin: bool = False) -> bytes:
        return struct.pack(">II", stream_id & 0x7FFFFFFF, ((FLAG_FIN if fin else 0) << 24) | len(data)) + data

    def rst_stream(self, stream_id: int, status: int = RST_CANCEL) -> bytes:
        return self._control_frame(RST_STREAM, 0, struct.pack(">II", stream_id, status))

    def ping(self, ping_id: int) -> bytes:
        return self._control_frame(PING, 0, struct.pack(">I", ping_id))

    def goaway(self, last_stream_id: int) -> bytes:
        return self._control_frame(GOAWAY, 0, struct.pack(">II", last_stream_id, 0))

    @staticmethod
    def _control_frame(kind: int, flags: int, payload: bytes) -> bytes:
        return struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(payload)) + payload
