"""URLs under /k8s/<cluster>/: kube-apiserver's paths, relative to the cluster's prefix."""
from __future__ import annotations

from django.urls import path, re_path

from cluster.apiserver.http import views

urlpatterns = [
    path("version", views.version),
    path("version/", views.version),
    path("openapi/v3", views.openapi_v3),
    re_path(r"^openapi/v3/(?P<path>.+)$", views.openapi_v3),
    re_path(r"^(?P<path>apis?(/.*)?)$", views.api),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
