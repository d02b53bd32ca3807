"""The benchmarks still run end to end and print their summary lines (at a small size)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, *args: str, timeout: float) -> str:
    """The bench's output, on a SQLite file of its own (neither the suite's database nor DATABASE_URL's)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


SUMMARY = re.compile(
    r"apiserver: 300 creates \d+/s, 300 updates \d+/s, list \(150 of 300 by label\) [\d.]+ s; "
    r"raw bulk insert \d+ rows/s; ratio [\d.]+ %"
)


def test_apiserver_bench_prints_its_summary_line():
    out = run_bench("apiserver.py", "--pods", "300", timeout=120)
    assert SUMMARY.search(out), out


RECONCILE_SUMMARY = re.compile(
    r"reconcile: 20 nodes, 100 replicas, (\d+) steps recorded, 100 Ready in [\d.]+ s wall \([\d.]+ pods/s\), "
    r"peak memory \d+ MiB; \d+ store writes \(\d+/s\) vs raw bulk insert \d+ rows/s: ratio [\d.]+ %"
)


@pytest.mark.parametrize("flags, recorded", [([], False), (["--record-steps"], True)])
def test_reconcile_bench_brings_every_replica_to_ready_and_prints_its_summary_line(flags, recorded):
    out = run_bench("reconcile.py", "--nodes", "20", "--replicas", "100", *flags, timeout=180)
    summary = RECONCILE_SUMMARY.search(out)
    assert summary, out
    assert (int(summary.group(1)) > 0) is recorded, out


HTTP_CPU = re.compile(
    r"the server's CPU per request: create ([\d.]+) ms \(2 clients\), GET /livez ([\d.]+) ms, "
    r"GET by name ([\d.]+) ms, merge PATCH ([\d.]+) ms"
)


@pytest.mark.live
def test_http_bench_drives_a_served_api_and_prints_the_servers_cpu_per_request():
    args = ["--objects", "60", "--clients", "2", "--samples", "30", "--apply", "0"]
    out = run_bench("http_api.py", *args, timeout=180)
    assert re.search(r"creates: 60 ConfigMaps from 2 raw clients \d+/s", out), out
    cpu = HTTP_CPU.search(out)
    assert cpu, out
    assert float(cpu.group(1)) > 0, out  # the creates kept the server busy: /proc was read
