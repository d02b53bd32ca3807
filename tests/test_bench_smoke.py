"""The benchmarks still run end to end and print their summary lines (at a small size)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(
    r"apiserver: 300 creates \d+/s, 300 updates \d+/s, list \(150 of 300 by label\) [\d.]+ s; "
    r"raw bulk insert \d+ rows/s; ratio [\d.]+ %"
)


def test_apiserver_bench_prints_its_summary_line():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "apiserver.py"), "--pods", "300"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert SUMMARY.search(result.stdout), result.stdout


RECONCILE_SUMMARY = re.compile(
    r"reconcile: 20 nodes, 100 replicas, (\d+) steps recorded, 100 Ready in [\d.]+ s wall \([\d.]+ pods/s\), "
    r"peak memory \d+ MiB; \d+ store writes \(\d+/s\) vs raw bulk insert \d+ rows/s: ratio [\d.]+ %"
)


@pytest.mark.parametrize("flags, recorded", [([], False), (["--record-steps"], True)])
def test_reconcile_bench_brings_every_replica_to_ready_and_prints_its_summary_line(flags, recorded):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "reconcile.py"), "--nodes", "20", "--replicas", "100", *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = RECONCILE_SUMMARY.search(result.stdout)
    assert summary, result.stdout
    assert (int(summary.group(1)) > 0) is recorded, result.stdout


HTTP_CPU = re.compile(
    r"the server's CPU per request: create ([\d.]+) ms \(2 clients\), GET /livez ([\d.]+) ms, "
    r"GET by name ([\d.]+) ms, merge PATCH ([\d.]+) ms"
)


@pytest.mark.live
def test_http_bench_drives_a_served_api_and_prints_the_servers_cpu_per_request():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    args = ["--objects", "60", "--clients", "2", "--samples", "30", "--apply", "0"]
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "http_api.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"creates: 60 ConfigMaps from 2 raw clients \d+/s", result.stdout), result.stdout
    cpu = HTTP_CPU.search(result.stdout)
    assert cpu, result.stdout
    assert float(cpu.group(1)) > 0, result.stdout  # the creates kept the server busy: /proc was read
