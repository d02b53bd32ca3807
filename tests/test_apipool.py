"""The API's pool (web/apipool.py) answers exactly as Django's ASGI handler, its plain path, does.

Each request goes once through `PooledAPI` and once straight to Django's ASGI
handler, in this process; status, headers and body must be the same. Writes
are made in pairs on two names and compared with the name and what the store
assigns (uid, resourceVersion) set aside.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application
from django.db import connection, connections
from django.db.backends.signals import connection_created

from cluster.bootstrap import create_cluster
from web.apipool import PooledAPI, is_api_path
from web.walcheckpoint import Checkpointer

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def call(app: object, method: str, path: str, token: str, body: dict | None = None, query: str = "") -> Answer:
    # A fixed Audit-ID is echoed by both paths; without one each answer would carry a fresh UUID.
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode()), (b"audit-id", b"seam")]
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        content_type = b"application/merge-patch+json" if method == "PATCH" else b"application/json"
        headers += [(b"content-type", content_type), (b"content-length", str(len(data)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 6443),
    }

    async def run() -> Answer:
        communicator = ApplicationCommunicator(app, scope)
        await communicator.send_input({"type": "http.request", "body": data})
        start = await communicator.receive_output(10)
        chunks = []
        while True:
            message = await communicator.receive_output(10)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await communicator.wait(10)
        return start["status"], sorted(start["headers"]), b"".join(chunks)

    return asyncio.run(run())


def without_assigned(answer: Answer, name: str) -> Answer:
    """The answer with what differs between two writes of different names set aside."""
    status, headers, body = answer
    obj = json.loads(body)
    meta = obj.get("metadata", {})
    for field in ("uid", "resourceVersion", "creationTimestamp"):
        meta.pop(field, None)
    obj.get("details", {}).pop("uid", None)  # a delete's Status names the object's uid
    for entry in meta.get("managedFields", []):
        entry.pop("time", None)
    text = json.dumps(obj, sort_keys=True).replace(name, "NAME")
    return status, [h for h in headers if h[0].lower() != b"content-length"], text.encode()


@pytest.fixture
def apps() -> Iterator[tuple[PooledAPI, object]]:
    plain = get_asgi_application()
    pooled = PooledAPI(plain, threads=2)
    yield pooled, plain
    pooled.close()


@pytest.mark.django_db(transaction=True)
def test_the_pool_answers_every_kind_of_request_as_the_plain_path_does(apps: tuple[object, object]) -> None:
    pooled, plain = apps
    cluster = create_cluster("pooled", nodes=1, seed=5, frozen_at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    token = cluster.token
    cms = "/api/v1/namespaces/default/configmaps"
    reads = [
        ("GET", "/version", None, ""),
        ("GET", "/livez", None, "verbose"),
        ("GET", "/api", None, ""),
        ("GET", "/apis/apps/v1", None, ""),
        ("GET", "/api/v1/namespaces/default/pods", None, "limit=2"),
        ("GET", cms + "/missing", None, ""),
        ("DELETE", "/version", None, ""),
        ("POST", cms, {"metadata": {"name": "Bad_Name"}}, ""),
        ("GET", "/k8s/pooled/api/v1/nodes", None, ""),
    ]
    for method, path, body, query in reads:
        assert call(pooled, method, path, token, body, query) == call(plain, method, path, token, body, query), path
    # A wrong token: the same 401 on both, whatever the path.
    assert call(pooled, "GET", "/api/v1/pods", "wrong") == call(plain, "GET", "/api/v1/pods", "wrong")
    # Writes, in pairs: a create, a merge patch, a delete.
    for verb in ("create", "patch", "delete"):
        answers = []
        for app, name in ((pooled, "via-pool"), (plain, "via-plain")):
            if verb == "create":
                answer = call(app, "POST", cms, token, {"metadata": {"name": name}, "data": {"a": "1"}})
            elif verb == "patch":
                answer = call(app, "PATCH", f"{cms}/{name}", token, {"data": {"b": "2"}})
            else:
                answer = call(app, "DELETE", f"{cms}/{name}", token)
            answers.append(without_assigned(answer, name))
        assert answers[0] == answers[1], verb
        assert answers[0][0] in (200, 201), answers[0]
    # A watch streams on both, and ends when its timeout does.
    watch = call(
        pooled, "GET", "/api/v1/namespaces/kube-system/serviceaccounts", token, query="watch=1&timeoutSeconds=1"
    )
    assert watch == call(
        plain, "GET", "/api/v1/namespaces/kube-system/serviceaccounts", token, query="watch=1&timeoutSeconds=1"
    )
    assert watch[0] == 200 and watch[2].count(b'"type":"ADDED"') >= 1


@pytest.mark.django_db(transaction=True)
def test_a_pool_thread_keeps_its_database_connection_between_requests(apps: tuple[object, object]) -> None:
    """Observable where Django really closes (PostgreSQL, as .ci/run runs the suite with DB_CONN_MAX_AGE=0):
    the test's in-memory SQLite ignores every close, so there the count is the same either way."""
    pooled, _plain = apps
    cluster = create_cluster("kept", nodes=1, seed=5)
    connected: list[int] = []

    def created(sender: object, connection: object, **kwargs: object) -> None:
        if threading.current_thread().name.startswith("api"):
            connected.append(threading.get_ident())

    connection_created.connect(created)
    try:
        for _ in range(6):
            assert call(pooled, "GET", "/livez", cluster.token)[0] == 200
    finally:
        connection_created.disconnect(created)
    assert len(connected) <= 2, connected  # one per pool thread, not one per request


