"""Step events: every hop a request sets off, in order, with its explanation and diff."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluster import clock, steps
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.models import StepEvent
from cluster.reconciler import control
from cluster.reconciler.driver import ClusterDriver
from cluster.steps import diffs, recorder, sink

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]},
        },
    },
}


def hops(cluster, since: int = 0) -> list[tuple[str, str, str, str]]:
    return [(s["from"], s["to"], s["verb"], s["object"]) for s in steps.since(cluster, since, limit=100_000)]


def test_a_create_is_a_request_to_the_api_server_then_a_write_to_etcd(cluster, api):
    before = control.last_seq(cluster)
    created = api.create("deployments", "default", DEPLOYMENT)
    recorded = steps.since(cluster, before)
    assert [(s["from"], s["to"], s["verb"], s["object"]) for s in recorded] == [
        ("test", "kube-apiserver", "POST", "deployments/default/web"),
        ("kube-apiserver", "etcd", "PUT", "deployments/default/web"),
    ]
    write = recorded[1]
    assert write["key"] == "/registry/deployments/default/web"
    assert write["revision"] == int(created["metadata"]["resourceVersion"])
    assert {"path": "spec.replicas", "old": "", "new": "1"} in write["diff"]


def test_the_whole_pod_lifecycle_is_recorded_hop_by_hop(cluster, api):
    clock.set_speed(cluster, 0.0)
    driver = ClusterDriver(cluster)
    driver.fast_forward(seconds=1)
    before = control.last_seq(cluster)
    APIServer(driver.cluster, client="kubectl").create("deployments", "default", DEPLOYMENT)
    driver.fast_forward(seconds=30)
    recorded = hops(cluster, before)
    pod = api.list("pods", "default")["items"][0]["metadata"]["name"]
    node = api.list("pods", "default")["items"][0]["spec"]["nodeName"]
    milestones = [
        ("kubectl", "kube-apiserver", "POST", "deployments/default/web"),
        ("kube-apiserver", "etcd", "PUT", "deployments/default/web"),
        ("kube-apiserver", "deployment-controller", "ADDED", "deployments/default/web"),
        ("kube-apiserver", "replicaset-controller", "ADDED", f"replicasets/default/{pod.rsplit('-', 1)[0]}"),
        ("replicaset-controller", "kube-apiserver", "POST", f"pods/default/{pod}"),
        ("kube-apiserver", "default-scheduler", "ADDED", f"pods/default/{pod}"),
        ("default-scheduler", "kube-apiserver", "POST", f"pods/default/{pod}/binding"),
        ("kube-apiserver", f"kubelet/{node}", "MODIFIED", f"pods/default/{pod}"),
        (f"kubelet/{node}", f"containerd/{node}", "RunPodSandbox", f"pods/default/{pod}"),
        (f"kubelet/{node}", f"containerd/{node}", "PullImage", f"pods/default/{pod}"),
        (f"kubelet/{node}", "kube-apiserver", "PUT", f"pods/default/{pod}/status"),
        (f"kubelet/{node}", f"containerd/{node}", "CreateContainer", f"pods/default/{pod}"),
        (f"kubelet/{node}", f"containerd/{node}", "StartContainer", f"pods/default/{pod}"),
    ]
    positions = [recorded.index(m) for m in milestones]
    assert positions == sorted(positions)


def test_a_rejected_request_is_shown_but_reaches_no_etcd(cluster, api):
    before = control.last_seq(cluster)
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad"}, "spec": {"containers": []}}
    with pytest.raises(StatusError):
        api.create("pods", "default", bad)
    api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok"}})
    assert hops(cluster, before) == [
        ("test", "kube-apiserver", "POST", "pods/default/bad"),
        ("test", "kube-apiserver", "POST", "configmaps/default/ok"),
        ("kube-apiserver", "etcd", "PUT", "configmaps/default/ok"),
    ]


def test_recording_can_be_turned_off_for_benchmarks(cluster, monkeypatch):
    before = StepEvent.objects.count()
    monkeypatch.setenv("KUBECLASS_STEP_EVENTS", "0")
    APIServer(cluster, client="bench").create(
        "configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "quiet"}}
    )
    assert StepEvent.objects.count() == before


def test_a_single_api_server_can_stop_recording(cluster):
    api = APIServer(cluster, client="bench")
    steps.disable(api)
    before = StepEvent.objects.count()
    api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "quiet"}})
    assert StepEvent.objects.count() == before


def test_explanations_are_in_english_and_korean(cluster, api):
    before = control.last_seq(cluster)
    api.create("configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}})
    english = steps.since(cluster, before)[1]["explanation"]
    korean = steps.since(cluster, before, lang="ko")[1]["explanation"]
    assert "/registry/configmaps/default/cm" in english and "etcd" in english
    assert "저장합니다" in korean and "/registry/configmaps/default/cm" in korean


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (None, {"a": 1}, [("a", "", "1")]),
        ({"a": 1}, {"a": 2}, [("a", "1", "2")]),
        ({"spec": {"replicas": 1}}, {"spec": {"replicas": 3}}, [("spec.replicas", "1", "3")]),
        ({"l": [1, 2]}, {"l": [1, 3]}, [("l[1]", "2", "3")]),
        ({"a": 1, "b": 2}, {"a": 1}, [("b", "2", "")]),
        ({"metadata": {"resourceVersion": "1"}}, {"metadata": {"resourceVersion": "2"}}, []),
        ({"s": "x"}, {"s": "x"}, []),
        (  # managedFields change with every write: noise in a step's diff
            {"metadata": {"managedFields": [{"time": "t1"}], "labels": {"a": "1"}}},
            {"metadata": {"managedFields": [{"time": "t2"}], "labels": {"a": "2"}}},
            [("metadata.labels.a", "1", "2")],
        ),
        ({"l": [1]}, {"l": [1, {"k": "v"}]}, [("l[1].k", "", "v")]),
        ({"d": {}}, {"d": {"k": 1}}, [("d", "{}", ""), ("d.k", "", "1")]),
    ],
)
def test_diffs_list_changed_paths_old_to_new(old, new, expected):
    assert [(d["path"], d["old"], d["new"]) for d in steps.diff(old, new)] == expected
    assert diffs.diff_plain(old, new) == steps.diff(old, new)


# JSON values from a small alphabet, so two drawn apart still share subtrees. Keys hold no "." or "[": a key
# that did could spell another branch's path, which the plain flattening would then mix up with it.
LEAVES = st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "x", "y"])
KEYS = st.sampled_from(["a", "b", "metadata", "managedFields", "resourceVersion", "spec"])
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3))
OBJECTS = st.dictionaries(KEYS, VALUES, max_size=4)


@settings(max_examples=400, deadline=None)
@given(old=OBJECTS, new=OBJECTS)
def test_the_diff_that_skips_equal_subtrees_lists_what_flattening_both_objects_lists(old, new):
    assert steps.diff(old, new) == diffs.diff_plain(old, new)
    assert steps.diff(old, old) == [] and steps.diff(None, new) == diffs.diff_plain({}, new)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)),  # lone surrogates included
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=JSON_VALUES)
def test_a_hops_payload_written_by_orjson_reads_back_as_the_standard_librarys_would(value):
    """The fast path (orjson, falling back for what it refuses) against the plain one (json.dumps)."""
    import json

    assert json.loads(recorder._dumps(value)) == json.loads(recorder._plain_dumps(value))


def test_step_mode_reveals_one_hop_per_next(cluster):
    clock.set_speed(cluster, 0.0)
    driver = ClusterDriver(cluster)
    driver.fast_forward(seconds=1)
    control.set_mode(cluster, "step")
    seen = control.last_seq(cluster)
    APIServer(driver.cluster, client="kubectl").create("deployments", "default", DEPLOYMENT)
    assert steps.since(cluster, seen) == []  # recorded, not yet shown
    shown = []
    for _ in range(6):
        control.next_step(cluster)
        control.serve_steps(driver)
        shown = hops(cluster, seen)
    assert len(shown) == 6
    assert shown[:3] == [
        ("kubectl", "kube-apiserver", "POST", "deployments/default/web"),
        ("kube-apiserver", "etcd", "PUT", "deployments/default/web"),
        ("kube-apiserver", "deployment-controller", "ADDED", "deployments/default/web"),
    ]
    assert shown[3][0] == "deployment-controller"
    control.set_mode(cluster, "realtime")
    assert len(hops(cluster, seen)) > 6


def test_a_batch_numbers_its_steps_on_and_a_unit_undone_by_a_bug_gives_its_numbers_back(cluster, monkeypatch):
    """The reconciler's batch counts step numbers on from its own last insert (recorder.py) instead of asking the
    store each time; the numbers of a unit rolled back are taken again, so the log has neither gaps nor repeats."""
    from cluster.controllers.replicaset import ReplicaSetController

    create_pods = ReplicaSetController.reconcile
    failed: list[str] = []

    def fails_once_after_writing(self, key):
        if not failed:
            failed.append(key)
            self.api.create("configmaps", "default", {"metadata": {"name": "phantom"}})
            raise RuntimeError("bug after a write")
        return create_pods(self, key)

    monkeypatch.setattr(ReplicaSetController, "reconcile", fails_once_after_writing)
    clock.set_speed(cluster, 0.0)
    APIServer(cluster, client="kubectl").create(
        "deployments", "default", dict(DEPLOYMENT, spec={**DEPLOYMENT["spec"], "replicas": 3})
    )
    ClusterDriver(cluster).fast_forward(seconds=30)
    assert failed  # the bug struck
    seqs = list(StepEvent.objects.filter(cluster=cluster).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert not StepEvent.objects.filter(cluster=cluster, object__contains="phantom").exists()
    pods = APIServer(cluster).list("pods", "default")["items"]
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Running"}
    # and the batches' numbers follow the writes: the etcd hops are in the order of their revisions
    revisions = list(
        StepEvent.objects.filter(cluster=cluster, target="etcd").order_by("seq").values_list("revision", flat=True)
    )
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)


def _seeded_rollout(seed: int) -> dict:
    """A seeded Deployment created and then given a new image, recorded: its step rows, the log as the dashboard
    shows it, and the bytes the rows' diffs take."""
    from tests.test_reconciler import frozen_cluster, kubectl

    cluster = frozen_cluster("seeded", seed)
    driver = ClusterDriver(cluster)
    kubectl(cluster, "create", "deployment", "web", "--image=nginx", "--replicas=3")
    driver.fast_forward()
    kubectl(cluster, "set", "image", "deployment/web", "nginx=nginx:1.27")
    driver.fast_forward()
    recorded = StepEvent.objects.filter(cluster=cluster).order_by("seq")
    rollout = {
        "rows": list(recorded.values_list("seq", "source", "target", "verb", "object", "revision", "message_id")),
        "shown": steps.since(cluster, 0, limit=100_000) + steps.between(cluster, 1, 40),
        "diff_bytes": sum(len(str(d)) for d in recorded.values_list("diff", flat=True)),
    }
    cluster.delete()
    return rollout


