"""The scale-out path: PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) behind several workers.

These run when the variables are set, as .ci/run sets them; on a laptop
without them the embedded SQLite/in-memory path is what the rest covers.
"""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, connections

from cluster.apiserver.server import APIServer

needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="DATABASE_URL does not name a PostgreSQL database",
)
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_distinct_consecutive_revisions_on_postgres(cluster):
    assert connection.vendor == "postgresql"
    start = APIServer(cluster).current_revision()
    errors: list[Exception] = []

    def writer(worker: int) -> None:
        try:
            api = APIServer(cluster.name, client=f"worker-{worker}")
            for i in range(10):
                api.create(
                    "configmaps",
                    "default",
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"w{worker}-{i}"}},
                )
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    api = APIServer(cluster)
    versions = sorted(
        int(o["metadata"]["resourceVersion"])
        for o in api.list("configmaps", "default")["items"]
        if o["metadata"]["name"] != "kube-root-ca.crt"
    )  # published into every namespace at bootstrap
    assert versions == list(range(start + 1, start + 41))
    assert api.current_revision() == start + 40


@needs_redis
async def test_a_message_published_by_one_worker_reaches_a_consumer_of_another_through_redis():
    from channels_redis.core import RedisChannelLayer

    url = os.environ["REDIS_URL"]
    publisher, subscriber = RedisChannelLayer(hosts=[url]), RedisChannelLayer(hosts=[url])
    channel = await subscriber.new_channel()
    await subscriber.group_add("kubeclass.test", channel)
    await publisher.group_send("kubeclass.test", {"type": "cluster.changed", "revision": 7})
    message = await subscriber.receive(channel)
    await subscriber.group_discard("kubeclass.test", channel)
    await publisher.close_pools()
    await subscriber.close_pools()
    assert message == {"type": "cluster.changed", "revision": 7}


@needs_redis
async def test_an_idle_consumer_of_the_configured_layer_keeps_waiting_past_the_blocking_pop():
    """A follower's socket with nothing to hear must not fail after 5 s (redis-py 8's default read
    timeout against channels-redis' 5 s BZPOPMIN closed such sockets with 1011)."""
    import asyncio

    from channels.layers import get_channel_layer
    from django.conf import settings

    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    layer = get_channel_layer()
    channel = await layer.new_channel()
    with pytest.raises(asyncio.TimeoutError):  # our own deadline, not redis' TimeoutError at ~5 s
        await asyncio.wait_for(layer.receive(channel), timeout=11)
    await layer.close_pools()
