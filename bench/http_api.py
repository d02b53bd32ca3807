"""The HTTP API's speed, as a learner's kubectl or a client library meets it (not bench/http.py: that name
would hide the standard library's http package from a script in this folder).

Starts `manage.py serve` on a fresh SQLite file (or, with `--postgres URL`, a fresh
database there; TLS on the API port, reconciler on, as `make run` serves), with the
demo cluster running, then over HTTPS with keep-alive:
1. creates --objects ConfigMaps from --clients threads (a raw client: one
   http.client connection each), creates/s;
2. GETs ConfigMaps by name and merge-PATCHes them from one client: p50/p99;
3. the official Python client's creates/s (one thread, as a script would);
4. `kubectl apply -f` of a file of --apply ConfigMaps with the real kubectl, wall seconds, and again
   with --validate=false (the difference is kubectl's own check of each object against the OpenAPI
   document, before it sends anything).
Baselines measured in the same run: the round trip of `GET /livez` (the HTTP path
with no API work behind it) for the latencies, and in-process creates/s through
`APIServer` on the same database (before the server starts) for the throughput.
Without --busy it also prints the server process's CPU time per request of each phase
(Linux's /proc/<pid>/stat before and after): less at the mercy of the machine's other
work than a latency, and `/livez`'s is the cost of the HTTP path itself.

`--busy N` adds a cluster of 10 nodes whose Deployment of N pods is restarted every 3 s
during the measurements: the control loops always have work, as in a class whose
students run rollouts. `--control-plane apart` runs those loops in `manage.py
controlplane` beside a server started with KUBECLASS_RECONCILER=0 (on Redis, REDIS_URL
or 127.0.0.1:6379); `both` measures the two arrangements one after the other.

Usage: .venv/bin/python bench/http_api.py [--objects 3000] [--clients 8] [--apply 500] [--busy 300]
       [--control-plane in-server|apart|both]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MERGE_PATCH = "application/merge-patch+json"


def configmap(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"bench": "http"}},
        "data": {"greeting": "hello", "size": "small"},
    }


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout.strip()


def in_process_creates(env: dict[str, str], count: int) -> float:
    """Creates/s through APIServer in a process of its own, on the same database file."""
    code = (
        "import django, sys, time; django.setup()\n"
        "from cluster.apiserver.server import APIServer\n"
        "from cluster.bootstrap import create_cluster\n"
        "api = APIServer(create_cluster('baseline', nodes=1, addons=False))\n"
        "n = int(sys.argv[1]); t = time.perf_counter()\n"
        "for i in range(n):\n"
        "    api.create('configmaps', 'default', {'apiVersion': 'v1', 'kind': 'ConfigMap',\n"
        "               'metadata': {'name': f'b-{i}', 'labels': {'bench': 'http'}},\n"
        "               'data': {'greeting': 'hello', 'size': 'small'}})\n"
        "print(n / (time.perf_counter() - t))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(count)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    return float(out.strip().splitlines()[-1])


class Client:
    """One keep-alive HTTPS connection with the cluster's token."""

    def __init__(self, port: int, token: str, context: ssl.SSLContext) -> None:
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None, content_type: str = "application/json") -> int:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        response.read()
        return response.status


