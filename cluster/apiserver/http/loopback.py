"""An HTTP request to the API from inside the server: kube-apiserver's loopback client, without a socket.

kube-apiserver's own in-process clients reach it through a loopback client
configuration with a token of their own. kubeclass's kubectl does the same for
what only the HTTP face answers (`kubectl get --raw /healthz`): the request is
built with Django's RequestFactory, carries the cluster's bearer token, and is
served by the very views the API port serves (resolved against the API's URL
patterns only — never the dashboard's pages), so the answer is the API's own
status, headers and bytes. A streaming answer (a watch) is handed over chunk
by chunk until it ends, the caller's stop event is set or its time is up.

Loopback requests are marked so the "which outside clients have called"
record (clients.py) does not count kubeclass's own kubectl.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from dataclasses import dataclass
from typing import AsyncGenerator, Callable, cast
from urllib.parse import urlsplit

from asgiref.sync import async_to_sync
from django.http import HttpResponseBase, StreamingHttpResponse
from django.test import RequestFactory
from django.urls import URLResolver, include, path, re_path
from django.urls.resolvers import RegexPattern, URLPattern

from cluster.apiserver.http import urls as api_urls
from cluster.apiserver.http import views
from cluster.models import Cluster


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes  # empty for a streaming answer: its chunks went to on_chunk


@functools.lru_cache(maxsize=1)
def resolver() -> URLResolver:
    """The API's paths as the API port routes them: the root, `/k8s/<cluster>/…`, and a 404 Status for the rest."""
    patterns: list[URLPattern | URLResolver] = [
        *api_urls.root_urlpatterns,
        path("", views.index),
        path("k8s/<slug:cluster>/", include(api_urls)),
        re_path(r"^(?P<path>.*)$", views.not_found),
    ]
    return URLResolver(RegexPattern(r"^/"), patterns)


def request_path(uri: str) -> str:
    """What client-go's Request.RequestURI keeps of a URI: its path and query."""
    parts = urlsplit(uri)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def get(
    cluster: Cluster,
    uri: str,
    user_agent: str,
    on_chunk: Callable[[bytes], None] | None = None,
    stop: threading.Event | None = None,
    max_seconds: float = 30.0,
) -> Answer:
    """GET `uri` from the cluster's API with its own token."""
    target = request_path(uri)
    request = RequestFactory().get(
        target,
        headers={
            "Authorization": f"Bearer {cluster.token}",
            "User-Agent": user_agent,
            "Accept": "application/json, */*",
        },
    )
    setattr(request, views.LOOPBACK_ATTRIBUTE, True)
    match = resolver().resolve(request.path_info)
    response: HttpResponseBase = match.func(request, *match.args, **match.kwargs)
    content_type = response.get("Content-Type", "")
    if not response.streaming:
        return Answer(response.status_code, content_type, response.content)  # type: ignore[attr-defined]
    deadline = time.monotonic() + max_seconds
    streaming = cast(StreamingHttpResponse, response)  # what `streaming` means
    async_to_sync(_drain)(streaming, on_chunk or (lambda _chunk: None), stop or threading.Event(), deadline)
    return Answer(response.status_code, content_type, b"")


async def _drain(
    response: StreamingHttpResponse, on_chunk: Callable[[bytes], None], stop: threading.Event, deadline: float
) -> None:
    """Hand over each chunk of a streaming response until it ends, `stop` is set or the deadline passes."""
    chunks = cast(AsyncGenerator[bytes, None], aiter(response))  # Django's __aiter__ is an async generator
    pending: asyncio.Future | None = None
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            if pending is None:
                pending = asyncio.ensure_future(anext(chunks))
            done, _ = await asyncio.wait({pending}, timeout=0.2)
            if not done:
                continue
            try:
                chunk = pending.result()
            except StopAsyncIteration:
                pending = None
                return
            pending = None
            if chunk:
                on_chunk(bytes(chunk))
    finally:
        if pending is not None:
            pending.cancel()
            try:
                await pending
            except (asyncio.CancelledError, StopAsyncIteration):
                pass
        await chunks.aclose()
