"""Property tests: whatever JSON a client sends, the API answers without a 500 and the store stays readable.

Hypothesis writes the bodies: any Unicode (lone surrogates included, sent as
\\uXXXX escapes), integers of any size, floats, nesting, in the places a
student reaches — data, annotations, labels, unknown fields, the spec of a
Deployment — and patches of every kind on top of existing objects.
"""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cluster.models import Entry, Revision
from tests.test_http_api import Kube

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
PATCH_TYPES = ["application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json"]

texts = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=12)
numbers = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False, allow_infinity=False))
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def every_row_is_readable() -> None:
    for value in Entry.objects.values_list("value", flat=True):
        orjson.loads(value)
    for value in Revision.objects.values_list("value", flat=True):
        orjson.loads(value)


def send(kube: Kube, method: str, path: str, body: object, content_type: str = "application/json") -> int:
    text = json.dumps(body)  # ensure_ascii: a lone surrogate travels as its \\uXXXX escape
    response = kube.request(method, path, text, content_type=content_type)
    assert response.status_code < 500, response.content[:400]
    return response.status_code


@pytest.mark.django_db
@SETTINGS
@given(
    data=st.dictionaries(texts, values, max_size=3),
    annotations=st.dictionaries(texts, values, max_size=3),
    extra=st.dictionaries(texts, values, max_size=2),
    name=texts,
)
def test_any_configmap_body_is_answered_without_a_500(cluster, data, annotations, extra, name):
    kube = Kube(cluster)
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name or "x", "annotations": annotations},
        "data": data,
        **extra,
    }
    send(kube, "POST", CONFIGMAPS, body)
    send(kube, "POST", CONFIGMAPS + "?fieldValidation=Ignore", body)
    every_row_is_readable()
    assert kube.get(CONFIGMAPS).status_code == 200


@pytest.mark.django_db
@SETTINGS
@given(
    spec=st.dictionaries(
        st.sampled_from(
            [
                "replicas",
                "minReadySeconds",
                "revisionHistoryLimit",
                "paused",
                "progressDeadlineSeconds",
                "strategy",
                "selector",
                "x",
            ]
        ),
        values,
        max_size=3,
    )
)
def test_any_deployment_spec_is_answered_without_a_500(cluster, spec):
    kube = Kube(cluster)
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
            **spec,
        },
    }
    if send(kube, "POST", DEPLOYMENTS, body) == 201:
        replicas = kube.get(DEPLOYMENTS + "/d").json()["spec"]["replicas"]
        assert isinstance(replicas, int) and 0 <= replicas < 2**31
        assert kube.request("DELETE", DEPLOYMENTS + "/d").status_code == 200
    every_row_is_readable()


@pytest.mark.django_db
@SETTINGS
@given(patch=values, patch_type=st.sampled_from(PATCH_TYPES), target=st.sampled_from([CONFIGMAPS, DEPLOYMENTS]))
def test_any_patch_is_answered_without_a_500(cluster, patch, patch_type, target):
    kube = Kube(cluster)
    if target == CONFIGMAPS:
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"}, "data": {"k": "v"}}
    else:
        body = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "p"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"a": "b"}},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        }
    send(kube, "POST", target, body)
    send(kube, "PATCH", target + "/p", patch, content_type=patch_type)
    send(
        kube,
        "PATCH",
        target + "/p",
        {"metadata": {"annotations": {"a": patch if isinstance(patch, str) else json.dumps(patch)}}},
        content_type="application/merge-patch+json",
    )
    every_row_is_readable()
    assert kube.get(target + "/p").status_code == 200
