from __future__ import annotations

from django.urls import include, path
from django.views.generic import RedirectView

from cluster.apiserver.http import urls as api_urls
from cluster.apiserver.http import views as api_views
from web import class_views, lesson_views, stream_views, views

urlpatterns = [
    # kube-apiserver's paths at the root: the bearer token chooses the cluster (cluster/apiserver/http/urls.py)
    *api_urls.root_urlpatterns,
    path("", api_views.index_or_page(views.home), name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("sandboxes/new", views.new_sandbox, name="new_sandbox"),
    path("lessons/", lesson_views.lessons, name="lessons"),
    # APPEND_SLASH is off (kube-apiserver's paths are never redirected): the one page people type by hand
    path("lessons", RedirectView.as_view(pattern_name="lessons", permanent=True)),
    path("lessons/<slug:slug>/start", lesson_views.start, name="lesson_start"),
    path("classes/new", class_views.new_class, name="class_new"),
    path("classes/<slug:code>/", class_views.student_page, name="class_student"),
    path("classes/<slug:code>/teach", class_views.teach, name="class_teach"),
    path("classes/<slug:code>/desk", class_views.desk, name="class_desk"),
    path("classes/<slug:code>/qr.svg", class_views.qr, name="class_qr"),
    path("classes/<slug:code>/mode", class_views.mode, name="class_mode"),
    path("classes/<slug:code>/lesson", class_views.lesson, name="class_lesson"),
    path("classes/<slug:code>/students/<int:student_id>/hint", class_views.hint, name="class_hint"),
    path("classes/<slug:code>/students/<int:student_id>/reset", class_views.reset, name="class_reset"),
    path("join", class_views.join, name="join"),
    path("r/<str:key>", class_views.resume, name="resume"),
    path("c/<slug:cluster>/", views.dashboard, name="dashboard"),
    path("c/<slug:cluster>/reset", views.reset_sandbox, name="reset_sandbox"),
    path("c/<slug:cluster>/kubectl", views.kubectl, name="kubectl"),
    path("c/<slug:cluster>/kubectl/stream", stream_views.kubectl_stream, name="kubectl_stream"),
    path("c/<slug:cluster>/panel/<slug:name>", views.panel, name="panel"),
    path("c/<slug:cluster>/control", views.control, name="control"),
    path("c/<slug:cluster>/steps", views.earlier_steps, name="earlier_steps"),
    path("c/<slug:cluster>/traffic", views.traffic, name="traffic"),
    path("c/<slug:cluster>/kubeconfig", views.kubeconfig, name="kubeconfig"),
    path("c/<slug:cluster>/lesson", lesson_views.guide_fragment, name="lesson_guide"),
    path("c/<slug:cluster>/lesson/predict", lesson_views.predict, name="lesson_predict"),
    path("c/<slug:cluster>/lesson/restart", lesson_views.restart, name="lesson_restart"),
    path("k8s/<slug:cluster>/", include("cluster.apiserver.http.urls")),
]
