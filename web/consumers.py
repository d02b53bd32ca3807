"""The websockets: a cluster's steps and state, and a class's changes, pushed as htmx fragments.

Thin by design: a consumer checks what the session may open, then relays what
changed, rendered by web/live.py in the page's language. Nothing polls: a
socket works only when cluster/notify.py says its cluster changed. A dashboard client
that reconnects says which step it saw last and gets every later one, so a
dropped connection loses no step; it also says which resource tab is open,
which then updates with the map.

A page sends a message when it connects and when the learner changes tab: a
socket may send MESSAGES_PER_SECOND (burst MESSAGES_BURST), and the rest are
dropped, so a script cannot make the server re-read and re-render without end;
a cluster takes SOCKETS_PER_CLUSTER pages at once in a process (a class's cluster
as many as the class may have students, more), and one more is closed with 4429.
"""

from __future__ import annotations

import asyncio
import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from cluster import idle
from cluster.apiserver.http.ratelimit import Slots, TokenBucket
from cluster.notify import group_name
from web import access, class_live, feed, guide, live
from web.classroom import MAX_STUDENTS
from web.models import Classroom

STATE_EVERY_SECONDS = 1.0  # the map is redrawn at most this often; steps go out at once
KEEP_AWAKE_SECONDS = 60.0  # an open page keeps its cluster awake (cluster/idle.py)
FIRST_STEPS = 8  # the steps a newly opened page gets, heartbeats aside (older ones stay reachable by time travel)
MESSAGES_PER_SECOND = 5.0
MESSAGES_BURST = 20.0
SOCKETS_PER_CLUSTER = 16  # a learner's pages, tabs and devices, and a teacher looking in
_sockets = Slots()  # cluster pk -> dashboard sockets open in this process


def scope_language(scope: dict) -> str:
    """The page's language: the language cookie, else Accept-Language, else English (as LocaleMiddleware)."""
    cookies = scope.get("cookies") or {}
    headers = dict(scope.get("headers") or [])
    wanted = [cookies.get(settings.LANGUAGE_COOKIE_NAME, "")]
    wanted += [lang for lang, _q in parse_accept_lang_header(headers.get(b"accept-language", b"").decode("latin-1"))]
    for code in wanted:
        if not code or code == "*":
            continue
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def _room_for(cluster_pk: int) -> int:
    """How many dashboard sockets the cluster takes: a class's cluster has its whole class watching."""
    if Classroom.objects.filter(cluster_id=cluster_pk).exists():
        return MAX_STUDENTS + SOCKETS_PER_CLUSTER
    return SOCKETS_PER_CLUSTER


class DashboardConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        name = self.scope["url_route"]["kwargs"]["cluster"]
        self.cluster, self.role = await database_sync_to_async(live.open_cluster)(self.scope.get("session"), name)
        if self.cluster is None:
            await self.close(code=4403)
            return
        room = await database_sync_to_async(_room_for)(self.cluster.pk)
        if not _sockets.take(self.cluster.pk, room, total=2**31):
            await self.close(code=4429)  # the page's socket tries again later, with back-off
            return
        self.counted = True
        self.messages = TokenBucket(MESSAGES_PER_SECOND, MESSAGES_BURST)
        self.language = scope_language(self.scope)
        self.group = group_name(self.cluster.pk)
        self.last_seq = 0
        self.last_state: tuple = (None,)
        self.sent_parts: dict[str, int] = {}  # what the page shows now, by the hash of each fragment's HTML
        self.guide_seen: tuple = ()
        self.panel = ""
        self.lock = asyncio.Lock()
        self.state_sent_at = 0.0
        self.state_later: asyncio.TimerHandle | None = None
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.keeper = asyncio.create_task(self._keep_awake())

    async def _keep_awake(self) -> None:
        while True:
            await database_sync_to_async(idle.touch)(self.cluster)
            await asyncio.sleep(KEEP_AWAKE_SECONDS)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            self.counted = False
            _sockets.release(self.cluster.pk)
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if getattr(self, "keeper", None):
            self.keeper.cancel()
        state_later = getattr(self, "state_later", None)
        if state_later:
            state_later.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.messages.take():
            return  # faster than a page sends: dropped
        try:
            message = json.loads(text_data or "{}")
        except json.JSONDecodeError:
            return
        if not isinstance(message, dict):
            return
        if message.get("type") == "resync":
            try:
                self.last_seq = max(0, int(message.get("last_seq") or 0))
            except (TypeError, ValueError):
                self.last_seq = 0
            if not self.last_seq:  # a new page: the latest steps only, a snapshot it renders in one frame
                async with self.lock:
                    opening, self.last_seq = await feed.opening_steps(self.cluster, FIRST_STEPS, self.language)
                    if opening:
                        await self.send(text_data=opening)
            self.panel = str(message.get("panel") or "")[:40]
            self.last_state = self._page_state(message)
            self.guide_seen = await database_sync_to_async(guide.seen_by_page)(self.cluster, str(message.get("guide")))
            await self._push()
        elif message.get("type") == "guide":  # the page got a new guide over HTTP (a command, a prediction)
            self.guide_seen = await database_sync_to_async(guide.seen_by_page)(
                self.cluster, str(message.get("version"))
            )
        elif message.get("type") == "panel":
            self.panel = str(message.get("name") or "")[:40]
            self.last_state = (None,)
            self.sent_parts.pop("panel", None)
            await self._push()

    def _page_state(self, message: dict) -> tuple:
        """What the page already shows (it was rendered with the map): no need to send it again."""
        try:
            # a missing number is as unreadable as a malformed one: ValueError
            return (
                int(message.get("revision", "")),
                str(message.get("mode")),
                float(message.get("speed", "")),
                str(message.get("panel") or "")[:40],
            )
        except (TypeError, ValueError):
            return (None,)

    async def cluster_changed(self, event: dict) -> None:
        """Pushed, never polled: the process that changed the cluster says so (cluster/notify.py)."""
        await self._push(float(event.get("at") or time.time()))

    async def _push(self, since: float = 0.0) -> None:
        """Send what changed since this socket's last send; the reads and renders are shared (web/feed.py)."""
        async with self.lock:
            marks = await feed.marks(self.cluster, since or time.time())
            if marks.seq > self.last_seq:
                steps, newest = await feed.steps(self.cluster, self.last_seq, marks.seq, self.language)
                if steps:
                    await self.send(text_data=steps)
                self.last_seq = max(self.last_seq, newest)
            await self._push_state(marks)

    async def _push_state(self, marks: feed.Marks) -> None:
        loop = asyncio.get_running_loop()
        wait = self.state_sent_at + STATE_EVERY_SECONDS - loop.time()
        if wait > 0:
            if self.state_later is None:
                announced = marks.read_at
                self.state_later = loop.call_later(
                    wait, lambda: asyncio.ensure_future(self._push_state_later(announced))
                )
            return
        mark = (marks.revision, marks.mode, marks.speed, self.panel)
        state = guide_html = ""
        if mark != self.last_state:
            parts = await feed.state(self.cluster, mark, self.language, self.panel)
            changed = {name: html for name, html in parts.items() if self.sent_parts.get(name) != hash(html)}
            self.sent_parts.update({name: hash(html) for name, html in changed.items()})
            state = "".join(changed.values())
        if self.role == access.OWNER and mark[:1] != self.last_state[:1]:  # the owner's page runs the check
            guide_html, self.guide_seen = await database_sync_to_async(live.render_guide)(
                self.cluster, self.role, self.language, self.guide_seen
            )
        elif self.role != access.OWNER and marks.guide and marks.guide != self.guide_seen:
            guide_html = await feed.viewer_guide(self.cluster, marks.guide, self.language, self.guide_seen)
            self.guide_seen = marks.guide
        self.last_state = mark
        if state or guide_html:
            self.state_sent_at = loop.time()
            await self.send(text_data=state + guide_html)

    async def _push_state_later(self, announced: float) -> None:
        """The throttled state, from a read every socket of the cluster shares: the one after `announced`,
        rounded to the throttle's period so sockets throttled at about the same time meet in one read."""
        self.state_later = None
        async with self.lock:
            await self._push_state(await feed.marks(self.cluster, announced))


class ClassConsumer(AsyncWebsocketConsumer):
    """A class's page: the teacher's grid, or a student's mode and hint, pushed when the class changes."""

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"]
        self.classroom, self.part = await database_sync_to_async(class_live.open_class)(self.scope.get("session"), code)
        if self.classroom is None:
            await self.close(code=4403)
            return
        self.language = scope_language(self.scope)
        self.group = class_live.group_name(self.classroom)
        host = dict(self.scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        scheme = "https" if self.scope.get("scheme") == "wss" else "http"
        self.base_url = f"{scheme}://{host}" if host else ""
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._push()
        if self.part != class_live.TEACHER:  # the teacher may be showing an earlier step right now
            await self.send(text_data=await database_sync_to_async(class_live.teacher_view)(self.classroom))

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def class_changed(self, event: dict) -> None:
        await self._push()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The teacher's page says which step it shows; the students' pages show the same one."""
        if self.part != class_live.TEACHER:
            return
        try:
            message = json.loads(text_data or "{}")
            if message.get("type") != "view":
                return
            seq, revision = (min(2**63 - 1, max(0, int(message.get(k) or 0))) for k in ("seq", "revision"))
        except (TypeError, ValueError, AttributeError, OverflowError, json.JSONDecodeError):
            return
        await database_sync_to_async(class_live.set_view)(self.classroom, seq, revision)
        await self.channel_layer.group_send(self.group, {"type": "class.view", "seq": seq, "revision": revision})

    async def class_view(self, event: dict) -> None:
        if self.part != class_live.TEACHER:
            await self.send(text_data=class_live.view_marker(event["seq"], event.get("revision") or 0))

    async def _push(self) -> None:
        html = await database_sync_to_async(class_live.render)(self.classroom, self.part, self.language, self.base_url)
        if html:
            await self.send(text_data=html)
