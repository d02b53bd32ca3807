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

import functools
import secrets
from typing import Callable, Concatenate, ParamSpec

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _

from cluster import idle
from cluster.models import Cluster

P = ParamSpec("P")

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


def cluster_and_role(request: HttpRequest, name: str, owner: bool = False) -> tuple[Cluster, str]:
    """The cluster and the visitor's role; 404 when they may not open it, 403 when they may only watch."""
    cluster = Cluster.objects.filter(name=name).first()
    found = role(request, cluster) if cluster is not None else None
    if cluster is None or found is None:
        raise Http404("No such cluster")
    idle.touch(cluster)  # a page or an action keeps the cluster awake, and wakes it
    if owner and found != OWNER:
        raise PermissionDenied(_("Only the owner of this cluster can do that. You are watching it."))
    return cluster, found


ClusterView = Callable[Concatenate[HttpRequest, Cluster, str, P], HttpResponseBase]
NamedView = Callable[Concatenate[HttpRequest, str, P], HttpResponseBase]


def cluster_view(owner: bool = False) -> Callable[[ClusterView[P]], NamedView[P]]:
    """A view of one cluster: the URL's `cluster` name becomes the Cluster and the visitor's role.

    The check runs before the view does: 404 for a visitor who may not open the cluster, and with
    `owner=True` 403 for one who may only watch it."""

    def decorate(view: ClusterView[P]) -> NamedView[P]:
        @functools.wraps(view)
        def checked(request: HttpRequest, cluster: str, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            target, found = cluster_and_role(request, cluster, owner)
            return view(request, target, found, *args, **kwargs)

        return checked

    return decorate
