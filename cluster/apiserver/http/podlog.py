"""`GET …/pods/NAME/log`: the pods/log subresource over HTTP, plain text, streamed with `follow=true`.

kube-apiserver answers with the kubelet's text (Content-Type text/plain); with
`follow` it keeps the response open and writes each new line as the container
prints it, until the container stops or the client leaves — like a watch, it is
served from an async iterator so a Daphne worker holds it without a thread.
The reading itself is cluster/kubelet_logs.py.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from cluster.apiserver.http.request_info import RequestInfo
from cluster.apiserver.server import APIServer
from cluster.kubelet_logs import FOLLOW_POLL_SECONDS, Follower, options_from_query, read

TEXT = "text/plain"
MAX_FOLLOW_SECONDS = 3600


def serve(request: HttpRequest, api: APIServer, info: RequestInfo) -> HttpResponseBase:
    opts = options_from_query(request.GET.dict(), info.name)
    namespace = info.namespace or "default"
    if not opts.follow:
        return HttpResponse(read(api, namespace, info.name, opts), content_type=TEXT)
    follower = Follower(api, namespace, info.name, opts)
    first = follower.first()  # errors (no such pod, container waiting) are a Status, before the stream starts
    response = StreamingHttpResponse(_stream(follower, first), content_type=TEXT)
    response["Cache-Control"] = "no-cache, private"
    return response


async def _stream(follower: Follower, first: str) -> AsyncIterator[bytes]:
    if first:
        yield first.encode()
    waited = 0.0
    while not follower.done and waited < MAX_FOLLOW_SECONDS:
        await asyncio.sleep(FOLLOW_POLL_SECONDS)
        waited += FOLLOW_POLL_SECONDS
        text = await sync_to_async(follower.poll)()
        if text:
            yield text.encode()
