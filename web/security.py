"""The browser-facing defences: a Content-Security-Policy, and a same-origin check for websockets.

The policy allows scripts only from this server (the page has no inline
script; htmx and app.js are static files), styles from this server plus the
inline <style> blocks of the lesson illustrations, and connections (fetch,
websockets) only back to this server. A websocket is accepted only when its
Origin is exactly this server's scheme, host and port: a page elsewhere —
even on the same host, another port — cannot open a student's stream with
their cookie.
"""

from __future__ import annotations

from typing import Awaitable, Callable
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "text/html" in response.get("Content-Type", ""):
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


def same_origin(scope: dict) -> bool:
    """Whether a websocket's Origin names this very server (scheme, host and port)."""
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1").lower()
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    default = {"http": 80, "https": 443}[scheme]
    try:
        origin_port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, -1)
        host_parts = urlsplit(f"//{host}")
        host_port = host_parts.port or default
    except ValueError:
        return False
    return parts.scheme == scheme and (parts.hostname or "") == (host_parts.hostname or "") and origin_port == host_port


class SameOriginValidator:
    """Refuses a websocket handshake whose Origin is not this server (ASGI middleware)."""

    def __init__(self, application: Callable[..., Awaitable[None]]) -> None:
        self.application = application

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "websocket" and not same_origin(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
