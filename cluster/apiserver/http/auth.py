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

import functools
import hmac
from typing import Any, Callable, Literal

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest

from cluster.apiserver.errors import StatusError
from cluster.dbcursor import DriverCursor
from cluster.models import Cluster

_NO_TOKEN = "-" * 43  # compared against when there is no cluster: the same work either way


def _cluster_where(column: Literal["token", "name"], value: str) -> Cluster | None:
    """The cluster whose unique `column` is `value`: `Cluster.objects.filter(**{column: value}).first()`
    (`_cluster_where_plain`, the reference), on the driver's cursor with the ORM's own converters.
    Every API request asks: the ORM's query for the model's twenty columns cost three times the query
    itself, and the raw queryset that replaced it 81–85 µs a lookup against 19 µs for this."""
    with DriverCursor() as cursor:
        cursor.execute(_CLUSTER_SELECT.format(column=column), [value])
        row = cursor.fetchone()
    if row is None:
        return None
    db = connections[DEFAULT_DB_ALIAS]
    values = []
    for value_, converters in zip(row, _converters(db.vendor)):
        for convert, col in converters:
            value_ = convert(value_, col, db)
        values.append(value_)
    return Cluster.from_db(DEFAULT_DB_ALIAS, _CLUSTER_FIELDS, values)


def _cluster_where_plain(column: Literal["token", "name"], value: str) -> Cluster | None:
    return Cluster.objects.filter(**{column: value}).first()


_FIELDS = Cluster._meta.concrete_fields
_CLUSTER_FIELDS = [f.attname for f in _FIELDS]
_COLUMNS = ", ".join(str(f.column) for f in _FIELDS)
_CLUSTER_SELECT = f"SELECT {_COLUMNS} FROM {Cluster._meta.db_table} WHERE {{column}} = %s"


@functools.cache
def _converters(vendor: str) -> list[list[tuple[Callable, Any]]]:
    """Per column, what the ORM's compiler applies to a value read from `vendor`'s database
    (SQLite's datetimes arrive as text, and aware only after the backend's converter)."""
    db = connections[DEFAULT_DB_ALIAS]
    out = []
    for field in _FIELDS:
        col = field.get_col(Cluster._meta.db_table)
        out.append([(c, col) for c in db.ops.get_db_converters(col) + field.get_db_converters(db)])
    return out


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
