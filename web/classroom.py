"""A class: a teacher's cluster the students follow, and a sandbox each when it is their turn.

Two modes, switched by the teacher at any time:
- follow: every student's page shows the teacher's cluster, its steps and the
  teacher's place in the lesson, read-only (web/access.py makes students
  viewers of the class cluster, so the server refuses anything else);
- hands-on: each student works in a sandbox of their own, seeded from the
  class's lesson, and the teacher's grid shows every student's progress.

The teacher is the browser session that started the class (or whoever opens
the teacher link); students join with the class code and a display name, and
can resume on another device with their own link. A change to the class or to
a student's progress is pushed to the class's pages over the channel layer.
"""

from __future__ import annotations

import random
import re

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cluster.models import Cluster
from cluster.notify import publish as notify_now
from web.lessons import catalog, progress
from web.lessons.scenario import seed_cluster, seed_clusters
from web.models import Classroom, Progress, Student, new_code

MAX_NAME = 40
MAX_STUDENTS = 500  # a lecture hall
_NAME_OK = re.compile(r"^[^\x00-\x1f<>]{1,40}$")


class JoinError(ValueError):
    """Why a student could not join; the message is shown on the join page."""


def group_name(classroom: Classroom) -> str:
    return f"kubeclass.class.{classroom.pk}"


def notify(classroom: Classroom) -> None:
    """Tell the class's pages that something changed (after the current transaction commits)."""

    transaction.on_commit(lambda: notify_now(group_name(classroom), {"type": "class.changed"}))


# -- the teacher ----------------------------------------------------------------------
def create(teacher_session: str, lesson: catalog.Lesson, title: str = "") -> Classroom:
    for _attempt in range(10):
        code = new_code()
        if not Classroom.objects.filter(code=code).exists():
            break
    cluster = seed_cluster(lesson.scenario, f"class-{code.lower()}", owner_session=teacher_session)
    classroom = Classroom.objects.create(
        code=code, title=title[:80], teacher_session=teacher_session, cluster=cluster, lesson=lesson.slug
    )
    progress.begin(teacher_learner(classroom), lesson, cluster)
    return classroom


def teacher_learner(classroom: Classroom) -> str:
    return progress.learner_for_session(classroom.teacher_session)


def is_teacher(classroom: Classroom, session_key: str | None) -> bool:
    return bool(session_key) and classroom.teacher_session == session_key


def taught_by(session_key: str) -> list[Classroom]:
    return list(Classroom.objects.filter(teacher_session=session_key).order_by("-created_at")[:20])


def set_mode(classroom: Classroom, mode: str) -> None:
    if mode not in (Classroom.FOLLOW, Classroom.HANDS_ON):
        raise ValueError(_("mode must be follow or hands-on"))
    if mode == Classroom.HANDS_ON:
        sandboxes_for(list(classroom.students.select_related("sandbox")))
    Classroom.objects.filter(pk=classroom.pk).update(mode=mode)
    classroom.mode = mode
    notify(classroom)


def set_lesson(classroom: Classroom, lesson: catalog.Lesson) -> None:
    """Move the class to another lesson: a new class cluster from its scenario; sandboxes follow on demand."""
    old = classroom.cluster
    suffix = f"{random.SystemRandom().randrange(16**4):04x}"
    cluster = seed_cluster(
        lesson.scenario, f"class-{classroom.code.lower()}-{suffix}", owner_session=classroom.teacher_session
    )
    Classroom.objects.filter(pk=classroom.pk).update(cluster=cluster, lesson=lesson.slug, mode=Classroom.FOLLOW)
    classroom.cluster, classroom.lesson, classroom.mode = cluster, lesson.slug, Classroom.FOLLOW
    progress.begin(teacher_learner(classroom), lesson, cluster)
    old.delete()
    notify(classroom)


def push_hint(student: Student, text: str) -> None:
    Student.objects.filter(pk=student.pk).update(hint=text.strip()[:500])
    notify(student.classroom)


def reset_student(student: Student) -> Cluster:
    old = student.sandbox
    student.sandbox = None
    student.save(update_fields=["sandbox"])
    if old is not None:
        old.delete()
    cluster = sandbox_for(student)
    notify(student.classroom)
    return cluster


# -- the students ----------------------------------------------------------------------
def clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME or not _NAME_OK.match(name):
        raise JoinError(_("Please give a name of 1 to 40 characters."))
    return name


def find(code: str) -> Classroom | None:
    return Classroom.objects.filter(code=code.strip().upper()).select_related("cluster").first()


