"""Protobuf bodies as the real kubectl (v1.32) sends them, decoded and created.

Each byte string below is what /usr/bin/kubectl logged as its request body at -v=9 (its hex dump, read back)
for the command in the comment, against a live kubeclass: `kubectl create quota`, `kubectl create
poddisruptionbudget` and `kubectl debug --copy-to|node/...` post their objects as
application/vnd.kubernetes.protobuf. The fields kubectl cannot set (a quota's scopeSelector, a budget's
unhealthyPodEvictionPolicy, an empty selector) are built by hand with upstream's field numbers.
"""

from __future__ import annotations

import pytest

from cluster.apiserver.http import protobuf
from tests.test_http_api import Kube
from tests.test_workload_api import _field

PROTOBUF = "application/vnd.kubernetes.protobuf"

# kubectl create quota q3 --hard=pods=2
QUOTA = (
    b'k8s\x00\n\x13\n\x02v1\x12\rResourceQuota\x12%\n\x12\n\x02q3\x12\x00\x1a\x00"\x00*\x002\x008\x00B'
    b'\x00\x12\r\n\x0b\n\x04pods\x12\x03\n\x012\x1a\x00\x1a\x00"\x00'
)
# kubectl create quota best --hard=pods=2,requests.cpu=1,limits.memory=1Gi \
#     --scopes=BestEffort,NotTerminating -n kube-public
QUOTA_SCOPES = (
    b'k8s\x00\n\x13\n\x02v1\x12\rResourceQuota\x12{\n\x1f\n\x04best\x12\x00\x1a\x0bkube-public"\x00*'
    b"\x002\x008\x00B\x00\x12V\n\x16\n\rlimits.memory\x12\x05\n\x031Gi\n\x0b\n\x04pods\x12\x03\n\x012\n"
    b'\x13\n\x0crequests.cpu\x12\x03\n\x011\x12\nBestEffort\x12\x0eNotTerminating\x1a\x00\x1a\x00"\x00'
)
# kubectl create pdb pdb1 --selector=app=x --min-available=1
PDB_MIN = (
    b'k8s\x00\n \n\tpolicy/v1\x12\x13PodDisruptionBudget\x128\n\x14\n\x04pdb1\x12\x00\x1a\x00"\x00*\x00'
    b"2\x008\x00B\x00\x12\x14\n\x06\x08\x00\x10\x01\x1a\x00\x12\n\n\x08\n\x03app\x12\x01x\x1a\n\x08\x00"
    b'\x18\x00 \x00(\x000\x00\x1a\x00"\x00'
)
# kubectl create pdb pdb2 --selector=app=y --max-unavailable=50%
PDB_MAX = (
    b'k8s\x00\n \n\tpolicy/v1\x12\x13PodDisruptionBudget\x12;\n\x14\n\x04pdb2\x12\x00\x1a\x00"\x00*\x00'
    b"2\x008\x00B\x00\x12\x17\x12\n\n\x08\n\x03app\x12\x01y\x1a\t\x08\x01\x10\x00\x1a\x0350%\x1a\n\x08"
    b'\x00\x18\x00 \x00(\x000\x00\x1a\x00"\x00'
)
# kubectl create pdb pdb3 "--selector=app=z,tier in (a,b)" --min-available=0
PDB_ZERO = (
    b'k8s\x00\n \n\tpolicy/v1\x12\x13PodDisruptionBudget\x12J\n\x14\n\x04pdb3\x12\x00\x1a\x00"\x00*\x00'
    b"2\x008\x00B\x00\x12&\n\x06\x08\x00\x10\x00\x1a\x00\x12\x1c\n\x08\n\x03app\x12\x01z\x12\x10\n\x04t"
    b'ier\x12\x02In\x1a\x01a\x1a\x01b\x1a\n\x08\x00\x18\x00 \x00(\x000\x00\x1a\x00"\x00'
)
# kubectl debug p1 --copy-to=p1-copy --image=busybox (p1 from `kubectl run p1 --image=nginx`: the server-defaulted spec)
POD_COPY = (
    b'k8s\x00\n\t\n\x02v1\x12\x03Pod\x12\xdf\x04\n\x1e\n\x07p1-copy\x12\x00\x1a\x07default"\x00*\x002'
    b'\x008\x00B\x00\x12\xaa\x04\n\x84\x01\n\x15kube-api-access-95rb9\x12k\xd2\x01h\n\x0e"\x0c\n\x00'
    b"\x10\x97\x1c\x1a\x05token\n(\x1a&\n\x12\n\x10kube-root-ca.crt\x12\x10\n\x06ca.crt\x12\x06ca.crt\n"
    b")\x12'\n%\n\tnamespace\x12\x18\n\x02v1\x12\x12metadata.namespace\x10\xa4\x03\x12\x8b\x01\n\x02p1"
    b"\x12\x05nginx*\x00B\x00JL\n\x15kube-api-access-95rb9\x10\x01\x1a-/var/run/secrets/kubernetes.io/s"
    b'erviceaccount"\x002\x00j\x14/dev/termination-logr\x06Always\x80\x01\x00\x88\x01\x00\x90\x01\x00'
    b"\xa2\x01\x04File\x121\n\x0edebugger-g2s5n\x12\x07busybox*\x00B\x00j\x00r\x00\x80\x01\x01\x88\x01"
    b"\x00\x90\x01\x00\xa2\x01\x04File\x1a\x06Always \x1e2\x0cClusterFirstB\x07defaultJ\x07defaultR\x00"
    b"X\x00`\x00h\x00r\x00\x82\x01\x00\x8a\x01\x00\x9a\x01\x11default-scheduler\xb2\x016\n\x1cnode.kube"
    b'rnetes.io/not-ready\x12\x06Exists\x1a\x00"\tNoExecute(\xac\x02\xb2\x018\n\x1enode.kubernetes.io/u'
    b'nreachable\x12\x06Exists\x1a\x00"\tNoExecute(\xac\x02\xc2\x01\x00\xc8\x01\x00\xf0\x01\x01\xfa\x01'
    b'\x14PreemptLowerPriority\x1a\x10\n\x00\x1a\x00"\x00*\x002\x00J\x00Z\x00r\x00\x1a\x00"\x00'
)
# kubectl debug node/worker-2 --image=busybox:1.36
NODE_DEBUG = (
    b'k8s\x00\n\t\n\x02v1\x12\x03Pod\x12\xdd\x01\n,\n\x1cnode-debugger-worker-2-6hr8q\x12\x00\x1a\x00"'
    b"\x00*\x002\x008\x00B\x00\x12\x9a\x01\n\x12\n\thost-root\x12\x05\n\x03\n\x01/\x12J\n\x08debugger"
    b'\x12\x0cbusybox:1.36*\x00B\x00J\x18\n\thost-root\x10\x00\x1a\x05/host"\x002\x00j\x00r\x00\x80\x01'
    b"\x00\x88\x01\x00\x90\x01\x00\xa2\x01\x04File\x1a\x05Never2\x00B\x00J\x00R\x08worker-2X\x01`\x01h"
    b'\x01\x82\x01\x00\x8a\x01\x00\x9a\x01\x00\xb2\x01\x0e\n\x00\x12\x06Exists\x1a\x00"\x00\xc2\x01\x00'
    b'\x1a\x10\n\x00\x1a\x00"\x00*\x002\x00J\x00Z\x00r\x00\x1a\x00"\x00'
)

