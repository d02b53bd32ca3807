"""The pieces under the streaming subresources, each on its own: SPDY/3.1 framing, remotecommand's channels,
the terminal's line discipline, and the containers' tar (tests/test_streaming_live.py drives them all with the
real kubectl)."""

from __future__ import annotations

import gzip
import io
import json
import struct
import tarfile
import time
import zlib

from cluster.apiserver.streams import remotecommand, spdy, terminal, wire
from cluster.apiserver.streams.location import parse
from cluster.container import shell
from cluster.container.fs import ContainerFS, Layer
from cluster.registry import image_config

ENC = ("utf-8", "surrogateescape")


# -- SPDY/3.1 ------------------------------------------------------------------------------------------------
def _client_syn_stream(deflate: zlib._Compress, stream_id: int, headers: dict[str, str]) -> bytes:
    """A SYN_STREAM as golang.org/x/net/spdy writes one (client side, its own compression context)."""
    block = struct.pack(">I", len(headers)) + b"".join(
        struct.pack(">I", len(k)) + k.encode() + struct.pack(">I", len(v)) + v.encode() for k, v in headers.items()
    )
    compressed = deflate.compress(block) + deflate.flush(zlib.Z_SYNC_FLUSH)
    payload = struct.pack(">IIBB", stream_id, 0, 0, 0) + compressed
    return struct.pack(">HHI", 0x8003, spdy.SYN_STREAM, len(payload)) + payload


def test_spdy_dictionary_is_the_spdy3_one() -> None:
    import hashlib

    assert len(spdy.DICTIONARY) == 1423
    assert (
        hashlib.sha256(spdy.DICTIONARY).hexdigest()
        == "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02"
    )


def test_spdy_reads_port_forward_streams_split_anywhere() -> None:
    deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, spdy.DICTIONARY)
    wire_bytes = (
        _client_syn_stream(deflate, 1, {"streamtype": "error", "port": "80", "requestid": "0"})
        + _client_syn_stream(deflate, 3, {"streamtype": "data", "port": "80", "requestid": "0"})
        + struct.pack(">II", 3, 5)
        + b"GET /"
        + struct.pack(">II", 1, 0x01 << 24)
        + struct.pack(">HHII", 0x8003, spdy.PING, 4, 7)
    )
    framer = spdy.Framer()
    frames = []
    for i in range(0, len(wire_bytes), 7):  # websocket messages cut frames at arbitrary places
        frames += framer.feed(wire_bytes[i : i + 7])
    assert [(f.kind, f.stream_id) for f in frames] == [
        (spdy.SYN_STREAM, 1),
        (spdy.SYN_STREAM, 3),
        (0, 3),
        (0, 1),
        (spdy.PING, 0),
    ]
    assert frames[1].headers == {"streamtype": "data", "port": "80", "requestid": "0"}
    assert frames[2].data == b"GET /" and not frames[2].fin
    assert frames[3].fin and frames[4].ping_id == 7


def test_spdy_replies_decode_with_the_dictionary() -> None:
    framer = spdy.Framer()
    inflate = zlib.decompressobj(zdict=spdy.DICTIONARY)
    for stream_id in (1, 3):  # one compression context across frames, as the reader keeps one
        reply = framer.syn_reply(stream_id)
        first, flags_length, sid = struct.unpack(">III", reply[:12])
        assert first == (0x8003 << 16) | spdy.SYN_REPLY and sid == stream_id
        assert flags_length & 0xFFFFFF == len(reply) - 8
        assert inflate.decompress(reply[12:]) == b"\0\0\0\0"  # no headers
    assert framer.data(3, b"hi", fin=True) == struct.pack(">II", 3, (1 << 24) | 2) + b"hi"