def join(code: str, name: str, session_key: str) -> Student:
    classroom = find(code)
    if classroom is None:
        raise JoinError(_("There is no class with that code. Check the code on the teacher's screen."))
    name = clean_name(name)
    existing = classroom.students.filter(session_key=session_key).first()
    if existing is not None:
        if existing.name != name and not classroom.students.filter(name__iexact=name).exists():
            existing.name = name
            existing.save(update_fields=["name"])
        return existing
    if classroom.students.filter(name__iexact=name).exists():
        raise JoinError(_("Someone in this class already uses that name. Add an initial, for example."))
    if classroom.students.count() >= MAX_STUDENTS:
        raise JoinError(_("This class is full."))
    try:
        student = Student.objects.create(classroom=classroom, name=name, session_key=session_key)
    except IntegrityError:
        raise JoinError(_("Someone in this class already uses that name. Add an initial, for example.")) from None
    if classroom.mode == Classroom.HANDS_ON:
        sandbox_for(student)
    notify(classroom)
    return student


def resume(resume_key: str, session_key: str) -> Student | None:
    """A student's own link, opened on another device: this session becomes theirs."""
    student = Student.objects.filter(resume_key=resume_key).select_related("classroom", "sandbox").first()
    if student is None:
        return None
    student.session_key = session_key
    student.save(update_fields=["session_key"])
    if student.sandbox is not None:
        Cluster.objects.filter(pk=student.sandbox.pk).update(owner_session=session_key)
    return student


def student_in(classroom: Classroom, session_key: str | None) -> Student | None:
    if not session_key:
        return None
    return classroom.students.filter(session_key=session_key).first()


def sandbox_for(student: Student) -> Cluster:
    """The student's sandbox for the class's current lesson, seeded on first need."""
    return sandboxes_for([student])[0]


def sandboxes_for(students: list[Student]) -> list[Cluster]:
    """Each student's sandbox for the class's current lesson; those still missing are seeded together,
    one seed restored for the others (web/lessons/scenario.py)."""
    if not students:
        return []
    classroom = students[0].classroom
    lesson = catalog.by_slug(classroom.lesson)
    assert lesson is not None
    begun = set(
        Progress.objects.filter(learner__in=[s.learner for s in students], lesson=classroom.lesson).values_list(
            "learner", "cluster_id"
        )
    )
    missing = [s for s in students if (s.learner, s.sandbox_id) not in begun]  # none yet, or a past lesson's
    owners = [(_sandbox_name(classroom, s), s.session_key) for s in missing]
    for student, cluster in zip(missing, seed_clusters(lesson.scenario, owners) if owners else [], strict=True):
        old = student.sandbox
        student.sandbox = cluster
        student.save(update_fields=["sandbox"])
        progress.begin(student.learner, lesson, cluster)
        if old is not None:
            old.delete()
    return [s.sandbox for s in students]  # type: ignore[misc]  # each one set above or before


def _sandbox_name(classroom: Classroom, student: Student) -> str:
    return f"{classroom.code.lower()}-s{student.pk}-{random.SystemRandom().randrange(16**4):04x}"


# -- what the pages show ---------------------------------------------------------------
def grid(classroom: Classroom) -> dict:
    lesson = catalog.by_slug(classroom.lesson)
    assert lesson is not None
    students = list(classroom.students.order_by("joined_at"))
    rows = {
        r.learner: r
        for r in Progress.objects.filter(learner__in=[s.learner for s in students], lesson=classroom.lesson)
    }
    out = []
    for student in students:
        cell = progress.cell(rows.get(student.learner), lesson)
        out.append(
            {
                "student": student,
                "cell": cell,
                "steps": [
                    {"id": s.id, "done": s.id in cell.done, "current": s.id == cell.current} for s in lesson.steps
                ],
            }
        )
    return {"lesson": lesson, "rows": out}


def banner(request: HttpRequest, cluster: Cluster) -> dict | None:
    """The class a cluster page belongs to, and the visitor's part in it (teacher or student)."""
    key = request.session.session_key
    taught = Classroom.objects.filter(cluster=cluster).first()
    if taught is not None:
        if is_teacher(taught, key):
            return {"classroom": taught, "teacher": True}
        student = student_in(taught, key)
        if student is not None:
            return {"classroom": taught, "teacher": False, "student": student}
    student = Student.objects.filter(sandbox=cluster).select_related("classroom").first()
    if student is not None:
        classroom = student.classroom
        if student.session_key == key:
            return {"classroom": classroom, "teacher": False, "student": student}
        if is_teacher(classroom, key):
            return {"classroom": classroom, "teacher": True, "watching": student}
    return None


def progress_changed(cluster: Cluster) -> None:
    """A learner's progress on `cluster` moved: the class it belongs to (if any) should see it."""
    student = Student.objects.filter(sandbox=cluster).select_related("classroom").first()
    if student is not None:
        notify(student.classroom)
        return
    taught = Classroom.objects.filter(cluster=cluster).first()
    if taught is not None:
        notify(taught)
