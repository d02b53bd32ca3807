"""The HTTP face of kube-apiserver, for kubectl and client libraries.

Served at the root of the API port (`/api/v1/…`, `/apis/…`, `/version`,
`/healthz`, `/openapi/v2`, …), where the bearer token chooses the cluster as a
real apiserver knows its caller from the credentials, and under the older
`/k8s/<cluster>/…` prefix, where the token must be that cluster's (urls.py
says which paths go where). Every request is authenticated first (auth.py),
then served by discovery, OpenAPI, the health checks or the REST handlers.
Every failure is a metav1.Status with its HTTP code, as kube-apiserver
answers; a bug is a 500 InternalError Status, never an HTML page. CSRF
protection does not apply here: these views are reached with a bearer token,
not a browser session.
"""

from __future__ import annotations

import functools
import logging
from typing import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from cluster import idle
from cluster.apiserver import fieldvalidation
from cluster.apiserver.errors import StatusError
from cluster.apiserver.http import (
    clients,
    codec,
    discovery,
    health,
    metrics_api,
    openapi,
    openapi_v2,
    rest,
    reviews,
    streaming,
)
from cluster.apiserver.http.auth import authenticate
from cluster.apiserver.http.request_info import resolve
from cluster.apiserver.server import APIServer
from cluster.models import Cluster

logger = logging.getLogger(__name__)
Handler = Callable[[HttpRequest, Cluster], HttpResponseBase]  # a watch or a log follow streams
View = Callable[..., HttpResponseBase]
# Set on requests that kubeclass's own kubectl sends through these views (loopback.py): not an outside client.
LOOPBACK_ATTRIBUTE = "kubeclass_loopback"


def _serve(request: HttpRequest, cluster_name: str | None, handler: Handler) -> HttpResponseBase:
    with fieldvalidation.collecting() as warnings:  # the request's `Warning: 299 - "..."` headers
        response = _respond(request, cluster_name, handler)
    if warnings:
        response["Warning"] = fieldvalidation.warning_header(warnings)
    return response


def _respond(request: HttpRequest, cluster_name: str | None, handler: Handler) -> HttpResponseBase:
    try:
        cluster = authenticate(request, cluster_name)
        idle.touch(cluster)  # an API call keeps the cluster awake, and wakes it
        if not getattr(request, LOOPBACK_ATTRIBUTE, False):
            clients.record(cluster, request.headers.get("User-Agent", ""))
        return handler(request, cluster)
    except StatusError as err:
        return codec.status_response(err)
    except Exception as err:  # noqa: BLE001 - kube-apiserver answers a bug with a Status too
        logger.exception("internal error serving %s %s", request.method, request.path)
        return codec.status_response(StatusError.internal(str(err)))


def _only_get(request: HttpRequest) -> None:
    if request.method not in ("GET", "HEAD"):
        raise StatusError.method_not_allowed()


@csrf_exempt
def version(request: HttpRequest, cluster: str | None = None) -> HttpResponseBase:
    def serve(request: HttpRequest, _cluster: Cluster) -> HttpResponseBase:
        _only_get(request)
        return codec.json_response(discovery.VERSION_INFO)

    return _serve(request, cluster, serve)


@csrf_exempt
def healthz(
    request: HttpRequest, endpoint: str, check: str | None = None, cluster: str | None = None
) -> HttpResponseBase:
    """/healthz, /livez, /readyz and their single checks (health.py); `/healthz/` names no check: 404."""

    def serve(request: HttpRequest, _cluster: Cluster) -> HttpResponseBase:
        _only_get(request)
        if check == "":
            raise StatusError.not_found_resource("", "", "")
        return health.serve(request, endpoint, check or "")

    return _serve(request, cluster, serve)


@csrf_exempt
def openapi_v3(request: HttpRequest, cluster: str | None = None, path: str = "") -> HttpResponseBase:
    def serve(request: HttpRequest, _cluster: Cluster) -> HttpResponseBase:
        _only_get(request)
        if not path:
            return codec.json_response(openapi.index())
        found = openapi.document_for_path(path)
        if found is None:
            raise StatusError.not_found_resource("", "", "")
        document, digest = found
        response = HttpResponse(document, content_type=codec.JSON)
        if request.GET.get("hash") == digest:
            response["Cache-Control"] = "public, immutable"
        response["ETag"] = f'"{digest}"'
        return response

    return _serve(request, cluster, serve)


