"""What a container reaches on the network, and `kubectl exec` into it: the documentation's commands on the
virtual clock (curl and wget against pods, Services and NodePorts; the page's exec and its traffic panel)."""

from __future__ import annotations

import pytest

from cluster.models import Cluster
from tests.container_sim import Sim, frozen


@pytest.fixture
def sim(cluster: Cluster) -> Sim:
    return frozen(cluster)


def test_exec_runs_a_shell_in_the_container(sim: Sim) -> None:
    sim.ok("run", "web", "--image=nginx:1.27", "--env=GREETING=hello")
    sim.wait(10)
    assert sim.ok("exec", "web", "--", "cat", "/etc/hostname") == "web\n"
    assert sim.ok("exec", "web", "--", "printenv", "GREETING") == "hello\n"
    assert sim.ok("exec", "web", "--", "sh", "-c", "echo $GREETING from $(hostname)") == "hello from web\n"
    sim.ok("exec", "web", "--", "sh", "-c", "echo '<h1>changed</h1>' > /usr/share/nginx/html/index.html")
    assert sim.ok("exec", "web", "--", "curl", "-s", "http://localhost/") == "<h1>changed</h1>\n"
    code, _, err = sim.run("exec", "web", "--", "wget", "-qO-", "http://localhost/")
    assert code == 1 and 'exec: "wget": executable file not found in $PATH' in err  # nginx's image has no wget
    sim.ok("expose", "pod", "web", "--port=80")
    sim.ok("run", "client", "--image=busybox:1.36", "--", "sleep", "3600")
    sim.wait(10)
    assert sim.ok("exec", "client", "--", "wget", "-qO-", "http://web") == "<h1>changed</h1>\n"
    access = sim.ok("logs", "web", "--tail=1")
    assert access.endswith('"GET / HTTP/1.1" 200 17 "-" "Wget" "-"\n')


def test_a_command_that_is_nowhere_is_reported_in_each_shells_words(sim: Sim) -> None:
    sim.ok("run", "web", "--image=nginx:1.27")
    sim.ok("run", "box", "--image=busybox:1.36", "--", "sleep", "3600")
    sim.wait(10)
    for pod, shell, said in [
        ("web", "bash", "bash: line 1: nope: command not found\n"),
        ("web", "sh", "sh: 1: nope: not found\n"),
        ("box", "sh", "sh: nope: not found\n"),
    ]:
        code, _, err = sim.run("exec", pod, "--", shell, "-c", "nope")
        assert (code, err) == (127, said + "command terminated with exit code 127\n"), (pod, shell)


def test_the_debug_services_page_reaches_serve_hostname_from_its_busybox(sim: Sim) -> None:
    """The documentation's Debug Services page: serve_hostname backends on 9376 behind a Service, looked at from
    gcr.io/google-containers/busybox (k8s.gcr.io's old registry, an old busybox with the libc nslookup)."""
    sim.ok("create", "deployment", "hostnames", "--image=registry.k8s.io/serve_hostname", "--replicas=2")
    sim.ok("expose", "deployment", "hostnames", "--port=80", "--target-port=9376")
    sim.ok("run", "box", "--image=gcr.io/google-containers/busybox", "--", "sleep", "3600")
    sim.wait(15)
    pods = sorted(
        p["metadata"]["name"] for p in sim.api.list("pods", "default", label_selector="app=hostnames")["items"]
    )
    ip = sim.pod(pods[0])["status"]["podIP"]
    assert sim.ok("exec", "box", "--", "wget", "-qO-", f"{ip}:9376") == pods[0]  # no newline, as the Go server
    assert sim.ok("exec", "box", "--", "wget", "-qO-", "hostnames") in pods
    cluster_ip = sim.api.get("services", "default", "hostnames")["spec"]["clusterIP"]
    assert sim.ok("exec", "box", "--", "nslookup", "hostnames") == (
        "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\n"
        f"Name:      hostnames\nAddress 1: {cluster_ip} hostnames.default.svc.cluster.local\n"
    )


def test_radial_busyboxplus_has_curl_and_the_old_nslookup(sim: Sim) -> None:
    """The Connecting Applications with Services page's client image."""
    sim.ok("run", "my-nginx", "--image=nginx", "--port=80", "--expose")
    sim.ok("run", "curl", "--image=radial/busyboxplus:curl", "--", "sleep", "3600")
    sim.wait(15)
    assert "<title>Welcome to nginx!</title>" in sim.ok("exec", "curl", "--", "curl", "-s", "http://my-nginx")
    assert "Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\nName:      my-nginx\n" in sim.ok(
        "exec", "curl", "--", "nslookup", "my-nginx"
    )


def test_a_pod_on_the_hosts_network_has_the_nodes_hostname(sim: Sim) -> None:
    # what `kubectl debug node/worker-1` shows: the pod shares the node's network and UTS namespaces
    sim.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: on-host}\nspec:\n  hostNetwork: true\n"
        "  nodeName: worker-1\n  containers: [{name: box, image: busybox:1.36, command: [sleep, '3600']}]\n"
    )
    sim.wait(10)
    assert sim.ok("exec", "on-host", "--", "sh", "-c", "hostname; cat /etc/hostname; echo $HOSTNAME") == (
        "worker-1\nworker-1\nworker-1\n"
    )


