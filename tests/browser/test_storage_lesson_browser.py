"""A learner, in Korean, takes the storage lesson's first two steps in the browser: a redis pod with an emptyDir,
a file on the volume and one in the container's /tmp, `kill 1` from the page's terminal, and the prediction of
which file the restarted container still has, graded against the container's files."""

from __future__ import annotations

import time

from tests.browser.conftest import screenshot
from tests.browser.test_lesson_browser import click_if_there, current_step, moved_on, run_try_commands


def take_step(page, step: str, answer: str | None = None) -> None:
    if answer is not None:
        page.check(f"#step-{step}.state-current form.predict input[value='{answer}']")
        page.click(f"#step-{step}.state-current form.predict button[type=submit]")
        page.wait_for_selector(f"#step-{step}.state-current .prediction.locked")
    run_try_commands(page, step)
    for attempt in range(40):
        if moved_on(page, step):
            return
        if attempt % 2 == 0:
            page.click("#btn-ff")
        elif attempt % 8 == 7:
            # An exec typed while the container was between two runs answered `container not found`: a learner
            # runs the step's last command again, and so does this test.
            page.locator(f"#step-{step}.state-current button.try-command").last.click()
            page.press("#term-input", "Enter")
        else:
            click_if_there(page, f"#step-{step}.state-current .check-now")
        page.wait_for_timeout(500)
    raise AssertionError((step, page.inner_text(f"#step-{step} .check-status")))


def type_command(page, command: str) -> str:
    """Type `command` in the terminal and return what it answered."""
    entries = page.locator("#term-output .term-entry").count()
    page.fill("#term-input", command)
    page.press("#term-input", "Enter")
    page.wait_for_function(f"() => document.querySelectorAll('#term-output .term-entry').length > {entries}")
    return page.locator("#term-output .term-entry").last.inner_text()


def test_a_learner_sees_what_a_container_restart_keeps(daphne_server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ko-KR")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(daphne_server["url"] + "/lessons/")
    page.click("form[action*='storage'] button")
    page.wait_for_selector("#ws-status.live")
    page.wait_for_selector(".guide-step.state-current")
    assert current_step(page) == "scratch"
    assert "emptyDir" in page.inner_text("#step-scratch")

    take_step(page, "scratch")
    deadline = time.monotonic() + 5
    while current_step(page) != "restart" and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert "재시작해도 남는 것" in page.inner_text("#step-restart")
    take_step(page, "restart", answer="/data/redis/test-file")

    graded = page.inner_text("#step-restart .prediction")
    assert graded.startswith("✔"), graded  # the restarted container has the volume's file and not its own
    listing = type_command(page, "kubectl exec redis -- ls /data/redis /tmp")
    assert "test-file" in listing and "scratch" not in listing
    assert " 1 (" in type_command(page, "kubectl get pod redis")  # RESTARTS 1 (… ago)
    screenshot(page, "storage-restart-graded")
    assert errors == []
    context.close()
