"""The kubelet's remaining lifecycle, played with the documentation's own examples on the virtual clock.

Init containers (kubernetes.io/docs/concepts/workloads/pods/init-containers), sidecars
(…/pods/sidecar-containers), startup probes (…/configure-liveness-readiness-startup-probes),
env from ConfigMaps (…/configure-pod-configmap), the memory-limit stress pod
(…/assign-memory-resource), node-pressure eviction (…/node-pressure-eviction), the fluentd
DaemonSet and the Indexed Job. Every component runs (a ClusterDriver in fast-forward that
keeps running between looks, as a server would); what is asserted is what a user sees:
`kubectl get` STATUS, events, conditions, logs.
"""
from __future__ import annotations

import io
import re
import shlex

import pytest

from cluster import clock
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.models import Cluster
from cluster.reconciler.driver import ClusterDriver


class Sim:
    """A cluster that keeps running between looks, and kubectl."""

    def __init__(self, cluster: Cluster) -> None:
        clock.set_speed(cluster, 0.0)
        self.cluster = Cluster.objects.get(pk=cluster.pk)
        self.driver = ClusterDriver(self.cluster)

    @property
    def api(self) -> APIServer:
        return APIServer(Cluster.objects.get(pk=self.cluster.pk), client="kubectl")

    def wait(self, seconds: float) -> None:
        self.driver.fast_forward(seconds=seconds)

    def run(self, line: str, stdin: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.run(self.api, shlex.split(line), io.StringIO(stdin), out, err)
        return code, out.getvalue(), err.getvalue()

    def ok(self, line: str, stdin: str = "") -> str:
        code, out, err = self.run(line, stdin)
        assert code == 0, err
        return out

    def apply(self, manifest: str) -> None:
        self.ok("apply -f -", stdin=manifest)

    def pod(self, name: str) -> dict:
        return self.api.get("pods", "default", name)

    def status_column(self, name: str) -> str:
        return self.ok(f"get pod {name} --no-headers").split()[2]

    def condition(self, name: str, type_: str) -> dict:
        return next(c for c in self.pod(name)["status"]["conditions"] if c["type"] == type_)

    def events(self, name: str) -> list[tuple[str, str, str]]:
        found = [e for e in self.api.list("events", "default")["items"] if e["involvedObject"]["name"] == name]
        found.sort(key=lambda e: (e["firstTimestamp"], int(e["metadata"]["resourceVersion"])))
        return [(e["reason"], e["message"], e["involvedObject"].get("fieldPath", "")) for e in found]

    def watch_status(self, name: str, seconds: int) -> list[str]:
        """The STATUS column second by second, each change once."""
        seen: list[str] = []
        for _ in range(seconds):
            self.wait(1)
            column = self.status_column(name)
            if not seen or seen[-1] != column:
                seen.append(column)
        return seen


@pytest.fixture
def sim(cluster: Cluster) -> Sim:
    return Sim(cluster)


# -- init containers ------------------------------------------------------------------------------------
MYAPP = """
apiVersion: v1
kind: Pod
metadata:
  name: myapp-pod
  labels:
    app.kubernetes.io/name: MyApp
spec:
  containers:
  - name: myapp-container
    image: busybox:1.28
    command: ['sh', '-c', 'echo The app is running! && sleep 3600']
  initContainers:
  - name: init-myservice
    image: busybox:1.28
    command: ['sh', '-c', "until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for myservice; sleep 2; done"]
  - name: init-mydb
    image: busybox:1.28
    command: ['sh', '-c', "until nslookup mydb.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for mydb; sleep 2; done"]
"""  # noqa: E501 - the init-containers example from kubernetes.io, verbatim
SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  ports:
  - protocol: TCP
    port: 80
    targetPort: {port}
"""


def test_the_init_container_example_waits_for_its_services_one_after_the_other(sim: Sim) -> None:
    sim.apply(MYAPP)
    sim.wait(10)
    assert sim.ok("get pods").splitlines()[1].split()[:4] == ["myapp-pod", "0/1", "Init:0/2", "0"]
    initialized = sim.condition("myapp-pod", "Initialized")
    assert (initialized["status"], initialized["reason"], initialized["message"]) == (
        "False", "ContainersNotInitialized", "containers with incomplete status: [init-myservice init-mydb]")
    status = sim.pod("myapp-pod")["status"]
    assert status["phase"] == "Pending"
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert [list(s["state"]) for s in status["initContainerStatuses"]] == [["running"], ["waiting"]]
    log = sim.ok("logs myapp-pod -c init-myservice")
    assert log.startswith("Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\n")
    assert "waiting for myservice\n" in log
    code, _, err = sim.run("logs myapp-pod -c init-mydb")
    assert code == 1 and 'container "init-mydb" in pod "myapp-pod" is waiting to start: PodInitializing' in err

    sim.apply(SERVICE.format(name="myservice", port=9376))
    sim.wait(5)
    assert sim.status_column("myapp-pod") == "Init:1/2"
    assert sim.ok("logs myapp-pod -c init-myservice").endswith(
        "Name:      myservice.default.svc.cluster.local\nAddress 1: "
        f"{sim.api.get('services', 'default', 'myservice')['spec']['clusterIP']} myservice.default.svc.cluster.local\n")

    sim.apply(SERVICE.format(name="mydb", port=9377))
    sim.wait(5)
    assert sim.ok("get pods").splitlines()[1].split()[:4] == ["myapp-pod", "1/1", "Running", "0"]
    assert sim.condition("myapp-pod", "Initialized")["status"] == "True"
    assert [s["state"]["terminated"]["reason"] for s in sim.pod("myapp-pod")["status"]["initContainerStatuses"]] \
        == ["Completed", "Completed"]
    code, out, err = sim.run("logs myapp-pod")
    assert (out, err) == ("The app is running!\n",
                          'Defaulted container "myapp-container" out of: myapp-container, init-myservice (init), '
                          "init-mydb (init)\n")
    started = [(reason, path) for reason, _, path in sim.events("myapp-pod") if reason == "Started"]
    assert started == [("Started", "spec.initContainers{init-myservice}"),
                       ("Started", "spec.initContainers{init-mydb}"), ("Started", "spec.containers{myapp-container}")]


INIT_FAILS = """
apiVersion: v1
kind: Pod
metadata: {name: initfail}
spec:
  restartPolicy: %s
  initContainers:
  - name: setup
    image: busybox:1.36
    command: ['sh', '-c', 'echo setting up; sleep 2; exit 1']
  containers:
  - name: app
    image: busybox:1.36
    command: ['sleep', '3600']
"""


def test_a_failing_init_container_fails_the_pod_under_restart_policy_never(sim: Sim) -> None:
    sim.apply(INIT_FAILS % "Never")
    sim.wait(15)
    assert sim.ok("get pod initfail --no-headers").split()[:4] == ["initfail", "0/1", "Init:Error", "0"]
    status = sim.pod("initfail")["status"]
    assert status["phase"] == "Failed"
    assert status["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 1
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert (sim.condition("initfail", "Ready")["status"], sim.condition("initfail", "Ready")["reason"]) == (
        "False", "PodFailed")
    assert not [e for e in sim.events("initfail") if e[2] == "spec.containers{app}"]  # the app never started
    assert sim.ok("logs initfail -c setup") == "setting up\n"


def test_a_failing_init_container_is_restarted_with_back_off_under_restart_policy_always(sim: Sim) -> None:
    sim.apply(INIT_FAILS % "Always")
    seen = sim.watch_status("initfail", 60)
    assert seen[:4] == ["Init:0/1", "Init:Error", "Init:CrashLoopBackOff", "Init:0/1"]
    assert "Init:CrashLoopBackOff" in seen[4:]
    status = sim.pod("initfail")["status"]
    assert status["phase"] == "Pending" and status["initContainerStatuses"][0]["restartCount"] >= 2
    assert ("BackOff", "Back-off restarting failed container setup in pod initfail_default("
            f"{sim.pod('initfail')['metadata']['uid']})", "spec.initContainers{setup}") in sim.events("initfail")


def test_the_pod_is_pod_initializing_while_the_app_image_is_pulled(sim: Sim) -> None:
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: warmup}
spec:
  initContainers:
  - {name: wait, image: busybox:1.36, command: ['sleep', '3']}
  containers:
  - {name: app, image: 'tomcat:11.0', imagePullPolicy: Always}
""")
    assert sim.watch_status("warmup", 20) == ["Init:0/1", "PodInitializing", "Running"]


