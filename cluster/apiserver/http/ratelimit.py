"""A request-rate limit per bearer token, answered as kube-apiserver's priority and fairness answers.

When a client sends more than KUBECLASS_API_QPS requests a second (with a
burst of KUBECLASS_API_BURST), further requests get 429 Too Many Requests
with a Retry-After header and the Status upstream sends, until the bucket
refills. One sandbox's script cannot take the server from the others.

Simplified: a token bucket per token in each server process (upstream's API
Priority and Fairness queues requests by flow schema and priority level
before it rejects any).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# The paths cluster/apiserver/http/urls.py serves at the root, and the older per-cluster prefix.
API_PREFIXES = ("/k8s/", "/api", "/apis", "/openapi/", "/version", "/healthz", "/readyz", "/livez")
RETRY_AFTER_SECONDS = 1


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.buckets: dict[str, TokenBucket] = {}
        self.lock = threading.Lock()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request.headers.get("Authorization", "")
        if token and request.path.startswith(API_PREFIXES) and not self._allow(token):
            return too_many_requests()
        return self.get_response(request)

    def _allow(self, token: str) -> bool:
        with self.lock:
            bucket = self.buckets.get(token)
            if bucket is None:
                if len(self.buckets) > 10_000:  # forget idle clients rather than grow without end
                    self.buckets.clear()
                bucket = self.buckets[token] = TokenBucket(settings.KUBECLASS_API_QPS, settings.KUBECLASS_API_BURST)
            return bucket.take()


def too_many_requests() -> HttpResponse:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Too many requests, please try again later.",
        "reason": "TooManyRequests",
        "details": {"retryAfterSeconds": RETRY_AFTER_SECONDS},
        "code": 429,
    }
    response = HttpResponse(json.dumps(body, separators=(",", ":")) + "\n", status=429, content_type="application/json")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
