"""Idle clusters sleep and cost nothing; history is compacted; abandoned sandboxes go.

Driven through the reconciler's own housekeeping and the management command,
on the wall and virtual clocks the server uses.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from cluster import clock, idle
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.models import Cluster, StepEvent
from cluster.reconciler.service import Reconciler

LONG_AGO = clock.wall_now() - dt.timedelta(days=30)


def make(name: str, owner: str = "someone", last_active: dt.datetime | None = None) -> Cluster:
    cluster = create_cluster(name, nodes=1, seed=2, owner_session=owner)
    Cluster.objects.filter(pk=cluster.pk).update(last_active=last_active or clock.wall_now())
    return Cluster.objects.get(pk=cluster.pk)


def test_an_idle_cluster_sleeps_with_its_clock_stopped_and_wakes_where_it_stopped(no_clusters):
    cluster = make("dozy", last_active=clock.wall_now() - dt.timedelta(minutes=20))
    busy = make("busy")
    reconciler = Reconciler()
    reconciler.manage_leases(1e9)
    assert set(reconciler.drivers) == {cluster.pk, busy.pk}
    reconciler.last_idle_check = -1e9
    reconciler.housekeeping(1e9)
    cluster.refresh_from_db()
    assert cluster.sleeping_since is not None and cluster.speed == 0
    frozen = clock.now(cluster)
    reconciler.manage_leases(2e9)
    assert set(reconciler.drivers) == {busy.pk}  # nobody drives a sleeping cluster
    assert clock.now(Cluster.objects.get(pk=cluster.pk)) == frozen
    idle.touch(cluster)  # someone opens it
    cluster.refresh_from_db()
    assert cluster.sleeping_since is None and cluster.speed == 1.0
    assert abs((clock.now(cluster) - frozen).total_seconds()) < 5
    reconciler.manage_leases(3e9)
    assert cluster.pk in reconciler.drivers


@pytest.mark.django_db
def test_a_page_or_an_api_call_wakes_a_sleeping_cluster():
    owner = Client()
    owner.get("/")
    cluster = make("nap", owner=owner.session.session_key)
    idle.put_to_sleep(cluster)
    idle._touched.clear()
    assert owner.get(f"/c/{cluster.name}/").status_code == 200
    assert Cluster.objects.get(pk=cluster.pk).sleeping_since is None
    idle.put_to_sleep(cluster)
    idle._touched.clear()
    response = Client().get(
        f"/k8s/{cluster.name}/api/v1/namespaces", headers={"Authorization": f"Bearer {cluster.token}"}
    )
    assert response.status_code == 200
    assert Cluster.objects.get(pk=cluster.pk).sleeping_since is None


@pytest.mark.django_db
def test_compaction_keeps_the_window_time_travel_uses_and_prunes_old_steps():
    cluster = make("busy-history", owner="")
    api = APIServer(cluster)
    api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "counter"}})
    for i in range(60):  # sixty versions of one key: all but the newest are history
        api.patch("configmaps", "default", "counter", {"data": {"n": str(i)}}, "application/merge-patch+json")
    top = api.current_revision()
    steps_before = StepEvent.objects.filter(cluster=cluster).count()
    assert api.compact(keep=20) >= 39  # the versions superseded before the window's start
    cluster.refresh_from_db()
    assert cluster.compact_revision == top - 20
    assert api.list_at("configmaps", top - 10)[0]["data"] == {"n": "49"}  # inside the window: still readable
    with pytest.raises(StatusError) as gone:
        api.list_at("configmaps", top - 30)
    assert gone.value.code == 410
    assert StepEvent.objects.filter(cluster=cluster).count() < steps_before
    assert api.get("configmaps", "default", "counter")["data"] == {"n": "59"}  # the present is untouched


@override_settings(KUBECLASS_SANDBOX_DAYS=14)
def test_gc_deletes_only_abandoned_sandboxes(no_clusters):
    make("abandoned", last_active=LONG_AGO)
    make("recent")
    make("shared-demo", owner="", last_active=LONG_AGO)  # made on the command line: never collected
    out = io.StringIO()
    call_command("cluster", "gc", stdout=out)
    assert set(Cluster.objects.values_list("name", flat=True)) == {"recent", "shared-demo"}
    assert 'cluster "abandoned" deleted' in out.getvalue()
