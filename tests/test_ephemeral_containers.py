"""Ephemeral containers, as `kubectl debug` adds them to a running Pod (the documentation's "Debugging with an
ephemeral debug container"): what the API server accepts through `pods/ephemeralcontainers` and refuses, what
the kubelet does with them, and the page's own `kubectl debug`. tests/test_kubectl_verbs_live.py compares the
page's `kubectl debug` with the real kubectl's; tests/test_streaming_live.py attaches to one with the real
kubectl."""

from __future__ import annotations

import pytest

from cluster import steps
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster
from cluster.reconciler import control
from tests.container_sim import Sim, frozen

SMP = "application/strategic-merge-patch+json"
DEMO = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: demo}\nspec:\n"
    "  initContainers: [{name: setup, image: busybox:1.36, command: [sh, -c, 'true']}]\n"
    "  containers: [{name: app, image: registry.k8s.io/pause:3.1}]\n"
    "  volumes: [{name: data, emptyDir: {}}]\n"
)


@pytest.fixture
def sim(db) -> Sim:
    sim = frozen(create_cluster("debugging", nodes=1, seed=3, addons=False))
    sim.apply(DEMO)
    sim.wait(10)
    assert sim.status_column("demo") == "Running"
    return sim


def add(api: APIServer, *containers: dict) -> dict:
    patch = {"spec": {"ephemeralContainers": list(containers)}}
    return api.patch("pods", "default", "demo", patch, SMP, subresource="ephemeralcontainers")


def refusal(api: APIServer, *containers: dict) -> str:
    with pytest.raises(StatusError) as refused:
        add(api, *containers)
    assert refused.value.code == 422
    return refused.value.message


def debugger(name: str = "debugger", **fields: object) -> dict:
    return {"name": name, "image": "busybox:1.36", "terminationMessagePolicy": "File", **fields}


# -- the API server ------------------------------------------------------------------------------------------
def test_the_subresource_adds_the_container_with_a_containers_defaults_and_changes_nothing_else(sim: Sim) -> None:
    patch = {
        "metadata": {"labels": {"sneaked": "in"}},
        "spec": {"containers": [{"name": "app", "image": "nginx"}], "ephemeralContainers": [debugger(stdin=True)]},
    }
    pod = sim.api.patch("pods", "default", "demo", patch, SMP, subresource="ephemeralcontainers")
    assert pod["spec"]["ephemeralContainers"] == [
        {
            "name": "debugger",
            "image": "busybox:1.36",
            "terminationMessagePolicy": "File",
            "stdin": True,
            "imagePullPolicy": "IfNotPresent",
            "terminationMessagePath": "/dev/termination-log",
            "resources": {},
        }
    ]
    assert pod["spec"]["containers"][0]["image"] == "registry.k8s.io/pause:3.1"
    assert "sneaked" not in (pod["metadata"].get("labels") or {})


REFUSALS = [
    (
        [debugger("app")],
        'Pod "demo" is invalid: spec.ephemeralContainers[0].name: Duplicate value: "app"',
    ),
    (
        [debugger("setup")],  # an init container's name is taken too
        'Pod "demo" is invalid: spec.ephemeralContainers[0].name: Duplicate value: "setup"',
    ),
    (
        [debugger(targetContainerName="nope")],
        'Pod "demo" is invalid: spec.ephemeralContainers[0].targetContainerName: Not found: "nope"',
    ),
    (
        [debugger(ports=[{"containerPort": 80}], readinessProbe={"exec": {"command": ["true"]}})],
        'Pod "demo" is invalid: [spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral '
        "Container, spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container]",
    ),
    (
        [debugger(resources={"requests": {"cpu": "1"}})],
        'Pod "demo" is invalid: spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral '
        "Container",
    ),
    (
        [debugger(volumeMounts=[{"name": "data", "mountPath": "/d", "subPath": "x"}])],
        'Pod "demo" is invalid: spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for '
        "an Ephemeral Container",
    ),
    (
        [{"name": "Bad_Name", "terminationMessagePolicy": "File"}],
        'Pod "demo" is invalid: [spec.ephemeralContainers[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 '
        "label must consist of lower case alphanumeric characters or '-', and must start and end with an "
        "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?'), spec.ephemeralContainers[0].image: Required value]",
    ),
]


@pytest.mark.parametrize(("containers", "message"), REFUSALS)
def test_an_ephemeral_container_is_validated_as_upstream_validates_it(
    sim: Sim, containers: list[dict], message: str
) -> None:
    assert refusal(sim.api, *containers) == message
    assert "ephemeralContainers" not in sim.pod("demo")["spec"]  # nothing written


