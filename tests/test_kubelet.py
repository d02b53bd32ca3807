"""The kubelet and its simulated container runtime, driven one reconcile at a time on a frozen clock."""

from __future__ import annotations

import math

import pytest

from cluster import clock, faults
from cluster.apiserver.server import APIServer
from cluster.kubelet import HEARTBEAT, Kubelet
from cluster.kubelet_backoff import backoff, go_duration
from cluster.models import Cluster
from cluster.runtime import parse_image

NODE = "worker-1"


@pytest.fixture
def kubelet(cluster: Cluster) -> Kubelet:
    clock.set_speed(cluster, 0.0)
    # on a whole second: object timestamps keep whole seconds, so the timelines below (pull 2-3 s, run 1 s)
    # must not depend on the fraction of a second at which the test happened to start
    now = clock.now(cluster).timestamp()
    clock.advance(cluster, math.ceil(now) - now)
    return Kubelet(APIServer(cluster, client="kubelet"), NODE)


def pod_manifest(name: str, image: str = "nginx", **container: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": name.split("-")[0], "image": image, **container}]},
    }


def bound_pod(
    api: APIServer, name: str, image: str = "nginx", restart_policy: str = "Always", **container: object
) -> str:
    manifest = pod_manifest(name, image, **container)
    manifest["spec"]["restartPolicy"] = restart_policy
    api.create("pods", "default", manifest)
    api.bind("default", name, {"target": {"name": NODE}})
    return f"default/{name}"


def run(kubelet: Kubelet, key: str, seconds: float) -> None:
    """Reconcile `key` whenever it asks to be requeued, for `seconds` of virtual time."""
    cluster = kubelet.api.cluster
    end = clock.now(cluster).timestamp() + seconds
    while True:
        result = kubelet.reconcile(key)
        if result.requeue_after is None:
            return
        if clock.now(cluster).timestamp() + result.requeue_after > end:
            clock.advance(cluster, end - clock.now(cluster).timestamp())
            kubelet.reconcile(key)
            return
        clock.advance(cluster, result.requeue_after)


def events_of(api: APIServer, name: str) -> list[tuple[str, str]]:
    events = [e for e in api.list("events", "default")["items"] if e["involvedObject"]["name"] == name]
    events.sort(key=lambda e: (e["firstTimestamp"], int(e["metadata"]["resourceVersion"])))
    return [(e["reason"], e["message"]) for e in events]


def container_state(api: APIServer, name: str) -> dict:
    return api.get("pods", "default", name)["status"]["containerStatuses"][0]


def test_bound_pod_becomes_running_and_ready_after_pulling_pulled_created_started(api, kubelet):
    key = bound_pod(api, "web")
    run(kubelet, key, 30)
    pod = api.get("pods", "default", "web")
    status = pod["status"]
    assert status["phase"] == "Running"
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [
        ("PodReadyToStartContainers", "True"),
        ("Initialized", "True"),
        ("Ready", "True"),
        ("ContainersReady", "True"),
        ("PodScheduled", "True"),
    ]
    assert status["podIP"] == "10.244.1.2" and status["podIPs"] == [{"ip": "10.244.1.2"}]
    assert status["hostIP"] == "172.18.0.3" and status["startTime"]
    ctr = status["containerStatuses"][0]
    assert ctr["ready"] and ctr["started"] and ctr["restartCount"] == 0 and "running" in ctr["state"]
    assert ctr["containerID"].startswith("containerd://") and ctr["image"] == "docker.io/library/nginx:latest"
    assert ctr["imageID"].startswith("docker.io/library/nginx@sha256:")
    reasons = [reason for reason, _ in events_of(api, "web")]
    assert reasons == ["Pulling", "Pulled", "Created", "Started"]
    messages = dict(events_of(api, "web"))
    assert messages["Pulling"] == 'Pulling image "nginx"'
    assert messages["Pulled"].startswith('Successfully pulled image "nginx" in ')
    assert messages["Pulled"].endswith("including waiting). Image size: 72099501 bytes.")
    assert messages["Created"] == "Created container: web" and messages["Started"] == "Started container web"


def test_pod_is_container_creating_while_its_image_is_pulled(api, kubelet):
    key = bound_pod(api, "web")
    kubelet.reconcile(key)
    status = api.get("pods", "default", "web")["status"]
    assert status["phase"] == "Pending"
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert next(c for c in status["conditions"] if c["type"] == "Ready")["reason"] == "ContainersNotReady"


