"""ASGI entry point: Django over HTTP, Channels consumers over websockets.

Daphne serves this one application on the dashboard's port and on the API's
TLS port. Over HTTP both reach the same Django URL conf, where the Kubernetes
API's paths at the root (`/api`, `/apis`, `/version`, `/healthz`, `/livez`,
`/readyz`, `/openapi/…`) go to kube-apiserver's views and everything else to
the dashboard's pages; cluster/apiserver/http/urls.py says why both ports.

The API's requests (not the dashboard's pages) are served on a pool of threads
that keep their database connections (web/apipool.py), in front of the same
Django.

Websockets are checked three times: the Host must be one of ALLOWED_HOSTS,
the Origin must be this very server — scheme, host and port (web/security.py)
— and the consumer only accepts a session that may open the cluster. The
exception is the API's streaming paths (`…/pods/NAME/exec|attach|portforward`,
what `kubectl exec`, `cp` and `port-forward` open): no browser, no Origin, a
bearer token instead — cluster/apiserver/http/streaming.py takes those.

The reconciler (cluster/reconciler/service.py) runs as an asyncio task in this
process. Daphne sends no ASGI lifespan events, so it is started when Daphne's
reactor starts running (Daphne installs Twisted's asyncio reactor before it
imports this module) and, as a fallback for other servers, on the first ASGI
call. KUBECLASS_RECONCILER=0 turns it off.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
os.umask(0o077)  # the database, the secret key and the TLS key are this user's alone

from django.core.asgi import get_asgi_application  # noqa: E402

django_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from cluster import notify  # noqa: E402
from cluster.apiserver.http.streaming import KubernetesStreams  # noqa: E402
from cluster.reconciler import service as reconciler  # noqa: E402
from web import daphne_denial  # noqa: E402
from web.routing import websocket_urlpatterns  # noqa: E402
from web.apipool import PooledAPI  # noqa: E402
from web.security import SameOriginValidator  # noqa: E402


def _on_the_serving_loop() -> None:
    """Once the loop that serves the sockets runs: the dashboards' notifications from other threads (the
    API's pool, the reconciler's) are handed to it, and the reconciler starts on it. Every socket and request
    comes through here first, so the pages' consumers need not name it again."""
    notify.deliver_on(asyncio.get_running_loop())
    reconciler.start_in_background()


class StartsReconciler:
    """Wraps the application so that the first call starts the reconciler task."""

    def __init__(self, app: object) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        _on_the_serving_loop()
        await self.app(scope, receive, send)  # type: ignore[operator]


def _start_with_daphne() -> None:
    """Start with Daphne's reactor, so `make run` drives clusters before the first request."""
    if "twisted.internet.reactor" not in sys.modules:
        return  # not under Daphne: importing the reactor here would install the wrong one
    from twisted.internet import reactor as installed

    from twisted.internet import threads

    # Twisted types the reactor by zope.interface declarations, which mypy cannot check calls against.
    reactor: Any = installed
    # callLater(0): run inside the asyncio loop once it is running, not during reactor start-up.
    reactor.callWhenRunning(lambda: reactor.callLater(0, _on_the_serving_loop))
    # On SIGTERM, before the reactor stops: release this process's leases (a blocking database
    # call, so in a thread), so another worker takes the clusters over now instead of in 15 s.
    reactor.addSystemEventTrigger("before", "shutdown", lambda: threads.deferToThread(reconciler.shut_down))


# kubectl's exec/attach/port-forward websockets (a bearer token, no Origin) go to the API's streaming consumer;
# every other websocket is the dashboard's, behind the same-origin and session checks.
application = StartsReconciler(
    ProtocolTypeRouter(
        {
            "http": PooledAPI(django_app),
            "websocket": KubernetesStreams(
                SameOriginValidator(
                    AllowedHostsOriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns)))
                ),
                denial=daphne_denial.install(),
            ),
        }
    )
)
_start_with_daphne()
