"""Containers that behave like their images: the documentation's examples, played on the virtual clock.

Each test applies a manifest with the in-process kubectl, fast-forwards the cluster
(`manage.py simulate`) and looks at what a user would: `kubectl get`, events, `kubectl logs`,
`kubectl exec`.
"""

from __future__ import annotations

import json

import pytest

from cluster.models import Cluster
from tests.test_volume_storage_page import TWO_CONTAINERS
from tests.container_sim import Sim, frozen


@pytest.fixture
def sim(cluster: Cluster) -> Sim:
    return frozen(cluster)


LIVENESS_EXEC = """
apiVersion: v1
kind: Pod
metadata:
  labels:
    test: liveness
  name: liveness-exec
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/busybox:1.27.2
    args:
    - /bin/sh
    - -c
    - touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600
    livenessProbe:
      exec:
        command:
        - cat
        - /tmp/healthy
      initialDelaySeconds: 5
      periodSeconds: 5
"""


def test_the_liveness_exec_task_fails_three_probes_then_restarts_the_container(sim: Sim) -> None:
    sim.apply(LIVENESS_EXEC)
    sim.wait(25)
    assert not [e for e in sim.events("liveness-exec") if e[0] == "Unhealthy"]  # the file is there
    assert sim.ok("exec", "liveness-exec", "--", "cat", "/tmp/healthy") == ""
    sim.wait(25)
    unhealthy = [e for e in sim.events("liveness-exec") if e[0] == "Unhealthy"]
    assert unhealthy == [
        ("Unhealthy", "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n", 3)
    ]
    assert ("Killing", "Container liveness failed liveness probe, will be restarted", 1) in sim.events("liveness-exec")
    assert sim.container("liveness-exec")["restartCount"] == 0  # sh as PID 1 ignores SIGTERM: 30 s of grace
    sim.wait(40)
    status = sim.container("liveness-exec")
    assert status["restartCount"] == 1 and "running" in status["state"]
    assert status["lastState"]["terminated"]["exitCode"] == 137  # SIGKILL at the end of the grace period
    assert sim.ok("exec", "liveness-exec", "--", "cat", "/tmp/healthy") == ""  # a new container, a new file


def test_an_exec_that_puts_the_file_back_keeps_the_container_alive(sim: Sim) -> None:
    sim.apply(LIVENESS_EXEC)
    sim.wait(33)
    code, _, err = sim.run("exec", "liveness-exec", "--", "cat", "/tmp/healthy")
    assert code == 1 and err == (
        "cat: can't open '/tmp/healthy': No such file or directory\ncommand terminated with exit code 1\n"
    )
    sim.ok("exec", "liveness-exec", "--", "touch", "/tmp/healthy")
    sim.wait(30)
    assert not [e for e in sim.events("liveness-exec") if e[0] == "Killing"]
    assert sim.container("liveness-exec")["restartCount"] == 0


def test_the_liveness_http_task_kills_agnhost_after_its_ten_healthy_seconds(sim: Sim) -> None:
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: liveness-http, labels: {test: liveness}}
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/e2e-test-images/agnhost:2.40
    args: [liveness]
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
        httpHeaders: [{name: Custom-Header, value: Awesome}]
      initialDelaySeconds: 3
      periodSeconds: 3
""")
    sim.wait(30)
    events = sim.events("liveness-http")
    assert ("Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500", 3) in events
    assert ("Killing", "Container liveness failed liveness probe, will be restarted", 1) in events
    assert sim.container("liveness-http")["restartCount"] == 1  # agnhost exits on SIGTERM at once


REDIS = """
apiVersion: v1
kind: Pod
metadata:
  name: redis
spec:
  containers:
  - name: redis
    image: redis:5.0.4
    command:
      - redis-server
      - "/redis-master/redis.conf"
    env:
    - name: MASTER
      value: "true"
    ports:
    - containerPort: 6379
    resources:
      limits:
        cpu: "0.1"
    volumeMounts:
    - mountPath: /redis-master-data
      name: data
    - mountPath: /redis-master
      name: config
  volumes:
    - name: data
      emptyDir: {}
    - name: config
      configMap:
        name: example-redis-config
        items:
        - key: redis-config
          path: redis.conf
