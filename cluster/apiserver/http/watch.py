"""The watch stream: `?watch=1` as newline-delimited JSON watch events.

kube-apiserver keeps a watch open and writes `{"type": "ADDED", "object": …}`
per change. kubeclass polls its etcd-like history (APIServer.watch_batch)
every 0.2 s from an async iterator, so a Daphne worker holds many watches
without a thread each; every database read goes through sync_to_async.

As upstream (k8s.io/apiserver/pkg/endpoints/handlers/get.go, watch.go and the
cacher):

- The response starts at once: WatchServer.HandleHTTP writes 200 and
  `Transfer-Encoding: chunked` and flushes before the first event. Here the
  stream's first item is an empty chunk, on which Daphne sends the status line
  and headers; without it a client waiting for headers (the informer behind
  `kubectl rollout status` and `kubectl wait` on a settled object, the Python
  client's `Watch.stream`) hangs until something changes.
- `timeoutSeconds` ends the watch after that many seconds, whatever the value
  (negative: at once); absent or 0, the server picks a random time between
  --min-request-timeout (1800 s) and twice that, so watches do not all end
  together (GetTimeoutForWatch).
- resourceVersion "" or "0" starts with synthetic ADDED events of the current
  objects; a compacted resourceVersion is an ERROR event carrying the 410
  Status.
- BOOKMARK events come when asked for (allowWatchBookmarks): once a minute
  while idle and once about 2 s before the watch's deadline — none for a
  watch shorter than that (cacheWatcher.nextBookmarkTime).
- `sendInitialEvents=true` (the WatchList feature, beta and on in 1.32) needs
  `resourceVersionMatch=NotOlderThan` and `allowWatchBookmarks=true`: ADDED
  events for the current state, then a BOOKMARK at its resourceVersion
  annotated `k8s.io/initial-events-end: "true"`, then changes.
  `sendInitialEvents=false` starts after the given (or the current) revision
  with no synthetic events. Other combinations are the 422 Invalid
  ListOptions of ValidateListOptions.
- Table watches (kubectl get -w) carry column definitions on the first event
  only.

Each watch polls the store five times a second, so a cluster may hold
MAX_WATCHES_PER_CLUSTER of them at once and the process MAX_WATCHES; one more is
429 TooManyRequests with Retry-After, which clients retry (kubectl and an informer
hold one or two each; a script that opened thousands would poll the database
thousands of times a second).

Simplified: a resourceVersion newer than the store's is not waited for.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import AsyncIterator

from asgiref.sync import sync_to_async
from django.http import HttpRequest, StreamingHttpResponse

from cluster.apiserver import printers
from cluster.apiserver.errors import StatusError, field_error
from cluster.apiserver.http import codec
from cluster.apiserver.http.ratelimit import Slots, slots_full
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.server import APIServer

POLL_SECONDS = 0.2
MIN_REQUEST_TIMEOUT_SECONDS = 1800  # kube-apiserver's --min-request-timeout default
BOOKMARK_EVERY_SECONDS = 60.0  # the cacher's bookmarkFrequency
BOOKMARK_BEFORE_DEADLINE_SECONDS = 2.0
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
NOT_OLDER_THAN = "NotOlderThan"


@dataclass
class WatchRequest:
    cluster: str
    client: str
    rt: ResourceType
    namespace: str | None
    resource_version: str
    label_selector: str | None
    field_selector: str | None
    timeout_seconds: float
    bookmarks: bool
    table: bool
    include_object: str
    send_initial_events: bool | None = None
    headers_sent: bool = field(default=False)


def timeout_from(value: str | None) -> float:
    """The watch's lifetime in seconds, as GetTimeoutForWatch picks it."""
    seconds = 0
    if value:
        try:
            seconds = int(value)
        except ValueError:
            raise StatusError.bad_request(f'invalid value for timeoutSeconds: "{value}"') from None
    if seconds == 0:
        return MIN_REQUEST_TIMEOUT_SECONDS * (random.random() + 1.0)
    return float(seconds)


