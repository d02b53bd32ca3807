"""The pages: home, a cluster's dashboard, and the fragments and actions the dashboard uses.

Views stay thin: `access.cluster_view` finds the cluster and the visitor's role
and refuses what the role may not do; a view calls the API server or the
in-process kubectl and renders templates. Live updates arrive over the websocket
(web/consumers.py); these views serve the first paint, the fragments htmx
asks for, and the actions.
"""

from __future__ import annotations

import random

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster, reset_cluster
from cluster.kubeconfig import kubeconfig_yaml
from cluster.kubectl import cli as kubectl_cli
from cluster.models import Cluster
from web import access, classroom, guide, live, panels, terminal
from web.lessons import progress
from web.throttle import limit_creation
from web.tls import certificate_pem


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    access.session_id(request)
    language = translation.get_language()
    return render(
        request,
        "home.html",
        {
            "clusters": access.visible_clusters(request),
            "lessons": guide.lesson_titles(language),
            "classes": classroom.taught_by(access.session_id(request)),
        },
    )


@require_POST
@limit_creation
def new_sandbox(request: HttpRequest) -> HttpResponse:
    owner = access.session_id(request)
    name = f"sandbox-{random.SystemRandom().randrange(16**6):06x}"
    cluster = create_cluster(
        name, nodes=3, seed=random.SystemRandom().randrange(2**31), owner_session=owner, sandbox=True
    )
    return redirect("dashboard", cluster=cluster.name)


@require_POST
@limit_creation
@access.cluster_view(owner=True)
def reset_sandbox(request: HttpRequest, target: Cluster, _role: str) -> HttpResponse:
    if target.owner_session != access.session_id(request):
        raise Http404("No such cluster")
    reset_cluster(target)
    return redirect("dashboard", cluster=target.name)


@require_GET
@access.cluster_view()
def dashboard(request: HttpRequest, target: Cluster, role: str) -> HttpResponse:
    api = APIServer(target, client="dashboard")
    context = panels.dashboard_context(
        api, settings.KUBECLASS_API_URL, str(settings.KUBECLASS_TLS_DIR / "apiserver.crt"), role
    )
    language = translation.get_language()
    row = guide.progress_of(target)
    if row is not None and role == access.OWNER:
        progress.evaluate(row)
    context.update(guide.context(target, row, role == access.OWNER, language))
    context["classroom"] = classroom.banner(request, target)
    context["kubectl_verbs"] = kubectl_cli.verb_names()  # the terminal's completion list, from kubectl's own table
    return render(request, "dashboard.html", context)


@require_POST
@access.cluster_view(owner=True)
def kubectl(request: HttpRequest, target: Cluster, _role: str) -> HttpResponse:
    """Run one kubectl command line typed in the page's terminal (owners only)."""
    result = terminal.run(target, request.POST.get("command", ""), request.POST.get("stdin", ""))
    row = guide.progress_of(target)
    guide_html = ""
    if row is not None and result.command:
        before = guide.version(row)  # as the page shows it: what the command changed is all it needs
        progress.record_command(row, result.command, result.code, result.stderr)
        progress.evaluate(row)
        guide_html = guide.render_change(target, row, True, translation.get_language(), before)
    classroom.progress_changed(target)
    response = render(request, "fragments/terminal_result.html", result.context())
    response.content += guide_html.encode()
    return response


@require_GET
@access.cluster_view()
def panel(request: HttpRequest, target: Cluster, role: str, name: str) -> HttpResponse:
    api = APIServer(target, client="dashboard")
    try:
        revision = int(request.GET["revision"]) if request.GET.get("revision") else None
    except ValueError:
        return HttpResponse(_("revision must be a number"), status=400)
    if not panels.exists(name):
        raise Http404("No such panel")
    try:
        template, context = panels.render_panel(api, name, request.GET, revision)
    except StatusError as err:
        return HttpResponse(err.message, status=err.code)
    context["role"] = role
    if name == "component" and role == access.OWNER and context.get("info"):
        row = guide.progress_of(target)
        if row is not None:
            progress.record_exploration(row, context["info"]["id"])
    return render(request, template, context)


@require_GET
@access.cluster_view()
def earlier_steps(request: HttpRequest, target: Cluster, _role: str) -> HttpResponse:
    """Older steps than the page shows (`from`, up to `before`), appended below its step log."""
    try:
        first = int(request.GET["from"])
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except (KeyError, ValueError):
        return HttpResponse(_("from and before must be numbers"), status=400)
    return HttpResponse(live.render_earlier_steps(target, first, before, translation.get_language()))


@require_POST
@access.cluster_view(owner=True)
def control(request: HttpRequest, target: Cluster, _role: str) -> HttpResponse:
    """The simulation controls: play/pause, next step, speed, step mode, fast-forward (owners only)."""
    try:
        message = live.control(target, request.POST.get("action", ""), request.POST.get("value", ""))
    except ValueError as err:
        return HttpResponse(str(err), status=400)
    return HttpResponse(message)


@require_POST
@access.cluster_view(owner=True)
def traffic(request: HttpRequest, target: Cluster, _role: str) -> HttpResponse:
    """Send simulated requests to a Service through kube-proxy and show how they were spread."""
    try:
        count = max(1, min(1000, int(request.POST.get("count", "100"))))
    except ValueError:
        return HttpResponse(_("count must be a number"), status=400)
    api = APIServer(target, client="dashboard")
    result = panels.send_traffic(api, request.POST.get("namespace", "default"), request.POST.get("name", ""), count)
    return render(request, "fragments/traffic_result.html", result)


@require_GET
@access.cluster_view(owner=True)
def kubeconfig(request: HttpRequest, target: Cluster, _role: str) -> HttpResponse:
    body = kubeconfig_yaml(target, settings.KUBECLASS_API_URL, certificate_pem(settings.KUBECLASS_TLS_DIR))
    response = HttpResponse(body, content_type="application/yaml")
    response["Content-Disposition"] = f'attachment; filename="kubeconfig-{target.name}.yaml"'
    return response