# -- remotecommand channels ------------------------------------------------------------------------------------
def test_channel_codec_frames_and_the_v5_close_signal() -> None:
    v5 = wire.ChannelCodec(wire.V5)
    assert v5.frames(wire.STDOUT, b"hi") == [b"\x01hi"]
    assert v5.frames(wire.STDOUT, b"") == [b"\x01"]
    assert len(v5.frames(wire.STDOUT, b"x" * (wire.MAX_MESSAGE_BYTES + 1))) == 2
    assert v5.decode(b"\x00data") == (0, b"data", False)
    assert v5.decode(b"\xff\x00") == (0, b"", True)
    assert v5.decode("\x00text") == (0, b"text", False)  # the Python client writes str stdin as text frames
    b64 = wire.ChannelCodec(wire.V4_BASE64)
    assert b64.frames(wire.STDERR, b"hi") == ["2aGk="] and b64.decode("0aGk=") == (0, b"hi", False)
    v1 = wire.ChannelCodec(wire.V1)
    assert v1.status(wire.exit_code(3, ["sh"], translated=False)) == [
        b"\x03" + wire.exit_code(3, ["sh"], False)["message"].encode()
    ]
    assert v1.status(wire.success()) == []


def test_exit_status_is_worded_as_the_translator_or_the_kubelet_words_it() -> None:
    translated = wire.exit_code(3, ["sh", "-c", "exit 3"], translated=True)
    assert translated["message"] == ("command terminated with non-zero exit code: command terminated with exit code 3")
    kubelet = wire.exit_code(3, ["sh", "-c", "exit 3"], translated=False)
    assert kubelet["message"] == (
        "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3"
    )
    assert kubelet["details"] == {"causes": [{"reason": "ExitCode", "message": "3"}]}
    assert json.loads(wire.ChannelCodec(wire.V5).status(wire.success())[0][1:]) == {"metadata": {}, "status": "Success"}


def test_negotiation_and_query() -> None:
    assert wire.negotiate(["v5.channel.k8s.io", "v4.channel.k8s.io"], wire.REMOTECOMMAND_PROTOCOLS) == wire.V5
    assert wire.negotiate([], wire.REMOTECOMMAND_PROTOCOLS) == ""
    assert wire.negotiate(["SPDY/3.1"], wire.REMOTECOMMAND_PROTOCOLS) is None
    request = parse(
        "exec", "default", "web", "command=sh&command=-c&command=echo+a+b&container=c&stdin=true&stdout=true&tty=false"
    )
    assert (request.command, request.container, request.stdin, request.stdout, request.stderr, request.tty) == (
        ("sh", "-c", "echo a b"),
        "c",
        True,
        True,
        False,
        False,
    )
    assert parse("portforward", "default", "web", "ports=80&ports=8080,9090").ports == (80, 8080, 9090)


# -- the terminal -------------------------------------------------------------------------------------------------
def test_line_discipline_echoes_edits_and_ends_lines() -> None:
    keys = terminal.LineDiscipline(tty=True)
    assert keys.feed(b"ls -\x7fx\x1b[A\r") == [
        ("echo", "l"),
        ("echo", "s"),
        ("echo", " "),
        ("echo", "-"),
        ("echo", "\b \b"),
        ("echo", "x"),
        ("echo", "\r\n"),
        ("line", "ls x"),
    ]
    assert keys.feed(b"abc\x03") == [("echo", "a"), ("echo", "b"), ("echo", "c"), ("echo", "^C\r\n"), ("interrupt", "")]
    assert keys.feed(b"\x04") == [("eof", "")]
    piped = terminal.LineDiscipline(tty=False)
    assert piped.feed("echo 한\nech".encode()) == [("line", "echo 한")]
    assert piped.end() == [("line", "ech"), ("eof", "")]
    assert terminal.onlcr("a\nb\r\n") == "a\r\nb\r\n"


def test_which_commands_are_interactive_shells() -> None:
    assert terminal.interactive(["sh"]) and terminal.interactive(["/bin/bash", "-il"])
    assert not terminal.interactive(["sh", "-c", "ls"]) and not terminal.interactive(["sh", "script.sh"])
    assert not terminal.interactive(["cat"])


# -- tar in a container ---------------------------------------------------------------------------------------------
def _host(image: str, files: dict[str, str] | None = None) -> shell.Host:
    fs = ContainerFS(Layer(None, "", "", entries={}), dict(files or {}), [])
    return shell.Host(fs, image_config(image), "web-1", pod_ip="10.244.1.5")


