"""The kubelet's container lifecycle, played with the documentation's own examples on the virtual clock.

Init containers (kubernetes.io/docs/concepts/workloads/pods/init-containers), sidecars
(…/pods/sidecar-containers), startup and readiness probes (…/configure-liveness-readiness-startup-probes)
and the Indexed Job. Every component runs (a ClusterDriver in fast-forward that keeps running
between looks, as a server would); what is asserted is what a user sees: `kubectl get` STATUS,
events, conditions, logs. What the kubelet gives a pod and takes back (ConfigMaps, memory, node
pressure) is tests/test_kubelet_resources.py's.
"""

from __future__ import annotations

import pytest

from cluster.container import stdin
from cluster.container.pods import node_data
from cluster.kubelet_logs import Follower, LogOptions
from cluster.models import Cluster
from tests.workload_sim import KubectlSim


@pytest.fixture
def sim(cluster: Cluster) -> KubectlSim:
    return KubectlSim(cluster)


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


def test_the_init_container_example_waits_for_its_services_one_after_the_other(sim: KubectlSim) -> None:
    sim.apply(MYAPP)
    sim.wait(10)
    assert sim.ok("get pods").splitlines()[1].split()[:4] == ["myapp-pod", "0/1", "Init:0/2", "0"]
    initialized = sim.condition("myapp-pod", "Initialized")
    assert (initialized["status"], initialized["reason"], initialized["message"]) == (
        "False",
        "ContainersNotInitialized",
        "containers with incomplete status: [init-myservice init-mydb]",
    )
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
        f"{sim.api.get('services', 'default', 'myservice')['spec']['clusterIP']} myservice.default.svc.cluster.local\n"
    )

    sim.apply(SERVICE.format(name="mydb", port=9377))
    sim.wait(5)
    assert sim.ok("get pods").splitlines()[1].split()[:4] == ["myapp-pod", "1/1", "Running", "0"]
    assert sim.condition("myapp-pod", "Initialized")["status"] == "True"
    assert [s["state"]["terminated"]["reason"] for s in sim.pod("myapp-pod")["status"]["initContainerStatuses"]] == [
        "Completed",
        "Completed",
    ]
    code, out, err = sim.run("logs myapp-pod")
    assert (out, err) == (
        "The app is running!\n",
        'Defaulted container "myapp-container" out of: myapp-container, init-myservice (init), init-mydb (init)\n',
    )
    started = [(reason, path) for reason, _, path in sim.events("myapp-pod") if reason == "Started"]
    assert started == [
        ("Started", "spec.initContainers{init-myservice}"),
        ("Started", "spec.initContainers{init-mydb}"),
        ("Started", "spec.containers{myapp-container}"),
    ]


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


