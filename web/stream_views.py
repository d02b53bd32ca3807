"""The page terminal's watching commands (`get -w`, `rollout status`), streamed as they print.

An async view, so a watch holds no worker thread of its own in Daphne while it
waits; the command itself runs in a thread of its own (web/terminal.py) and
stops when the page stops reading.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.views.decorators.http import require_POST

from web import terminal
from web.access import cluster_and_role


@require_POST
async def kubectl_stream(request: HttpRequest, cluster: str) -> HttpResponseBase:
    target, _role = await sync_to_async(cluster_and_role)(request, cluster, True)
    line = request.POST.get("command", "")
    argv, problem = terminal.parse(line.strip()[: terminal.MAX_COMMAND_CHARS])
    if problem or not terminal.streams(argv):
        return HttpResponse("this command does not stream", status=400)
    response = StreamingHttpResponse(terminal.stream(target, argv), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
