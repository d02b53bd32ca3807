"""The Kubernetes API's requests on a fixed pool of threads that keep their database connections.

Django's ASGI handler (the plain path, and still the one for every page of the
dashboard) serves each request in a thread of its own: asgiref's
ThreadSensitiveContext starts one per request, each connects to the database
afresh and closes again at request_finished, and the sync middleware are
adapted to the async chain one hop at a time. For kubectl's small, frequent
requests that costs more than the API work: `GET /livez` took 5.5 ms where
Daphne answers an ASGI hello in 0.6 ms over the same TLS (bench/http_api.py).

`PooledAPI` serves the API's paths (cluster/apiserver/http/urls.py) with the
same Django: the request is read and parsed exactly as the ASGI handler does
(its read_body and create_request), then the same middleware and views run
through Django's synchronous handler in one of KUBECLASS_API_THREADS pool
threads, launched through sync_to_async so async_to_sync inside a view (the
dashboards' notifications) still reaches this event loop. A pool thread keeps
its connection while it is usable, so a worker holds at most that many
connections for the API, and on SQLite leaves WAL checkpoints to a thread of
their own (web/walcheckpoint.py). A streaming response (a watch, `logs -f`) is sent
as the ASGI handler sends it: in a ThreadSensitiveContext of its own, until it
ends or the client goes away. tests/test_apipool.py checks that both paths give
the same answers.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Awaitable, Callable, Mapping

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.http import HttpResponseBase
from django.urls import set_script_prefix

from cluster.apiserver.http.ratelimit import API_PREFIXES  # the API's paths, one list for all
from web.walcheckpoint import Checkpointer, mark_pool_thread

Receive = Callable[[], Awaitable[dict]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]


def is_api_path(path: str) -> bool:
    """A path the API's views answer (`/` is shared with the home page, so it stays on the plain path)."""
    return path.startswith(API_PREFIXES)


class PooledAPI:
    """ASGI: the API's HTTP requests on the pool; everything else to `fallback`, Django's ASGI handler."""

    def __init__(self, fallback: ASGIHandler, threads: int | None = None) -> None:
        self.fallback = fallback
        self.threads = threads or settings.KUBECLASS_API_THREADS
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="api", initializer=mark_pool_thread)
        self.checkpointer = Checkpointer()
        self.handler = BaseHandler()
        self.handler.load_middleware(is_async=False)
        # One adapter for every request (it is reentrant, as a decorated function is): building it
        # inspects `respond` and copies its metadata, 4 µs a request for nothing.
        self._respond_in_pool = sync_to_async(self.respond, thread_sensitive=False, executor=self.pool)

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope["path"]):
            await self.fallback(scope, receive, send)
            return
        try:
            body_file = await self.fallback.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self._respond_in_pool(scope, body_file)
        finally:
            body_file.close()
        if response.streaming:
            await self._stream(response, receive, send)
        else:
            await self.fallback.send_response(response, send)

    def respond(self, scope: dict, body_file: IO[bytes]) -> HttpResponseBase:
        """In a pool thread: the request parsed as the ASGI handler parses it, answered by the sync chain."""
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.fallback.create_request(scope, body_file)
        if request is None:
            assert error_response is not None  # create_request gives one or the other
            return error_response
        try:
            response = self.handler.get_response(request)
        finally:
            _tidy_connections()
            self.checkpointer.after_request()
        response._handler_class = type(self)  # type: ignore[attr-defined]
        return response

    def close(self) -> None:
        """Close every pool thread's database connections, then stop the threads. A pool thread keeps its
        connections between requests, so nothing else closes them before the process ends (a test's
        PostgreSQL database cannot be dropped while they are open)."""
        everyone = threading.Barrier(self.threads)

        def close_here() -> None:
            try:
                everyone.wait(timeout=10)  # holds each task on a thread of its own, so every thread gets one
            except threading.BrokenBarrierError:
                pass
            connections.close_all()

        for done in [self.pool.submit(close_here) for _ in range(self.threads)]:
            done.result()
        self.pool.shutdown(wait=True)

    async def _stream(self, response: HttpResponseBase, receive: Receive, send: Send) -> None:
        """Send a streaming response as ASGIHandler.handle does: stop when the client disconnects."""
        async with ThreadSensitiveContext():
            sending = asyncio.create_task(self.fallback.send_response(response, send))
            listening = asyncio.create_task(self.fallback.listen_for_disconnect(receive))
            await asyncio.wait([sending, listening], return_when=asyncio.FIRST_COMPLETED)
            for task in (listening, sending):
                if not task.done():
                    task.cancel()
                await _settled(task)
            await sync_to_async(response.close)()


async def _settled(task: asyncio.Task[Any]) -> None:
    try:
        await task
    except (asyncio.CancelledError, RequestAborted):
        pass


def _tidy_connections() -> None:
    """What request_finished does for a thread's connections, without their age: a pool thread keeps its
    connection unless it is broken or a transaction was left open (which must not reach the next request)."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.in_atomic_block:
            conn.close()
            continue
        conn.close_at = None  # the pool bounds the connections, not CONN_MAX_AGE
        conn.close_if_unusable_or_obsolete()
