"""The control plane in a process of its own (`manage.py controlplane`), beside a server without one.

The live test needs Redis (REDIS_URL, as .ci/run sets): the command refuses the in-memory channel layer,
because the server's pages would never hear of its steps.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.core.management import CommandError, call_command

from cluster.reconciler import wakeup
from tests.browser.conftest import free_port
from tests.test_failover import holder_pid, manage, probe, wait_for
from tests.test_scaleout import needs_redis
from web.devserver import server_env

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def test_the_control_plane_refuses_a_channel_layer_other_processes_cannot_hear(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY
    with pytest.raises(CommandError, match="REDIS_URL"):
        call_command("controlplane")


@needs_redis
async def test_a_wake_from_another_process_reaches_a_listening_reconciler(settings):
    """A "next" served by a process without the cluster's reconciler wakes the one that drives it."""
    woken = asyncio.Event()
    listening = asyncio.create_task(wakeup.listen(woken))
    try:
        with pytest.raises(asyncio.TimeoutError):  # nothing wakes it on its own
            await asyncio.wait_for(woken.wait(), 0.5)
        deadline = time.monotonic() + 10
        while not woken.is_set() and time.monotonic() < deadline:
            await sync_to_async(wakeup.wake)()  # from a request's thread, as control.next_step calls it
            try:  # the first may go out before the listener has joined the group
                await asyncio.wait_for(woken.wait(), 0.5)
            except asyncio.TimeoutError:
                pass
        assert woken.is_set()
    finally:
        listening.cancel()
        stopping = time.monotonic()
        await asyncio.wait({listening}, timeout=20)
        assert listening.cancelled(), "it stops when told to, as the reconciler's shutdown needs"
        print(f"the listener stopped {time.monotonic() - stopping:.3f} s after its cancel")


async def test_the_listener_stops_even_when_its_client_swallows_a_cancel(monkeypatch):
    """A channel layer's client may catch the cancellation that arrives mid-read and wait on (seen once in CI:
    a listener still running 20 s after its cancel); the listener cancels it again until it ends."""
    swallowed = []

    async def client_that_swallows_one_cancel(layer: object, event: asyncio.Event) -> None:
        try:
            await asyncio.sleep(3600)  # a read from Redis
        except asyncio.CancelledError:
            swallowed.append(True)  # caught, as a client cleaning up its connection might, and then...
        await asyncio.sleep(3600)  # ... it waits on

    monkeypatch.setattr(wakeup, "shared_layer", lambda: object())
    monkeypatch.setattr(wakeup, "_listen", client_that_swallows_one_cancel)
    listening = asyncio.create_task(wakeup.listen(asyncio.Event()))
    await asyncio.sleep(0.05)
    listening.cancel()
    await asyncio.wait({listening}, timeout=5)
    assert swallowed and listening.cancelled()


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.live
@needs_redis
def test_a_server_without_control_loops_and_a_control_plane_beside_it_run_a_deployment(tmp_path):
    env = server_env(tmp_path / "db.sqlite3")
    env["REDIS_URL"] = os.environ["REDIS_URL"]
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "cluster", "create", "split", "--nodes", "2")
    serving = dict(env, KUBECLASS_RECONCILER="0", KUBECLASS_TLS_DIR=str(tmp_path / "tls"))
    server = start(serving, tmp_path / "serve.log", "serve", "--port", str(free_port()), "--api-port", str(free_port()))
    control = start(env, tmp_path / "controlplane.log", "controlplane")
    try:
        manage(env, "kubectl", "--cluster", "split", "create", "deployment", "web", "--image=nginx", "--replicas=3")
        wait_for(lambda: probe(env)["split"]["status"].get("readyReplicas") == 3, 60, "3 replicas of web ready")
        holder = probe(env)["split"]["holder"]
        assert holder_pid(holder) == control.pid, "the control plane drives the cluster, not the server"
        started = time.monotonic()
        control.send_signal(signal.SIGTERM)
        control.wait(timeout=10)
        assert time.monotonic() - started <= 5.0, "it stops within 5 s of SIGTERM"
        assert probe(env)["split"]["holder"] == "", "and gives its cluster up for another to take at once"
        assert server.poll() is None, "the server is still serving"
    finally:
        for process in (control, server):
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
