"""Dashboard figures, measured in Debian's Chromium with the browser's performance API.

Starts Daphne on a fresh SQLite file (as `make run` does), then prints:
- first load of /c/<cluster>/ (navigation start → load event), against the
  same server's tiniest response (/static/kubeclass/app.css) as a baseline;
- page weight (the document plus every resource it loaded);
- step event latency: server send time → the page's MutationObserver, p50/p95;
- frame times while 1,000 pods are on the map and it is being redrawn, against
  the same page with no pods.

Usage: .venv/bin/python bench/dashboard.py [--pods 1000] [--steps 60]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from web.devserver import CHROMIUM, CHROMIUM_ARGS, free_port, server_env  # noqa: E402

SEED_PODS = """
import django, sys
django.setup()
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster import clock
count, name = int(sys.argv[1]), sys.argv[2]
cluster = create_cluster(name, nodes=10, seed=7, object_limit=0)
if count:
    clock.set_speed(cluster, 0)  # the 1,000 pods stay as they are while frames are measured
api = APIServer(cluster, client="bench")
for i in range(count):
    api.create("pods", "default", {"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"p{i:04d}", "labels": {"app": "bench"}},
        "spec": {"nodeName": f"worker-{i % 10 + 1}", "containers": [{"name": "c", "image": "nginx",
                 "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}})
print(cluster.token)
"""

FRAME_PROBE = """
async () => {
  const frames = [];
  let last = performance.now();
  let running = true;
  function tick(now) { frames.push(now - last); last = now; if (running) requestAnimationFrame(tick); }
  requestAnimationFrame(tick);
  const url = (name) => document.getElementById('app').dataset.panelUrl.replace('PANEL', name);
  for (let i = 0; i < 10; i++) {
    const map = await (await fetch(url('map'), {credentials: 'same-origin'})).text();
    document.getElementById('map').innerHTML = map;
    const pods = await (await fetch(url('pods'), {credentials: 'same-origin'})).text();
    document.getElementById('panel-body').innerHTML = pods;
    await new Promise(r => setTimeout(r, 50));
  }
  running = false;
  return frames.slice(1);
}
"""


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
        capture_output=capture,
        text=True,
    )
    return result.stdout if capture else ""


def seed(env: dict, name: str, pods: int) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SEED_PODS, str(pods), name],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().splitlines()[-1]


def load_ms(page: object, url: str) -> float:
    page.goto(url, wait_until="load")
    timing = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
    nav = json.loads(timing)
    return nav["loadEventEnd"] - nav["startTime"]


def page_weight(page: object) -> int:
    return int(
        page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        return performance.getEntriesByType('resource').reduce((sum, r) => sum + r.transferSize, nav.transferSize);
    }""")
    )


def frames(page: object, url: str) -> list[float]:
    page.goto(url, wait_until="load")
    return page.evaluate(FRAME_PROBE)


def step_latencies(page: object, url: str, env: dict) -> tuple[list[float], list[float]]:
    """Steps recorded while a Deployment rolls out, timed from the server's send to the page."""
    page.goto(url, wait_until="load")
    page.wait_for_selector("#ws-status.live")
    page.wait_for_timeout(2000)  # the initial history push is not what we measure
    page.evaluate("window.kubeclassStepLatencies.length = 0")
    manage(env, "kubectl", "--cluster", "empty", "create", "deployment", "web", "--image=nginx", "--replicas=5")
    page.wait_for_timeout(8000)
    latencies = page.evaluate("window.kubeclassStepLatencies.slice()")
    round_trips = page.evaluate("""async () => { const out = [];
        for (let i = 0; i < 20; i++) { const t = performance.now();
          await fetch('/static/kubeclass/app.css?' + i); out.push(performance.now() - t); }
        return out; }""")
    return latencies, round_trips


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(pods: int) -> None:
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="kubeclass-bench-"))
    env = server_env(workdir / "db.sqlite3")
    manage(env, "migrate", "--noinput", "-v0")
    empty_token = seed(env, "empty", 0)
    full_token = seed(env, "full", pods)
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "web.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        time.sleep(1.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context().new_page()
            page.goto(f"{base}/c/empty/?token={empty_token}")
            page.goto(f"{base}/c/full/?token={full_token}")
            baseline = [load_ms(page, f"{base}/static/kubeclass/app.css") for _ in range(5)]
            loads = [load_ms(page, f"{base}/c/empty/") for _ in range(5)]
            cold = browser.new_context().new_page()  # an empty cache: every byte counts
            cold.goto(f"{base}/c/empty/?token={empty_token}", wait_until="load")
            weight = page_weight(cold)
            empty_frames = frames(page, f"{base}/c/empty/")
            full_frames = frames(page, f"{base}/c/full/")
            latencies, round_trips = step_latencies(page, f"{base}/c/empty/", env)
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    print(
        f"first load: median {statistics.median(loads):.0f} ms "
        f"(baseline static file {statistics.median(baseline):.0f} ms, "
        f"ratio {statistics.median(loads) / max(statistics.median(baseline), 0.1):.1f}x) — target ≤ 300 ms"
    )
    print(f"page weight: {weight / 1024:.1f} KB — target ≤ 150 KB")
    print(
        f"step event server→page: p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms "
        f"over {len(latencies)} steps (baseline HTTP round trip p95 {percentile(round_trips, 95):.0f} ms) — "
        f"target p95 ≤ 50 ms"
    )
    print(
        f"frames with {pods} pods while the map redraws: max {max(full_frames):.0f} ms, "
        f"p95 {percentile(full_frames, 95):.0f} ms (baseline 0 pods: max {max(empty_frames):.0f} ms) — "
        f"target no frame over 100 ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    run(args.pods)


if __name__ == "__main__":
    main()