def test_second_pod_gets_the_next_ip_and_an_image_already_present(api, kubelet):
    run(kubelet, bound_pod(api, "one", "nginx:1.27", imagePullPolicy="IfNotPresent"), 30)
    run(kubelet, bound_pod(api, "two", "nginx:1.27", imagePullPolicy="IfNotPresent"), 30)
    assert api.get("pods", "default", "two")["status"]["podIP"] == "10.244.1.3"
    assert ("Pulled", 'Container image "nginx:1.27" already present on machine') in events_of(api, "two")


def test_a_host_network_pod_has_the_nodes_address_and_takes_none_from_the_pod_range(api, kubelet):
    manifest = pod_manifest("hn", "nginx:1.27")
    manifest["spec"]["hostNetwork"] = True
    api.create("pods", "default", manifest)
    api.bind("default", "hn", {"target": {"name": NODE}})
    run(kubelet, "default/hn", 30)
    status = api.get("pods", "default", "hn")["status"]
    node_ip = next(
        a["address"] for a in api.get("nodes", None, NODE)["status"]["addresses"] if a["type"] == "InternalIP"
    )
    assert (status["podIP"], status["podIPs"], status["hostIP"]) == (node_ip, [{"ip": node_ip}], node_ip)
    run(kubelet, bound_pod(api, "next", "nginx:1.27"), 30)
    assert api.get("pods", "default", "next")["status"]["podIP"] == "10.244.1.2"


def test_missing_image_gives_err_image_pull_then_image_pull_back_off(api, kubelet):
    key = bound_pod(api, "bad", "nginx:1.27")
    faults.set_image_fault(api, "nginx", "missing")
    kubelet.reconcile(key)
    waiting = container_state(api, "bad")["state"]["waiting"]
    assert waiting["reason"] == "ErrImagePull"
    assert 'failed to resolve reference "docker.io/library/nginx:1.27"' in waiting["message"]
    clock.advance(api.cluster, 5)
    kubelet.reconcile(key)
    assert container_state(api, "bad")["state"]["waiting"] == {
        "reason": "ImagePullBackOff",
        "message": 'Back-off pulling image "nginx:1.27"',
    }
    messages = [m for _, m in events_of(api, "bad")]
    assert "Error: ErrImagePull" in messages and "Error: ImagePullBackOff" in messages
    assert any(m.startswith('Failed to pull image "nginx:1.27": rpc error: code = NotFound') for m in messages)
    faults.set_image_fault(api, "nginx", "present")
    run(kubelet, key, 60)
    assert "running" in container_state(api, "bad")["state"]


def test_unknown_repository_is_not_found(api, kubelet):
    key = bound_pod(api, "typo", "ngnix")
    kubelet.reconcile(key)
    assert container_state(api, "typo")["state"]["waiting"]["reason"] == "ErrImagePull"


@pytest.mark.parametrize(
    "failures, delay", [(0, 0), (1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 300), (7, 300), (12, 300)]
)
def test_back_off_doubles_from_ten_seconds_to_five_minutes(failures, delay):
    assert backoff(failures) == delay


@pytest.mark.parametrize(
    "seconds, text", [(10, "10s"), (80, "1m20s"), (300, "5m0s"), (2.5, "2.5s"), (1.651, "1.651s"), (0.389, "389ms")]
)
def test_durations_print_as_go_does(seconds, text):
    assert go_duration(seconds) == text


def test_crashing_container_enters_crash_loop_back_off_with_doubling_delays(api, kubelet):
    key = bound_pod(api, "crash")
    api.update_with(
        "pods",
        "default",
        "crash",
        lambda p: p["metadata"].setdefault("annotations", {}).update({faults.CRASH_ANNOTATION: "2"}),
    )
    delays: list[str] = []
    backed_off: set[int] = set()
    for _ in range(200):
        result = kubelet.reconcile(key)
        waiting = container_state(api, "crash")["state"].get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff":
            restarts = container_state(api, "crash")["restartCount"]
            if restarts not in backed_off:  # one entry per back-off: the pod is synced every 10-15 s during one
                backed_off.add(restarts)
                delays.append(waiting["message"].split()[1])
        if len(delays) == 7:
            break
        clock.advance(api.cluster, result.requeue_after or 1)
    assert delays == ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"]
    state = container_state(api, "crash")
    assert state["lastState"]["terminated"]["exitCode"] == 2
    assert state["lastState"]["terminated"]["reason"] == "Error"
    assert state["restartCount"] == 7
    assert state["state"]["waiting"]["message"].startswith(
        "back-off 5m0s restarting failed container=crash pod=crash_default("
    )
    assert api.get("pods", "default", "crash")["status"]["phase"] == "Running"
    assert any(
        m.startswith("Back-off restarting failed container crash in pod crash_default(")
        for _, m in events_of(api, "crash")
    )


