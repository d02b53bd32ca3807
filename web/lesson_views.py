"""Lessons for a learner on their own: the list, starting one in a new sandbox, predicting, checking."""

from __future__ import annotations

import random

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_GET, require_POST

from web import access, guide
from web.lessons import catalog, progress
from web.lessons.scenario import seed_cluster
from cluster.models import Cluster
from web.models import Progress
from web.throttle import limit_creation


@require_GET
def lessons(request: HttpRequest) -> HttpResponse:
    learner = progress.learner_for_session(access.session_id(request))
    language = translation.get_language()
    rows = {
        row.lesson: row
        for row in Progress.objects.filter(learner=learner).select_related("cluster").order_by("started_at")
    }
    entries = []
    for lesson in catalog.all_lessons():
        row = rows.get(lesson.slug)
        entries.append(
            {
                "lesson": lesson,
                "words": lesson.in_language(language),
                "row": row,
                "done": len(row.done) if row else 0,
                "total": len(lesson.steps),
                "finished": bool(row and progress.finished(row, lesson)),
            }
        )
    return render(request, "lessons.html", {"entries": entries})


@require_POST
@limit_creation
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """A fresh sandbox seeded from the lesson's scenario, and the learner's progress in it."""
    lesson = catalog.by_slug(slug)
    if lesson is None:
        raise Http404("No such lesson")
    session = access.session_id(request)
    name = f"{slug[:40]}-{random.SystemRandom().randrange(16**6):06x}"
    cluster = seed_cluster(lesson.scenario, name, owner_session=session)
    learner = progress.learner_for_session(session)
    Progress.objects.filter(learner=learner, lesson=slug).exclude(cluster=cluster).delete()
    progress.begin(learner, lesson, cluster)
    return redirect("dashboard", cluster=cluster.name)


@require_GET
@access.cluster_view()
def guide_fragment(request: HttpRequest, target: Cluster, role: str) -> HttpResponse:
    """The guide, its current step checked again (the owner's "Check now"; anyone may look)."""
    row = guide.progress_of(target)
    if row is not None and role == access.OWNER:
        progress.evaluate(row)
    return HttpResponse(guide.render(target, row, role == access.OWNER, translation.get_language()))


@require_POST
@access.cluster_view(owner=True)
def predict(request: HttpRequest, target: Cluster, _role: str) -> HttpResponse:
    row = guide.progress_of(target)
    if row is None:
        raise Http404("This cluster has no lesson")
    if not progress.predict(row, request.POST.get("step", ""), request.POST.get("choice", "")):
        return HttpResponse(guide.render(target, row, True, translation.get_language()), status=400)
    progress.evaluate(row)
    return HttpResponse(guide.render(target, row, True, translation.get_language()))


@require_POST
@access.cluster_view(owner=True)
def restart(request: HttpRequest, target: Cluster, _role: str) -> HttpResponseBase:
    """Start the cluster's lesson again in a new sandbox."""
    row = guide.progress_of(target)
    if row is None:
        raise Http404("This cluster has no lesson")
    return start(request, row.lesson)


def redirect_to_lessons(request: HttpRequest) -> HttpResponse:
    return redirect("lessons")
