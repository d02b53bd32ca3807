"""`GET /api/v1/namespaces/NS/pods/NAME/log`: kube-apiserver's pods/log, served by the node's kubelet.

kube-apiserver validates the PodLogOptions and the container name
(pkg/registry/core/pod/strategy.go LogLocation: with one container it is the
default, with several one must be named) and proxies to the kubelet of the pod's
node; a pod not yet scheduled has no log at all (an empty answer). The kubelet picks
the container instance from the pod's status (kubelet_pods.go
validateContainerLogStatus: the running one, the last terminated one, or with
`previous` the one before) and reads its log (cluster/container/logs.py), each
error in the kubelet's words as a 400 BadRequest.

`follow` streams new lines until the container instance ends; the in-process
kubectl and the HTTP view both use `follow_chunks`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from cluster.apiserver.errors import StatusError, field_error
from cluster.apiserver.server import APIServer
from cluster.container import logs, pods, programs_banners, programs_http
from cluster.kubelet_probes import FIELDS, times

FOLLOW_POLL_SECONDS = 0.5


@dataclass
class LogOptions:
    container: str = ""
    follow: bool = False
    previous: bool = False
    since_seconds: int | None = None
    since_time: str | None = None
    timestamps: bool = False
    tail_lines: int | None = None
    limit_bytes: int | None = None


def invalid(name: str, causes: list[dict]) -> StatusError:
    """422 Invalid for PodLogOptions, as ValidatePodLogOptions reports it."""
    return StatusError.invalid("PodLogOptions", "", name, causes)


def options_from_query(query: dict[str, str], name: str) -> LogOptions:
    """PodLogOptions from the query string (400 for a value that is not a number or a boolean)."""

    def number(key: str) -> int | None:
        value = query.get(key)
        if value in (None, ""):
            return None
        try:
            return int(value)
        except ValueError:
            raise StatusError.bad_request(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None

    def flag(key: str) -> bool:
        return str(query.get(key, "")).lower() in ("1", "true", "t")

    opts = LogOptions(
        container=query.get("container", ""),
        follow=flag("follow"),
        previous=flag("previous"),
        since_seconds=number("sinceSeconds"),
        since_time=query.get("sinceTime") or None,
        timestamps=flag("timestamps"),
        tail_lines=number("tailLines"),
        limit_bytes=number("limitBytes"),
    )
    validate(opts, name)
    return opts


def validate(opts: LogOptions, name: str) -> None:
    causes = []
    if opts.tail_lines is not None and opts.tail_lines < 0:
        causes.append(field_error("invalid", "tailLines", "must be greater than or equal to 0", opts.tail_lines))
    if opts.limit_bytes is not None and opts.limit_bytes < 1:
        causes.append(field_error("invalid", "limitBytes", "must be greater than 0", opts.limit_bytes))
    if opts.since_seconds is not None and opts.since_time is not None:
        causes.append(field_error("forbidden", "", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
    elif opts.since_seconds is not None and opts.since_seconds < 1:
        causes.append(field_error("invalid", "sinceSeconds", "must be greater than 0", opts.since_seconds))
    if causes:
        raise invalid(name, causes)


# -- which container, which instance ----------------------------------------------------------------
def choose_container(pod: dict, container: str) -> str:
    names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    every = [c["name"] for c in pods.pod_containers(pod)]  # VisitContainers: init, containers, ephemeral
    name = pod["metadata"]["name"]
    if container:
        if container not in every:
            raise StatusError.bad_request(f"container {container} is not valid for pod {name}")
        return container
    if len(names) == 1:
        return names[0]
    if not names:
        raise StatusError.bad_request(f"a container name must be specified for pod {name}")
    raise StatusError.bad_request(
        f"a container name must be specified for pod {name}, choose one of: [{' '.join(every)}]"
    )


def container_id(pod: dict, container: str, previous: bool) -> str:
    """The containerd ID whose log is wanted, or the kubelet's 400 saying why there is none."""
    status = next(
        (
            s
            for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")
            for s in (pod.get("status") or {}).get(key) or []
            if s["name"] == container
        ),
        None,
    )
    name = pod["metadata"]["name"]
    if status is None:
        raise StatusError.bad_request(f'container "{container}" in pod "{name}" is waiting to start - no logs yet')
    state, last = status.get("state") or {}, (status.get("lastState") or {}).get("terminated")
    if previous:
        if not last or not last.get("containerID"):
            raise StatusError.bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
        return last["containerID"]
    if state.get("running"):
        return status.get("containerID", "")
    if state.get("terminated"):
        if state["terminated"].get("containerID"):
            return state["terminated"]["containerID"]
        if last and last.get("containerID"):
            return last["containerID"]
        raise StatusError.bad_request(f'container "{container}" in pod "{name}" is terminated')
    if last:
        if not last.get("containerID"):
            raise StatusError.bad_request(f'container "{container}" in pod "{name}" is terminated')
        return last["containerID"]
    reason = (state.get("waiting") or {}).get("reason", "")
    words = {"ErrImagePull": "image can't be pulled", "ImagePullBackOff": "trying and failing to pull image"}
    if state.get("waiting"):
        raise StatusError.bad_request(
            f'container "{container}" in pod "{name}" is waiting to start: {words.get(reason, reason)}'
        )
    raise StatusError.bad_request(f'container "{container}" in pod "{name}" is waiting to start - no logs yet')


