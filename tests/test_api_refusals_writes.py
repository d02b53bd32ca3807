"""What kube-apiserver refuses in a write, and how it words it: pod updates ValidatePodUpdate forbids, unknown
and duplicate fields under fieldValidation=Strict, patches that change an object's kind or uid; and what a pod
update or the default fieldValidation=Warn still lets through."""

from __future__ import annotations


import pytest

from tests import api_refusals_common
from tests.api_refusals_common import (
    PODS,
    POD,
    CONFIGMAPS,
    SMP,
    MERGE,
    JSONPATCH,
    YAML,
    WEB_POD,
    CONFIGMAP,
    FORBIDDEN_POD_UPDATE,
    Bad,
    starts,
    inv,
    assert_refused,
)

world = api_refusals_common.world  # the fixture

WRITE_TABLE: list[Bad] = [
    # -- pod updates (ValidatePodUpdate) ----------------------------------------------------------------
    Bad(
        "pod-rename-container-merge",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts(FORBIDDEN_POD_UPDATE),
        {"spec": {"containers": [{**WEB_POD["spec"]["containers"][0], "name": "api"}]}},
        MERGE,
    ),
    Bad(
        "pod-rename-container-jsonpatch",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts(FORBIDDEN_POD_UPDATE),
        [{"op": "replace", "path": "/spec/containers/0/name", "value": "api"}],
        JSONPATCH,
    ),
    Bad(
        "pod-env-smp",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts(FORBIDDEN_POD_UPDATE),
        {"spec": {"containers": [{"name": "web", "env": [{"name": "MODE", "value": "blue"}]}]}},
        SMP,
    ),
    Bad(
        "pod-restart-policy",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts(FORBIDDEN_POD_UPDATE),
        {"spec": {"restartPolicy": "Never"}},
        MERGE,
    ),
    Bad(
        "pod-node-name",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts(FORBIDDEN_POD_UPDATE),
        {"spec": {"nodeName": "elsewhere"}},
        MERGE,
    ),
    Bad(
        "pod-resources",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts(FORBIDDEN_POD_UPDATE),
        {"spec": {"containers": [{"name": "web", "resources": {"requests": {"cpu": "200m"}}}]}},
        SMP,
    ),
    Bad(
        "pod-ports",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts(FORBIDDEN_POD_UPDATE),
        {"spec": {"containers": [{"name": "web", "ports": [{"containerPort": 80}]}]}},
        SMP,
    ),
    Bad(
        "pod-qos-change",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts(
            'Pod "web" is invalid: [metadata: Invalid value: "Burstable": Pod QoS is immutable, spec: Forbidden: '
            "pod updates may not change fields other than"
        ),
        [{"op": "remove", "path": "/spec/containers/0/resources/requests"}],
        JSONPATCH,
    ),
    Bad(
        "pod-add-container",
        "PATCH",
        POD,
        422,
        "Invalid",
        inv("Pod", "spec.containers: Forbidden: pod updates may not add or remove containers", "web"),
        [{"op": "add", "path": "/spec/containers/-", "value": {"name": "side", "image": "busybox"}}],
        JSONPATCH,
    ),
    Bad(
        "pod-empty-image",
        "PATCH",
        POD,
        422,
        "Invalid",
        inv("Pod", "spec.containers[0].image: Required value", "web"),
        [{"op": "replace", "path": "/spec/containers/0/image", "value": ""}],
        JSONPATCH,
    ),
    Bad(
        "pod-image-with-space",
        "PATCH",
        POD,
        422,
        "Invalid",
        inv(
            "Pod",
            'spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace',
            "web",
        ),
        [{"op": "replace", "path": "/spec/containers/0/image", "value": " nginx"}],
        JSONPATCH,
    ),
    Bad(
        "pod-deadline-raised",
        "PATCH",
        POD,
        422,
        "Invalid",
        inv(
            "Pod", "spec.activeDeadlineSeconds: Invalid value: 900: must be less than or equal to previous value", "web"
        ),
        {"spec": {"activeDeadlineSeconds": 900}},
        MERGE,
    ),
    Bad(
        "pod-deadline-removed",
        "PATCH",
        POD,
        422,
        "Invalid",
        inv(
            "Pod",
            'spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value',
            "web",
        ),
        {"spec": {"activeDeadlineSeconds": None}},
        MERGE,
    ),
    Bad(
        "pod-toleration-modified",
        "PATCH",
        POD,
        422,
        "Invalid",
        inv(
            "Pod",
            "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds",
            "web",
        ),
        [{"op": "replace", "path": "/spec/tolerations/0/value", "value": "b"}],
        JSONPATCH,
    ),
    Bad(
        "pod-grace-period",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts(FORBIDDEN_POD_UPDATE),
        {"spec": {"terminationGracePeriodSeconds": 5}},
        MERGE,
    ),
    Bad(
        "pod-host-network",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts(FORBIDDEN_POD_UPDATE),
        {"spec": {"hostNetwork": True}},
        MERGE,
    ),
    # -- field validation (Strict) and write options ----------------------------------------------------
    Bad(
        "strict-unknown-field",
        "POST",
        PODS + "?fieldValidation=Strict",
        400,
        "BadRequest",
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"',
        {**WEB_POD, "metadata": {"name": "new"}, "spec": {**WEB_POD["spec"], "foo": 1}},
    ),
    Bad(
        "strict-duplicate-field",
        "POST",
        CONFIGMAPS + "?fieldValidation=Strict",
        400,
        "BadRequest",
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field '
        '"metadata.name"',
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"b"}}',
    ),
    Bad(
        "strict-unknown-and-duplicate-in-order",
        "POST",
        CONFIGMAPS + "?fieldValidation=Strict",
        400,
        "BadRequest",
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "color", '
        'duplicate field "data.k"',
        '{"apiVersion":"v1","kind":"ConfigMap","color":"red","metadata":{"name":"a"},"data":{"k":"1","k":"2"}}',
    ),
    Bad(
        "strict-duplicate-yaml",
        "POST",
        CONFIGMAPS + "?fieldValidation=Strict",
        400,
        "BadRequest",
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: error converting YAML '
        'to JSON: yaml: unmarshal errors:\n  line 6: key "k" already set in map',
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: '1'\n  k: '2'\n",
        YAML,
    ),
    Bad(
        "strict-unknown-on-put",
        "PUT",
        CONFIGMAPS + "/cm?fieldValidation=Strict",
        400,
        "BadRequest",
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"',
        {**CONFIGMAP, "spec": {}},
    ),
    Bad(
        "strict-unknown-in-merge-patch",
        "PATCH",
        CONFIGMAPS + "/cm?fieldValidation=Strict",
        422,
        "Invalid",
        starts(' "" is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"v1\\",\\"data\\":'),
        {"spec": {"x": 1}},
        MERGE,
    ),
    Bad(
        "strict-duplicate-in-merge-patch",
        "PATCH",
        CONFIGMAPS + "/cm?fieldValidation=Strict",
        422,
        "Invalid",
        starts(' "" is invalid: patch: Invalid value: "'),
        '{"data":{"a":"1","a":"2"}}',
        MERGE,
    ),
    Bad(
        "strict-unknown-in-smp",
        "PATCH",
        CONFIGMAPS + "/cm?fieldValidation=Strict",
        422,
        "Invalid",
        ' "" is invalid: patch: Invalid value: "map[colour:red]": strict decoding error: unknown field "colour"',
        {"colour": "red"},
        SMP,
    ),
    Bad(
        "strict-json-patch-op-field",
        "PATCH",
        CONFIGMAPS + "/cm?fieldValidation=Strict",
        422,
        "Invalid",
        starts(' "" is invalid: patch: Invalid value: "'),
        [{"op": "add", "path": "/data/x", "value": "1", "extra": True}],
        JSONPATCH,
    ),
    Bad(
        "field-validation-unsupported",
        "POST",
        CONFIGMAPS + "?fieldValidation=Loud",
        422,
        "Invalid",
        inv(
            "CreateOptions.meta.k8s.io",
            'fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"',
        ),
        CONFIGMAP,
    ),
    Bad(
        "dry-run-unsupported",
        "POST",
        CONFIGMAPS + "?dryRun=Some",
        422,
        "Invalid",
        inv("CreateOptions.meta.k8s.io", 'dryRun: Unsupported value: []string{"Some"}: supported values: "All"'),
        CONFIGMAP,
    ),
    Bad(
        "update-options-invalid",
        "PUT",
        CONFIGMAPS + "/cm?fieldValidation=no",
        422,
        "Invalid",
        inv(
            "UpdateOptions.meta.k8s.io",
            'fieldValidation: Unsupported value: "no": supported values: "", "Ignore", "Strict", "Warn"',
        ),
        CONFIGMAP,
    ),
    Bad(
        "patch-force-without-apply",
        "PATCH",
        CONFIGMAPS + "/cm?force=true",
        422,
        "Invalid",
        inv("PatchOptions.meta.k8s.io", "force: Forbidden: may not be specified for non-apply patch"),
        {"data": {"k": "w"}},
        MERGE,
    ),
    Bad(
        "field-manager-too-long",
        "POST",
        CONFIGMAPS + "?fieldManager=" + "m" * 129,
        422,
        "Invalid",
        inv("CreateOptions.meta.k8s.io", "fieldManager: Too long: may not be more than 128 bytes"),
        CONFIGMAP,
    ),
    # -- patches that change what the object is -----------------------------------------------------------
    Bad(
        "patch-kind-unregistered",
        "PATCH",
        CONFIGMAPS + "/cm",
        422,
        "Invalid",
        starts(' "" is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"v1\\",'),
        {"kind": "Deployment"},
        MERGE,
    ),
    Bad(
        "patch-api-version",
        "PATCH",
        CONFIGMAPS + "/cm",
        422,
        "Invalid",
        starts(' "" is invalid: patch: Invalid value: "'),
        {"apiVersion": "apps/v1"},
        MERGE,
    ),
    Bad(
        "patch-kind-other-registered",
        "PATCH",
        CONFIGMAPS + "/cm",
        422,
        "Invalid",
        starts(' "" is invalid: patch: Invalid value: "'),
        [{"op": "replace", "path": "/kind", "value": "Secret"}],
        JSONPATCH,
    ),
    Bad(
        "patch-uid",
        "PATCH",
        CONFIGMAPS + "/cm",
        422,
        "Invalid",
        inv("ConfigMap", 'metadata.uid: Invalid value: "not-the-uid": field is immutable', "cm"),
        {"metadata": {"uid": "not-the-uid"}},
        MERGE,
    ),
    Bad(
        "patch-uid-jsonpatch",
        "PATCH",
        POD,
        422,
        "Invalid",
        starts('Pod "web" is invalid: metadata.uid: Invalid value: "x": field is immutable'),
        [{"op": "replace", "path": "/metadata/uid", "value": "x"}],
        JSONPATCH,
    ),
    Bad(
        "patch-name",
        "PATCH",
        CONFIGMAPS + "/cm",
        400,
        "BadRequest",
        "the name of the object (other) does not match the name on the URL (cm)",
        {"metadata": {"name": "other"}},
        MERGE,
    ),
    Bad(
        "put-uid",
        "PUT",
        CONFIGMAPS + "/cm",
        409,
        "Conflict",
        starts(
            'Operation cannot be fulfilled on configmaps "cm": StorageError: invalid object, Code: 4, Key: '
            "/registry/configmaps/default/cm, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in "
            "precondition: 0000, UID in object meta: "
        ),
        {**CONFIGMAP, "metadata": {"name": "cm", "uid": "0000"}},
    ),
    Bad(
        "put-kind",
        "PUT",
        CONFIGMAPS + "/cm",
        400,
        "BadRequest",
        "the kind in the data (Secret) does not match the expected kind (ConfigMap)",
        {**CONFIGMAP, "kind": "Secret"},
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", WRITE_TABLE, ids=[bad.id for bad in WRITE_TABLE])
def test_a_bad_request_is_refused_as_kube_apiserver_refuses_it(world, cluster, bad):
    assert_refused(world, cluster, bad)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("patch", "content_type"),
    [
        ({"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}, SMP),
        ({"spec": {"activeDeadlineSeconds": 300}}, MERGE),
        (
            [
                {
                    "op": "add",
                    "path": "/spec/tolerations/-",
                    "value": {"key": "gpu", "operator": "Exists", "effect": "NoSchedule"},
                }
            ],
            JSONPATCH,
        ),
        ({"metadata": {"labels": {"tier": "front"}, "annotations": {"note": "ok"}}}, MERGE),
    ],
)
def test_a_pod_update_within_the_rules_goes_through(world, cluster, patch, content_type):
    response = world.request("PATCH", POD, patch, content_type=content_type)
    assert response.status_code == 200, response.content[:600]


@pytest.mark.django_db
def test_status_updates_and_binding_still_change_a_pod(world, cluster):
    pod = world.get(POD).json()
    labels = dict(pod["metadata"].get("labels") or {})
    pod["status"] = {**pod.get("status", {}), "phase": "Running"}
    pod["metadata"]["labels"] = {**labels, "sneaked": "in"}  # the status endpoint keeps the rest as it was
    assert world.request("PUT", POD + "/status", pod).status_code == 200
    written = world.get(POD).json()
    assert written["metadata"].get("labels", {}) == labels and written["status"]["phase"] == "Running"
    assert list(written) == ["apiVersion", "kind", "metadata", "spec", "status"]
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "web"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"},
    }
    assert world.request("POST", POD + "/binding", binding).status_code == 201
    pod = world.get(POD).json()
    assert (pod["spec"]["nodeName"], pod["status"]["phase"]) == ("node-1", "Running")


@pytest.mark.django_db
def test_the_forbidden_pod_update_shows_go_cmps_diff(world):
    response = world.request("PATCH", POD, {"spec": {"restartPolicy": "Never"}}, content_type=MERGE)
    message = response.json()["message"]
    assert message.startswith(FORBIDDEN_POD_UPDATE)
    assert '- \tRestartPolicy:                 "Always",\n+ \tRestartPolicy:                 "Never",\n' in message
    assert message.endswith("  }\n")
    assert response.json()["details"]["causes"] == [
        {"reason": "FieldValueForbidden", "message": message.split(": ", 2)[2], "field": "spec"}
    ]


# -- fieldValidation: Warn by default -----------------------------------------------------------------
@pytest.mark.django_db
def test_unknown_and_duplicate_fields_are_dropped_with_a_warning_by_default(world):
    body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"},"colour":"red","data":{"k":"1","k":"2"}}'
    response = world.request("POST", CONFIGMAPS, body)
    assert response.status_code == 201
    assert response["Warning"] == '299 - "unknown field \\"colour\\"", 299 - "duplicate field \\"data.k\\""'
    stored = world.get(CONFIGMAPS + "/w").json()
    assert "colour" not in stored and stored["data"] == {"k": "2"}


@pytest.mark.django_db
def test_ignore_drops_unknown_fields_silently(world):
    response = world.request(
        "POST", CONFIGMAPS + "?fieldValidation=Ignore", {**CONFIGMAP, "metadata": {"name": "i"}, "colour": "red"}
    )
    assert response.status_code == 201 and "Warning" not in response
    assert "colour" not in world.get(CONFIGMAPS + "/i").json()


@pytest.mark.django_db
def test_a_patch_with_an_unknown_field_warns_and_drops_it(world):
    response = world.request("PATCH", CONFIGMAPS + "/cm", {"colour": "red", "data": {"k": "w"}}, content_type=MERGE)
    assert response.status_code == 200
    assert response["Warning"] == '299 - "unknown field \\"colour\\""'
    assert "colour" not in response.json() and response.json()["data"] == {"k": "w"}


@pytest.mark.django_db
def test_a_yaml_body_with_a_repeated_key_warns_per_line(world):
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\ndata:\n  k: '1'\n  k: '2'\n"
    response = world.request("POST", CONFIGMAPS, body, content_type=YAML)
    assert response.status_code == 201
    assert response["Warning"] == '299 - "line 6: key \\"k\\" already set in map"'


@pytest.mark.django_db
def test_a_gzip_header_on_a_plain_body_is_ignored_as_kube_apiserver_ignores_it(world):
    response = world.request(
        "POST", CONFIGMAPS, {**CONFIGMAP, "metadata": {"name": "plain"}}, HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.status_code == 201


@pytest.mark.django_db
def test_a_strategic_merge_patch_cannot_change_the_kind_either(world):
    """The patched map is read into the kind's own struct, so the kind it names is simply lost."""
    response = world.request("PATCH", CONFIGMAPS + "/cm", {"kind": "Secret", "data": {"k": "w"}}, content_type=SMP)
    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["data"]) == ("ConfigMap", {"k": "w"})


@pytest.mark.django_db
def test_every_service_shows_an_empty_load_balancer_status(world):
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "front"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    created = world.request("POST", "/api/v1/namespaces/default/services", service).json()
    assert created["status"] == {"loadBalancer": {}}
    assert world.get("/api/v1/namespaces/default/services/front").json()["status"] == {"loadBalancer": {}}
