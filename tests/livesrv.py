"""A live Daphne server for tests that speak real HTTP (kubectl, the kubernetes client).

Migrates a temporary SQLite file, creates a cluster with `manage.py cluster
create`, serves it with Daphne over TLS on 127.0.0.1 on a free port in
8101-8119 and stops it afterwards. Clients reach the cluster at the server's
root (`url`), where the bearer token chooses it, as they would a real
apiserver; `legacy_url` is the older `/k8s/<cluster>` prefix. TLS because kubectl (client-go) sends a
bearer token only over https: against an http:// server it sends none at all.
The certificate is self-signed for 127.0.0.1 and handed to clients as their CA. The subprocess gets an
explicit environment without DATABASE_URL/REDIS_URL, so it uses its own SQLite file even when CI points the
test process at PostgreSQL.
"""
from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from web.devserver import server_env
from web.tls import create_certificate

ROOT = Path(__file__).resolve().parents[1]
PORTS = range(8101, 8120)
CLUSTER = "live"


@dataclass(frozen=True)
class LiveServer:
    url: str  # the API's root, https://127.0.0.1:<port>: the token chooses the cluster
    token: str
    ca_file: Path  # the server's self-signed certificate, to verify it with
    log: Path
    legacy_url: str = ""  # the same cluster under the older prefix, https://127.0.0.1:<port>/k8s/live
    env: dict[str, str] | None = None  # the server's environment: `manage.py` with it reaches the same database


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8101-8119")


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True,
                            timeout=120, capture_output=True, text=True)
    return result.stdout.strip()


def _wait_until_up(url: str, process: subprocess.Popen, ca_file: Path) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}")
        try:
            urllib.request.urlopen(url + "/version", timeout=2, context=context)
            return
        except urllib.error.HTTPError:
            return  # it answers (401 without a token): it is up
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("daphne did not answer within 30 s")


def live_server(workdir: Path, cluster: str = CLUSTER, nodes: int = 2) -> Iterator[LiveServer]:
    """Start the server, yield where it is, stop it (a generator for a pytest fixture).

    Its database is `workdir/db.sqlite3`: `server_env(workdir / "db.sqlite3")` reaches the same cluster
    from another process (e.g. `manage.py kubectl`)."""
    env = server_env(workdir / "db.sqlite3")
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "cluster", "create", cluster, "--nodes", str(nodes))
    token = _manage(env, "cluster", "token", cluster)
    key_file, cert_file = create_certificate(workdir, ["127.0.0.1"], days=1)
    port = _free_port()
    endpoint = f"ssl:port={port}:interface=127.0.0.1:privateKey={key_file}:certKey={cert_file}"
    log_path = workdir / "daphne.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "daphne"), "-e", endpoint, "web.asgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"https://127.0.0.1:{port}"
        try:
            _wait_until_up(url, process, cert_file)
            yield LiveServer(url, token, cert_file, log_path, legacy_url=f"{url}/k8s/{cluster}", env=env)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
