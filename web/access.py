"""Who may do what with a cluster in the browser.

Two roles, decided on the server for every page, fragment, POST and socket:

- owner: may drive the cluster — type kubectl commands, step, play, change the
  speed, inject faults, download its kubeconfig (which holds its token). The
  owner is the visitor whose session created the sandbox, a student in their
  own hands-on sandbox, a class's teacher on the class cluster, or anyone who
  presented the cluster's token once (the token is cluster-admin anyway).
- viewer: may watch — the map, the steps, the resource lists. A student
  following the teacher's cluster, and a teacher looking into a student's
  sandbox, are viewers.

Anyone else gets a 404, with no hint that the cluster exists.
"""
from __future__ import annotations

import secrets

from django.http import HttpRequest

from cluster.models import Cluster

SESSION_KEY = "kubeclass_clusters"
OWNER = "owner"
VIEWER = "viewer"


def session_id(request: HttpRequest) -> str:
    """The visitor's session key, creating the session on first visit."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def granted(session: object) -> list[str]:
    return list(session.get(SESSION_KEY, [])) if session is not None else []  # type: ignore[attr-defined]


def grant(request: HttpRequest, cluster: Cluster) -> None:
    names = granted(request.session)
    if cluster.name not in names:
        request.session[SESSION_KEY] = names + [cluster.name]


def role_for_session(session: object, cluster: Cluster) -> str | None:
    """The role of the browser session `session` on `cluster`, or None."""
    from web.models import Classroom, Student

    key = getattr(session, "session_key", None)
    if not key:
        return None
    if cluster.owner_session and cluster.owner_session == key:
        return OWNER
    if cluster.name in granted(session):
        return OWNER
    if Classroom.objects.filter(cluster=cluster, teacher_session=key).exists():
        return OWNER
    if Student.objects.filter(classroom__cluster=cluster, session_key=key).exists():
        return VIEWER
    if Classroom.objects.filter(teacher_session=key, students__sandbox=cluster).exists():
        return VIEWER
    return None


def role(request: HttpRequest, cluster: Cluster) -> str | None:
    """The visitor's role; a matching `?token=` makes them an owner from now on."""
    token = request.GET.get("token", "")
    if token and secrets.compare_digest(token, cluster.token):
        grant(request, cluster)
        return OWNER
    return role_for_session(request.session, cluster)


def visible_clusters(request: HttpRequest) -> list[Cluster]:
    owned = list(Cluster.objects.filter(owner_session=session_id(request))) if request.session.session_key else []
    names = {c.name for c in owned}
    shared = Cluster.objects.filter(name__in=[n for n in granted(request.session) if n not in names])
    return sorted([*owned, *shared], key=lambda c: c.created_at)