def test_once_added_it_is_never_changed_or_removed(sim: Sim) -> None:
    add(sim.api, debugger(command=["sleep", "3600"]))
    assert refusal(sim.api, debugger(command=["sleep", "1"])) == (
        'Pod "demo" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger" '
        "may not be changed\n"
    )
    assert refusal(sim.api, {"name": "debugger", "$patch": "delete"}) == (
        'Pod "demo" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger" '
        "may not be removed\n"
    )


def test_a_pod_is_not_created_with_one_nor_given_one_by_an_update(sim: Sim) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "born-with-one"},
        "spec": {"containers": [{"name": "a", "image": "nginx"}], "ephemeralContainers": [debugger()]},
    }
    with pytest.raises(StatusError) as refused:
        sim.api.create("pods", "default", body)
    assert refused.value.message == (
        'Pod "born-with-one" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create'
    )
    pod = sim.pod("demo")
    pod["spec"]["ephemeralContainers"] = [debugger()]
    with pytest.raises(StatusError) as refused:
        sim.api.update("pods", "default", "demo", pod)
    assert "pod updates may not change fields other than" in refused.value.message


def test_the_step_log_says_what_the_patch_does(sim: Sim) -> None:
    before = control.last_seq(sim.cluster)
    sim.ok("debug", "demo", "--image=busybox:1.36", "-c", "debugger", "--", "sleep", "60")
    [request] = [s for s in steps.since(sim.cluster, before) if s["verb"] == "PATCH"]
    assert (request["from"], request["object"]) == ("kubectl", "pods/default/demo/ephemeralcontainers")
    assert request["explanation"] == (
        "kubectl adds an ephemeral container to pods/default/demo: only the pod's ephemeralcontainers "
        "subresource may change a running pod's containers, and only by adding one."
    )


# -- the kubelet ---------------------------------------------------------------------------------------------
def test_the_kubelet_starts_it_once_and_never_restarts_it(sim: Sim) -> None:
    add(sim.api, debugger(command=["sh", "-c", "sleep 5; exit 3"]))
    sim.wait(1)
    pod = sim.pod("demo")
    [status] = pod["status"]["ephemeralContainerStatuses"]
    assert status["state"] == {"running": {"startedAt": status["state"]["running"]["startedAt"]}}
    assert (status["ready"], status["restartCount"], "started" in status) == (False, 0, False)
    assert [(r, m) for r, m, _ in sim.events("demo")][-3:] == [
        ("Pulled", 'Container image "busybox:1.36" already present on machine'),
        ("Created", "Created container: debugger"),
        ("Started", "Started container debugger"),
    ]
    events = [e for e in sim.api.list("events", "default")["items"] if e["reason"] == "Created"]
    assert events[-1]["involvedObject"]["fieldPath"] == "spec.ephemeralContainers{debugger}"
    assert sim.ok("get", "pod", "demo").splitlines()[1].split()[1:3] == ["1/1", "Running"]
    sim.wait(30)  # it ended with 3 after five seconds: it stays ended, and the pod runs on
    [status] = sim.pod("demo")["status"]["ephemeralContainerStatuses"]
    assert (status["state"]["terminated"]["exitCode"], status["restartCount"]) == (3, 0)
    assert sim.status_column("demo") == "Running"


def test_with_a_target_it_sees_the_targets_processes(sim: Sim) -> None:
    add(sim.api, debugger(command=["sleep", "3600"], targetContainerName="app"))
    sim.wait(1)
    assert sim.ok("exec", "demo", "-c", "debugger", "--", "ps") == (
        "PID   USER     TIME  COMMAND\n"
        "    1 root     0:00 /pause\n"
        "    7 root     0:00 sleep 3600\n"
        "   42 root     0:00 ps\n"
    )
    assert sim.ok("logs", "demo", "-c", "debugger") == ""


def test_it_stops_with_the_pod(sim: Sim) -> None:
    add(sim.api, debugger(command=["sleep", "3600"]))
    sim.wait(1)
    sim.ok("delete", "pod", "demo", "--wait=false")
    sim.wait(40)
    assert sim.run("get", "pod", "demo")[2] == 'Error from server (NotFound): pods "demo" not found\n'


