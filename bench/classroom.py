"""Classroom figures: a teacher and 30 followers over real websockets, and 30 hands-on sandboxes.

Starts Daphne on a fresh SQLite file (as `make run` does, on 127.0.0.1), then
- a teacher starts a class on a lesson and turns on step mode; 30 students join
  with the class code and open the dashboard's websocket with their session, as
  their browsers would;
- the teacher presses Next --steps times; for each press the figure is the time
  from the teacher's POST until the revealed step has arrived on EVERY
  student's socket (the slowest of the 30); printed as p50/p95/max, against an
  HTTP round trip (GET /) measured in the same run as the baseline;
- the teacher switches the class to Hands-on: the wall time until all 30
  sandboxes are seeded from the lesson's scenario (the POST returns when they are),
  against one sandbox seeded on its own (the teacher's Reset of a student, 5 times).

Usage: .venv/bin/python bench/classroom.py [--students 30] [--steps 40] [--lesson rolling-update]
(needs the test dependencies: `make install-test`, for the websockets client).
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
SEQ = re.compile(r'data-seq="(\d+)"')


class Browser:
    """One person's cookies and CSRF token, speaking plain HTTP to the server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Location", ""), err.read().decode()

    def post(self, path: str, data: dict) -> tuple[int, str, str]:
        if not self.cookie("csrftoken"):
            self.get("/")
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.base + path, data=body, method="POST", headers={"X-CSRFToken": self.cookie("csrftoken")}
        )
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Location", ""), err.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def start_server(workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"SQLITE_PATH": str(workdir / "db.sqlite3"), "DJANGO_SETTINGS_MODULE": "web.settings"})
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
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
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("daphne did not start")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def follow(
    base: str,
    cluster: str,
    session: str,
    arrivals: dict[int, float],
    ready: asyncio.Event,
    count: list[int],
    received: list[int],
    page_state: dict,
) -> None:
    url = base.replace("http://", "ws://") + f"/ws/c/{cluster}/"
    headers = {"Cookie": f"sessionid={session}", "Origin": base}
    async with websockets.connect(url, additional_headers=headers, max_size=2**24) as socket_:
        await socket_.send(json.dumps(page_state))  # what the page sends: it holds the map it was rendered with
        count[0] += 1
        if count[0] == count[1]:
            ready.set()
        async for message in socket_:
            now = time.perf_counter()
            received[0] += len(message)
            for seq in SEQ.findall(message if isinstance(message, str) else message.decode()):
                arrivals.setdefault(int(seq), now)


async def measure(base: str, students: int, steps: int, lesson: str) -> None:
    teacher = Browser(base)
    status, location, _ = teacher.post("/classes/new", {"lesson": lesson})
    assert status == 302, status
    code = location.rstrip("/").split("/")[-2]
    status, location, _ = teacher.get(f"/classes/{code}/teach")
    cluster = location.rstrip("/").split("/")[-1]
    sessions = []
    for i in range(students):
        student = Browser(base)
        student.get(f"/join?code={code}")
        status, _, _ = student.post("/join", {"code": code, "name": f"student-{i:02d}"})
        assert status == 302, status
        sessions.append(student.cookie("sessionid"))
    assert teacher.post(f"/c/{cluster}/control", {"action": "step-mode", "value": "on"})[0] == 200
    arrivals: list[dict[int, float]] = [{} for _ in sessions]
    ready, count = asyncio.Event(), [0, len(sessions)]
    received = [[0] for _ in sessions]
    connect_started = time.perf_counter()
    page = Browser(base)
    page.jar = teacher.jar
    _, _, html = teacher.get(f"/c/{cluster}/")
    revision = re.search(r'id="live-revision">(\d+)<', html).group(1)
    mode = re.search(r'id="cluster-mode" data-mode="([^"]*)" data-speed="([^"]*)"', html)
    page_state = {
        "type": "resync",
        "last_seq": "0",
        "panel": "pods",
        "revision": revision,
        "mode": mode.group(1),
        "speed": mode.group(2),
    }
    tasks = [
        asyncio.create_task(follow(base, cluster, s, arrivals[i], ready, count, received[i], page_state))
        for i, s in enumerate(sessions)
    ]
    await asyncio.wait_for(ready.wait(), 120)
    connected = time.perf_counter() - connect_started
    await asyncio.sleep(3)  # the history every page gets on connecting has arrived
    snapshot = max(r[0] for r in received)
    loop = asyncio.get_running_loop()
    latencies = []
    for _ in range(steps):
        known = max((max(a) if a else 0) for a in arrivals)
        started = time.perf_counter()
        await loop.run_in_executor(None, teacher.post, f"/c/{cluster}/control", {"action": "next"})
        deadline = started + 10
        while time.perf_counter() < deadline:
            fresh = [min((t for seq, t in a.items() if seq > known), default=None) for a in arrivals]
            if all(t is not None for t in fresh):
                latencies.append(max(fresh) - started)  # the last student to see it
                break
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.3)
    for task in tasks:
        task.cancel()
    baseline = []
    for _ in range(30):
        t = time.perf_counter()
        teacher.get("/")
        baseline.append(time.perf_counter() - t)
    ms = [x * 1000 for x in latencies]
    print(
        f"connect: {students} sockets open in {connected:.1f} s; the first push to a new socket "
        f"{snapshot / 1024:.1f} KB (target <= 16 KB)"
    )
    print(
        f"follow: {students} students, {len(ms)} of {steps} Next presses seen by all: Next → step on every "
        f"socket p50 {statistics.median(ms):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, p99 "
        f"{percentile(ms, 0.99):.0f} ms, max {max(ms):.0f} ms (targets: p95 <= 250 ms for 30, p99 <= 250 ms "
        f"for 300); baseline HTTP GET / p95 {percentile(baseline, 0.95) * 1000:.1f} ms"
    )
    if students > 60:
        return  # the hands-on figure is for a class of 30
    started = time.perf_counter()
    status, _, _ = teacher.post(f"/classes/{code}/mode", {"mode": "hands-on"})
    hands_on = time.perf_counter() - started
    assert status == 200, status
    # The baseline: a sandbox seeded on its own, as the teacher's Reset of one student seeds it.
    _, _, desk = teacher.get(f"/classes/{code}/desk")
    ids = re.findall(rf"/classes/{code}/students/(\d+)/reset", desk)[:5]
    alone = []
    for student_id in ids:
        t = time.perf_counter()
        assert teacher.post(f"/classes/{code}/students/{student_id}/reset", {})[0] == 200
        alone.append(time.perf_counter() - t)
    one = statistics.median(alone)
    print(
        f"hands-on: {students} sandboxes seeded from {lesson} in {hands_on:.1f} s "
        f"({hands_on / students * 1000:.0f} ms each; target <= 10 s); baseline: one seeded on its own "
        f"(a Reset) {one * 1000:.0f} ms, median of {len(alone)}, so {students} of them {one * students:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--lesson", default="rolling-update")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, base = start_server(Path(tmp))
        try:
            asyncio.run(measure(base, args.students, args.steps, args.lesson))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