# -- the lines -----------------------------------------------------------------------------------------
@dataclass
class Instance:
    """One container instance's log, as far as the runtime still knows it."""

    key: str
    started: float
    finished: float | None
    banners: list
    signal: dict | None
    server: dict | None
    record: dict | None  # the live record (the current instance), for what its process printed since


def find_instance(api: APIServer, pod: dict, container: str, wanted: str) -> Instance | None:
    node = (pod.get("spec") or {}).get("nodeName", "")
    data = pods.node_data(api.cluster, node) if node else {}
    record = (data.get("containers") or {}).get(f"{pod['metadata']['uid']}/{container}")
    if record is None:
        return None
    if f"containerd://{record['id']}" == wanted and record.get("proc") is not None:
        return current_instance(record)
    last = record.get("last") or {}
    if f"containerd://{last.get('id')}" == wanted and last.get("log"):
        summary = last["log"]
        return Instance(
            summary.get("key") or last.get("key", ""),
            pods.moment(summary.get("startedAt")),
            pods.moment(summary.get("finishedAt")),
            summary.get("banners", []),
            summary.get("signal"),
            summary.get("server"),
            None,
        )
    return None


def current_instance(record: dict) -> Instance | None:
    """The log of the instance a runtime record describes now (None before its process started)."""
    proc = record.get("proc")
    if proc is None:
        return None
    main = next((b for b in (proc.get("listen") or {}).values() if b.get("name") == proc.get("pid1")), None)
    return Instance(
        record.get("key", ""),
        float(record.get("t0") or pods.moment(record.get("startedAt"))),
        pods.moment(record["finishedAt"]) if record.get("finishedAt") else None,
        proc.get("banners", []),
        record.get("signal"),
        main,
        record,
    )


def instance_lines(api: APIServer, pod: dict, spec: dict, instance: Instance, now: float) -> list[list]:
    banners = [
        [t, logs.STREAMS[s], text, 0]
        for at, name, args in instance.banners
        for t, s, text in programs_banners.banner_lines(name, args, at)
    ]
    stored = logs.stored(api.cluster, instance.key)
    fresh: list[list] = []
    if instance.record is not None and instance.record.get("state") == "running":
        records = _pod_records(api, pod)
        runs = pods.run_pod(api, pod, records, now, dry=True, node=None)
        if spec["name"] in runs:
            fresh = logs.split(runs[spec["name"]].output)
    end = instance.finished if instance.finished is not None else now
    stopped: list[list] = []
    signal = instance.signal
    if signal and instance.server and int(float(signal["at"])) <= end:  # finishedAt keeps whole seconds
        stopped = [
            [t, logs.STREAMS[s], text, 0]
            for t, s, text in programs_banners.stop_lines(
                instance.server.get("name", ""),
                instance.server.get("args") or {},
                float(signal["at"]),
                signal.get("name", "SIGTERM"),
            )
        ]
    probed = probe_lines(spec, pod, instance, end)
    return logs.merge(banners, stored, fresh, probed, stopped)


def _pod_records(api: APIServer, pod: dict) -> dict[str, dict]:
    node = (pod.get("spec") or {}).get("nodeName", "")
    data = pods.node_data(api.cluster, node) if node else {}
    uid = pod["metadata"]["uid"]
    return {
        c["name"]: data["containers"][f"{uid}/{c['name']}"]
        for c in pods.pod_containers(pod)
        if f"{uid}/{c['name']}" in (data.get("containers") or {})
    }


def probe_lines(spec: dict, pod: dict, instance: Instance, end: float) -> list[list]:
    """The access-log lines the kubelet's HTTP probes leave in a server's log, one per period."""
    server = instance.server
    if not server:
        return []
    ip = (pod.get("status") or {}).get("podIP", "")
    client = ip.rsplit(".", 1)[0] + ".1" if ip else ""
    lines: list[list] = []
    for field in FIELDS.values():
        get = (spec.get(field) or {}).get("httpGet")
        if not get:
            continue
        path = get.get("path") or "/"
        for at in times(spec[field], instance.started, instance.started - 1e-6, end)[-logs.MAX_LINES :]:
            line = programs_http.access_line(
                server, at, client, path, 200, _probe_size(server), programs_http.PROBE_AGENT
            )
            if line is not None:
                lines.append([at, logs.STREAMS[line[0]], line[1], 0])
    return lines