@pytest.mark.parametrize(
    ("path", "pooled"),
    [
        ("/api/v1/pods", True),
        ("/apis/apps/v1", True),
        ("/version", True),
        ("/livez/ping", True),
        ("/openapi/v2", True),
        ("/k8s/demo/api/v1/pods", True),
        ("/", False),
        ("/c/demo/", False),
        ("/lessons/", False),
        ("/static/app.css", False),
    ],
)
def test_only_the_apis_paths_take_the_pool(path: str, pooled: bool) -> None:
    assert is_api_path(path) is pooled


def autocheckpoint(run: Callable[[Callable[[], int]], int]) -> int:
    def read() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            return cursor.fetchone()[0]

    return run(read)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite setting: PostgreSQL has no WAL checkpoints to move")
@pytest.mark.django_db(transaction=True)
def test_the_pools_sqlite_connections_leave_wal_checkpoints_to_a_thread_of_their_own(
    apps: tuple[PooledAPI, object],
) -> None:
    pooled, _plain = apps
    in_pool = autocheckpoint(lambda read: pooled.pool.submit(read).result())
    with ThreadPoolExecutor(1) as elsewhere:  # any other thread: the reconciler's, the dashboard's
        outside = autocheckpoint(lambda read: elsewhere.submit(read).result())
    assert (in_pool, outside) == (0, 1000)


def test_the_checkpointer_runs_at_most_once_a_second_of_requests() -> None:
    now = [0.0]
    checkpointer = Checkpointer(interval=1.0, clock=lambda: now[0], enabled=True)
    ran: list[str] = []
    checkpointer.checkpoint = lambda: ran.append("checkpoint")  # type: ignore[method-assign]
    last_run = []
    for moment in (100.0, 100.2, 100.9, 101.0, 101.5, 103.0):
        now[0] = moment
        checkpointer.after_request()
        last_run.append(checkpointer.last)
    checkpointer.executor.shutdown(wait=True)
    assert last_run == [100.0, 100.0, 100.0, 101.0, 101.0, 103.0]
    assert len(ran) == 3


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="Django never closes the tests' in-memory SQLite: closing would drop it"
)
@pytest.mark.django_db(transaction=True)
def test_closing_the_pool_closes_every_threads_connection() -> None:
    pooled = PooledAPI(get_asgi_application(), threads=2)
    both_busy = threading.Barrier(2)

    def connect() -> object:
        both_busy.wait(timeout=10)  # two tasks at once: one on each thread
        here = connections["default"]  # this thread's own wrapper
        with here.cursor() as cursor:
            cursor.execute("SELECT 1")
        return here

    wrappers = [future.result() for future in [pooled.pool.submit(connect) for _ in range(2)]]
    assert len({id(w) for w in wrappers}) == 2
    assert all(w.connection is not None for w in wrappers)  # a pool thread keeps its connection
    pooled.close()
    assert all(w.connection is None for w in wrappers)
