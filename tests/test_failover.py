"""Two Daphne workers on one database: clusters are shared, a clean stop hands them over at once,
and a killed worker's clusters are taken over within the lease's 15 s — the rollout finishes, and the
history of steps has no gap and no duplicate.

Always on a SQLite file of their own (the embedded default); also on a PostgreSQL database of their
own, with Redis as the channel layer, when DATABASE_URL names a PostgreSQL server (as .ci/run sets).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import free_port
from tests.livesrv import ROOT, server_env

PROBE = """
import django, sys, json
django.setup()
from cluster.models import Cluster, ReconcilerLease, StepEvent
from cluster.apiserver.server import APIServer
out = {}
for c in Cluster.objects.all():
    lease = ReconcilerLease.objects.filter(cluster=c).first()
    seqs = list(StepEvent.objects.filter(cluster=c).order_by("seq").values_list("seq", flat=True))
    deploy = {}
    try:
        deploy = APIServer(c).get("deployments", "default", "web")
    except Exception:
        pass
    out[c.name] = {"holder": lease.holder if lease else "", "transitions": lease.transitions if lease else 0,
                   "acquired": lease.acquire_time.timestamp() if lease and lease.acquire_time else 0,
                   "gaps": [b for a, b in zip(seqs, seqs[1:]) if b != a + 1], "steps": len(seqs),
                   "image": ((deploy.get("spec") or {}).get("template") or {}).get("spec", {})
                   .get("containers", [{}])[0].get("image"),
                   "status": deploy.get("status") or {}}
print(json.dumps(out))
"""


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


def probe(env: dict) -> dict:
    import json

    return json.loads(
        subprocess.run(
            [sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=60
        ).stdout
    )


def worker(env: dict, log: Path) -> subprocess.Popen:
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "web.asgi:application"],
        cwd=ROOT,
        env={**env, "PYTHONFAULTHANDLER": "1"},  # SIGABRT prints every thread's stack to the log (stopped())
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )
    process.holder_pid = process.pid  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("daphne did not start")


def stopped(process: subprocess.Popen, seconds: float, logs: Path) -> None:
    """Wait for the process to end; if it does not, fail with what each of its threads was doing."""
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)  # faulthandler writes the stacks, then the process dies
        process.wait(timeout=10)
        dumps = "\n".join(f"== {log.name}\n{log.read_text()[-20000:]}" for log in sorted(logs.glob("*.log")))
        pytest.fail(f"the worker did not stop within {seconds} s of SIGTERM:\n{dumps}")


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"not within {seconds} s: {what}")


def holder_pid(holder: str) -> int:
    return int(holder.split("-")[-2])  # reconciler-<host>-<pid>-<hex>


BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else [])


def postgres_env(tmp_path: Path) -> tuple[dict, str]:
    """A database of its own on the PostgreSQL server CI runs (and Redis for the channel layer, if set)."""
    import psycopg

    base = os.environ["DATABASE_URL"]
    name = f"kubeclass_failover_{os.getpid()}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    env = server_env(tmp_path / "unused.sqlite3")
    env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    return env, name


# The database the two workers find: four clusters, as `manage.py migrate` and four `manage.py cluster create
# NAME --nodes 2` would leave it, in one process (each `manage.py` costs 2 s of start-up before it works).
PREPARE = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
for name in ("ha", "b", "c", "d"):
    call_command("cluster", "create", name, "--nodes", "2")
"""


@pytest.fixture(params=BACKENDS)
def two_workers(tmp_path, request):
    dropped = ""
    if request.param == "postgres":
        env, dropped = postgres_env(tmp_path)
    else:
        env = server_env(tmp_path / "db.sqlite3")
    manage(env, "shell", "-c", PREPARE)
    manage(env, "kubectl", "--cluster", "ha", "create", "deployment", "web", "--image=nginx:1.26", "--replicas=4")
    workers = [worker(env, tmp_path / "a.log"), worker(env, tmp_path / "b.log")]
    yield env, workers
    for process in workers:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    if dropped:
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {dropped} WITH (FORCE)")


def test_workers_share_clusters_and_a_clean_stop_hands_them_over_at_once(two_workers, tmp_path):
    env, workers = two_workers

    def shared() -> dict | None:
        """Every cluster driven, two by each worker (the first one up may take all four for a moment: a
        cluster's first cycle relists its kube-system pods too, and the surplus is handed over after it)."""
        held = {n: c["holder"] for n, c in probe(env).items()}
        if not all(held.values()):
            return None
        pids = [holder_pid(h) for h in held.values()]
        return held if sorted(pids.count(w.pid) for w in workers) == [2, 2] else None

    wait_for(shared, 30, "every cluster driven, two by each worker")
    leaving = workers[0]
    started = time.monotonic()
    leaving.send_signal(signal.SIGTERM)
    stopped(leaving, 10, tmp_path)
    assert time.monotonic() - started <= 5.0, "a worker stops within 5 s of SIGTERM"
    wait_for(
        lambda: all(holder_pid(c["holder"]) == workers[1].pid for c in probe(env).values() if c["holder"]),
        6,
        "the survivor drives every cluster (the leaver released its leases)",
    )


def test_a_killed_workers_rollout_is_finished_by_the_other(two_workers):
    env, workers = two_workers
    wait_for(lambda: probe(env)["ha"]["status"].get("availableReplicas") == 4, 60, "web available")
    holder = holder_pid(probe(env)["ha"]["holder"])
    victim = next(w for w in workers if w.pid == holder)
    survivor = next(w for w in workers if w.pid != holder)
    manage(env, "kubectl", "--cluster", "ha", "set", "image", "deployment/web", "nginx=nginx:1.27")
    time.sleep(1.0)  # mid-rollout
    os.kill(victim.pid, signal.SIGKILL)
    killed = time.time()
    taken = wait_for(lambda: (s := probe(env)["ha"]) and holder_pid(s["holder"]) == survivor.pid and s, 25, "takeover")
    # kube-controller-manager's leader election: a 15 s lease, retried every 2 s.
    assert taken["acquired"] - killed <= 15 + 2
    done = wait_for(
        lambda: (
            (s := probe(env)["ha"])
            and s["status"].get("updatedReplicas") == 4
            and s["status"].get("availableReplicas") == 4
            and s["status"].get("replicas") == 4
            and s
        ),
        90,
        "the rollout completed",
    )
    assert done["image"] == "nginx:1.27"
    assert done["gaps"] == []  # every step once, in order: none lost, none doubled
