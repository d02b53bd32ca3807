"""What the kubelet gives a pod and takes back, played with the documentation's own examples on the virtual clock.

Env and files from ConfigMaps (kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap),
the memory-limit stress pod (…/assign-memory-resource), node-pressure eviction
(…/scheduling-eviction/node-pressure-eviction), and the fluentd DaemonSet, an agent with a hostPath
volume and a memory request. Every component runs, as in tests/test_kubelet_lifecycle.py; what is
asserted is what a user sees.
"""

from __future__ import annotations

import re

import pytest

from cluster.models import Cluster
from tests.workload_sim import FLUENTD, KubectlSim


@pytest.fixture
def sim(cluster: Cluster) -> KubectlSim:
    return KubectlSim(cluster)


# -- configuration ----------------------------------------------------------------------------------------------
DAPI = """
apiVersion: v1
kind: Pod
metadata:
  name: dapi-test-pod
spec:
  containers:
    - name: test-container
      image: registry.k8s.io/busybox
      command: [ "/bin/sh", "-c", "env" ]
      env:
        - name: SPECIAL_LEVEL_KEY
          valueFrom:
            configMapKeyRef:
              name: special-config
              key: special.how
  restartPolicy: Never
"""


def test_env_from_a_missing_configmap_waits_as_create_container_config_error_then_runs(sim: KubectlSim) -> None:
    sim.apply(DAPI)
    sim.wait(15)
    assert sim.status_column("dapi-test-pod") == "CreateContainerConfigError"
    waiting = sim.pod("dapi-test-pod")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting == {"reason": "CreateContainerConfigError", "message": 'configmap "special-config" not found'}
    assert ("Failed", 'Error: configmap "special-config" not found', "spec.containers{test-container}") in sim.events(
        "dapi-test-pod"
    )
    sim.ok("create configmap special-config --from-literal=special.type=charm")
    sim.wait(15)
    assert (
        sim.pod("dapi-test-pod")["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
        == "couldn't find key special.how in ConfigMap default/special-config"
    )
    sim.ok("delete configmap special-config")
    sim.ok("create configmap special-config --from-literal=special.how=very")
    sim.wait(15)
    assert sim.status_column("dapi-test-pod") == "Completed"
    assert "SPECIAL_LEVEL_KEY=very\n" in sim.ok("logs dapi-test-pod")


def test_env_from_and_optional_references(sim: KubectlSim) -> None:
    sim.ok("create configmap special-config --from-literal=SPECIAL_LEVEL=very --from-literal=SPECIAL_TYPE=charm")
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: envs}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox:1.36
    command: ['sh', '-c', 'env']
    envFrom:
    - configMapRef: {name: special-config}
    - secretRef: {name: not-there, optional: true}
    env:
    - name: MAYBE
      valueFrom: {secretKeyRef: {name: not-there, key: k, optional: true}}
""")
    sim.wait(15)
    env = sim.ok("logs envs")
    assert "SPECIAL_LEVEL=very\n" in env and "SPECIAL_TYPE=charm\n" in env and "MAYBE=" not in env


def test_configmap_and_projected_volumes_are_files_the_shell_reads(sim: KubectlSim) -> None:
    sim.ok("create configmap special-config --from-literal=SPECIAL_LEVEL=very --from-literal=SPECIAL_TYPE=charm")
    sim.ok("create configmap kube-root-ca.crt --from-literal=ca.crt=CERT --dry-run=client -o yaml")
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: files}
spec:
  containers:
  - name: c
    image: busybox:1.36
    command: ['sleep', '3600']
    volumeMounts:
    - {name: config-volume, mountPath: /etc/config}
    - {name: api, mountPath: /var/run/api, readOnly: true}
  volumes:
  - name: config-volume
    configMap: {name: special-config}
  - name: api
    projected:
      sources:
      - serviceAccountToken: {path: token, expirationSeconds: 3607}
      - configMap: {name: special-config, items: [{key: SPECIAL_LEVEL, path: level}]}
      - downwardAPI: {items: [{path: namespace, fieldRef: {fieldPath: metadata.namespace}}]}
""")
    sim.wait(10)
    assert sim.ok("exec files -- ls /etc/config/") == "SPECIAL_LEVEL\nSPECIAL_TYPE\n"
    assert sim.ok("exec files -- cat /etc/config/SPECIAL_LEVEL") == "very"
    assert sim.ok("exec files -- ls /var/run/api") == "level\nnamespace\ntoken\n"
    assert sim.ok("exec files -- cat /var/run/api/namespace") == "default"
    import base64
    import json

    token = sim.ok("exec files -- cat /var/run/api/token")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["kubernetes.io"]["pod"]["name"] == "files" and claims["exp"] - claims["iat"] == 3607
    code, _, err = sim.run("exec files -- touch /var/run/api/x")
    assert code == 1 and "Read-only file system" in err


def test_a_projected_volume_whose_configmap_is_missing_fails_to_mount(sim: KubectlSim) -> None:
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: nomount}
spec:
  containers: [{name: c, image: busybox:1.36, command: ['sleep', '3600'],
                volumeMounts: [{name: kube-api-access-x1y2z, mountPath: /var/run/x}]}]
  volumes:
  - name: kube-api-access-x1y2z
    projected:
      sources:
      - configMap: {name: no-such-ca, items: [{key: ca.crt, path: ca.crt}]}
