"""Hostile input over HTTP: each case gets kube-apiserver's 4xx and writes nothing.

A table per kind of attack — numbers out of their Go types, nesting, YAML
aliases, wrong media types, oversized bodies, lone surrogates — sent through
the real HTTP path (bearer token, URL, media type). Every refused request must
leave the cluster's revision where it was; every accepted one must be readable
back, as must every row the store holds.
"""

from __future__ import annotations

import json

import orjson
import pytest

from cluster.models import Cluster, Entry, Revision
from tests.test_http_api import Kube

DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
REPLICASETS = "/apis/apps/v1/namespaces/default/replicasets"
PODS = "/api/v1/namespaces/default/pods"
SERVICES = "/api/v1/namespaces/default/services"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
HPAS = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
PVCS = "/api/v1/namespaces/default/persistentvolumeclaims"

POD_SPEC = {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]}
TEMPLATE = {"metadata": {"labels": {"app": "x"}}, "spec": POD_SPEC}
WORKLOAD_SPEC = {"replicas": 1, "selector": {"matchLabels": {"app": "x"}}, "template": TEMPLATE}

BODIES = {
    DEPLOYMENTS: {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": WORKLOAD_SPEC},
    REPLICASETS: {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "x"}, "spec": WORKLOAD_SPEC},
    PODS: {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": POD_SPEC},
    SERVICES: {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]},
    },
    HPAS: {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "x"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"},
            "minReplicas": 1,
            "maxReplicas": 3,
        },
    },
    CONFIGMAPS: {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"k": "v"}},
}

# (collection, field path, the Go type the message names)
INTEGER_FIELDS = [
    (DEPLOYMENTS, "spec.replicas", "DeploymentSpec.spec.replicas of type int32"),
    (DEPLOYMENTS, "spec.minReadySeconds", "DeploymentSpec.spec.minReadySeconds of type int32"),
    (DEPLOYMENTS, "spec.revisionHistoryLimit", "DeploymentSpec.spec.revisionHistoryLimit of type int32"),
    (DEPLOYMENTS, "spec.progressDeadlineSeconds", "DeploymentSpec.spec.progressDeadlineSeconds of type int32"),
    (REPLICASETS, "spec.replicas", "ReplicaSetSpec.spec.replicas of type int32"),
    (
        PODS,
        "spec.containers.0.ports.0.containerPort",
        "ContainerPort.spec.containers.ports.containerPort of type int32",
    ),
    (SERVICES, "spec.ports.0.port", "ServicePort.spec.ports.port of type int32"),
    (HPAS, "spec.maxReplicas", "HorizontalPodAutoscalerSpec.spec.maxReplicas of type int32"),
    (HPAS, "spec.minReplicas", "HorizontalPodAutoscalerSpec.spec.minReplicas of type int32"),
]
INT32_OUT_OF_RANGE = [
    "2147483648",
    "-2147483649",
    "99999999999",
    "9223372036854775808",
    "18446744073709551616",
    "1e30",
    "1e308",
    "2.5",
]
INT64_FIELDS = [
    (PODS, "spec.terminationGracePeriodSeconds", "PodSpec.spec.terminationGracePeriodSeconds of type int64"),
    (PODS, "spec.activeDeadlineSeconds", "PodSpec.spec.activeDeadlineSeconds of type int64"),
]
INT64_OUT_OF_RANGE = ["9223372036854775808", "-9223372036854775809", "1e30", "1e308"]


@pytest.fixture
def kube(cluster: Cluster) -> Kube:
    return Kube(cluster)


def revision(cluster: Cluster) -> int:
    cluster.refresh_from_db()
    return cluster.revision


def with_number(collection: str, path: str, literal: str) -> str:
    """The collection's body as JSON text with the number written exactly as `literal`."""
    body = json.loads(json.dumps(BODIES[collection]))
    node = body
    steps = path.split(".")
    for step in steps[:-1]:
        node = node[int(step)] if step.isdigit() else node[step]
    node[steps[-1]] = "@@NUMBER@@"
    return json.dumps(body).replace('"@@NUMBER@@"', literal)


