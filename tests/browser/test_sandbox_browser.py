"""A visitor in a real browser: a sandbox of their own that another browser cannot open."""

from __future__ import annotations

from tests.browser.conftest import screenshot


def test_a_new_visitor_gets_a_sandbox_and_a_second_browser_cannot_open_it(daphne_server, browser):
    first = browser.new_context()
    page = first.new_page()
    page.goto(daphne_server["url"] + "/")
    page.click("#new-sandbox")
    page.wait_for_selector("#arch")
    sandbox_url = page.url
    assert "/c/sandbox-" in sandbox_url
    page.wait_for_selector("#ws-status.live")
    screenshot(page, "sandbox-new")
    # The command for one's own kubectl holds the cluster's token: shown only when asked, never projected.
    assert not page.is_visible("#own-kubectl-line")
    # The panel above loads after the page: clicked before it lands, the summary moves and the click misses.
    page.wait_for_selector("#panel-body > *")
    page.click(".own-kubectl summary")
    # Waits: with the suite on two workers a busy page may paint the opened details a moment later.
    line = page.wait_for_selector("#own-kubectl-line", state="visible", timeout=5000)
    assert "--token" in line.inner_text()
    page.click("#btn-projector")
    assert not page.is_visible(".own-kubectl")
    page.click("#btn-projector")

    second = browser.new_context()
    intruder = second.new_page()
    response = intruder.goto(sandbox_url)
    assert response.status == 404
    assert intruder.locator("#arch").count() == 0
    first.close()
    second.close()


def test_the_terminal_prints_kubectls_error_for_an_unknown_verb(daphne_server, page):
    page.goto(f"{daphne_server['url']}/c/demo/?token={daphne_server['token']}")
    page.fill("#term-input", "kubectl frobnicate pods")
    page.press("#term-input", "Enter")
    error = page.wait_for_selector(".term-err")
    assert error.inner_text().strip() == 'error: unknown command "frobnicate" for "kubectl"'
