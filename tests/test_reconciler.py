"""The reconciler: work queues, determinism, restarts and the lease that picks one driver."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from cluster import clock, steps
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.controllers.replicaset import ReplicaSetController
from cluster.kubectl import cli
from cluster.models import Cluster, ReconcilerLease, Revision
from cluster.reconciler import fairness, lease
from cluster.reconciler.driver import ClusterDriver
from cluster.reconciler.service import Reconciler
from cluster.reconciler.workqueue import WorkQueue

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_work_queue_deduplicates_and_keeps_first_in_first_out():
    queue = WorkQueue()
    for key in ["a", "b", "a", "c", "b"]:
        queue.add(key)
    assert [queue.pop(), queue.pop(), queue.pop(), queue.pop()] == ["a", "b", "c", None]


def test_a_sorted_queue_gives_the_highest_rank_first_and_first_in_among_equals():
    ranks = {"low": 0, "high-1": 100, "mid": 10, "high-2": 100, "low-2": 0}
    queue = WorkQueue(rank=ranks.__getitem__)
    for key in ["low", "high-1", "mid", "high-2", "low-2", "mid"]:
        queue.add(key)
    assert len(queue) == 5
    assert [queue.pop() for _ in range(6)] == ["high-1", "high-2", "mid", "low", "low-2", None]


def test_delayed_keys_come_back_when_due_earliest_first():
    queue = WorkQueue()
    queue.add_after("late", at(30))
    queue.add_after("soon", at(10))
    queue.add_after("soon", at(20))  # a later re-add keeps the earlier time
    assert queue.next_due() == at(10)
    assert queue.fire(at(9)) == 0
    queue.fire(at(30))
    assert [queue.pop(), queue.pop()] == ["soon", "late"]


def test_processing_a_key_replaces_its_timer():
    queue = WorkQueue()
    queue.add_after("k", at(10))
    queue.forget_timer("k")
    assert queue.next_due() is None and queue.fire(at(100)) == 0


def frozen_cluster(name: str, seed: int) -> Cluster:
    cluster = create_cluster(name, nodes=3, seed=seed, frozen_at=T0)
    return Cluster.objects.get(pk=cluster.pk)


def kubectl(cluster: Cluster, *argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(APIServer(Cluster.objects.get(pk=cluster.pk), client="kubectl"), list(argv), io.StringIO(), out, err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def scenario(name: str, seed: int) -> tuple[list, list]:
    cluster = frozen_cluster(name, seed)
    driver = ClusterDriver(cluster)
    kubectl(cluster, "create", "deployment", "web", "--image=nginx", "--replicas=3")
    driver.fast_forward()
    kubectl(cluster, "scale", "deployment", "web", "--replicas=5")
    driver.fast_forward()
    pods = [
        (
            p["metadata"]["name"],
            p["metadata"]["uid"],
            p["spec"]["nodeName"],
            p["status"]["podIP"],
            p["status"]["containerStatuses"][0]["containerID"],
        )
        for p in APIServer(cluster).list("pods", "default")["items"]
    ]
    history = steps.history(cluster)
    cluster.delete()
    return pods, history


def test_the_same_seed_and_commands_replay_the_same_history(db):
    first_pods, first_history = scenario("replay", seed=42)
    second_pods, second_history = scenario("replay", seed=42)
    assert len(first_pods) == 5 and len(first_history) > 200
    assert second_pods == first_pods
    assert second_history == first_history


def test_another_seed_gives_other_names(db):
    first_pods, _ = scenario("replay", seed=1)
    second_pods, _ = scenario("replay", seed=2)
    assert [p[0] for p in first_pods] != [p[0] for p in second_pods]


def test_a_new_driver_relists_and_finishes_what_the_last_one_started(cluster):
    clock.set_speed(cluster, 0.0)
    kubectl(cluster, "create", "deployment", "web", "--image=nginx", "--replicas=2")
    ClusterDriver(cluster).fast_forward(seconds=1)  # pods created and bound; images still pulling
    api = APIServer(Cluster.objects.get(pk=cluster.pk))
    assert {p["status"]["phase"] for p in api.list("pods", "default")["items"]} == {"Pending"}
    ClusterDriver(cluster).fast_forward()  # as after a restart: nothing carried over in memory
    pods = api.list("pods", "default")["items"]
    assert len(pods) == 2 and {p["status"]["phase"] for p in pods} == {"Running"}
    pulls = [e for e in api.list("events", "default")["items"] if e["reason"] == "Pulling"]
    assert all(e["count"] == 1 for e in pulls)  # the pulls in progress were resumed, not restarted


def test_a_failing_component_does_not_stop_the_others(cluster, monkeypatch):
    def broken(self, key):
        raise RuntimeError("bug")

    monkeypatch.setattr(ReplicaSetController, "reconcile", broken)
    clock.set_speed(cluster, 0.0)
    kubectl(cluster, "create", "deployment", "web", "--image=nginx")
    summary = ClusterDriver(cluster).fast_forward(seconds=30)
    assert summary.units > 0
    api = APIServer(cluster)
    assert api.list("replicasets", "default")["items"]  # the deployment controller still worked
    assert api.list("pods", "default")["items"] == []


def test_the_lease_has_one_holder_until_it_expires(cluster):
    assert lease.try_acquire(cluster.pk, "a", at(0))
    assert not lease.try_acquire(cluster.pk, "b", at(1))
    assert lease.try_acquire(cluster.pk, "a", at(5))  # renewed
    assert not lease.try_acquire(cluster.pk, "b", at(19))  # 15 s after the renewal is 20 s
    assert lease.try_acquire(cluster.pk, "b", at(20))
    assert not lease.try_acquire(cluster.pk, "a", at(21))
    row = ReconcilerLease.objects.get(cluster=cluster)
    assert (row.holder, row.transitions, row.duration_seconds) == ("b", 1, 15)


def test_only_one_reconciler_drives_and_the_other_takes_over(cluster):
    first, second = Reconciler("first"), Reconciler("second")
    first.manage_leases(100.0)
    second.manage_leases(100.0)
    assert cluster.pk in first.drivers and cluster.pk not in second.drivers
    # The first process dies: its lease is not renewed for 15 s.
    ReconcilerLease.objects.filter(cluster=cluster).update(renew_time=clock.wall_now() - dt.timedelta(seconds=16))
    second.manage_leases(200.0)
    assert cluster.pk in second.drivers
    first.manage_leases(300.0)  # it wakes up and finds the lease taken
    assert cluster.pk not in first.drivers


def test_a_released_lease_is_free_at_once(cluster):
    assert lease.try_acquire(cluster.pk, "a")
    lease.release(cluster.pk, "a")
    assert lease.holder_of(cluster.pk) == ""
    assert lease.try_acquire(cluster.pk, "b")


def test_one_reconciler_cycle_drives_every_cluster_it_leads(cluster):
    kubectl(cluster, "create", "deployment", "web", "--image=nginx")
    service = Reconciler("only")
    service.cycle()
    assert APIServer(cluster).list("pods", "default")["items"]


def test_a_paused_cluster_does_no_work(cluster):
    clock.set_speed(cluster, 0.0)
    kubectl(cluster, "create", "deployment", "web", "--image=nginx")
    Reconciler("only").cycle()
    assert APIServer(cluster).list("replicasets", "default")["items"] == []


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    "cpu_per_turn, turns_taken",
    [
        (0.001, 120),  # a quiet cluster runs at every turn
        (0.5, (2.0 + 0.25 * 60) / 0.5),  # its 2 s burst, then 0.25 s of CPU a second: one turn in four
        (1.0, (2.0 + 0.25 * 60) / 1.0),  # one turn in eight
    ],
)
def test_a_busy_cluster_gets_its_share_of_the_cpu_and_waits_for_the_rest(cpu_per_turn, turns_taken):
    wall = FakeClock()
    share = fairness.CpuShare(share=0.25, burst=2.0, clock=wall)
    taken = 0
    for turn in range(120):  # two turns a second for a minute
        wall.now = turn / 2
        if share.allowed(7):
            taken += 1
            share.charge(7, cpu_per_turn)
    assert taken == pytest.approx(turns_taken, abs=1)


def test_a_cluster_whose_share_is_spent_waits_while_the_others_run(cluster):
    other = create_cluster("other", nodes=1, seed=2)
    kubectl(cluster, "create", "deployment", "web", "--image=nginx")
    kubectl(other, "create", "deployment", "api", "--image=nginx")
    service = Reconciler("only")
    service.manage_leases(0.0)
    service.cpu.charge(cluster.pk, 10.0)  # ten CPU-seconds over its share
    service.cycle()
    assert APIServer(cluster).list("replicasets", "default")["items"] == []
    assert APIServer(other).list("replicasets", "default")["items"]


def test_a_fast_forward_runs_in_slices_and_the_other_clusters_take_their_turns(cluster, monkeypatch):
    from cluster.reconciler import control, service

    monkeypatch.setattr(service, "FAST_FORWARD_SLICE", 100)
    other = create_cluster("other", nodes=1, seed=2)
    kubectl(cluster, "create", "deployment", "web", "--image=nginx", "--replicas=20")
    kubectl(other, "create", "deployment", "api", "--image=nginx")
    control.set_mode(cluster, "fast-forward")
    reconciler = Reconciler("only")
    reconciler.cycle()
    assert ReconcilerLease.objects.get(cluster=cluster).mode == "fast-forward"  # 100 units: not settled yet
    assert APIServer(other).list("replicasets", "default")["items"]  # its turn came in the same cycle
    for _ in range(200):
        if ReconcilerLease.objects.get(cluster=cluster).mode == "realtime":
            break
        reconciler.cycle()
    assert ReconcilerLease.objects.get(cluster=cluster).mode == "realtime"
    pods = APIServer(cluster).list("pods", "default")["items"]
    assert len(pods) == 20 and all(p["status"]["phase"] == "Running" for p in pods)


@pytest.mark.parametrize("mode", ["realtime", "step", "fast-forward"])
def test_modes_are_kept_where_every_process_sees_them(cluster, mode):
    from cluster.reconciler import control

    control.set_mode(cluster, mode)
    assert ReconcilerLease.objects.get(cluster=cluster).mode == mode


def test_an_unknown_mode_is_refused(cluster):
    from cluster.reconciler import control

    with pytest.raises(ValueError, match="mode must be one of realtime, step, fast-forward"):
        control.set_mode(cluster, "turbo")


def test_a_driver_starts_over_when_the_cluster_is_reset(cluster):
    from cluster.bootstrap import reset_cluster

    clock.set_speed(cluster, 0.0)
    driver = ClusterDriver(cluster)
    kubectl(cluster, "create", "deployment", "old", "--image=nginx", "--replicas=3")
    driver.fast_forward()
    reset_cluster(Cluster.objects.get(pk=cluster.pk))
    kubectl(cluster, "create", "deployment", "new", "--image=nginx")
    driver.fast_forward()
    pods = APIServer(Cluster.objects.get(pk=cluster.pk)).list("pods", "default")["items"]
    assert [p["metadata"]["name"].split("-")[0] for p in pods] == ["new"]
    assert pods[0]["status"]["phase"] == "Running"


def _events(found: list) -> list:
    return [(resource, event.type, event.object, event.revision) for resource, event in found]


def test_the_driver_hears_its_own_writes_exactly_as_the_database_reports_them(cluster):
    clock.set_speed(cluster, 0.0)
    driver = ClusterDriver(cluster)
    from_memory = []
    own_events = driver._own_events

    def compared(current: int) -> list | None:
        mine = own_events(current)
        if mine is not None:
            assert _events(mine) == _events(driver._events_until(current))
            from_memory.append(len(mine))
        return mine

    driver._own_events = compared
    kubectl(cluster, "create", "deployment", "web", "--image=nginx", "--replicas=3")
    driver.fast_forward()
    assert len(from_memory) > 20 and sum(from_memory) > 40
    pods = APIServer(Cluster.objects.get(pk=cluster.pk)).list("pods", "default")["items"]
    assert [p["status"]["phase"] for p in pods] == ["Running"] * 3


def test_a_write_by_another_client_between_polls_is_read_from_the_database(cluster):
    clock.set_speed(cluster, 0.0)
    driver = ClusterDriver(cluster)
    kubectl(cluster, "create", "deployment", "first", "--image=nginx")
    driver.poll()
    assert driver.run_one()  # the deployment controller writes a ReplicaSet: noted in memory
    kubectl(cluster, "create", "deployment", "second", "--image=nginx")  # another client, in between
    assert driver._own_events(driver.api.current_revision()) is None
    driver.since = None  # what the check above consumed is relisted
    driver.fast_forward()
    pods = APIServer(Cluster.objects.get(pk=cluster.pk)).list("pods", "default")["items"]
    assert sorted(p["metadata"]["name"].split("-")[0] for p in pods) == ["first", "second"]


def test_a_unit_rolled_back_by_a_bug_leaves_nothing_in_the_informers(cluster, monkeypatch):
    def writes_then_fails(self, key):
        self.api.create(
            "pods",
            "default",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "phantom"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        )
        raise RuntimeError("bug after a write")

    monkeypatch.setattr(ReplicaSetController, "reconcile", writes_then_fails)
    clock.set_speed(cluster, 0.0)
    driver = ClusterDriver(cluster)
    kubectl(cluster, "create", "deployment", "web", "--image=nginx")
    driver.fast_forward(seconds=5)
    assert APIServer(cluster).list("pods", "default")["items"] == []
    assert "default/phantom" not in driver.informers.informers["pods"].items
    # the writes after each undone unit took the revisions it gave back: etcd's history has no gaps
    revisions = list(Revision.objects.filter(cluster=cluster).order_by("revision").values_list("revision", flat=True))
    assert revisions == list(range(1, len(revisions) + 1))