"""


def test_the_redis_example_runs_with_its_config_file_from_a_configmap(sim: Sim) -> None:
    sim.apply("""
apiVersion: v1
kind: ConfigMap
metadata:
  name: example-redis-config
data:
  redis-config: ""
""")
    sim.apply(REDIS)
    sim.wait(60)
    assert sim.status_column("redis") == "Running" and sim.container("redis")["restartCount"] == 0
    log = sim.ok("logs", "redis")
    assert "Redis version=5.0.4" in log and "Configuration loaded" in log and "Ready to accept connections" in log
    assert "no config file specified" not in log
    assert sim.ok("exec", "redis", "--", "ls", "/redis-master") == "redis.conf\n"
    code, _, err = sim.run("exec", "redis", "--", "sh", "-c", "echo x > /redis-master/redis.conf")
    assert code == 2 and "Read-only file system" in err


def test_the_redis_pod_waits_for_its_configmap_with_failed_mount_events(sim: Sim) -> None:
    sim.apply(REDIS)
    sim.wait(20)
    assert sim.status_column("redis") == "ContainerCreating"
    assert (
        "FailedMount",
        'MountVolume.SetUp failed for volume "config" : configmap "example-redis-config" not found',
    ) in [e[:2] for e in sim.events("redis")]
    sim.apply(
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "example-redis-config"}, '
        '"data": {"redis-config": "maxmemory 2mb\\n"}}'
    )
    sim.wait(150)
    assert sim.status_column("redis") == "Running"
    assert sim.ok("exec", "redis", "--", "cat", "/redis-master/redis.conf") == "maxmemory 2mb\n"


def test_redis_with_a_config_path_that_does_not_exist_crash_loops_saying_why(sim: Sim) -> None:
    sim.ok("run", "redis", "--image=redis:7.4", "--", "redis-server", "/redis-master/redis.conf")
    sim.wait(30)
    assert sim.status_column("redis") == "CrashLoopBackOff"
    assert sim.ok("logs", "redis").endswith(
        "# Fatal error, can't open config file '/redis-master/redis.conf': No such file or directory\n"
    )
    assert sim.container("redis")["lastState"]["terminated"]["exitCode"] == 1


def test_the_nginx_1_161_typo_cannot_be_pulled_and_backs_off(sim: Sim) -> None:
    sim.ok("create", "deployment", "nginx-deployment", "--image=nginx:1.161")
    sim.wait(5)
    pod = sim.api.list("pods", "default")["items"][0]["metadata"]["name"]
    message = (
        'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.161": '
        'failed to resolve reference "docker.io/library/nginx:1.161": docker.io/library/nginx:1.161: not found'
    )
    assert sim.status_column(pod) == "ImagePullBackOff"
    reasons = [e[:2] for e in sim.events(pod)]
    assert ("Failed", f'Failed to pull image "nginx:1.161": {message}') in reasons
    assert ("Failed", "Error: ErrImagePull") in reasons and ("Failed", "Error: ImagePullBackOff") in reasons
    code, _, err = sim.run("logs", pod)
    assert (code, err) == (
        1,
        f'Error from server (BadRequest): container "nginx" in pod "{pod}" is waiting to '
        f"start: trying and failing to pull image\n",
    )
    sim.ok("set", "image", "deployment/nginx-deployment", "nginx=nginx:1.16.1")
    sim.wait(30)
    assert [row.split()[2] for row in sim.ok("get", "pods").splitlines()[1:]] == ["Running"]


def test_a_misspelt_repository_is_refused_by_docker_hub_and_an_unknown_one_runs(sim: Sim) -> None:
    sim.ok("run", "typo", "--image=ngnix:1.27")
    sim.ok("run", "mine", "--image=ghcr.io/example/shop:v3")
    sim.wait(5)
    assert (
        "Failed",
        'Failed to pull image "ngnix:1.27": rpc error: code = Unknown desc = failed to pull and unpack '
        'image "docker.io/library/ngnix:1.27": failed to resolve reference "docker.io/library/ngnix:1.27": pull '
        "access denied, repository does not exist or may require authorization: server message: "
        "insufficient_scope: authorization failed",
    ) in [e[:2] for e in sim.events("typo")]
    assert sim.status_column("mine") == "Running"
    sim.ok("fault", "image", "ghcr.io/example/shop", "missing")
    sim.ok("run", "mine2", "--image=ghcr.io/example/shop:v3")
    sim.wait(5)
    assert sim.status_column("mine2") in ("ErrImagePull", "ImagePullBackOff")


def test_a_one_shot_busybox_pod_ends_in_error_with_its_exit_code_and_log(sim: Sim) -> None:
    sim.ok("run", "oneshot", "--image=busybox:1.36", "--restart=Never", "--", "sh", "-c", "echo hi; exit 3")
    sim.wait(10)
    assert sim.pod("oneshot")["status"]["phase"] == "Failed"
    assert sim.status_column("oneshot") == "Error"
    terminated = sim.container("oneshot")["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (3, "Error")
    assert sim.ok("logs", "oneshot") == "hi\n"


def test_the_job_example_computes_pi_to_2000_digits(sim: Sim) -> None:
    sim.ok(
        "run", "pi", "--image=perl:5.34.0", "--restart=Never", "--", "perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"
    )
    sim.wait(60)
    assert sim.status_column("pi") == "Completed"
    digits = sim.ok("logs", "pi")
    assert digits.startswith("3.14159265358979323846264338327950288419716939937510582097494459230781640628")
    assert len(digits.strip()) == 2001 and digits.strip().endswith("59958133904780275901")  # rounded up: …2759009…


def test_logs_previous_shows_the_container_before_the_restart(sim: Sim) -> None:
    sim.ok(
        "run",
        "counter",
        "--image=busybox:1.36",
        "--",
        "sh",
        "-c",
        'echo "run started"; i=0; while [ $i -lt 3 ]; do echo "tick $i"; i=$((i+1)); sleep 1; done; exit 2',
    )
    sim.wait(3)
    code, _, err = sim.run("logs", "counter", "--previous")
    assert (code, err) == (
        1,
        'Error from server (BadRequest): previous terminated container "counter" in pod "counter" not found\n',
    )
    sim.wait(15)
    assert sim.container("counter")["restartCount"] >= 1
    previous = sim.ok("logs", "counter", "-p")
    assert previous == "run started\ntick 0\ntick 1\ntick 2\n"
    stamped = sim.ok("logs", "counter", "-p", "--timestamps").splitlines()
    assert stamped[0].endswith("Z run started") and len(stamped[0].split()[0]) == len("2006-01-02T15:04:05.000000000Z")


def test_the_logging_example_counts_on_the_virtual_clock(sim: Sim) -> None:
    sim.apply("""
