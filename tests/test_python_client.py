"""The official `kubernetes` Python client, unmodified, against a live Daphne server."""

from __future__ import annotations

import threading
import time
from typing import Iterator

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException
from urllib3.exceptions import ProtocolError

from tests.livesrv import Daphne, shared_cluster


@pytest.fixture(scope="module")
def core(live_daphne: Daphne) -> Iterator[client.CoreV1Api]:
    for server in shared_cluster(live_daphne, "pyclient"):
        config = client.Configuration()
        config.host = server.url
        config.ssl_ca_cert = str(server.ca_file)
        config.api_key = {"authorization": server.token}
        config.api_key_prefix = {"authorization": "Bearer"}
        with client.ApiClient(config) as api_client:
            yield client.CoreV1Api(api_client)


def configmap(name: str, labels: dict | None = None, **data: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)


def test_create_and_list_with_a_label_selector(core):
    core.create_namespaced_config_map("default", configmap("blue", {"color": "blue"}, a="1"))
    core.create_namespaced_config_map("default", configmap("red", {"color": "red"}, a="2"))
    listed = core.list_namespaced_config_map("default", label_selector="color=blue")
    assert [c.metadata.name for c in listed.items] == ["blue"]
    assert listed.items[0].data == {"a": "1"}


def test_patch_changes_only_what_it_names(core):
    core.create_namespaced_config_map("default", configmap("patched", a="1", b="2"))
    core.patch_namespaced_config_map("patched", "default", {"data": {"b": "3"}})
    assert core.read_namespaced_config_map("patched", "default").data == {"a": "1", "b": "3"}


def test_a_stale_update_is_a_409_conflict(core):
    created = core.create_namespaced_config_map("default", configmap("raced", a="1"))
    created.data = {"a": "2"}
    core.replace_namespaced_config_map("raced", "default", created)
    created.data = {"a": "3"}  # still carries the old resourceVersion
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("raced", "default", created)
    assert err.value.status == 409
    assert core.read_namespaced_config_map("raced", "default").data == {"a": "2"}


def test_missing_object_is_a_404(core):
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("nope", "default")
    assert err.value.status == 404


def test_watch_sees_objects_created_after_the_list(core):
    listed = core.list_namespaced_config_map("default")
    core.create_namespaced_config_map("default", configmap("watched-1"))
    core.create_namespaced_config_map("default", configmap("watched-2"))
    seen = []
    stream = watch.Watch().stream(
        core.list_namespaced_config_map, "default", resource_version=listed.metadata.resource_version, timeout_seconds=2
    )
    for event in stream:
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 2:
            break
    assert seen == [("ADDED", "watched-1"), ("ADDED", "watched-2")]


# -- watches that start at once, end on time, and stop when asked ---------------------------------
def test_a_watch_with_timeout_seconds_ends_when_the_server_ends_it(core):
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    started = time.monotonic()
    events = list(
        watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=1)
    )
    assert events == []
    assert time.monotonic() - started < 5


def test_the_response_starts_before_any_event(core):
    started = time.monotonic()
    response = core.list_namespaced_config_map("default", watch=True, timeout_seconds=30, _preload_content=False)
    try:
        assert response.status == 200
        assert time.monotonic() - started < 2  # the headers came at once, not with a first event
    finally:
        response.close()
        response.release_conn()


def test_watch_stop_returns_on_an_idle_watch(core):
    w = watch.Watch()
    seen: list[dict] = []

    rv = core.list_namespaced_config_map("default").metadata.resource_version

    def run() -> None:
        try:
            for event in w.stream(core.list_namespaced_config_map, "default", timeout_seconds=25, resource_version=rv):
                seen.append(event)
        except ProtocolError:
            pass  # stop() shuts the socket down under the reading thread; urllib3 says so

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(1.0)  # the watch is open and idle: nothing changes in "default"
    w.stop()
    thread.join(timeout=5)
    assert not thread.is_alive(), "Watch.stop() did not end an idle watch"
    assert seen == []


def test_bookmarks_when_asked(core):
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    events = list(
        watch.Watch().stream(
            core.list_namespaced_config_map,
            "default",
            resource_version=rv,
            allow_watch_bookmarks=True,
            timeout_seconds=3,
        )
    )
    assert [e["type"] for e in events] == ["BOOKMARK"]  # the one just before the deadline
    assert int(events[0]["raw_object"]["metadata"]["resourceVersion"]) >= int(rv)


def test_send_initial_events_then_the_end_of_them(core):
    core.create_namespaced_config_map("default", configmap("initial-1"))
    events = list(
        watch.Watch().stream(
            core.list_namespaced_config_map,
            "default",
            send_initial_events=True,
            resource_version_match="NotOlderThan",
            allow_watch_bookmarks=True,
            timeout_seconds=1,
        )
    )
    kinds = [e["type"] for e in events]
    first_bookmark = kinds.index("BOOKMARK")
    assert set(kinds[:first_bookmark]) == {"ADDED"}
    assert "initial-1" in [e["object"].metadata.name for e in events[:first_bookmark]]
    assert events[first_bookmark]["raw_object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_a_wrong_token_at_the_root_is_401(core):
    config = core.api_client.configuration
    bad = client.Configuration()
    bad.host, bad.ssl_ca_cert = config.host, config.ssl_ca_cert
    bad.api_key, bad.api_key_prefix = {"authorization": "not-the-token"}, {"authorization": "Bearer"}
    with client.ApiClient(bad) as api_client:
        with pytest.raises(ApiException) as err:
            client.CoreV1Api(api_client).list_namespaced_config_map("default")
    assert err.value.status == 401
