"""A learner takes a whole lesson in the browser, from the lesson list to "Lesson complete".

Only what the page offers is used: the Start button, the prediction form, the
"Try" buttons that put a command in the terminal, Enter in the terminal,
Fast-forward and Check now. Each step must be passed by the cluster's own state.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import screenshot

LESSON = "rolling-update"
STEPS = 5


def current_step(page) -> str | None:
    found = page.query_selector(".guide-step.state-current")
    return found.get_attribute("data-step") if found else None


def moved_on(page, step: str) -> bool:
    return current_step(page) != step or page.query_selector(".lesson-complete") is not None


def run_try_commands(page, step: str) -> int:
    """Click each Try button of the step in turn and run its command in the terminal, while it is current
    (pushes re-render the guide as the cluster changes, so each button is found again)."""
    buttons = f"#step-{step}.state-current button.try-command"
    count = page.locator(buttons).count()
    for index in range(count):
        if moved_on(page, step):
            break
        outputs = page.locator("#term-output .term-entry").count()  # one per answer, output or not
        try:
            page.locator(buttons).nth(index).click(timeout=5000)
        except PlaywrightTimeout:
            assert moved_on(page, step), f"step {step} still current, its Try button {index} gone"
            break  # the first commands already passed the step, and the guide moved on
        page.press("#term-input", "Enter")
        page.wait_for_function(
            f"() => document.querySelectorAll('#term-output .term-entry').length > {outputs}", timeout=30000
        )
    return count


def click_if_there(page, selector: str) -> None:
    """A click that gives up after 2 s: during a rollout the guide is re-rendered as its check's detail
    changes, and the loop below tries again."""
    try:
        page.click(selector, timeout=2000)
    except PlaywrightTimeout:
        pass


def predict_if_asked(page) -> bool:
    """Choose the first answer and lock it in. Locators, not element handles: a push may re-render the guide
    between two actions (the handle then points at a detached form); a choice lost that way is made again."""
    form = page.locator(".guide-step.state-current form.predict")
    if form.count() == 0:
        return False
    for _attempt in range(3):
        form.locator("input[type=radio]").first.check()
        form.locator("button[type=submit]").click()
        try:
            page.wait_for_selector(".guide-step.state-current .prediction.locked", timeout=5000)
            return True
        except PlaywrightTimeout:
            continue
    raise AssertionError("the prediction was never locked in")


def test_a_learner_takes_the_rolling_update_lesson_from_start_to_finish(daphne_server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(daphne_server["url"] + "/lessons/")
    page.click(f"form[action*='{LESSON}'] button")
    page.wait_for_selector("#ws-status.live")
    page.wait_for_selector(".guide-step.state-current")

    passed: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not page.query_selector(".lesson-complete"):
        step = current_step(page)
        assert step is not None
        predicted = predict_if_asked(page)
        ran = run_try_commands(page, step)
        for attempt in range(40):  # the cluster needs a moment (or a fast-forward) to reach what the step checks
            if moved_on(page, step):
                break
            if attempt % 2 == 0:
                page.click("#btn-ff")
            else:
                click_if_there(page, f"#step-{step}.state-current .check-now")
            page.wait_for_timeout(500)
        assert moved_on(page, step), (step, ran, predicted, page.inner_text(f"#step-{step} .check-status"))
        passed.append(step)

    assert page.query_selector(".lesson-complete"), passed
    assert len(passed) == STEPS
    assert page.inner_text("#lesson-guide .guide-head .muted") == f"{STEPS} of {STEPS} steps done"
    # Every prediction is judged against what the cluster did.
    assert page.locator(".guide-step.state-done .prediction").count() >= 1
    screenshot(page, "lesson-complete")
    assert errors == []
    context.close()


def test_a_hint_opened_during_a_rollout_stays_open_as_the_check_reports_progress(daphne_server, browser):
    """The check's words change with every pod the rollout replaces; only they are re-sent, so the hint the
    learner opened stays open (the whole guide used to be replaced, closing it)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.goto(daphne_server["url"] + "/lessons/")
    page.click(f"form[action*='{LESSON}'] button")
    page.wait_for_selector("#ws-status.live")
    page.click("#step-look.state-current button.try-command >> nth=0")
    page.press("#term-input", "Enter")
    page.wait_for_selector("#step-update.state-current")
    assert predict_if_asked(page)
    page.check("#step-mode")  # one hop per Next: the rollout is watched while it is under way
    page.wait_for_selector("#cluster-mode[data-mode=step]", state="attached")
    page.click("#step-update details.hint summary")
    page.fill("#term-input", "kubectl set image deployment/web nginx=nginx:1.27")
    page.press("#term-input", "Enter")
    page.wait_for_selector("#term-output .term-out")
    seen: list[str] = []
    for _ in range(300):
        if page.query_selector("#step-update.state-current") is None or len(set(seen)) >= 2:
            break
        top = page.get_attribute("#step-log li", "data-seq")
        page.click("#btn-next")
        page.wait_for_function(f"() => document.querySelector('#step-log li')?.dataset.seq !== '{top}'")
        status = page.query_selector("#step-update.state-current .check-status")
        if status is not None:
            seen.append(status.inner_text())
            assert page.get_attribute("#step-update details.hint", "open") is not None, seen
    assert len(set(seen)) >= 2, seen  # the check reported the rollout changing what it saw
    context.close()


# One width for each layout of a lesson's page: the guide beside map and terminal (three columns), the guide
# beside the map with the rows below across both columns, one column.
@pytest.mark.parametrize("width", [1440, 1280, 800])
def test_the_lesson_guide_never_covers_the_terminal_at_any_width(daphne_server, browser, width):
    """The guide follows the learner down the page (position: sticky), and a sticky box stays inside the whole
    grid, not its own rows: at laptop widths it slid over the left half of the terminal, where the output is."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(daphne_server["url"] + "/lessons/")
    page.click(f"form[action*='{LESSON}'] button")
    page.wait_for_selector("#ws-status.live")
    page.fill("#term-input", "kubectl get deployments")
    page.press("#term-input", "Enter")
    page.wait_for_selector("#term-output .term-out")
    for target in ("#term-output", "#term-input"):
        page.locator(target).scroll_into_view_if_needed()
        covered = page.evaluate(
            """(selector) => {
                const box = document.querySelector(selector), r = box.getBoundingClientRect();
                const points = [[r.left + 8, r.top + 8], [r.left + 8, r.bottom - 8], [r.left + r.width / 2, r.top + 8]];
                return points.map(([x, y]) => document.elementFromPoint(x, y))
                             .filter(hit => hit && !box.contains(hit) && !hit.contains(box))
                             .map(hit => hit.tagName + '.' + hit.className);
            }""",
            target,
        )
        assert covered == [], (width, target, covered)
    screenshot(page, f"lesson-terminal-{width}")
    context.close()