# -- the page's kubectl debug ---------------------------------------------------------------------------------
def test_kubectl_debug_names_the_container_and_says_what_kubectl_says(sim: Sim) -> None:
    code, out, err = sim.run("debug", "demo", "--image=busybox:1.36", "--target=app", "--", "sleep", "3600")
    assert code == 0
    [name] = [c["name"] for c in sim.pod("demo")["spec"]["ephemeralContainers"]]
    assert name.startswith("debugger-") and len(name) == len("debugger-") + 5
    assert out == (
        'Targeting container "app". If you don\'t see processes from this container it may be because the '
        "container runtime doesn't support this feature.\n"
        f"Defaulting debug container name to {name}.\n"
    )
    assert err == (
        "--profile=legacy is deprecated and will be removed in the future. It is recommended to explicitly "
        'specify a profile, for example "--profile=general".\n'
    )
    sim.wait(1)
    assert "sleep 3600" in sim.ok("exec", "demo", "-c", name, "--", "ps")
    assert "Ephemeral Containers:\n  " + name + ":\n" in sim.ok("describe", "pod", "demo")


USAGE = [
    (["debug", "demo"], "error: you must specify --image when not using --copy-to.\n"),
    (["debug", "--image=busybox"], "error: NAME or filename is required for debug\n"),
    (["debug", "demo", "-t", "--image=busybox"], "error: -i/--stdin is required for containers with -t/--tty=true\n"),
    (["debug", "demo", "--image=busybox", "--profile=bogus"], "error: unknown profile: bogus\n"),
    (
        ["debug", "demo", "--image=busybox", "--image-pull-policy=Sometimes"],
        "error: invalid image pull policy: Sometimes\n",
    ),
]


@pytest.mark.parametrize(("argv", "message"), USAGE)
def test_kubectl_debug_refuses_what_kubectl_refuses(sim: Sim, argv: list[str], message: str) -> None:
    assert sim.run(*argv) == (1, "", message)


def test_a_copy_runs_with_its_changed_command_and_the_original_goes_under_replace(sim: Sim) -> None:
    """The documentation's "Copying a Pod while changing its command", with the page's own kubectl."""
    sim.ok("run", "myapp", "--image=busybox:1.28", "--", "false")
    sim.wait(10)
    assert sim.container("myapp")["restartCount"] >= 1  # `false` exits 1 again and again
    sim.ok("debug", "myapp", "--copy-to=myapp-debug", "--container=myapp", "--replace", "--", "sleep", "1d")
    sim.wait(10)
    assert sim.status_column("myapp-debug") == "Running"
    assert sim.run("get", "pod", "myapp")[0] == 1  # --replace deleted the original


def test_a_node_debugging_pod_sees_the_nodes_root_at_host(sim: Sim) -> None:
    """The documentation's "Debugging via a shell on the node": the node's root filesystem at /host, the node's
    name as the hostname (its network namespace)."""
    out = sim.ok("debug", "node/worker-1", "--image=busybox:1.28", "--profile=general", "--", "sleep", "1h")
    name = out.split()[3]  # Creating debugging pod NAME with container debugger on node worker-1.
    sim.wait(10)
    assert sim.ok("exec", name, "--", "hostname") == "worker-1\n"
    listing = sim.ok("exec", name, "--", "ls", "/host").split()
    assert {"etc", "usr", "var", "kind"} <= set(listing)
    assert sim.ok("exec", name, "--", "cat", "/host/etc/hostname") == "worker-1\n"
    assert "Debian GNU/Linux 12 (bookworm)" in sim.ok("exec", name, "--", "cat", "/host/etc/os-release")


def test_a_node_debugging_pod_sees_the_nodes_processes_the_kubelet_among_them(sim: Sim) -> None:
    """With the host's PID namespace (hostPID), `ps` lists the node: systemd, containerd, the kubelet, and every
    pod's shim, pause process and containers, this very debugging pod's included."""
    out = sim.ok("debug", "node/worker-1", "--image=busybox:1.28", "--profile=general", "--", "sleep", "1h")
    name = out.split()[3]
    sim.wait(10)
    listing = sim.ok("exec", name, "--", "ps").splitlines()
    assert listing[0] == "PID   USER     TIME  COMMAND"
    assert listing[1].split()[:4] == ["1", "root", "0:00", "/sbin/init"]
    commands = [line.split(None, 3)[3] for line in listing[1:]]
    assert any(c.startswith("/usr/bin/kubelet --bootstrap-kubeconfig=") for c in commands)
    # each pod's sandbox is a pause process; the demo pod's own container runs the pause image too
    assert commands.count("/pause") == 3 and "sleep 1h" in commands
    shims = [c for c in commands if c.startswith("/usr/local/bin/containerd-shim-runc-v2 -namespace k8s.io -id ")]
    assert len(shims) == 2
    assert commands[-1] == "ps"
