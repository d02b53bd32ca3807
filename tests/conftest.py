"""Shared fixtures: a fresh simulated cluster per test, reached through the API server."""
from __future__ import annotations

import pytest

from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.models import Cluster


@pytest.fixture
def cluster(db) -> Cluster:
    return create_cluster("test", nodes=3, seed=1)


@pytest.fixture
def api(cluster: Cluster) -> APIServer:
    return APIServer(cluster, client="test")