def _probe_size(server: dict) -> int:
    return 615 if server.get("name") == "nginx" else 45 if server.get("name") == "httpd" else 0


# -- reading ---------------------------------------------------------------------------------------------
def read_lines(api: APIServer, pod: dict, opts: LogOptions) -> tuple[list[list], Instance | None]:
    container = choose_container(pod, opts.container)
    if not (pod.get("spec") or {}).get("nodeName"):
        return [], None
    wanted = container_id(pod, container, opts.previous)
    instance = find_instance(api, pod, container, wanted)
    if instance is None:
        return [], None
    spec = next(c for c in pods.pod_containers(pod) if c["name"] == container)
    return instance_lines(api, pod, spec, instance, api.now().timestamp()), instance


def since_moment(api: APIServer, opts: LogOptions) -> float | None:
    if opts.since_seconds is not None:
        return api.now().timestamp() - opts.since_seconds
    if opts.since_time:
        return dt.datetime.fromisoformat(opts.since_time.replace("Z", "+00:00")).timestamp()
    return None


def read(api: APIServer, namespace: str, name: str, opts: LogOptions) -> str:
    """The log as the kubelet answers it (without following)."""
    pod = api.get("pods", namespace, name)
    lines, _ = read_lines(api, pod, opts)
    lines = logs.select(lines, opts.tail_lines, since_moment(api, opts))
    return logs.render(lines, opts.timestamps, opts.limit_bytes)


class Follower:
    """`follow=true`: the log, then each new line as it comes, until the container instance ends.

    `raw` (an attach): what the process prints as it prints it, the rest of an unfinished line included
    (`OK!OK!OK!` from a loop that never prints a newline); a log follower waits for the line's end, as
    containerd writes a line to the log file when it ends (or at 16 KiB)."""

    def __init__(self, api: APIServer, namespace: str, name: str, opts: LogOptions, raw: bool = False) -> None:
        self.api, self.namespace, self.name, self.opts = api, namespace, name, opts
        self.instance: Instance | None = None
        self.seen = 0
        self.sent = 0
        self.done = False
        self.raw = raw
        self.open_sent: int | None = None  # raw: characters of the unfinished last line already sent

    def first(self) -> str:
        pod = self.api.get("pods", self.namespace, self.name)
        lines, self.instance = read_lines(self.api, pod, self.opts)
        self.seen = len(lines)
        shown = logs.select(lines, self.opts.tail_lines, since_moment(self.api, self.opts))
        text = logs.render(shown, self.opts.timestamps, self.opts.limit_bytes)
        if self.raw and lines and lines[-1][3]:  # what was printed before the attach is not streamed
            self.open_sent = len(lines[-1][2])
        self.sent = len(text.encode())
        self.done = self.instance is None or self.instance.record is None or self._spent()
        return text

    def poll(self) -> str:
        """New lines since the last call ('' if none); sets `done` when the instance has ended."""
        try:
            pod = self.api.get("pods", self.namespace, self.name)
            lines, current = read_lines(self.api, pod, self.opts)
        except StatusError:
            self.done = True
            return ""
        if current is None or self.instance is None or current.key != self.instance.key:
            self.done = True
            return ""
        budget = None if self.opts.limit_bytes is None else max(0, self.opts.limit_bytes - self.sent)
        text = self._rest_of_open_line(lines) if self.raw else ""
        fresh, self.seen = lines[self.seen :], len(lines)
        text += logs.render(fresh, self.opts.timestamps, budget)
        if self.raw:
            self.open_sent = len(lines[-1][2]) if lines and lines[-1][3] else None
        self.sent += len(text.encode())
        self.done = current.record is None or current.record.get("state") != "running" or self._spent()
        return text

    def _spent(self) -> bool:
        return self.opts.limit_bytes is not None and self.sent >= self.opts.limit_bytes

    def _rest_of_open_line(self, lines: list[list]) -> str:
        """What the line left unfinished at the last poll printed since, and its end if it has one (merged log
        lines keep an unfinished line last, so it is the last one seen)."""
        if self.open_sent is None or not 0 < self.seen <= len(lines):
            return ""
        _, _, body, partial = lines[self.seen - 1]
        return body[self.open_sent :] + ("" if partial else "\n")


def follow_chunks(
    api: APIServer,
    namespace: str,
    name: str,
    opts: LogOptions,
    stop: Callable[[], bool],
    deadline: float,
    raw: bool = False,
) -> Iterator[str]:
    """The in-process kubectl's `logs -f` (`raw`: an attach's stream): chunks of text until the end, `stop()`
    or the deadline."""
    follower = Follower(api, namespace, name, opts, raw=raw)
    yield follower.first()
    while not follower.done and not stop() and time.monotonic() < deadline:
        time.sleep(FOLLOW_POLL_SECONDS)
        text = follower.poll()
        if text:
            yield text
