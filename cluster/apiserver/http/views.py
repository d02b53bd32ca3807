"""The HTTP face of kube-apiserver: `/k8s/<cluster>/…` for kubectl and client libraries.

Every request is authenticated with the cluster's bearer token, then served
by discovery, OpenAPI or the REST handlers. Every failure is a metav1.Status
with its HTTP code, as kube-apiserver answers; a bug is a 500 InternalError
Status, never an HTML page. CSRF protection does not apply here: these views
are reached with a bearer token, not a browser session.
"""
from __future__ import annotations

import logging
from typing import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from cluster import idle
from cluster.apiserver.errors import StatusError
from cluster.apiserver.http import clients, codec, discovery, openapi, rest
from cluster.apiserver.http.auth import authenticate
from cluster.apiserver.http.request_info import resolve
from cluster.apiserver.server import APIServer
from cluster.models import Cluster

logger = logging.getLogger(__name__)
Handler = Callable[[HttpRequest, Cluster], HttpResponse]


def _serve(request: HttpRequest, cluster_name: str, handler: Handler) -> HttpResponse:
    try:
        cluster = authenticate(request, cluster_name)
        idle.touch(cluster)  # an API call keeps the cluster awake, and wakes it
        clients.record(cluster, request.headers.get("User-Agent", ""))
        return handler(request, cluster)
    except StatusError as err:
        return codec.status_response(err)
    except Exception as err:  # noqa: BLE001 - kube-apiserver answers a bug with a Status too
        logger.exception("internal error serving %s %s", request.method, request.path)
        return codec.status_response(StatusError(500, "InternalError", f"Internal error occurred: {err}"))


def _only_get(request: HttpRequest) -> None:
    if request.method not in ("GET", "HEAD"):
        raise StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


@csrf_exempt
def version(request: HttpRequest, cluster: str) -> HttpResponse:
    def serve(request: HttpRequest, _cluster: Cluster) -> HttpResponse:
        _only_get(request)
        return codec.json_response(discovery.VERSION_INFO)

    return _serve(request, cluster, serve)


@csrf_exempt
def openapi_v3(request: HttpRequest, cluster: str, path: str = "") -> HttpResponse:
    def serve(request: HttpRequest, _cluster: Cluster) -> HttpResponse:
        _only_get(request)
        if not path:
            return codec.json_response(openapi.index())
        found = openapi.document_for_path(path)
        if found is None:
            raise StatusError(404, "NotFound", "the server could not find the requested resource")
        document, digest = found
        response = HttpResponse(document, content_type=codec.JSON)
        if request.GET.get("hash") == digest:
            response["Cache-Control"] = "public, immutable"
        response["ETag"] = f'"{digest}"'
        return response

    return _serve(request, cluster, serve)


def _discovery(request: HttpRequest, parts: list[str]) -> HttpResponse | None:
    """The discovery documents under /api and /apis; None when the path names a resource instead."""
    if parts == ["api"]:
        if codec.wants_aggregated_discovery(request):
            return codec.json_response(discovery.aggregated(legacy=True), content_type=codec.AGGREGATED_DISCOVERY)
        return codec.json_response(discovery.api_versions(request.get_host()))
    if parts == ["apis"]:
        if codec.wants_aggregated_discovery(request):
            return codec.json_response(discovery.aggregated(legacy=False), content_type=codec.AGGREGATED_DISCOVERY)
        return codec.json_response(discovery.api_group_list())
    if len(parts) == 2 and parts[0] == "api":
        return codec.json_response(discovery.api_resource_list("", parts[1]))
    if len(parts) == 2 and parts[0] == "apis":
        return codec.json_response(discovery.api_group_document(parts[1]))
    if len(parts) == 3 and parts[0] == "apis":
        return codec.json_response(discovery.api_resource_list(parts[1], parts[2]))
    return None


@csrf_exempt
def api(request: HttpRequest, cluster: str, path: str) -> HttpResponse:
    """Everything under /api and /apis: discovery documents and resources."""
    def serve(request: HttpRequest, the_cluster: Cluster) -> HttpResponse:
        parts = [p for p in path.strip("/").split("/") if p]
        if request.method in ("GET", "HEAD"):
            found = _discovery(request, parts)
            if found is not None:
                return found
        info = resolve(request, path)
        return rest.handle(request, APIServer(the_cluster, client=rest.client_name(request)), info)

    return _serve(request, cluster, serve)


@csrf_exempt
def not_found(request: HttpRequest, cluster: str, path: str = "") -> HttpResponse:
    def serve(request: HttpRequest, _cluster: Cluster) -> HttpResponse:
        raise StatusError(404, "NotFound", "the server could not find the requested resource")

    return _serve(request, cluster, serve)
