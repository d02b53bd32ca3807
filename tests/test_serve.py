"""`manage.py serve`, what `make run` starts: the access log never holds a secret from a query string."""

from __future__ import annotations

import io

from web.management.commands.serve import PathOnlyAccessLog


def test_the_access_log_names_paths_without_their_query_strings():
    out = io.StringIO()
    log = PathOnlyAccessLog(out)
    log(
        "http",
        "complete",
        {
            "path": "/c/demo/?token=SECRET",
            "status": 200,
            "method": "GET",
            "client": "127.0.0.1:5",
            "time_taken": 0.01,
            "size": 10,
        },
    )
    log("websocket", "connected", {"path": "/classes/ABC/teach?key=SECRET2", "client": "127.0.0.1:6"})
    text = out.getvalue()
    assert '"GET /c/demo/"' in text and "WSCONNECT /classes/ABC/teach" in text
    assert "SECRET" not in text


def test_the_page_names_the_api_port_that_serve_listens_on(tmp_path):
    """Without KUBECLASS_API_URL, the kubectl line on the page and the kubeconfig name `--api-port`."""
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.browser.conftest import free_port
    from tests.livesrv import ROOT, server_env
    from tests.test_class_restart import Person

    env = server_env(tmp_path / "db.sqlite3")
    env.pop("KUBECLASS_API_URL", None)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    port, api_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port), "--api-port", str(api_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "serve did not answer within 30 s"
                time.sleep(0.2)
        student = Person()
        status, location, _ = student.call(base, "/sandboxes/new", {})
        assert status == 302
        _, _, page = student.call(base, location)
        _, _, kubeconfig = student.call(base, location + "kubeconfig")
        assert f"--server https://127.0.0.1:{api_port}" in page
        assert f"server: https://127.0.0.1:{api_port}" in kubeconfig
    finally:
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert time.monotonic() - started <= 5.0, "serve stops within 5 s of SIGTERM"