apiVersion: v1
kind: Pod
metadata:
  name: counter
spec:
  containers:
  - name: count
    image: busybox:1.28
    args: [/bin/sh, -c,
            'i=0; while true; do echo "$i: $(date)"; i=$((i+1)); sleep 1; done']
""")
    sim.wait(30)
    lines = sim.ok("logs", "counter").splitlines()
    assert lines[0].startswith("0: ") and lines[0].endswith(" UTC " + lines[0].split()[-1])
    assert len(lines) >= 25 and [int(line.split(":")[0]) for line in lines] == list(range(len(lines)))
    assert sim.ok("logs", "counter", "--tail=2").splitlines() == lines[-2:]
    assert len(sim.ok("logs", "counter", "--since=5s").splitlines()) in (5, 6)
    assert sim.ok("logs", "counter", "--limit-bytes=6") == lines[0][:6]


def test_an_emptydir_is_shared_by_two_containers(sim: Sim) -> None:
    sim.apply(TWO_CONTAINERS)
    sim.wait(30)
    statuses = {s["name"]: s for s in sim.pod("two-containers")["status"]["containerStatuses"]}
    assert statuses["debian-container"]["state"]["terminated"]["reason"] == "Completed"
    assert "running" in statuses["nginx-container"]["state"]
    code, out, err = sim.run("exec", "two-containers", "-c", "nginx-container", "--", "curl", "-s", "localhost")
    assert (code, out) == (0, "Hello from the debian container\n")
    log = sim.ok("logs", "two-containers", "-c", "nginx-container", "--tail=1")
    assert '"GET / HTTP/1.1" 200 32 "-" "curl/8.11.1" "-"' in log


def test_a_sidecar_follows_what_the_app_appends_to_a_shared_file(sim: Sim) -> None:
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: myapp}
spec:
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: myapp
    image: alpine:latest
    command: ['sh', '-c', 'while true; do echo "logging" >> /opt/logs.txt; sleep 1; done']
    volumeMounts: [{name: data, mountPath: /opt}]
  - name: logshipper
    image: alpine:latest
    command: ['sh', '-c', 'tail -F /opt/logs.txt']
    volumeMounts: [{name: data, mountPath: /opt}]
""")
    sim.wait(20)
    shipped = sim.ok("logs", "myapp", "-c", "logshipper").splitlines()
    assert len(shipped) >= 15 and set(shipped) == {"logging"}
    code, _, err = sim.run("logs", "myapp")
    assert code == 0 and err == 'Defaulted container "myapp" out of: myapp, logshipper\n'


