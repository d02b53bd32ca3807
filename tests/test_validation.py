"""kube-apiserver's decoding and validation errors, word for word, driven through the API server."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest

from cluster.apiserver import validation
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import lookup
from cluster.apiserver.validation import names

# shared/ lies beside the repository (a developer's /work/shared, CI's copy beside its clone).
VECTOR_FILES = [
    Path(__file__).resolve().parents[2] / "shared" / "vectors" / "names.json",
    Path("/work/shared/vectors/names.json"),
]
VECTOR_FILE = next((p for p in VECTOR_FILES if p.exists()), None)
VECTORS = json.loads(VECTOR_FILE.read_text()) if VECTOR_FILE else {"validators": {}}
VALIDATORS = {
    "IsDNS1123Label": names.is_dns1123_label,
    "IsDNS1123Subdomain": names.is_dns1123_subdomain,
    "IsDNS1035Label": names.is_dns1035_label,
    "IsQualifiedName": names.is_qualified_name,
    "IsValidLabelValue": names.is_valid_label_value,
    "IsValidPortName": names.is_valid_port_name,
    "IsValidPercent": names.is_valid_percent,
    "IsConfigMapKey": names.is_config_map_key,
}
NAME_CASES = [
    (validator, case["value"], case["valid"])
    for validator, table in VECTORS["validators"].items()
    if validator in VALIDATORS
    for case in table["cases"]
]

DNS1035 = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
DNS1123_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS1123_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


def deployment(**spec_changes: object) -> dict:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
            },
        },
    }
    obj["spec"].update(spec_changes)
    return obj


def pod(**spec: object) -> dict:
    body = {"containers": [{"name": "app", "image": "nginx"}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": body}


def service(**spec: object) -> dict:
    body = {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": body}


def rejected(api, resource: str, body: dict, **kwargs: object) -> StatusError:
    with pytest.raises(StatusError) as caught:
        api.create(resource, "default", body, **kwargs)
    return caught.value


# -- the name validators, from upstream's own test tables ----------------------
@pytest.mark.parametrize(("validator", "value", "valid"), NAME_CASES)
def test_name_validators_agree_with_upstream_vectors(validator: str, value: str, valid: bool) -> None:
    assert (VALIDATORS[validator](value) == []) is valid


def test_generate_name_may_end_with_a_dash() -> None:
    assert names.name_is_dns_subdomain("web-", True) == []
    assert names.name_is_dns_subdomain("web-", False) != []


# -- 422 Invalid: semantic validation ------------------------------------------
INVALID = [
    (
        "services",
        service(),
        {"name": "Web"},
        f'Service "Web" is invalid: metadata.name: Invalid value: "Web": {DNS1035}',
    ),
    (
        "pods",
        pod(),
        {"name": "Bad_Name"},
        f'Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": {DNS1123_SUBDOMAIN}',
    ),
    (
        "namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {}},
        {"name": "a.b"},
        'Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": must not contain dots',
    ),
    (
        "configmaps",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}},
        {},
        'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
    ),
    (
        "pods",
        pod(),
        {"name": "p", "labels": {"app": "-x"}},
        'Pod "p" is invalid: metadata.labels: Invalid value: "-x": a valid label must be an empty string or consist '
        "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
        "'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"
        "[A-Za-z0-9])?')",
    ),
    ("pods", pod(containers=[]), {"name": "p"}, 'Pod "p" is invalid: spec.containers: Required value'),
    (
        "pods",
        pod(containers=[{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]),
        {"name": "p"},
        'Pod "p" is invalid: spec.containers[1].name: Duplicate value: "a"',
    ),
    (
        "pods",
        pod(containers=[{"name": "A", "image": ""}]),
        {"name": "p"},
        f'Pod "p" is invalid: [spec.containers[0].name: Invalid value: "A": {DNS1123_LABEL}, '
        "spec.containers[0].image: Required value]",
    ),
    (
        "pods",
        pod(containers=[{"name": "a", "image": "x", "ports": [{"containerPort": 70000}]}]),
        {"name": "p"},
        'Pod "p" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and '
        "65535, inclusive",
    ),
    (
        "pods",
        pod(restartPolicy="Sometimes"),
        {"name": "p"},
        'Pod "p" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"OnFailure", "Never"',
    ),
    (
        "pods",
        pod(containers=[{"name": "a", "image": "x", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]),
        {"name": "p"},
        'Pod "p" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal '
        "to cpu limit of 1",
    ),
    (
        "deployments",
        deployment(selector={"matchLabels": {"app": "other"}}),
        {"name": "web"},
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`",
    ),
    (
        "deployments",
        deployment(selector=None),
        {"name": "web"},
        'Deployment.apps "web" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid '
        'value: map[string]string{"app":"web"}: `selector` does not match template `labels`]',
    ),
    (
        "deployments",
        deployment(selector={}),
        {"name": "web"},
        'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string'
        "(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
    ),
    (
        "deployments",
        deployment(replicas=-1),
        {"name": "web"},
        'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ),
    (
        "deployments",
        deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
        {"name": "web"},
        'Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: '
        'intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
    ),
    (
        "deployments",
        deployment(revisionHistoryLimit=-2),
        {"name": "web"},
        'Deployment.apps "web" is invalid: spec.revisionHistoryLimit: Invalid value: -2: must be greater than or '
        "equal to 0",
    ),
    (
        "deployments",
        deployment(strategy={"type": "Blue"}),
        {"name": "web"},
        'Deployment.apps "web" is invalid: spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"Blue", '
        'RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
    ),
    ("services", service(ports=[]), {"name": "web"}, 'Service "web" is invalid: spec.ports: Required value'),
    (
        "services",
        service(ports=[{"port": 0}]),
        {"name": "web"},
        'Service "web" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, '
        "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]",
    ),
    (
        "services",
        service(ports=[{"port": 80, "protocol": "HTTP"}]),
        {"name": "web"},
        'Service "web" is invalid: spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", '
        '"TCP", "UDP"',
    ),
    (
        "services",
        service(type="Public"),
        {"name": "web"},
        'Service "web" is invalid: spec.type: Unsupported value: "Public": supported values: "ClusterIP", '
        '"ExternalName", "LoadBalancer", "NodePort"',
    ),
    (
        "configmaps",
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a b": "x"}},
        {"name": "c"},
        'ConfigMap "c" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric '
        "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')",
    ),
    (
        "persistentvolumeclaims",
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "spec": {}},
        {"name": "d"},
        'PersistentVolumeClaim "d" is invalid: [spec.accessModes: Required value: at least 1 access mode is required, '
        "spec.resources[storage]: Required value]",
    ),
    (
        "horizontalpodautoscalers",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "spec": {"minReplicas": 0, "maxReplicas": 0, "scaleTargetRef": {"kind": "Deployment", "name": "web"}},
        },
        {"name": "h"},
        'HorizontalPodAutoscaler.autoscaling "h" is invalid: [spec.minReplicas: Invalid value: 0: must be greater than '
        "or equal to 1, spec.maxReplicas: Invalid value: 0: must be greater than 0]",
    ),
    (
        "storageclasses",
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass"},
        {"name": "fast"},
        'StorageClass.storage.k8s.io "fast" is invalid: provisioner: Required value',
    ),
]


@pytest.mark.parametrize(
    ("resource", "body", "meta", "message"), INVALID, ids=[f"{r}-{i}" for i, (r, *_rest) in enumerate(INVALID)]
)
def test_invalid_objects_get_upstream_messages(api, resource: str, body: dict, meta: dict, message: str) -> None:
    body = copy.deepcopy(body)
    body.setdefault("metadata", {}).update(meta)
    body["spec"] = {k: v for k, v in body.get("spec", {}).items() if v is not None} if "spec" in body else None
    if body["spec"] is None:
        body.pop("spec")
    err = rejected(api, resource, body)
    assert (err.code, err.reason) == (422, "Invalid")
    assert err.message == message


def test_invalid_create_writes_nothing(api) -> None:
    before = api.current_revision()
    rejected(api, "deployments", deployment(replicas=-1))
    assert api.current_revision() == before
    assert api.list("deployments", "default")["items"] == []


def test_deployment_selector_is_immutable(api) -> None:
    api.create("deployments", "default", deployment())
    changed = deployment(selector={"matchLabels": {"app": "web", "tier": "x"}})
    changed["spec"]["template"]["metadata"]["labels"]["tier"] = "x"
    with pytest.raises(StatusError) as caught:
        api.update("deployments", "default", "web", changed)
    assert caught.value.message == (
        'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:'
        'map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: '
        "field is immutable"
    )


def test_service_cluster_ip_may_not_change(api) -> None:
    created = api.create("services", "default", service())
    changed = copy.deepcopy(created)
    changed["spec"]["clusterIP"] = "10.96.0.77"
    with pytest.raises(StatusError) as caught:
        api.update("services", "default", "web", changed)
    assert caught.value.message == (
        'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.77"}: may not change once set'
    )


def test_service_update_without_cluster_ip_keeps_it(api) -> None:
    created = api.create("services", "default", service(type="NodePort"))
    updated = api.update("services", "default", "web", service(type="NodePort", selector={"app": "v2"}))
    assert updated["spec"]["clusterIP"] == created["spec"]["clusterIP"]
    assert updated["spec"]["ports"][0]["nodePort"] == created["spec"]["ports"][0]["nodePort"]


def test_bound_claim_spec_is_immutable_except_storage_growth(api) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    api.create("persistentvolumeclaims", "default", claim)
    api.update_with(
        "persistentvolumeclaims",
        "default",
        "data",
        lambda c: {**c, "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}}},
        "status",
    )
    grown = api.get("persistentvolumeclaims", "default", "data")
    grown["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert api.update("persistentvolumeclaims", "default", "data", grown)["spec"]["resources"]["requests"] == {
        "storage": "2Gi"
    }
    changed = api.get("persistentvolumeclaims", "default", "data")
    changed["spec"]["accessModes"] = ["ReadWriteMany"]
    with pytest.raises(StatusError) as caught:
        api.update("persistentvolumeclaims", "default", "data", changed)
    assert caught.value.message.startswith(
        'PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except '
        "resources.requests and volumeAttributesClassName for bound claims"
    )


def test_storage_class_parameters_are_immutable(api) -> None:
    sc = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "fast"},
        "provisioner": "example.com/disk",
        "parameters": {"type": "ssd"},
    }
    api.create("storageclasses", None, sc)
    changed = api.get("storageclasses", "", "fast")
    changed["parameters"] = {"type": "hdd"}
    with pytest.raises(StatusError) as caught:
        api.update("storageclasses", None, "fast", changed)
    assert caught.value.message == (
        'StorageClass.storage.k8s.io "fast" is invalid: parameters: Forbidden: updates to parameters are forbidden.'
    )


def test_annotations_over_256_kib_are_too_long(api) -> None:
    body = pod()
    body["metadata"]["annotations"] = {"big": "x" * (256 * 1024)}
    err = rejected(api, "pods", body)
    assert err.message == 'Pod "p" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes'


# -- 400 BadRequest: decoding --------------------------------------------------
def test_unknown_field_is_rejected_in_strict_mode(api) -> None:
    body = deployment()
    body["spec"]["replica"] = 3
    err = rejected(api, "deployments", body, field_validation="Strict")
    assert (err.code, err.reason) == (400, "BadRequest")
    assert err.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.replica"'
    )


def test_unknown_fields_warn_or_are_ignored_outside_strict(api) -> None:
    body = deployment()
    body["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    rt = lookup("deployments")
    assert validation.check_schema(rt, body, "Warn") == ['unknown field "spec.template.spec.containers[0].imagee"']
    assert validation.check_schema(rt, body, "Ignore") == []
    assert api.create("deployments", "default", body, field_validation="Warn")["metadata"]["name"] == "web"


def test_every_schema_error_is_reported(api) -> None:
    body = deployment()
    body["spec"]["replica"] = 3
    body["metadata"]["labelz"] = {}
    body["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    err = rejected(api, "deployments", body)
    assert err.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "metadata.labelz", unknown field "spec.template.spec.containers[0].imagee", '
        'unknown field "spec.replica"'
    )


def test_wrong_type_is_a_json_unmarshal_error(api) -> None:
    body = deployment(replicas="three")
    body["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": "80"}]
    err = rejected(api, "deployments", body, field_validation="Ignore")
    assert (err.code, err.reason) == (400, "BadRequest")
    assert err.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
        "string into Go struct field DeploymentSpec.spec.replicas of type int32"
    )
    assert err.details is None  # errors.NewBadRequest: the first error in the message, no causes


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda b: b["metadata"].update(labels={"a": 1}),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
        ),
        (
            lambda b: b["spec"].update(containers="nginx"),
            "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container",
        ),
        (
            lambda b: b["spec"]["containers"][0].update(resources={"limits": {"cpu": "lots"}}),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
    ],
)
def test_pod_type_errors(api, mutate, message: str) -> None:
    body = pod()
    mutate(body)
    err = rejected(api, "pods", body)
    assert err.message == f'Pod in version "v1" cannot be handled as a Pod: {message}'


QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
TEMPLATE = {
    "metadata": {"labels": {"app": "q"}},
    "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "lots"}}}]},
}


@pytest.mark.parametrize(
    ("resource", "kind", "body"),
    [
        ("resourcequotas", "ResourceQuota", {"spec": {"hard": {"pods": "lots"}}}),
        ("limitranges", "LimitRange", {"spec": {"limits": [{"type": "Container", "max": {"memory": "1Gb"}}]}}),
        (
            "statefulsets",
            "StatefulSet",
            {"spec": {"serviceName": "q", "selector": {"matchLabels": {"app": "q"}}, "template": TEMPLATE}},
        ),
        ("daemonsets", "DaemonSet", {"spec": {"selector": {"matchLabels": {"app": "q"}}, "template": TEMPLATE}}),
        ("jobs", "Job", {"spec": {"template": {**TEMPLATE, "spec": {**TEMPLATE["spec"], "restartPolicy": "Never"}}}}),
        (
            "pods",
            "Pod",
            {
                "spec": {
                    "containers": [{"name": "c", "image": "nginx"}],
                    "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "big"}}],
                }
            },
        ),
    ],
)
def test_every_quantity_of_every_kind_is_parsed_while_decoding(api, resource, kind, body) -> None:
    """A quantity Go cannot parse is a 400 in any kind; stored, it would break every later quota check."""
    group = "apps/v1" if resource in ("statefulsets", "daemonsets") else "batch/v1" if resource == "jobs" else "v1"
    err = rejected(api, resource, {"apiVersion": group, "kind": kind, "metadata": {"name": "q"}, **body})
    assert (err.code, err.message) == (400, f'{kind} in version "v1" cannot be handled as a {kind}: {QUANTITY_ERROR}')


def test_status_and_server_fields_are_not_unknown(api) -> None:
    body = pod()
    body["metadata"].update(resourceVersion="5", uid="x", creationTimestamp="2024-01-01T00:00:00Z")
    body["status"] = {"phase": "Running"}
    assert validation.check_schema(lookup("pods"), body, "Strict") == []


def test_schema_fast_path_is_well_under_a_millisecond() -> None:
    rt, body = lookup("pods"), pod()
    validation.check_schema(rt, body, "Strict")  # compile once
    started = time.perf_counter()
    for _ in range(1000):
        validation.check_schema(rt, body, "Strict")
    assert (time.perf_counter() - started) / 1000 < 0.0005


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("hunter2", "illegal base64 data at input byte 4"),
        ("aGk*", "illegal base64 data at input byte 3"),
    ],
)
def test_secret_data_must_be_base64(api, value: str, message: str) -> None:
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": value}}
    err = rejected(api, "secrets", body)
    assert (err.code, err.message) == (400, f'Secret in version "v1" cannot be handled as a Secret: {message}')


def test_secret_with_base64_data_is_accepted(api) -> None:
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "aHVudGVyMg=="}}
    assert api.create("secrets", "default", body)["type"] == "Opaque"


def test_the_upstream_name_vectors_are_there_to_check_against():
    assert VECTOR_FILE is not None, f"names.json not found in {VECTOR_FILES}"
    assert len(VECTORS["validators"]) >= 8