""")
    sim.wait(10)
    assert sim.status_column("nomount") == "ContainerCreating"
    assert (
        "FailedMount",
        'MountVolume.SetUp failed for volume "kube-api-access-x1y2z" : configmap "no-such-ca" not found',
        "",
    ) in sim.events("nomount")


# -- memory ----------------------------------------------------------------------------------------------------
MEMORY_DEMO_2 = """
apiVersion: v1
kind: Pod
metadata:
  name: memory-demo-2
spec:
  containers:
  - name: memory-demo-2-ctr
    image: polinux/stress
    resources:
      requests:
        memory: "50Mi"
      limits:
        memory: "100Mi"
    command: ["stress"]
    args: ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]
"""


def test_the_memory_example_over_its_limit_is_oom_killed_and_restarted(sim: KubectlSim) -> None:
    sim.apply(MEMORY_DEMO_2)
    seen = sim.watch_status("memory-demo-2", 40)
    assert "OOMKilled" in seen and "CrashLoopBackOff" in seen[seen.index("OOMKilled") :]
    status = sim.pod("memory-demo-2")["status"]["containerStatuses"][0]
    assert status["restartCount"] >= 2
    terminated = status["lastState"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)


# -- node-pressure eviction ---------------------------------------------------------------------------------------
def test_a_node_out_of_memory_evicts_its_best_effort_pods_first(sim: KubectlSim) -> None:
    sim.apply("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {kubernetes.io/hostname: worker-1}
      containers: [{name: nginx, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata: {name: guaranteed}
spec:
  nodeName: worker-1
  containers:
  - name: web
    image: nginx:1.27
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 100m, memory: 64Mi}
""")
    sim.wait(20)
    sim.ok("fault node worker-1 fill-memory")
    sim.wait(30)
    node = sim.api.get("nodes", None, "worker-1")
    memory = next(c for c in node["status"]["conditions"] if c["type"] == "MemoryPressure")
    assert (memory["status"], memory["reason"]) == ("True", "KubeletHasInsufficientMemory")
    assert {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"} in node["spec"]["taints"]
    node_events = [
        (e["reason"], e["message"])
        for e in sim.api.list("events", "default")["items"]
        if e["involvedObject"]["name"] == "worker-1"
    ]
    assert ("EvictionThresholdMet", "Attempting to reclaim memory") in node_events
    assert ("NodeHasInsufficientMemory", "Node worker-1 status is now: NodeHasInsufficientMemory") in node_events
    assert sim.pod("guaranteed")["status"]["phase"] == "Running"  # Guaranteed, within its request: kept
    evicted = [p for p in sim.api.list("pods", "default")["items"] if (p["status"].get("reason") == "Evicted")]
    first = min(evicted, key=lambda p: p["metadata"]["creationTimestamp"])
    assert first["status"]["phase"] == "Failed"
    assert re.fullmatch(
        r"The node was low on resource: memory\. Threshold quantity: 100Mi, available: 9\dMi\. "
        r"Container nginx was using 4Mi, request is 0, has larger consumption of memory\. ",
        first["status"]["message"],
    )
    target = next(c for c in first["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (target["reason"], target["message"]) == ("TerminationByKubelet", first["status"]["message"])
    assert ("Evicted", first["status"]["message"], "") in sim.events(first["metadata"]["name"])
    running = [
        p
        for p in sim.api.list("pods", "default")["items"]
        if p["metadata"]["name"].startswith("web-") and p["status"].get("phase") == "Running"
    ]
    assert running == []  # replacements cannot land on worker-1 (tainted, or rejected by the kubelet)
    for pod in evicted:  # any replacement the scheduler placed before the taint was refused at admission
        assert (
            pod["status"]["message"].startswith("The node was low on resource: memory.")
            or pod["status"]["message"] == "Pod was rejected: The node had condition: [MemoryPressure]. "
        )
    sim.ok("fault node worker-1 heal")
    sim.wait(330)  # the kubelet keeps MemoryPressure for its 5-minute transition period
    node = sim.api.get("nodes", None, "worker-1")
    assert next(c for c in node["status"]["conditions"] if c["type"] == "MemoryPressure")["status"] == "False"
    assert not node["spec"].get("taints")
    assert (
        len(
            [
                p
                for p in sim.api.list("pods", "default")["items"]
                if p["metadata"]["name"].startswith("web-") and p["status"].get("phase") == "Running"
            ]
        )
        == 2
    )


# -- the DaemonSet example ----------------------------------------------------------------------------------------
def test_the_fluentd_daemonset_example_keeps_running_as_an_agent(sim: KubectlSim) -> None:
    sim.apply(FLUENTD)
    sim.wait(60)
    rows = [
        line.split()
        for line in sim.ok("get pods -n kube-system --no-headers").splitlines()
        if line.startswith("fluentd-elasticsearch-")
    ]
    assert rows and all(row[1:4] == ["1/1", "Running", "0"] for row in rows)
