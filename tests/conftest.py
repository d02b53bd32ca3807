"""Shared fixtures: a fresh simulated cluster per test, reached through the API server."""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest

from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.clock import wall_now
from cluster.models import Cluster, new_token
from tests import livesrv


TEMPLATE = "test"  # the name every test's `cluster` has, as when each test created its own


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker has a database of its own, and so clusters with the same pks: on a shared
    Redis (REDIS_URL, as CI sets) each also needs channel names of its own, or one worker's sockets would
    hear the other's clusters change."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    layer = settings.CHANNEL_LAYERS["default"]
    if worker and layer["BACKEND"] == "channels_redis.core.RedisChannelLayer":
        layer.setdefault("CONFIG", {})["prefix"] = f"asgi-{worker}"


@pytest.fixture(autouse=True)
def fresh_creation_allowance() -> None:
    """Every test client is 127.0.0.1: each test starts with the address's whole allowance of new clusters
    (web/throttle.py), as a visitor arriving does, instead of what the tests before it left."""
    from web import throttle

    throttle.creations.buckets.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Bootstrap the `cluster` fixture's cluster once per test database, committed.

    Bootstrapping (kubeadm's objects, kube-system's pods settled by the control plane) costs a few hundred
    milliseconds and is the same for every test; each test's transaction rolls back whatever it changed."""
    with django_db_blocker.unblock():
        template = create_cluster(TEMPLATE, nodes=3, seed=1)
        # Anchor its clock at the end of the bootstrap: each test's clock restarts from there.
        Cluster.objects.filter(pk=template.pk).update(virtual_anchor=wall_now(), wall_anchor=wall_now())


@pytest.fixture
def cluster(db: None) -> Cluster:
    """The bootstrapped cluster, as if it had just been created: its clock restarts where the bootstrap left it,
    it was active just now, and it has a token of its own (in-process caches key on pk and token)."""
    template = Cluster.objects.filter(name=TEMPLATE).first()
    if template is None:  # a transactional test flushed the database: bootstrap it within this test
        return create_cluster(TEMPLATE, nodes=3, seed=1)
    Cluster.objects.filter(pk=template.pk).update(token=new_token(), wall_anchor=wall_now(), last_active=wall_now())
    return Cluster.objects.get(pk=template.pk)


@pytest.fixture
def no_clusters(db: None) -> None:
    """A database without the bootstrapped cluster, for tests about every cluster the server has."""
    Cluster.objects.filter(name=TEMPLATE).delete()


@pytest.fixture
def api(cluster: Cluster) -> APIServer:
    return APIServer(cluster, client="test")


@pytest.fixture(scope="session")
def live_daphne(tmp_path_factory: pytest.TempPathFactory) -> Iterator[livesrv.Daphne]:
    """One live Daphne for the session (migrated once, one certificate), started by the first module that asks:
    a `tests.livesrv.Daphne`, stopped at the end of the session.

    Each module gets a cluster of its own on it (`livesrv.shared_cluster`): the bearer token chooses the cluster,
    so modules stay apart; a module that needs a server of its own (its own settings, or it stops the server)
    uses `livesrv.live_server`."""
    yield from livesrv.serve(tmp_path_factory.mktemp("live-daphne"))


# The tests that start Daphne or `manage.py` in a subprocess (and drive the real kubectl or the kubernetes
# client or Chromium against it) are marked `live`; `make test-fast` runs the rest with -m "not live", and
# `make test` runs the rest on two workers, then these on two workers a module to a worker (a module's tests
# share its servers; ports are the system's pick).
LIVE_MODULES = {
    "test_api_refusals_live.py",
    "test_bench_smoke.py",
    "test_class_restart.py",
    "test_deploy_settings.py",
    "test_disruption_live.py",
    "test_failover.py",
    "test_kubectl_compare.py",
    "test_kubectl_live.py",
    "test_kubectl_verbs_live.py",
    "test_python_client.py",
    "test_serve.py",
    "test_streaming_live.py",
    "test_volume_storage_live.py",
    "test_workloads_live.py",
}
LIVE_FIXTURES = {"live", "real_kubectl", "live_daphne"}  # the fixtures that start (or share) a live server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        browser = "browser" in item.path.parts
        if browser or item.path.name in LIVE_MODULES or LIVE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)