def _tar_bytes(members: dict[str, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_tar_extracts_what_kubectl_cp_sends() -> None:
    host = _host("nginx")
    archive = _tar_bytes({"site": None, "site/index.html": "<h1>안녕</h1>\n".encode(), "site/css/a.css": b"x{}\n"})
    code, out, err = shell.run_instant(host, ["tar", "-xmf", "-", "-C", "/tmp"], {}, 100.0, archive.decode(*ENC))
    assert (code, out, err) == (0, "", "")
    assert host.fs.read("/tmp/site/index.html") == "<h1>안녕</h1>\n"
    assert host.fs.read("/tmp/site/css/a.css") == "x{}\n"


def test_tar_creates_an_archive_of_a_directory() -> None:
    host = _host("nginx", {"/srv/app/a.txt": "A\n", "/srv/app/sub/b.txt": "B\n"})
    code, out, err = shell.run_instant(host, ["tar", "cf", "-", "/srv/app"], {}, 100.0)
    assert (code, err) == (0, "tar: Removing leading `/' from member names\n")
    assert [stream for _, stream, _ in host.out] == ["stderr", "stdout"]  # the notice before the archive
    with tarfile.open(fileobj=io.BytesIO(out.encode(*ENC))) as archive:
        names = archive.getnames()
        assert names == ["srv/app", "srv/app/a.txt", "srv/app/sub", "srv/app/sub/b.txt"]
        member = archive.extractfile("srv/app/sub/b.txt")
        assert member is not None and member.read() == b"B\n"


def test_tar_refuses_as_gnu_and_busybox_tar_do() -> None:
    code, _, err = shell.run_instant(_host("nginx"), ["tar", "cf", "-", "/nope"], {}, 1.0)
    assert code == 2
    assert err == (
        "tar: Removing leading `/' from member names\ntar: /nope: Cannot stat: No such file or "
        "directory\ntar: Exiting with failure status due to previous errors\n"
    )
    code, _, err = shell.run_instant(_host("busybox"), ["tar", "xf", "-"], {}, 1.0, "not a tar archive" * 40)
    assert (code, err) == (1, "tar: invalid tar magic\n")
    binary = _tar_bytes({"blob.bin": b"\xff\xfe\x00\x01"})
    code, _, err = shell.run_instant(_host("nginx"), ["tar", "xf", "-", "-C", "/tmp"], {}, 1.0, binary.decode(*ENC))
    assert code == 2 and "binary contents are not simulated" in err


def test_tar_unpacks_gzip_but_not_a_gzip_bomb() -> None:
    """4 MiB of gzip can hold 4 GiB: `tar xzf -` stops at what the archive may unpack to."""
    host = _host("nginx")
    packed = gzip.compress(_tar_bytes({"note.txt": b"hello\n"}))
    code, out, err = shell.run_instant(host, ["tar", "xzf", "-", "-C", "/tmp"], {}, 1.0, packed.decode(*ENC))
    assert (code, err) == (0, "") and host.fs.read("/tmp/note.txt") == "hello\n"
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 MiB of zeros in about 64 KB
    code, _, err = shell.run_instant(_host("nginx"), ["tar", "xzf", "-"], {}, 1.0, bomb.decode(*ENC))
    assert (code, err) == (2, "tar: archive too large for this simulated container\n")


# -- the websocket's routing and limits -------------------------------------------------------------------------------
def test_stream_paths_and_the_per_cluster_session_limit() -> None:
    import pytest

    from cluster.apiserver.errors import StatusError
    from cluster.apiserver.http import streaming

    match = streaming.STREAM_PATH.match("/k8s/live/api/v1/namespaces/shop/pods/web-1/portforward")
    assert match is not None and (match["cluster"], match["namespace"], match["name"], match["subresource"]) == (
        "live",
        "shop",
        "web-1",
        "portforward",
    )
    root = streaming.STREAM_PATH.match("/api/v1/namespaces/default/pods/web/exec")
    assert root is not None and root["cluster"] is None
    assert streaming.STREAM_PATH.match("/ws/c/demo/") is None
    assert streaming.http_target(["api", "v1", "namespaces", "ns", "pods", "p", "attach"]) == ("ns", "p", "attach")
    assert streaming.http_target(["api", "v1", "namespaces", "ns", "pods", "p", "log"]) is None
    pk = -4242  # no real cluster has it
    for _ in range(streaming.MAX_SESSIONS_PER_CLUSTER):
        streaming._take_slot(pk)
    with pytest.raises(StatusError) as refused:
        streaming._take_slot(pk)
    assert (refused.value.code, refused.value.reason) == (429, "TooManyRequests")
    for _ in range(streaming.MAX_SESSIONS_PER_CLUSTER):
        streaming._release_slot(pk)
    assert pk not in streaming._sessions


async def test_without_the_denial_extension_a_refused_upgrade_is_a_plain_close(transactional_db) -> None:
    from channels.testing import WebsocketCommunicator

    from cluster.apiserver.http.streaming import KubernetesStreams

    async def dashboard(scope: dict, receive, send) -> None:  # noqa: ANN001 - the other websockets' app
        raise AssertionError("a streaming path must not reach the dashboard's stack")

    app = KubernetesStreams(dashboard)
    communicator = WebsocketCommunicator(
        app,
        "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true",
        headers=[(b"host", b"127.0.0.1"), (b"authorization", b"Bearer wrong")],
        subprotocols=["v5.channel.k8s.io"],
    )
    connected, _ = await communicator.connect()
    assert connected is False
    await communicator.wait()


# -- an exec's output ------------------------------------------------------------------------------------------
class _TimedLink:
    def __init__(self) -> None:
        self.sent: list[tuple[float, bytes | str]] = []

    async def recv(self) -> bytes | str | None:
        return None

    async def send(self, data: bytes | str) -> None:
        self.sent.append((time.monotonic(), data))


class _Ran(remotecommand.Context):
    def __init__(self, code: int, written: list[tuple[str, str]]) -> None:
        self.result = (code, written)

    async def call(self, fn, *args):  # noqa: ANN001, ANN201 - stands in for the database round trip
        return self.result


async def _exec(query: str, written: list[tuple[str, str]]) -> list[tuple[float, bytes | str]]:
    link = _TimedLink()
    request = parse("exec", "default", "ticker", query)
    session = remotecommand._Session(link, wire.ChannelCodec("v5.channel.k8s.io"), _Ran(0, written), request, "c")
    await session.exec()
    return link.sent


async def test_tars_notice_on_stderr_leads_its_archive_on_stdout_by_a_moment() -> None:
    # kubectl cp exits once the archive on stdout ends; the notice on stderr, copied by a goroutine of its own,
    # was lost when both came back to back.
    written = [("stderr", "tar: removing leading '/' from member names\n"), ("stdout", "ARCHIVE")]
    sent = await _exec("command=tar&command=cf&command=-&command=/tmp/a&stdout=true&stderr=true", written)
    frames = [(at, bytes(data)) for at, data in sent if isinstance(data, bytes)]
    notice = next(at for at, data in frames if data.startswith(bytes([wire.STDERR, ord("t")])))
    archive = next(at for at, data in frames if data == bytes([wire.STDOUT]) + b"ARCHIVE")
    assert archive - notice >= remotecommand.STREAM_SWITCH_SECONDS
    assert frames[-1][1][0] == wire.ERROR  # the Status comes last


async def test_output_on_one_stream_is_not_held_back() -> None:
    written = [("stdout", "a\n"), ("stdout", "b\n"), ("stderr", "")]
    started = time.monotonic()
    sent = await _exec("command=ls&stdout=true&stderr=true", written)
    assert time.monotonic() - started < remotecommand.STREAM_SWITCH_SECONDS
    assert [data for _, data in sent if isinstance(data, bytes) and data[:1] == bytes([wire.STDOUT])] == [
        bytes([wire.STDOUT]) + b"a\n",
        bytes([wire.STDOUT]) + b"b\n",
    ]
