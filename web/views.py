"""The pages: home (a visitor's sandboxes) and the dashboard of one cluster.

Views stay thin: they check who may open the cluster, call the API server or
the in-process kubectl, and render templates. Live updates arrive over the
websocket (web/consumers.py); these views serve the first paint and the
fragments htmx asks for.
"""
from __future__ import annotations

import io
import random
import shlex

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster, reset_cluster
from cluster.kubeconfig import kubeconfig_yaml
from cluster.kubectl import cli
from cluster.models import Cluster
from web import access, live, panels
from web.tls import certificate_pem

MAX_COMMAND_CHARS = 4096
MAX_STDIN_CHARS = 3 * 1024 * 1024
WATCH_FLAGS = {"-w", "--watch", "--watch-only"}
TERMINAL_WATCH_SECONDS = 5


def _cluster_for(request: HttpRequest, name: str) -> Cluster:
    """The cluster, if this visitor may open it; 404 otherwise (no hint that it exists)."""
    cluster = Cluster.objects.filter(name=name).first()
    if cluster is None or not access.can_open(request, cluster):
        raise Http404("No such cluster")
    return cluster


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    access.session_id(request)
    return render(request, "home.html", {"clusters": access.visible_clusters(request)})


@require_POST
def new_sandbox(request: HttpRequest) -> HttpResponse:
    owner = access.session_id(request)
    name = f"sandbox-{random.SystemRandom().randrange(16**6):06x}"
    cluster = create_cluster(name, nodes=3, seed=random.SystemRandom().randrange(2**31), owner_session=owner)
    access.grant(request, cluster)
    return redirect("dashboard", cluster=cluster.name)


@require_POST
def reset_sandbox(request: HttpRequest, cluster: str) -> HttpResponse:
    target = _cluster_for(request, cluster)
    if target.owner_session != access.session_id(request):
        raise Http404("No such cluster")
    reset_cluster(target)
    return redirect("dashboard", cluster=target.name)


@require_GET
def dashboard(request: HttpRequest, cluster: str) -> HttpResponse:
    target = _cluster_for(request, cluster)
    api = APIServer(target, client="dashboard")
    context = panels.dashboard_context(api, settings.KUBECLASS_API_URL, str(settings.KUBECLASS_TLS_DIR / "apiserver.crt"))
    return render(request, "dashboard.html", context)


@require_POST
def kubectl(request: HttpRequest, cluster: str) -> HttpResponse:
    """Run one kubectl command line typed in the page's terminal."""
    target = _cluster_for(request, cluster)
    line = request.POST.get("command", "").strip()[:MAX_COMMAND_CHARS]
    stdin = request.POST.get("stdin", "")[:MAX_STDIN_CHARS]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        argv = shlex.split(line)
    except ValueError as parse_error:
        argv, code = [], 1
        err.write(f"error: {parse_error}\n")
    if argv and argv[0] == "kubectl":
        argv = argv[1:]
    if _streams(argv) and not any(a.startswith(("--request-timeout", "--timeout")) for a in argv):
        # A page request cannot stream forever; the live panels keep watching.
        argv.append(f"--request-timeout={TERMINAL_WATCH_SECONDS}s")
    if argv:
        api = APIServer(target, client="kubectl")
        code = cli.run(api, argv, stdin=io.StringIO(stdin), stdout=out, stderr=err, local_files=False)
    elif line and code == 0:
        err.write("error: type a kubectl command, for example: kubectl get pods\n")
        code = 1
    return render(request, "fragments/terminal_result.html",
                  {"command": line, "stdout": out.getvalue(), "stderr": err.getvalue(), "code": code})


def _streams(argv: list[str]) -> bool:
    """Commands that would keep watching: get -w and rollout status."""
    if argv[:1] == ["get"]:
        return bool(WATCH_FLAGS & set(argv))
    return argv[:2] == ["rollout", "status"] and "--watch=false" not in argv


@require_GET
def panel(request: HttpRequest, cluster: str, name: str) -> HttpResponse:
    target = _cluster_for(request, cluster)
    api = APIServer(target, client="dashboard")
    try:
        revision = int(request.GET["revision"]) if request.GET.get("revision") else None
    except ValueError:
        return HttpResponse("revision must be a number", status=400)
    try:
        template, context = panels.render_panel(api, name, request.GET, revision)
    except KeyError:
        raise Http404("No such panel") from None
    except StatusError as err:
        return HttpResponse(err.message, status=err.code)
    return render(request, template, context)


@require_POST
def control(request: HttpRequest, cluster: str) -> HttpResponse:
    """The simulation controls: play/pause, next step, speed, step mode, fast-forward."""
    target = _cluster_for(request, cluster)
    try:
        message = live.control(target, request.POST.get("action", ""), request.POST.get("value", ""))
    except ValueError as err:
        return HttpResponse(str(err), status=400)
    return HttpResponse(message)


@require_POST
def traffic(request: HttpRequest, cluster: str) -> HttpResponse:
    """Send simulated requests to a Service through kube-proxy and show how they were spread."""
    target = _cluster_for(request, cluster)
    try:
        count = max(1, min(1000, int(request.POST.get("count", "100"))))
    except ValueError:
        return HttpResponse("count must be a number", status=400)
    api = APIServer(target, client="dashboard")
    result = panels.send_traffic(api, request.POST.get("namespace", "default"), request.POST.get("name", ""), count)
    return render(request, "fragments/traffic_result.html", result)


@require_GET
def kubeconfig(request: HttpRequest, cluster: str) -> HttpResponse:
    target = _cluster_for(request, cluster)
    body = kubeconfig_yaml(target, settings.KUBECLASS_API_URL, certificate_pem(settings.KUBECLASS_TLS_DIR))
    response = HttpResponse(body, content_type="application/yaml")
    response["Content-Disposition"] = f'attachment; filename="kubeconfig-{target.name}.yaml"'
    return response
