"""`manage.py serve`, what `make run` starts: the access log never holds a secret from a query string."""
from __future__ import annotations

import io

from web.management.commands.serve import PathOnlyAccessLog


def test_the_access_log_names_paths_without_their_query_strings():
    out = io.StringIO()
    log = PathOnlyAccessLog(out)
    log("http", "complete", {"path": "/c/demo/?token=SECRET", "status": 200, "method": "GET",
                             "client": "127.0.0.1:5", "time_taken": 0.01, "size": 10})
    log("websocket", "connected", {"path": "/classes/ABC/teach?key=SECRET2", "client": "127.0.0.1:6"})
    text = out.getvalue()
    assert '"GET /c/demo/"' in text and "WSCONNECT /classes/ABC/teach" in text
    assert "SECRET" not in text
