from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("k8s/<slug:cluster>/", include("cluster.apiserver.http.urls")),
]
