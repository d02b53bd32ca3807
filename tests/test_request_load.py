"""The HPA walkthrough's own load generator: a busybox `wget` loop against php-apache makes CPU load that
metrics-server reports and the HorizontalPodAutoscaler scales on, as on a real cluster.

php-apache burns 50 millicore-seconds per request; a client waits for the answer, so one `wget` loop keeps
at most one request in flight and its load is bounded by the server's speed (its CPU limit).
"""

from __future__ import annotations

import pytest

from cluster.models import Cluster
from tests.container_sim import Sim, frozen

LOOP = "while sleep 0.01; do wget -q -O- http://php-apache; done"  # the walkthrough's command

PHP_APACHE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: php-apache
spec:
  selector:
    matchLabels:
      run: php-apache
  template:
    metadata:
      labels:
        run: php-apache
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        ports:
        - containerPort: 80
        resources:
          limits:
            cpu: {limit}
          requests:
            cpu: 200m
---
apiVersion: v1
kind: Service
metadata:
  name: php-apache
  labels:
    run: php-apache
spec:
  ports:
  - port: 80
  selector:
    run: php-apache
"""


@pytest.fixture
def sim(cluster: Cluster) -> Sim:
    return frozen(cluster)


def hpa_line(sim: Sim) -> tuple[str, str]:
    """(TARGETS, REPLICAS) of `kubectl get hpa php-apache`."""
    fields = sim.ok("get", "hpa", "php-apache").splitlines()[1].split()  # TARGETS is two words: "cpu: 0%/50%"
    return f"{fields[2]} {fields[3]}", fields[6]


def php_cpu(sim: Sim) -> list[int]:
    """Each php-apache pod's CPU in millicores, as `kubectl top pods` prints it."""
    lines = sim.ok("top", "pods", "-l", "run=php-apache", "--no-headers").splitlines()
    return [int(line.split()[1].rstrip("m")) for line in lines]


def test_the_walkthroughs_wget_loop_scales_php_apache_out_and_back_in(sim: Sim) -> None:
    sim.apply(PHP_APACHE.format(limit="500m"))
    sim.wait(30)
    sim.ok("autoscale", "deployment", "php-apache", "--cpu-percent=50", "--min=1", "--max=10")
    sim.wait(30)
    assert hpa_line(sim) == ("cpu: 0%/50%", "1")
    sim.ok("run", "load-generator", "--image=busybox:1.28", "--restart=Never", "--", "/bin/sh", "-c", LOOP)
    sim.wait(30)
    # One pod answers about 9 requests a second (10 ms sleep + 100 ms of php at 500m): ~455m, 227 % of its
    # request. The HPA's first readings see part of that (the load began inside metrics-server's window), and
    # a scale-up may at most double or go to 4 at a time.
    targets, replicas = hpa_line(sim)
    assert int(replicas) in (2, 3, 4) and int(targets.split()[1].split("%")[0]) > 50, targets
    sim.wait(60)
    # Five pods share the same ~455m: 91m each, 45 %, within the 10 % tolerance of the target: it stays.
    targets, replicas = hpa_line(sim)
    assert replicas == "5" and targets in ("cpu: 45%/50%", "cpu: 46%/50%"), targets
    assert all(88 <= cpu <= 92 for cpu in php_cpu(sim)), php_cpu(sim)
    assert sim.ok("logs", "load-generator").startswith("OK!OK!OK!")

    sim.ok("delete", "pod", "load-generator", "--wait=false")
    sim.wait(60)
    assert hpa_line(sim) == ("cpu: 0%/50%", "5")  # the downscale stabilization window holds the 5 …
    # … for five minutes. The HPA keeps its recommendations in memory, as kube-controller-manager does, and each
    # `simulate` starts the control loops afresh: this one remembers the 5 it finds now, and lets go of it
    # five minutes and one sync on.
    sim.wait(345)
    assert hpa_line(sim) == ("cpu: 0%/50%", "1")


@pytest.mark.parametrize(
    ("limit", "client", "millicores"),
    [
        # a request takes 50 m·s / the CPU the server may use (one request: at most one core)
        ("500m", LOOP, 455),  # 0.01 + 0.1 s a round: 9.1 requests/s
        ("2", LOOP, 833),  # 0.01 + 0.05 s: 16.7 requests/s
        ("500m", "while true; do curl -s http://php-apache > /dev/null; done", 500),  # no pause: 10/s, the limit
        ("500m", "while sleep 1; do wget -q -O- http://php-apache; done", 46),  # 1.1 s a round
    ],
)
def test_one_clients_load_is_bounded_by_how_fast_php_apache_answers(
    sim: Sim, limit: str, client: str, millicores: int
) -> None:
    sim.apply(PHP_APACHE.format(limit=limit))
    sim.wait(30)
    image = "curlimages/curl:8.11.1" if "curl" in client else "busybox:1.28"
    sim.ok("run", "client", f"--image={image}", "--restart=Never", "--command", "--", "/bin/sh", "-c", client)
    sim.wait(40)
    [cpu] = php_cpu(sim)
    # Within a request's worth: metrics-server's window holds whole requests (50 m·s over 15 s is 3.3m).
    assert abs(cpu - millicores) <= max(millicores * 0.02, 4), cpu


def test_requests_to_a_server_that_does_no_work_add_no_load(sim: Sim) -> None:
    sim.ok("create", "deployment", "web", "--image=nginx:1.27")
    sim.ok("expose", "deployment", "web", "--port=80")
    sim.wait(30)
    sim.ok(
        "run",
        "client",
        "--image=busybox:1.28",
        "--restart=Never",
        "--",
        "/bin/sh",
        "-c",
        LOOP.replace("php-apache", "web"),
    )
    sim.wait(40)
    line = sim.ok("top", "pods", "-l", "app=web", "--no-headers")
    assert line.split()[1] == "1m"  # idle: an nginx page costs nothing worth counting


def test_the_load_ends_with_the_client(sim: Sim) -> None:
    """30 requests take 3 s. The kubelet's look-ahead cannot see how long a server takes and foresees the end at
    once; finding the process still running, it looks again at the next relist instead of at once, forever."""
    sim.apply(PHP_APACHE.format(limit="500m"))
    sim.wait(30)
    burst = "for i in $(seq 30); do wget -q -O- http://php-apache; done"
    sim.ok("run", "client", "--image=busybox:1.28", "--restart=Never", "--", "/bin/sh", "-c", burst)
    sim.wait(5)
    assert sim.ok("get", "pod", "client", "--no-headers").split()[2] == "Completed"
    assert sim.ok("logs", "client") == "OK!" * 30
    assert php_cpu(sim) == [101]  # 30 × 50 m·s in metrics-server's last 15 s, and the server's idle 1m
    sim.wait(30)
    assert php_cpu(sim) == [1]  # the burst has left the window: the pod idles again
