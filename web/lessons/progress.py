"""A learner's way through a lesson: which step they are on, what they predicted, what they ran.

A step is done when its check passes on the learner's cluster; steps are done
in order, and the next one opens only then (the gate). A step that asks for a
prediction counts only after the learner has locked one in, and the answer is
graded once the step is done, against what the cluster measurably did.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from cluster.apiserver.http import clients
from cluster.apiserver.server import APIServer
from cluster.models import Cluster
from web.lessons import checks, measures
from web.lessons.catalog import Lesson, Step, by_slug
from web.models import Progress

MAX_COMMANDS = 50
STUCK_AFTER = dt.timedelta(minutes=4)


def learner_for_session(session_key: str) -> str:
    return f"session:{session_key}"


def for_cluster(learner: str, cluster: Cluster) -> Progress | None:
    return Progress.objects.filter(learner=learner, cluster=cluster).first()


def begin(learner: str, lesson: Lesson, cluster: Cluster) -> Progress:
    progress, _ = Progress.objects.update_or_create(
        learner=learner,
        cluster=cluster,
        defaults={
            "lesson": lesson.slug,
            "step_index": 0,
            "done": [],
            "predictions": {},
            "commands": [],
            "explored": [],
            "detail": "",
            "last_error": "",
            "progressed_at": timezone.now(),
        },
    )
    return progress


def lesson_of(progress: Progress) -> Lesson | None:
    return by_slug(progress.lesson)


def current_step(progress: Progress, lesson: Lesson) -> Step | None:
    return lesson.steps[progress.step_index] if progress.step_index < len(lesson.steps) else None


def finished(progress: Progress, lesson: Lesson) -> bool:
    return progress.step_index >= len(lesson.steps)


def check_context(progress: Progress) -> checks.Context:
    return checks.Context(
        commands=tuple(progress.commands),
        explored=tuple(progress.explored),
        external_clients=clients.seen(progress.cluster),
    )


def evaluate(progress: Progress) -> bool:
    """Run the current step's check; on success mark it done and go on. True when anything changed."""
    lesson = lesson_of(progress)
    if lesson is None:
        return False
    api = APIServer(progress.cluster, client="lesson-check")
    changed = False
    for _ in range(len(lesson.steps)):
        step = current_step(progress, lesson)
        if step is None:
            break
        if step.predict and step.id not in progress.predictions:
            detail = ""  # the experiment has not started: the learner predicts first
            changed |= _set(progress, detail=detail)
            break
        result = checks.evaluate(api, step.check, check_context(progress))
        if not result.passed:
            changed |= _set(progress, detail=result.detail)
            break
        _complete(progress, step, api)
        progress.detail = result.detail
        changed = True
    if changed:
        progress.save()
    return changed


def _set(progress: Progress, detail: str) -> bool:
    if progress.detail == detail:
        return False
    progress.detail = detail
    return True


def _complete(progress: Progress, step: Step, api: APIServer) -> None:
    if step.predict and step.id in progress.predictions:
        guess = progress.predictions[step.id]
        guess["actual"] = measures.take(api, step.predict.measure, int(guess.get("revision", 0)))
        progress.predictions = {**progress.predictions, step.id: guess}
    progress.done = [*progress.done, step.id]
    progress.step_index += 1
    progress.progressed_at = timezone.now()


def predict(progress: Progress, step_id: str, choice: str) -> bool:
    """Lock in the learner's answer for the current step; False if it is not the current step's question."""
    lesson = lesson_of(progress)
    step = current_step(progress, lesson) if lesson else None
    if step is None or step.id != step_id or step.predict is None or step_id in progress.predictions:
        return False
    allowed = step.predict.choices or tuple(node_names(progress.cluster))
    if choice not in allowed:
        return False
    revision = APIServer(progress.cluster).current_revision()
    progress.predictions = {**progress.predictions, step_id: {"choice": choice, "revision": revision}}
    progress.save(update_fields=["predictions", "updated_at"])
    return True


def node_names(cluster: Cluster) -> list[str]:
    return [n["metadata"]["name"] for n in APIServer(cluster).list("nodes")["items"]]


def record_command(progress: Progress, line: str, code: int, stderr: str) -> None:
    """Remember what the learner ran: successes feed `ran` checks, a failure is what the teacher sees."""
    if code == 0:
        progress.commands = [*progress.commands, line][-MAX_COMMANDS:]
        progress.last_error = ""
    else:
        progress.last_error = f"$ {line}\n{stderr.strip()}"[:500]
    progress.save(update_fields=["commands", "last_error", "updated_at"])


@dataclass(frozen=True)
class Cell:
    """One student's state in one lesson, as the teacher's grid shows it."""

    done: tuple[str, ...]
    current: str  # the step id being worked on, "" when finished
    state: str  # "done", "working" or "stuck"
    detail: str
    last_error: str


def cell(progress: Progress | None, lesson: Lesson, now: dt.datetime | None = None) -> Cell:
    if progress is None:
        return Cell((), lesson.steps[0].id, "working", "", "")
    now = now or timezone.now()
    step = current_step(progress, lesson)
    if step is None:
        state = "done"
    elif now - progress.progressed_at > STUCK_AFTER:
        state = "stuck"
    else:
        state = "working"
    return Cell(tuple(progress.done), step.id if step else "", state, progress.detail, progress.last_error)


def record_exploration(progress: Progress, component: str) -> None:
    if component and component not in progress.explored:
        progress.explored = [*progress.explored, component][:50]
        progress.save(update_fields=["explored", "updated_at"])
