"""kube-apiserver's health endpoints: /healthz, /livez and /readyz.

As k8s.io/apiserver/pkg/server/healthz serves them: each endpoint runs its
list of named checks. All passing is 200 `ok` (text/plain), or with `?verbose`
one `[+]<name> ok` line per check then `<endpoint> check passed`;
`?exclude=<name>` (repeatable) skips a check (`[+]<name> excluded: ok`) and
names it in a `warn:` line when no such check exists. Any failure is a 500
listing every check (`[-]<name> failed: reason withheld`) ending in
`<endpoint> check failed`. `/<endpoint>/<check>` runs one check alone: `ok`, or
500 `internal server error: <why>`.

The checks are upstream's names in upstream's order: ping and log, etcd (here:
the database that holds the etcd-like store answers a query) on all three;
etcd-readiness, informer-sync and shutdown only on /readyz; then the
post-start hooks of the parts kubeclass does simulate.

Simplified: the post-start hooks of parts kubeclass has no counterpart for
(the aggregator, apiextensions, RBAC bootstrap, priority and fairness) are
left out, and no --livez-grace-period.
"""

from __future__ import annotations

from typing import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse

from cluster.apiserver.errors import StatusError

Check = Callable[[], None]  # raises when unhealthy


def _ok() -> None:
    return None


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


POST_START_HOOKS: tuple[str, ...] = (
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/start-system-namespaces-controller",
    "poststarthook/bootstrap-controller",
)


def _checks(endpoint: str) -> list[tuple[str, Check]]:
    checks: list[tuple[str, Check]] = [("ping", _ok), ("log", _ok), ("etcd", _database)]
    if endpoint == "readyz":
        checks += [("etcd-readiness", _database), ("informer-sync", _ok)]
    checks += [(name, _ok) for name in POST_START_HOOKS]
    if endpoint == "readyz":
        checks.append(("shutdown", _ok))
    return checks


ENDPOINTS = ("healthz", "livez", "readyz")


def check_names(endpoint: str) -> list[str]:
    return [name for name, _ in _checks(endpoint)]


def _text(body: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _failure(check: Check) -> str | None:
    try:
        check()
    except Exception as err:  # noqa: BLE001 - a failing check is reported, not raised
        return str(err) or err.__class__.__name__
    return None


def serve(request: HttpRequest, endpoint: str, check: str = "") -> HttpResponse:
    """One health endpoint (`check` empty) or one of its checks, as handleRootHealth / adaptCheckToHandler."""
    checks = _checks(endpoint)
    if check:
        found = dict(checks).get(check)
        if found is None:
            raise StatusError.not_found_resource("", "", "")
        failure = _failure(found)
        # http.Error appends a newline to the message
        return _text(f"internal server error: {failure}\n", 500) if failure is not None else _text("ok")
    excluded = list(dict.fromkeys(request.GET.getlist("exclude")))
    lines: list[str] = []
    failed = False
    for name, run in checks:
        if name in excluded:
            excluded.remove(name)
            lines.append(f"[+]{name} excluded: ok\n")
        elif _failure(run) is not None:
            failed = True
            lines.append(f"[-]{name} failed: reason withheld\n")
        else:
            lines.append(f"[+]{name} ok\n")
    if excluded:
        quoted = ",".join(f'"{name}"' for name in sorted(excluded))
        lines.append(f"warn: some health checks cannot be excluded: no matches for {quoted}\n")
    if failed:
        return _text("".join(lines) + f"{endpoint} check failed\n", 500)
    if "verbose" not in request.GET:
        return _text("ok")
    return _text("".join(lines) + f"{endpoint} check passed\n")
