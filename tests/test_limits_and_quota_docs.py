"""The documentation's LimitRange and ResourceQuota tasks, typed as a learner types them (our own copies of
the kubernetes.io manifests), with what a v1.32 cluster answers:

- Configure Minimum and Maximum Memory Constraints for a Namespace (admin/resource/memory-constraints.yaml):
  the LimitRange is stored with `default` and `defaultRequest` defaulted from `max` (SetDefaults_LimitRangeItem),
  so a pod that says nothing gets 1Gi; the refusals name the canonical quantities;
- Configure Default Memory Requests and Limits for a Namespace (admin/resource/memory-defaults*.yaml): a
  container with only a limit requests its limit (SetDefaults_Pod, before the LimitRanger), and a pod the
  LimitRanger changed says so in its `kubernetes.io/limit-ranger` annotation;
- Configure Default CPU Requests and Limits for a Namespace (admin/resource/cpu-defaults.yaml);
- Configure Memory and CPU Quotas for a Namespace (admin/resource/quota-mem-cpu*.yaml): a pod whose containers
  do not all say what the quota tracks is refused with "failed quota: … must specify …"; a LimitRange's
  defaults, applied first, satisfy the quota.
"""

from __future__ import annotations

import pytest
import yaml

from cluster.models import Cluster
from tests.workload_sim import Driven

MEMORY_CONSTRAINTS = """
apiVersion: v1
kind: LimitRange
metadata:
  name: mem-min-max-demo-lr
spec:
  limits:
  - max:
      memory: 1Gi
    min:
      memory: 500Mi
    type: Container
"""

MEMORY_CONSTRAINTS_POD_2 = """
apiVersion: v1
kind: Pod
metadata:
  name: constraints-mem-demo-2
spec:
  containers:
  - name: constraints-mem-demo-2-ctr
    image: nginx
    resources:
      limits:
        memory: "1.5Gi"
      requests:
        memory: "800Mi"
"""

MEMORY_DEFAULTS = """
apiVersion: v1
kind: LimitRange
metadata:
  name: mem-limit-range
spec:
  limits:
  - default:
      memory: 512Mi
    defaultRequest:
      memory: 256Mi
    type: Container
"""

MEMORY_DEFAULTS_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: default-mem-demo
spec:
  containers:
  - name: default-mem-demo-ctr
    image: nginx
"""

MEMORY_DEFAULTS_POD_2 = """
apiVersion: v1
kind: Pod
metadata:
  name: default-mem-demo-2
spec:
  containers:
  - name: default-mem-demo-2-ctr
    image: nginx
    resources:
      limits:
        memory: "1Gi"
"""

MEMORY_DEFAULTS_POD_3 = """
apiVersion: v1
kind: Pod
metadata:
  name: default-mem-demo-3
spec:
  containers:
  - name: default-mem-demo-3-ctr
    image: nginx
    resources:
      requests:
        memory: "128Mi"
"""

CPU_DEFAULTS = """
apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-limit-range
spec:
  limits:
  - default:
      cpu: 1
    defaultRequest:
      cpu: 0.5
    type: Container
"""

QUOTA_MEM_CPU = """
apiVersion: v1
kind: ResourceQuota
metadata:
  name: mem-cpu-demo
spec:
  hard:
    requests.cpu: "1"
    requests.memory: 1Gi
    limits.cpu: "2"
    limits.memory: 2Gi
"""

QUOTA_MEM_CPU_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: quota-mem-cpu-demo
spec:
  containers:
  - name: quota-mem-cpu-demo-ctr
    image: nginx
    resources:
      limits:
        memory: "800Mi"
        cpu: "800m"
      requests:
        memory: "600Mi"
        cpu: "400m"
"""

ANNOTATION = "kubernetes.io/limit-ranger"


@pytest.fixture
def learner(cluster: Cluster) -> Driven:
    return Driven(cluster)


def in_namespace(learner: Driven, namespace: str, *manifests: str) -> None:
    learner.ok(f"create namespace {namespace}")
    for manifest in manifests:
        learner.ok(f"apply -f - --namespace={namespace}", stdin=manifest)


def get_yaml(learner: Driven, what: str, namespace: str) -> dict:
    return yaml.safe_load(learner.ok(f"get {what} --namespace={namespace} --output=yaml"))