def cpu_seconds(pid: int) -> float:
    """The user + system CPU seconds process `pid` has used so far (Linux's /proc); NaN without it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def timed_calls(client: Client, calls: list[tuple[str, str, dict | None, str]]) -> list[float]:
    out = []
    for method, path, body, content_type in calls:
        started = time.perf_counter()
        status = client.call(method, path, body, content_type)
        out.append((time.perf_counter() - started) * 1000)
        assert status < 300, (method, path, status)
    return out


def parallel_creates(port: int, token: str, context: ssl.SSLContext, count: int, clients: int) -> float:
    path = "/api/v1/namespaces/default/configmaps"
    errors: list[str] = []

    def work(index: int) -> None:
        client = Client(port, token, context)
        for i in range(index, count, clients):
            status = client.call("POST", path, configmap(f"cm-{i:05d}"))
            if status != 201:
                errors.append(f"{status} for cm-{i:05d}")

    threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert not errors, errors[:5]
    return count / elapsed


def python_client_creates(port: int, token: str, ca_file: Path, count: int) -> float:
    import kubernetes

    config = kubernetes.client.Configuration()
    config.host, config.ssl_ca_cert = f"https://127.0.0.1:{port}", str(ca_file)
    config.api_key = {"authorization": f"Bearer {token}"}
    core = kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(config))
    started = time.perf_counter()
    for i in range(count):
        core.create_namespaced_config_map("default", configmap(f"py-{i:05d}"))
    return count / (time.perf_counter() - started)


def kubectl_apply(port: int, token: str, ca_file: Path, count: int, workdir: Path, *flags: str) -> float:
    """Wall seconds of `kubectl apply -f` of `count` new ConfigMaps (named after the flags, so each run creates)."""
    prefix = "ap-nv" if flags else "ap"
    manifest = workdir / f"{prefix}.yaml"
    import yaml

    manifest.write_text(yaml.safe_dump_all(configmap(f"{prefix}-{i:05d}") for i in range(count)))
    kubectl = shutil.which("kubectl") or "/usr/bin/kubectl"
    started = time.perf_counter()
    done = subprocess.run(
        [
            kubectl,
            "--server",
            f"https://127.0.0.1:{port}",
            "--certificate-authority",
            str(ca_file),
            "--token",
            token,
            "apply",
            "-f",
            str(manifest),
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode:
        raise RuntimeError(f"kubectl apply failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started


def start(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen, int, Path]:
    import socket

    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    log = open(workdir / "serve.log", "w")
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "serve",
            "--no-access-log",
            "--port",
            str(ports[0]),
            "--api-port",
            str(ports[1]),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    ca_file = Path(env["KUBECLASS_TLS_DIR"]) / "apiserver.crt"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/", timeout=2)
            return process, ports[1], ca_file
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("serve did not start")


def busy_cluster(env: dict[str, str], replicas: int) -> tuple[str, str]:
    """A second cluster with a Deployment of `replicas` pods on 10 nodes, for the control loops to work on."""
    manage(env, "cluster", "create", "busy", "--nodes", "10", "--object-limit", "0")
    manage(
        env, "kubectl", "--cluster", "busy", "create", "deployment", "web", "--image=nginx", f"--replicas={replicas}"
    )
    return "busy", manage(env, "cluster", "token", "busy")


def keep_rolling(port: int, token: str, context: ssl.SSLContext, stop: threading.Event) -> int:
    """Restart the busy cluster's Deployment every 3 s (as `kubectl rollout restart` does): work that never ends."""
    client, rounds = Client(port, token, context), 0
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    while not stop.wait(3.0):
        rounds += 1
        annotation = {"kubectl.kubernetes.io/restartedAt": f"round-{rounds}"}
        client.call("PATCH", path, {"spec": {"template": {"metadata": {"annotations": annotation}}}}, MERGE_PATCH)
    return rounds


