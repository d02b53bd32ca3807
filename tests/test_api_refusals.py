"""What kube-apiserver refuses, and how it words it: a table of bad requests over HTTP.

Each row is one request a student (or a script, or a confused client) could
send: malformed selectors, list options upstream's validation refuses, pod
updates ValidatePodUpdate forbids, unknown and duplicate fields under
fieldValidation=Strict, patches that change an object's kind or uid, names
that cannot be path segments, bodies that are not what they claim to be,
DeleteOptions out of range. Every row must get upstream's code, reason and
words, and write nothing. Then the Status bodies of the common errors are
compared byte for byte. What the official Python client and the real kubectl
v1.32 see of it against a live server is tests/test_api_refusals_live.py's.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field

import pytest

from cluster.apiserver.server import APIServer
from cluster.models import Cluster
from tests.test_http_api import Kube

PODS = "/api/v1/namespaces/default/pods"
POD = PODS + "/web"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
EVENTS = "/api/v1/namespaces/default/events"
NODES = "/api/v1/nodes"
MERGE, SMP, JSONPATCH = (
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/json-patch+json",
)
YAML = "application/yaml"

WEB_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "containers": [
            {"name": "web", "image": "nginx:1.27", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}
        ],
        "activeDeadlineSeconds": 600,
        "tolerations": [{"key": "team", "operator": "Equal", "value": "a", "effect": "NoSchedule"}],
    },
}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": "v"}}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]},
        },
    },
}
FORBIDDEN_POD_UPDATE = (
    'Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than '
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"
    "  core.PodSpec{\n"
)
TOKEN_V1 = base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v2","rv":5,"start":"a"}').decode().rstrip("=")
TOKEN_NO_RV = base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","start":"a"}').decode().rstrip("=")
TOKEN_NO_START = base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5}').decode().rstrip("=")
TOKEN_CLIMBS = base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5,"start":"../secrets/x"}').decode().rstrip("=")
TOKEN_GOOD = base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5,"start":"a"}').decode().rstrip("=")


@dataclass(frozen=True)
class Bad:
    """One refused request: what is sent and what kube-apiserver answers."""

    id: str
    method: str
    path: str
    status: int
    reason: str
    message: str = ""  # the whole message, or its start when it ends with "…"
    body: object = None
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)


def starts(text: str) -> str:
    return text + "…"


def inv(kind: str, causes: str, name: str = "") -> str:
    return f'{kind} "{name}" is invalid: {causes}'


TABLE: list[Bad] = [
    # -- label selectors (labels.Parse) ----------------------------------------------------------------
    Bad(
        "label-in-without-parens",
        "GET",
        PODS + "?labelSelector=env+in+prod",
        400,
        "BadRequest",
        "unable to parse requirement: found 'prod' expected: '('",
    ),
    Bad(
        "label-trailing-comma",
        "GET",
        PODS + "?labelSelector=app%3Dweb%2C",
        400,
        "BadRequest",
        "found '', expected: identifier after ','",
    ),
    Bad(
        "label-double-comma",
        "GET",
        PODS + "?labelSelector=a%2C%2Cb",
        400,
        "BadRequest",
        "found ',', expected: identifier after ','",
    ),
    Bad(
        "label-triple-equals",
        "GET",
        PODS + "?labelSelector=a%3D%3D%3Db",
        400,
        "BadRequest",
        "unable to parse requirement: found '=', expected: identifier",
    ),
    Bad(
        "label-unclosed-set",
        "GET",
        PODS + "?labelSelector=env+in+(a%2Cb",
        400,
        "BadRequest",
        "unable to parse requirement: found '', expected: ',' or ')'",
    ),
    Bad(
        "label-bad-key",
        "GET",
        PODS + "?labelSelector=-x%3Dy",
        400,
        "BadRequest",
        'unable to parse requirement: <nil>: Invalid value: "-x": name part must consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
        "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ),
    Bad(
        "label-bad-value",
        "GET",
        PODS + "?labelSelector=a%3D-b",
        400,
        "BadRequest",
        starts(
            'unable to parse requirement: values[0][a]: Invalid value: "-b": a valid label must be an empty '
            "string or consist of alphanumeric characters"
        ),
    ),
    Bad(
        "label-operator-only",
        "GET",
        PODS + "?labelSelector=%3Dx",
        400,
        "BadRequest",
        "found '=', expected: !, identifier, or 'end of string'",
    ),
    Bad(
        "label-gt-not-integer",
        "GET",
        PODS + "?labelSelector=a%3Ex",
        400,
        "BadRequest",
        "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must "
        "be an integer",
    ),
    Bad(
        "label-bang-then-operator",
        "GET",
        PODS + "?labelSelector=!a%3Db",
        400,
        "BadRequest",
        "found '=', expected: ',' or 'end of string'",
    ),
    Bad(
        "label-unknown-symbol",
        "GET",
        PODS + "?labelSelector=a%3C%3Eb",
        400,
        "BadRequest",
        "unable to parse requirement: found '>', expected: identifier",
    ),
    Bad(
        "label-not-an-operator",
        "GET",
        PODS + "?labelSelector=a+(b)",
        400,
        "BadRequest",
        "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt",
    ),
    Bad(
        "label-key-too-long",
        "GET",
        PODS + "?labelSelector=" + "a" * 64,
        400,
        "BadRequest",
        starts(
            'unable to parse requirement: <nil>: Invalid value: "' + "a" * 64 + '": name part must be no more '
            "than 63 characters"
        ),
    ),
    Bad(
        "label-in-watch",
        "GET",
        PODS + "?watch=1&labelSelector=a+in+b",
        400,
        "BadRequest",
        "unable to parse requirement: found 'b' expected: '('",
    ),
    # -- field selectors (fields.ParseSelector and the kind's field label conversion) -----------------
    Bad(
        "field-no-operator",
        "GET",
        PODS + "?fieldSelector=status.phase",
        400,
        "BadRequest",
        "invalid selector: 'status.phase'; can't understand 'status.phase'",
    ),
    Bad(
        "field-unknown-label-pod",
        "GET",
        PODS + "?fieldSelector=spec.foo%3Db",
        400,
        "BadRequest",
        "field label not supported: spec.foo",
    ),
    Bad(
        "field-unknown-label-configmap",
        "GET",
        CONFIGMAPS + "?fieldSelector=data.k%3Dv",
        400,
        "BadRequest",
        '"data.k" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ),
    Bad(
        "field-unknown-label-event",
        "GET",
        EVENTS + "?fieldSelector=involvedObject.foo%3Dx",
        400,
        "BadRequest",
        "field label not supported: involvedObject.foo",
    ),
    Bad(
        "field-unknown-label-node",
        "GET",
        NODES + "?fieldSelector=status.phase%3DReady",
        400,
        "BadRequest",
        "field label not supported: status.phase",
    ),
    Bad(
        "field-bad-escape",
        "GET",
        PODS + "?fieldSelector=metadata.name%3Da%5Cb",
        400,
        "BadRequest",
        "invalid field selector: invalid escape sequence: \\b",
    ),
    Bad(
        "field-unescaped-equals",
        "GET",
        PODS + "?fieldSelector=metadata.name%3Da%3Db",
        400,
        "BadRequest",
        "invalid field selector: unescaped character in value: 61",
    ),
    Bad(
        "field-second-term-bad",
        "GET",
        PODS + "?fieldSelector=metadata.name%3Da%2Cstatus",
        400,
        "BadRequest",
        "invalid selector: 'metadata.name=a,status'; can't understand 'status'",
    ),
    Bad(
        "field-unknown-in-watch",
        "GET",
        PODS + "?watch=true&fieldSelector=spec.image%3Dx",
        400,
        "BadRequest",
        "field label not supported: spec.image",
    ),
    Bad(
        "field-unknown-in-deletecollection",
        "DELETE",
        CONFIGMAPS + "?fieldSelector=data%3Dx",
        400,
        "BadRequest",
        '"data" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ),
    # -- list options (DecodeParameters, ValidateListOptions, the storage layer) -----------------------
    Bad(
        "limit-not-a-number",
        "GET",
        PODS + "?limit=ten",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "ten": invalid syntax',
    ),
    Bad(
        "limit-fraction",
        "GET",
        PODS + "?limit=1.5",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "1.5": invalid syntax',
    ),
    Bad(
        "limit-overflow",
        "GET",
        PODS + "?limit=99999999999999999999",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "99999999999999999999": value out of range',
    ),
    Bad(
        "timeout-not-a-number",
        "GET",
        PODS + "?timeoutSeconds=soon",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "soon": invalid syntax',
    ),
    Bad(
        "watch-timeout-not-a-number",
        "GET",
        PODS + "?watch=1&timeoutSeconds=1m",
        400,
        "BadRequest",
        'strconv.ParseInt: parsing "1m": invalid syntax',
    ),
    Bad(
        "rv-not-a-number-cached",
        "GET",
        PODS + "?resourceVersion=abc",
        500,
        "",
        'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
    ),
    Bad(
        "rv-not-a-number-etcd",
        "GET",
        PODS + "?resourceVersion=abc&limit=5",
        400,
        "BadRequest",
        'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": '
        "invalid syntax",
    ),
    Bad(
        "rv-negative",
        "GET",
        PODS + "?resourceVersion=-1",
        500,
        "",
        'resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax',
    ),
    Bad(
        "rv-future",
        "GET",
        PODS + "?resourceVersion=999999",
        504,
        "Timeout",
        starts("Timeout: Too large resource version: 999999, current: "),
    ),
    Bad(
        "rv-future-exact",
        "GET",
        PODS + "?resourceVersion=999999&resourceVersionMatch=Exact",
        500,
        "",
        "etcdserver: mvcc: required revision is a future revision",
    ),
    Bad(
        "rvmatch-without-rv",
        "GET",
        PODS + "?resourceVersionMatch=Exact",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
        ),
    ),
    Bad(
        "rvmatch-unsupported",
        "GET",
        PODS + "?resourceVersion=1&resourceVersionMatch=Newest",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""',
        ),
    ),
    Bad(
        "rvmatch-exact-zero",
        "GET",
        PODS + "?resourceVersion=0&resourceVersionMatch=Exact",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        ),
    ),
    Bad(
        "rvmatch-with-continue",
        "GET",
        PODS + f"?continue={TOKEN_GOOD}&resourceVersionMatch=NotOlderThan",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            "[resourceVersionMatch: Forbidden: resourceVersionMatch is "
            "forbidden unless resourceVersion is provided, resourceVersionMatch: Forbidden: "
            "resourceVersionMatch is forbidden when continue is provided]",
        ),
    ),
    Bad(
        "send-initial-events-on-list",
        "GET",
        PODS + "?sendInitialEvents=true",
        422,
        "Invalid",
        inv("ListOptions.meta.k8s.io", "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"),
    ),
    Bad(
        "watch-rvmatch-alone",
        "GET",
        PODS + "?watch=1&resourceVersionMatch=NotOlderThan",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for "
            "watch unless sendInitialEvents is provided",
        ),
    ),
    Bad(
        "watch-initial-events-without-match",
        "GET",
        PODS + "?watch=1&sendInitialEvents=true",
        422,
        "Invalid",
        inv(
            "ListOptions.meta.k8s.io",
            "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ),
    ),
    Bad(
        "continue-not-base64",
        "GET",
        PODS + "?limit=1&continue=!!!",
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: illegal base64 data at input byte 0",
    ),
    Bad(
        "continue-not-json",
        "GET",
        PODS + "?limit=1&continue=" + base64.urlsafe_b64encode(b"nope").decode().rstrip("="),
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: invalid character 'o' in literal null (expecting 'u')"
        if False
        else starts("invalid continue token: continue key is not valid: "),
    ),
    Bad(
        "continue-unknown-version",
        "GET",
        PODS + f"?limit=1&continue={TOKEN_V1}",
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: server does not recognize this encoded version "
        "meta.k8s.io/v2",
    ),
    Bad(
        "continue-without-rv",
        "GET",
        PODS + f"?continue={TOKEN_NO_RV}",
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion "
        "(version meta.k8s.io/v1)",
    ),
    Bad(
        "continue-without-start",
        "GET",
        PODS + f"?continue={TOKEN_NO_START}",
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)",
    ),
    Bad(
        "continue-climbs-out",
        "GET",
        PODS + f"?continue={TOKEN_CLIMBS}",
        400,
        "BadRequest",
        "invalid continue token: continue key is not valid: ../secrets/x",
    ),
    Bad(
        "continue-with-rv",
        "GET",
        PODS + f"?continue={TOKEN_GOOD}&resourceVersion=3",
        400,
        "BadRequest",
        "specifying resource version is not allowed when using continue",
    ),
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


@pytest.fixture
def world(cluster: Cluster) -> Kube:
    """A pod, a deployment and a configmap to refuse things to."""
    api = APIServer(cluster, client="test")
    api.create("pods", "default", WEB_POD)
    api.create("deployments", "default", DEPLOYMENT)
    api.create("configmaps", "default", CONFIGMAP)
    return Kube(cluster)


def revision(cluster: Cluster) -> int:
    cluster.refresh_from_db()
    return cluster.revision


def send(kube: Kube, bad: Bad):
    body = bad.body
    data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    headers = dict(bad.headers)
    if headers.get("Authorization") == "":
        headers["Authorization"] = "Bearer wrong"
    call = getattr(kube.client, bad.method.lower())
    kwargs = {"headers": {**kube.headers, **{k: v for k, v in headers.items() if not k.startswith("HTTP_")}}}
    kwargs.update({k: v for k, v in headers.items() if k.startswith("HTTP_")})
    if data is not None:
        kwargs.update(data=data, content_type=bad.content_type)
    return call(kube.base + bad.path, **kwargs)


def test_the_table_has_at_least_a_hundred_rows():
    assert len(TABLE) >= 100
    assert len({bad.id for bad in TABLE}) == len(TABLE)


@pytest.mark.django_db
@pytest.mark.parametrize("bad", TABLE, ids=[bad.id for bad in TABLE])
def test_a_bad_request_is_refused_as_kube_apiserver_refuses_it(world, cluster, bad):
    before = revision(cluster)
    response = send(world, bad)
    assert response.status_code == bad.status, response.content[:600]
    status = response.json()
    assert (status["kind"], status["apiVersion"], status["status"], status["code"]) == (
        "Status",
        "v1",
        "Failure",
        bad.status,
    )
    assert status.get("reason", "") == bad.reason
    if bad.message.endswith("…"):
        assert status["message"].startswith(bad.message[:-1]), status["message"]
    elif bad.message:
        assert status["message"] == bad.message
    assert revision(cluster) == before, "a refused request wrote to the store"


# -- what a pod update may still do ----------------------------------------------------------------------
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
    pod["status"] = {**pod.get("status", {}), "phase": "Running"}
    assert world.request("PUT", POD + "/status", pod).status_code == 200
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
