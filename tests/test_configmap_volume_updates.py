"""Mounted ConfigMaps and Secrets follow their changes, as the documentation teaches.

- Tutorial "Updating Configuration via a ConfigMap" (deployment-with-configmap-as-volume.yaml): the
  Deployment's pods print `My preferred sport is football`, the ConfigMap is changed to cricket and
  within the kubelet's sync period (1 minute) the pods print cricket — no restart;
- the same tutorial's environment variable (deployment-with-configmap-as-envvar.yaml's FRUITS) and
  "Configure a Pod to Use a ConfigMap": a variable from a ConfigMap keeps the value it had when the
  container started while the same key mounted as a file changes; "A container using a ConfigMap as a
  subPath volume mount will not receive ConfigMap updates" (until it is started again);
- "Immutable ConfigMaps": the kubelet stops watching one, so even deleted and created again its files
  stay as they were, while a mutable one deleted and created again is followed;
- a ConfigMap deleted under a running pod: the files keep their last content and each remount fails with
  a FailedMount event, as on a real node;
- a projected volume's Secret and downward API labels follow too, the service account token stays;
- what it costs: a pod with only the kube-api-access volume is never projected again, and a pod whose
  ConfigMap did not change costs no write.
"""

from __future__ import annotations

import pytest

from cluster import kubelet_volumes
from cluster.container import projection
from cluster.models import Cluster
from tests.workload_sim import KubectlSim

# https://kubernetes.io/examples/deployments/deployment-with-configmap-as-volume.yaml
CONFIGMAP_AS_VOLUME = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: configmap-volume
  labels:
    app.kubernetes.io/name: configmap-volume
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: configmap-volume
  template:
    metadata:
      labels:
        app.kubernetes.io/name: configmap-volume
    spec:
      containers:
        - name: alpine
          image: alpine:3
          command:
            - /bin/sh
            - -c
            - while true; do echo "$(date) My preferred sport is $(cat /etc/config/sport)";
              sleep 10; done;
          ports:
            - containerPort: 80
          volumeMounts:
            - name: config-volume
              mountPath: /etc/config
      volumes:
        - name: config-volume
          configMap:
            name: sport
"""

# deployment-with-configmap-as-envvar.yaml's container, with the ConfigMap also mounted (and by subPath)
FRUITS_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: fruits
spec:
  containers:
    - name: alpine
      image: alpine:3
      command:
        - /bin/sh
        - -c
        - while true; do echo "$(date) The basket is full of $FRUITS";
          sleep 10; done;
      env:
        - name: FRUITS
          valueFrom:
            configMapKeyRef:
              key: fruits
              name: fruits
      volumeMounts:
        - name: config-volume
          mountPath: /etc/config
        - name: config-volume
          mountPath: /etc/fruits
          subPath: fruits
  volumes:
    - name: config-volume
      configMap:
        name: fruits
"""

SPORT = "create configmap sport --from-literal=sport=football"


@pytest.fixture
def sim(cluster: Cluster) -> KubectlSim:
    return KubectlSim(cluster)


def pods(sim: KubectlSim, prefix: str) -> list[str]:
    return [row.split()[0] for row in sim.ok("get pods --no-headers").splitlines() if row.startswith(prefix)]


def test_the_tutorials_pods_print_the_new_sport_within_a_sync_period_without_a_restart(sim):
    sim.ok(SPORT)
    sim.apply(CONFIGMAP_AS_VOLUME)
    sim.wait(30)
    names = pods(sim, "configmap-volume-")
    assert len(names) == 3
    assert sim.ok("logs deployments/configmap-volume --tail 1").endswith("My preferred sport is football\n")
    sim.ok("""patch configmap sport --type merge -p '{"data":{"sport":"cricket"}}'""")
    assert [sim.ok(f"exec {name} -- cat /etc/config/sport") for name in names] == ["football"] * 3
    sim.wait(70)
    assert [sim.ok(f"exec {name} -- cat /etc/config/sport") for name in names] == ["cricket"] * 3
    assert sim.ok("logs deployments/configmap-volume --tail 1").endswith("My preferred sport is cricket\n")
    assert [row.split()[3] for row in sim.ok("get pods --no-headers").splitlines()] == ["0"] * 3  # RESTARTS


def test_a_variable_and_a_subpath_file_keep_what_the_container_started_with(sim):
    sim.ok("create configmap fruits --from-literal=fruits=apples")
    sim.apply(FRUITS_POD)
    sim.wait(20)
    sim.apply(
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fruits"}, "data": {"fruits": "mangoes"}}'
    )
    sim.wait(70)
    assert sim.ok("exec fruits -- cat /etc/config/fruits") == "mangoes"
    assert sim.ok("exec fruits -- cat /etc/fruits") == "apples"
    assert sim.ok("exec fruits -- printenv FRUITS") == "apples\n"
    assert sim.ok("logs fruits --tail 1").endswith("The basket is full of apples\n")
    sim.ok("""patch configmap fruits --type merge -p '{"data":{"fruits":"bananas"}}'""")
    sim.wait(70)
    assert sim.ok("exec fruits -- cat /etc/config/fruits") == "bananas"
    assert sim.ok("exec fruits -- cat /etc/fruits") == "apples"  # still what it started with