def fresh_postgres_database(server_url: str, name: str) -> str:
    """An empty database of its own on the PostgreSQL server `server_url` names (dropped by `drop_database`)."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + "/" + name


def drop_database(database_url: str) -> None:
    import psycopg

    server_url, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def measure(args: argparse.Namespace, apart: bool) -> dict[str, float | list[float]]:
    """One server on a fresh database: the control loops in it, or (`apart`) in `manage.py controlplane`."""
    workdir = Path(tempfile.mkdtemp(prefix="kubeclass-http-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "SQLITE_PATH": str(workdir / "db.sqlite3"),
            "DJANGO_SETTINGS_MODULE": "web.settings",
            "KUBECLASS_TLS_DIR": str(workdir / "tls"),
            "KUBECLASS_API_QPS": "1000000",
            "KUBECLASS_API_BURST": "1000000",
            "KUBECLASS_OBJECT_LIMIT": "0",
        }
    )
    if apart:  # the control plane tells the server's pages of its steps through Redis
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if args.postgres:
        env["DATABASE_URL"] = fresh_postgres_database(args.postgres, f"kubeclass_bench_{os.getpid()}_{int(apart)}")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "cluster", "create", "demo", "--nodes", "3", "--object-limit", "0")
    token = manage(env, "cluster", "token", "demo")
    busy_token = busy_cluster(env, args.busy)[1] if args.busy else ""
    out: dict[str, float | list[float]] = {"baseline": in_process_creates(env, min(args.objects, 2000))}
    control = None
    if apart:
        control = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "controlplane"],
            cwd=ROOT,
            env=env,
            stdout=open(workdir / "controlplane.log", "w"),
            stderr=subprocess.STDOUT,
        )
    process, port, ca_file = start(dict(env, KUBECLASS_RECONCILER="0") if apart else env, workdir)
    stop_rolling = threading.Event()
    try:
        context = ssl.create_default_context(cafile=str(ca_file))
        rolling = None
        if busy_token:
            rolling = threading.Thread(target=keep_rolling, args=(port, busy_token, context, stop_rolling))
            rolling.start()
        used = cpu_seconds(process.pid)
        out["creates"] = parallel_creates(port, token, context, args.objects, args.clients)
        used = record_cpu(out, "create", process.pid, used, args.objects)
        client = Client(port, token, context)
        names = [f"cm-{i * (args.objects // args.samples or 1) % args.objects:05d}" for i in range(args.samples)]
        base = "/api/v1/namespaces/default/configmaps/"
        out["livez"] = timed_calls(client, [("GET", "/livez", None, "")] * args.samples)
        used = record_cpu(out, "livez", process.pid, used, args.samples)
        out["gets"] = timed_calls(client, [("GET", base + n, None, "") for n in names])
        used = record_cpu(out, "get", process.pid, used, args.samples)
        out["patches"] = timed_calls(
            client,
            [
                ("PATCH", base + n, {"metadata": {"labels": {"round": str(i)}}}, MERGE_PATCH)
                for i, n in enumerate(names)
            ],
        )
        record_cpu(out, "patch", process.pid, used, args.samples)
        out["client"] = python_client_creates(port, token, ca_file, min(500, args.objects))
        if args.apply:
            out["apply"] = kubectl_apply(port, token, ca_file, args.apply, workdir)
            # kubectl checks each object against the server's OpenAPI document before sending it (--validate,
            # strict by default); without that check what remains is the requests themselves.
            out["unvalidated"] = kubectl_apply(port, token, ca_file, args.apply, workdir, "--validate=false")
        stop_rolling.set()
        if rolling is not None:
            rolling.join()
    finally:
        stop_rolling.set()
        for running in (process, control):
            if running is not None:
                running.terminate()
                running.wait(timeout=15)
        if args.postgres:
            drop_database(env["DATABASE_URL"])
    return out


def record_cpu(out: dict, phase: str, pid: int, before: float, requests: int) -> float:
    """The server's CPU milliseconds per request of the phase just ended, kept as out["cpu"][phase];
    returns the CPU seconds so far, the next phase's start."""
    now = cpu_seconds(pid)
    out.setdefault("cpu", {})[phase] = (now - before) * 1000 / requests
    return now


def report(title: str, args: argparse.Namespace, out: dict) -> None:
    def line(values: list[float]) -> str:
        return f"p50 {statistics.median(values):.1f} ms, p99 {percentile(values, 0.99):.1f} ms"

    print(f"-- {title}")
    print(
        f"creates: {args.objects} ConfigMaps from {args.clients} raw clients {out['creates']:.0f}/s "
        f"(target >= 1,000/s); in-process baseline {out['baseline']:.0f}/s → {out['creates'] / out['baseline']:.1%}"
    )
    print(
        f"GET by name {line(out['gets'])} (target p50 <= 2, p99 <= 10); merge PATCH {line(out['patches'])} "
        f"(target p99 <= 10); baseline GET /livez {line(out['livez'])}"
    )
    print(f"official Python client, one thread: {out['client']:.0f} creates/s")
    if not args.busy:  # with a busy cluster beside, the server's CPU is mostly its control loops'
        cpu = out["cpu"]
        print(
            f"the server's CPU per request: create {cpu['create']:.2f} ms ({args.clients} clients), "
            f"GET /livez {cpu['livez']:.2f} ms, GET by name {cpu['get']:.2f} ms, merge PATCH {cpu['patch']:.2f} ms"
        )
    if "apply" in out:
        print(
            f"kubectl apply -f of {args.apply} ConfigMaps: {out['apply']:.1f} s (target <= 3 s); "
            f"with --validate=false {out['unvalidated']:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--apply", type=int, default=500, help="0: no kubectl apply")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument(
        "--postgres", default="", help="a PostgreSQL server's URL: each run on a fresh database there, not SQLite"
    )
    parser.add_argument("--busy", type=int, default=0, help="a second cluster rolling a Deployment of N pods")
    parser.add_argument(
        "--control-plane",
        choices=["in-server", "apart", "both"],
        default="in-server",
        help="the control loops in the server's process (make run), in `manage.py controlplane`, or one run of each",
    )
    args = parser.parse_args()
    busy = f", beside a cluster rolling {args.busy} pods" if args.busy else ""
    busy += ", on PostgreSQL" if args.postgres else ", on SQLite"
    if args.control_plane in ("in-server", "both"):
        report(f"control loops in the server's process{busy}", args, measure(args, apart=False))
    if args.control_plane in ("apart", "both"):
        report(f"control loops in manage.py controlplane{busy}", args, measure(args, apart=True))


if __name__ == "__main__":
    main()
