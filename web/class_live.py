"""What a class's websocket sends: the teacher's desk, or a student's mode and the teacher's hint."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from web import classroom, guide
from web.models import Classroom, Student

TEACHER = "teacher"


def group_name(found: Classroom) -> str:
    return classroom.group_name(found)


def open_class(session: object, code: str) -> tuple[Classroom, str | Student] | tuple[None, None]:
    found = classroom.find(code)
    key = getattr(session, "session_key", None)
    if found is None or not key:
        return None, None
    if classroom.is_teacher(found, key):
        return found, TEACHER
    student = classroom.student_in(found, key)
    if student is None:
        return None, None
    return found, student


def set_view(found: Classroom, seq: int, revision: int) -> None:
    """Remember the step the teacher's page shows, for the students who open the class later."""
    Classroom.objects.filter(pk=found.pk).update(viewing_seq=seq, viewing_revision=revision)


def view_marker(seq: int, revision: int) -> str:
    """What a student's page follows (static/kubeclass/app.js, followTeacherView)."""
    marks = f'data-seq="{int(seq)}" data-revision="{int(revision)}"'
    return f'<span id="teacher-view" hx-swap-oob="true" {marks} hidden></span>'


def teacher_view(found: Classroom) -> str:
    seq, revision = Classroom.objects.filter(pk=found.pk).values_list("viewing_seq", "viewing_revision").get()
    return view_marker(seq, revision)


def render(found: Classroom, part: str | Student, language: str, base: str) -> str:
    found.refresh_from_db()
    with translation.override(language):
        if part == TEACHER:
            context = {
                "classroom": found,
                "grid": classroom.grid(found),
                "oob": True,
                "join_url": base + reverse("join") + f"?code={found.code}",
                "lessons": guide.lesson_titles(language),
                "teacher_url": base + reverse("class_teach", kwargs={"code": found.code}) + f"?key={found.teacher_key}",
            }
            return render_to_string("fragments/class_desk.html", context)
        assert isinstance(part, Student)
        part.refresh_from_db()
        return render_to_string("fragments/class_state.html", {"classroom": found, "student": part, "oob": True})