def refused(
    kube: Kube,
    cluster: Cluster,
    method: str,
    path: str,
    body: object,
    status: int,
    reason: str,
    content_type: str = "application/json",
) -> dict:
    before = revision(cluster)
    response = kube.request(method, path, body, content_type=content_type)
    assert response.status_code == status, response.content[:300]
    payload = response.json()
    assert (payload["kind"], payload["status"], payload["reason"], payload["code"]) == (
        "Status",
        "Failure",
        reason,
        status,
    )
    assert revision(cluster) == before, "a refused request wrote to the store"
    return payload


def every_row_is_readable(cluster: Cluster) -> None:
    for value in Entry.objects.filter(cluster=cluster).values_list("value", flat=True):
        orjson.loads(value)
    for value in Revision.objects.filter(cluster=cluster).values_list("value", flat=True):
        orjson.loads(value)


# -- numbers beyond their Go types --------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("literal", INT32_OUT_OF_RANGE)
@pytest.mark.parametrize(("collection", "path", "go_field"), INTEGER_FIELDS)
def test_an_int32_field_out_of_range_is_refused_as_go_decodes_it(kube, cluster, collection, path, go_field, literal):
    status = refused(kube, cluster, "POST", collection, with_number(collection, path, literal), 400, "BadRequest")
    assert "cannot unmarshal number" in status["message"]
    assert status["message"].endswith(f"into Go struct field {go_field}")


@pytest.mark.django_db
@pytest.mark.parametrize("literal", INT64_OUT_OF_RANGE)
@pytest.mark.parametrize(("collection", "path", "go_field"), INT64_FIELDS)
def test_an_int64_field_out_of_range_is_refused(kube, cluster, collection, path, go_field, literal):
    status = refused(kube, cluster, "POST", collection, with_number(collection, path, literal), 400, "BadRequest")
    assert "cannot unmarshal number" in status["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("literal", ["2147483647", "0", "3.0"])
def test_replicas_within_int32_are_accepted(kube, cluster, literal):
    response = kube.request("POST", DEPLOYMENTS, with_number(DEPLOYMENTS, "spec.replicas", literal))
    assert response.status_code == 201
    assert response.json()["spec"]["replicas"] == int(float(literal))


@pytest.mark.django_db
def test_the_exact_replicas_bomb_from_the_report_is_refused(kube, cluster):
    body = with_number(DEPLOYMENTS, "spec.replicas", "1e30")
    status = refused(kube, cluster, "POST", DEPLOYMENTS, body, 400, "BadRequest")
    assert status["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot '
        "unmarshal number 1e+30 into Go struct field DeploymentSpec.spec.replicas of type "
        "int32"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("replicas", [2**31, 2**63, -(2**31) - 1])
@pytest.mark.parametrize(
    "method, content_type",
    [
        ("PATCH", "application/merge-patch+json"),
        ("PATCH", "application/strategic-merge-patch+json"),
        ("PUT", "application/json"),
    ],
)
def test_the_scale_subresource_refuses_replicas_beyond_int32(kube, cluster, replicas, method, content_type):
    assert kube.request("POST", DEPLOYMENTS, BODIES[DEPLOYMENTS]).status_code == 201
    body = {"spec": {"replicas": replicas}}
    if method == "PUT":
        body = {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": "x", "namespace": "default"},
            **body,
        }
    status = refused(
        kube, cluster, method, DEPLOYMENTS + "/x/scale", body, 400, "BadRequest", content_type=content_type
    )
    assert f"cannot unmarshal number {replicas}" in status["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "patch, content_type",
    [
        ({"spec": {"replicas": 2**31}}, "application/merge-patch+json"),
        ({"spec": {"replicas": 2**63}}, "application/strategic-merge-patch+json"),
        ([{"op": "replace", "path": "/spec/replicas", "value": 2**40}], "application/json-patch+json"),
        ([{"op": "replace", "path": "/spec/replicas", "value": 1e30}], "application/json-patch+json"),
        ({"spec": {"template": {"spec": {"terminationGracePeriodSeconds": 2**63}}}}, "application/merge-patch+json"),
    ],
)
def test_a_patch_cannot_smuggle_a_number_out_of_range(kube, cluster, patch, content_type):
    assert kube.request("POST", DEPLOYMENTS, BODIES[DEPLOYMENTS]).status_code == 201
    # patch.go: the patched object does not decode, a 422 on the `patch` field (errors.NewInvalid, no kind)
    status = refused(kube, cluster, "PATCH", DEPLOYMENTS + "/x", patch, 422, "Invalid", content_type=content_type)
    assert status["message"].startswith(' "" is invalid: patch: Invalid value: ')
    assert "json: cannot unmarshal number" in status["message"]


# -- malformed bodies ----------------------------------------------------------------
def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


MALFORMED_JSON = [
    ("depth 101 in data", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"data":' + nested(101) + "}"),
    ("depth 1000", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"data":' + nested(1000) + "}"),
    ("depth 100000", nested(100_000)),
    ("objects 5000 deep", '{"a":' * 5000 + "1" + "}" * 5000),
    ("a 5000-digit integer", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"x":1' + "0" * 5000 + "}"),
    (
        "a 50-digit integer",
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","generation":1' + "0" * 50 + "}}",
    ),
    ("NaN", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"x":NaN}'),
    ("Infinity", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"x":Infinity}'),
    ("-Infinity", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"},"x":-Infinity}'),
    ("unterminated", '{"apiVersion":"v1","kind":"ConfigMap"'),
    ("trailing garbage", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"}} x'),
    ("single quotes", "{'apiVersion':'v1'}"),
    ("a bare string", '"hello"'),
    ("a number", "42"),
    ("a list", "[1,2,3]"),
    ("null", "null"),
    ("true", "true"),
    ("comments", '{"apiVersion":"v1", /* no */ "kind":"ConfigMap"}'),
    ("a control character in a string", '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a\x01b"}}'),
    ("a NUL byte outside strings", '{"apiVersion":"v1",\x00"kind":"ConfigMap"}'),
    ("only whitespace", "   \n\t  "),
    ("a lone backslash escape", '{"apiVersion":"v1\\x"}'),
    ("a short unicode escape", '{"apiVersion":"\\u12"}'),
    ("a BOM before the object", "\ufeff{}"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "body"), MALFORMED_JSON, ids=[c for c, _ in MALFORMED_JSON])
def test_malformed_json_is_a_400_that_writes_nothing(kube, cluster, case, body):
    refused(kube, cluster, "POST", CONFIGMAPS, body, 400, "BadRequest")


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "body"), MALFORMED_JSON, ids=[c for c, _ in MALFORMED_JSON])
def test_malformed_json_cannot_update_an_object_either(kube, cluster, case, body):
    assert kube.request("POST", CONFIGMAPS, BODIES[CONFIGMAPS]).status_code == 201
    refused(kube, cluster, "PUT", CONFIGMAPS + "/x", body, 400, "BadRequest")


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "body"), MALFORMED_JSON, ids=[c for c, _ in MALFORMED_JSON])
def test_malformed_json_patches_are_refused(kube, cluster, case, body):
    assert kube.request("POST", CONFIGMAPS, BODIES[CONFIGMAPS]).status_code == 201
    before = revision(cluster)
    response = kube.request("PATCH", CONFIGMAPS + "/x", body, content_type="application/merge-patch+json")
    assert response.status_code in (400, 422), response.content[:200]
    assert revision(cluster) == before


def billion_laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 10) + "]")
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\nx:\n  " + "\n  ".join(lines) + "\n"