def test_first_restart_is_immediate_and_the_second_waits_ten_seconds(api, kubelet):
    key = bound_pod(api, "crash")
    faults.set_pod_fault(api, "default", "crash", "crash")
    uid = api.get("pods", "default", "crash")["metadata"]["uid"]
    run(kubelet, key, 4)  # pull ~2-3 s, run 1 s, exit, restart at once
    assert kubelet.runtime.container(uid, "crash")["attempt"] == 1
    first_exit = clock.now(api.cluster)
    run(kubelet, key, 9)
    assert kubelet.runtime.container(uid, "crash")["attempt"] == 1  # still backing off
    run(kubelet, key, 3)
    assert kubelet.runtime.container(uid, "crash")["attempt"] == 2
    assert (clock.now(api.cluster) - first_exit).total_seconds() >= 10


@pytest.mark.parametrize(
    "image, command, phase, reason, code",
    [
        ("busybox", None, "Running", "Completed", 0),  # a shell without a terminal exits at once: restarted
        ("busybox", ["sh", "-c", "exit 3"], "Running", "Error", 3),
    ],
)
def test_short_lived_containers_are_restarted_under_restart_policy_always(
    api, kubelet, image, command, phase, reason, code
):
    extra = {"command": command} if command else {}
    key = bound_pod(api, "shell", image, **extra)
    run(kubelet, key, 60)
    state = container_state(api, "shell")
    assert api.get("pods", "default", "shell")["status"]["phase"] == phase
    assert state["restartCount"] >= 1
    assert state["lastState"]["terminated"]["reason"] == reason
    assert state["lastState"]["terminated"]["exitCode"] == code


@pytest.mark.parametrize(
    "policy, command, phase",
    [
        ("Never", ["sh", "-c", "sleep 5"], "Succeeded"),
        ("Never", ["sh", "-c", "exit 1"], "Failed"),
        ("OnFailure", ["sh", "-c", "sleep 2"], "Succeeded"),
    ],
)
def test_finished_pods_get_a_terminal_phase_by_restart_policy(api, kubelet, policy, command, phase):
    key = bound_pod(api, "job", "busybox", restart_policy=policy, command=command)
    run(kubelet, key, 60)
    pod = api.get("pods", "default", "job")
    assert pod["status"]["phase"] == phase
    assert "terminated" in pod["status"]["containerStatuses"][0]["state"]


def test_graceful_deletion_stops_the_container_and_deletes_after_the_grace_period(api, kubelet):
    key = bound_pod(api, "sleeper", "busybox", command=["sleep", "3600"])
    run(kubelet, key, 20)
    api.delete("pods", "default", "sleeper")  # terminationGracePeriodSeconds 30
    kubelet.reconcile(key)
    assert ("Killing", "Stopping container sleeper") in events_of(api, "sleeper")
    clock.advance(api.cluster, 29)
    kubelet.reconcile(key)
    pod = api.get("pods", "default", "sleeper")
    assert pod["metadata"]["deletionTimestamp"]  # a shell ignores SIGTERM
    # still running, so still ready (READY 1/1 Terminating), as prober_manager reports it
    assert pod["status"]["containerStatuses"][0]["ready"] is True
    assert "running" in pod["status"]["containerStatuses"][0]["state"]
    assert next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")["status"] == "True"
    clock.advance(api.cluster, 1)
    kubelet.reconcile(key)
    assert api.list("pods", "default")["items"] == []
    assert kubelet.runtime.sandboxes() == {}


def test_a_server_exits_on_sigterm_well_before_the_grace_period(api, kubelet):
    key = bound_pod(api, "web")
    run(kubelet, key, 20)
    api.delete("pods", "default", "web")
    run(kubelet, key, 5)
    assert api.list("pods", "default")["items"] == []


