from __future__ import annotations

from django.urls import include, path

from web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sandboxes/new", views.new_sandbox, name="new_sandbox"),
    path("c/<slug:cluster>/", views.dashboard, name="dashboard"),
    path("c/<slug:cluster>/reset", views.reset_sandbox, name="reset_sandbox"),
    path("c/<slug:cluster>/kubectl", views.kubectl, name="kubectl"),
    path("c/<slug:cluster>/panel/<slug:name>", views.panel, name="panel"),
    path("c/<slug:cluster>/control", views.control, name="control"),
    path("c/<slug:cluster>/traffic", views.traffic, name="traffic"),
    path("c/<slug:cluster>/kubeconfig", views.kubeconfig, name="kubeconfig"),
    path("k8s/<slug:cluster>/", include("cluster.apiserver.http.urls")),
]
