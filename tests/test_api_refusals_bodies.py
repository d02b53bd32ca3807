"""What kube-apiserver refuses in a path or a body, and how it words it: names that cannot be path segments,
bodies that are not what they claim to be, DeleteOptions out of range, the common refusals; then the Status
bodies of the common errors byte for byte. What the official Python client and the real kubectl v1.32 see of it
against a live server is tests/test_api_refusals_live.py's."""

from __future__ import annotations

import gzip
import json

import pytest

from cluster.apiserver.server import APIServer
from tests import api_refusals_common
from tests.api_refusals_common import (
    PODS,
    DEPLOYMENTS,
    CONFIGMAPS,
    NODES,
    MERGE,
    JSONPATCH,
    CONFIGMAP,
    DEPLOYMENT,
    Bad,
    starts,
    inv,
    send,
    assert_refused,
)
from tests.test_api_refusals_query import QUERY_TABLE
from tests.test_api_refusals_writes import WRITE_TABLE

world = api_refusals_common.world  # the fixture

BODY_TABLE: list[Bad] = [
    # -- names and namespaces in the path --------------------------------------------------------------
    Bad("name-dotdot", "GET", PODS + "/%2e%2e", 400, "BadRequest", "Name parameter invalid: \"..\": may not be '..'"),
    Bad("name-dot", "GET", PODS + "/%2e", 400, "BadRequest", "Name parameter invalid: \".\": may not be '.'"),
    Bad(
        "name-percent",
        "GET",
        PODS + "/a%25b",
        400,
        "BadRequest",
        "Name parameter invalid: \"a%b\": may not contain '%'",
    ),
    Bad(
        "delete-name-dotdot",
        "DELETE",
        CONFIGMAPS + "/%2e%2e",
        400,
        "BadRequest",
        "Name parameter invalid: \"..\": may not be '..'",
    ),
    Bad(
        "patch-name-dotdot",
        "PATCH",
        CONFIGMAPS + "/%2e%2e",
        400,
        "BadRequest",
        "Name parameter invalid: \"..\": may not be '..'",
        {"data": {}},
        MERGE,
    ),
    Bad(
        "cluster-scoped-name-dotdot",
        "GET",
        NODES + "/%2e%2e",
        400,
        "BadRequest",
        "Name parameter invalid: \"..\": may not be '..'",
    ),
    Bad("namespace-dotdot", "GET", "/api/v1/namespaces/%2e%2e/pods/web", 500, "", 'invalid key: "/pods/../web"'),
    Bad("namespace-dot", "GET", "/api/v1/namespaces/%2e/configmaps/cm", 500, "", 'invalid key: "/configmaps/./cm"'),
    Bad(
        "create-in-namespace-dotdot",
        "POST",
        "/api/v1/namespaces/%2e%2e/configmaps",
        404,
        "NotFound",
        'namespaces ".." not found',
        CONFIGMAP,
    ),
    # -- bodies ------------------------------------------------------------------------------------------
    Bad(
        "gzip-body",
        "POST",
        CONFIGMAPS,
        400,
        "BadRequest",
        starts(
            "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json "
            "parse error: invalid character '\\x1f' looking for beginning of value (1f8b"
        ),
        gzip.compress(json.dumps(CONFIGMAP).encode(), mtime=0),
        headers={"HTTP_CONTENT_ENCODING": "gzip"},
    ),
    Bad(
        "empty-body",
        "POST",
        CONFIGMAPS,
        400,
        "BadRequest",
        "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse "
        "error: unexpected end of JSON input (<empty>)",
        "",
    ),
    Bad(
        "truncated-body",
        "POST",
        CONFIGMAPS,
        400,
        "BadRequest",
        "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse "
        'error: unexpected end of JSON input ({"kind":"ConfigMap")',
        '{"kind":"ConfigMap"',
    ),
    Bad(
        "array-body",
        "POST",
        CONFIGMAPS,
        400,
        "BadRequest",
        starts(
            "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json "
            "parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "
        ),
        "[1,2]",
    ),
    Bad(
        "kind-is-a-number",
        "POST",
        CONFIGMAPS,
        400,
        "BadRequest",
        "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse "
        'error: json: cannot unmarshal number into Go struct field .kind of type string ({"kind":5})',
        '{"kind":5}',
    ),
    Bad(
        "wrong-kind",
        "POST",
        CONFIGMAPS,
        400,
        "BadRequest",
        "the kind in the data (Secret) does not match the expected kind (ConfigMap)",
        {**CONFIGMAP, "kind": "Secret"},
    ),
    Bad(
        "wrong-type",
        "POST",
        CONFIGMAPS,
        400,
        "BadRequest",
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct '
        "field ConfigMap.data of type string",
        {**CONFIGMAP, "data": {"k": 1}},
    ),
    Bad(
        "text-plain",
        "POST",
        CONFIGMAPS,
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json, "
        "application/yaml, application/vnd.kubernetes.protobuf",
        "kind: ConfigMap",
        "text/plain",
    ),
    Bad(
        "patch-as-json",
        "PATCH",
        CONFIGMAPS + "/cm",
        415,
        "UnsupportedMediaType",
        starts(
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json"
        ),
        {"data": {}},
    ),
    Bad(
        "json-patch-object",
        "PATCH",
        CONFIGMAPS + "/cm",
        400,
        "BadRequest",
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        {"op": "add"},
        JSONPATCH,
    ),
    # -- delete options ------------------------------------------------------------------------------------
    Bad(
        "delete-bad-propagation",
        "DELETE",
        CONFIGMAPS + "/cm",
        422,
        "Invalid",
        inv(
            "DeleteOptions.meta.k8s.io",
            'propagationPolicy: Unsupported value: "Sideways": supported values: '
            '"Foreground", "Background", "Orphan", "nil"',
        ),
        {"propagationPolicy": "Sideways"},
    ),
    Bad(
        "delete-orphan-and-policy",
        "DELETE",
        CONFIGMAPS + "/cm",
        422,
        "Invalid",
        inv(
            "DeleteOptions.meta.k8s.io",
            'propagationPolicy: Invalid value: "Background": orphanDependents and '
            "deletionPropagation cannot be both set",
        ),
        {"orphanDependents": True, "propagationPolicy": "Background"},
    ),
    Bad(
        "delete-bad-dry-run",
        "DELETE",
        CONFIGMAPS + "/cm",
        422,
        "Invalid",
        inv("DeleteOptions.meta.k8s.io", 'dryRun: Unsupported value: []string{"Maybe"}: supported values: "All"'),
        {"dryRun": ["Maybe"]},
    ),
    Bad(
        "delete-grace-not-a-number",
        "DELETE",
        CONFIGMAPS + "/cm?gracePeriodSeconds=now",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "now": invalid syntax',
    ),
    Bad(
        "delete-uid-precondition",
        "DELETE",
        CONFIGMAPS + "/cm",
        409,
        "Conflict",
        starts(
            'Operation cannot be fulfilled on ConfigMap "cm": the UID in the precondition (0000) does not match '
            "the UID in record ("
        ),
        {"preconditions": {"uid": "0000"}},
    ),
    Bad(
        "delete-rv-precondition",
        "DELETE",
        CONFIGMAPS + "/cm",
        409,
        "Conflict",
        starts(
            'Operation cannot be fulfilled on ConfigMap "cm": the ResourceVersion in the precondition (1) does '
            "not match the ResourceVersion in record ("
        ),
        {"preconditions": {"resourceVersion": "1"}},
    ),
    # -- the common refusals -------------------------------------------------------------------------------
    Bad("not-found", "GET", CONFIGMAPS + "/nope", 404, "NotFound", 'configmaps "nope" not found'),
    Bad(
        "unknown-resource",
        "GET",
        "/api/v1/namespaces/default/gizmos",
        404,
        "NotFound",
        "the server could not find the requested resource",
    ),
    Bad("already-exists", "POST", CONFIGMAPS, 409, "AlreadyExists", 'configmaps "cm" already exists', CONFIGMAP),
    Bad(
        "stale-update",
        "PUT",
        CONFIGMAPS + "/cm",
        409,
        "Conflict",
        'Operation cannot be fulfilled on configmaps "cm": the object has been modified; please apply your changes '
        "to the latest version and try again",
        {**CONFIGMAP, "metadata": {"name": "cm", "resourceVersion": "2"}},
    ),
    Bad(
        "put-on-collection",
        "PUT",
        CONFIGMAPS,
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        CONFIGMAP,
    ),
    Bad(
        "invalid-name",
        "POST",
        CONFIGMAPS,
        422,
        "Invalid",
        starts(
            'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 '
            "subdomain must consist of"
        ),
        {**CONFIGMAP, "metadata": {"name": "Bad_Name"}},
    ),
    Bad("no-token", "GET", CONFIGMAPS, 401, "Unauthorized", "Unauthorized", headers={"Authorization": ""}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BODY_TABLE, ids=[bad.id for bad in BODY_TABLE])
def test_a_bad_request_is_refused_as_kube_apiserver_refuses_it(world, cluster, bad):
    assert_refused(world, cluster, bad)


TABLE = QUERY_TABLE + WRITE_TABLE + BODY_TABLE


def test_the_table_has_at_least_a_hundred_rows():
    assert len(TABLE) >= 100
    assert len({bad.id for bad in TABLE}) == len(TABLE)


# -- the Status bodies, byte for byte ------------------------------------------------------------------
def _status(message: str, reason: str, code: int, details: str | None = None) -> bytes:
    text = json.dumps(message)[1:-1]
    body = (
        f'{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"{text}","reason":"{reason}"'
    )
    if details is not None:
        body += f',"details":{details}'
    return (body + f',"code":{code}}}\n').encode()


@pytest.mark.django_db
def test_status_bodies_are_byte_for_byte_kube_apiservers(world, cluster):
    api = APIServer(cluster, client="test")
    api.create("namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}})
    api.delete("namespaces", None, "gone")  # Terminating while its finalizer waits
    cases = [
        (
            send(world, Bad("", "GET", DEPLOYMENTS + "/nope", 404, "")),
            _status(
                'deployments.apps "nope" not found',
                "NotFound",
                404,
                '{"name":"nope","group":"apps","kind":"deployments"}',
            ),
        ),
        (
            send(world, Bad("", "GET", "/api/v1/namespaces/default/gizmos", 404, "")),
            _status("the server could not find the requested resource", "NotFound", 404, "{}"),
        ),
        (
            send(world, Bad("", "POST", DEPLOYMENTS, 409, "", body=DEPLOYMENT)),
            _status(
                'deployments.apps "web" already exists',
                "AlreadyExists",
                409,
                '{"name":"web","group":"apps","kind":"deployments"}',
            ),
        ),
        (
            send(
                world,
                Bad(
                    "",
                    "PUT",
                    CONFIGMAPS + "/cm",
                    409,
                    "",
                    body={**CONFIGMAP, "metadata": {"name": "cm", "resourceVersion": "2"}},
                ),
            ),
            _status(
                'Operation cannot be fulfilled on configmaps "cm": the object has been modified; please apply your '
                "changes to the latest version and try again",
                "Conflict",
                409,
                '{"name":"cm","kind":"configmaps"}',
            ),
        ),
        (
            send(
                world,
                Bad(
                    "",
                    "POST",
                    DEPLOYMENTS,
                    422,
                    "",
                    body={**DEPLOYMENT, "metadata": {"name": "x"}, "spec": {**DEPLOYMENT["spec"], "replicas": -1}},
                ),
            ),
            _status(
                'Deployment.apps "x" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
                "Invalid",
                422,
                '{"name":"x","group":"apps","kind":"Deployment","causes":[{"reason":'
                '"FieldValueInvalid","message":"Invalid value: -1: must be greater than or equal to 0","field":'
                '"spec.replicas"}]}',
            ),
        ),
        (
            send(world, Bad("", "GET", PODS + "?labelSelector=a%3D%3D%3Db", 400, "")),
            _status("unable to parse requirement: found '=', expected: identifier", "BadRequest", 400),
        ),
        (
            send(world, Bad("", "POST", CONFIGMAPS, 415, "", body="x", content_type="text/plain")),
            _status(
                "the body of the request was in an unknown format - accepted media types include: application/json, "
                "application/yaml, application/vnd.kubernetes.protobuf",
                "UnsupportedMediaType",
                415,
            ),
        ),
        (
            send(world, Bad("", "GET", CONFIGMAPS, 401, "", headers={"Authorization": ""})),
            _status("Unauthorized", "Unauthorized", 401),
        ),
        (
            send(
                world,
                Bad(
                    "",
                    "POST",
                    "/api/v1/namespaces/gone/configmaps",
                    403,
                    "",
                    body={**CONFIGMAP, "metadata": {"name": "late"}},
                ),
            ),
            _status(
                'configmaps "late" is forbidden: unable to create new content in namespace gone because it is being '
                "terminated",
                "Forbidden",
                403,
                '{"name":"late","kind":"configmaps"}',
            ),
        ),
        (
            send(world, Bad("", "PUT", CONFIGMAPS, 405, "", body=CONFIGMAP)),
            _status("the server does not allow this method on the requested resource", "MethodNotAllowed", 405, "{}"),
        ),
    ]
    for response, expected in cases:
        assert response["Content-Type"] == "application/json"
        assert response.content == expected