def test_a_failing_init_container_fails_the_pod_under_restart_policy_never(sim: KubectlSim) -> None:
    sim.apply(INIT_FAILS % "Never")
    sim.wait(15)
    assert sim.ok("get pod initfail --no-headers").split()[:4] == ["initfail", "0/1", "Init:Error", "0"]
    status = sim.pod("initfail")["status"]
    assert status["phase"] == "Failed"
    assert status["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 1
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert (sim.condition("initfail", "Ready")["status"], sim.condition("initfail", "Ready")["reason"]) == (
        "False",
        "PodFailed",
    )
    assert not [e for e in sim.events("initfail") if e[2] == "spec.containers{app}"]  # the app never started
    assert sim.ok("logs initfail -c setup") == "setting up\n"


def test_a_failing_init_container_is_restarted_with_back_off_under_restart_policy_always(sim: KubectlSim) -> None:
    sim.apply(INIT_FAILS % "Always")
    seen = sim.watch_status("initfail", 60)
    assert seen[:4] == ["Init:0/1", "Init:Error", "Init:CrashLoopBackOff", "Init:0/1"]
    assert "Init:CrashLoopBackOff" in seen[4:]
    status = sim.pod("initfail")["status"]
    assert status["phase"] == "Pending" and status["initContainerStatuses"][0]["restartCount"] >= 2
    assert (
        "BackOff",
        f"Back-off restarting failed container setup in pod initfail_default({sim.pod('initfail')['metadata']['uid']})",
        "spec.initContainers{setup}",
    ) in sim.events("initfail")


def test_the_pod_is_pod_initializing_while_the_app_image_is_pulled(sim: KubectlSim) -> None:
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


def test_the_indexed_job_example_reverses_the_item_its_init_container_wrote(sim: KubectlSim) -> None:
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


def test_the_sidecar_example_runs_beside_the_app_and_stops_after_it(sim: KubectlSim) -> None:
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
    assert sim.ok(f"exec {name} -c logshipper -- cat /opt/logs.txt").startswith("logging\n")  # exec reaches it
    sim.ok("delete deployment myapp")
    sim.wait(45)
    assert sim.api.list("pods", "default")["items"] == []
    killing = [e[2] for e in sim.events(name) if e[0] == "Killing"]
    assert killing == ["spec.containers{myapp}", "spec.initContainers{logshipper}"]  # the sidecar last


def test_a_sidecar_that_exits_is_restarted_while_the_app_runs_on(sim: KubectlSim) -> None:
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


def test_a_job_with_a_sidecar_completes_once_its_container_is_done(sim: KubectlSim) -> None:
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
    assert ("Killing", "Stopping container logshipper", "spec.initContainers{logshipper}") in sim.events(
        pod["metadata"]["name"]
    )
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


def test_a_startup_probe_that_runs_out_restarts_the_container(sim: KubectlSim) -> None:
    sim.apply(SLOW_START % 3)
    sim.wait(30)
    unhealthy = [m for r, m, _ in sim.events("slow") if r == "Unhealthy"]
    assert unhealthy and set(unhealthy) == {
        "Startup probe failed: cat: can't open '/tmp/started': No such file or directory\n"
    }
    assert ("Killing", "Container app failed startup probe, will be restarted", "spec.containers{app}") in sim.events(
        "slow"
    )
    assert not sim.pod("slow")["status"]["containerStatuses"][0]["started"]
    sim.wait(30)  # sh ignores SIGTERM: killed at the end of its 30 s grace period, then started again
    assert sim.pod("slow")["status"]["containerStatuses"][0]["restartCount"] == 1


def test_a_startup_probe_holds_liveness_back_until_the_app_has_started(sim: KubectlSim) -> None:
    sim.apply(SLOW_START % 10)
    sim.wait(40)
    status = sim.pod("slow")["status"]["containerStatuses"][0]
    assert (status["started"], status["ready"], status["restartCount"]) == (False, False, 0)
    assert not [m for r, m, _ in sim.events("slow") if m.startswith("Liveness")]  # liveness waits
    sim.wait(20)
    status = sim.pod("slow")["status"]["containerStatuses"][0]
    assert (status["started"], status["ready"], status["restartCount"]) == (True, True, 0)
    assert sim.status_column("slow") == "Running"


def test_readiness_turns_false_only_after_failure_threshold_failures(sim: KubectlSim) -> None:
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


# -- termination messages (…/debug-application/determine-reason-pod-failure) ------------------------------
TERMINATION_DEMO = """
apiVersion: v1
kind: Pod
metadata:
  name: termination-demo
spec:
  containers:
  - name: termination-demo-container
    image: debian
    command: ["/bin/sh"]
    args: ["-c", "sleep 10 && echo Sleep expired > /dev/termination-log"]
"""  # the documentation's example, verbatim

MESSAGE = "{.status.containerStatuses[0].lastState.terminated.message}"


def test_the_termination_demo_leaves_its_message_in_the_last_state(sim: KubectlSim) -> None:
    sim.apply(TERMINATION_DEMO)
    sim.wait(5)
    assert sim.ok(f"get pod termination-demo -o jsonpath='{MESSAGE}'") == ""  # still sleeping
    sim.wait(10)
    assert sim.ok(f"get pod termination-demo -o jsonpath='{MESSAGE}'") == "Sleep expired\n"
    # What the real kubectl v1.32 prints for it against `make run` (its tab writer's columns included).
    assert "    Last State:  Terminated\n      Reason:    Completed\n      Message:   Sleep expired\n\n" in sim.ok(
        "describe pod termination-demo"
    )


def terminated(sim: KubectlSim, name: str) -> dict:
    return sim.pod(name)["status"]["containerStatuses"][0]["state"]["terminated"]


SAYS = "for i in $(seq 1 100); do echo line $i; done; "
MESSAGES = [
    # (terminationMessagePolicy, terminationMessagePath, the command, the message)
    ("File", None, "echo bye > /dev/termination-log; exit 1", "bye\n"),
    ("File", None, SAYS + "exit 1", None),  # the log is not read under File
    ("File", "/tmp/why", "echo custom > /tmp/why", "custom\n"),
    ("File", None, "printf '%5000s' x > /dev/termination-log", " " * 4095 + "x"),  # its last 4 KiB
    ("FallbackToLogsOnError", None, "echo mine > /dev/termination-log; exit 3", "mine\n"),
    ("FallbackToLogsOnError", None, SAYS + "exit 0", None),  # succeeded: no fallback
    (
        "FallbackToLogsOnError",
        None,
        SAYS + "exit 2",
        "".join(f"line {i}\n" for i in range(21, 101)),  # the last 80 lines (under 2 KiB)
    ),
    (
        "FallbackToLogsOnError",
        None,
        "for i in $(seq 1 100); do echo \"line $i $(printf '%40s' .)\"; done; exit 2",
        "".join(f"line {i} {' ' * 39}.\n" for i in range(21, 101)).encode()[-2048:].decode(),  # and its last 2 KiB
    ),
]


@pytest.mark.parametrize(("policy", "path", "command", "message"), MESSAGES)
def test_a_containers_termination_message_follows_its_policy(sim: KubectlSim, policy, path, command, message) -> None:
    container = {
        "name": "c",
        "image": "busybox",
        "command": ["sh", "-c", command],
        "terminationMessagePolicy": policy,
        **({"terminationMessagePath": path} if path else {}),
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "ends"},
        "spec": {"restartPolicy": "Never", "containers": [container]},
    }
    sim.api.create("pods", "default", pod)
    sim.wait(10)
    assert terminated(sim, "ends").get("message") == message


