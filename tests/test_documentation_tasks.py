"""More of the documentation's tasks, as their pages show them settling (our own copies of the manifests).

- Configure Liveness, Readiness and Startup Probes, "Define a TCP liveness probe"
  (pods/probe/tcp-liveness-readiness.yaml): goproxy turns ready after the readiness
  probe's initial delay and is never restarted;
- Distribute Credentials Securely Using Secrets (pods/inject/secret-pod.yaml and
  pods/inject/pod-single-secret-env-variable.yaml): the Secret's keys are files of the
  volume, and a secretKeyRef is the variable's value;
- Define a Command and Arguments for a Container (pods/commands.yaml): printenv prints the Service links;
- Expose Pod Information to Containers Through Files (pods/inject/dapi-volume.yaml): labels and
  annotations as `key="value"` lines, the value Go-quoted;
- Get a Shell to a Running Container (application/shell-demo.yaml): nginx serves the page an exec
  writes, already within the same exec;
- Attach Handlers to Container Lifecycle Events is tests/test_lifecycle_hooks.py.
"""

from __future__ import annotations

import pytest

from cluster.models import Cluster
from tests.workload_sim import WEB, KubectlSim

TCP_LIVENESS_READINESS = """
apiVersion: v1
kind: Pod
metadata:
  name: goproxy
  labels:
    app: goproxy
spec:
  containers:
  - name: goproxy
    image: registry.k8s.io/goproxy:0.1
    ports:
    - containerPort: 8080
    readinessProbe:
      tcpSocket:
        port: 8080
      initialDelaySeconds: 15
      periodSeconds: 10
    livenessProbe:
      tcpSocket:
        port: 8080
      initialDelaySeconds: 15
      periodSeconds: 10
"""

SECRET_POD = """
apiVersion: v1
kind: Secret
metadata:
  name: test-secret
data:
  username: bXktYXBw
  password: Mzk1MjgkdmRnN0pi
---
apiVersion: v1
kind: Pod
metadata:
  name: secret-test-pod
spec:
  containers:
    - name: test-container
      image: nginx
      volumeMounts:
        # name must match the volume name below
        - name: secret-volume
          mountPath: /etc/secret-volume
          readOnly: true
  # The secret data is exposed to Containers in the Pod through a Volume.
  volumes:
    - name: secret-volume
      secret:
        secretName: test-secret
"""

SECRET_ENV = """
apiVersion: v1
kind: Secret
metadata:
  name: backend-user
data:
  backend-username: YmFja2VuZC1hZG1pbg==
---
apiVersion: v1
kind: Pod
metadata:
  name: env-single-secret
spec:
  containers:
  - name: envars-test-container
    image: nginx
    env:
    - name: SECRET_USERNAME
      valueFrom:
        secretKeyRef:
          name: backend-user
          key: backend-username
"""


@pytest.fixture
def sim(cluster: Cluster) -> KubectlSim:
    return KubectlSim(cluster)


def ready_column(sim: KubectlSim, name: str) -> str:
    return sim.ok(f"get pod {name} --no-headers").split()[1]


def test_the_tcp_probe_example_turns_ready_after_its_initial_delay_and_stays_up(sim):
    sim.apply(TCP_LIVENESS_READINESS)
    sim.wait(10)
    assert (sim.status_column("goproxy"), ready_column(sim, "goproxy")) == ("Running", "0/1")
    sim.wait(20)
    assert ready_column(sim, "goproxy") == "1/1"
    sim.wait(60)
    pod = sim.pod("goproxy")
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
    assert [reason for reason, _, _ in sim.events("goproxy")] == [
        "Scheduled",
        "Pulling",
        "Pulled",
        "Created",
        "Started",
    ]


@pytest.mark.parametrize(
    ("command", "output"),
    [
        ("ls /etc/secret-volume", "password\nusername\n"),
        ("cat /etc/secret-volume/username", "my-app"),
        ("cat /etc/secret-volume/password", "39528$vdg7Jb"),
    ],
)
def test_a_secret_volume_holds_a_file_per_key(sim, command, output):
    sim.apply(SECRET_POD)
    sim.wait(10)
    assert sim.ok(f"exec secret-test-pod -- {command}") == output


def test_a_secret_key_ref_is_the_variables_value(sim):
    sim.apply(SECRET_ENV)
    sim.wait(10)
    assert sim.ok("exec env-single-secret -- printenv SECRET_USERNAME") == "backend-admin\n"


# -- Get a Shell to a Running Container (application/shell-demo.yaml) ------------------------------------
SHELL_DEMO = """
apiVersion: v1
kind: Pod
metadata:
  name: shell-demo
spec:
  volumes:
  - name: shared-data
    emptyDir: {}
  containers:
  - name: nginx
    image: nginx
    volumeMounts:
    - name: shared-data
      mountPath: /usr/share/nginx/html
  hostNetwork: true
  dnsPolicy: Default
"""


