"""kube-apiserver's authentication, reduced to its bearer-token authenticator.

Each simulated cluster has one token (Cluster.token), like a static token file
with a single admin user. A request without it, with another cluster's, or
for a cluster that does not exist is 401 Unauthorized before anything else
happens — the same answer either way, so cluster names cannot be probed.

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
    token = bearer_token(request)
    expected = cluster.token if cluster is not None else "-" * 43  # compare anyway: the same time either way
    if not hmac.compare_digest(token.encode(), expected.encode()) or cluster is None:
        raise StatusError.unauthorized()
    return cluster