@pytest.mark.parametrize(("flags", "warned"), [(["-it"], True), (["-i", "-t"], True), (["-t"], False), (["-i"], False)])
def test_exec_with_a_tty_from_the_pages_terminal_says_it_has_none(sim: Sim, flags: list[str], warned: bool) -> None:
    """kubectl -it with a stdin that is not a terminal (the page's, or `< /dev/null`): its warning, then the
    shell meets the end of its input."""
    sim.ok("run", "web", "--image=nginx:1.27")
    sim.wait(10)
    no_tty = "Unable to use a TTY - input is not a terminal or the right kind of file\n"
    assert sim.run("exec", *flags, "web", "--", "sh") == (0, "", no_tty if warned else "")


def test_requests_from_the_traffic_panel_show_in_nginxs_access_log(sim: Sim) -> None:
    from cluster import proxy

    sim.ok("create", "deployment", "web", "--image=nginx:1.27")
    sim.ok("expose", "deployment", "web", "--port=80")
    sim.wait(20)
    traffic = proxy.send_requests(sim.api, "web:80", 3, client="dashboard")
    pod = traffic.hops[0]["pod"]
    ip = sim.pod(pod)["status"]["podIP"]
    lines = sim.ok("logs", pod, "--tail=3").splitlines()
    bridge = ip.rsplit(".", 1)[0] + ".1"
    assert len(lines) == 3 and all(line.startswith(f"{bridge} - - [") for line in lines)
    assert all(line.endswith('"GET / HTTP/1.1" 200 615 "-" "kubeclass-traffic-panel" "-"') for line in lines)


def test_a_sidecar_fetching_from_localhost_reaches_its_pods_nginx(sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: hello}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
  - name: sidecar
    image: busybox:1.36
    command: ["sh", "-c", "while true; do wget -qO- http://localhost:80 >/dev/null; sleep 10; done"]
""")
    sim.wait(35)
    assert sim.status_column("hello") == "Running"
    access = [line for line in sim.ok("logs", "hello", "-c", "nginx").splitlines() if '"GET / HTTP/1.1"' in line]
    assert len(access) >= 3 and all(line.startswith("127.0.0.1 - - [") for line in access)
    assert "failed to reconcile" not in caplog.text  # the sidecar's request once recursed without end


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["curl", "-s", "http://localhost/"], (0, "<h1>hi</h1>\n")),
        (["curl", "http://localhost/", "-s"], (0, "<h1>hi</h1>\n")),  # options after the URL, as curl allows
        (["curl", "-s", "--max-time", "2", "http://localhost/", "--cacert", "/etc/ssl/ca.crt"], (0, "<h1>hi</h1>\n")),
        (["curl", "-s", "-H", "Host: example", "--url", "http://localhost/"], (0, "<h1>hi</h1>\n")),
        (["curl", "https://localhost/", "--cacert", "/etc/ssl/ca.crt"], (7, "")),  # nginx serves no TLS here
    ],
)
def test_curl_reads_its_options_wherever_they_stand(sim: Sim, argv: list[str], expected: tuple[int, str]) -> None:
    sim.ok("run", "web", "--image=nginx:1.27")
    sim.wait(10)
    sim.ok("exec", "web", "--", "sh", "-c", "echo '<h1>hi</h1>' > /usr/share/nginx/html/index.html")
    code, out, _ = sim.run("exec", "web", "--", *argv)
    assert (code, out) == expected


def test_a_node_port_answers_on_every_nodes_address(sim: Sim) -> None:
    """The Services tutorial's NodePort: kube-proxy forwards nodeIP:nodePort on every node, from any pod."""
    sim.ok("run", "web", "--image=nginx:1.27", "--labels=app=web", "--port=80")
    sim.ok("expose", "pod", "web", "--type=NodePort", "--port=80")
    sim.ok("run", "client", "--image=busybox:1.36", "--", "sleep", "3600")
    sim.wait(15)
    node_port = sim.api.get("services", "default", "web")["spec"]["ports"][0]["nodePort"]
    addresses = [
        a["address"]
        for n in sim.api.list("nodes")["items"]
        for a in n["status"]["addresses"]
        if a["type"] == "InternalIP"
    ]
    assert len(addresses) >= 2
    for address in addresses:
        page = sim.ok("exec", "client", "--", "wget", "-qO-", "-T", "2", f"http://{address}:{node_port}/")
        assert "Welcome to nginx!" in page, address
    code, _, err = sim.run("exec", "client", "--", "wget", "-qO-", "-T", "2", f"http://{addresses[0]}:{node_port + 1}/")
    assert (code, err) == (
        1,
        f"wget: can't connect to remote host ({addresses[0]}): Connection refused\n"
        "command terminated with exit code 1\n",
    )
