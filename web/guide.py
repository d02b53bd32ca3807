"""The lesson guide beside a cluster: the lesson, its steps and where the learner stands.

A cluster started for a lesson has one Progress row (its learner's); the page
shows it to everyone who may open the cluster, and lets only the owner act on
it (predict, check). Rendering happens in the language of the request.
"""

from __future__ import annotations

import hashlib
import json

from django.template.loader import render_to_string
from django.utils import translation

from cluster.models import Cluster
from web.lessons import catalog, progress
from web.lessons.catalog import Lesson
from web.models import Progress


def progress_of(cluster: Cluster) -> Progress | None:
    return Progress.objects.filter(cluster=cluster).order_by("started_at").first()


def context(cluster: Cluster, row: Progress | None, can_act: bool, language: str) -> dict:
    lesson = catalog.by_slug(row.lesson) if row else None
    if row is None or lesson is None:
        return {"guide": None, "lessons": _index(language), "cluster": cluster}
    current = progress.current_step(row, lesson)
    steps = []
    for index, step in enumerate(lesson.steps):
        text = step.text(language)
        guess = row.predictions.get(step.id)
        steps.append(
            {
                "id": step.id,
                "number": index + 1,
                "text": text,
                "step": step,
                "state": "done" if step.id in row.done else ("current" if step is current else "locked"),
                "guess": guess,
                "guess_label": _label(text, guess.get("choice")) if guess else "",
                "actual_label": _label(text, guess.get("actual")) if guess and guess.get("actual") is not None else "",
                "correct": bool(
                    guess and guess.get("actual") is not None and guess.get("choice") == guess.get("actual")
                ),
                "choices": _choices(step, text, cluster) if step.predict else [],
            }
        )
    previous, following = catalog.neighbours(lesson)
    words = lesson.in_language(language)
    return {
        "guide": {
            "lesson": lesson,
            "words": words,
            "svg": lesson.svg(language),
            "steps": steps,
            "current": next((s for s in steps if s["state"] == "current"), None),
            "done_count": len(row.done),
            "total": len(lesson.steps),
            "finished": progress.finished(row, lesson),
            "detail": row.detail,
            "version": shape_tag(row),
            "next_lesson": following,
            "next_title": following.title(language) if following else "",
            "previous_lesson": previous,
        },
        "can_act": can_act,
        "cluster": cluster,
    }


def render(cluster: Cluster, row: Progress | None, can_act: bool, language: str, oob: bool = False) -> str:
    with translation.override(language):
        ctx = context(cluster, row, can_act, language)
        ctx["oob"] = oob
        return render_to_string("fragments/guide.html", ctx)


def version(row: Progress) -> tuple:
    """What the guide shows of a learner's progress: the steps as done and predicted, and what the check saw."""
    return (_shape(row), row.detail)


def _shape(row: Progress) -> tuple:
    return (row.pk, row.lesson, row.step_index, tuple(row.done), json.dumps(row.predictions, sort_keys=True))


def shape_tag(row: Progress) -> str:
    """The steps' version as the page holds it (the guide's data-version)."""
    return hashlib.sha256(repr(_shape(row)).encode()).hexdigest()[:16]


def seen_by_page(cluster: Cluster, tag: str) -> tuple:
    """What a page that (re)opens its socket shows of the guide: its steps if its tag is current (the check's
    words are not known, so the next change sends them), else nothing (the next change sends the whole guide)."""
    row = progress_of(cluster)
    if row is None or tag != shape_tag(row):
        return ()
    return (_shape(row), None)


def render_change(cluster: Cluster, row: Progress, can_act: bool, language: str, seen: tuple) -> str:
    """The guide as it changed since the page saw `seen`: while only the check's words change (a rollout under
    way), only they are sent; a whole new guide would close an open hint and clear a half-made prediction."""
    if not seen or seen[0] != _shape(row):
        return render(cluster, row, can_act, language, oob=True)
    with translation.override(language):
        ctx = context(cluster, row, can_act, language)
        if ctx["guide"] is None or ctx["guide"]["current"] is None:
            return render_to_string("fragments/guide.html", {**ctx, "oob": True})
        return render_to_string(
            "fragments/guide_status.html", {**ctx, "s": ctx["guide"]["current"], "status_oob": True}
        )


def _label(text: catalog.Text, value: object) -> str:
    return text.choices.get(str(value), str(value))


def _choices(step: catalog.Step, text: catalog.Text, cluster: Cluster) -> list[dict]:
    assert step.predict is not None
    values = step.predict.choices or tuple(progress.node_names(cluster))
    return [{"value": v, "label": text.choices.get(v, v)} for v in values]


def _index(language: str) -> list[dict]:
    return [
        {"slug": lesson.slug, "title": lesson.title(language), "summary": lesson.in_language(language).summary}
        for lesson in catalog.all_lessons()
    ]


def lesson_titles(language: str) -> list[tuple[str, str]]:
    return [(lesson.slug, lesson.title(language)) for lesson in catalog.all_lessons()]


def first_lesson() -> Lesson:
    return catalog.all_lessons()[0]
