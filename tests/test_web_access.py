"""Sandboxes in the browser: each visitor's cluster is theirs alone, over HTTP and websocket."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from cluster.models import Cluster
from web.asgi import application
from web.consumers import FIRST_STEPS


def socket_headers(client: Client) -> list[tuple[bytes, bytes]]:
    """What the client's browser sends when its page opens a websocket: the host, the page's origin, its cookie."""
    return [
        (b"host", b"127.0.0.1:8000"),
        (b"origin", b"http://127.0.0.1:8000"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]


def new_sandbox(client: Client) -> Cluster:
    client.get("/")
    response = client.post("/sandboxes/new")
    assert response.status_code == 302
    return Cluster.objects.get(name=response["Location"].strip("/").split("/")[-1])


@pytest.mark.django_db
def test_a_visitor_gets_a_sandbox_of_their_own_without_an_account():
    client = Client()
    cluster = new_sandbox(client)
    page = client.get(f"/c/{cluster.name}/")
    assert page.status_code == 200
    assert b"kube-apiserver" in page.content and b"worker-1" in page.content
    assert cluster.name.encode() in client.get("/").content


@pytest.mark.django_db
def test_another_visitor_cannot_open_or_drive_someone_elses_sandbox():
    owner, stranger = Client(), Client()
    cluster = new_sandbox(owner)
    stranger.get("/")
    assert stranger.get(f"/c/{cluster.name}/").status_code == 404
    assert stranger.post(f"/c/{cluster.name}/kubectl", {"command": "kubectl get pods"}).status_code == 404
    assert stranger.get(f"/c/{cluster.name}/panel/pods").status_code == 404
    assert stranger.get(f"/c/{cluster.name}/kubeconfig").status_code == 404


@pytest.mark.django_db
def test_the_cluster_token_opens_a_shared_cluster_for_the_class(cluster):
    student = Client()
    assert student.get(f"/c/{cluster.name}/").status_code == 404
    assert student.get(f"/c/{cluster.name}/?token=wrong").status_code == 404
    assert student.get(f"/c/{cluster.name}/?token={cluster.token}").status_code == 200
    assert student.get(f"/c/{cluster.name}/").status_code == 200  # remembered in the session


@pytest.mark.django_db
def test_csrf_stays_on_for_the_terminal():
    client = Client(enforce_csrf_checks=True)
    client.get("/")
    cluster = Cluster.objects.create(name="csrf", owner_session=client.session.session_key)
    response = client.post(f"/c/{cluster.name}/kubectl", {"command": "kubectl get pods"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_kubeconfig_download_points_at_this_cluster_with_its_token():
    client = Client()
    cluster = new_sandbox(client)
    config = yaml.safe_load(client.get(f"/c/{cluster.name}/kubeconfig").content)
    # the API's root, as for a real cluster: the token is what chooses this cluster there
    assert config["clusters"][0]["cluster"]["server"] == settings.KUBECLASS_API_URL.rstrip("/")
    assert config["users"][0]["user"]["token"] == cluster.token


async def _connect(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[bool, object]:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected, communicator


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_refuses_other_sessions_and_foreign_origins():
    from asgiref.sync import sync_to_async

    owner = Client()
    cluster = await sync_to_async(new_sandbox)(owner)
    cookie = f"sessionid={owner.cookies['sessionid'].value}".encode()
    path = f"/ws/c/{cluster.name}/"
    good_origin = (b"origin", b"http://127.0.0.1:8000")
    host = (b"host", b"127.0.0.1:8000")
    assert (await _connect(path, [host, good_origin, (b"cookie", cookie)]))[0] is True
    assert (await _connect(path, [host, good_origin, (b"cookie", b"sessionid=somebody-else")]))[0] is False
    assert (await _connect(path, [host, (b"origin", b"http://evil.example"), (b"cookie", cookie)]))[0] is False


@pytest.mark.django_db(transaction=True)
async def test_a_reconnecting_page_gets_every_step_after_the_last_one_it_saw():
    from asgiref.sync import sync_to_async

    from cluster.apiserver.server import APIServer
    from cluster.models import StepEvent

    owner = Client()
    cluster = await sync_to_async(new_sandbox)(owner)
    headers = socket_headers(owner)
    api = await sync_to_async(APIServer)(cluster, "kubectl")
    await sync_to_async(api.create)(
        "configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "seen"}}
    )
    seen = await sync_to_async(lambda: max(StepEvent.objects.filter(cluster=cluster).values_list("seq", flat=True)))()
    await sync_to_async(api.create)(
        "configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "missed"}}
    )
    communicator = WebsocketCommunicator(application, f"/ws/c/{cluster.name}/", headers=headers)
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"type": "resync", "last_seq": seen})
    html = ""
    while "configmaps/default/missed" not in html:
        html += await communicator.receive_from(timeout=5)
    await communicator.disconnect()
    steps = html[: html.index("</ol>")] if "</ol>" in html else html
    assert "configmaps/default/missed" in steps and "configmaps/default/seen" not in steps


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("quiet_seconds, heartbeat_steps_at_least", [(60, 36), (600, 600)])
async def test_a_page_opened_on_a_quiet_cluster_shows_what_last_happened_not_only_heartbeats(
    quiet_seconds, heartbeat_steps_at_least
):
    """A cluster left alone writes little but its nodes' heartbeats, which the page hides: a page opened a minute
    or ten later still starts with the last steps a person would look for."""
    from asgiref.sync import sync_to_async

    from cluster import clock
    from cluster.apiserver.server import APIServer
    from cluster.models import StepEvent
    from cluster.reconciler.driver import ClusterDriver

    owner = Client()
    cluster = await sync_to_async(new_sandbox)(owner)
    await sync_to_async(clock.set_speed)(cluster, 0.0)
    await sync_to_async(lambda: ClusterDriver(cluster).fast_forward())()  # the new sandbox settles
    api = await sync_to_async(APIServer)(cluster, "kubectl")
    await sync_to_async(api.create)(
        "configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "before-the-quiet"}}
    )
    created = await sync_to_async(lambda: StepEvent.objects.filter(cluster=cluster).order_by("-seq")[0].seq)()
    await sync_to_async(lambda: ClusterDriver(cluster).fast_forward(seconds=quiet_seconds))()
    newest = await sync_to_async(lambda: StepEvent.objects.filter(cluster=cluster).order_by("-seq")[0].seq)()
    assert newest - created > heartbeat_steps_at_least
    page = WebsocketCommunicator(application, f"/ws/c/{cluster.name}/", headers=socket_headers(owner))
    assert (await page.connect())[0]
    await page.send_json_to({"type": "resync", "last_seq": 0})
    first = await page.receive_from(timeout=5)
    await page.disconnect()
    assert "configmaps/default/before-the-quiet" in first
    assert first.count("<li") == FIRST_STEPS and "leases/" not in first
    assert f'data-seq="{newest}"' not in first  # the newest step is a heartbeat, left out of the snapshot


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "action, value, shown", [("step-mode", "on", 'data-mode="step"'), ("speed", "4", 'data-speed="4.0"')]
)
async def test_every_page_of_a_cluster_hears_a_change_of_its_controls(action, value, shown):
    """Step mode and pause stop the cluster's writes: the change itself must reach the pages, not wait for one."""
    from asgiref.sync import sync_to_async

    owner = Client()
    cluster = await sync_to_async(new_sandbox)(owner)
    headers = socket_headers(owner)
    csrf = await sync_to_async(lambda: owner.get(f"/c/{cluster.name}/").cookies["csrftoken"].value)()
    await sync_to_async(lambda: Cluster.objects.filter(pk=cluster.pk).update(speed=0))()  # no writes
    page = WebsocketCommunicator(application, f"/ws/c/{cluster.name}/", headers=headers)
    assert (await page.connect())[0]
    await page.send_json_to({"type": "resync", "last_seq": 0})
    html = ""
    while 'id="cluster-mode"' not in html:
        html += await page.receive_from(timeout=5)
    response = await sync_to_async(owner.post)(
        f"/c/{cluster.name}/control", {"action": action, "value": value}, HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 200
    pushed = ""
    while shown not in pushed:
        pushed += await page.receive_from(timeout=5)
    await page.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_change_announced_on_another_thread_reaches_the_page_at_once():
    """The reconciler announces its writes from threads of its own. The in-memory layer's queues belong to the loop
    that serves the page, and an asyncio queue is not thread-safe: a message put from another thread waited for
    that loop's next wake-up (Daphne's: within a second; this test's: never)."""
    import threading
    import time

    from asgiref.sync import sync_to_async

    from cluster import notify

    owner = Client()
    cluster = await sync_to_async(new_sandbox)(owner)
    headers = socket_headers(owner)
    page = WebsocketCommunicator(application, f"/ws/c/{cluster.name}/", headers=headers)
    assert (await page.connect())[0]
    await page.send_json_to({"type": "resync", "last_seq": 0})
    await page.receive_from(timeout=5)
    await sync_to_async(lambda: Cluster.objects.filter(pk=cluster.pk).update(speed=3))()
    message = {"type": "cluster.changed", "at": time.time()}
    announcer = threading.Thread(target=notify.publish, args=(notify.group_name(cluster.pk), message))
    announcer.start()  # not awaited: nothing else may wake this loop
    html = ""
    while 'data-speed="3.0"' not in html:
        html += await page.receive_from(timeout=3)
    announcer.join()
    await page.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_first_request_names_the_loop_that_other_threads_notify_through():
    """Before any page's socket connected, a notification from the API's pool or the reconciler ran a new event
    loop in a new thread, each time: the application now names its loop on its first call, of any kind."""
    from asgiref.testing import ApplicationCommunicator

    from cluster import notify

    notify.deliver_on(None)  # as a process starts: no loop named yet
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/livez",
        "raw_path": b"/livez",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "scheme": "https",
        "server": ("127.0.0.1", 6443),
        "client": ("127.0.0.1", 50000),
    }
    call = ApplicationCommunicator(application, scope)
    await call.send_input({"type": "http.request", "body": b""})
    answer = await call.receive_output(5)
    assert answer["status"] == 401  # no token: the API answers, and the loop is named all the same
    assert notify.serving_loop() is asyncio.get_running_loop()
    await call.wait(5)


@pytest.mark.django_db(transaction=True)
async def test_a_sandbox_takes_a_bounded_number_of_pages_at_once(monkeypatch):
    """Every open page is sent every change: a script cannot open thousands of them on its sandbox."""
    from asgiref.sync import sync_to_async

    from web import consumers

    monkeypatch.setattr(consumers, "SOCKETS_PER_CLUSTER", 2)
    owner = Client()
    cluster = await sync_to_async(new_sandbox)(owner)
    pages = [WebsocketCommunicator(application, f"/ws/c/{cluster.name}/", headers=socket_headers(owner)) for _ in "abc"]
    assert (await pages[0].connect())[0] and (await pages[1].connect())[0]
    refused, code = await pages[2].connect()
    assert (refused, code) == (False, 4429)
    await pages[0].disconnect()
    again = WebsocketCommunicator(application, f"/ws/c/{cluster.name}/", headers=socket_headers(owner))
    assert (await again.connect())[0]  # a page that closed made room
    await again.disconnect()
    await pages[1].disconnect()
    assert cluster.pk not in consumers._sockets
