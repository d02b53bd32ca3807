"""A live Daphne server for tests that speak real HTTP (kubectl, the kubernetes client).

`serve` migrates a temporary SQLite file and serves it with Daphne over TLS on a free 127.0.0.1 port (the
system's pick, so two test workers never race for one), and stops it afterwards; `add_cluster` gives it a
cluster with `manage.py cluster create`. Clients reach
a cluster at the server's root (`url`), where the bearer token chooses it, as they would a real apiserver;
`legacy_url` is the older `/k8s/<cluster>` prefix. TLS because kubectl (client-go) sends a
bearer token only over https: against an http:// server it sends none at all.
The certificate is self-signed for 127.0.0.1 and handed to clients as their CA; `LiveKubectl` is the
real kubectl pointed at it with flags, with a HOME and KUBECONFIG of its own. The subprocess gets an
explicit environment without DATABASE_URL/REDIS_URL, so it uses its own SQLite file even when CI points the
test process at PostgreSQL.

Most live modules share one server for the whole session (tests/conftest.py's `live_daphne`), each with a
cluster of its own (`shared_cluster`, deleted when the module is done, so the server drives only the clusters in
use); `live_server` is a server of one's own with one cluster, for a module that needs its own settings or
stops the server.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from web.devserver import free_port, server_env
from web.tls import create_certificate

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = "live"


@dataclass(frozen=True)
class LiveServer:
    url: str  # the API's root, https://127.0.0.1:<port>: the token chooses the cluster
    token: str
    ca_file: Path  # the server's self-signed certificate, to verify it with
    log: Path
    legacy_url: str = ""  # the same cluster under the older prefix, https://127.0.0.1:<port>/k8s/live
    env: dict[str, str] | None = None  # the server's environment: `manage.py` with it reaches the same database
    cluster: str = CLUSTER  # the cluster's name (`manage.py kubectl --cluster`, `cluster kubeconfig`)


@dataclass(frozen=True)
class Daphne:
    """A running server, without clusters of its own: `add_cluster` and `shared_cluster` give it some."""

    url: str
    ca_file: Path
    log: Path  # Daphne's output, every cluster's requests in one file
    env: dict[str, str]
    deleting: list[subprocess.Popen] = field(default_factory=list)  # `cluster delete`s under way (shared_cluster)


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


# `manage.py cluster create` and `cluster token` in one process (each `manage.py` costs a second to start).
# `frozen`: what `cluster create` does, with the cluster's clock standing still from the start.
_CREATE = """
import sys
import django
django.setup()
from django.core.management import call_command
from cluster.bootstrap import create_cluster
from cluster.clock import wall_now
name, nodes, frozen = sys.argv[1], sys.argv[2], sys.argv[3] == "frozen"
if frozen:
    create_cluster(name, nodes=int(nodes), frozen_at=wall_now())
else:
    call_command("cluster", "create", name, "--nodes", nodes)
call_command("cluster", "token", name)
"""
_DELETE = """
import sys
import django
django.setup()
from django.core.management import call_command
call_command("cluster", "delete", sys.argv[1])
"""


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


def serve(workdir: Path) -> Iterator[Daphne]:
    """Migrate `workdir/db.sqlite3`, start Daphne on it, yield it, stop it (a generator for a pytest fixture).

    `server_env(workdir / "db.sqlite3")` (the Daphne's `env`) reaches the same database from another process
    (e.g. `manage.py kubectl`)."""
    env = server_env(workdir / "db.sqlite3")
    _manage(env, "migrate", "--noinput", "-v0")
    key_file, cert_file = create_certificate(workdir, ["127.0.0.1"], days=1)
    port = free_port()
    endpoint = f"ssl:port={port}:interface=127.0.0.1:privateKey={key_file}:certKey={cert_file}"
    log_path = workdir / "daphne.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "serve", "--endpoint", endpoint],  # Daphne, as `make run`'s
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"https://127.0.0.1:{port}"
        server = Daphne(url, cert_file, log_path, env)
        try:
            _wait_until_up(url, process, cert_file)
            yield server
        finally:
            failed = [err for err in (_finish(deleting) for deleting in server.deleting) if err is not None]
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    assert not failed, failed


def _finish(deleting: subprocess.Popen) -> str | None:
    """Wait for a `cluster delete` in the background: None when it succeeded, else what it printed."""
    try:
        out, err = deleting.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        deleting.kill()
        out, err = deleting.communicate()
    return None if deleting.returncode == 0 else f"{deleting.args[-1]}: exit {deleting.returncode}: {out}{err}"


def add_cluster(server: Daphne, cluster: str, nodes: int = 2, frozen: bool = False) -> LiveServer:
    """`manage.py cluster create` on the server's database, and the new cluster's token (`cluster token`).

    `frozen`: the cluster is created with its clock standing still (speed 0), so that no control loop ever moves
    it, as if the server ran no reconciler: for byte-for-byte comparisons of two runs against the same state."""
    done = subprocess.run(
        [sys.executable, "-c", _CREATE, cluster, str(nodes), "frozen" if frozen else "running"],
        cwd=ROOT,
        env=server.env,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"cluster create {cluster}: {done.stderr}"
    token = done.stdout.strip().splitlines()[-1]
    return LiveServer(
        server.url,
        token,
        server.ca_file,
        server.log,
        legacy_url=f"{server.url}/k8s/{cluster}",
        env=server.env,
        cluster=cluster,
    )


def shared_cluster(server: Daphne, cluster: str, nodes: int = 2, frozen: bool = False) -> Iterator[LiveServer]:
    """A cluster of a module's own on the session's shared server (a generator for a module-scoped fixture).

    Its name must be unique among the modules: two modules on one name would share a cluster. Afterwards it is
    deleted (`manage.py cluster delete`), so that the server drives only the clusters of the modules still
    running; in the background, the next module need not wait for it (`serve` does, before it stops)."""
    live = add_cluster(server, cluster, nodes, frozen=frozen)
    try:
        yield live
    finally:
        server.deleting.append(
            subprocess.Popen(
                [sys.executable, "-c", _DELETE, cluster],
                cwd=ROOT,
                env=server.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )


def live_server(workdir: Path, cluster: str = CLUSTER, nodes: int = 2) -> Iterator[LiveServer]:
    """A server of one's own with one cluster: start it, yield where it is, stop it (a generator for a pytest
    fixture). Its database is `workdir/db.sqlite3`."""
    for server in serve(workdir):
        yield add_cluster(server, cluster, nodes)


class LiveKubectl:
    """The real kubectl against a live server: flags name the server, a HOME of its own keeps the user's config out.

    `quiet`: a command that succeeds must print no warning either."""

    def __init__(self, server: LiveServer, home: Path, quiet: bool = False) -> None:
        self.server = server
        self.quiet = quiet
        self.env = {**os.environ, "KUBECONFIG": str(home / "kubeconfig"), "HOME": str(home)}
        self.flags = ["--server", server.url, "--token", server.token, "--certificate-authority", str(server.ca_file)]

    def run(
        self,
        *args: str,
        stdin: str | bytes | None = None,
        check: bool = True,
        timeout: float = 30,
        env: dict | None = None,
    ) -> subprocess.CompletedProcess:
        text = not isinstance(stdin, bytes)
        result = subprocess.run(
            ["kubectl", *self.flags, *args],
            input=stdin,
            capture_output=True,
            text=text,
            timeout=timeout,
            env={**self.env, **(env or {})},
        )
        if check:
            assert result.returncode == 0, result.stderr
            if self.quiet:
                assert "warning" not in result.stderr.lower(), result.stderr
        return result

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            ["kubectl", *self.flags, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
        )