@csrf_exempt
def openapi_v2_document(request: HttpRequest, cluster: str | None = None) -> HttpResponseBase:
    """/openapi/v2: JSON, or the protobuf client-go's discovery client asks for (openapi_v2.py)."""

    def serve(request: HttpRequest, _cluster: Cluster) -> HttpResponseBase:
        _only_get(request)
        return openapi_v2.response(request)

    return _serve(request, cluster, serve)


def _discovery(request: HttpRequest, parts: list[str]) -> HttpResponse | None:
    """The discovery documents under /api and /apis; None when the path names a resource instead."""
    if parts == ["api"]:
        if codec.wants_aggregated_discovery(request):
            return codec.json_response(discovery.aggregated(legacy=True), content_type=codec.AGGREGATED_DISCOVERY)
        return codec.json_response(discovery.api_versions(request.get_host()))
    if parts == ["apis"]:
        if codec.wants_aggregated_discovery(request):
            return codec.json_response(
                metrics_api.with_aggregated_group(discovery.aggregated(legacy=False)),
                content_type=codec.AGGREGATED_DISCOVERY,
            )
        return codec.json_response(metrics_api.with_group(discovery.api_group_list()))
    if len(parts) == 2 and parts[0] == "api":
        return codec.json_response(discovery.api_resource_list("", parts[1]))
    if len(parts) == 2 and parts[0] == "apis":
        return codec.json_response(discovery.api_group_document(parts[1]))
    if len(parts) == 3 and parts[0] == "apis":
        return codec.json_response(discovery.api_resource_list(parts[1], parts[2]))
    return None


@csrf_exempt
def api(request: HttpRequest, path: str, cluster: str | None = None) -> HttpResponseBase:
    """Everything under /api and /apis: discovery documents and resources."""

    def serve(request: HttpRequest, the_cluster: Cluster) -> HttpResponseBase:
        parts = [p for p in path.strip("/").split("/") if p]
        if metrics_api.owns(parts):  # metrics-server's aggregated API (metrics_api.py)
            return metrics_api.serve(request, APIServer(the_cluster, client=rest.client_name(request)), parts)
        if request.method in ("GET", "HEAD"):
            found = _discovery(request, parts)
            if found is not None:
                return found
        review = reviews.route(parts)  # can-i and whoami: create-only reviews, never stored
        if review is not None:
            return reviews.serve(request, the_cluster, review)
        stream = streaming.http_target(parts)  # exec, attach, portforward: websockets (streaming.py)
        if stream is not None:
            return streaming.serve_http(request, the_cluster, *stream)
        info = resolve(request, path)
        return rest.handle(request, APIServer(the_cluster, client=rest.client_name(request)), info)

    return _serve(request, cluster, serve)


def root_paths() -> list[str]:
    """What `GET /` lists: every path this server installs, sorted (the apiserver's index handler)."""
    paths = {"/api", "/api/v1", "/apis", "/apis/", "/openapi/v2", "/openapi/v3", "/openapi/v3/", "/version"}
    for group, version in discovery.group_versions():
        if group:
            paths.update({f"/apis/{group}", f"/apis/{group}/{version}"})
    paths.update({f"/apis/{metrics_api.GROUP}", f"/apis/{metrics_api.GROUP_VERSION}"})
    for endpoint in health.ENDPOINTS:
        paths.add(f"/{endpoint}")
        paths.update(f"/{endpoint}/{name}" for name in health.check_names(endpoint))
    return sorted(paths)


@csrf_exempt
def index(request: HttpRequest, cluster: str | None = None) -> HttpResponseBase:
    def serve(request: HttpRequest, _cluster: Cluster) -> HttpResponseBase:
        _only_get(request)
        return codec.json_response({"paths": root_paths()})

    return _serve(request, cluster, serve)


def index_or_page(page: View) -> View:
    """`/` for both audiences: kube-apiserver's path list to a caller that presents a bearer token (a browser
    never does; one behind a proxy's Basic authentication still gets the page), the page to everyone else."""

    @functools.wraps(page)
    def view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if request.headers.get("Authorization", "").lower().startswith("bearer"):
            return index(request)
        return page(request, *args, **kwargs)

    return view


@csrf_exempt
def not_found(request: HttpRequest, cluster: str | None = None, path: str = "") -> HttpResponseBase:
    def serve(request: HttpRequest, _cluster: Cluster) -> HttpResponseBase:
        raise StatusError.not_found_resource("", "", "")

    return _serve(request, cluster, serve)
