"""The watch stream: `?watch=1` as newline-delimited JSON watch events.

kube-apiserver keeps a watch open and writes `{"type": "ADDED", "object": …}`
per change. kubeclass polls its etcd-like history (APIServer.watch_batch)
every 0.2 s from an async iterator, so a Daphne worker holds many watches
without a thread each; every database read goes through sync_to_async.

As upstream: resourceVersion "" or "0" starts with synthetic ADDED events of
the current objects; a compacted resourceVersion is an ERROR event carrying
the 410 Status; BOOKMARK events come when asked for (allowWatchBookmarks), once
a minute and just before the watch times out; Table watches (kubectl get -w)
carry column definitions on the first event only.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import AsyncIterator

from asgiref.sync import sync_to_async

from cluster.apiserver import printers
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import ResourceType
from cluster.apiserver.server import APIServer

POLL_SECONDS = 0.2
DEFAULT_TIMEOUT_SECONDS = 1800
MAX_TIMEOUT_SECONDS = 3600
BOOKMARK_EVERY_SECONDS = 60.0
BOOKMARK_BEFORE_DEADLINE_SECONDS = 2.0


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
    headers_sent: bool = field(default=False)


def timeout_from(value: str | None) -> float:
    if not value:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = int(value)
    except ValueError:
        raise StatusError.bad_request(f'invalid value for timeoutSeconds: "{value}"') from None
    return float(min(max(seconds, 0), MAX_TIMEOUT_SECONDS)) or DEFAULT_TIMEOUT_SECONDS


def start_revision(resource_version: str) -> int | None:
    """None: start from the current state with synthetic ADDED events."""
    if resource_version in ("", "0"):
        return None
    if not resource_version.isdigit():
        raise StatusError.bad_request(f'invalid resource version "{resource_version}"')
    return int(resource_version)


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


def _batch(req: WatchRequest, since: int) -> tuple[list[bytes], int]:
    api = APIServer(req.cluster, client=req.client)
    events, resume = api.watch_batch(req.rt, req.namespace, since, req.label_selector, req.field_selector)
    return [_line(e.type, _shape(req, api, e.object)) for e in events], resume


def _bookmark(req: WatchRequest, revision: int) -> bytes:
    meta = {"resourceVersion": str(revision)}
    if req.table:
        return _line("BOOKMARK", {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                                  "columnDefinitions": None, "rows": None})
    return _line("BOOKMARK", {"kind": req.rt.kind, "apiVersion": req.rt.api_version, "metadata": meta})


async def stream(req: WatchRequest, since: int | None) -> AsyncIterator[bytes]:
    """Watch events until the timeout, the client leaving, or an error event."""
    deadline = time.monotonic() + req.timeout_seconds
    try:
        if since is None:
            lines, since = await sync_to_async(_initial)(req)
            for line in lines:
                yield line
        last_bookmark = time.monotonic()
        deadline_bookmark_sent = False
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
