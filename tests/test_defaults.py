"""Upstream's defaults, as a created object comes back from the API server."""

from __future__ import annotations

import ipaddress

import pytest

from cluster.apiserver.defaults import image_pull_policy


def create(api, resource: str, body: dict, namespace: str | None = "default") -> dict:
    return api.create(resource, namespace, body)


def test_defaulted_deployment_has_upstream_defaults(api) -> None:
    created = create(
        api,
        "deployments",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}]}]},
                },
            },
        },
    )
    spec = created["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    template = spec["template"]
    assert template["metadata"]["creationTimestamp"] is None
    pod_spec = template["spec"]
    assert {
        k: pod_spec[k]
        for k in ("restartPolicy", "terminationGracePeriodSeconds", "dnsPolicy", "securityContext", "schedulerName")
    } == {
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "securityContext": {},
        "schedulerName": "default-scheduler",
    }
    assert pod_spec["containers"][0] == {
        "name": "nginx",
        "image": "nginx",
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
        "imagePullPolicy": "Always",
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "resources": {},
    }
    assert "tolerations" not in pod_spec and "priority" not in pod_spec  # admission is for Pods only


def test_replica_set_defaults_to_one_replica(api) -> None:
    created = create(
        api,
        "replicasets",
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "rs"},
            "spec": {
                "selector": {"matchLabels": {"app": "a"}},
                "template": {
                    "metadata": {"labels": {"app": "a"}},
                    "spec": {"containers": [{"name": "a", "image": "busybox:1.36"}]},
                },
            },
        },
    )
    assert created["spec"]["replicas"] == 1
    assert created["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("localhost:5000/app", "Always"),
        ("localhost:5000/app:v1", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
    ],
)
def test_image_pull_policy_follows_the_tag(image: str, policy: str) -> None:
    assert image_pull_policy(image) == policy


@pytest.mark.parametrize(
    ("resources", "qos"),
    [
        ({}, "BestEffort"),
        ({"requests": {"cpu": "100m"}}, "Burstable"),
        ({"limits": {"cpu": "1", "memory": "1Gi"}}, "Guaranteed"),
        ({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}, "Burstable"),
    ],
)
def test_pod_status_starts_pending_with_its_qos_class(api, resources: dict, qos: str) -> None:
    created = create(
        api,
        "pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": "nginx", "resources": resources}]},
        },
    )
    assert created["status"] == {"phase": "Pending", "qosClass": qos}


def test_pod_requests_default_to_limits(api) -> None:
    created = create(
        api,
        "pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": "nginx", "resources": {"limits": {"cpu": "1"}}}]},
        },
    )
    assert created["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}
    assert created["spec"]["enableServiceLinks"] is True


def test_service_gets_cluster_ip_from_service_cidr(api) -> None:
    created = create(
        api,
        "services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        },
    )
    spec = created["spec"]
    ip = ipaddress.ip_address(spec["clusterIP"])
    assert ip in ipaddress.ip_network("10.96.0.0/12") and str(ip) != "10.96.0.1"
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert {
        k: spec[k] for k in ("type", "sessionAffinity", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy")
    } == {
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "internalTrafficPolicy": "Cluster",
    }


def test_cluster_ips_are_unique_and_replay_with_the_seed(api) -> None:
    ips = [
        create(
            api,
            "services",
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s{i}"}, "spec": {"ports": [{"port": 80}]}},
        )["spec"]["clusterIP"]
        for i in range(20)
    ]
    assert len(set(ips)) == 20 and "10.96.0.1" not in ips
    again = api.get("services", "default", "s0")["spec"]["clusterIP"]
    assert again == ips[0]


def test_requested_cluster_ip_in_use_is_refused(api) -> None:
    from cluster.apiserver.errors import StatusError

    with pytest.raises(StatusError) as caught:
        create(
            api,
            "services",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "dup"},
                "spec": {"clusterIP": "10.96.0.1", "ports": [{"port": 80}]},
            },
        )
    assert caught.value.code == 422
    assert caught.value.message == (
        'Service "dup" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: '
        "failed to allocate IP 10.96.0.1: provided IP is already allocated"
    )


def test_headless_service_keeps_cluster_ip_none(api) -> None:
    created = create(
        api,
        "services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "db"},
            "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]},
        },
    )
    assert (created["spec"]["clusterIP"], created["spec"]["clusterIPs"]) == ("None", ["None"])


def test_node_port_service_gets_a_node_port(api) -> None:
    created = create(
        api,
        "services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "np"},
            "spec": {"type": "NodePort", "ports": [{"port": 80}]},
        },
    )
    assert 30000 <= created["spec"]["ports"][0]["nodePort"] <= 32767
    assert created["spec"]["externalTrafficPolicy"] == "Cluster"


@pytest.mark.parametrize(
    ("resource", "namespace", "body", "expected"),
    [
        ("secrets", "default", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}, {"type": "Opaque"}),
        (
            "storageclasses",
            None,
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {"name": "sc"},
                "provisioner": "example.com/disk",
            },
            {"reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"},
        ),
        (
            "persistentvolumes",
            None,
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": "pv"},
                "spec": {
                    "capacity": {"storage": "1Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "hostPath": {"path": "/data"},
                },
            },
            {
                "spec": {
                    "capacity": {"storage": "1Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "hostPath": {"path": "/data", "type": ""},
                    "persistentVolumeReclaimPolicy": "Retain",
                    "volumeMode": "Filesystem",
                },
                "status": {"phase": "Pending"},
            },
        ),
        (
            "namespaces",
            None,
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}},
            {"spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}},
        ),
    ],
)
def test_kind_defaults(api, resource: str, namespace: str | None, body: dict, expected: dict) -> None:
    created = create(api, resource, body, namespace)
    assert {k: created[k] for k in expected} == expected


def test_namespace_is_labelled_with_its_name(api) -> None:
    created = create(api, "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}, None)
    assert created["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team"}


def test_hpa_defaults_min_replicas_and_cpu_metric_and_behavior(api) -> None:
    created = create(
        api,
        "horizontalpodautoscalers",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h"},
            "spec": {
                "maxReplicas": 5,
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}},
            },
        },
    )
    spec = created["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}
    ]
    assert spec["behavior"] == {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        },
        "scaleDown": {
            "stabilizationWindowSeconds": 60,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
        },
    }
