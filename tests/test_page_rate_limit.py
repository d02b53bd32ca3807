"""The dashboard's pages per visitor: a script cannot hold the thread every class page shares."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from web import throttle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cluster")]


@override_settings(KUBECLASS_PAGE_QPS=0.001, KUBECLASS_PAGE_BURST=3)
def test_a_session_past_its_burst_waits_and_the_api_is_not_counted() -> None:
    browser = with_session(Client())
    answers = [browser.get("/lessons/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = browser.get("/lessons/")
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    assert browser.get("/livez").status_code == 401  # the API answers (it wants a token): its limit is per token
    assert with_session(Client()).get("/lessons/").status_code == 200  # someone else's session


def with_session(browser: Client) -> Client:
    """A visitor the server knows (a sandbox's owner, a student who joined)."""
    session = browser.session
    session.save()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return browser


@override_settings(KUBECLASS_PAGE_QPS=0.001, KUBECLASS_PAGE_BURST=3)
def test_new_sessions_for_every_burst_still_share_their_address() -> None:
    browser = Client()
    answers = []
    for _ in range(throttle.PER_ADDRESS * 3 + 1):
        browser.cookies.clear()  # a script that drops its cookie: a new session each time
        answers.append(browser.get("/lessons/").status_code)
    assert answers.count(200) == throttle.PER_ADDRESS * 3 and answers[-1] == 429


def test_a_clusters_terminal_commands_get_a_share_of_the_thread_the_pages_share(cluster, monkeypatch) -> None:
    from cluster.reconciler.fairness import CpuShare
    from web import terminal

    wall = [0.0]
    share = CpuShare(share=0.25, burst=2.0, clock=lambda: wall[0])
    monkeypatch.setattr(terminal, "_cpu", share)
    assert terminal.run(cluster, "kubectl get nodes").code == 0
    assert share.balance[cluster.pk][0] < 2.0  # the command's CPU was counted
    share.charge(cluster.pk, 5.0)  # as if it had sent `get all -A -o yaml` fifty times in a second
    refused = terminal.run(cluster, "kubectl get nodes")
    assert (refused.code, refused.stdout) == (1, "")
    assert refused.stderr.startswith("error: this cluster's commands have used their share of the server")
    wall[0] += 20.0  # twenty seconds later: five CPU-seconds back
    assert terminal.run(cluster, "kubectl get nodes").code == 0


@override_settings(KUBECLASS_CREATIONS_PER_MINUTE=0.001, KUBECLASS_CREATION_BURST=2)
def test_an_address_makes_a_bounded_number_of_clusters_at_once() -> None:
    """A script asking for sandboxes without end would fill the disk a quarter of a megabyte at a time."""
    from cluster.models import Cluster

    before = Cluster.objects.count()
    browser = Client()
    answers = [browser.post("/sandboxes/new").status_code for _ in range(2)]
    assert answers == [302, 302]
    refused = browser.post("/lessons/rolling-update/start")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert browser.post("/classes/new", {"lesson": "rolling-update"}).status_code == 429
    assert Cluster.objects.count() == before + 2  # nothing made past the allowance
