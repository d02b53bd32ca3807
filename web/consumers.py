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

from web import live

POLL_SECONDS = 1.0  # a fallback: pushes from the channel layer normally arrive first


class DashboardConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        name = self.scope["url_route"]["kwargs"]["cluster"]
        self.cluster = await database_sync_to_async(live.open_cluster)(self.scope.get("session"), name)
        if self.cluster is None:
            await self.close(code=4403)
            return
        self.group = live.group_name(self.cluster.pk)
        self.last_seq = 0
        self.last_revision = 0
        self.lock = asyncio.Lock()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.poller = asyncio.create_task(self._poll())

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if getattr(self, "poller", None):
            self.poller.cancel()

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
        while True:
            await asyncio.sleep(POLL_SECONDS)
            await self._push()

    async def _push(self) -> None:
        async with self.lock:
            html, self.last_seq, self.last_revision = await database_sync_to_async(live.render_update)(
                self.cluster, self.last_seq, self.last_revision)
            if html:
                await self.send(text_data=html)
