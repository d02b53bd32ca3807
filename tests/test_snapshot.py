"""A cluster restored from another's snapshot: what the class's Hands-on sandboxes start from.

A class switching to Hands-on seeds one sandbox and restores the others from it
(cluster/snapshot.py). Each copy must hold exactly what its source held, go on
exactly as its source would, and be a cluster of its own: its own token, owner
and future, reachable only by its student.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from cluster import clock, snapshot
from cluster.models import Cluster, Entry, ReconcilerLease, Revision, RuntimeState, StepEvent
from cluster.reconciler import control, lease
from cluster.reconciler.driver import ClusterDriver
from web.lessons import catalog
from web.lessons.scenario import seed_cluster, seed_clusters
from tests.test_scenarios import kubectl
from web.models import Classroom

pytestmark = pytest.mark.django_db


def rows(cluster: Cluster) -> dict[str, list[tuple]]:
    """Every stored row of the cluster, without its own ids."""
    return {
        "entries": sorted(
            Entry.objects.filter(cluster=cluster).values_list(
                "key", "prefix", "namespace", "create_revision", "mod_revision", "version", "value", "lease_expiry"
            )
        ),
        "history": sorted(
            Revision.objects.filter(cluster=cluster).values_list(
                "revision", "type", "key", "create_revision", "version", "value"
            )
        ),
        "runtime": sorted(RuntimeState.objects.filter(cluster=cluster).values_list("scope", "name", "data")),
        "steps": sorted(
            StepEvent.objects.filter(cluster=cluster).values_list("seq", "time", "source", "target", "verb", "key")
        ),
    }


def seeded(slug: str, count: int) -> list[Cluster]:
    lesson = catalog.by_slug(slug)
    assert lesson is not None
    return seed_clusters(lesson.scenario, [(f"{slug}-{i}", f"session-{i}") for i in range(count)], seed=7)


def test_a_restored_cluster_holds_what_its_source_held():
    source, copy = seeded("rolling-update", 2)
    assert rows(copy) == rows(source)
    assert rows(source)["entries"] and rows(source)["history"] and rows(source)["runtime"] and rows(source)["steps"]
    assert (copy.revision, copy.key_count, copy.event_key_count) == (
        source.revision,
        source.key_count,
        source.event_key_count,
    )
    assert clock.now(copy) - clock.now(source) < dt.timedelta(seconds=5)  # one clock, read twice
    assert kubectl(copy, "get pods -A -o name") == kubectl(source, "get pods -A -o name")
    assert "web-" in kubectl(copy, "get pods -o name")


def test_a_restored_cluster_is_reachable_only_as_its_own():
    source, copy = seeded("rolling-update", 2)
    assert copy.token != source.token and copy.name != source.name
    assert (source.owner_session, copy.owner_session) == ("session-0", "session-1")
    assert lease.holder_of(copy.pk) == "" and lease.holder_of(source.pk) == ""  # free for a server to drive
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {source.token}"}
    assert client.get(f"/k8s/{copy.name}/api/v1/namespaces/default/pods", **auth).status_code == 401
    auth = {"HTTP_AUTHORIZATION": f"Bearer {copy.token}"}
    assert client.get(f"/k8s/{copy.name}/api/v1/namespaces/default/pods", **auth).status_code == 200


def test_a_restored_cluster_keeps_its_source_s_step_mode():
    source = seeded("rolling-update", 1)[0]
    control.set_mode(source, "step")
    copy = snapshot.restore(Cluster.objects.get(pk=source.pk), "stepped-copy")
    mode = ReconcilerLease.objects.values_list("mode", "revealed_seq").get(cluster=copy)
    assert mode == ReconcilerLease.objects.values_list("mode", "revealed_seq").get(cluster=source)
    assert mode[0] == "step" and copy.speed == 0


@pytest.mark.parametrize("slug", ["scheduling", "storage", "service-discovery"])  # rolling-update: the tests above
def test_a_restored_cluster_goes_on_exactly_as_its_source_would(slug):
    source, copy = seeded(slug, 2)
    seeded_at, moment = source.revision, clock.now(source)
    for each in (source, copy):  # both clocks stopped at the same moment, then two virtual minutes each
        Cluster.objects.filter(pk=each.pk).update(virtual_anchor=moment, wall_anchor=clock.wall_now(), speed=0)
        ClusterDriver(Cluster.objects.get(pk=each.pk)).fast_forward(seconds=120)
    source, copy = Cluster.objects.get(pk=source.pk), Cluster.objects.get(pk=copy.pk)
    assert copy.revision == source.revision > seeded_at  # heartbeats, lease renewals: the same writes
    assert rows(copy)["entries"] == rows(source)["entries"]


def test_writing_to_a_copy_leaves_its_source_alone():
    source, copy = seeded("rolling-update", 2)
    before = rows(source)
    kubectl(copy, "scale deployment web --replicas=6")
    ClusterDriver(Cluster.objects.get(pk=copy.pk)).fast_forward()
    assert rows(source) == before
    copied = set(kubectl(source, "get pods -o name").split())
    now = set(kubectl(copy, "get pods -o name").split())
    assert copied < now and len(now) == 6  # the new pods are the copy's own, named from its own name
    ready = kubectl(copy, "get deployment web").splitlines()[1].split()[1]
    assert ready == "6/6"


def test_a_class_switching_to_hands_on_gives_each_student_a_sandbox_of_their_own():
    teacher = Client()
    teacher.get("/")
    code = teacher.post("/classes/new", {"lesson": "rolling-update"})["Location"].rstrip("/").split("/")[-2]
    students = [Client() for _ in range(3)]
    for i, student in enumerate(students):
        assert student.post("/join", {"code": code, "name": f"Student {i}"}).status_code == 302
    assert teacher.post(f"/classes/{code}/mode", {"mode": "hands-on"}).status_code == 200

    classroom = Classroom.objects.get(code=code)
    sandboxes = [s.sandbox for s in classroom.students.order_by("joined_at").select_related("sandbox")]
    assert len({s.pk for s in sandboxes}) == 3 and classroom.cluster not in sandboxes
    assert rows(sandboxes[1]) == rows(sandboxes[0]) == rows(sandboxes[2])  # one seed, restored for the others
    for i, student in enumerate(students):
        assert student.get(f"/c/{sandboxes[i].name}/").status_code == 200
        other = sandboxes[(i + 1) % 3]
        assert student.get(f"/c/{other.name}/").status_code in (403, 404)


def settled_shape(cluster: Cluster) -> list[tuple[str, ...]]:
    """What `kubectl get all -A` shows of a cluster, with the generated parts of names (pod-template-hash,
    random suffixes) and ages left out."""
    shape = []
    for line in kubectl(cluster, "get all -A --no-headers").splitlines():
        namespace, name, *columns = line.split()
        name = re.sub(r"-[0-9a-f]{8,10}(?=-|$)", "-HASH", name)
        name = re.sub(r"(?<!-control)-[a-z0-9]{5}$", "-XXXXX", name) if name.startswith("pod/") else name
        shape.append((namespace, name, *(c for c in columns if not re.fullmatch(r"\d+[smhd]", c))))
    return sorted(shape)


@pytest.mark.parametrize("slug", ["rolling-update", "scheduling"])
def test_a_restored_sandbox_starts_where_one_seeded_on_its_own_starts(slug):
    """The fast path (restore) against the plain one (a seed of its own, as a lesson started alone gets)."""
    lesson = catalog.by_slug(slug)
    assert lesson is not None
    copy = seed_clusters(lesson.scenario, [("template", ""), ("restored", "")])[1]
    alone = seed_cluster(lesson.scenario, "alone")
    assert settled_shape(copy) == settled_shape(alone)
    assert any(row[1].startswith("pod/") and "Running" in row for row in settled_shape(alone))
