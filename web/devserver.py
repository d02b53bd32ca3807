"""Running this project locally for the tests and the benchmarks: Daphne in a subprocess, Debian's Chromium.

`server_env` is the environment for a `manage.py serve` (or `migrate`, `cluster create`) subprocess on
its own SQLite file: without DATABASE_URL/REDIS_URL, so it uses the embedded defaults even when CI points
the calling process at PostgreSQL and Redis. `free_port` is a port the OS has just handed out on
127.0.0.1. CHROMIUM and CHROMIUM_ARGS launch Debian's Chromium headless under Playwright (never a
browser build of Playwright's own). tests/livesrv.py, tests/browser/conftest.py and bench/dashboard.py
share them from here, so the benchmarks need nothing from the tests.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"SQLITE_PATH": str(db_path), "DJANGO_SETTINGS_MODULE": "web.settings", "PYTHONUNBUFFERED": "1"})
    return env