def test_a_limit_range_with_only_min_and_max_is_stored_with_defaults_from_max(learner):
    in_namespace(learner, "constraints-mem-example", MEMORY_CONSTRAINTS)
    stored = get_yaml(learner, "limitrange mem-min-max-demo-lr", "constraints-mem-example")
    assert stored["spec"]["limits"] == [
        {
            "default": {"memory": "1Gi"},
            "defaultRequest": {"memory": "1Gi"},
            "max": {"memory": "1Gi"},
            "min": {"memory": "500Mi"},
            "type": "Container",
        }
    ]
    # so a pod that says nothing is admitted with the defaults, which are within min and max
    assert learner.ok("run nores --image=nginx -n constraints-mem-example") == "pod/nores created\n"
    pod = get_yaml(learner, "pod nores", "constraints-mem-example")
    assert pod["spec"]["containers"][0]["resources"] == {"limits": {"memory": "1Gi"}, "requests": {"memory": "1Gi"}}
    assert pod["metadata"]["annotations"][ANNOTATION] == (
        "LimitRanger plugin set: memory request for container nores; memory limit for container nores"
    )


def test_limit_range_item_defaults_follow_set_defaults_limit_range_item(learner):
    """default ← max; defaultRequest ← default, else min; only for Container items."""
    manifest = """
apiVersion: v1
kind: LimitRange
metadata:
  name: mixed
spec:
  limits:
  - type: Container
    min: {cpu: 100m, memory: 100Mi}
    max: {cpu: "2"}
    default: {memory: 300Mi}
  - type: Pod
    max: {cpu: "4"}
"""
    in_namespace(learner, "mixed", manifest)
    container, pod = get_yaml(learner, "limitrange mixed", "mixed")["spec"]["limits"]
    assert container["default"] == {"cpu": "2", "memory": "300Mi"}
    assert container["defaultRequest"] == {"cpu": "2", "memory": "300Mi"}  # from default before min
    assert pod == {"max": {"cpu": "4"}, "type": "Pod"}
    only_min = """
apiVersion: v1
kind: LimitRange
metadata:
  name: floor
spec:
  limits:
  - type: Container
    min: {cpu: 200m}
"""
    learner.ok("apply -f - --namespace=mixed", stdin=only_min)
    assert get_yaml(learner, "limitrange floor", "mixed")["spec"]["limits"] == [
        {"defaultRequest": {"cpu": "200m"}, "min": {"cpu": "200m"}, "type": "Container"}
    ]


def test_memory_constraint_refusals_name_the_canonical_quantities(learner):
    in_namespace(learner, "constraints-mem-example", MEMORY_CONSTRAINTS)
    code, _, err = learner.kubectl("apply -f - --namespace=constraints-mem-example", stdin=MEMORY_CONSTRAINTS_POD_2)
    assert code == 1
    assert err == (
        'Error from server (Forbidden): error when creating "STDIN": pods "constraints-mem-demo-2" is forbidden: '
        "maximum memory usage per Container is 1Gi, but limit is 1536Mi\n"
    )


def test_a_container_with_only_a_limit_requests_its_limit_not_the_namespace_default(learner):
    in_namespace(learner, "default-mem-example", MEMORY_DEFAULTS, MEMORY_DEFAULTS_POD_2)
    pod = get_yaml(learner, "pod default-mem-demo-2", "default-mem-example")
    assert pod["spec"]["containers"][0]["resources"] == {"limits": {"memory": "1Gi"}, "requests": {"memory": "1Gi"}}
    assert ANNOTATION not in (pod["metadata"].get("annotations") or {})  # the LimitRanger had nothing to set


def test_the_limit_ranger_annotates_the_pods_it_changed(learner):
    in_namespace(learner, "default-mem-example", MEMORY_DEFAULTS, MEMORY_DEFAULTS_POD, MEMORY_DEFAULTS_POD_3)
    pod = get_yaml(learner, "pod default-mem-demo", "default-mem-example")
    assert pod["spec"]["containers"][0]["resources"] == {
        "limits": {"memory": "512Mi"},
        "requests": {"memory": "256Mi"},
    }
    assert pod["metadata"]["annotations"][ANNOTATION] == (
        "LimitRanger plugin set: memory request for container default-mem-demo-ctr; "
        "memory limit for container default-mem-demo-ctr"
    )
    third = get_yaml(learner, "pod default-mem-demo-3", "default-mem-example")
    assert third["spec"]["containers"][0]["resources"] == {
        "limits": {"memory": "512Mi"},
        "requests": {"memory": "128Mi"},
    }
    assert third["metadata"]["annotations"][ANNOTATION] == (
        "LimitRanger plugin set: memory limit for container default-mem-demo-3-ctr"
    )