def test_a_persistent_volumes_files_outlive_the_pod(sim: Sim) -> None:
    sim.apply("""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
  containers:
  - name: app
    image: busybox:1.36
    command: ['sh', '-c', 'date > /data/first-run; sleep 3600']
    volumeMounts: [{name: data, mountPath: /data}]
""")
    sim.wait(30)
    first = sim.ok("exec", "writer", "--", "cat", "/data/first-run")
    sim.ok("exec", "writer", "--", "sh", "-c", "echo kept > /data/note")
    sim.ok("delete", "pod", "writer", "--grace-period=0", "--force")
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
  containers:
  - name: app
    image: busybox:1.36
    command: ['sleep', '3600']
    volumeMounts: [{name: data, mountPath: /data}]
""")
    sim.wait(30)
    assert sim.ok("exec", "reader", "--", "cat", "/data/note") == "kept\n"
    assert sim.ok("exec", "reader", "--", "cat", "/data/first-run") == first
    assert sim.run("exec", "reader", "--", "cat", "/tmp/anything")[0] == 1


def test_postgres_without_a_password_refuses_to_start(sim: Sim) -> None:
    sim.ok("run", "db", "--image=postgres:17")
    sim.wait(40)
    assert sim.status_column("db") == "CrashLoopBackOff"
    assert sim.ok("logs", "db").startswith(
        "Error: Database is uninitialized and superuser password is not specified.\n"
    )
    sim.ok("run", "db2", "--image=postgres:17", "--env=POSTGRES_PASSWORD=secret")
    sim.wait(40)
    assert sim.status_column("db2") == "Running"


def test_a_command_the_image_does_not_have_is_a_start_error(sim: Sim) -> None:
    sim.ok("run", "oops", "--image=nginx:1.27", "--command", "--", "ngnix", "-g", "daemon off;")
    sim.wait(20)
    status = sim.container("oops")
    terminated = status["lastState"]["terminated"] if "waiting" in status["state"] else status["state"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("StartError", 128)
    assert terminated["message"].endswith('exec: "ngnix": executable file not found in $PATH: unknown')
    assert sim.status_column("oops") in ("CrashLoopBackOff", "StartError", "RunContainerError")


def test_a_memory_hog_over_its_limit_is_oom_killed(sim: Sim) -> None:
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: memory-demo-2}
spec:
  containers:
  - name: memory-demo-2-ctr
    image: polinux/stress
    resources:
      requests: {memory: "50Mi"}
      limits: {memory: "100Mi"}
    command: ["stress"]
    args: ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]
""")
    sim.wait(20)
    last = sim.container("memory-demo-2")
    terminated = last["lastState"].get("terminated") or last["state"].get("terminated")
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)