INDEXED_JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: 'indexed-job'
spec:
  completions: 5
  parallelism: 3
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - name: 'input'
        image: 'docker.io/library/bash'
        command:
        - "bash"
        - "-c"
        - |
          items=(foo bar baz qux xyz)
          echo ${items[$JOB_COMPLETION_INDEX]} > /input/data.txt
        volumeMounts:
        - mountPath: /input
          name: input
      containers:
      - name: 'worker'
        image: 'docker.io/library/busybox'
        command:
        - "rev"
        - "/input/data.txt"
        volumeMounts:
        - mountPath: /input
          name: input
      volumes:
      - name: input
        emptyDir: {}
"""


def test_the_indexed_job_example_reverses_the_item_its_init_container_wrote(sim: Sim) -> None:
    sim.apply(INDEXED_JOB)
    sim.wait(60)
    assert sim.ok("get job indexed-job --no-headers").split()[1:3] == ["Complete", "5/5"]
    logs = {}
    for pod in sim.api.list("pods", "default")["items"]:
        index = pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        logs[index] = sim.ok(f"logs {pod['metadata']['name']}")
    assert logs == {"0": "oof\n", "1": "rab\n", "2": "zab\n", "3": "xuq\n", "4": "zyx\n"}


# -- sidecars ----------------------------------------------------------------------------------------------
SIDECAR_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: myapp
  labels:
    app: myapp
spec:
  replicas: 1
  selector:
    matchLabels:
      app: myapp
  template:
    metadata:
      labels:
        app: myapp
    spec:
      containers:
        - name: myapp
          image: alpine:latest
          command: ['sh', '-c', 'while true; do echo "logging" >> /opt/logs.txt; sleep 1; done']
          volumeMounts:
            - name: data
              mountPath: /opt
      initContainers:
        - name: logshipper
          image: alpine:latest
          restartPolicy: Always
          command: ['sh', '-c', 'tail -F /opt/logs.txt']
          volumeMounts:
            - name: data
              mountPath: /opt
      volumes:
        - name: data
          emptyDir: {}
"""


