"""Events as client-go's recorder writes them: timestamp names, aggregation, counting and the spam filter."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command

from cluster import clock, events
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.kubectl import cli
from cluster.models import Cluster

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def frozen(api: APIServer) -> APIServer:
    clock.set_speed(api.cluster, 0)
    return api


def kubectl(api: APIServer, line: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    fresh = APIServer(Cluster.objects.get(pk=api.cluster.pk), client="kubectl")
    assert cli.run(fresh, line.split(), io.StringIO(), out, err) == 0, err.getvalue()
    return out.getvalue()


def make_pod(api: APIServer, name: str = "p1") -> dict:
    return api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]},
        },
    )


def nanos(moment: dt.datetime) -> int:
    return (moment - EPOCH) // dt.timedelta(microseconds=1) * 1000


def kubelet(api: APIServer, pod: dict, reason: str, message: str, type_: str = "Normal") -> dict | None:
    return events.record(api, pod, type_, reason, message, "kubelet", host="worker-1")


def describe_events(api: APIServer, name: str = "p1") -> list[str]:
    text = kubectl(api, f"describe pod {name}")
    return [line.strip() for line in text.split("\nEvents:\n", 1)[1].splitlines()[2:]]


def test_an_event_is_named_after_its_object_and_the_hex_nanoseconds_of_its_time(frozen: APIServer) -> None:
    pod = make_pod(frozen)
    at = frozen.now()
    written = kubelet(frozen, pod, "Pulling", 'Pulling image "nginx"')
    assert written["metadata"]["name"] == f"p1.{nanos(at):x}"
    assert written["firstTimestamp"] == written["lastTimestamp"] == clock.rfc3339(at)


def test_get_events_lists_an_objects_events_in_the_order_they_happened(frozen: APIServer) -> None:
    pod = make_pod(frozen)
    for step, reason in enumerate(["Scheduled", "Pulling", "Pulled", "Created", "Started", "Killing"]):
        kubelet(frozen, pod, reason, f"{reason} the pod")
        if step % 2:
            clock.advance(frozen.cluster, 7)  # some at the same instant (a clock standing still), some later
    rows = kubectl(frozen, "get events").splitlines()[1:]
    assert [row.split()[2] for row in rows] == ["Scheduled", "Pulling", "Pulled", "Created", "Started", "Killing"]
    names = kubectl(frozen, "get events -o name").split()
    assert names == sorted(names) and len(set(names)) == 6


def test_similar_events_are_combined_from_the_tenth_distinct_message(frozen: APIServer) -> None:
    """EventAggregator: same source, object, type and reason; 10 distinct messages within 10 minutes."""
    rs = frozen.create(
        "replicasets",
        "default",
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 12,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "app", "image": "nginx"}]},
                },
            },
        },
    )
    for index in range(1, 13):
        events.record(
            frozen, rs, "Normal", "SuccessfulCreate", f"Created pod: web-{index:02d}", "replicaset-controller"
        )
    stored = frozen.list("events", "default")["items"]
    assert [e["message"] for e in stored if e["count"] == 1] == [f"Created pod: web-{i:02d}" for i in range(1, 10)]
    [combined] = [e for e in stored if e["count"] > 1]
    assert (combined["message"], combined["count"]) == ("(combined from similar events): Created pod: web-12", 3)
    [line] = [row for row in kubectl(frozen, "describe replicaset web").splitlines() if "(x" in row]
    assert re.fullmatch(
        r"\s*Normal\s+SuccessfulCreate\s+0s \(x3 over 0s\)\s+replicaset-controller\s+"
        r"\(combined from similar events\): Created pod: web-12",
        line,
    ), line


def test_the_same_event_again_bumps_count_and_last_seen(frozen: APIServer) -> None:
    pod = make_pod(frozen)
    kubelet(frozen, pod, "BackOff", "Back-off restarting failed container app", "Warning")
    clock.advance(frozen.cluster, 40)
    kubelet(frozen, pod, "BackOff", "Back-off restarting failed container app", "Warning")
    assert describe_events(frozen) == [
        "Warning  BackOff  0s (x2 over 40s)  kubelet  Back-off restarting failed container app"
    ]


def test_a_source_may_burst_25_events_about_an_object_then_one_every_5_minutes(frozen: APIServer) -> None:
    """EventSourceObjectSpamFilter: dropped repeats are still counted, so the next write that passes shows all."""
    pod = make_pod(frozen)
    written = [
        kubelet(frozen, pod, "BackOff", "Back-off restarting failed container app", "Warning") for _ in range(30)
    ]
    assert sum(w is not None for w in written) == 25
    assert describe_events(frozen) == [
        "Warning  BackOff  0s (x25 over 0s)  kubelet  Back-off restarting failed container app"
    ]
    clock.advance(frozen.cluster, 299)
    assert kubelet(frozen, pod, "Unhealthy", "Readiness probe failed", "Warning") is None  # same bucket: empty
    clock.advance(frozen.cluster, 1)
    assert kubelet(frozen, pod, "BackOff", "Back-off restarting failed container app", "Warning") is not None
    assert describe_events(frozen) == [
        "Warning  BackOff  0s (x31 over 5m)  kubelet  Back-off restarting failed container app"
    ]
    other = make_pod(frozen, "p2")  # another object has a bucket of its own
    assert kubelet(frozen, other, "Pulling", 'Pulling image "nginx"') is not None


def test_a_crash_looping_pods_back_off_count_climbs_as_on_a_real_cluster(db: None) -> None:
    """The kubelet syncs a pod that is backing off every 10-15 s and records BackOff each time; the spam filter
    drops most of them after the burst, but the aggregator counts the dropped ones too, so the Event that is
    written shows every sync (real clusters show e.g. `x50 over 10m`), not one per restart (~7).

    The token bucket is per source and object, not per reason: each restart's Pulling, Pulled, Created and
    Started compete with BackOff for the one token the bucket gains every 5 minutes. Which of them gets it
    depends on where the jittered syncs fall, so the cluster starts frozen at a fixed moment and replays."""
    cluster = create_cluster("crashloop", nodes=1, seed=3, frozen_at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    api = APIServer(cluster, client="test")
    api.create(
        "pods",
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "crash"},
            "spec": {"containers": [{"name": "crash", "image": "busybox", "command": ["sh", "-c", "exit 1"]}]},
        },
    )
    call_command("simulate", "--cluster", cluster.name, "--seconds", "900", stdout=io.StringIO())
    [line] = [row for row in describe_events(api, "crash") if "BackOff" in row]
    match = re.match(
        r"Warning\s+BackOff\s+(\S+) \(x(\d+) over (\d+)m\)\s+kubelet\s+Back-off restarting failed "
        r"container crash in pod crash_default\(",
        line,
    )
    assert match, line
    restarts = api.get("pods", "default", "crash")["status"]["containerStatuses"][0]["restartCount"]
    last_seen, count, span = match.group(1), int(match.group(2)), int(match.group(3))
    assert count >= 40 > restarts and span >= 13, line  # one per 10-15 s of back-off, not one per restart
    seconds = sum(int(n) * {"s": 1, "m": 60}[unit] for n, unit in re.findall(r"(\d+)([ms])", last_seen))
    assert seconds <= 300 + 15, line


def test_a_restarted_recorder_on_a_stopped_clock_still_writes_its_event(frozen: APIServer) -> None:
    """Same object, same nanosecond as a stored Event (a restart while the virtual clock stood still)."""
    pod = make_pod(frozen)
    first = kubelet(frozen, pod, "Pulling", 'Pulling image "nginx"')
    events._last_stamp.clear()  # what a new process knows
    second = kubelet(APIServer(frozen.cluster, client="kubelet"), pod, "Pulling", 'Pulling image "nginx"')
    stamp = int(first["metadata"]["name"].rpartition(".")[2], 16)
    assert second["metadata"]["name"] == f"p1.{stamp + 1:x}" and second["count"] == 1
