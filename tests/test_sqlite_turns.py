"""SQLite's writers of one process take turns in the order they came (cluster/sqlite/base.py)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from cluster.models import Cluster
from cluster.sqlite.base import TurnQueue
from tests.livesrv import ROOT
from tests.test_failover import wait_for
from web.devserver import server_env


def queue_in(turns: TurnQueue, name: str, order: list[str]) -> threading.Thread:
    """A thread that waits for its turn, notes its name, and gives the turn back."""

    def take_turn() -> None:
        assert turns.acquire(timeout=5)
        order.append(name)
        turns.release()

    thread = threading.Thread(target=take_turn)
    waiting = turns.waiting()
    thread.start()
    wait_for(lambda: turns.waiting() == waiting + 1, 5, f"{name} waits in line")
    return thread


def test_turns_go_to_the_waiters_in_the_order_they_came_and_a_returning_holder_goes_last():
    turns, order = TurnQueue(), []
    assert turns.acquire(timeout=1)
    waiters = [queue_in(turns, name, order) for name in ("first", "second", "third")]
    turns.release()
    assert turns.acquire(timeout=5)  # asks again at once, as the reconciler's next batch does
    order.append("the holder again")
    turns.release()
    for thread in waiters:
        thread.join()
    assert order == ["first", "second", "third", "the holder again"]


def test_a_waiter_whose_time_runs_out_leaves_the_line():
    turns = TurnQueue()
    assert turns.acquire(timeout=1)
    assert turns.acquire(timeout=0.01) is False
    assert turns.waiting() == 0
    turns.release()
    assert turns.acquire(timeout=0), "free again: the one that gave up holds nothing"


# Two threads on a SQLite file, as a server's request and its reconciler: the tests' own database is
# SQLite's shared-cache memory, where a locked table fails at once instead of waiting.
BATCHES = """
import json, sys, threading, time
import django
django.setup()
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone
from cluster.models import Cluster
call_command("migrate", verbosity=0)
cluster = Cluster.objects.create(name="turns", token="t" * 43)
batches, committed, first_open = 20, [], threading.Event()

def reconciler():
    try:
        for number in range(batches):
            with transaction.atomic():
                Cluster.objects.filter(pk=cluster.pk).update(last_active=timezone.now())
                first_open.set()
                time.sleep(0.02)  # the batch's work, with the write lock held
            committed.append(number)
    finally:
        connections.close_all()

thread = threading.Thread(target=reconciler)
thread.start()
first_open.wait(10)
seen_before = len(committed)
with transaction.atomic():
    Cluster.objects.filter(pk=cluster.pk).update(speed=2.0)
    seen_inside = len(committed)
thread.join()
print(json.dumps({"waited_for": seen_inside - seen_before, "committed": len(committed),
                  "speed": Cluster.objects.get(pk=cluster.pk).speed,
                  "engine": connections["default"].settings_dict["ENGINE"]}))
"""


def run_batches(tmp_path, turns: str) -> dict:
    env = server_env(tmp_path / f"turns-{turns}.sqlite3")
    env["KUBECLASS_SQLITE_TURNS"] = turns
    done = subprocess.run(
        [sys.executable, "-c", BATCHES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.live
def test_a_request_waits_for_one_reconciler_batch_not_for_all_of_them(tmp_path):
    """Back-to-back transactions of one thread (the reconciler's batches) let another writer in after
    the one under way; with Django's own backend (the reference) SQLite's busy handler, polling in its
    sleeps, may find the lock free only at the end. Both end with every write in place."""
    queued, plain = run_batches(tmp_path, "1"), run_batches(tmp_path, "0")
    assert queued["engine"] == "cluster.sqlite" and plain["engine"] == "django.db.backends.sqlite3"
    for result in (queued, plain):
        assert result["committed"] == 20 and result["speed"] == 2.0
    assert queued["waited_for"] <= 1, f"the request waited for {queued['waited_for']} batches"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("ending", ["commit", "error"])
def test_the_backend_gives_its_turn_back_however_a_transaction_ends(cluster, ending):
    if connection.vendor != "sqlite":
        pytest.skip("the turns are SQLite's (PostgreSQL queues its own waiters)")
    with pytest.raises(ZeroDivisionError) if ending == "error" else contextlib.nullcontext():
        with transaction.atomic():
            Cluster.objects.filter(pk=cluster.pk).update(last_active=timezone.now())
            assert connection.has_turn
            if ending == "error":
                raise ZeroDivisionError("the unit failed")
    assert not connection.has_turn
    assert connection.turns.acquire(timeout=0), "nobody holds the turn"
    connection.turns.release()


# The reconciler's own batches (cluster/reconciler/batch.py) on a SQLite file, 2 ms units that never run
# out, and a request's thread writing ten times meanwhile.
GIVE_WAY = """
import json, threading, time
import django
django.setup()
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone
from cluster.models import Cluster
from cluster.reconciler.batch import Batches
from cluster.reconciler.watchcache import OwnWrites
from cluster.store import HeldRevision
call_command("migrate", verbosity=0)
cluster = Cluster.objects.create(name="turns", token="t" * 43)
done, batches, running, requests_done = [], [], threading.Event(), threading.Event()

def unit():
    if requests_done.is_set():
        return False
    Cluster.objects.filter(pk=cluster.pk).update(last_active=timezone.now())
    time.sleep(0.002)
    done.append(1)
    running.set()
    return True

def reconciler():
    try:
        Batches(HeldRevision(), OwnWrites()).drain(unit, 100000, lambda: batches.append(len(done)))
    finally:
        connections.close_all()

thread = threading.Thread(target=reconciler)
thread.start()
running.wait(10)
waited = []
for _ in range(10):
    time.sleep(0.01)
    before = len(done)
    with transaction.atomic():
        Cluster.objects.filter(pk=cluster.pk).update(speed=2.0)
        waited.append(len(done) - before)
requests_done.set()
thread.join()
print(json.dumps({"waited": waited, "units": len(done), "batches": len(batches)}))
"""


@pytest.mark.live
def test_a_reconciler_batch_gives_way_to_a_waiting_request_after_the_unit_under_way(tmp_path):
    """A batch may hold the write lock for 50 ms (25 of these units); a request arriving meanwhile waits
    for the unit under way, and perhaps the one that began as it queued, not for the rest."""
    env = server_env(tmp_path / "give-way.sqlite3")
    env["KUBECLASS_SQLITE_TURNS"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", GIVE_WAY], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert len(result["waited"]) == 10 and result["units"] > 10
    assert max(result["waited"]) <= 2, f"units run while a request waited: {result['waited']}"
