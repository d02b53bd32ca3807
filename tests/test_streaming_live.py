"""Streaming like a real apiserver: the real kubectl v1.32's exec, attach, cp and port-forward, and the
official Python client's stream(), against a live Daphne server over TLS (websockets, no SPDY)."""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator

import pytest

from cluster.container import shell

from tests.livesrv import Daphne, LiveKubectl, shared_cluster
from tests.pty_session import pty_session

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers: [{name: nginx, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: ticker}
spec:
  containers:
  - {name: box, image: busybox, command: [sh, -c, 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done']}
---
apiVersion: v1
kind: Pod
metadata: {name: printer}
spec:
  containers:
  - {name: box, image: busybox, command: [sh, -c, 'while sleep 1; do printf OK!; done']}
---
apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  containers: [{name: main, image: nginx}, {name: side, image: busybox, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: cache}
spec:
  containers: [{name: redis, image: redis}]
---
apiVersion: v1
kind: Pod
metadata: {name: finished}
spec:
  restartPolicy: Never
  containers: [{name: once, image: busybox, command: ["true"]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 8000, targetPort: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: front}
spec:
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec:
      containers: [{name: nginx, image: nginx}]
"""


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory: pytest.TempPathFactory, live_daphne: Daphne) -> Iterator[LiveKubectl]:
    workdir = tmp_path_factory.mktemp("streaming-live")
    for server in shared_cluster(live_daphne, "streaming"):
        k = LiveKubectl(server, workdir)
        manifest = workdir / "pods.yaml"
        manifest.write_text(PODS)
        k.run("apply", "-f", str(manifest))
        k.run(
            "wait",
            "--for=condition=Ready",
            "pod/web",
            "pod/ticker",
            "pod/printer",
            "pod/duo",
            "pod/cache",
            "--timeout=60s",
            timeout=90,
        )
        k.run("rollout", "status", "deployment/front", "--timeout=60s", timeout=90)
        k.run("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/finished", "--timeout=60s", timeout=90)
        yield k


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- exec ----------------------------------------------------------------------------------------------
def test_exec_prints_the_output_and_passes_the_exit_code_on(kubectl):
    ok = kubectl.run("exec", "web", "--", "cat", "/etc/hostname")
    assert (ok.stdout, ok.stderr) == ("web\n", "")
    failed = kubectl.run("exec", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert failed.returncode == 3
    assert failed.stdout == "out\n"
    assert failed.stderr == "err\ncommand terminated with exit code 3\n"


def test_exec_i_feeds_stdin_to_the_command(kubectl):
    piped = kubectl.run(
        "exec", "-i", "web", "--", "sh", "-c", "cat > /tmp/piped; cat /tmp/piped", stdin="first line\nsecond line\n"
    )
    assert piped.stdout == "first line\nsecond line\n"
    assert kubectl.run("exec", "web", "--", "cat", "/tmp/piped").stdout == "first line\nsecond line\n"
    script = kubectl.run(
        "exec", "-i", "web", "--", "sh", stdin="cd /usr/share/nginx\nX=ok\necho $X $PWD\nexit 4\n", check=False
    )
    assert (script.returncode, script.stdout) == (4, "ok /usr/share/nginx\n")
    assert script.stderr == "command terminated with exit code 4\n"


def test_exec_chooses_the_container_and_refuses_as_upstream(kubectl):
    assert kubectl.run("exec", "duo", "-c", "side", "--", "hostname").stdout == "duo\n"
    defaulted = kubectl.run("exec", "duo", "--", "cat", "/etc/hostname")
    assert defaulted.stderr == 'Defaulted container "main" out of: main, side\n'
    wrong = kubectl.run("exec", "web", "-c", "nope", "--", "ls", check=False)
    assert (wrong.returncode, wrong.stderr) == (
        1,
        "Error from server (BadRequest): container nope is not valid for pod web\n",
    )
    missing = kubectl.run("exec", "web", "--", "no-such-tool", check=False)
    assert missing.returncode == 1
    assert missing.stderr.startswith(
        "error: Internal error occurred: Internal error occurred: error executing "
        "command in container: failed to exec in container: failed to start exec"
    )
    assert 'exec: "no-such-tool": executable file not found in $PATH: unknown' in missing.stderr
    done = kubectl.run("exec", "finished", "--", "ls", check=False)
    assert (done.returncode, done.stderr) == (
        1,
        "error: cannot exec into a container in a completed pod; current phase is Succeeded\n",
    )


def test_exec_into_a_pod_without_a_node_or_a_running_container(kubectl):
    kubectl.run("run", "nowhere", "--image=nginx", "--overrides", '{"spec":{"nodeSelector":{"disk":"none"}}}')
    unscheduled = kubectl.run("exec", "nowhere", "--", "ls", check=False)
    assert (unscheduled.returncode, unscheduled.stderr) == (
        1,
        "Error from server (BadRequest): pod nowhere does not have a host assigned\n",
    )
    kubectl.run("run", "crasher", "--image=busybox", "--", "sh", "-c", "exit 1")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pod = json.loads(kubectl.run("get", "pod", "crasher", "-o", "json").stdout)
        states = [s.get("state", {}) for s in pod["status"].get("containerStatuses") or []]
        if states and "running" not in states[0]:
            break
        time.sleep(0.5)
    stopped = kubectl.run("exec", "crasher", "--", "ls", check=False)
    assert stopped.returncode == 1
    assert stopped.stderr == (
        'error: Internal error occurred: unable to upgrade connection: container not found ("crasher")\n'
    )


def test_exec_it_runs_an_interactive_shell_on_a_terminal(kubectl):
    typed = [
        ("echo hi\r", "hi\r\n/ # "),
        ("cd /tmp; X=5\r", "/tmp # "),
        ("echo $X $PWD\r", "5 /tmp\r\n"),
        ("if true; then\r", "> "),
        ("echo inside; fi\r", "inside\r\n"),
        ("ls /nope\r", "# "),
        ("echo $?\r", "1\r\n"),
        ("exit 7\r", "exit code 7"),
    ]
    screen, code = pty_session(kubectl, ["exec", "-it", "ticker", "--", "sh"], typed)
    assert code == 7
    assert screen.startswith("/ # echo hi\r\nhi\r\n/ # cd /tmp; X=5\r\n/tmp # echo $X $PWD\r\n5 /tmp\r\n")
    assert "/tmp # if true; then\r\n> echo inside; fi\r\ninside\r\n" in screen
    assert "ls: /nope: No such file or directory\r\n/tmp # echo $?\r\n1\r\n" in screen
    assert screen.endswith("/tmp # exit 7\r\ncommand terminated with exit code 7\r\n")


def test_exec_it_a_loop_that_never_ends_gives_the_prompt_back_and_one_that_outgrows_memory_ends_the_shell(kubectl):
    typed = [
        ("while true; do :; done\r", "/ # "),
        ("echo $?\r", "130\r\n"),
        ("x=a; while true; do x=$x$x; done\r", "exit code 137"),
    ]
    screen, code = pty_session(kubectl, ["exec", "-it", "ticker", "--", "sh"], typed)
    assert code == 137
    assert f"{shell.STILL_RUNNING[:-1]}\r\n/ # echo $?\r\n130\r\n" in screen
    assert screen.endswith("command terminated with exit code 137\r\n")


def test_exec_it_bash_prompt_backspace_and_ctrl_d(kubectl):
    typed = [("nope\r", "found\r\n"), ("echo helo\x7flo\r", "hello\r\n"), ("\x04", "exit\r\n")]
    screen, code = pty_session(kubectl, ["exec", "-it", "web", "--", "bash"], typed)
    assert code == 0  # bash leaves with its last command's status: echo's
    assert screen.startswith(
        "root@web:/# nope\r\nbash: nope: command not found\r\nroot@web:/# echo helo\b \blo\r\nhello\r\n"
        "root@web:/# exit\r\n"
    )


# -- kubectl run -it: typing into the container's own shell -------------------------------------------------
def test_run_it_rm_gives_a_shell_in_a_new_pod_and_deletes_the_pod_when_it_exits(kubectl):
    """The documentation's way into a throwaway pod (Debug Services, the autoscaling walkthrough's load
    generator). The attach used to drop what was typed: no prompt, and `exit` never ended the pod."""
    argv = ["run", "-i", "--tty", "lg", "--rm", "--image=busybox:1.28", "--restart=Never", "--", "/bin/sh"]
    typed = [("echo inside; hostname\r", "lg\r\n/ # "), ("exit\r", 'pod "lg" deleted')]
    screen, code = pty_session(kubectl, argv, typed)
    assert code == 0, screen
    assert "/ # echo inside; hostname\r\ninside\r\nlg\r\n/ # exit\r\n" in screen
    assert 'pod "lg" deleted' in screen
    assert "NotFound" in kubectl.run("get", "pod", "lg", check=False).stderr


def test_run_it_exit_ends_the_containers_shell_which_restarts_by_the_pods_policy(kubectl):
    screen, code = pty_session(
        kubectl, ["run", "-it", "bb", "--image=busybox", "--", "sh"], [("exit 3\r", "Session ended")]
    )
    assert code == 0, screen
    assert "Session ended, resume using 'kubectl attach bb -c bb -i -t' command when the pod is running" in screen
    path = "jsonpath={.status.containerStatuses[0].lastState.terminated.exitCode}"
    deadline = time.monotonic() + 20
    while kubectl.run("get", "pod", "bb", "-o", path).stdout != "3" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert kubectl.run("get", "pod", "bb", "-o", path).stdout == "3"  # the shell exited 3, and was restarted
    kubectl.run("delete", "pod", "bb", "--now")


# -- kubectl debug: an ephemeral container --------------------------------------------------------------------
def test_debug_it_adds_a_shell_beside_a_distroless_container_and_sees_its_processes(kubectl):
    """The documentation's "Debugging with an ephemeral debug container": the pause image has no shell, so
    `kubectl exec` cannot get in; `kubectl debug -it --target` can, and `ps` shows the target's process."""
    kubectl.run("run", "ephemeral-demo", "--image=registry.k8s.io/pause:3.1", "--restart=Never")
    kubectl.run("wait", "--for=condition=Ready", "pod/ephemeral-demo", "--timeout=30s")
    refused = kubectl.run("exec", "ephemeral-demo", "--", "sh", check=False)
    assert 'exec: "sh": executable file not found in $PATH' in refused.stderr
    argv = ["debug", "-it", "ephemeral-demo", "--image=busybox:1.28", "--target=ephemeral-demo", "-c", "debugger"]
    typed = [("ps\r", "ps\r\n/ # "), ("exit\r", "exit\r\n")]
    screen, code = pty_session(kubectl, argv, typed)
    assert code == 0, screen
    assert 'Targeting container "ephemeral-demo".' in screen
    assert "If you don't see a command prompt, try pressing enter." in screen
    assert (
        "/ # ps\r\nPID   USER     TIME  COMMAND\r\n    1 root     0:00 /pause\r\n    7 root     0:00 sh\r\n"
        "   42 root     0:00 ps\r\n/ # exit\r\n"
    ) in screen
    path = "jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.reason}"
    deadline = time.monotonic() + 20
    while kubectl.run("get", "pod", "ephemeral-demo", "-o", path).stdout != "Completed" and time.monotonic() < deadline:
        time.sleep(0.5)
    described = kubectl.run("describe", "pod", "ephemeral-demo").stdout
    assert "Ephemeral Containers:\n  debugger:\n" in described
    assert "    State:          Terminated\n      Reason:       Completed\n      Exit Code:    0\n" in described
    assert kubectl.run("get", "pod", "ephemeral-demo").stdout.splitlines()[1].split()[1:3] == ["1/1", "Running"]
    kubectl.run("delete", "pod", "ephemeral-demo", "--now")


# -- cp --------------------------------------------------------------------------------------------------
def test_cp_copies_a_file_and_a_directory_into_the_pod_and_back(kubectl, tmp_path):
    local = tmp_path / "notes.txt"
    local.write_text("hello from my laptop\nline 2\n")
    assert kubectl.run("cp", str(local), "web:/tmp/notes.txt").stdout == ""
    assert kubectl.run("exec", "web", "--", "cat", "/tmp/notes.txt").stdout == local.read_text()
    tree = tmp_path / "site"
    (tree / "css").mkdir(parents=True)
    (tree / "index.html").write_text("<h1>mine</h1>\n")
    (tree / "css" / "main.css").write_text("h1 { color: red }\n")
    kubectl.run("cp", str(tree), "web:/usr/share/nginx/html/site")
    assert (
        kubectl.run("exec", "web", "--", "cat", "/usr/share/nginx/html/site/css/main.css").stdout
        == "h1 { color: red }\n"
    )
    back = tmp_path / "back"
    copied = kubectl.run("cp", "web:/usr/share/nginx/html/site", str(back))
    assert copied.stdout == "tar: Removing leading `/' from member names\n", copied.stderr  # GNU tar's, as upstream
    assert (back / "index.html").read_text() == "<h1>mine</h1>\n"
    assert (back / "css" / "main.css").read_text() == "h1 { color: red }\n"
    kubectl.run("cp", "web:/usr/share/nginx/html/index.html", str(tmp_path / "welcome.html"))
    assert "<title>Welcome to nginx!</title>" in (tmp_path / "welcome.html").read_text()


def test_cp_into_a_busybox_container(kubectl, tmp_path):
    local = tmp_path / "data.txt"
    local.write_text("x=1\n")
    kubectl.run("cp", str(local), "ticker:/tmp/")
    assert kubectl.run("exec", "ticker", "--", "cat", "/tmp/data.txt").stdout == "x=1\n"
    back = tmp_path / "again.txt"
    copied = kubectl.run("cp", "ticker:/tmp/data.txt", str(back))
    assert copied.stdout == "tar: removing leading '/' from member names\n", copied.stderr
    assert back.read_text() == "x=1\n"


# -- attach ------------------------------------------------------------------------------------------------
def test_attach_streams_what_the_container_prints_from_now_on(kubectl):
    attached = kubectl.popen("attach", "ticker")
    assert attached.stdout is not None and attached.stderr is not None
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 15
        while len(lines) < 2 and time.monotonic() < deadline:
            ready, _, _ = select.select([attached.stdout], [], [], 0.5)
            if ready:
                lines.append(attached.stdout.readline())
    finally:
        attached.terminate()
        attached.wait(timeout=10)
    assert len(lines) == 2 and all(line.startswith("tick ") for line in lines), lines
    first, second = (int(line.split()[1]) for line in lines)
    assert second == first + 1
    assert "If you don't see a command prompt, try pressing enter." in attached.stderr.read()


def test_attach_streams_output_that_never_ends_a_line(kubectl):
    """The HPA walkthrough's load generator prints OK!OK!OK!… without a newline; an attach shows it as it comes."""
    attached = kubectl.popen("attach", "printer")
    assert attached.stdout is not None
    received = ""
    try:
        deadline = time.monotonic() + 15
        while received.count("OK!") < 2 and time.monotonic() < deadline:
            ready, _, _ = select.select([attached.stdout], [], [], 0.5)
            if ready:
                received += os.read(attached.stdout.fileno(), 1024).decode()
    finally:
        attached.terminate()
        attached.wait(timeout=10)
    assert received.count("OK!") >= 2 and "\n" not in received, received


# -- port-forward -----------------------------------------------------------------------------------------
def _forward(kubectl: LiveKubectl, target: str, remote: int) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    forward = kubectl.popen("port-forward", "--address=127.0.0.1", target, f"{port}:{remote}")
    assert forward.stdout is not None
    ready, _, _ = select.select([forward.stdout], [], [], 15)
    assert ready, "port-forward did not start"
    container_port = 80 if remote == 8000 else remote  # kubectl resolves the Service's targetPort itself
    assert forward.stdout.readline().strip() == f"Forwarding from 127.0.0.1:{port} -> {container_port}"
    return forward, port


def _curl(port: int, path: str = "/") -> subprocess.CompletedProcess:
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "-i", f"http://127.0.0.1:{port}{path}"], capture_output=True, timeout=20
    )  # bytes: the response's CRLFs stay as they are
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not on PATH")
@pytest.mark.parametrize("target,remote", [("pod/web", 80), ("svc/web", 8000), ("deploy/front", 80)])
def test_port_forward_reaches_nginx_in_the_pod(kubectl, target, remote):
    forward, port = _forward(kubectl, target, remote)
    try:
        page = _curl(port)
        missing = _curl(port, "/nothing-here")
    finally:
        forward.terminate()
        forward.wait(timeout=10)
    assert page.returncode == 0, page.stderr
    head, _, body = page.stdout.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200 OK\r\n") and "Content-Type: text/html" in head
    assert "<title>Welcome to nginx!</title>" in body
    assert missing.stdout.startswith("HTTP/1.1 404 Not Found\r\n")
    if target == "pod/web":  # nginx logs the request, which came from inside the pod (127.0.0.1)
        logs = kubectl.run("logs", "web").stdout.splitlines()
        assert any(
            line.startswith("127.0.0.1 - - [") and '"GET / HTTP/1.1" 200 615' in line and "curl/" in line
            for line in logs
        ), logs[-5:]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not on PATH")
def test_port_forward_to_a_server_without_http_or_without_a_listener(kubectl):
    forward, port = _forward(kubectl, "pod/cache", 6379)
    try:
        reply = _curl(port)
    finally:
        forward.terminate()
        forward.wait(timeout=10)
    assert (reply.returncode, reply.stderr.strip()) == (52, "curl: (52) Empty reply from server")
    forward, port = _forward(kubectl, "pod/web", 81)
    try:
        refused = _curl(port)
        forward.wait(timeout=15)
    finally:
        forward.kill()
    assert refused.returncode != 0
    assert forward.stderr is not None
    errors = forward.stderr.read()
    assert "an error occurred forwarding" in errors and "connect: connection refused" in errors
    assert errors.rstrip().endswith("error: lost connection to pod")


# -- authentication and the fallback --------------------------------------------------------------------------
def test_a_wrong_token_is_refused_with_401_before_the_upgrade(kubectl):
    server = kubectl.server
    context = ssl.create_default_context(cafile=str(server.ca_file))
    host, port = server.url.removeprefix("https://").split(":")
    for token in ("wrong", ""):
        with (
            socket.create_connection((host, int(port)), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            tls.sendall(
                (
                    f"GET /api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true HTTP/1.1\r\n"
                    f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    f"Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n"
                    + (f"Authorization: Bearer {token}\r\n" if token else "")
                    + "\r\n"
                ).encode()
            )
            answer = b""
            while b"}" not in answer:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                answer += chunk
        head, _, body = answer.decode().partition("\r\n\r\n")
        assert head.startswith("HTTP/1.1 401 Unauthorized\r\n")
        assert json.loads(body)["reason"] == "Unauthorized"
    wrong = subprocess.run(
        [
            "kubectl",
            "--server",
            server.url,
            "--token",
            "wrong",
            "--certificate-authority",
            str(server.ca_file),
            "exec",
            "web",
            "--",
            "ls",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env=kubectl.env,
    )
    assert (wrong.returncode, wrong.stderr) == (1, "error: You must be logged in to the server (Unauthorized)\n")


def test_the_older_prefix_and_the_spdy_fallback(kubectl):
    legacy = subprocess.run(
        [
            "kubectl",
            "--server",
            kubectl.server.legacy_url,
            "--token",
            kubectl.server.token,
            "--certificate-authority",
            str(kubectl.server.ca_file),
            "exec",
            "web",
            "--",
            "echo",
            "legacy",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env=kubectl.env,
    )
    assert (legacy.returncode, legacy.stdout) == (0, "legacy\n"), legacy.stderr
    spdy = kubectl.run("exec", "web", "--", "ls", check=False, env={"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"})
    assert spdy.returncode == 1
    assert "kubeclass serves pods/exec over WebSockets only" in spdy.stderr


# -- the official Python client ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def core(kubectl):
    from kubernetes import client

    config = client.Configuration()
    config.host = kubectl.server.url
    config.ssl_ca_cert = str(kubectl.server.ca_file)
    config.api_key = {"authorization": f"Bearer {kubectl.server.token}"}
    return client.CoreV1Api(client.ApiClient(config))


def test_python_client_stream_exec(core):
    from kubernetes.stream import stream

    out = stream(
        core.connect_get_namespaced_pod_exec,
        "web",
        "default",
        command=["sh", "-c", "echo hi; echo oops >&2"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
    )
    assert out == "hi\noops\n"
    failed = stream(
        core.connect_get_namespaced_pod_exec,
        "web",
        "default",
        command=["sh", "-c", "echo x; exit 5"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    failed.run_forever(timeout=10)
    assert (failed.read_stdout(), failed.returncode) == ("x\n", 5)


def _stdin_session(core, command: list[str]):
    """An exec in `web` with stdin, through the official client's websocket (not preloaded: the test drives it)."""
    from kubernetes.stream import stream

    return stream(
        core.connect_get_namespaced_pod_exec,
        "web",
        "default",
        command=command,
        stderr=True,
        stdin=True,
        stdout=True,
        tty=False,
        _preload_content=False,
    )


def test_python_client_stream_with_stdin(core):

    cat = _stdin_session(core, ["cat"])
    cat.write_stdin("through stdin\n")
    cat.close_channel(0)  # v5: the end of stdin
    cat.run_forever(timeout=10)
    assert (cat.read_stdout(), cat.returncode) == ("through stdin\n", 0)
    sh = _stdin_session(core, ["sh"])
    sh.write_stdin("cd /etc\n")
    sh.write_stdin("pwd\n")
    assert sh.readline_stdout(timeout=10) == "/etc"
    sh.write_stdin("exit 2\n")
    sh.run_forever(timeout=10)
    assert sh.returncode == 2


def test_a_client_busy_elsewhere_still_reads_the_end_of_its_session(core):
    """kube-apiserver ends a session with the Status, a close frame and an orderly close; a client that comes back
    to the socket late reads all of it. (Autobahn's default reset the connection when the client had not answered
    the close frame within a second: the official client then raised "Connection to remote host was lost".)"""

    sh = _stdin_session(core, ["sh"])
    sh.write_stdin("exit 3\n")
    time.sleep(2.5)  # the client is busy: the Status and the close frame wait on its socket
    sh.run_forever(timeout=10)
    assert sh.returncode == 3


def test_python_client_portforward(core):
    from kubernetes.stream import portforward

    forward = portforward(core.connect_get_namespaced_pod_portforward, "web", "default", ports="80")
    conn = forward.socket(80)
    try:
        conn.settimeout(10)
        conn.sendall(b"GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    finally:
        conn.close()
        forward.close()
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and b"Welcome to nginx!" in reply