def test_the_shell_demo_serves_the_page_written_in_it(sim):
    sim.apply(SHELL_DEMO)
    sim.wait(10)
    assert "403 Forbidden" in sim.ok("exec shell-demo -- curl -s http://localhost/")  # the emptyDir is empty
    # One exec that writes the page and asks for it: nginx reads the file the exec just wrote.
    written = "echo 'Hello shell demo' > /usr/share/nginx/html/index.html && curl -s http://localhost/"
    assert sim.ok(f'exec shell-demo -- sh -c "{written}"') == "Hello shell demo\n"
    assert sim.ok("exec shell-demo -- curl -s http://localhost/") == "Hello shell demo\n"


# -- Define a Command and Arguments for a Container (pods/commands.yaml) ------------------------------
COMMAND_DEMO = """
apiVersion: v1
kind: Pod
metadata:
  name: command-demo
  labels:
    purpose: demonstrate-command
spec:
  containers:
  - name: command-demo-container
    image: debian
    command: ["printenv"]
    args: ["HOSTNAME", "KUBERNETES_PORT"]
  restartPolicy: OnFailure
"""


def test_the_command_demo_prints_its_hostname_and_the_api_servers_port(sim):
    """printenv is not a shell, but it prints the environment: the Service links must be in it (they were
    left out for every process but a shell, and printenv exited 1 into CrashLoopBackOff)."""
    sim.apply(COMMAND_DEMO)
    sim.wait(10)
    assert sim.ok("logs command-demo") == "command-demo\ntcp://10.96.0.1:443\n"
    assert sim.status_column("command-demo") == "Completed"


# -- Expose Pod Information to Containers Through Files (pods/inject/dapi-volume.yaml) ------------------
DAPI_VOLUME = """
apiVersion: v1
kind: Pod
metadata:
  name: kubernetes-downwardapi-volume-example
  labels:
    zone: us-est-coast
    cluster: test-cluster1
    rack: rack-22
  annotations:
    build: two
    builder: john-doe
    note: 'say "hi"'
spec:
  containers:
    - name: client-container
      image: registry.k8s.io/busybox
      command: ["sh", "-c"]
      args:
      - while true; do
          if [[ -e /etc/podinfo/labels ]]; then
            echo -en '\\n\\n'; cat /etc/podinfo/labels; fi;
          sleep 5;
        done;
      volumeMounts:
        - name: podinfo
          mountPath: /etc/podinfo
  volumes:
    - name: podinfo
      downwardAPI:
        items:
          - path: "labels"
            fieldRef:
              fieldPath: metadata.labels
          - path: "annotations"
            fieldRef:
              fieldPath: metadata.annotations
"""


def test_the_downward_api_volume_writes_labels_and_annotations_as_key_and_quoted_value(sim):
    """fieldpath.FormatMap: one `key="value"` a line, keys in order, the value Go-quoted (%q): a quote in
    it is escaped, and so is the newline at the end of kubectl apply's last-applied annotation."""
    sim.apply(DAPI_VOLUME)
    sim.wait(10)
    assert sim.ok("exec kubernetes-downwardapi-volume-example -- cat /etc/podinfo/labels") == (
        'cluster="test-cluster1"\nrack="rack-22"\nzone="us-est-coast"'
    )
    annotations = sim.ok("exec kubernetes-downwardapi-volume-example -- cat /etc/podinfo/annotations").split("\n")
    assert annotations[:2] == ['build="two"', 'builder="john-doe"']
    applied = next(a for a in annotations if a.startswith("kubectl.kubernetes.io/last-applied-configuration="))
    assert applied.startswith('kubectl.kubernetes.io/last-applied-configuration="{\\"apiVersion\\":\\"v1\\",')
    assert applied.endswith('}\\n"')
    assert annotations[-1] == 'note="say \\"hi\\""'
    # The kubelet's own copy of the pod carries its config source and when it first saw the pod.
    started = sim.pod("kubernetes-downwardapi-volume-example")["status"]["startTime"]
    assert annotations[-3:-1] == [f'kubernetes.io/config.seen="{started}"', 'kubernetes.io/config.source="api"']


# -- StatefulSet Basics (application/web/web.yaml) ----------------------------------------------------


def test_each_web_pod_serves_its_own_hostname_from_its_volume(sim):
    sim.apply(WEB)
    sim.wait(60)
    for i in (0, 1):
        sim.ok(f"exec web-{i} -- sh -c 'echo \"$(hostname)\" > /usr/share/nginx/html/index.html'")
    assert [sim.ok(f"exec web-{i} -- curl http://localhost/") for i in (0, 1)] == ["web-0\n", "web-1\n"]