def test_readiness_fault_keeps_the_pod_unready_with_unhealthy_events(api, kubelet):
    probe = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 10}
    key = bound_pod(api, "web", readinessProbe=probe)
    faults.set_pod_fault(api, "default", "web", "fail-probes", probe="readiness")
    run(kubelet, key, 40)
    status = api.get("pods", "default", "web")["status"]
    assert status["phase"] == "Running" and not status["containerStatuses"][0]["ready"]
    assert ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503") in events_of(api, "web")
    faults.set_pod_fault(api, "default", "web", "heal")
    run(kubelet, key, 10)  # ready again at the next probe, within one period
    assert api.get("pods", "default", "web")["status"]["containerStatuses"][0]["ready"]


def test_liveness_fault_restarts_the_container(api, kubelet):
    probe = {"tcpSocket": {"port": 80}, "periodSeconds": 10, "failureThreshold": 3}
    key = bound_pod(api, "web", livenessProbe=probe)
    run(kubelet, key, 10)
    faults.set_pod_fault(api, "default", "web", "fail-probes", probe="liveness")
    run(kubelet, key, 40)
    assert container_state(api, "web")["restartCount"] >= 1
    assert ("Killing", "Container web failed liveness probe, will be restarted") in events_of(api, "web")


def test_heartbeat_renews_the_node_lease_and_posts_ready(api, kubelet):
    result = kubelet.reconcile(HEARTBEAT)
    assert result.requeue_after == 10
    lease = api.get("leases", "kube-node-lease", NODE)
    assert lease["spec"]["holderIdentity"] == NODE and lease["spec"]["leaseDurationSeconds"] == 40
    first = lease["spec"]["renewTime"]
    ready = next(c for c in api.get("nodes", None, NODE)["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    )
    clock.advance(api.cluster, 10)
    kubelet.reconcile(HEARTBEAT)
    assert api.get("leases", "kube-node-lease", NODE)["spec"]["renewTime"] > first


def test_memory_full_node_reports_memory_pressure_and_evicts_the_pod(api, kubelet):
    key = bound_pod(api, "web")
    run(kubelet, key, 10)
    faults.set_node_fault(api, NODE, "fill-memory")
    kubelet.reconcile(HEARTBEAT)
    memory = next(c for c in api.get("nodes", None, NODE)["status"]["conditions"] if c["type"] == "MemoryPressure")
    assert (memory["status"], memory["reason"]) == ("True", "KubeletHasInsufficientMemory")
    status = api.get("pods", "default", "web")["status"]
    assert (status["phase"], status["reason"]) == ("Failed", "Evicted")
    assert status["message"] == (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 98Mi. "
        "Container web was using 4Mi, request is 0, has larger consumption of memory. "
    )
    run(kubelet, key, 5)  # its container is killed; the pod stays, Failed
    pod = api.get("pods", "default", "web")
    assert "terminated" in pod["status"]["containerStatuses"][0]["state"] and pod["status"]["reason"] == "Evicted"


@pytest.mark.parametrize(
    "image, repository, tag",
    [
        ("nginx", "docker.io/library/nginx", "latest"),
        ("nginx:1.27", "docker.io/library/nginx", "1.27"),
        ("bitnami/redis:7", "docker.io/bitnami/redis", "7"),
        ("registry.k8s.io/hpa-example", "registry.k8s.io/hpa-example", "latest"),
        ("localhost:5000/app:v1", "localhost:5000/app", "v1"),
    ],
)
def test_image_names_are_normalized_like_containerd(image, repository, tag):
    ref = parse_image(image)
    assert (ref.repository, ref.tag) == (repository, tag)


def test_a_force_deleted_pod_has_its_sandbox_removed(api, kubelet):
    key = bound_pod(api, "web")
    run(kubelet, key, 10)
    api.delete("pods", "default", "web", grace_period_seconds=0)
    assert kubelet.runtime.sandboxes()
    kubelet.reconcile(key)
    assert kubelet.runtime.sandboxes() == {}


def test_housekeeping_removes_sandboxes_of_pods_that_disappeared_while_unwatched(api, kubelet):
    run(kubelet, bound_pod(api, "web"), 10)
    api.delete("pods", "default", "web", grace_period_seconds=0)
    kubelet.reconcile(HEARTBEAT)
    assert kubelet.runtime.sandboxes() == {}
