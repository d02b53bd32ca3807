"""Lessons through the pages: start one, see one language at a time, predict, get checked, keep progress."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from cluster.apiserver.server import APIServer
from cluster.kubectl import cli
from cluster.models import Cluster
from web.lessons import catalog
from web.models import Progress

LESSON = "rolling-update"


def start(client: Client, slug: str = LESSON) -> Cluster:
    response = client.post(f"/lessons/{slug}/start")
    assert response.status_code == 302
    name = response["Location"].strip("/").split("/")[-1]
    return Cluster.objects.get(name=name)


def kubectl(cluster: Cluster, line: str) -> None:
    code = cli.run(APIServer(cluster), line.split()[1:], stdout=io.StringIO(), stderr=io.StringIO())
    assert code == 0


@pytest.fixture
def learner(db) -> Client:
    client = Client()
    client.get("/")
    return client


@pytest.mark.django_db
def test_the_lesson_list_shows_every_lesson_in_the_chosen_language(learner):
    english = learner.get("/lessons/").content.decode()
    for lesson in catalog.all_lessons():
        assert lesson.title("en") in english
        assert lesson.title("ko") not in english
    korean = learner.get("/lessons/", headers={"Accept-Language": "ko"}).content.decode()
    for lesson in catalog.all_lessons():
        assert lesson.title("ko") in korean and lesson.title("en") not in korean


def test_the_lesson_list_typed_without_its_slash_redirects_to_it(learner):
    response = learner.get("/lessons")
    assert (response.status_code, response["Location"]) == (301, "/lessons/")


@pytest.mark.django_db
def test_the_language_switch_sticks_across_pages(learner):
    response = learner.post("/i18n/setlang/", {"language": "ko", "next": "/lessons/"})
    assert response.status_code == 302
    page = learner.get("/lessons/").content.decode()
    assert "레슨" in page and 'lang="ko"' in page


@pytest.mark.django_db
def test_starting_a_lesson_seeds_a_sandbox_from_its_scenario(learner):
    cluster = start(learner)
    deploy = APIServer(cluster).get("deployments", "default", "web")
    assert deploy["status"]["availableReplicas"] == 4
    page = learner.get(f"/c/{cluster.name}/").content.decode()
    assert "Rolling update and undo" in page and "0 of 5 steps done" in page


@pytest.mark.django_db
def test_a_step_is_done_when_its_check_passes_and_the_next_opens(learner):
    cluster = start(learner)
    response = learner.post(
        f"/c/{cluster.name}/kubectl", {"command": "kubectl get deployment,replicaset,pods -l app=web"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="lesson-guide"' in html and 'hx-swap-oob="true"' in html
    assert 'id="step-look" data-step="look" data-state="done"' in html
    assert 'id="step-update" data-step="update" data-state="current"' in html


@pytest.mark.django_db
def test_a_prediction_is_locked_in_before_the_experiment_and_graded_after(learner):
    cluster = start(learner)
    learner.post(f"/c/{cluster.name}/kubectl", {"command": "kubectl get pods"})
    refused = learner.post(f"/c/{cluster.name}/lesson/predict", {"step": "update", "choice": "7"})
    assert refused.status_code == 400
    kubectl(cluster, "kubectl set image deployment/web nginx=nginx:1.27")
    from cluster.reconciler.driver import ClusterDriver

    ClusterDriver(cluster).fast_forward()
    page = learner.get(f"/c/{cluster.name}/lesson").content.decode()
    assert 'data-step="update" data-state="current"' in page  # no prediction yet: the step waits
    assert learner.post(f"/c/{cluster.name}/lesson/predict", {"step": "update", "choice": "5"}).status_code == 200
    row = Progress.objects.get(cluster=cluster)
    assert row.predictions["update"]["choice"] == "5"


@pytest.mark.django_db
def test_progress_is_kept_in_the_database(learner):
    cluster = start(learner)
    learner.post(f"/c/{cluster.name}/kubectl", {"command": "kubectl get deployments"})
    fresh = Client()
    fresh.cookies = learner.cookies  # the same browser after a server restart: only the database remains
    page = fresh.get("/lessons/").content.decode()
    assert "1 of 5 steps done" in page


@pytest.mark.django_db
def test_while_only_the_checks_words_change_the_page_gets_only_them(learner):
    """A rollout rewrites the check's detail many times a second; re-sending the whole guide would close the
    hint a learner opened and clear the prediction they were choosing."""
    from web import live

    cluster = start(learner)
    first, seen = live.render_guide(cluster, "viewer", "en", ())
    assert 'id="lesson-guide"' in first
    assert live.render_guide(cluster, "viewer", "en", seen) == ("", seen)  # nothing new: nothing sent

    Progress.objects.filter(cluster=cluster).update(detail="2 of 4 pods are on the new template")
    words, seen = live.render_guide(cluster, "viewer", "en", seen)
    assert 'id="lesson-guide"' not in words
    assert words.startswith('<p id="check-status"') and 'hx-swap-oob="true"' in words
    assert "2 of 4 pods are on the new template" in words

    learner.post(f"/c/{cluster.name}/kubectl", {"command": "kubectl get pods -l app=web"})  # the first step done
    done, _ = live.render_guide(cluster, "viewer", "en", seen)
    assert 'id="lesson-guide"' in done and 'data-step="look" data-state="done"' in done


@pytest.mark.django_db
def test_a_page_that_reopens_its_socket_is_sent_the_whole_guide_only_if_its_steps_are_stale(learner):
    from web import guide, live

    cluster = start(learner)
    row = guide.progress_of(cluster)
    current = guide.shape_tag(row)
    assert guide.seen_by_page(cluster, "") == ()
    assert guide.seen_by_page(cluster, "0123456789abcdef") == ()
    seen = guide.seen_by_page(cluster, current)
    words, _ = live.render_guide(cluster, "viewer", "en", seen)
    assert words.startswith('<p id="check-status"')  # its steps are current: only the check's words come
    learner.post(f"/c/{cluster.name}/kubectl", {"command": "kubectl get pods -l app=web"})  # a step done
    assert guide.seen_by_page(cluster, current) == ()  # the tag it had is stale now


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status, passed, words",
    [
        (
            {"replicas": 5, "updatedReplicas": 1, "availableReplicas": 4},
            False,
            "1 of 4 replicas of web updated, 4 available",
        ),
        (
            {"replicas": 5, "updatedReplicas": 4, "availableReplicas": 3},
            False,
            "4 of 4 replicas of web updated, 3 available",
        ),
        (
            {"replicas": 4, "updatedReplicas": 4, "availableReplicas": 4},
            True,
            "4 of 4 replicas of web updated, 4 available",
        ),
    ],
)
def test_a_rollouts_check_says_how_far_it_got_as_rollout_status_counts(cluster, status, passed, words):
    from web.lessons import checks

    api = APIServer(cluster, client="kubectl")
    kubectl(cluster, "kubectl create deployment web --image=nginx:1.27 --replicas=4")
    deploy = api.get("deployments", "default", "web")
    deploy["status"] = {**status, "observedGeneration": deploy["metadata"]["generation"]}
    api.update("deployments", "default", "web", deploy, subresource="status")
    spec = checks.parse({"deployment_ready": {"name": "web", "replicas": 4, "image": "nginx:1.27"}}, "test")
    result = checks.evaluate(api, spec, checks.Context(commands=(), explored=(), external_clients=()))
    assert (result.passed, result.detail) == (passed, words)


@pytest.mark.django_db
def test_who_watches_someone_elses_cluster_reads_their_prediction_as_theirs(learner):
    """A class following its teacher sees the teacher's guide: 'You predicted' would be about the student."""
    from web import guide

    cluster = start(learner)
    row = Progress.objects.get(cluster=cluster)
    row.step_index, row.done = 1, ["look"]
    row.predictions = {"update": {"choice": "5", "revision": 1}}  # locked in, under way
    row.save()
    mine = guide.render(cluster, row, can_act=True, language="en")
    watched = guide.render(cluster, row, can_act=False, language="en")
    assert "Your prediction: <strong>5" in mine and "owner predicted" not in mine
    assert "This cluster's owner predicted <strong>5" in watched and "Your prediction" not in watched
    row.step_index, row.done = 2, ["look", "update"]
    row.predictions["update"]["actual"] = "4"  # the step done, the guess graded
    watched = guide.render(cluster, row, can_act=False, language="ko")
    assert "✘ 이 클러스터 소유자의 예측: 5" in watched and "실제 결과: 4" in watched and "내 예측" not in watched
