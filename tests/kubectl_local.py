"""The real kubectl as an oracle that needs no server: `kubectl patch --local -f FILE -p PATCH -o OUTPUT`
runs kubectl's own patch code (strategicpatch, jsonpatch) and its own printers on a local object."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

KUBECTL = shutil.which("kubectl")


def patch_locally(
    obj: dict, patch: object, patch_type: str, output: str, tmp_path: Path
) -> subprocess.CompletedProcess:
    manifest = tmp_path / "object.json"
    manifest.write_text(json.dumps(obj))
    assert KUBECTL is not None
    return subprocess.run(
        [KUBECTL, "patch", "--local", "-f", str(manifest), "--type", patch_type, "-o", output, "-p", json.dumps(patch)],
        capture_output=True,
        text=True,
        timeout=20,
    )