POD_COPY_SPEC = {
    "volumes": [
        {
            "name": "kube-api-access-95rb9",
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                }
                            ]
                        }
                    },
                ],
                "defaultMode": 420,
            },
        }
    ],
    "containers": [
        {
            "name": "p1",
            "image": "nginx",
            "volumeMounts": [
                {
                    "name": "kube-api-access-95rb9",
                    "readOnly": True,
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                }
            ],
            "terminationMessagePath": "/dev/termination-log",
            "imagePullPolicy": "Always",
            "terminationMessagePolicy": "File",
        },
        {"name": "debugger-g2s5n", "image": "busybox", "stdin": True, "terminationMessagePolicy": "File"},
    ],
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "ClusterFirst",
    "serviceAccountName": "default",
    "serviceAccount": "default",
    "securityContext": {},
    "schedulerName": "default-scheduler",
    "tolerations": [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
    ],
    "priority": 0,
    "enableServiceLinks": True,
    "preemptionPolicy": "PreemptLowerPriority",
}
NODE_DEBUG_SPEC = {
    "volumes": [{"name": "host-root", "hostPath": {"path": "/"}}],
    "containers": [
        {
            "name": "debugger",
            "image": "busybox:1.36",
            "volumeMounts": [{"name": "host-root", "mountPath": "/host"}],
            "terminationMessagePolicy": "File",
        }
    ],
    "restartPolicy": "Never",
    "nodeName": "worker-2",
    "hostNetwork": True,
    "hostPID": True,
    "hostIPC": True,
    "tolerations": [{"operator": "Exists"}],
}
QUOTA_PATH = "/api/v1/namespaces/{}/resourcequotas"
PDB_PATH = "/apis/policy/v1/namespaces/{}/poddisruptionbudgets"
POD_PATH = "/api/v1/namespaces/{}/pods"
# (body, the collection it is posted to, the object it stands for)
ROWS = {
    "quota": (QUOTA, QUOTA_PATH, {"metadata": {"name": "q3"}, "spec": {"hard": {"pods": "2"}}}),
    "quota-scopes": (
        QUOTA_SCOPES,
        QUOTA_PATH,
        {
            "metadata": {"name": "best", "namespace": "kube-public"},
            "spec": {
                "hard": {"limits.memory": "1Gi", "pods": "2", "requests.cpu": "1"},
                "scopes": ["BestEffort", "NotTerminating"],
            },
        },
    ),
    "pdb-min-available": (
        PDB_MIN,
        PDB_PATH,
        {"metadata": {"name": "pdb1"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "x"}}}},
    ),
    "pdb-max-unavailable-percent": (
        PDB_MAX,
        PDB_PATH,
        {"metadata": {"name": "pdb2"}, "spec": {"selector": {"matchLabels": {"app": "y"}}, "maxUnavailable": "50%"}},
    ),
    "pdb-min-available-zero-and-expressions": (
        PDB_ZERO,
        PDB_PATH,
        {
            "metadata": {"name": "pdb3"},
            "spec": {
                "minAvailable": 0,  # a pointer in Go: zero is set, not absent
                "selector": {
                    "matchLabels": {"app": "z"},
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}],
                },
            },
        },
    ),
    "debug-copy-to": (
        POD_COPY,
        POD_PATH,
        {"metadata": {"name": "p1-copy", "namespace": "default"}, "spec": POD_COPY_SPEC},
    ),
    "debug-node": (
        NODE_DEBUG,
        POD_PATH,
        {"metadata": {"name": "node-debugger-worker-2-6hr8q"}, "spec": NODE_DEBUG_SPEC},
    ),
}
KINDS = {QUOTA_PATH: ("v1", "ResourceQuota"), PDB_PATH: ("policy/v1", "PodDisruptionBudget"), POD_PATH: ("v1", "Pod")}


