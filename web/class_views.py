"""The classroom's pages: start a class, join it, the teacher's desk and the students' view.

Every teacher-only action checks on the server that the session is the
class's teacher; a student's POST to any of them is a 403.
"""

from __future__ import annotations

import io

import segno
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from web import access, classroom, guide
from web.lessons import catalog
from web.models import Classroom, Student
from web.throttle import limit_creation


def _teacher_class(request: HttpRequest, code: str) -> Classroom:
    found = classroom.find(code)
    if found is None:
        raise Http404("No such class")
    if not classroom.is_teacher(found, access.session_id(request)):
        raise PermissionDenied(_("Only the teacher of this class can do that."))
    return found


def join_url(request: HttpRequest, found: Classroom) -> str:
    return request.build_absolute_uri(reverse("join") + f"?code={found.code}")


@require_POST
@limit_creation
def new_class(request: HttpRequest) -> HttpResponse:
    lesson = catalog.by_slug(request.POST.get("lesson", "")) or guide.first_lesson()
    created = classroom.create(access.session_id(request), lesson, request.POST.get("title", ""))
    return redirect("class_teach", code=created.code)


@require_GET
def teach(request: HttpRequest, code: str) -> HttpResponse:
    """The teacher's desk: the class cluster's dashboard with the class panel."""
    found = classroom.find(code)
    if found is None:
        raise Http404("No such class")
    key = request.GET.get("key", "")
    if key and key == found.teacher_key:  # the teacher link, opened on another device
        found.teacher_session = access.session_id(request)
        found.save(update_fields=["teacher_session"])
        found.cluster.owner_session = found.teacher_session
        found.cluster.save(update_fields=["owner_session"])
        return redirect("class_teach", code=found.code)
    if not classroom.is_teacher(found, access.session_id(request)):
        raise PermissionDenied(_("Only the teacher of this class can open the teacher's desk."))
    return redirect("dashboard", cluster=found.cluster.name)


@require_GET
def desk(request: HttpRequest, code: str) -> HttpResponse:
    """The class panel fragment: join code, QR code, modes, lesson and the progress grid."""
    found = _teacher_class(request, code)
    return render(request, "fragments/class_desk.html", desk_context(request, found))


def desk_context(request: HttpRequest, found: Classroom) -> dict:
    language = translation.get_language()
    return {
        "classroom": found,
        "join_url": join_url(request, found),
        "grid": classroom.grid(found),
        "lessons": guide.lesson_titles(language),
        "teacher_url": request.build_absolute_uri(
            reverse("class_teach", kwargs={"code": found.code}) + f"?key={found.teacher_key}"
        ),
    }


@require_GET
def qr(request: HttpRequest, code: str) -> HttpResponse:
    found = classroom.find(code)
    if found is None:
        raise Http404("No such class")
    out = io.BytesIO()
    segno.make(join_url(request, found), error="m").save(
        out, kind="svg", scale=6, border=2, dark="#000", light="#fff", title=_("Join the class")
    )
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_POST
def mode(request: HttpRequest, code: str) -> HttpResponse:
    found = _teacher_class(request, code)
    try:
        classroom.set_mode(found, request.POST.get("mode", ""))
    except ValueError as err:
        return HttpResponse(str(err), status=400)
    return render(request, "fragments/class_desk.html", desk_context(request, found))


@require_POST
def lesson(request: HttpRequest, code: str) -> HttpResponse:
    found = _teacher_class(request, code)
    chosen = catalog.by_slug(request.POST.get("lesson", ""))
    if chosen is None:
        return HttpResponse(_("No such lesson"), status=400)
    classroom.set_lesson(found, chosen)
    response = HttpResponse("")
    response["HX-Redirect"] = reverse("dashboard", kwargs={"cluster": found.cluster.name})
    return response


def _student(found: Classroom, student_id: int) -> Student:
    student = found.students.filter(pk=student_id).first()
    if student is None:
        raise Http404("No such student")
    return student


@require_POST
def hint(request: HttpRequest, code: str, student_id: int) -> HttpResponse:
    found = _teacher_class(request, code)
    classroom.push_hint(_student(found, student_id), request.POST.get("hint", ""))
    return render(request, "fragments/class_desk.html", desk_context(request, found))


@require_POST
def reset(request: HttpRequest, code: str, student_id: int) -> HttpResponse:
    found = _teacher_class(request, code)
    classroom.reset_student(_student(found, student_id))
    return render(request, "fragments/class_desk.html", desk_context(request, found))


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper()
    error = ""
    if request.method == "POST":
        try:
            student = classroom.join(code, request.POST.get("name", ""), access.session_id(request))
        except classroom.JoinError as err:
            error = str(err)
        else:
            return redirect("class_student", code=student.classroom.code)
    return render(
        request,
        "join.html",
        {"code": code, "name": request.POST.get("name", ""), "error": error},
        status=400 if error else 200,
    )


@require_GET
def student_page(request: HttpRequest, code: str) -> HttpResponse:
    """Where a student belongs right now: the teacher's cluster (follow) or their own sandbox (hands-on)."""
    found = classroom.find(code)
    if found is None:
        raise Http404("No such class")
    session = access.session_id(request)
    if classroom.is_teacher(found, session):
        return redirect("dashboard", cluster=found.cluster.name)
    student = classroom.student_in(found, session)
    if student is None:
        return redirect(reverse("join") + f"?code={found.code}")
    if found.mode == Classroom.HANDS_ON:
        return redirect("dashboard", cluster=classroom.sandbox_for(student).name)
    return redirect("dashboard", cluster=found.cluster.name)


@require_GET
def resume(request: HttpRequest, key: str) -> HttpResponse:
    student = classroom.resume(key, access.session_id(request))
    if student is None:
        raise Http404("No such link")
    return redirect("class_student", code=student.classroom.code)