def test_a_restarted_container_mounts_the_subpath_afresh(sim):
    sim.ok("create configmap fruits --from-literal=fruits=apples")
    pod = FRUITS_POD.replace(
        'while true; do echo "$(date) The basket is full of $FRUITS";\n          sleep 10; done;', "sleep 100"
    )
    sim.apply(pod)
    sim.wait(20)
    sim.ok("""patch configmap fruits --type merge -p '{"data":{"fruits":"mangoes"}}'""")
    sim.wait(60)
    assert (sim.ok("exec fruits -- cat /etc/fruits"), sim.ok("exec fruits -- cat /etc/config/fruits")) == (
        "apples",
        "mangoes",
    )
    sim.wait(60)  # sleep 100 has ended and the container was started again
    assert sim.pod("fruits")["status"]["containerStatuses"][0]["restartCount"] == 1
    assert sim.ok("exec fruits -- cat /etc/fruits") == "mangoes"
    assert sim.ok("exec fruits -- printenv FRUITS") == "mangoes\n"


def test_an_immutable_configmap_is_not_read_again_even_when_created_anew(sim):
    sim.ok(SPORT)
    sim.apply("""
apiVersion: v1
kind: ConfigMap
metadata:
  name: company-name
data:
  company_name: "ACME, Inc."
immutable: true
---
apiVersion: v1
kind: Pod
metadata:
  name: reader
spec:
  containers:
    - name: alpine
      image: alpine:3
      command: ["sleep", "3600"]
      volumeMounts:
        - name: config-volume
          mountPath: /etc/config
        - name: sport
          mountPath: /etc/sport
  volumes:
    - name: config-volume
      configMap:
        name: company-name
    - name: sport
      configMap:
        name: sport
""")
    sim.wait(20)
    code, _, err = sim.run("""patch configmap company-name --type merge -p '{"data":{"company_name":"Fake"}}'""")
    assert code == 1 and "field is immutable when `immutable` is set" in err
    sim.ok("delete configmap company-name sport")
    sim.ok("create configmap company-name --from-literal=company_name=Fake")
    sim.ok("create configmap sport --from-literal=sport=cricket")
    sim.wait(70)
    assert sim.ok("exec reader -- cat /etc/sport/sport") == "cricket"
    assert sim.ok("exec reader -- cat /etc/config/company_name") == "ACME, Inc."


def test_a_deleted_configmap_leaves_the_files_and_fails_each_remount(sim):
    sim.ok(SPORT)
    sim.apply(CONFIGMAP_AS_VOLUME.replace("replicas: 3", "replicas: 1"))
    sim.wait(20)
    (name,) = pods(sim, "configmap-volume-")
    sim.ok("delete configmap sport")
    sim.wait(70)
    assert sim.status_column(name) == "Running"
    assert sim.ok(f"exec {name} -- cat /etc/config/sport") == "football"
    failed = [e for e in sim.events(name) if e[0] == "FailedMount"]
    assert (
        failed and failed[0][1] == 'MountVolume.SetUp failed for volume "config-volume" : configmap "sport" not found'
    )
    sim.ok("create configmap sport --from-literal=sport=cricket")
    sim.wait(130)  # the next try of the back-off (at most 2m2s)
    assert sim.ok(f"exec {name} -- cat /etc/config/sport") == "cricket"
    assert sim.ok("logs deployments/configmap-volume --tail 1").endswith("My preferred sport is cricket\n")


def test_a_projected_volume_follows_its_secret_and_the_pods_labels_and_keeps_its_token(sim):
    sim.ok("create secret generic creds --from-literal=username=admin")
    sim.apply("""
apiVersion: v1
kind: Pod
metadata:
  name: projected
  labels:
    tier: backend
spec:
  containers:
    - name: busybox
      image: busybox:1.28
      command: ["sleep", "3600"]
      volumeMounts:
        - name: all-in-one
          mountPath: /projected-volume
          readOnly: true
  volumes:
    - name: all-in-one
      projected:
        sources:
          - secret:
              name: creds
          - downwardAPI:
              items:
                - path: labels
                  fieldRef:
                    fieldPath: metadata.labels
          - serviceAccountToken:
              path: token
              expirationSeconds: 3600
""")
    sim.wait(20)
    token = sim.ok("exec projected -- cat /projected-volume/token")
    sim.ok("""patch secret creds --type merge -p '{"stringData":{"username":"root"}}'""")
    sim.ok("label pod projected tier=frontend --overwrite")
    sim.wait(70)
    assert sim.ok("exec projected -- cat /projected-volume/username") == "root"
    assert sim.ok("exec projected -- cat /projected-volume/labels") == 'tier="frontend"'
    assert sim.ok("exec projected -- cat /projected-volume/token") == token


def test_pods_without_such_volumes_are_not_projected_again_and_unchanged_ones_write_nothing(sim, monkeypatch):
    calls: list[str] = []
    writes: list[str] = []
    refresh, write = projection.refresh_volumes, projection.write_volume
    monkeypatch.setattr(
        kubelet_volumes,
        "refresh_volumes",
        lambda api, pod, *args: calls.append(pod["metadata"]["name"]) or refresh(api, pod, *args),
    )
    monkeypatch.setattr(projection, "write_volume", lambda c, name, *args: writes.append(name) or write(c, name, *args))
    sim.ok("run nginx --image=nginx")
    sim.ok(SPORT)
    sim.apply(CONFIGMAP_AS_VOLUME.replace("replicas: 3", "replicas: 1"))
    sim.wait(20)
    assert [v["name"][:16] for v in sim.pod("nginx")["spec"]["volumes"]] == ["kube-api-access-"]
    calls.clear()
    writes.clear()
    sim.wait(300)
    assert "nginx" not in calls  # kube-proxy's and CoreDNS's pods mount their ConfigMaps: they are checked too
    assert calls.count(pods(sim, "configmap-volume-")[0]) == 5  # once a minute
    assert writes == []
