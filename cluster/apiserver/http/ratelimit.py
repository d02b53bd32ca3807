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

from cluster.apiserver.errors import StatusError

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


class Buckets:
    """A token bucket per client (a token, a session, an address), made on its first request."""

    MAX_CLIENTS = 10_000  # past this many, the idle ones are forgotten rather than kept without end

    def __init__(self) -> None:
        self.buckets: dict[str, TokenBucket] = {}
        self.lock = threading.Lock()

    def take(self, client: str, rate: float, burst: float) -> bool:
        with self.lock:
            bucket = self.buckets.get(client)
            if bucket is None:
                if len(self.buckets) >= self.MAX_CLIENTS:
                    self.buckets.clear()
                bucket = self.buckets[client] = TokenBucket(rate, burst)
            return bucket.take()


class Slots:
    """What is open at once (streaming sessions, watches, pages), per cluster and in all: one more is refused."""

    def __init__(self) -> None:
        self.open: dict[object, int] = {}
        self.lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        return key in self.open

    def take(self, key: object, per_key: int, total: int) -> bool:
        with self.lock:
            if self.open.get(key, 0) >= per_key or sum(self.open.values()) >= total:
                return False
            self.open[key] = self.open.get(key, 0) + 1
            return True

    def release(self, key: object) -> None:
        with self.lock:
            left = self.open.get(key, 0) - 1
            if left > 0:
                self.open[key] = left
            else:
                self.open.pop(key, None)


def slots_full() -> StatusError:
    """The 429 a long-running request gets when its cluster has as many open as it may."""
    return StatusError(429, "TooManyRequests", "Too many requests, please try again later.", {"retryAfterSeconds": 1})


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.buckets = Buckets()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request.headers.get("Authorization", "")
        if token and request.path.startswith(API_PREFIXES) and not self._allow(token):
            return too_many_requests()
        return self.get_response(request)

    def _allow(self, token: str) -> bool:
        return self.buckets.take(token, settings.KUBECLASS_API_QPS, settings.KUBECLASS_API_BURST)


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
