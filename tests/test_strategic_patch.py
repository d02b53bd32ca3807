"""Strategic merge patch: the cases upstream's strategicpatch tests document, checked three ways.

Each row is (resource, original, patch, expected). The rows are applied by our
strategic.py, and — when the real kubectl is installed — by `kubectl patch
--local`, which runs upstream's own strategicpatch code, so the table itself is
checked against the oracle. The API server tests send the patches `kubectl
apply` and `kubectl patch` send.
"""

from __future__ import annotations

import json

import pytest

from cluster.apiserver import strategic
from cluster.apiserver.errors import StatusError
from cluster.apiserver.resources import lookup
from tests.kubectl_local import KUBECTL, patch_locally

SMP = "application/strategic-merge-patch+json"


def pod(spec: dict | None = None, **meta: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", **meta},
        "spec": spec or {"containers": [{"name": "app", "image": "nginx:1.25"}]},
    }


def deployment(strategy: dict, containers: list[dict] | None = None) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": strategy,
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers or [{"name": "app", "image": "nginx"}]},
            },
        },
    }


def service(ports: list[dict]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": ports},
    }


def configmap(data: dict) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}, "data": data}


APP = {"name": "app", "image": "nginx:1.25"}
SIDE = {"name": "side", "image": "busybox"}
ENV_AB = [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]


def env(*names: str, value: str = "o") -> list[dict]:
    return [{"name": name, "value": value} for name in names]