def start_revision(resource_version: str) -> int | None:
    """None: start from the current state with synthetic ADDED events."""
    if resource_version in ("", "0"):
        return None
    if not resource_version.isdigit():
        raise StatusError.bad_request(f'invalid resource version "{resource_version}"')
    return int(resource_version)


def _bool_param(request: HttpRequest, name: str) -> bool | None:
    value = request.GET.get(name)
    if value is None:
        return None
    return not (value == "0" or value.lower() == "false")  # Convert_Slice_string_To_bool: anything else is true


def validate_watch_options(send_initial_events: bool | None, match: str, bookmarks: bool) -> None:
    """ValidateListOptions for a watch (k8s.io/apimachinery/pkg/apis/meta/internalversion/validation)."""
    causes = []
    if send_initial_events is not None and match != NOT_OLDER_THAN:
        causes.append(
            field_error(
                "forbidden",
                "resourceVersionMatch",
                f"sendInitialEvents requires setting resourceVersionMatch to {NOT_OLDER_THAN}",
            )
        )
    if match:
        if send_initial_events is None:
            causes.append(
                field_error(
                    "forbidden",
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                )
            )
        if match != NOT_OLDER_THAN:
            causes.append(
                field_error("notsupported", "resourceVersionMatch", f'supported values: "{NOT_OLDER_THAN}"', match)
            )
        # upstream does not require allowWatchBookmarks here: "validating allowWatchBookmarks would break
        # backward compatibility" (apimachinery's internalversion/validation)
    if causes:
        raise StatusError.invalid("ListOptions", "meta.k8s.io", "", causes)


def from_request(
    request: HttpRequest,
    api: APIServer,
    rt: ResourceType,
    namespace: str | None,
    label_selector: str | None,
    field_selector: str | None,
    table: bool,
    include_object: str,
) -> WatchRequest:
    """The watch a request asks for, its options decoded and validated as ListResource does."""
    timeout = timeout_from(request.GET.get("timeoutSeconds"))
    bookmarks = bool(_bool_param(request, "allowWatchBookmarks"))
    send_initial_events = _bool_param(request, "sendInitialEvents")
    validate_watch_options(send_initial_events, request.GET.get("resourceVersionMatch", ""), bookmarks)
    return WatchRequest(
        cluster=api.cluster.name,
        client=api.client,
        rt=rt,
        namespace=namespace,
        resource_version=request.GET.get("resourceVersion", ""),
        label_selector=label_selector,
        field_selector=field_selector,
        timeout_seconds=timeout,
        bookmarks=bookmarks,
        table=table,
        include_object=include_object,
        send_initial_events=send_initial_events,
    )


MAX_WATCHES_PER_CLUSTER = 64
MAX_WATCHES = 2048
_watches = Slots()  # cluster name -> watches open in this process


class WatchSlot:
    """One of a cluster's watch slots, given back once, by whichever comes first: the stream ending (the
    client left) or the server closing the response (one that never started streaming)."""

    def __init__(self, cluster: str) -> None:
        if not _watches.take(cluster, MAX_WATCHES_PER_CLUSTER, MAX_WATCHES):
            raise slots_full()
        self.cluster, self.held = cluster, True
        self.lock = threading.Lock()

    def release(self) -> None:
        with self.lock:
            held, self.held = self.held, False
        if held:
            _watches.release(self.cluster)


class WatchResponse(StreamingHttpResponse):
    """A watch's answer, holding one of its cluster's watch slots."""

    def __init__(self, req: WatchRequest, since: int | None) -> None:
        self.slot = WatchSlot(req.cluster)  # 429 before anything is sent
        super().__init__(_holding(self.slot, stream(req, since)), content_type=codec.JSON)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.slot.release()