def test_the_sidecar_example_runs_beside_the_app_and_stops_after_it(sim: Sim) -> None:
    sim.apply(SIDECAR_DEPLOYMENT)
    sim.wait(20)
    name = sim.api.list("pods", "default")["items"][0]["metadata"]["name"]
    assert sim.ok(f"get pod {name} --no-headers").split()[1:3] == ["2/2", "Running"]
    status = sim.pod(name)["status"]
    assert status["initContainerStatuses"][0]["started"] and status["initContainerStatuses"][0]["ready"]
    shipped = sim.ok(f"logs {name} -c logshipper").splitlines()
    assert len([line for line in shipped if line == "logging"]) >= 10
    started = [e[2] for e in sim.events(name) if e[0] == "Started"]
    assert started == ["spec.initContainers{logshipper}", "spec.containers{myapp}"]  # the sidecar first
    sim.ok("delete deployment myapp")
    sim.wait(45)
    assert sim.api.list("pods", "default")["items"] == []
    killing = [e[2] for e in sim.events(name) if e[0] == "Killing"]
    assert killing == ["spec.containers{myapp}", "spec.initContainers{logshipper}"]  # the sidecar last


def test_a_sidecar_that_exits_is_restarted_while_the_app_runs_on(sim: Sim) -> None:
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: flaky}
spec:
  initContainers:
  - {name: helper, image: busybox:1.36, restartPolicy: Always, command: ['sh', '-c', 'sleep 5; exit 1']}
  containers:
  - {name: app, image: nginx:1.27}
""")
    sim.wait(40)
    status = sim.pod("flaky")["status"]
    assert status["phase"] == "Running"
    assert status["initContainerStatuses"][0]["restartCount"] >= 2
    assert status["containerStatuses"][0]["restartCount"] == 0 and "running" in status["containerStatuses"][0]["state"]
    assert sim.condition("flaky", "Initialized")["status"] == "True"


def test_a_job_with_a_sidecar_completes_once_its_container_is_done(sim: Sim) -> None:
    sim.apply("""
apiVersion: batch/v1
kind: Job
metadata:
  name: myjob
spec:
  template:
    spec:
      containers:
        - name: myjob
          image: alpine:latest
          command: ['sh', '-c', 'echo "logging" > /opt/logs.txt']
          volumeMounts:
            - name: data
              mountPath: /opt
      initContainers:
        - name: logshipper
          image: alpine:latest
          restartPolicy: Always
          command: ['sh', '-c', 'tail -F /opt/logs.txt']
          volumeMounts:
            - name: data
              mountPath: /opt
      restartPolicy: Never
      volumes:
        - name: data
          emptyDir: {}
