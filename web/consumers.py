"""The dashboard's websocket: step events and state, pushed as htmx out-of-band fragments.

Thin by design: it checks that the session may open the cluster, then relays
what changed. A client that reconnects says which step it saw last and gets
every later one, so a dropped connection loses no step.
"""
from __future__ import annotations

import asyncio
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from cluster.notify import group_name
from web import live

POLL_SECONDS = 0.25  # catches the tail of a burst; pushes from the channel layer normally come first
FIRST_POLL_SECONDS = 1.0
STATE_EVERY_SECONDS = 1.0  # the map is redrawn at most this often; steps go out at once


class DashboardConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        name = self.scope["url_route"]["kwargs"]["cluster"]
        self.cluster = await database_sync_to_async(live.open_cluster)(self.scope.get("session"), name)
        if self.cluster is None:
            await self.close(code=4403)
            return
        self.group = group_name(self.cluster.pk)
        self.last_seq = 0
        self.last_revision = 0
        self.lock = asyncio.Lock()
        self.state_sent_at = 0.0
        self.state_later: asyncio.TimerHandle | None = None
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.poller = asyncio.create_task(self._poll())

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if getattr(self, "poller", None):
            self.poller.cancel()
        if getattr(self, "state_later", None):
            self.state_later.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "{}")
        except json.JSONDecodeError:
            return
        if message.get("type") == "resync":
            try:
                self.last_seq = max(0, int(message.get("last_seq") or 0))
            except (TypeError, ValueError):
                self.last_seq = 0
            self.last_revision = 0
            await self._push()

    async def cluster_changed(self, event: dict) -> None:
        await self._push()

    async def _poll(self) -> None:
        await asyncio.sleep(FIRST_POLL_SECONDS)  # the page says where it stands (resync) first
        while True:
            await asyncio.sleep(POLL_SECONDS)
            await self._push()

    async def _push(self) -> None:
        async with self.lock:
            steps, self.last_seq = await database_sync_to_async(live.render_steps)(self.cluster, self.last_seq)
            if steps:
                await self.send(text_data=steps)
            await self._push_state()

    async def _push_state(self) -> None:
        loop = asyncio.get_running_loop()
        wait = self.state_sent_at + STATE_EVERY_SECONDS - loop.time()
        if wait > 0:
            if self.state_later is None:
                self.state_later = loop.call_later(wait, lambda: asyncio.ensure_future(self._push_state_later()))
            return
        state, self.last_revision = await database_sync_to_async(live.render_state)(self.cluster, self.last_revision)
        if state:
            self.state_sent_at = loop.time()
            await self.send(text_data=state)

    async def _push_state_later(self) -> None:
        self.state_later = None
        async with self.lock:
            await self._push_state()
