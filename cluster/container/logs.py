"""Container logs, as the kubelet keeps and serves them (pkg/kubelet/kuberuntime/logs).

containerd writes each line a container prints on stdout or stderr to the pod's log
file with its timestamp and stream; the kubelet serves `GET …/pods/NAME/log` from it:
`tailLines` (the last N lines), then `sinceSeconds`/`sinceTime`, then `limitBytes`,
and with `timestamps` each line prefixed by its RFC 3339 time with nine fractional
digits. The kubelet keeps the log of a container's previous instance (`previous`)
until the one after it starts.

Here a container instance's log is its RuntimeState row (scope `log`, named like
its writable layer) holding `[time, stream, text, partial]` lines, plus what need not
be stored: the start-up lines of the programs it ran (programs_banners.banner_lines), the
access-log lines a served probe produces every period, the lines a server prints
when stopped, and what its process printed since the kubelet last saved it (run on
a copy, cluster/container/pods.py).

Simplified: a log keeps its last MAX_LINES lines (the kubelet rotates at 10 MiB);
`follow` polls twice a second.
"""

from __future__ import annotations

import datetime as dt

from cluster.models import Cluster, RuntimeState

MAX_LINES = 1000
MAX_LINE = 16 * 1024  # containerd splits longer lines (CRI partial lines)
STREAMS = {"stdout": "o", "stderr": "e"}


def split(entries: list) -> list[list]:
    """Output chunks -> log lines [time, "o"|"e", text, partial]."""
    lines: list[list] = []
    for t, stream, text in entries:
        code = STREAMS.get(stream, stream)
        pieces = text.split("\n")
        for piece in pieces[:-1]:
            lines.append([t, code, piece[:MAX_LINE], 0])
        if pieces[-1]:
            lines.append([t, code, pieces[-1][:MAX_LINE], 1])
    return lines


def append(cluster: Cluster, key: str, entries: list) -> None:
    """Add output to a container instance's stored log, keeping the last MAX_LINES lines."""
    lines = split(entries)
    if not lines:
        return
    row, _ = RuntimeState.objects.get_or_create(
        cluster=cluster, scope="log", name=key, defaults={"data": {"lines": [], "dropped": 0}}
    )
    stored = row.data.get("lines", []) + lines
    dropped = row.data.get("dropped", 0) + max(0, len(stored) - MAX_LINES)
    row.data = {"lines": stored[-MAX_LINES:], "dropped": dropped}
    row.save(update_fields=["data"])


def stored(cluster: Cluster, key: str) -> list[list]:
    data = RuntimeState.objects.filter(cluster=cluster, scope="log", name=key).values_list("data", flat=True).first()
    return list((data or {}).get("lines", []))


def forget(cluster: Cluster, keys: list[str] | None = None, prefix: str = "") -> None:
    """The kubelet's container GC: a removed container's log, or all of a removed pod's."""
    rows = RuntimeState.objects.filter(cluster=cluster, scope__in=("log", "rootfs"))
    if keys is not None:
        rows.filter(name__in=keys).delete()
    if prefix:
        rows.filter(name__startswith=prefix).delete()


def merge(*sources: list[list]) -> list[list]:
    """Lines of every source in time order (stable), partial lines joined to the line they continue."""
    ordered = sorted((line for source in sources for line in source), key=lambda line: line[0])
    joined: list[list] = []
    open_line: dict[str, list] = {}
    for t, stream, text, partial in ordered:
        pending = open_line.pop(stream, None)
        if pending is not None:
            pending[2] += text
            pending[3] = partial
            if partial:
                open_line[stream] = pending
            continue
        line = [t, stream, text, partial]
        joined.append(line)
        if partial:
            open_line[stream] = line
    return joined


def stamp(t: float) -> str:
    """RFC 3339 with nine fractional digits, as `kubectl logs --timestamps` prints it."""
    moment = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


def select(lines: list[list], tail: int | None = None, since: float | None = None) -> list[list]:
    """tailLines first, then sinceSeconds/sinceTime, as the kubelet reads the file."""
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    if since is not None:
        lines = [line for line in lines if line[0] >= since]
    return lines


def render(lines: list[list], timestamps: bool = False, limit_bytes: int | None = None) -> str:
    text = "".join(
        (f"{stamp(t)} " if timestamps else "") + body + ("" if partial else "\n") for t, _, body, partial in lines
    )
    if limit_bytes is not None:
        text = text.encode()[:limit_bytes].decode("utf-8", "ignore")
    return text
