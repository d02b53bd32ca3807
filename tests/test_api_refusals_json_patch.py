"""What kube-apiserver refuses in a JSON patch (RFC 6902), and how it words it: a path that is not there,
an object replaced by something that is not one, more than 10,000 operations (maxJSONPatchOperations), and
`copy` operations adding more than 3 MiB between them (JSONPatchMaxCopyBytes)."""

from __future__ import annotations

import pytest

from tests import api_refusals_common
from tests.api_refusals_common import CONFIGMAPS, JSONPATCH, MERGE, Bad, assert_refused

world = api_refusals_common.world  # the fixture

JSON_PATCH_TABLE: list[Bad] = [
    Bad(
        "json-patch-bad-path",
        "PATCH",
        CONFIGMAPS + "/cm",
        422,
        "Invalid",
        "the server rejected our request due to an error in our request",
        [{"op": "replace", "path": "/nothing/here", "value": 1}],
        JSONPATCH,
    ),
    # Twenty-two copies of a list into itself would double a kilobyte into four gigabytes (this one took 39 s
    # and ran out of memory before the limit): JSONPatchMaxCopyBytes stops the copies past 3 MiB.
    Bad(
        "json-patch-copy-bomb",
        "PATCH",
        CONFIGMAPS + "/cm",
        422,
        "Invalid",
        "the server rejected our request due to an error in our request",
        [{"op": "add", "path": "/bomb", "value": ["x" * 1000]}]
        + [{"op": "copy", "from": "/bomb", "path": "/bomb/-"}] * 22,
        JSONPATCH,
    ),
    Bad(  # the patched document is a string: SimpleMetaFactory cannot read a kind from it (a 500 before)
        "json-patch-replaces-the-object-with-a-string",
        "PATCH",
        CONFIGMAPS + "/cm",
        422,
        "Invalid",
        ' "" is invalid: patch: Invalid value: "\\"x\\"": couldn\'t get version/kind; json parse error: json: '
        'cannot unmarshal string into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; '
        'Kind string "json:\\"kind,omitempty\\"" }',
        [{"op": "replace", "path": "", "value": "x"}],
        JSONPATCH,
    ),
    Bad(
        "json-patch-too-many-operations",
        "PATCH",
        CONFIGMAPS + "/cm",
        413,
        "RequestEntityTooLarge",
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
        [{"op": "test", "path": "/kind", "value": "ConfigMap"}] * 10_001,
        JSONPATCH,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", JSON_PATCH_TABLE, ids=[bad.id for bad in JSON_PATCH_TABLE])
def test_a_bad_json_patch_is_refused_as_kube_apiserver_refuses_it(world, cluster, bad):
    assert_refused(world, cluster, bad)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("copies", "status"),
    [(0, 200), (5, 200), (6, 422)],  # 600 KB each: 3.0 MB is within 3 MiB, 3.6 MB is not
)
def test_a_json_patchs_copies_may_add_three_mebibytes_between_them(world, cluster, copies, status):
    """What counts is what the copies added on the way, not the result's size: each copy here is removed
    again, and the sixth is still refused."""
    assert world.request("PATCH", CONFIGMAPS + "/cm", {"data": {"big": "x" * 600_000}}, MERGE).status_code == 200
    ops = [{"op": "test", "path": "/kind", "value": "ConfigMap"}]
    for _ in range(copies):
        ops += [{"op": "copy", "from": "/data/big", "path": "/data/copy"}, {"op": "remove", "path": "/data/copy"}]
    ops += [{"op": "add", "path": "/data/done", "value": "yes"}]
    response = world.request("PATCH", CONFIGMAPS + "/cm", ops, JSONPATCH)
    assert response.status_code == status, response.content[:300]
    stored = world.get(CONFIGMAPS + "/cm").json()["data"]
    assert ("done" in stored) == (status == 200)
    assert "copy" not in stored


# -- what a pod update may still do ----------------------------------------------------------------------
