"""Helpers for the Job, CronJob, DaemonSet and StatefulSet tests: manifests in, the whole cluster run.

Unlike tests/workloads.py, which drives one controller's `reconcile` at a time,
these run every component (controllers, scheduler, kubelets) with the
reconciler's driver in fast-forward on the cluster's virtual clock, as
`manage.py simulate` does, and read the outcome through the API server and the
in-process kubectl. `Sim` creates manifests through the API server and fast-forwards with `run`;
`KubectlSim`, for the kubelet's lifecycle and the documentation's tasks, does everything through
kubectl and fast-forwards with `wait`.
"""

from __future__ import annotations

import io
import shlex

import yaml

from cluster import clock
from cluster.apiserver.resources import by_kind
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.models import Cluster
from cluster.reconciler.driver import ClusterDriver


def job(name: str, command: str, restart: str = "Never", **spec: object) -> str:
    """A Job of one busybox container running `command` in sh -c, with `spec` fields above its template."""
    extra = "".join(f"  {key}: {value}\n" for key, value in spec.items())
    return f"""
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
spec:
{extra}  template:
    spec:
      containers:
      - name: main
        image: busybox:1.36
        command: ["sh", "-c", "{command}"]
      restartPolicy: {restart}
"""


# https://kubernetes.io/examples/application/web/web.yaml (the StatefulSet Basics tutorial)
WEB = """
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: "nginx"
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.24
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
"""

# https://kubernetes.io/examples/controllers/daemonset.yaml
FLUENTD = """
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
      tolerations:
      # these tolerations are to have the daemonset runnable on control plane nodes
      # remove them if your control plane nodes should not run pods
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
      - key: node-role.kubernetes.io/master
        operator: Exists
        effect: NoSchedule
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
      # it may be desirable to set a high priority class to ensure that a DaemonSet Pod
      # preempts running Pods
      # priorityClassName: important
      terminationGracePeriodSeconds: 30
      volumes:
      - name: varlog
        hostPath:
          path: /var/log
"""


class Driven:
    """One frozen-clock cluster, its driver, and the in-process kubectl against it."""

    def __init__(self, cluster: Cluster) -> None:
        clock.set_speed(cluster, 0.0)
        self.cluster = Cluster.objects.get(pk=cluster.pk)
        self.driver = ClusterDriver(self.cluster)

    def kubectl(self, line: str, stdin: str = "") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        api = APIServer(Cluster.objects.get(pk=self.cluster.pk), client="kubectl")
        code = cli.run(api, shlex.split(line), io.StringIO(stdin), out, err)
        return code, out.getvalue(), err.getvalue()

    def ok(self, line: str, stdin: str = "") -> str:
        code, out, err = self.kubectl(line, stdin)
        assert code == 0, err
        return out


class Sim(Driven):
    """The workload tests' cluster: manifests created through the API server, fast-forwarded by `run`."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster)
        self.api = APIServer(self.cluster, client="test")

    def run(self, seconds: float) -> None:
        """Fast-forward the whole cluster by `seconds` of virtual time."""
        self.driver.fast_forward(seconds=seconds)

    def apply(self, text: str) -> list[dict]:
        """Create every document of a manifest through the API server."""
        created = []
        for doc in yaml.safe_load_all(text):
            rt = by_kind(doc["apiVersion"], doc["kind"])
            namespace = doc["metadata"].get("namespace", "default") if rt.namespaced else None
            created.append(self.api.create(rt, namespace, doc))
        return created

    def get(self, resource: str, name: str, namespace: str = "default") -> dict:
        return self.api.get(resource, namespace, name)

    def pods(self, namespace: str = "default", prefix: str = "") -> list[dict]:
        items = self.api.list("pods", namespace)["items"]
        return sorted(
            (p for p in items if p["metadata"]["name"].startswith(prefix)), key=lambda p: p["metadata"]["name"]
        )

    def events(self, kind: str, namespace: str = "default") -> list[tuple[str, str, str]]:
        """(type, reason, message) of the Events about objects of `kind`, oldest first."""
        items = self.api.list("events", namespace)["items"]
        items = [e for e in items if (e.get("involvedObject") or {}).get("kind") == kind]
        items.sort(key=lambda e: (e.get("firstTimestamp") or "", int(e["metadata"]["resourceVersion"])))
        return [(e["type"], e["reason"], e["message"]) for e in items]

    def rows(self, line: str) -> list[list[str]]:
        """`kubectl get …` output as split rows, without the header."""
        return [row.split() for row in self.ok(line).splitlines()[1:]]


def conditions(obj: dict) -> list[tuple[str, str, str]]:
    return [(c["type"], c["status"], c.get("reason", "")) for c in (obj.get("status") or {}).get("conditions") or []]


def labels(obj: dict) -> dict:
    return obj["metadata"].get("labels") or {}


class KubectlSim(Driven):
    """A cluster that keeps running between looks (`wait`), driven and read through kubectl as a user would."""

    @property
    def api(self) -> APIServer:
        return APIServer(Cluster.objects.get(pk=self.cluster.pk), client="kubectl")

    def wait(self, seconds: float) -> None:
        self.driver.fast_forward(seconds=seconds)

    def run(self, line: str, stdin: str = "") -> tuple[int, str, str]:
        return self.kubectl(line, stdin)

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
