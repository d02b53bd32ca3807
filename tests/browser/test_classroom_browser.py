"""A class in real browsers: one teacher and three students, each in a browser context of their own.

The teacher starts a class from the home page; the students join with its code.
In Follow mode they see the teacher's steps as they happen and cannot drive the
teacher's cluster (the server refuses, not only the page); in Hands-on each one
works in a sandbox of their own and the teacher's grid shows their progress.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import screenshot

NAMES = ("Ada", "Ben", "Cho")
SANDBOX_URL = re.compile(r".*/c/[a-z0-9]+-s\d+-[0-9a-f]+/$")


@pytest.fixture
def classroom(daphne_server, browser):
    base = daphne_server["url"]
    contexts = []
    teacher_context = browser.new_context(viewport={"width": 1600, "height": 1000})
    contexts.append(teacher_context)
    teacher = teacher_context.new_page()
    teacher.goto(base + "/")
    teacher.select_option(".teach-form select[name=lesson]", "rolling-update")
    teacher.click("#start-class")
    teacher.wait_for_selector(".join-code", timeout=30000)
    code = teacher.inner_text(".join-code").strip()
    teacher.wait_for_selector("#ws-status.live")
    students = [join(browser, base, code, name, contexts) for name in NAMES]
    yield {
        "base": base,
        "code": code,
        "teacher": teacher,
        "students": students,
        "browser": browser,
        "contexts": contexts,
    }
    for context in contexts:
        context.close()


def join(browser, base: str, code: str, name: str, contexts: list | None = None):
    """A student's browser joins the class and is on the teacher's cluster, live."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    if contexts is not None:
        contexts.append(context)
    page = context.new_page()
    page.goto(f"{base}/join?code={code}")
    page.fill("input[name=name]", name)
    page.click("form.join-form button[type=submit]")
    page.wait_for_selector("#arch")
    page.wait_for_selector("#ws-status.live")
    return page


def refused_in_follow_mode(page) -> list[int]:
    """What the server answers when a following student tries to drive the teacher's cluster."""
    return page.evaluate("""async () => {
        const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
        const post = (path, data) => fetch(location.pathname + path, {method: 'POST',
            headers: {'X-CSRFToken': token}, body: new URLSearchParams(data)}).then(r => r.status);
        return [await post('kubectl', {command: 'kubectl delete deployment web'}),
                await post('control', {action: 'next'}),
                await post('control', {action: 'step-mode', value: 'off'}),
                await fetch(location.pathname + 'kubeconfig').then(r => r.status)];
    }""")


def test_students_follow_the_teacher_and_cannot_drive_the_class_cluster(classroom):
    teacher, students = classroom["teacher"], classroom["students"]
    for student in students:
        assert student.locator(".role-badge").count() == 1
        assert student.locator("#term-input").count() == 0  # no terminal to type into
        assert refused_in_follow_mode(student) == [403, 403, 403, 403]
    teacher.wait_for_selector("tr[data-student=Cho]")
    teacher.fill("#term-input", "kubectl scale deployment web --replicas=5")
    started = time.monotonic()
    teacher.press("#term-input", "Enter")
    for student in students:
        student.wait_for_function(
            "() => [...document.querySelectorAll('#step-log li')]"
            ".some(li => li.textContent.includes('PUT deployments/default/web/scale'))",
            timeout=5000,
        )
    assert time.monotonic() - started < 1.0, "every student should see the teacher's step within a second"
    # A student who joins now gets only the newest steps; the rollout's steps push the class's first ones out.
    scale = teacher.locator("#step-log li", has_text="PUT deployments/default/web/scale").get_attribute("data-seq")
    teacher.wait_for_function(
        f"() => document.querySelectorAll('#step-log li[data-seq]').length && "
        f"[...document.querySelectorAll('#step-log li')].filter(li => +li.dataset.seq > {scale})"
        ".length >= 20",
        timeout=30000,
    )
    late = join(classroom["browser"], classroom["base"], classroom["code"], "Dee", classroom["contexts"])
    students = [*students, late]
    # The teacher walks back to the first step its page shows, from before the late student came.
    seq = teacher.locator("#step-log li:not([data-heartbeat])").last.get_attribute("data-seq")
    assert late.locator(f"#step-log li[data-seq='{seq}']").count() == 0
    teacher.locator(f"#step-log li[data-seq='{seq}']").click()
    current = f"() => document.querySelector('#step-log li.current')?.dataset.seq === '{seq}'"
    teacher.wait_for_function(current, timeout=10000)  # the teacher's own page went back first
    for student in students:
        student.wait_for_function(current, timeout=10000)
        assert student.locator("#past-banner").is_visible()
        assert student.inner_text("#past-rev") == teacher.inner_text("#past-rev")  # the cluster as the teacher sees it
    screenshot(late, "class-late-student-follows-back")
    teacher.click("#btn-live")
    for student in students:
        student.wait_for_selector("#past-banner", state="hidden", timeout=10000)
    # The teacher's deployment is still there: the students' delete was refused.
    teacher.fill("#term-input", "kubectl get deployment web")
    teacher.press("#term-input", "Enter")
    teacher.wait_for_selector(".term-entry:last-child .term-out")
    assert "web" in teacher.inner_text(".term-entry:last-child .term-out")
    screenshot(students[0], "class-student-follow")


