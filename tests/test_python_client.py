"""The official `kubernetes` Python client, unmodified, against a live Daphne server."""
from __future__ import annotations

from typing import Iterator

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from tests.livesrv import live_server


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[client.CoreV1Api]:
    for server in live_server(tmp_path_factory.mktemp("python-client")):
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
    stream = watch.Watch().stream(core.list_namespaced_config_map, "default",
                                  resource_version=listed.metadata.resource_version, timeout_seconds=2)
    for event in stream:
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 2:
            break
    assert seen == [("ADDED", "watched-1"), ("ADDED", "watched-2")]
