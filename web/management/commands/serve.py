"""`manage.py serve`: the dashboard on http and the Kubernetes API on https, in one Daphne server.

What `make run` starts. The same as `daphne -b HOST -p PORT -e ssl:API_PORT:…
web.asgi:application`, with two differences a class server needs: the access
log names each request's path without its query string (share links and
teacher links carry secrets there: `?token=`, `?key=`), and a stop (SIGTERM,
Ctrl-C) gives the application at most 2 s to close, so the process is gone
within 5 s — the reconciler hands its clusters over before that
(web/asgi.py); and a websocket client gets CLOSE_HANDSHAKE_SECONDS, not
autobahn's 1 s, to answer the server's close frame (see `serve_websockets_patiently`).

`--endpoint` (repeatable) replaces the two listeners with Twisted endpoint
strings, as `daphne -e` takes them: the live tests serve the API alone on a port
and certificate of their own.
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
# kube-apiserver ends an exec with the Status, a close frame and an orderly close of the connection, so a client
# busy elsewhere still reads all three when it comes back. Autobahn instead waits 1 s for the client's answering
# close frame and then resets the connection: a client starved of CPU for a second lost the end of its session
# ("Connection to remote host was lost"). Daphne's own patience with a silent client (its ping timeout) is 30 s.
CLOSE_HANDSHAKE_SECONDS = 30


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
        parser.add_argument("--endpoint", action="append", default=[], help="a Twisted endpoint, as `daphne -e`")

    def handle(self, *args: object, **opts: object) -> None:
        host, port, api_port = str(opts["host"]), int(opts["port"]), int(opts["api_port"])  # type: ignore[call-overload]
        endpoints: list[str] = list(opts["endpoint"])  # type: ignore[call-overload]
        if not endpoints:
            key, cert = ensure_certificate(settings.KUBECLASS_TLS_DIR, [host, "localhost"])
            endpoints = [
                f"tcp:port={port}:interface={host}",
                f"ssl:port={api_port}:interface={host}:privateKey={key}:certKey={cert}",
            ]
        if "KUBECLASS_API_URL" not in os.environ:  # the page's kubectl line and kubeconfig name this port
            settings.KUBECLASS_API_URL = f"https://{host}:{api_port}"
        from web.asgi import application

        if opts["endpoint"]:
            self.stdout.write(f"kubeclass: serving on {', '.join(endpoints)}")
        else:
            self.stdout.write(
                f"kubeclass: the dashboard on http://{host}:{port}, the Kubernetes API on https://{host}:{api_port}"
            )
        server = Server(
            application=application,
            endpoints=endpoints,
            application_close_timeout=CLOSE_TIMEOUT_SECONDS,
            server_name="",  # no `Server:` header: kube-apiserver (Go's net/http) sends none, and a page needs none
            action_logger=None if opts["no_access_log"] else PathOnlyAccessLog(sys.stdout),
        )
        server.ready_callable = lambda: serve_websockets_patiently(server)
        server.run()


def serve_websockets_patiently(server: Server) -> None:
    """Give websocket clients CLOSE_HANDSHAKE_SECONDS to answer a close frame.

    Daphne calls this (its `ready_callable`) once its websocket factory exists and before it accepts a
    connection; autobahn's protocols take their options from the factory when a connection is made."""
    server.ws_factory.setProtocolOptions(closeHandshakeTimeout=CLOSE_HANDSHAKE_SECONDS)
