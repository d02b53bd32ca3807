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


# The tests that start Daphne or `manage.py` in a subprocess (and drive the real kubectl or the kubernetes
# client against it) are marked `live`; `make test-fast` runs the rest with -m "not live".
LIVE_MODULES = {"test_bench_smoke.py", "test_class_restart.py", "test_deploy_settings.py", "test_disruption_live.py",
                "test_failover.py", "test_kubectl_compare.py", "test_kubectl_live.py", "test_python_client.py",
                "test_serve.py", "test_streaming_live.py", "test_workloads_live.py"}
LIVE_FIXTURES = {"live", "real_kubectl"}  # the other modules' fixtures that start a live server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in LIVE_MODULES or LIVE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)
