"""End to end: kubectl commands, then `manage.py simulate`, then what kubectl shows."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from cluster import clock
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.models import Cluster
from cluster.reconciler import lease


@pytest.fixture
def frozen(cluster: Cluster) -> Cluster:
    clock.set_speed(cluster, 0.0)
    return cluster


def kubectl(cluster: Cluster, line: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    api = APIServer(Cluster.objects.get(pk=cluster.pk), client="kubectl")
    code = cli.run(api, line.split(), io.StringIO(), out, err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def simulate(cluster: Cluster, *args: str) -> str:
    out = io.StringIO()
    call_command("simulate", "--cluster", cluster.name, *args, stdout=out)
    return out.getvalue()


def pod_rows(cluster: Cluster) -> list[list[str]]:
    return [line.split() for line in kubectl(cluster, "get pods -o wide").splitlines()[1:]]


def test_a_deployment_settles_with_every_pod_running_and_ready(frozen):
    kubectl(frozen, "create deployment web --image=nginx --replicas=3")
    report = simulate(frozen, "--until-settled")
    assert report.startswith("settled after ")
    rows = pod_rows(frozen)
    assert len(rows) == 3
    assert all(row[1:3] == ["1/1", "Running"] for row in rows)
    assert sorted(row[6] for row in rows) == ["worker-1", "worker-2", "worker-3"]  # spread by the scheduler
    assert all(row[5].startswith("10.244.") for row in rows)
    assert kubectl(frozen, "get deployment web").splitlines()[1].split()[1:4] == ["3/3", "3", "3"]
    # and kind-control-plane
    assert [line.split()[1] for line in kubectl(frozen, "get nodes").splitlines()[1:]] == ["Ready"] * 4


def test_simulating_seconds_moves_the_virtual_clock_that_far(frozen):
    before = clock.now(Cluster.objects.get(pk=frozen.pk))
    simulate(frozen, "--seconds", "90")
    after = clock.now(Cluster.objects.get(pk=frozen.pk))
    assert (after - before).total_seconds() == pytest.approx(90, abs=0.01)


def test_a_misspelled_image_shows_err_image_pull_then_image_pull_back_off(frozen):
    kubectl(frozen, "run typo --image=ngnix")
    simulate(frozen, "--seconds", "5")
    assert pod_rows(frozen)[0][2] == "ImagePullBackOff"
    events = kubectl(frozen, "get events --field-selector involvedObject.name=typo")
    assert 'Failed to pull image "ngnix"' in events and "Error: ErrImagePull" in events
    assert 'Back-off pulling image "ngnix"' in events


def test_a_crashing_pod_shows_crash_loop_back_off_and_its_restarts(frozen):
    kubectl(frozen, "run crash --image=nginx")
    simulate(frozen, "--seconds", "10")
    kubectl(frozen, "fault pod crash crash --exit-code 1")
    simulate(frozen, "--seconds", "45")
    row = pod_rows(frozen)[0]
    assert row[2] == "CrashLoopBackOff"
    assert int(row[3]) >= 3


def test_a_node_going_down_moves_its_deployment_pods_to_the_others(frozen):
    kubectl(frozen, "create deployment web --image=nginx --replicas=3")
    simulate(frozen, "--until-settled")
    victim = next(row for row in pod_rows(frozen) if row[6] == "worker-2")[0]
    kubectl(frozen, "fault node worker-2 down")
    simulate(frozen, "--seconds", "400")
    assert kubectl(frozen, "get node worker-2").splitlines()[1].split()[1] == "NotReady"
    rows = {row[0]: row for row in pod_rows(frozen)}
    assert rows[victim][2] == "Terminating"
    running = [row for row in rows.values() if row[2] == "Running"]
    assert len(running) == 3 and all(row[6] != "worker-2" for row in running)
    kubectl(frozen, "fault node worker-2 up")
    simulate(frozen, "--seconds", "60")
    assert victim not in {row[0] for row in pod_rows(frozen)}
    assert kubectl(frozen, "get node worker-2").splitlines()[1].split()[1] == "Ready"


def test_scaling_down_terminates_pods_gracefully(frozen):
    kubectl(frozen, "create deployment web --image=nginx --replicas=3")
    simulate(frozen, "--until-settled")
    kubectl(frozen, "scale deployment web --replicas=1")
    simulate(frozen, "--until-settled")
    assert len(pod_rows(frozen)) == 1
    events = kubectl(frozen, "get events")
    assert "Stopping container nginx" in events


def test_simulate_refuses_a_cluster_another_process_drives(frozen):
    lease.try_acquire(frozen.pk, "reconciler-elsewhere")
    with pytest.raises(CommandError, match='cluster "test" is driven by reconciler-elsewhere'):
        simulate(frozen, "--until-settled")


def test_simulate_names_an_unknown_cluster(db):
    with pytest.raises(CommandError, match='cluster "nope" not found'):
        call_command("simulate", "--cluster", "nope", "--until-settled")
