"""A class survives a server restart: the teacher, the students, their sandboxes and their progress.

Runs Daphne on a SQLite file, starts a class, lets a student join and finish a
step in their hands-on sandbox, stops the server (SIGTERM) and starts a new one
on the same file. The student's next request lands in the same sandbox with the
step still done, and the teacher's desk still lists them.
"""

from __future__ import annotations

import http.cookiejar
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.browser.conftest import free_port
from tests.livesrv import ROOT, server_env


class Person:
    """A browser without a screen: cookies, the CSRF token, no redirects followed."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()

        class Stay(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), Stay())

    def call(self, base: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        headers = {}
        if data is not None:
            if not any(c.name == "csrftoken" for c in self.jar):
                self.call(base, "/")
            headers["X-CSRFToken"] = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(base + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Location", ""), err.read().decode()


def serve(env: dict, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "web.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("daphne did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def test_a_class_and_its_progress_survive_a_restart(tmp_path):
    env = server_env(tmp_path / "db.sqlite3")
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    teacher, student = Person(), Person()
    process = serve(env, port, tmp_path / "daphne.log")
    try:
        status, location, _ = teacher.call(base, "/classes/new", {"lesson": "rolling-update"})
        assert status == 302
        code = location.rstrip("/").split("/")[-2]
        assert student.call(base, "/join", {"code": code, "name": "Ada"})[0] == 302
        assert teacher.call(base, f"/classes/{code}/mode", {"mode": "hands-on"})[0] == 200
        status, sandbox, _ = student.call(base, f"/classes/{code}/")
        assert status == 302 and re.search(r"/c/[a-z0-9]+-s\d+-[0-9a-f]+/$", sandbox)
        cluster = sandbox.rstrip("/").split("/")[-1]
        status, _, html = student.call(base, f"/c/{cluster}/kubectl", {"command": "kubectl get pods -l app=web"})
        assert status == 200 and 'data-step="look" data-state="done"' in html
    finally:
        stop(process)

    process = serve(env, port, tmp_path / "daphne.log")
    try:
        status, again, _ = student.call(base, f"/classes/{code}/")
        assert (status, again) == (302, sandbox)  # the same sandbox, not a new one
        _, _, page = student.call(base, f"/c/{cluster}/")
        assert 'data-step="look" data-state="done"' in page and "1 of 5 steps done" in page
        _, _, desk = teacher.call(base, f"/classes/{code}/desk")
        assert 'data-student="Ada"' in desk and 'data-step="look">✔' in desk
    finally:
        stop(process)
