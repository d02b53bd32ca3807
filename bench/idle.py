"""What idle sandboxes cost, and whether a busy one's database stays flat.

Starts Daphne on a fresh SQLite file (reconciler on, as `make run`) and
1. creates --sandboxes sandboxes (3 nodes each) that nobody opens; once they
   have fallen asleep (KUBECLASS_IDLE_MINUTES is set to --idle-minutes for the
   run), measures over --seconds the server's CPU (its /proc utime+stime) and
   the rows it writes (etcd history and step events); the baseline in the same
   run is the same measurement with the sandboxes still awake;
2. with --busy-minutes, keeps one sandbox busy (a Deployment whose image is
   changed every 20 s, so every pod is replaced again and again) and prints the
   database file's size every minute, with history compaction on (window
   KUBECLASS_HISTORY_REVISIONS=--history, compaction every 5 minutes) and
   Events expiring --event-ttl minutes after their last write
   (KUBECLASS_EVENT_TTL_MINUTES, kube-apiserver's --event-ttl); with
   --tables also where its pages go (each table with its indexes, free pages,
   the -wal file) and the row counts that could grow, read from a separate
   read-only connection.

Usage: .venv/bin/python bench/idle.py [--sandboxes 500] [--seconds 60] [--busy-minutes 0] [--history 10000]
       [--event-ttl 60] [--tables]
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")

CREATE = """
import django, sys
django.setup()
from cluster.bootstrap import create_cluster
for i in range(int(sys.argv[1])):
    create_cluster(f"idle-{i:04d}", nodes=3, seed=i, owner_session=f"visitor-{i}")
"""
COUNT = """
import django
django.setup()
from cluster.models import Cluster, Revision, StepEvent
print(Revision.objects.count() + StepEvent.objects.count(),
      Cluster.objects.filter(sleeping_since__isnull=False).count())
