"""A request-rate limit on the dashboard's own pages, per visitor.

Sync views run on one thread in Daphne (Django's thread-sensitive executor), so a
script that posts commands to its sandbox's terminal as fast as the server answers
would hold that thread and stall every other page of the class. Each session may
make KUBECLASS_PAGE_QPS requests a second with a burst of KUBECLASS_PAGE_BURST, and
each address ten times that (a class behind one router shares an address; a script
that makes a new session for every burst still has one); past either the answer is
429 with Retry-After. A page in use makes a few a second at most; the Kubernetes
API has its own limit per token (cluster/apiserver/http/ratelimit.py).

What makes a cluster (a new sandbox, a lesson started, a class, a reset) costs a
tenth of a second and a quarter of a megabyte of database, and a script could ask
for ten a second until the disk was full: each address may make
KUBECLASS_CREATIONS_PER_MINUTE of them, with a burst of KUBECLASS_CREATION_BURST
(a class behind one router starting a lesson together).
"""

from __future__ import annotations

from functools import wraps
from typing import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _

from cluster.apiserver.http.ratelimit import API_PREFIXES, Buckets

RETRY_AFTER_SECONDS = 1
PER_ADDRESS = 10  # an address's allowance, in sessions' allowances


class PageRateLimit:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.buckets = Buckets()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIXES) or self._allow(request):
            return self.get_response(request)
        response = HttpResponse(_("Too many requests at once. Wait a moment and try again."), status=429)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    def _allow(self, request: HttpRequest) -> bool:
        """Both buckets pay: the session's (when it is a session the server knows) and the address's."""
        session = request.session.session_key  # after SessionMiddleware: None for a cookie it does not know
        qps, burst = settings.KUBECLASS_PAGE_QPS, settings.KUBECLASS_PAGE_BURST
        address = request.META.get("REMOTE_ADDR", "")
        allowed = self.buckets.take(f"address:{address}", qps * PER_ADDRESS, burst * PER_ADDRESS)
        return (self.buckets.take(f"session:{session}", qps, burst) if session else True) and allowed


creations = Buckets()  # the cluster-making actions', per address


def limit_creation(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A view that makes a cluster: 429 past the address's allowance, before anything is made."""

    @wraps(view)
    def limited(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        rate, burst = settings.KUBECLASS_CREATIONS_PER_MINUTE / 60, settings.KUBECLASS_CREATION_BURST
        if not creations.take(request.META.get("REMOTE_ADDR", ""), rate, burst):
            response = HttpResponse(
                _("Many clusters were made from here just now. Wait a minute and try again."), status=429
            )
            response["Retry-After"] = "60"
            return response
        return view(request, *args, **kwargs)

    return limited