@pytest.mark.django_db
@pytest.mark.parametrize("levels", [3, 4, 5, 6, 7, 8, 9])
def test_a_yaml_alias_bomb_is_refused_as_go_yaml_refuses_it(kube, cluster, levels):
    status = refused(
        kube, cluster, "POST", CONFIGMAPS, billion_laughs(levels), 400, "BadRequest", content_type="application/yaml"
    )
    # transformDecodeError: the kind could not be read, so the body is summarised (in hex: not a JSON object)
    assert status["message"] == (
        "the object provided is unrecognized (must be of type ConfigMap): error converting "
        "YAML to JSON: yaml: document contains excessive aliasing "
        "(61706956657273696f6e3a2076310a6b696e643a20436f6e6669674d6170 ...)"
    )


MALFORMED_YAML = [
    ("an anchor inside itself", "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: x, self: *m}\n"),
    ("an unknown alias", "apiVersion: v1\nkind: ConfigMap\nmetadata: *nowhere\n"),
    ("flow nesting 2000 deep", "data: " + nested(2000) + "\n"),
    ("flow nesting 101 deep", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\nx: " + nested(101) + "\n"),
    ("block nesting 1500 deep", "".join(" " * i + "a:\n" for i in range(1500)) + " " * 1500 + "b\n"),
    ("a tab indent", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n"),
    ("two documents", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\n"),
    ("a bare scalar", "hello\n"),
    ("a list", "- a\n- b\n"),
    ("an infinite float", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\nx: .inf\n"),
    ("a NaN", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\nx: .nan\n"),
    ("a python tag", "apiVersion: v1\nkind: ConfigMap\nmetadata: !!python/object:os.system {name: d}\n"),
    ("invalid UTF-8", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff\xfe}\n"),
    ("an unclosed flow mapping", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad\ndata: [\n"),
    ("a huge integer", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\nx: 1" + "0" * 5000 + "\n"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "body"), MALFORMED_YAML, ids=[c for c, _ in MALFORMED_YAML])
def test_malformed_yaml_is_refused_and_writes_nothing(kube, cluster, case, body):
    before = revision(cluster)
    response = kube.request("POST", CONFIGMAPS, body, content_type="application/yaml")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["reason"] == "BadRequest"
    assert revision(cluster) == before


# -- media types and sizes ------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "image/png",
        "application/cbor",
        "application/apply-patch+yaml",
    ],
)
def test_a_body_kube_apiserver_does_not_decode_is_a_415(kube, cluster, content_type):
    status = refused(
        kube,
        cluster,
        "POST",
        CONFIGMAPS,
        json.dumps(BODIES[CONFIGMAPS]),
        415,
        "UnsupportedMediaType",
        content_type=content_type,
    )
    assert status["message"].startswith("the body of the request was in an unknown format")


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "application/yaml", "application/xml"])
def test_an_unknown_patch_type_is_a_415(kube, cluster, content_type):
    assert kube.request("POST", CONFIGMAPS, BODIES[CONFIGMAPS]).status_code == 201
    refused(
        kube,
        cluster,
        "PATCH",
        CONFIGMAPS + "/x",
        {"data": {"k": "w"}},
        415,
        "UnsupportedMediaType",
        content_type=content_type,
    )


@pytest.mark.django_db
def test_a_body_over_3_mib_is_a_413(kube, cluster):
    body = dict(BODIES[CONFIGMAPS], data={"k": "x" * (3 * 1024 * 1024 + 10)})
    refused(kube, cluster, "POST", CONFIGMAPS, json.dumps(body), 413, "RequestEntityTooLarge")


@pytest.mark.django_db
def test_an_object_over_etcds_limit_is_a_413(kube, cluster):
    body = json.loads(json.dumps(BODIES[PODS]))
    body["spec"]["containers"][0]["env"] = [{"name": "BIG", "value": "x" * (2 * 1024 * 1024)}]
    status = refused(kube, cluster, "POST", PODS, json.dumps(body), 413, "RequestEntityTooLarge")
    assert status["message"] == "etcdserver: request is too large"


@pytest.mark.django_db
def test_configmap_data_over_1_mib_is_invalid_as_upstream_validates_it(kube, cluster):
    body = dict(BODIES[CONFIGMAPS], data={"k": "x" * (1024 * 1024 + 1)})
    refused(kube, cluster, "POST", CONFIGMAPS, json.dumps(body), 422, "Invalid")


# -- strings: Go's decoder replaces what is not Unicode -----------------------------------
SURROGATE_PLACES = [
    (
        "an annotation value",
        '{"metadata":{"name":"s","annotations":{"a":"\\ud800"}}}',
        ("metadata", "annotations", "a"),
    ),
    ("an annotation key", '{"metadata":{"name":"s","annotations":{"a\\udfff":"v"}}}', None),
    ("a data value", '{"metadata":{"name":"s"},"data":{"k":"x\\udc00y"}}', ("data", "k")),
    ("a data key", '{"metadata":{"name":"s"},"data":{"\\ud800k":"v"}}', None),
    ("a label value", '{"metadata":{"name":"s","labels":{"a":"\\ud800"}}}', None),
    ("a high surrogate at the end", '{"metadata":{"name":"s"},"data":{"k":"abc\\ud83d"}}', ("data", "k")),
    ("a low surrogate first", '{"metadata":{"name":"s"},"data":{"k":"\\ude00abc"}}', ("data", "k")),
    ("two high surrogates", '{"metadata":{"name":"s"},"data":{"k":"\\ud83d\\ud83d"}}', ("data", "k")),
    ("invalid UTF-8 bytes", b'{"metadata":{"name":"s"},"data":{"k":"\xff\xfe"}}', ("data", "k")),
    ("an overlong encoding", b'{"metadata":{"name":"s"},"data":{"k":"\xc0\xaf"}}', ("data", "k")),
    ("a surrogate encoded in UTF-8", b'{"metadata":{"name":"s"},"data":{"k":"\xed\xa0\x80"}}', ("data", "k")),
]


def configmap_text(fragment: str | bytes) -> str | bytes:
    prefix = '{"apiVersion":"v1","kind":"ConfigMap",'
    if isinstance(fragment, bytes):
        return prefix.encode() + fragment[1:]
    return prefix + fragment[1:]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "fragment", "path"), SURROGATE_PLACES, ids=[c for c, _, _ in SURROGATE_PLACES])
def test_invalid_unicode_never_poisons_the_store(kube, cluster, case, fragment, path):
    response = kube.request("POST", CONFIGMAPS, configmap_text(fragment))
    assert response.status_code in (201, 422), response.content[:300]
    if response.status_code == 201:
        stored = kube.get(CONFIGMAPS + "/s").json()
        if path:
            value = stored
            for step in path:
                value = value[step]
            assert "\ufffd" in value
    every_row_is_readable(cluster)
    assert kube.get(CONFIGMAPS).status_code == 200
    assert kube.request("DELETE", CONFIGMAPS + "/s").status_code in (200, 404)


@pytest.mark.django_db
def test_the_reported_surrogate_object_is_stored_as_go_would_and_the_cluster_keeps_working(kube, cluster):
    body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"surr","annotations":{"a":"\\ud800"}}}'
    response = kube.request("POST", CONFIGMAPS, body)
    assert response.status_code == 201
    assert response.json()["metadata"]["annotations"] == {"a": "\ufffd"}
    assert kube.get(CONFIGMAPS + "/surr").json()["metadata"]["annotations"] == {"a": "\ufffd"}
    assert [i["metadata"]["name"] for i in kube.get(CONFIGMAPS).json()["items"]] == ["kube-root-ca.crt", "surr"]
    assert kube.request("DELETE", CONFIGMAPS + "/surr").status_code == 200
    every_row_is_readable(cluster)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "patch, content_type",
    [
        ('{"data":{"k":"\\ud800"}}', "application/merge-patch+json"),
        ('{"metadata":{"labels":{"a":"b"}},"data":{"k":"\\udfff"}}', "application/strategic-merge-patch+json"),
        ('[{"op":"add","path":"/data/k2","value":"\\ud800"}]', "application/json-patch+json"),
        ('{"metadata":{"annotations":{"x":"\\udbff\\udbff"}}}', "application/merge-patch+json"),
    ],
)
def test_a_patch_with_lone_surrogates_stores_replacement_characters(kube, cluster, patch, content_type):
    assert kube.request("POST", CONFIGMAPS, BODIES[CONFIGMAPS]).status_code == 201
    response = kube.request("PATCH", CONFIGMAPS + "/x", patch, content_type=content_type)
    assert response.status_code == 200, response.content[:300]
    assert "\ufffd" in json.dumps(response.json(), ensure_ascii=False)
    every_row_is_readable(cluster)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["\\ud800", "a\\udfffb", "\\u0000", "a\\u0000b"])
def test_a_name_that_is_not_a_dns_label_is_invalid(kube, cluster, name):
    body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"' + name + '"}}'
    refused(kube, cluster, "POST", CONFIGMAPS, body, 422, "Invalid")


# -- the store's own guarantee ------------------------------------------------------------
@pytest.mark.django_db
def test_in_process_writes_are_cleaned_too(api, cluster):
    api.create(
        "configmaps",
        "default",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "p", "annotations": {"n": "v\udc00"}},
            "data": {"k": "x\ud800y"},
        },
    )
    stored = api.get("configmaps", "default", "p")
    assert stored["data"] == {"k": "x\ufffdy"}
    assert stored["metadata"]["annotations"] == {"n": "v\ufffd"}
    every_row_is_readable(cluster)


@pytest.mark.django_db
def test_a_huge_integer_from_an_in_process_caller_is_refused(api, cluster):
    from cluster.apiserver.errors import StatusError

    before = revision(cluster)
    with pytest.raises(StatusError) as refused_:
        api.create(
            "configmaps", "default", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "x": 2**80}
        )
    assert refused_.value.code == 400
    assert revision(cluster) == before