# -- a shell reading its stdin (kubectl run -it … -- sh) -----------------------------------------------------
def test_a_shell_waiting_on_stdin_exits_with_the_status_the_attach_ended_with(sim: KubectlSim) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "shell"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "c", "image": "busybox", "command": ["sh"], "stdin": True, "tty": True}],
        },
    }
    sim.api.create("pods", "default", pod)
    sim.wait(30)
    assert sim.status_column("shell") == "Running"  # it waits for input, however long
    live = sim.pod("shell")
    record = node_data(sim.cluster, live["spec"]["nodeName"])["containers"][f"{live['metadata']['uid']}/c"]
    stdin.close(sim.cluster, record["key"], sim.api.now().timestamp(), 3)  # what the attach notes at `exit 3`
    sim.wait(2)  # the kubelet looks again within a relist period
    assert terminated(sim, "shell")["exitCode"] == 3
    assert sim.status_column("shell") == "Error"


# -- what an attach streams -----------------------------------------------------------------------------
def test_an_attach_streams_the_rest_of_a_line_as_it_is_printed_and_a_log_follower_waits_for_its_end(sim):
    sim.ok("run printer --image=busybox -- sh -c 'while sleep 1; do printf OK!; done'")
    sim.wait(5)
    options = LogOptions(container="printer", follow=True, tail_lines=0)
    attach = Follower(sim.api, "default", "printer", options, raw=True)
    follow = Follower(sim.api, "default", "printer", LogOptions(container="printer", follow=True))
    assert attach.first() == ""  # what was printed before the attach is not shown
    assert follow.first().startswith("OK!OK!")
    sim.wait(3)
    attach.api = follow.api = sim.api  # the clock stood still for the first reads' API client: a later request
    assert attach.poll() == "OK!OK!OK!"
    assert follow.poll() == ""  # containerd writes the log line when it ends
    sim.wait(1)
    attach.api = sim.api
    assert attach.poll() == "OK!"


# -- a process that execs another -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "run",
    [
        "run p --image=busybox --restart=Never -- sh -c 'echo hi; exec sleep 30'",
        "run p --image=redis:7 --restart=Never -- sleep 30",  # docker-entrypoint.sh execs its arguments
        "run p --image=curlimages/curl --restart=Never -- sleep 30",  # so does curl's entrypoint.sh
    ],
)
def test_a_process_an_exec_became_runs_its_time_before_it_exits(sim, run):
    sim.ok(run)
    sim.wait(25)
    assert sim.status_column("p") == "Running"
    sim.wait(10)
    assert sim.status_column("p") == "Completed"
