"""Container lifecycle hooks, with the documentation's own example (…/attach-handler-lifecycle-event).

postStart runs as the container starts and can write into its filesystem; a failing one
kills the container (FailedPostStartHook, Killing "FailedPostStartHook", PostStartHookError).
preStop runs before the stop signal, uses up the grace period, and a failing one is a
FailedPreStopHook event carrying the kubelet's message. Played on the virtual clock with
every component running; asserted through kubectl and the API, as a user would look.
"""

from __future__ import annotations

import pytest

from cluster.models import Cluster
from tests.workload_sim import KubectlSim

# https://kubernetes.io/examples/pods/lifecycle-events.yaml
LIFECYCLE_EVENTS = """
apiVersion: v1
kind: Pod
metadata:
  name: lifecycle-demo
spec:
  containers:
  - name: lifecycle-demo-container
    image: nginx
    lifecycle:
      postStart:
        exec:
          command: ["/bin/sh", "-c", "echo Hello from the postStart handler > /usr/share/message"]
      preStop:
        exec:
          command: ["/bin/sh","-c","nginx -s quit; while killall -0 nginx; do sleep 1; done"]
"""

FAILING_POST_START = """
apiVersion: v1
kind: Pod
metadata:
  name: bad-hook
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    lifecycle:
      postStart:
        exec:
          command: ["sh", "-c", "echo oops >&2; exit 2"]
"""

PRE_STOP = """
apiVersion: v1
kind: Pod
metadata:
  name: stopper
spec:
  terminationGracePeriodSeconds: {grace}
  containers:
  - name: app
    image: nginx:1.27
    lifecycle:
      preStop:
{handler}
"""


@pytest.fixture
def sim(cluster: Cluster) -> KubectlSim:
    return KubectlSim(cluster)


def gone_after(sim: KubectlSim, name: str, limit: int) -> int:
    """Seconds of virtual time until the pod is gone (deleted after its containers stopped)."""
    for second in range(1, limit + 1):
        sim.wait(1)
        if not [p for p in sim.api.list("pods", "default")["items"] if p["metadata"]["name"] == name]:
            return second
    raise AssertionError(f"{name} still there after {limit}s")


def test_the_post_start_handler_of_the_documentation_writes_the_message(sim):
    sim.apply(LIFECYCLE_EVENTS)
    sim.wait(10)
    assert sim.status_column("lifecycle-demo") == "Running"
    assert sim.ok("exec lifecycle-demo -- cat /usr/share/message") == "Hello from the postStart handler\n"
    assert "FailedPostStartHook" not in [reason for reason, _, _ in sim.events("lifecycle-demo")]
    sim.ok("delete pod lifecycle-demo --wait=false")
    assert gone_after(sim, "lifecycle-demo", 10) <= 3  # the preStop hook ends at once; nginx quits on SIGQUIT


def test_a_failing_post_start_hook_kills_the_container_and_it_waits_as_post_start_hook_error(sim):
    sim.apply(FAILING_POST_START)
    waiting: dict[str, dict] = {}
    for _ in range(40):
        sim.wait(1)
        state = sim.pod("bad-hook")["status"]["containerStatuses"][0]["state"]
        if "waiting" in state:
            waiting.setdefault(state["waiting"]["reason"], state["waiting"])
    uid = sim.pod("bad-hook")["metadata"]["uid"]
    assert waiting["PostStartHookError"]["message"] == (
        f'Exec lifecycle hook ([sh -c echo oops >&2; exit 2]) for Container "app" in Pod '
        f"\"bad-hook_default({uid})\" failed - error: command 'sh -c echo oops >&2; exit 2' exited "
        f'with 2: oops\n, message: "oops\\n"'
    )
    assert "CrashLoopBackOff" in waiting
    reasons = [(reason, message) for reason, message, _ in sim.events("bad-hook")]
    assert ("FailedPostStartHook", "PostStartHook failed") in reasons  # the handler's words stay out of events
    assert ("Killing", "FailedPostStartHook") in reasons
    assert sim.pod("bad-hook")["status"]["containerStatuses"][0]["restartCount"] >= 2


@pytest.mark.parametrize(
    ("grace", "handler", "earliest", "latest"),
    [
        (30, "        sleep:\n          seconds: 10", 10, 12),  # the hook's 10 s, then nginx quits on SIGQUIT
        (30, "        exec:\n          command: [sh, -c, 'sleep 5']", 5, 7),
        (5, "        sleep:\n          seconds: 60", 5, 8),  # cut at the grace period, then at least 2 s more
        (0, "        sleep:\n          seconds: 60", 0, 2),  # no grace period: no hook
    ],
)
def test_a_pre_stop_hook_runs_before_the_stop_signal_within_the_grace_period(sim, grace, handler, earliest, latest):
    sim.apply(PRE_STOP.format(grace=grace, handler=handler))
    sim.wait(10)
    sim.ok("delete pod stopper --wait=false")
    assert earliest <= gone_after(sim, "stopper", 40) <= latest


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (
            "        httpGet:\n          path: /shutdown\n          port: 9999",
            'HTTP lifecycle hook (/shutdown) for Container "app" in Pod "stopper_default({uid})" failed - error: '
            'Get "http://{ip}:9999/shutdown": dial tcp {ip}:9999: connect: connection refused',
        ),
        (
            "        exec:\n          command: [sh, -c, 'echo draining; exit 1']",
            'Exec lifecycle hook ([sh -c echo draining; exit 1]) for Container "app" in Pod "stopper_default({uid})" '
            "failed - error: command 'sh -c echo draining; exit 1' exited with 1: , message: \"draining\\n\"",
        ),
        (
            "        exec:\n          command: [drain-now]",
            'Exec lifecycle hook ([drain-now]) for Container "app" in Pod "stopper_default({uid})" failed - error: '
            'rpc error: code = Unknown desc = failed to exec in container: failed to start exec "{cid}": OCI runtime '
            'exec failed: exec failed: unable to start container process: exec: "drain-now": executable file not found '
            'in $PATH: unknown, message: ""',
        ),
    ],
)
def test_a_failing_pre_stop_hook_is_a_warning_and_the_container_stops_all_the_same(sim, handler, message):
    sim.apply(PRE_STOP.format(grace=30, handler=handler))
    sim.wait(10)
    pod = sim.pod("stopper")
    uid, ip = pod["metadata"]["uid"], pod["status"]["podIP"]
    cid = pod["status"]["containerStatuses"][0]["containerID"].removeprefix("containerd://")
    sim.ok("delete pod stopper --wait=false")
    assert gone_after(sim, "stopper", 10) <= 3
    assert ("FailedPreStopHook", message.format(uid=uid, ip=ip, cid=cid), "spec.containers{app}") in sim.events(
        "stopper"
    )


def test_a_liveness_kill_runs_the_pre_stop_hook_too(sim):
    sim.apply(
        PRE_STOP.format(grace=30, handler="        exec:\n          command: [sh, -c, 'exit 3']").replace(
            "    lifecycle:",
            "    livenessProbe:\n      httpGet:\n        path: /healthz\n        port: 80\n"
            "      periodSeconds: 5\n    lifecycle:",
        )
    )
    sim.wait(40)
    reasons = [e[0] for e in sim.events("stopper")]
    assert reasons.index("Killing") < reasons.index("FailedPreStopHook")
