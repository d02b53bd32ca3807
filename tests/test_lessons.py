"""Lessons: every one renders in both languages, and the checks read the live cluster."""
from __future__ import annotations

import pytest
from django.test import Client

from web.lessons import catalog


@pytest.fixture
def student(cluster) -> Client:
    client = Client()
    client.get(f"/c/{cluster.name}/?token={cluster.token}")
    return client


@pytest.mark.parametrize("lesson", catalog.LESSONS, ids=lambda lesson: lesson.slug)
def test_every_lesson_renders_in_english_and_korean(cluster, student, lesson):
    page = student.get(f"/c/{cluster.name}/panel/lesson?slug={lesson.slug}").content.decode()
    assert lesson.title_en in page and lesson.title_ko in page
    for command in lesson.try_commands:
        assert command in page


def test_the_first_deployment_check_says_not_yet_until_web_exists(cluster, student, api):
    page = student.get(f"/c/{cluster.name}/panel/lesson?slug=pod-lifecycle&check=1").content.decode()
    assert "Not yet" in page and "no Deployment &quot;web&quot;" in page


def test_the_namespace_check_passes_once_the_student_made_one(cluster, student, api):
    api.create("namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    page = student.get(f"/c/{cluster.name}/panel/lesson?slug=objects&check=1").content.decode()
    assert "Done" in page and "team-a" in page