async def _holding(slot: WatchSlot, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        slot.release()


def response(req: WatchRequest) -> StreamingHttpResponse:
    """The streaming response; a bad resourceVersion is a 400 and a cluster with all its watches open a 429,
    both before it starts."""
    since = start_revision(req.resource_version)
    answer = WatchResponse(req, since)
    answer["Cache-Control"] = "no-cache, private"
    return answer


def _line(event_type: str, obj: dict) -> bytes:
    return json.dumps({"type": event_type, "object": obj}, separators=(",", ":")).encode() + b"\n"


def _shape(req: WatchRequest, api: APIServer, obj: dict) -> dict:
    """The object as the client asked for it: itself, or a Table of one row."""
    if not req.table:
        return obj
    rv = obj.get("metadata", {}).get("resourceVersion", "")
    table = printers.table(req.rt, [obj], api.now(), rv, req.include_object)
    if req.headers_sent:
        table["columnDefinitions"] = None
    req.headers_sent = True
    return table


def _initial(req: WatchRequest) -> tuple[list[bytes], int]:
    api = APIServer(req.cluster, client=req.client)
    listed = api.list(req.rt, req.namespace, req.label_selector, req.field_selector)
    lines = [_line("ADDED", _shape(req, api, obj)) for obj in listed["items"]]
    return lines, int(listed["metadata"]["resourceVersion"])


def _current(req: WatchRequest) -> int:
    return APIServer(req.cluster, client=req.client).current_revision()


def _batch(req: WatchRequest, since: int) -> tuple[list[bytes], int]:
    api = APIServer(req.cluster, client=req.client)
    events, resume = api.watch_batch(req.rt, req.namespace, since, req.label_selector, req.field_selector)
    return [_line(e.type, _shape(req, api, e.object)) for e in events], resume


def _bookmark(req: WatchRequest, revision: int, initial_events_end: bool = False) -> bytes:
    """A BOOKMARK: an empty object of the watched kind carrying only the revision (and the annotation)."""
    meta: dict = {"resourceVersion": str(revision), "creationTimestamp": None}
    if initial_events_end:
        meta["annotations"] = {INITIAL_EVENTS_END: "true"}
    if req.table:
        return _line(
            "BOOKMARK",
            {
                "kind": "Table",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": meta,
                "columnDefinitions": None,
                "rows": None,
            },
        )
    return _line("BOOKMARK", {"kind": req.rt.kind, "apiVersion": req.rt.api_version, "metadata": meta})


async def _start(req: WatchRequest, since: int | None) -> tuple[list[bytes], int]:
    """The events before the first change, and the revision to watch from."""
    if req.send_initial_events:
        lines, since = await sync_to_async(_initial)(req)  # at least as new as any resourceVersion asked for
        return lines + [_bookmark(req, since, initial_events_end=True)], since
    if req.send_initial_events is False:
        return [], since if since is not None else await sync_to_async(_current)(req)
    if since is None:
        return await sync_to_async(_initial)(req)
    return [], since


async def stream(req: WatchRequest, since: int | None) -> AsyncIterator[bytes]:
    """Watch events until the timeout, the client leaving, or an error event."""
    deadline = time.monotonic() + req.timeout_seconds
    yield b""  # 200 and the headers now (flusher.Flush() in WatchServer.HandleHTTP)
    if req.timeout_seconds < 0:
        return
    try:
        lines, since = await _start(req, since)
        for line in lines:
            yield line
        last_bookmark = time.monotonic()
        # nextBookmarkTime: none before the deadline when it is under 2 s away already (a watch that short)
        deadline_bookmark_sent = deadline - BOOKMARK_BEFORE_DEADLINE_SECONDS < last_bookmark
        while time.monotonic() < deadline:
            lines, since = await sync_to_async(_batch)(req, since)
            for line in lines:
                yield line
            now = time.monotonic()
            if req.bookmarks and not lines:
                due = now - last_bookmark >= BOOKMARK_EVERY_SECONDS
                closing = not deadline_bookmark_sent and deadline - now <= BOOKMARK_BEFORE_DEADLINE_SECONDS
                if due or closing:
                    deadline_bookmark_sent = deadline_bookmark_sent or closing
                    last_bookmark = now
                    yield _bookmark(req, since)
            await asyncio.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))
    except StatusError as err:
        yield _line("ERROR", err.status())
