"""bench/apiserver.py still runs end to end and prints its summary (a few hundred pods, not ten thousand)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(
    r"apiserver: 300 creates \d+/s, 300 updates \d+/s, list \(150 of 300 by label\) [\d.]+ s; "
    r"raw bulk insert \d+ rows/s; ratio [\d.]+ %")


def test_apiserver_bench_prints_its_summary_line():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "apiserver.py"), "--pods", "300"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert SUMMARY.search(result.stdout), result.stdout