# The documentation's "Assign Memory Resources" and "Assign CPU Resources" pods, as `kubectl top` shows them
# (the pages show ~155Mi and ~1 CPU: the hog's bytes plus the process, and two cores throttled at the limit).
STRESS_PODS = [
    (
        "polinux/stress",
        '["stress"]',
        '["--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1"]',
        '{requests: {memory: "100Mi"}, limits: {memory: "200Mi"}}',
        ("1m", "154Mi"),
    ),
    (
        "vish/stress",
        "[]",
        '["-cpus", "2"]',
        '{requests: {cpu: "0.5"}, limits: {cpu: "1"}}',
        ("1000m", "4Mi"),
    ),
    ("polinux/stress", '["stress"]', '["--cpu", "2"]', "{}", ("2000m", "4Mi")),  # no limit: two whole cores
]


@pytest.mark.parametrize(("image", "command", "args", "resources", "shown"), STRESS_PODS)
def test_kubectl_top_shows_what_a_stress_hog_burns_and_holds(
    sim: Sim, image: str, command: str, args: str, resources: str, shown: tuple[str, str]
) -> None:
    sim.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: hog}}
spec:
  containers:
  - name: hog
    image: {image}
    command: {command}
    args: {args}
    resources: {resources}
""")
    sim.wait(30)  # metrics-server reports a pod after one resolution (15 s)
    assert tuple(sim.ok("top", "pod", "hog", "--no-headers").split()[1:]) == shown


@pytest.mark.parametrize(
    "args, reason",
    [
        (["-cpus", "2"], None),  # the documentation's "Assign CPU Resources" pod: it runs
        (["-mem-total", "150Mi", "-mem-alloc-size", "10Mi"], "OOMKilled"),  # more than its 100Mi limit
        (["-mem-total", "50Mi"], None),
    ],
)
def test_vish_stress_reads_its_go_flags(sim: Sim, args: list[str], reason: str | None) -> None:
    sim.apply(f"""
apiVersion: v1
kind: Pod
metadata: {{name: vish}}
spec:
  containers:
  - name: ctr
    image: vish/stress
    resources:
      limits: {{memory: "100Mi"}}
    args: {json.dumps(args + ["-logtostderr"])}
""")
    sim.wait(20)
    status = sim.container("vish")
    terminated = status["lastState"].get("terminated") or status["state"].get("terminated")
    if reason is None:
        assert "running" in status["state"] and terminated is None
    else:
        assert (terminated["reason"], terminated["exitCode"]) == (reason, 137)


def test_ls_r_lists_each_directory_under_its_name_depth_first(sim: Sim) -> None:
    """GNU ls -R, compared with the host's own coreutils: a header for every directory, the given name kept."""
    sim.ok("run", "files", "--image=nginx")
    sim.wait(15)
    sim.ok("exec", "files", "--", "sh", "-c", "mkdir -p /tmp/x/sub/deeper; touch /tmp/x/a /tmp/x/sub/b")
    assert sim.ok("exec", "files", "--", "ls", "-R", "/tmp/x") == (
        "/tmp/x:\na\nsub\n\n/tmp/x/sub:\nb\ndeeper\n\n/tmp/x/sub/deeper:\n"
    )
    assert sim.ok("exec", "files", "--", "ls", "-aR", "/tmp/x/sub/") == (
        "/tmp/x/sub/:\n.\n..\nb\ndeeper\n\n/tmp/x/sub/deeper:\n.\n..\n"
    )


def test_a_path_runs_deep_up_to_linuxs_limit_and_no_further(sim: Sim) -> None:
    """mkdir -p and ls -R walk a path two thousand directories deep without recursion; past PATH_MAX (4096 bytes)
    the kernel refuses, and so does the simulation: nobody's exec can make paths without end."""
    sim.ok("run", "deep", "--image=busybox:1.36", "--", "sleep", "1d")
    sim.wait(15)
    make = "p=/tmp/d; i=0; while [ $i -lt {n} ]; do p=$p/a; i=$((i+1)); done; mkdir -p $p"
    sim.ok("exec", "deep", "--", "sh", "-c", make.format(n=2000))  # 4,006 bytes: still a path
    assert sim.ok("exec", "deep", "--", "sh", "-c", "ls -R /tmp/d | grep -c :").strip() == "2001"
    code, _, err = sim.run("exec", "deep", "--", "sh", "-c", make.format(n=2100))
    assert code == 1 and err.rstrip().endswith("File name too long\ncommand terminated with exit code 1")