def test_hands_on_gives_each_student_a_sandbox_and_the_grid_shows_their_progress(classroom):
    teacher, students = classroom["teacher"], classroom["students"]
    teacher.wait_for_selector("tr[data-student=Cho]")
    held: list = []  # the teacher's request, held while we look at the desk (a class of 30 waits a second or two)

    def hold(route) -> None:
        held.append(route)

    teacher.route("**/classes/*/mode", hold)
    teacher.click("button[name=mode][value=hands-on]")
    teacher.wait_for_function("() => document.querySelector('.mode-switch fieldset').disabled")  # no second click
    indicator = "() => getComputedStyle(document.querySelector('.mode-switch .htmx-indicator')).opacity === '1'"
    teacher.wait_for_function(indicator)  # "Preparing a sandbox for every student…"
    while not held:
        teacher.wait_for_timeout(50)
    held[0].continue_()
    teacher.unroute("**/classes/*/mode", hold)
    for student in students:
        student.wait_for_url(SANDBOX_URL, timeout=30000)
        student.wait_for_selector("#term-input")
    assert len({s.url for s in students}) == 3
    ada = students[0]
    ada.wait_for_selector("#ws-status.live")
    ada.click(".guide-step.state-current .try-command >> nth=0")
    ada.press("#term-input", "Enter")
    ada.wait_for_selector("#step-look.state-done", timeout=10000)
    teacher.wait_for_selector("tr[data-student=Ada] td.cell.done[data-step=look]", timeout=10000)
    assert teacher.locator("tr[data-student=Ben] td.cell.done").count() == 0
    # A hint pushed by the teacher reaches only that student.
    teacher.fill("tr[data-student=Ben] input[name=hint]", "Try kubectl get pods")
    teacher.click("tr[data-student=Ben] button:has-text('Send')")
    students[1].wait_for_selector(".teacher-hint:has-text('Try kubectl get pods')", timeout=5000)
    assert students[2].locator(".teacher-hint").count() == 0
    screenshot(teacher, "class-teacher-grid")
    # Back to Follow: every student's page returns to the teacher's cluster.
    teacher.click("button[name=mode][value=follow]")
    for student in students:
        student.wait_for_url(re.compile(r".*/c/class-[a-z0-9]+/$"), timeout=15000)


def test_a_student_who_reloads_lands_where_they_were(classroom):
    teacher, ada = classroom["teacher"], classroom["students"][0]
    teacher.wait_for_selector("tr[data-student=Ada]")
    teacher.click("button[name=mode][value=hands-on]")
    ada.wait_for_url(SANDBOX_URL, timeout=30000)
    sandbox = ada.url
    ada.goto(f"{classroom['base']}/classes/{classroom['code']}/")
    assert ada.url == sandbox


# What the English page shows that must not show on the Korean one (visible texts, not code or names).
ENGLISH = (
    "Watching",
    "What just happened",
    "Show node heartbeats",
    "Time travel",
    "Projector",
    "Terminal",
    "Follow mode",
    "You joined as",
    "Your link for another device",
    "Lesson",
    "steps done",
    "About this lesson",
    "Locked",
    "Now",
    "Hint",
    "control plane",
    "cordoned",
    "Class ",
)
ENGLISH_TABS = {
    "pods",
    "deployments",
    "replicasets",
    "services",
    "endpoints",
    "nodes",
    "volume claims",
    "autoscalers",
    "events",
    "scheduler",
    "service traffic",
}


def test_switching_to_korean_leaves_no_english_on_the_students_page(classroom):
    student = classroom["students"][0]
    student.select_option("#language-select", "ko")
    student.wait_for_selector("html[lang=ko]")
    student.wait_for_selector("#ws-status.live")
    text = student.inner_text("body")
    shown = [phrase for phrase in ENGLISH if phrase in text]  # the steps' object names are Kubernetes', not UI
    assert shown == [], shown
    tabs = {t.strip() for t in student.locator(".tab").all_inner_texts()}
    assert tabs and not tabs & ENGLISH_TABS, tabs
    assert "참관 중" in text and "따라 보기" in text  # Watching, Follow mode
    screenshot(student, "class-student-korean")
