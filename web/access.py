"""Who may open a cluster in the browser.

A cluster is reachable from its owner's session (the sandbox a visitor got
without an account), or by anyone who presents its token once — the token a
teacher shares to put the class on the demo cluster. The token is then kept
in the session, never in the page's links.
"""
from __future__ import annotations

import secrets

from django.http import HttpRequest

from cluster.models import Cluster

SESSION_KEY = "kubeclass_clusters"


def session_id(request: HttpRequest) -> str:
    """The visitor's session key, creating the session on first visit."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def granted(request: HttpRequest) -> list[str]:
    return list(request.session.get(SESSION_KEY, []))


def grant(request: HttpRequest, cluster: Cluster) -> None:
    names = granted(request)
    if cluster.name not in names:
        request.session[SESSION_KEY] = names + [cluster.name]


def can_open(request: HttpRequest, cluster: Cluster) -> bool:
    token = request.GET.get("token", "")
    if token and secrets.compare_digest(token, cluster.token):
        grant(request, cluster)
        return True
    if cluster.owner_session and cluster.owner_session == request.session.session_key:
        return True
    return cluster.name in granted(request)


def visible_clusters(request: HttpRequest) -> list[Cluster]:
    owned = Cluster.objects.filter(owner_session=session_id(request)) if request.session.session_key else []
    names = {c.name for c in owned}
    shared = Cluster.objects.filter(name__in=[n for n in granted(request) if n not in names])
    return sorted([*owned, *shared], key=lambda c: c.created_at)


def scope_can_open(session: object, cluster: Cluster) -> bool:
    """The same check for a websocket, from the session Channels attached to its scope."""
    key = getattr(session, "session_key", None)
    if cluster.owner_session and key and cluster.owner_session == key:
        return True
    return cluster.name in list(session.get(SESSION_KEY, [])) if session is not None else False