def test_numbering_steps_from_the_held_count_gives_the_log_that_asking_the_store_each_time_gives(db, monkeypatch):
    """The fast path (a batch counts on from its own last insert) against the plain one (MAX(seq) before every
    insert): the same seed and commands give the same step log, number for number."""
    fast = _seeded_rollout(seed=7)["rows"]
    plain_insert = recorder._insert_hops
    monkeypatch.setattr(recorder, "_insert_hops", lambda cluster, chunks, held: plain_insert(cluster, chunks, None))
    plain = _seeded_rollout(seed=7)["rows"]
    assert len(fast) > 300
    assert fast == plain


def test_a_batch_inserting_its_steps_as_it_commits_gives_the_log_that_an_insert_with_every_write_gives(db, monkeypatch):
    """The fast path (a reconciler batch keeps its components' hops in its StepSink and inserts them before it
    commits) against the plain one (an insert with every write): the same seeded rollout gives the same rows and
    shows the same steps, in far fewer inserts."""
    inserts: list[int] = []
    insert = recorder._insert_hops

    def counted(cluster, chunks, held):
        inserts.append(len(chunks))
        insert(cluster, chunks, held)

    monkeypatch.setattr(recorder, "_insert_hops", counted)
    fast = _seeded_rollout(seed=5)
    fast_inserts, inserts[:] = len(inserts), []
    monkeypatch.setattr(sink, "KEEP_UNTIL_COMMIT", False)
    plain = _seeded_rollout(seed=5)
    assert len(fast["rows"]) > 300
    assert fast["rows"] == plain["rows"] and fast["shown"] == plain["shown"]
    assert set(inserts) == {1} and fast_inserts < len(inserts) / 4


def test_the_diffs_of_creates_and_deletes_read_back_from_etcds_history_are_the_ones_the_rows_would_have_held(
    db, monkeypatch
):
    """The fast path (a create's or a delete's step row leaves its diff out; the page reads the object back from
    etcd's history) against the plain one (every row holds its diff): the same seeded rollout shows the same
    steps."""
    from cluster.steps import hops

    fast_rollout = _seeded_rollout(seed=11)
    monkeypatch.setattr(hops, "WHOLE_DIFFS_FROM_HISTORY", False)
    plain_rollout = _seeded_rollout(seed=11)
    fast, plain = fast_rollout["shown"], plain_rollout["shown"]
    assert len(fast) > 300 and fast == plain
    etcd = [s for s in fast if s["to"] == "etcd"]
    assert any(d["path"] == "spec.replicas" and d["old"] == "" for s in etcd if s["verb"] == "PUT" for d in s["diff"])
    deleted = [s for s in etcd if s["verb"] == "DELETE"]
    assert deleted and all(s["diff"] and all(d["new"] == "" for d in s["diff"]) for s in deleted)
    assert fast_rollout["diff_bytes"] < plain_rollout["diff_bytes"] / 2
