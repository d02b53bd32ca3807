"""Every lesson, played as a learner would: its checks fail on an untouched sandbox and pass once its steps are done.

For each lesson a sandbox is seeded from its scenario. First every step's check
must fail on it (a check that passes before the learner does anything teaches
nothing). Then each step is played: the prediction locked in (when it asks
for one), the step's commands typed in the page's terminal (commands that only
watch are skipped: they change nothing), and the control loops run on virtual
time until the step's check passes. At the end every step is done and every
prediction was graded against a measured answer that is one of its choices.
"""

from __future__ import annotations

import pytest
from django.test import Client

from cluster import clock
from cluster.apiserver.server import APIServer
from cluster.models import Cluster
from cluster.reconciler.driver import ClusterDriver
from web import terminal
from web.lessons import catalog, checks, progress
from web.lessons.scenario import seed_cluster

LESSONS = catalog.all_lessons()
MAX_VIRTUAL_SECONDS = 900  # the longest a step may take on the cluster's clock (node eviction takes ~6 min)


def test_there_is_a_lesson_for_every_topic_of_the_study_notes():
    assert len(LESSONS) >= 13


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_a_lesson_has_words_for_every_step_in_both_languages(lesson):
    for language in catalog.LANGUAGES:
        assert lesson.title(language)
        assert lesson.in_language(language).summary
        assert lesson.svg(language), f"{lesson.slug} has no illustration"
        for step in lesson.steps:
            text = step.texts[language]
            assert text.title and text.instruction and text.hint, (lesson.slug, step.id, language)
            if step.predict:
                assert text.question, (lesson.slug, step.id, language)
                assert (
                    step.predict.choices is None or set(step.predict.choices) <= set(text.choices) or not text.choices
                ), (lesson.slug, step.id, language)


def settle_until(cluster: Cluster, row, step: catalog.Step) -> checks.Result:
    api = APIServer(Cluster.objects.get(pk=cluster.pk))
    elapsed = 0.0
    while True:
        result = checks.evaluate(api, step.check, progress.check_context(row))
        if result.passed or elapsed >= MAX_VIRTUAL_SECONDS:
            return result
        ClusterDriver(Cluster.objects.get(pk=cluster.pk)).fast_forward(seconds=15)
        elapsed += 15


def act_outside_the_terminal(client: Client, cluster: Cluster, step: catalog.Step) -> None:
    """What a step asks besides typing: opening components on the map, calling the API from outside."""
    for spec in step.check.parts or (step.check,):
        if spec.name == "explored":
            for component in spec.args["components"]:
                assert client.get(f"/c/{cluster.name}/panel/component?id={component}").status_code == 200
        if spec.name == "outside_kubectl":  # the learner's own kubectl, with its own User-Agent
            response = Client().get(
                f"/k8s/{cluster.name}/api/v1/namespaces/default/pods",
                headers={
                    "Authorization": f"Bearer {cluster.token}",
                    "User-Agent": "kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9",
                },
            )
            assert response.status_code == 200


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_a_lesson_plays_through_and_its_checks_fail_untouched(db, lesson):
    client = Client()
    client.get("/")
    learner = client.session.session_key
    cluster = seed_cluster(lesson.scenario, f"play-{lesson.slug}"[:60], owner_session=learner, seed=11)
    clock.set_speed(cluster, 0.0)
    row = progress.begin(progress.learner_for_session(learner), lesson, cluster)
    api = APIServer(Cluster.objects.get(pk=cluster.pk))
    for step in lesson.steps:
        result = checks.evaluate(api, step.check, progress.check_context(row))
        assert not result.passed, f"{lesson.slug}/{step.id}: the check passes on an untouched sandbox"
    for step in lesson.steps:
        row.refresh_from_db()
        assert progress.current_step(row, lesson) is step
        if step.predict:
            choices = step.predict.choices or tuple(progress.node_names(cluster))
            assert progress.predict(row, step.id, choices[0])
        stdin = step.stdin
        for command in step.commands:
            result = terminal.run(Cluster.objects.get(pk=cluster.pk), command, stdin)
            stdin = ""
            if not result.stream:  # a streamed command runs in the page (the browser tests run some); recorded as typed
                assert result.code == 0, f"{lesson.slug}/{step.id}: `{command}` failed: {result.stderr}"
            progress.record_command(row, result.command, result.code, result.stderr)
        act_outside_the_terminal(client, cluster, step)
        row.refresh_from_db()
        result = settle_until(cluster, row, step)
        assert result.passed, f"{lesson.slug}/{step.id}: still not done: {result.detail}"
        progress.evaluate(row)
        row.refresh_from_db()
        assert step.id in row.done, f"{lesson.slug}/{step.id} was not marked done"
        if step.predict:
            actual = row.predictions[step.id].get("actual")
            allowed = step.predict.choices or tuple(progress.node_names(cluster))
            assert actual in allowed, f"{lesson.slug}/{step.id}: measured {actual!r}, not among {allowed}"
    assert progress.finished(row, lesson)
