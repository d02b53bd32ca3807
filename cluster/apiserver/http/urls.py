"""kube-apiserver's paths, at the root of the server and under the older `/k8s/<cluster>/` prefix.

Which port: both. Daphne serves one Django app on the dashboard's port (8000,
http) and on the API port (6443, TLS), and the API's paths — `/api`, `/apis`,
`/version`, `/healthz`, `/livez`, `/readyz` (and their `/<check>`s),
`/openapi/v2`, `/openapi/v3` — are not paths of the dashboard (`/`, `/c/…`,
`/lessons/…`, `/classes/…`, `/join`, `/r/…`, `/i18n/…`, `/static/…`), so they
go to the API on either port; a real kubectl only ever uses the TLS one,
because client-go sends a bearer token over https alone. `/` is shared: with a
bearer token it is kube-apiserver's list of paths (views.index_or_page),
otherwise the home page.

- `root_urlpatterns`: at the root, where the bearer token chooses the cluster
  (web/urls.py includes them before the dashboard's pages). No catch-all: any
  other path is the dashboard's.
- `urlpatterns` (this module, included under `k8s/<slug:cluster>/`): the same
  paths relative to the prefix, the path's cluster, and a Status 404 for
  anything else, as kubeconfigs written before the root was served expect.
"""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from cluster.apiserver.http import views

HEALTH = r"(?P<endpoint>healthz|livez|readyz)"


def _api_paths() -> list[URLPattern]:
    return [
        path("version", views.version),
        path("version/", views.version),
        re_path(rf"^{HEALTH}$", views.healthz),
        re_path(rf"^{HEALTH}/(?P<check>.*)$", views.healthz),
        path("openapi/v2", views.openapi_v2_document),
        path("openapi/v3", views.openapi_v3),
        re_path(r"^openapi/v3/(?P<path>.+)$", views.openapi_v3),
        re_path(r"^(?P<path>apis?(/.*)?)$", views.api),
    ]


root_urlpatterns: list[URLPattern] = _api_paths()

urlpatterns: list[URLPattern] = [
    path("", views.index),
    *_api_paths(),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
