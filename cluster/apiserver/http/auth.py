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


def _cluster_where(column: str, value: str) -> Cluster | None:
    """The cluster whose unique `column` is `value`. A raw query: every API request asks, and building
    the ORM's SQL for the model's twenty columns cost three times the query itself (bench/http_api.py)."""
    table = Cluster._meta.db_table
    return next(iter(Cluster.objects.raw(f"SELECT * FROM {table} WHERE {column} = %s", [value])), None)


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(request: HttpRequest, cluster_name: str | None = None) -> Cluster:
    """The cluster this request may act on, or the StatusError kube-apiserver would answer.

    `cluster_name` None: the cluster whose token the request carries (the root of the API port);
    a name: that cluster, and only with its own token (`/k8s/<cluster>/…`)."""
    token = bearer_token(request)
    if cluster_name is None:
        cluster = _cluster_where("token", token) if token else None
    else:
        cluster = _cluster_where("name", cluster_name)
    expected = cluster.token if cluster is not None else _NO_TOKEN
    if not hmac.compare_digest(token.encode(), expected.encode()) or cluster is None:
        raise StatusError.unauthorized()
    return cluster
