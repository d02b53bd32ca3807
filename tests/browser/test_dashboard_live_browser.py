"""The dashboard as a learner uses it: live tables, streaming watches, quiet hops, a map for the keyboard."""

from __future__ import annotations

from tests.browser.conftest import screenshot


def open_sandbox(daphne_server, page) -> None:
    page.goto(daphne_server["url"] + "/")
    page.click("#new-sandbox")
    page.wait_for_selector("#ws-status.live")


def run(page, command: str) -> None:
    page.fill("#term-input", command)
    page.press("#term-input", "Enter")


def test_the_open_resource_tab_follows_the_cluster_without_a_reload(daphne_server, page):
    open_sandbox(daphne_server, page)
    page.wait_for_selector("#live-panel-pods")
    assert "web-" not in page.inner_text("#panel-body")
    run(page, "kubectl create deployment web --image=nginx --replicas=2")
    web = "[...document.querySelectorAll('#live-panel-pods tbody tr')].filter(tr => tr.textContent.includes('web-'))"
    page.wait_for_function(f"() => {web}.length === 2", timeout=15000)  # kube-system's pods are listed too
    page.wait_for_function(f"() => {web}.every(tr => tr.textContent.includes('Running'))", timeout=30000)


def test_a_watch_streams_until_stopped_and_the_next_command_still_runs(daphne_server, page):
    open_sandbox(daphne_server, page)
    run(page, "kubectl get pods -w")
    watching = page.wait_for_selector(".term-entry.streaming")
    run(page, "kubectl run solo --image=nginx")  # typed while the watch is running: it is not swallowed
    page.wait_for_selector(".term-entry:has-text('pod/solo created')", timeout=10000)
    page.wait_for_function(
        "() => document.querySelector('.term-entry[data-stream-command] .stream-out').textContent.includes('solo')",
        timeout=15000,
    )
    page.focus("#term-input")
    page.keyboard.press("Control+c")
    page.wait_for_function("() => !document.querySelector('.term-entry.streaming')", timeout=5000)
    assert "^C" in watching.inner_text()
    screenshot(page, "terminal-watch")


def test_node_heartbeats_are_hidden_until_asked_for(daphne_server, page):
    open_sandbox(daphne_server, page)
    page.wait_for_selector("#step-log li[data-heartbeat]", state="attached", timeout=20000)
    assert not page.locator("#step-log li[data-heartbeat]").first.is_visible()
    assert "leases/" not in page.inner_text("#hop")
    page.check("#show-heartbeats")
    assert page.locator("#step-log li[data-heartbeat]").first.is_visible()


def test_pods_on_the_map_have_a_glyph_and_a_name_and_open_with_the_keyboard(daphne_server, page):
    open_sandbox(daphne_server, page)
    run(page, "kubectl run solo --image=nginx")
    pod = page.wait_for_selector("#arch g.pod[data-pod='default/solo'].state-Ready", timeout=30000)
    assert pod.get_attribute("aria-label") == "pod solo: Ready"
    assert pod.query_selector("text.glyph").text_content() == "✓"
    pod.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#inspector h3:has-text('Pod solo')")
    scheduler = page.locator("#arch [data-component='kube-scheduler']")
    scheduler.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#component-info .component-card h3:has-text('kube-scheduler')")


def test_run_i_rm_shows_the_pods_output_and_deletes_it(daphne_server, page):
    """The documentation's throwaway pod, typed into the page's terminal: kubectl's own words when its stdin
    is empty and no terminal (the page has none to attach)."""
    open_sandbox(daphne_server, page)
    run(page, "kubectl run -i --rm --restart=Never probe --image=busybox -- nslookup kubernetes")
    entry = ".term-entry:has-text('kubectl run -i --rm')"
    page.wait_for_selector(f"{entry}:has-text('pod \"probe\" deleted')", timeout=30000)
    text = page.inner_text(entry)
    assert "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1" in text
    run(page, "kubectl run -it --rm --restart=Never shell --image=busybox -- sh")
    entry = ".term-entry:has-text('kubectl run -it --rm')"
    page.wait_for_selector(f"{entry}:has-text('pod \"shell\" deleted')", timeout=30000)
    assert "Unable to use a TTY - input is not a terminal or the right kind of file" in page.inner_text(entry)
    run(page, "kubectl get pods")
    page.wait_for_selector(".term-entry:last-child:has-text('No resources found')", timeout=10000)


