"""`manage.py serve`: the dashboard on http and the Kubernetes API on https, in one Daphne server.

What `make run` starts. The same as `daphne -b HOST -p PORT -e ssl:API_PORT:…
web.asgi:application`, with two differences a class server needs: the access
log names each request's path without its query string (share links and
teacher links carry secrets there: `?token=`, `?key=`), and a stop (SIGTERM,
Ctrl-C) gives the application at most 2 s to close, so the process is gone
within 5 s — the reconciler hands its clusters over before that
(web/asgi.py).
"""

from __future__ import annotations

import argparse
import os
import sys

from daphne.access import AccessLogGenerator
from daphne.server import Server
from django.conf import settings
from django.core.management.base import BaseCommand

from web.tls import ensure_certificate

CLOSE_TIMEOUT_SECONDS = 2


class PathOnlyAccessLog(AccessLogGenerator):
    """Daphne's access log, without query strings: secrets travel in some of them."""

    def __call__(self, protocol: str, action: str, details: dict) -> None:
        details = dict(details)
        if isinstance(details.get("path"), str):
            details["path"] = details["path"].split("?", 1)[0]
        super().__call__(protocol, action, details)


class Command(BaseCommand):
    help = "Serve the dashboard (http) and the Kubernetes API (https) with Daphne."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--api-port", type=int, default=6443)
        parser.add_argument("--no-access-log", action="store_true")

    def handle(self, *args: object, **opts: object) -> None:
        host, port, api_port = str(opts["host"]), int(opts["port"]), int(opts["api_port"])  # type: ignore[call-overload]
        key, cert = ensure_certificate(settings.KUBECLASS_TLS_DIR, [host, "localhost"])
        endpoints = [
            f"tcp:port={port}:interface={host}",
            f"ssl:port={api_port}:interface={host}:privateKey={key}:certKey={cert}",
        ]
        if "KUBECLASS_API_URL" not in os.environ:  # the page's kubectl line and kubeconfig name this port
            settings.KUBECLASS_API_URL = f"https://{host}:{api_port}"
        from web.asgi import application

        self.stdout.write(
            f"kubeclass: the dashboard on http://{host}:{port}, the Kubernetes API on https://{host}:{api_port}"
        )
        Server(
            application=application,
            endpoints=endpoints,
            application_close_timeout=CLOSE_TIMEOUT_SECONDS,
            server_name="",  # no `Server:` header: kube-apiserver (Go's net/http) sends none, and a page needs none
            action_logger=None if opts["no_access_log"] else PathOnlyAccessLog(sys.stdout),
        ).run()
