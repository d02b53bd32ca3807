"""A live Daphne server and Debian's Chromium driven by Playwright, for the browser tests.

The server runs the way `make run` runs it (SQLite file, in-memory channel
layer), on a free 127.0.0.1 port, and is stopped when the tests end.
Screenshots land in artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.livesrv import server_env
from web.devserver import CHROMIUM, CHROMIUM_ARGS, free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def daphne_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Migrate a fresh SQLite file, create the demo cluster, serve it with Daphne."""
    workdir = tmp_path_factory.mktemp("live")
    env = server_env(workdir / "db.sqlite3")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    subprocess.run([*manage, "cluster", "ensure", "demo", "--nodes", "3"], cwd=ROOT, env=env, check=True, timeout=120)
    token = subprocess.run(
        [*manage, "cluster", "token", "demo"], cwd=ROOT, env=env, check=True, timeout=60, capture_output=True, text=True
    ).stdout.strip()
    port = free_port()
    log = open(workdir / "daphne.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "web.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield {"url": base, "token": token, "env": env, "log": workdir / "daphne.log"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}")
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("daphne did not answer within 30 s")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Playwright's sync API runs an event loop on this thread while it lives: module scope ends it
    before the async tests of later modules need the thread's loop."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    yield context.new_page()
    context.close()


def screenshot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