""")
    sim.wait(60)
    assert sim.ok("get job myjob --no-headers").split()[1:3] == ["Complete", "1/1"]
    pod = sim.api.list("pods", "default")["items"][0]
    assert pod["status"]["phase"] == "Succeeded"
    assert "terminated" in pod["status"]["initContainerStatuses"][0]["state"]
    assert ("Killing", "Stopping container logshipper", "spec.initContainers{logshipper}") in \
        sim.events(pod["metadata"]["name"])
    assert sim.ok(f"logs {pod['metadata']['name']} -c logshipper").endswith("logging\n")


# -- probes ----------------------------------------------------------------------------------------------------
SLOW_START = """
apiVersion: v1
kind: Pod
metadata: {name: slow}
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ['sh', '-c', 'sleep 45; touch /tmp/started; sleep 3600']
    startupProbe:
      exec: {command: [cat, /tmp/started]}
      periodSeconds: 10
      failureThreshold: %d
    livenessProbe:
      exec: {command: [cat, /tmp/started]}
      periodSeconds: 5
      failureThreshold: 1
"""


def test_a_startup_probe_that_runs_out_restarts_the_container(sim: Sim) -> None:
    sim.apply(SLOW_START % 3)
    sim.wait(30)
    unhealthy = [m for r, m, _ in sim.events("slow") if r == "Unhealthy"]
    assert unhealthy and set(unhealthy) == {"Startup probe failed: cat: can't open '/tmp/started': No such file "
                                            "or directory\n"}
    assert ("Killing", "Container app failed startup probe, will be restarted", "spec.containers{app}") in \
        sim.events("slow")
    assert not sim.pod("slow")["status"]["containerStatuses"][0]["started"]
    sim.wait(30)  # sh ignores SIGTERM: killed at the end of its 30 s grace period, then started again
    assert sim.pod("slow")["status"]["containerStatuses"][0]["restartCount"] == 1


def test_a_startup_probe_holds_liveness_back_until_the_app_has_started(sim: Sim) -> None:
    sim.apply(SLOW_START % 10)
    sim.wait(40)
    status = sim.pod("slow")["status"]["containerStatuses"][0]
    assert (status["started"], status["ready"], status["restartCount"]) == (False, False, 0)
    assert not [m for r, m, _ in sim.events("slow") if m.startswith("Liveness")]  # liveness waits
    sim.wait(20)
    status = sim.pod("slow")["status"]["containerStatuses"][0]
    assert (status["started"], status["ready"], status["restartCount"]) == (True, True, 0)
    assert sim.status_column("slow") == "Running"


def test_readiness_turns_false_only_after_failure_threshold_failures(sim: Sim) -> None:
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    readinessProbe:
      httpGet: {path: /, port: 80}
      periodSeconds: 5
      failureThreshold: 3
""")
    sim.wait(10)
    assert sim.pod("web")["status"]["containerStatuses"][0]["ready"]
    sim.ok("exec web -- rm /usr/share/nginx/html/index.html")  # nginx now answers 403
    readiness = []
    for _ in range(16):
        sim.wait(1)
        readiness.append(sim.pod("web")["status"]["containerStatuses"][0]["ready"])
    flipped = readiness.index(False)
    assert 10 <= flipped <= 15 and not any(readiness[flipped:])  # the third failure, 10-15 s after the first
    failures = [m for r, m, _ in sim.events("web") if r == "Unhealthy"]
    assert failures[0] == "Readiness probe failed: HTTP probe failed with statuscode: 403"
    assert sim.ok("get pod web --no-headers").split()[1:3] == ["0/1", "Running"]


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


def test_env_from_a_missing_configmap_waits_as_create_container_config_error_then_runs(sim: Sim) -> None:
    sim.apply(DAPI)
    sim.wait(15)
    assert sim.status_column("dapi-test-pod") == "CreateContainerConfigError"
    waiting = sim.pod("dapi-test-pod")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting == {"reason": "CreateContainerConfigError", "message": 'configmap "special-config" not found'}
    assert ("Failed", 'Error: configmap "special-config" not found', "spec.containers{test-container}") in \
        sim.events("dapi-test-pod")
    sim.ok("create configmap special-config --from-literal=special.type=charm")
    sim.wait(15)
    assert sim.pod("dapi-test-pod")["status"]["containerStatuses"][0]["state"]["waiting"]["message"] == \
        "couldn't find key special.how in ConfigMap default/special-config"
    sim.ok("delete configmap special-config")
    sim.ok("create configmap special-config --from-literal=special.how=very")
    sim.wait(15)
    assert sim.status_column("dapi-test-pod") == "Completed"
    assert "SPECIAL_LEVEL_KEY=very\n" in sim.ok("logs dapi-test-pod")


