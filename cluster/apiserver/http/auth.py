"""kube-apiserver's authentication, reduced to its bearer-token authenticator.

Each simulated cluster has one token (Cluster.token), like a static token file
with a single admin user. A request without it, or with another cluster's, is
401 Unauthorized before anything else happens; an unknown cluster is 404.

Simplified: no client certificates, no RBAC (the token holder is cluster-admin).
"""
from __future__ import annotations

import hmac

from django.http import HttpRequest

from cluster.apiserver.errors import StatusError
from cluster.models import Cluster


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(request: HttpRequest, cluster_name: str) -> Cluster:
    """The cluster this request may act on, or the StatusError kube-apiserver would answer."""
    cluster = Cluster.objects.filter(name=cluster_name).first()
    if cluster is None:
        raise StatusError(404, "NotFound", f'cluster "{cluster_name}" not found',
                          {"name": cluster_name, "kind": "clusters"})
    token = bearer_token(request)
    if not token or not hmac.compare_digest(token.encode(), cluster.token.encode()):
        raise StatusError.unauthorized()
    return cluster