def test_the_annotation_lists_containers_then_init_containers_cpu_before_memory(learner):
    both = """
apiVersion: v1
kind: LimitRange
metadata:
  name: both
spec:
  limits:
  - type: Container
    default: {memory: 512Mi, cpu: 500m}
    defaultRequest: {memory: 256Mi, cpu: 250m}
"""
    pod = """
apiVersion: v1
kind: Pod
metadata:
  name: many
spec:
  initContainers:
  - name: setup
    image: busybox
    command: ["true"]
  containers:
  - name: web
    image: nginx
    resources:
      requests: {cpu: 100m}
  - name: sidecar
    image: busybox
    command: ["sleep", "3600"]
    resources:
      limits: {memory: 64Mi}
"""
    in_namespace(learner, "many-example", both, pod)
    stored = get_yaml(learner, "pod many", "many-example")
    assert stored["metadata"]["annotations"][ANNOTATION] == (
        "LimitRanger plugin set: memory request for container web; cpu, memory limit for container web; "
        "cpu request for container sidecar; cpu limit for container sidecar; "
        "cpu, memory request for init container setup; cpu, memory limit for init container setup"
    )
    sidecar = stored["spec"]["containers"][1]["resources"]
    assert sidecar == {"limits": {"cpu": "500m", "memory": "64Mi"}, "requests": {"cpu": "250m", "memory": "64Mi"}}


def test_cpu_defaults_are_given_as_the_docs_show_them(learner):
    in_namespace(learner, "default-cpu-example", CPU_DEFAULTS)
    assert learner.ok("run default-cpu-demo --image=nginx -n default-cpu-example") == "pod/default-cpu-demo created\n"
    pod = get_yaml(learner, "pod default-cpu-demo", "default-cpu-example")
    assert pod["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "1"}, "requests": {"cpu": "500m"}}
    assert pod["metadata"]["annotations"][ANNOTATION] == (
        "LimitRanger plugin set: cpu request for container default-cpu-demo; cpu limit for container default-cpu-demo"
    )


def test_a_pod_without_what_the_quota_tracks_is_refused_naming_each_resource(learner):
    in_namespace(learner, "quota-mem-cpu-example", QUOTA_MEM_CPU, QUOTA_MEM_CPU_POD)
    code, out, err = learner.kubectl("run nores --image=nginx -n quota-mem-cpu-example")
    assert (code, out) == (1, "")
    assert err == (
        'Error from server (Forbidden): pods "nores" is forbidden: failed quota: mem-cpu-demo: '
        "must specify limits.cpu for: nores; limits.memory for: nores; requests.cpu for: nores; "
        "requests.memory for: nores\n"
    )
    assert "nores" not in learner.ok("get pods -n quota-mem-cpu-example")


def test_the_must_specify_message_lists_every_container_missing_each_resource(learner):
    quota = """
apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute
spec:
  hard:
    cpu: "4"
    limits.memory: 4Gi
    pods: "10"
"""
    pod = """
apiVersion: v1
kind: Pod
metadata:
  name: partial
spec:
  initContainers:
  - name: init
    image: busybox
    command: ["true"]
    resources:
      requests: {cpu: 100m}
      limits: {memory: 64Mi}
  containers:
  - name: zeta
    image: nginx
  - name: alpha
    image: nginx
    resources:
      limits: {cpu: 200m}
"""
    in_namespace(learner, "partial-example", quota)
    code, _, err = learner.kubectl("apply -f - -n partial-example", stdin=pod)
    assert code == 1
    # alpha's cpu request is its limit (SetDefaults_Pod); names sorted within a resource, resources sorted
    assert err == (
        'Error from server (Forbidden): error when creating "STDIN": pods "partial" is forbidden: '
        "failed quota: compute: must specify cpu for: zeta; limits.memory for: alpha,zeta\n"
    )


def test_limit_range_defaults_satisfy_the_quota_and_are_counted(learner):
    memory_quota = """
apiVersion: v1
kind: ResourceQuota
metadata:
  name: mem-demo
spec:
  hard:
    requests.memory: 3Gi
    limits.memory: 3Gi
"""
    in_namespace(learner, "constraints-mem-example", MEMORY_CONSTRAINTS, memory_quota)
    assert learner.ok("run nores --image=nginx -n constraints-mem-example") == "pod/nores created\n"
    learner.driver.fast_forward(seconds=5)
    used = get_yaml(learner, "resourcequota mem-demo", "constraints-mem-example")["status"]["used"]
    assert used == {"limits.memory": "1Gi", "requests.memory": "1Gi"}
