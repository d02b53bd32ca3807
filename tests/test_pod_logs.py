"""`GET …/pods/NAME/log` over HTTP and `kubectl logs` in process, compared with what kube-apiserver and kubectl do."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from tests.container_sim import Sim
from tests.test_http_api import Kube

LOG = "/api/v1/namespaces/default/pods/{}/log"


@pytest.fixture
def sim(cluster) -> Sim:
    from cluster import clock

    clock.set_speed(cluster, 0.0)
    return Sim(cluster)


@pytest.fixture
def kube(cluster) -> Kube:
    return Kube(cluster)


def counter(sim: Sim, name: str = "counter", restart: str = "Always", lines: int = 5) -> None:
    sim.ok(
        "run",
        name,
        "--image=busybox:1.36",
        f"--restart={restart}",
        "--",
        "sh",
        "-c",
        f'i=0; while [ $i -lt {lines} ]; do echo "line $i"; i=$((i+1)); sleep 1; done; echo done >&2',
    )


def test_the_log_subresource_answers_plain_text_with_the_options(sim: Sim, kube: Kube) -> None:
    counter(sim, restart="Never")
    sim.wait(20)
    response = kube.get(LOG.format("counter"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert response.content == b"line 0\nline 1\nline 2\nline 3\nline 4\ndone\n"
    assert kube.get(LOG.format("counter") + "?tailLines=2").content == b"line 4\ndone\n"
    assert kube.get(LOG.format("counter") + "?limitBytes=8").content == b"line 0\nl"
    assert kube.get(LOG.format("counter") + "?container=counter&tailLines=1").content == b"done\n"
    stamped = kube.get(LOG.format("counter") + "?timestamps=true&tailLines=1").content.decode()
    assert stamped.endswith("Z done\n") and stamped[19] == "." and len(stamped.split()[0]) == 30
    assert kube.get(LOG.format("counter") + "?sinceSeconds=3600").content.count(b"\n") == 6


def test_log_errors_are_the_api_servers_and_the_kubelets(sim: Sim, kube: Kube) -> None:
    counter(sim)
    sim.ok("run", "typo", "--image=nginx:1.161")
    sim.wait(5)
    cases = [
        ("nope", "", 404, 'pods "nope" not found'),
        ("counter", "?container=other", 400, "container other is not valid for pod counter"),
        ("counter", "?previous=true", 400, 'previous terminated container "counter" in pod "counter" not found'),
        (
            "counter",
            "?tailLines=-1",
            422,
            'PodLogOptions "counter" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
        ),
        (
            "counter",
            "?limitBytes=0",
            422,
            'PodLogOptions "counter" is invalid: limitBytes: Invalid value: 0: must be greater than 0',
        ),
        ("typo", "", 400, 'container "typo" in pod "typo" is waiting to start: trying and failing to pull image'),
    ]
    for name, query, code, message in cases:
        response = kube.get(LOG.format(name) + query)
        assert (response.status_code, response.json()["message"]) == (code, message), name + query


def test_a_pod_not_yet_scheduled_has_an_empty_log(sim: Sim, kube: Kube) -> None:
    sim.apply(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "waiting"}, "spec": {"nodeSelector": '
        '{"disk": "none"}, "containers": [{"name": "web", "image": "nginx"}]}}'
    )
    response = kube.get(LOG.format("waiting"))
    assert (response.status_code, response.content) == (200, b"")


def test_several_containers_need_a_name(sim: Sim, kube: Kube) -> None:
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: pair}
spec:
  containers:
  - {name: a, image: busybox, command: [sh, -c, 'echo from a; sleep 3600']}
  - {name: b, image: busybox, command: [sh, -c, 'echo from b; sleep 3600']}
""")
    sim.wait(10)
    response = kube.get(LOG.format("pair"))
    assert (response.status_code, response.json()["message"]) == (
        400,
        "a container name must be specified for pod pair, choose one of: [a b]",
    )
    assert kube.get(LOG.format("pair") + "?container=b").content == b"from b\n"
    code, out, err = sim.run("logs", "pair")
    assert (code, out, err) == (0, "from a\n", 'Defaulted container "a" out of: a, b\n')
    assert sim.ok("logs", "pair", "--all-containers", "--prefix") == "[pod/pair/a] from a\n[pod/pair/b] from b\n"
    assert sim.ok("logs", "pair", "b") == "from b\n"


def test_follow_streams_until_the_container_ends(sim: Sim, kube: Kube) -> None:
    counter(sim, restart="Never", lines=2)
    sim.wait(20)
    response = kube.get(LOG.format("counter") + "?follow=true")
    assert response.status_code == 200 and response.streaming

    async def drain() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    assert async_to_sync(drain)() == b"line 0\nline 1\ndone\n"


def test_kubectl_logs_picks_a_pod_of_a_deployment_and_reads_by_selector(sim: Sim) -> None:
    sim.ok("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")
    sim.wait(20)
    code, out, err = sim.run("logs", "deployment/web", "--tail=1")
    assert code == 0 and out.endswith("start worker process 30\n") and err.startswith("Found 2 pods, using pod/web-")
    by_label = sim.ok("logs", "-l", "app=web")
    assert by_label.count("\n") == 20  # the last 10 lines of each pod, as with a selector by default
    assert sim.run("logs", "-l", "app=nothing") == (0, "", "No resources found in default namespace.\n")


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            [],
            "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required "
            "argument for the logs command\nSee 'kubectl logs -h' for help and examples\n",
        ),
        (
            ["a", "b", "c"],
            "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a "
            "required argument for the logs command\nSee 'kubectl logs -h' for help and examples\n",
        ),
        (
            ["-l", "app=x", "pod"],
            "error: only a selector (-l) or a POD name is allowed\nSee 'kubectl logs -h' for help and examples\n",
        ),
        (
            ["--tail=x", "pod"],
            'Error: invalid argument "x" for "--tail" flag: strconv.ParseInt: parsing "x": invalid '
            "syntax\nSee 'kubectl logs --help' for usage.\n",
        ),
        (
            ["pod", "--since=5s", "--since-time=2024-01-01T00:00:00Z"],
            "error: at most one of `sinceTime` or `sinceSeconds` may be specified\n",
        ),
        (["nope"], 'error: error from server (NotFound): pods "nope" not found in namespace "default"\n'),
    ],
)
def test_kubectl_logs_usage_errors_are_kubectls(sim: Sim, argv: list[str], message: str) -> None:
    assert sim.run("logs", *argv) == (1, "", message)


def test_kubectl_logs_follow_prints_what_is_there_and_stops_when_asked(sim: Sim) -> None:
    import io
    import threading

    from cluster.kubectl import cli

    counter(sim, lines=100)
    sim.wait(3)
    stop = threading.Event()
    stop.set()  # the page's Stop, pressed at once: what the log has so far, then the end
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(sim.api, ["logs", "-f", "counter", "--tail=2"], io.StringIO(), out, err, stop=stop)
    assert (code, err.getvalue()) == (0, "") and out.getvalue().splitlines() in (
        ["line 1", "line 2"],
        ["line 2", "line 3"],
    )
