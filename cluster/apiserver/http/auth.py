"""kube-apiserver's authentication, reduced to its bearer-token authenticator.

Each simulated cluster has one token (Cluster.token), like a static token file
with a single admin user. kube-apiserver knows its caller from the credentials
alone, and so does kubeclass at the root of the API port: the token *chooses*
the cluster (`authenticate(request, None)`). Under the older `/k8s/<cluster>/`
prefix the name in the path must match the token's cluster.

A request without a token, with a wrong one, with another cluster's (under the
prefix), or for a cluster that does not exist is 401 Unauthorized before
anything else happens — the same Status whatever was sent, so neither tokens
nor cluster names can be probed.

Simplified: no client certificates, no RBAC (the token holder is cluster-admin)
and no anonymous requests (upstream lets `system:anonymous` read /healthz,
/livez, /readyz and /version; kubeclass has no cluster to answer for without a
token, so those are 401 too).
"""

from __future__ import annotations

import hmac

from django.http import HttpRequest

from cluster.apiserver.errors import StatusError
from cluster.models import Cluster

_NO_TOKEN = "-" * 43  # compared against when there is no cluster: the same work either way


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(request: HttpRequest, cluster_name: str | None = None) -> Cluster:
    """The cluster this request may act on, or the StatusError kube-apiserver would answer.

    `cluster_name` None: the cluster whose token the request carries (the root of the API port);
    a name: that cluster, and only with its own token (`/k8s/<cluster>/…`)."""
    token = bearer_token(request)
    if cluster_name is None:
        cluster = Cluster.objects.filter(token=token).first() if token else None
    else:
        cluster = Cluster.objects.filter(name=cluster_name).first()
    expected = cluster.token if cluster is not None else _NO_TOKEN
    if not hmac.compare_digest(token.encode(), expected.encode()) or cluster is None:
        raise StatusError.unauthorized()
    return cluster
