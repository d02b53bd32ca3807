"""Following the teacher back in time: what a student's page is told and can fetch.

The teacher's page says which step it shows; the server relays it to the students
and remembers it, so a student who joins or reconnects while the teacher looks at
an earlier step shows that step too. A page opens with the newest steps only, so
a student who joined late fetches the older ones (GET /c/<cluster>/steps).
"""

from __future__ import annotations

import json
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from cluster.apiserver.server import APIServer
from cluster.models import StepEvent
from web.asgi import application
from web.models import Classroom
from tests.test_web_access import socket_headers

pytestmark = pytest.mark.django_db(transaction=True)


def start_class() -> tuple[Client, Client, Classroom]:
    teacher, student = Client(), Client()
    teacher.get("/")
    response = teacher.post("/classes/new", {"lesson": "rolling-update"})
    code = response["Location"].rstrip("/").split("/")[-2]
    assert student.post("/join", {"code": code, "name": "Ada"}).status_code == 302
    return teacher, student, Classroom.objects.select_related("cluster").get(code=code)


async def teacher_view_on_connect(client: Client, code: str) -> tuple[str, str]:
    """The step and revision a student's page is told to show when it opens the class socket."""
    socket = WebsocketCommunicator(application, f"/ws/classes/{code}/", headers=socket_headers(client))
    assert (await socket.connect())[0]
    html = ""
    while 'id="teacher-view"' not in html:
        html += await socket.receive_from(timeout=5)
    await socket.disconnect()
    found = re.search(r'id="teacher-view" hx-swap-oob="true" data-seq="(\d+)" data-revision="(\d+)"', html)
    return found.group(1), found.group(2)


async def test_a_student_who_joins_while_the_teacher_looks_back_is_told_the_step():
    teacher, student, found = await sync_to_async(start_class)()
    desk = WebsocketCommunicator(application, f"/ws/classes/{found.code}/", headers=socket_headers(teacher))
    assert (await desk.connect())[0]
    await desk.receive_from(timeout=5)  # the desk itself
    assert await teacher_view_on_connect(student, found.code) == ("0", "0")  # live

    await desk.send_json_to({"type": "view", "seq": 7, "revision": 3})
    await desk.receive_nothing(timeout=0.2)  # the teacher is not told its own view back
    assert await teacher_view_on_connect(student, found.code) == ("7", "3")

    await desk.send_json_to({"type": "view", "seq": 0, "revision": 0})  # back to live, or a reloaded page
    await desk.receive_nothing(timeout=0.2)
    assert await teacher_view_on_connect(student, found.code) == ("0", "0")
    await desk.disconnect()


@pytest.mark.parametrize(
    "message, told",
    [
        ({"type": "view", "seq": -5, "revision": -1}, ("0", "0")),
        ({"type": "view", "seq": 10**30, "revision": 2}, (str(2**63 - 1), "2")),
        ({"type": "view", "seq": "x", "revision": 2}, ("9", "9")),  # ignored: the last good view stays
        ({"type": "view", "seq": 1e400, "revision": 2}, ("9", "9")),
        ({"type": "other", "seq": 4}, ("9", "9")),
        ([1, 2], ("9", "9")),
    ],
)
async def test_a_malformed_view_from_the_teacher_changes_nothing_or_is_clamped(message, told):
    teacher, student, found = await sync_to_async(start_class)()
    desk = WebsocketCommunicator(application, f"/ws/classes/{found.code}/", headers=socket_headers(teacher))
    assert (await desk.connect())[0]
    await desk.receive_from(timeout=5)
    await desk.send_json_to({"type": "view", "seq": 9, "revision": 9})
    await desk.send_to(text_data=json.dumps(message))
    await desk.receive_nothing(timeout=0.2)
    assert await teacher_view_on_connect(student, found.code) == told
    await desk.disconnect()


async def test_a_student_cannot_set_the_view_for_the_class():
    teacher, student, found = await sync_to_async(start_class)()
    socket = WebsocketCommunicator(application, f"/ws/classes/{found.code}/", headers=socket_headers(student))
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "view", "seq": 5, "revision": 5})
    await socket.receive_from(timeout=5)
    await socket.disconnect()
    assert await teacher_view_on_connect(student, found.code) == ("0", "0")


def steps_in(html: str) -> list[int]:
    return [int(seq) for seq in re.findall(r'<li data-seq="(\d+)"', html)]


@pytest.mark.parametrize(
    "query, status",
    [("", 400), ("?from=x", 400), ("?from=1&before=y", 400), ("?from=1", 200), ("?from=1&before=3", 200)],
)
def test_the_earlier_steps_take_numbers(query, status):
    _, student, found = start_class()
    assert student.get(f"/c/{found.cluster.name}/steps{query}").status_code == status


def test_a_student_fetches_the_steps_older_than_the_ones_the_page_shows():
    _, student, found = start_class()
    api = APIServer(found.cluster, client="kubectl")
    for name in ("a", "b", "c"):
        api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
    seqs = list(StepEvent.objects.filter(cluster=found.cluster).order_by("seq").values_list("seq", flat=True))
    first, before = seqs[-8], seqs[-2]
    response = student.get(f"/c/{found.cluster.name}/steps?from={first}&before={before}")
    html = response.content.decode()
    assert response.status_code == 200 and 'hx-swap-oob="beforeend"' in html  # below what the page shows
    assert steps_in(html) == sorted((s for s in seqs if first <= s < before), reverse=True)  # newest first
    assert 'data-sent-at=""' in html  # not new: the page does not time them as pushed steps


def test_someone_outside_the_class_cannot_fetch_its_steps():
    _, _, found = start_class()
    stranger = Client()
    stranger.get("/")
    assert stranger.get(f"/c/{found.cluster.name}/steps?from=1").status_code in (403, 404)
