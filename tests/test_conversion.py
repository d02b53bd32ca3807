"""One stored Event, served as core/v1 and as events.k8s.io/v1 with upstream's field names."""

from __future__ import annotations

from cluster import events
from cluster.apiserver.resources import by_gvr


def test_an_event_reads_back_in_both_versions(api):
    node = api.get("nodes", "", "worker-1")
    events.record(api, node, "Normal", "Starting", "Starting kubelet.", "kubelet", "worker-1")
    core = api.list("events", "default")["items"][0]
    new = api.list(by_gvr("events.k8s.io", "v1", "events"), "default")["items"][0]
    assert core["apiVersion"] == "v1" and new["apiVersion"] == "events.k8s.io/v1"
    assert core["message"] == new["note"] == "Starting kubelet."
    assert core["involvedObject"] == new["regarding"]
    assert new["deprecatedSource"] == {"component": "kubelet", "host": "worker-1"}
    assert "message" not in new and "note" not in core