def test_ctrl_c_stops_a_run_i_rm_and_the_pod_is_deleted(daphne_server, page):
    """The HPA walkthrough's way to stop its load generator: Ctrl-C ends `kubectl run -i --rm`, which then
    deletes its pod (Caps Lock's "C" too). Output with no newline stays on one line, as in a terminal."""
    open_sandbox(daphne_server, page)
    for name, keys in (("lg", "Control+c"), ("lg-caps", "Control+C")):
        loop = '"while sleep 1; do printf hi; done"'
        run(page, f"kubectl run -i --tty {name} --rm --image=busybox:1.28 --restart=Never -- sh -c {loop}")
        entry = f".term-entry:has-text('tty {name} --rm')"
        page.wait_for_selector(f"{entry}:has-text('hihi')", timeout=30000)  # two seconds, two pieces, one line
        page.focus("#term-input")
        page.keyboard.press(keys)
        page.wait_for_selector(f"{entry}:not(.streaming):has-text('^C')", timeout=5000)
        # kubectl deletes the pod as its attach ends, a moment after the page lets the next command be typed;
        # sh ignores SIGTERM as PID 1, so the pod stays Terminating through its grace period.
        for _ in range(20):
            run(page, f"kubectl get pod {name} --no-headers")
            page.wait_for_selector(".term-entry:last-child:has-text('1/1')", timeout=10000)  # its READY column
            if "Terminating" in page.inner_text(".term-entry:last-child"):
                break
        assert "Terminating" in page.inner_text(".term-entry:last-child")


def test_debug_it_adds_an_ephemeral_container_and_describe_lists_it(daphne_server, page):
    """The documentation's ephemeral debug container, typed into the page: no terminal to type into, so the
    shell meets the end of its input, as with `kubectl run -it`; the container then shows in describe."""
    open_sandbox(daphne_server, page)
    run(page, "kubectl run solo --image=nginx")
    page.wait_for_selector("#arch g.pod[data-pod='default/solo'].state-Ready", timeout=30000)
    run(page, "kubectl debug -it solo --image=busybox:1.28 --target=solo")
    entry = ".term-entry:has-text('kubectl debug -it solo')"
    page.wait_for_selector(f"{entry}:not(.streaming):has-text('try pressing enter')", timeout=30000)
    text = page.inner_text(entry)
    assert 'Targeting container "solo".' in text and "Defaulting debug container name to debugger-" in text
    assert "Unable to use a TTY - input is not a terminal or the right kind of file" in text
    run(page, "kubectl describe pod solo")
    page.wait_for_selector(".term-entry:last-child:has-text('Ephemeral Containers:')", timeout=10000)
    assert "Reason:       Completed" in page.inner_text(".term-entry:last-child")


def test_back_to_live_wins_over_a_past_map_still_loading(daphne_server, page):
    """A slow answer for a past revision must not leave the map in the past once the learner is back at live."""
    open_sandbox(daphne_server, page)
    kube_system = "document.querySelectorAll(\"#arch g.pod[data-pod^='kube-system/']\").length"
    page.wait_for_function(f"() => {kube_system} === 14", timeout=60000)
    held: list = []
    page.route(lambda url: "/panel/map?revision=" in url, lambda route: held.append(route))
    page.locator("#step-log li").last.click()  # the oldest step shown: before any pod
    page.wait_for_function("() => !document.getElementById('past-banner').hidden")
    for _ in range(100):  # the route handler runs while Playwright waits on the page
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1, "the past map was not asked for"
    page.click("#btn-live")
    with page.expect_event("requestfinished", lambda r: r.url.endswith("/panel/map"), timeout=10000):
        held[0].continue_()
    page.wait_for_function(f"() => {kube_system} === 14", timeout=5000)
    assert not page.is_visible("#past-banner")
