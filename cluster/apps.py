from __future__ import annotations

from django.apps import AppConfig


class ClusterConfig(AppConfig):
    """The simulated clusters. Every APIServer makes its own step recorder (cluster/apiserver/server.py),
    so the app needs no start-up wiring."""

    name = "cluster"
    verbose_name = "Simulated Kubernetes clusters"
