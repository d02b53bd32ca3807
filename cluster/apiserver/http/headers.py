"""kube-apiserver's response headers on the API's paths (k8s.io/apiserver's handler chain).

Every answer of the API, a refusal included, carries
- `Audit-Id`: the request's own `Audit-ID` header echoed as it came, else a new
  UUID (WithAuditInit): the id the request has in the audit log, which
  `kubectl -v=8` prints with the other response headers;
- `Cache-Control: no-cache, private`, unless the handler chose its own
  (WithCacheControl; the hashed OpenAPI documents are `public, immutable`).

The dashboard's pages are served by the same process through the same
middleware, which adds what a browser page needs: a Content-Language and a
`Vary` on the language and the cookie, a frame policy, a referrer and an
opener policy. kube-apiserver sends none of them and an API client has no use
for them, so they are taken off the API's answers here, and a student reading
`kubectl -v=8` sees the headers a real cluster sends. `X-Content-Type-Options:
nosniff` stays: upstream's response writers set it too.

Simplified: no `X-Kubernetes-Pf-*` headers (kubeclass has no API Priority and
Fairness, see ratelimit.py) and no `Date`.
"""

from __future__ import annotations

import uuid
from typing import Callable

from django.http import HttpRequest, HttpResponseBase

from cluster.apiserver.http.ratelimit import API_PREFIXES

AUDIT_ID = "Audit-Id"  # auditinternal.HeaderAuditID, as Go's net/http writes "Audit-ID"
CACHE_CONTROL = "no-cache, private"
PAGE_HEADERS = (
    "Content-Language",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Content-Security-Policy",
)
PAGE_VARY = {"accept-language", "cookie"}  # what LocaleMiddleware and the session add to Vary


class APIResponseHeaders:
    """First in MIDDLEWARE, so it sees an API answer last, as the outermost filters of upstream's chain do."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith(API_PREFIXES):
            as_kube_apiserver_answers(request, response)
        return response


def as_kube_apiserver_answers(request: HttpRequest, response: HttpResponseBase) -> None:
    for header in PAGE_HEADERS:
        if header in response:
            del response[header]
    if "Vary" in response:
        kept = [v.strip() for v in response["Vary"].split(",") if v.strip().lower() not in PAGE_VARY]
        if kept:
            response["Vary"] = ", ".join(kept)
        else:
            del response["Vary"]
    if "Cache-Control" not in response:
        response["Cache-Control"] = CACHE_CONTROL
    if AUDIT_ID not in response:
        response[AUDIT_ID] = request.headers.get("Audit-ID") or str(uuid.uuid4())