@pytest.mark.parametrize("row", ROWS)
def test_the_real_kubectls_protobuf_bodies_decode_and_create(cluster, row):
    body, path, expected = ROWS[row]
    api_version, kind = KINDS[path]
    assert protobuf.decode(body) == {"kind": kind, "apiVersion": api_version, **expected}
    namespace = expected["metadata"].get("namespace", "default")
    created = Kube(cluster).request("POST", path.format(namespace), body, content_type=PROTOBUF)
    assert created.status_code == 201, created.content
    stored = created.json()
    for key, value in expected["spec"].items():
        if key not in ("containers", "volumes"):  # the server defaults more inside these
            assert stored["spec"][key] == value, key


def _envelope(api_version: str, kind: str, obj: bytes) -> bytes:
    return protobuf.MAGIC + _field(1, _field(1, api_version) + _field(2, kind)) + _field(2, obj)


def test_the_fields_kubectl_create_cannot_set_decode_by_upstreams_numbers(cluster):
    requirement = _field(1, "PriorityClass") + _field(2, "In") + _field(3, "high")
    hard = _field(1, _field(1, "pods") + _field(2, _field(1, "5")))
    quota = _field(1, _field(1, "high")) + _field(2, hard + _field(3, _field(1, requirement)))
    assert protobuf.decode(_envelope("v1", "ResourceQuota", quota))["spec"] == {
        "hard": {"pods": "5"},
        "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]},
    }
    # an empty selector (every pod) is not a missing one (no pod); the policy is a pointer too
    budget = _field(1, _field(1, "all")) + _field(
        2, _field(2, b"") + _field(3, _field(2, 1)) + _field(4, "AlwaysAllow")
    )
    body = _envelope("policy/v1", "PodDisruptionBudget", budget)
    assert protobuf.decode(body)["spec"] == {
        "selector": {},
        "maxUnavailable": 1,
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
    }
    created = Kube(cluster).request("POST", PDB_PATH.format("default"), body, content_type=PROTOBUF)
    assert created.status_code == 201, created.content
    assert created.json()["spec"]["selector"] == {}


def test_a_field_newer_than_v1_32_is_refused_not_dropped(cluster):
    # PodDisruptionBudgetSpec's availabilityMode (field 5) came after v1.32
    budget = _field(1, _field(1, "later")) + _field(2, _field(1, _field(2, 1)) + _field(5, "WorkloadAvailabilityMode"))
    refused = Kube(cluster).request(
        "POST", PDB_PATH.format("default"), _envelope("policy/v1", "PodDisruptionBudget", budget), content_type=PROTOBUF
    )
    assert refused.status_code == 415
    assert refused.json()["message"] == (
        "protobuf field 5 of PodDisruptionBudgetSpec is not supported by kubeclass; send the object as application/json"
    )
    assert Kube(cluster).get(PDB_PATH.format("default") + "/later").status_code == 404


# kubectl debug p1 --copy-to=p1-copy --image=busybox:1.28 -c dbg --replace: the DELETE of the original p1
DELETE_NOW = b'k8s\x00\n\x13\n\x02v1\x12\rDeleteOptions\x12\x02\x08\x00\x1a\x00"\x00'


def test_debug_replace_deletes_the_original_with_the_protobuf_delete_options_kubectl_sends(cluster):
    assert protobuf.decode(DELETE_NOW) == {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0}
    kube = Kube(cluster)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p1"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    assert kube.request("POST", POD_PATH.format("default"), pod).status_code == 201
    deleted = kube.request("DELETE", POD_PATH.format("default") + "/p1", DELETE_NOW, content_type=PROTOBUF)
    assert deleted.status_code == 200, deleted.content
    assert kube.get(POD_PATH.format("default") + "/p1").status_code == 404  # no node yet: gone at once