CASES = {
    "a new label is added, the others stay": (
        "pods",
        pod(labels={"app": "web"}),
        {"metadata": {"labels": {"tier": "front"}}},
        pod(labels={"app": "web", "tier": "front"}),
    ),
    "null deletes a key": (
        "pods",
        pod(labels={"app": "web", "tier": "front"}),
        {"metadata": {"labels": {"tier": None}}},
        pod(labels={"app": "web"}),
    ),
    "null for a key that is absent changes nothing": (
        "pods",
        pod(labels={"app": "web"}),
        {"metadata": {"annotations": None}},
        pod(labels={"app": "web"}),
    ),
    "containers merge by name: only the image changes": (
        "pods",
        pod({"containers": [APP, SIDE]}),
        {"spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}},
        pod({"containers": [{"name": "app", "image": "nginx:1.27"}, SIDE]}),
    ),
    "a new container comes first: the patch's items lead, the server's follow": (
        "pods",
        pod({"containers": [APP]}),
        {"spec": {"containers": [SIDE]}},
        pod({"containers": [SIDE, APP]}),
    ),
    "$patch: delete removes the element with that merge key": (
        "pods",
        pod({"containers": [APP, SIDE]}),
        {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}},
        pod({"containers": [APP]}),
    ),
    "$patch: replace in a list replaces the whole list": (
        "pods",
        pod({"containers": [APP, SIDE]}),
        {"spec": {"containers": [{"name": "solo", "image": "x"}, {"$patch": "replace"}]}},
        pod({"containers": [{"name": "solo", "image": "x"}]}),
    ),
    "$patch: replace in a map replaces the map": (
        "pods",
        pod(labels={"app": "web", "tier": "front"}),
        {"metadata": {"labels": {"$patch": "replace", "only": "this"}}},
        pod(labels={"only": "this"}),
    ),
    "$patch: delete in a map empties it": (
        "pods",
        pod({"containers": [APP], "nodeSelector": {"disk": "ssd"}}),
        {"spec": {"nodeSelector": {"$patch": "delete"}}},
        pod({"containers": [APP], "nodeSelector": {}}),
    ),
    "env vars merge by name: one changed, one added": (
        "pods",
        pod({"containers": [{**APP, "env": ENV_AB}]}),
        {"spec": {"containers": [{"name": "app", "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}]}]}},
        pod(
            {
                "containers": [
                    {
                        **APP,
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
                    }
                ]
            }
        ),
    ),
    "kubectl apply's env removal: $setElementOrder and a delete element": (
        "pods",
        pod({"containers": [{**APP, "env": ENV_AB}]}),
        {
            "spec": {
                "$setElementOrder/containers": [{"name": "app"}],
                "containers": [
                    {"name": "app", "$setElementOrder/env": [{"name": "A"}], "env": [{"name": "B", "$patch": "delete"}]}
                ],
            }
        },
        pod({"containers": [{**APP, "env": [{"name": "A", "value": "1"}]}]}),
    ),
    "$setElementOrder reorders a merged list": (
        "pods",
        pod({"containers": [APP, SIDE]}),
        {"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "app"}]}},
        pod({"containers": [SIDE, APP]}),
    ),
    "items only the server has keep their place next to the patch's": (
        "pods",
        pod({"containers": [{**APP, "env": ENV_AB}]}),
        {
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "$setElementOrder/env": [{"name": "C"}, {"name": "A"}],
                        "env": [{"name": "C", "value": "3"}],
                    }
                ]
            }
        },
        pod(
            {
                "containers": [
                    {
                        **APP,
                        "env": [{"name": "C", "value": "3"}, {"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    }
                ]
            }
        ),
    ),
    "container ports merge by containerPort": (
        "pods",
        pod({"containers": [{**APP, "ports": [{"containerPort": 80, "name": "http"}]}]}),
        {"spec": {"containers": [{"name": "app", "ports": [{"containerPort": 443, "name": "https"}]}]}},
        pod(
            {
                "containers": [
                    {**APP, "ports": [{"containerPort": 443, "name": "https"}, {"containerPort": 80, "name": "http"}]}
                ]
            }
        ),
    ),
    "finalizers are a set: the union, without duplicates": (
        "pods",
        pod(finalizers=["a", "b"]),
        {"metadata": {"finalizers": ["b", "c"]}},
        pod(finalizers=["a", "b", "c"]),
    ),
    "$deleteFromPrimitiveList removes scalars": (
        "pods",
        pod(finalizers=["a", "b", "c"]),
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}},
        pod(finalizers=["a", "c"]),
    ),
    "kubectl apply's finalizer swap: additions first, deletions gone": (
        "pods",
        pod(finalizers=["a", "b"]),
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["c"]}},
        pod(finalizers=["c", "b"]),
    ),
    "lists without a merge strategy are replaced": (
        "pods",
        pod({"containers": [{**APP, "args": ["--a", "--b"]}]}),
        {"spec": {"containers": [{"name": "app", "args": ["--c"]}]}},
        pod({"containers": [{**APP, "args": ["--c"]}]}),
    ),
    "tolerations have no merge key and are replaced": (
        "pods",
        pod({"containers": [APP], "tolerations": [{"key": "a", "operator": "Exists"}]}),
        {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}},
        pod({"containers": [APP], "tolerations": [{"key": "b", "operator": "Exists"}]}),
    ),
    "$retainKeys clears the fields it does not name (RollingUpdate to Recreate)": (
        "deployments",
        deployment({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}),
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
        deployment({"type": "Recreate"}),
    ),
    "a volume switching source keeps only the new one": (
        "pods",
        pod({"containers": [APP], "volumes": [{"name": "v", "emptyDir": {}}]}),
        {"spec": {"volumes": [{"name": "v", "$retainKeys": ["configMap", "name"], "configMap": {"name": "cfg"}}]}},
        pod({"containers": [APP], "volumes": [{"name": "v", "configMap": {"name": "cfg"}}]}),
    ),
    "a Deployment's template containers merge by name through the PodTemplateSpec": (
        "deployments",
        deployment({"type": "Recreate"}, [{"name": "app", "image": "nginx"}, SIDE]),
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}},
        deployment({"type": "Recreate"}, [{"name": "app", "image": "nginx:1.27"}, SIDE]),
    ),
    "Service ports merge by port": (
        "services",
        service([{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]),
        {"spec": {"ports": [{"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}]}},
        service(
            [
                {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
                {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
            ]
        ),
    ),
    "a Service port's target changes in place": (
        "services",
        service([{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]),
        {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}},
        service([{"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP"}]),
    ),
    "thirty env entries: two deleted, two merged, two new, in the patch's order": (
        "pods",
        pod({"containers": [{**APP, "env": env(*(f"E{i}" for i in range(30)))}]}),
        {
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "$setElementOrder/env": [{"name": n} for n in ("N1", "E3", "N0", "E29")],
                        "env": [
                            {"name": "E5", "$patch": "delete"},
                            {"name": "E7", "$patch": "delete"},
                            *env("N1", value="n"),
                            *env("E3", value="m"),
                            *env("N0", value="n"),
                            *env("E29", value="m"),
                        ],
                    }
                ]
            }
        },
        # Upstream reads the live order after its merge has shifted the deleted out of the live list and
        # written the new ones into the freed slots: N1 and N0 are then "live", after every kept entry.
        pod(
            {
                "containers": [
                    {
                        **APP,
                        "env": [
                            *env("E0", "E1", "E2", "E4", "E6", *(f"E{i}" for i in range(8, 29))),
                            *env("N1", value="n"),
                            *env("E3", value="m"),
                            *env("N0", value="n"),
                            *env("E29", value="m"),
                        ],
                    }
                ]
            }
        ),
    ),
    "kubectl apply removing one env entry and adding another": (
        "pods",
        pod({"containers": [{**APP, "env": env("A", "B", "C", "D")}]}),
        {
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "$setElementOrder/env": [{"name": n} for n in ("A", "C", "D", "E")],
                        "env": [{"name": "B", "$patch": "delete"}, *env("E")],
                    }
                ]
            }
        },
        pod({"containers": [{**APP, "env": env("A", "C", "D", "E")}]}),
    ),
    "a repeated merge key: the patch merges into the first": (
        "pods",
        pod({"containers": [{**APP, "env": [*env("A", value="1"), *env("B", value="2"), *env("A", value="3")]}]}),
        {"spec": {"containers": [{"name": "app", "env": [*env("A", value="9"), *env("C", value="4")]}]}},
        pod(
            {
                "containers": [
                    {
                        **APP,
                        "env": [*env("A", value="9"), *env("A", value="3"), *env("C", value="4"), *env("B", value="2")],
                    }
                ]
            }
        ),
    ),
    "twenty finalizers: the patch's order, the server's around it": (
        "pods",
        pod(finalizers=[f"f{i}" for i in range(20)]),
        {"metadata": {"$setElementOrder/finalizers": ["x", "f15", "y", "f2"], "finalizers": ["x", "f15", "y", "f2"]}},
        pod(finalizers=["x", "f0", "f1", *(f"f{i}" for i in range(3, 16)), "y", "f2", "f16", "f17", "f18", "f19"]),
    ),
    "ConfigMap data: change one key, delete another": (
        "configmaps",
        configmap({"a": "1", "b": "2"}),
        {"data": {"a": "10", "b": None, "c": "3"}},
        configmap({"a": "10", "c": "3"}),
    ),
    "ownerReferences merge by uid": (
        "pods",
        pod(ownerReferences=[{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "a", "uid": "1"}]),
        {"metadata": {"ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "b", "uid": "2"}]}},
        pod(
            ownerReferences=[
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "b", "uid": "2"},
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "a", "uid": "1"},
            ]
        ),
    ),
    "a new subtree keeps no directives and no nulls": (
        "pods",
        pod({"containers": [APP]}),
        {
            "spec": {
                "containers": [
                    {"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "$patch": "delete"}]}
                ],
                "nodeSelector": {"disk": "ssd", "zone": None},
            }
        },
        pod({"containers": [{**APP, "env": [{"name": "A", "value": "1"}]}], "nodeSelector": {"disk": "ssd"}}),
    ),
}


@pytest.mark.parametrize("resource,original,patch,expected", CASES.values(), ids=list(CASES))
def test_strategic_merge_patch_gives_upstreams_result(resource, original, patch, expected):
    assert strategic.apply(lookup(resource), original, patch) == expected


@pytest.mark.skipif(KUBECTL is None, reason="the real kubectl is the oracle")
@pytest.mark.parametrize("resource,original,patch,expected", CASES.values(), ids=list(CASES))
def test_the_table_agrees_with_kubectls_own_strategicpatch(resource, original, patch, expected, tmp_path):
    result = patch_locally(original, patch, "strategic", "json", tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


REJECTED = {
    "a list element without its merge key": (
        {"spec": {"containers": [{"image": "nginx:1.27"}]}},
        400,
        "map: map[image:nginx:1.27] does not contain declared merge key: name",
    ),
    "$patch: merge inside a list": (
        {"spec": {"containers": [{"name": "app", "$patch": "merge"}]}},
        400,
        "merging lists cannot yet be specified in the patch",
    ),
    "an unknown $patch value on a map": (
        {"spec": {"$patch": "squash"}},
        400,
        "unknown patch type: squash in map: map[$patch:squash]",
    ),
    "a field the $retainKeys list does not name": (
        {"spec": {"$retainKeys": ["containers"], "nodeName": "worker-1"}},
        400,
        "invalid patch format of retainKeys",
    ),
    "$retainKeys that is not a list": (
        {"spec": {"$retainKeys": "containers"}},
        400,
        "invalid patch format of retainKeys",
    ),
    "a patch list out of the $setElementOrder order": (
        {"spec": {"$setElementOrder/containers": [{"name": "app"}], "containers": [{"name": "other", "image": "x"}]}},
        400,
        "doesn't match $setElementOrder list",
    ),
    "a list of lists in a merging list": (
        {"metadata": {"finalizers": [["a"]]}},
        422,
        "the server rejected our request",
    ),
}


@pytest.mark.parametrize("patch,code,message", REJECTED.values(), ids=list(REJECTED))
def test_malformed_patches_are_refused_with_upstreams_reason(patch, code, message):
    with pytest.raises(StatusError) as caught:
        strategic.apply(lookup("pods"), pod(finalizers=[]), patch)
    assert caught.value.code == code
    assert message in caught.value.message


def test_the_patch_and_the_object_are_left_untouched():
    original, patch = pod(labels={"a": "1"}), {"metadata": {"labels": {"a": None, "b": "2"}}}
    snapshot = json.dumps([original, patch])
    strategic.apply(lookup("pods"), original, patch)
    assert json.dumps([original, patch]) == snapshot


# -- through the API server, as kubectl sends them ------------------------------
def nginx_deployment() -> dict:
    body = deployment(
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        [
            {
                "name": "nginx",
                "image": "nginx:1.25",
                "env": [{"name": "MODE", "value": "blue"}],
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
            }
        ],
    )
    body["spec"]["replicas"] = 2
    return body


def test_kubectl_set_image_style_patch_changes_only_the_image(api):
    api.create("deployments", "default", nginx_deployment())
    patched = api.patch(
        "deployments",
        "default",
        "web",
        {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}},
        SMP,
    )
    container = patched["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.27"
    assert container["env"] == [{"name": "MODE", "value": "blue"}]
    template = api.get("deployments", "default", "web")["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_kubectl_apply_patch_adds_env_and_port_and_switches_strategy(api):
    api.create("deployments", "default", nginx_deployment())
    patch = {
        "spec": {
            "strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None},
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [
                        {
                            "name": "nginx",
                            "$setElementOrder/env": [{"name": "LEVEL"}],
                            "env": [{"name": "LEVEL", "value": "debug"}, {"name": "MODE", "$patch": "delete"}],
                            "$setElementOrder/ports": [{"containerPort": 80}, {"containerPort": 443}],
                            "ports": [{"containerPort": 443, "protocol": "TCP"}],
                        }
                    ],
                }
            },
        }
    }
    patched = api.patch("deployments", "default", "web", patch, SMP)
    assert patched["spec"]["strategy"] == {"type": "Recreate"}
    container = patched["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "LEVEL", "value": "debug"}]
    assert [p["containerPort"] for p in container["ports"]] == [80, 443]


def test_service_port_added_by_strategic_patch(api):
    api.create("services", "default", service([{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]))
    patched = api.patch(
        "services",
        "default",
        "web",
        {"spec": {"ports": [{"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}]}},
        SMP,
    )
    # upstream puts what the patch lists first and what only the server had after it
    assert [p["port"] for p in patched["spec"]["ports"]] == [443, 80]


def test_a_refused_patch_writes_nothing(api):
    created = api.create("pods", "default", pod(labels={"app": "web"}))
    with pytest.raises(StatusError) as caught:
        api.patch("pods", "default", "web", {"spec": {"containers": [{"image": "nginx:1.27"}]}}, SMP)
    assert caught.value.code == 400
    after = api.get("pods", "default", "web")
    assert after["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert after["spec"]["containers"][0]["image"] == "nginx:1.25"
