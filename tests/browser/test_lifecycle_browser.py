"""A student steps through a Deployment's whole lifecycle in the page, hop by hop.

Types `kubectl create deployment web --image=nginx --replicas=3` in the
terminal, switches to step mode, presses "next" until the kubelet has started
the containers, and checks what the page showed on the way: the hops in
kube-apiserver-centred order with their explanations, pod shapes on the
nodes, the scheduler's reasoning, and time travel back to before the pods.
"""

from __future__ import annotations

import re
import time

from tests.browser.conftest import screenshot

HOP_ORDER = [
    ("kubectl", "kube-apiserver"),
    ("kube-apiserver", "etcd"),
    ("kube-apiserver", "deployment-controller"),
    ("deployment-controller", "kube-apiserver"),
    ("kube-apiserver", "replicaset-controller"),
    ("replicaset-controller", "kube-apiserver"),
    ("kube-apiserver", "default-scheduler"),
    ("default-scheduler", "kube-apiserver"),
    ("kube-apiserver", "kubelet/"),
    ("kubelet/", "containerd/"),
]


def steps_in_order(page: object) -> list[dict]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('#step-log li')).reverse().map(li => ({
        seq: Number(li.dataset.seq), text: li.textContent, verb: li.dataset.verb,
        from: li.textContent.split(' → ')[0], to: li.textContent.split(' → ')[1].split(':')[0],
        revision: li.dataset.revision}))""")


def first_index(steps: list[dict], source: str, target: str, after: int) -> int:
    for i in range(after, len(steps)):
        if steps[i]["from"].startswith(source) and steps[i]["to"].startswith(target):
            return i
    raise AssertionError(
        f"no hop {source} → {target} after step {after}: "
        f"{[(s['from'], s['to'], s['verb']) for s in steps[after : after + 40]]}"
    )


def step_until_containers_start(page: object) -> list[dict]:
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        steps = steps_in_order(page)
        started = [s for s in steps if s["verb"] == "StartContainer" and "web-" in s["text"]]
        if len(started) >= 3:
            return steps
        for _ in range(10):
            page.click("#btn-next")
        page.wait_for_function(f"() => document.querySelectorAll('#step-log li').length > {len(steps)}", timeout=20000)
    raise AssertionError("the containers did not start within 150 s of pressing next")


def test_a_student_steps_through_a_deployments_lifecycle(daphne_server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.goto(daphne_server["url"] + "/")
    page.click("#new-sandbox")
    page.wait_for_selector("#ws-status.live")
    # The kubelets register their nodes first, as on a fresh cluster: kind-control-plane and three workers,
    # and kube-system's 14 pods come up (the control plane's, CoreDNS, kube-proxy and kindnet on every node).
    page.wait_for_function(
        "() => document.querySelectorAll('#arch .node').length === 4 && "
        "document.querySelectorAll('#arch .node.notready').length === 0",
        timeout=30000,
    )
    page.wait_for_function(
        "() => document.querySelectorAll(\"#arch g.pod[data-pod^='kube-system/'].state-Ready\").length === 14",
        timeout=60000,
    )
    page.check("#step-mode")
    page.wait_for_timeout(300)
    before = int(page.inner_text("#live-revision"))

    page.fill("#term-input", "kubectl create deployment web --image=nginx --replicas=3")
    page.press("#term-input", "Enter")
    assert page.wait_for_selector(".term-out").inner_text().strip() == "deployment.apps/web created"

    steps = step_until_containers_start(page)
    position = 0
    for source, target in HOP_ORDER:
        position = first_index(steps, source, target, position) + 1
    page.locator("#step-log li", has_text="kubectl → kube-apiserver: POST deployments/default/web").click()
    hop = page.inner_text("#hop")
    assert "kubectl → kube-apiserver" in hop and "validated" in hop
    screenshot(page, "lifecycle-step-explained")

    page.click("#btn-live")
    page.wait_for_function(
        "() => document.querySelectorAll(\"#arch g.pod[data-pod^='default/']\").length >= 3", timeout=20000
    )
    states = page.eval_on_selector_all(
        "#arch g.pod[data-pod^='default/']", "els => els.map(e => e.getAttribute('class'))"
    )
    assert all(re.search(r"state-(ContainerCreating|Running|Ready)", s) for s in states), states
    screenshot(page, "lifecycle-pods-on-nodes")

    page.click(".tab[data-panel='scheduler']")
    chosen = page.wait_for_selector("#chosen-node").inner_text()
    assert re.fullmatch(r"worker-\d", chosen)
    screenshot(page, "lifecycle-scheduler-panel")

    page.evaluate(f"""() => {{ const s = document.getElementById('time-slider');
        s.value = {before}; s.dispatchEvent(new Event('change')); }}""")
    page.wait_for_selector("#past-banner:not([hidden])")
    page.wait_for_function(
        "() => document.querySelectorAll(\"#arch g.pod[data-pod^='default/']\").length === 0", timeout=10000
    )
    screenshot(page, "lifecycle-time-travel")
    # the cluster goes on meanwhile: the live revision moves, the past stays on the map
    live = int(page.inner_text("#live-revision"))
    page.fill("#term-input", "kubectl scale deployment web --replicas=4")
    page.press("#term-input", "Enter")
    page.wait_for_function(
        f"() => Number(document.getElementById('live-revision').textContent) > {live}", timeout=10000
    )
    assert page.eval_on_selector_all("#arch g.pod[data-pod^='default/']", "els => els.length") == 0
    assert page.is_visible("#past-banner")
    page.click("#btn-live")
    page.wait_for_function(
        "() => document.querySelectorAll(\"#arch g.pod[data-pod^='default/']\").length >= 3", timeout=10000
    )
    context.close()