"""


def env_for(workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"SQLITE_PATH": str(workdir / "db.sqlite3"), "DJANGO_SETTINGS_MODULE": "web.settings", **extra})
    return env


def python(env: dict[str, str], code: str, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=3600
    ).stdout.strip()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def serve(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "web.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("daphne did not start")


def measure(pid: int, env: dict[str, str], seconds: float) -> tuple[float, int]:
    rows_before = int(python(env, COUNT).split()[0])
    cpu_before = cpu_seconds(pid)
    time.sleep(seconds)
    cpu = cpu_seconds(pid) - cpu_before
    rows = int(python(env, COUNT).split()[0]) - rows_before
    return cpu / seconds, rows


def idle_figures(workdir: Path, sandboxes: int, seconds: float, idle_minutes: float) -> None:
    env = env_for(workdir, KUBECLASS_IDLE_MINUTES=str(idle_minutes))
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    python(env, CREATE, str(sandboxes))
    process, _base = serve(env)
    try:
        time.sleep(10)  # every sandbox has been picked up and is heartbeating
        awake_cpu, awake_rows = measure(process.pid, env, seconds)
        deadline = time.monotonic() + idle_minutes * 60 + 180
        while time.monotonic() < deadline:
            if int(python(env, COUNT).split()[1]) == sandboxes:
                break
            time.sleep(5)
        asleep = int(python(env, COUNT).split()[1])
        sleep_cpu, sleep_rows = measure(process.pid, env, seconds)
        rss = int(
            next(
                line.split()[1]
                for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
                if line.startswith("VmRSS")
            )
        )
    finally:
        process.terminate()
        process.wait(timeout=15)
    print(
        f"idle: {sandboxes} sandboxes, {asleep} asleep: server CPU {sleep_cpu * 100:.2f} % of a core, "
        f"{sleep_rows / seconds * 60:.0f} rows written a minute, RSS {rss // 1024} MiB "
        f"(baseline, the same {sandboxes} awake: {awake_cpu * 100:.1f} % of a core, "
        f"{awake_rows / seconds * 60:.0f} rows a minute; targets < 2 % and 0)"
    )


def database_size(workdir: Path) -> int:
    """The SQLite file with its -wal and -shm companions (which come and go with the connections)."""
    total = 0
    for path in [workdir / "db.sqlite3", *workdir.glob("db.sqlite3-*")]:
        try:
            total += path.stat().st_size
        except FileNotFoundError:
            continue
    return total


def breakdown(workdir: Path) -> str:
    """Where the database's pages go, from a read-only connection: each table with its indexes (SQLite's
    dbstat), the free pages, the -wal file, and the rows that can grow (history, steps, runtime rows by
    scope, live keys by resource)."""
    path = workdir / "db.sqlite3"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        page = db.execute("PRAGMA page_size").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0] * page
        owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_schema"))
        sizes: dict[str, int] = {}
        for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name).removeprefix("cluster_")
            sizes[table] = sizes.get(table, 0) + size
        rows = {
            table: db.execute(f"SELECT COUNT(*) FROM cluster_{table}").fetchone()[0]
            for table in ("revision", "stepevent", "entry", "runtimestate")
        }
        scopes = db.execute("SELECT scope, COUNT(*) FROM cluster_runtimestate GROUP BY scope ORDER BY 2 DESC")
        keys = db.execute("SELECT prefix, COUNT(*) FROM cluster_entry GROUP BY prefix ORDER BY 2 DESC LIMIT 4")
        scope_text = " ".join(f"{scope}={n}" for scope, n in scopes)
        key_text = " ".join(f"{prefix.removeprefix('/registry/').strip('/')}={n}" for prefix, n in keys)
    finally:
        db.close()
    try:
        wal = (workdir / "db.sqlite3-wal").stat().st_size
    except FileNotFoundError:
        wal = 0
    mib = " ".join(
        f"{table} {size / 2**20:.1f}"
        for table, size in sorted(sizes.items(), key=lambda item: -item[1])
        if size >= 2**19
    )
    return (
        f"MiB: {mib}, free {free / 2**20:.1f}, wal {wal / 2**20:.1f}; rows: "
        + " ".join(f"{table}={n}" for table, n in rows.items())
        + f"; runtime {scope_text}; keys {key_text}"
    )


def busy_figures(workdir: Path, minutes: float, history: int, event_ttl: float, tables: bool = False) -> None:
    env = env_for(workdir, KUBECLASS_HISTORY_REVISIONS=str(history), KUBECLASS_EVENT_TTL_MINUTES=str(event_ttl))
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(
        [*manage, "cluster", "create", "busy", "--nodes", "3"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    subprocess.run(
        [*manage, "kubectl", "--cluster", "busy", "create", "deployment", "web", "--image=nginx:1.26", "--replicas=6"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    token = subprocess.run(
        [*manage, "cluster", "token", "busy"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    process, base = serve(env)
    # a learner's `kubectl get pods` each round: an API call keeps the sandbox awake, as it would in class
    list_pods = urllib.request.Request(
        f"{base}/k8s/busy/api/v1/namespaces/default/pods", headers={"Authorization": f"Bearer {token}"}
    )
    sizes = []
    try:
        started = time.monotonic()
        image = 0
        next_sample = started
        while time.monotonic() - started < minutes * 60:
            image = 1 - image
            subprocess.run(
                [
                    *manage,
                    "kubectl",
                    "--cluster",
                    "busy",
                    "set",
                    "image",
                    "deployment/web",
                    f"nginx=nginx:1.2{6 + image}",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
            )
            with urllib.request.urlopen(list_pods, timeout=5) as response:
                response.read()
            if time.monotonic() >= next_sample:
                sizes.append(database_size(workdir))
                if tables:
                    print(f"minute {len(sizes) - 1}: {sizes[-1] / 2**20:.1f} MiB; {breakdown(workdir)}", flush=True)
                next_sample += 60
            time.sleep(20)
    finally:
        process.terminate()
        process.wait(timeout=15)
    rows, asleep = python(env, COUNT).split()
    mib = ", ".join(f"{s / 2**20:.1f}" for s in sizes)
    print(
        f"busy: a sandbox rolling 6 pods every 20 s for {minutes:g} min, history window {history} revisions, "
        f"event TTL {event_ttl:g} min; "
        f"database MiB each minute: {mib}; at the end {rows} history and step rows, "
        f"{asleep} cluster(s) asleep"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sandboxes", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--idle-minutes", type=float, default=1.0)
    parser.add_argument("--busy-minutes", type=float, default=0)
    parser.add_argument("--history", type=int, default=10000)
    parser.add_argument("--event-ttl", type=float, default=60, help="minutes an Event lives after its last write")
    parser.add_argument("--tables", action="store_true", help="print where the pages go every minute")
    args = parser.parse_args()
    if args.sandboxes:
        with tempfile.TemporaryDirectory() as tmp:
            idle_figures(Path(tmp), args.sandboxes, args.seconds, args.idle_minutes)
    if args.busy_minutes:
        with tempfile.TemporaryDirectory() as tmp:
            busy_figures(Path(tmp), args.busy_minutes, args.history, args.event_ttl, args.tables)


if __name__ == "__main__":
    main()
