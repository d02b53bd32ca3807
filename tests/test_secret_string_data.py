"""A Secret's stringData, as the "Managing Secrets using Configuration File" task writes it: merged into data
as base64 on every write, never stored or answered (Convert_v1_Secret_To_core_Secret)."""

from __future__ import annotations

import base64

import pytest

from cluster.apiserver.errors import StatusError
from cluster.apiserver.patch import MERGE_PATCH, STRATEGIC_MERGE_PATCH
from cluster.apiserver.server import APIServer


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(name: str, **fields: object) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, **fields}


def test_string_data_is_written_over_data_and_not_kept(api: APIServer) -> None:
    api.create(
        "secrets",
        "default",
        secret(
            "mysecret",
            type="Opaque",
            data={"username": b64("admin")},
            stringData={"username": "administrator", "config.yaml": "apiUrl: https://my.api.com/api/v1\n"},
        ),
    )
    stored = api.get("secrets", "default", "mysecret")
    assert "stringData" not in stored
    assert stored["data"] == {
        "username": b64("administrator"),
        "config.yaml": b64("apiUrl: https://my.api.com/api/v1\n"),
    }


@pytest.mark.parametrize(
    ("kind", "strings"),
    [
        ("kubernetes.io/basic-auth", {"username": "admin", "password": "t0p-Secret"}),
        ("kubernetes.io/tls", {"tls.crt": "CERT", "tls.key": "KEY"}),
        ("kubernetes.io/dockerconfigjson", {".dockerconfigjson": '{"auths":{}}'}),
    ],
)
def test_typed_secrets_given_only_string_data_are_valid(api: APIServer, kind: str, strings: dict) -> None:
    created = api.create("secrets", "default", secret("typed", type=kind, stringData=strings))
    assert created["data"] == {key: b64(value) for key, value in strings.items()}
    assert "stringData" not in created


@pytest.mark.parametrize("patch_type", [STRATEGIC_MERGE_PATCH, MERGE_PATCH])
def test_a_patch_of_string_data_changes_the_value(api: APIServer, patch_type: str) -> None:
    api.create("secrets", "default", secret("upd", data={"k": b64("v1")}))
    patched = api.patch("secrets", "default", "upd", {"stringData": {"k": "v2"}}, patch_type)
    assert patched["data"] == {"k": b64("v2")}
    assert "stringData" not in api.get("secrets", "default", "upd")


def test_an_immutable_secret_refuses_a_change_through_string_data(api: APIServer) -> None:
    api.create("secrets", "default", secret("fixed", data={"k": b64("v1")}, immutable=True))
    with pytest.raises(StatusError) as refused:
        api.patch("secrets", "default", "fixed", {"stringData": {"k": "v2"}}, MERGE_PATCH)
    assert refused.value.code == 422
    assert api.get("secrets", "default", "fixed")["data"] == {"k": b64("v1")}