def test_env_from_and_optional_references(sim: Sim) -> None:
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


def test_configmap_and_projected_volumes_are_files_the_shell_reads(sim: Sim) -> None:
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


def test_a_projected_volume_whose_configmap_is_missing_fails_to_mount(sim: Sim) -> None:
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
    assert ("FailedMount", 'MountVolume.SetUp failed for volume "kube-api-access-x1y2z" : configmap "no-such-ca" '
                           "not found", "") in sim.events("nomount")


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


def test_the_memory_example_over_its_limit_is_oom_killed_and_restarted(sim: Sim) -> None:
    sim.apply(MEMORY_DEMO_2)
    seen = sim.watch_status("memory-demo-2", 40)
    assert "OOMKilled" in seen and "CrashLoopBackOff" in seen[seen.index("OOMKilled"):]
    status = sim.pod("memory-demo-2")["status"]["containerStatuses"][0]
    assert status["restartCount"] >= 2
    terminated = status["lastState"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)


# -- node-pressure eviction ---------------------------------------------------------------------------------------
def test_a_node_out_of_memory_evicts_its_best_effort_pods_first(sim: Sim) -> None:
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
    node_events = [(e["reason"], e["message"]) for e in sim.api.list("events", "default")["items"]
                   if e["involvedObject"]["name"] == "worker-1"]
    assert ("EvictionThresholdMet", "Attempting to reclaim memory") in node_events
    assert ("NodeHasInsufficientMemory", "Node worker-1 status is now: NodeHasInsufficientMemory") in node_events
    assert sim.pod("guaranteed")["status"]["phase"] == "Running"  # Guaranteed, within its request: kept
    evicted = [p for p in sim.api.list("pods", "default")["items"] if (p["status"].get("reason") == "Evicted")]
    first = min(evicted, key=lambda p: p["metadata"]["creationTimestamp"])
    assert first["status"]["phase"] == "Failed"
    assert re.fullmatch(r"The node was low on resource: memory\. Threshold quantity: 100Mi, available: 9\dMi\. "
                        r"Container nginx was using 4Mi, request is 0, has larger consumption of memory\. ",
                        first["status"]["message"])
    target = next(c for c in first["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (target["reason"], target["message"]) == ("TerminationByKubelet", first["status"]["message"])
    assert ("Evicted", first["status"]["message"], "") in sim.events(first["metadata"]["name"])
    running = [p for p in sim.api.list("pods", "default")["items"]
               if p["metadata"]["name"].startswith("web-") and p["status"].get("phase") == "Running"]
    assert running == []  # replacements cannot land on worker-1 (tainted, or rejected by the kubelet)
    for pod in evicted:  # any replacement the scheduler placed before the taint was refused at admission
        assert pod["status"]["message"].startswith("The node was low on resource: memory.") or \
            pod["status"]["message"] == "Pod was rejected: The node had condition: [MemoryPressure]. "
    sim.ok("fault node worker-1 heal")
    sim.wait(330)  # the kubelet keeps MemoryPressure for its 5-minute transition period
    node = sim.api.get("nodes", None, "worker-1")
    assert next(c for c in node["status"]["conditions"] if c["type"] == "MemoryPressure")["status"] == "False"
    assert not node["spec"].get("taints")
    assert len([p for p in sim.api.list("pods", "default")["items"]
                if p["metadata"]["name"].startswith("web-") and p["status"].get("phase") == "Running"]) == 2


# -- the DaemonSet example ----------------------------------------------------------------------------------------
def test_the_fluentd_daemonset_example_keeps_running_as_an_agent(sim: Sim) -> None:
    sim.apply("""
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      containers:
      - name: fluentd-elasticsearch
        image: quay.io/fluentd_elasticsearch/fluentd:v2.5.2
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
        volumeMounts:
        - name: varlog
          mountPath: /var/log
      terminationGracePeriodSeconds: 30
      volumes:
      - name: varlog
        hostPath:
          path: /var/log
""")
    sim.wait(60)
    rows = [line.split() for line in sim.ok("get pods -n kube-system --no-headers").splitlines()
            if line.startswith("fluentd-elasticsearch-")]
    assert rows and all(row[1:4] == ["1/1", "Running", "0"] for row in rows)
