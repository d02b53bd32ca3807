"""Which clients from outside the page have called a cluster's API (a real kubectl, a client library).

kube-apiserver logs each request's User-Agent in its audit log; kubeclass keeps
only the latest time per agent, at most once a minute per agent, so the lesson
on connecting your own kubectl can see that it worked.
"""

from __future__ import annotations

import time

from django.db import transaction

from cluster.models import Cluster, RuntimeState

SCOPE = "api-clients"
MAX_AGENTS = 20
_recent: dict[tuple[int, str, str], float] = {}


def record(cluster: Cluster, user_agent: str) -> None:
    agent = user_agent.strip()[:120]
    key = (cluster.pk, cluster.token, agent)  # the token: a database reusing ids is another cluster
    if not agent or time.monotonic() - _recent.get(key, -1e9) < 60:
        return
    _recent[key] = time.monotonic()
    with transaction.atomic():
        row, _ = RuntimeState.objects.select_for_update().get_or_create(cluster=cluster, scope=SCOPE, name="")
        agents = dict(row.data or {})
        agents[agent] = time.time()
        row.data = dict(sorted(agents.items(), key=lambda item: item[1])[-MAX_AGENTS:])
        row.save(update_fields=["data"])


def seen(cluster: Cluster) -> tuple[str, ...]:
    row = RuntimeState.objects.filter(cluster=cluster, scope=SCOPE, name="").first()
    return tuple(row.data) if row else ()
