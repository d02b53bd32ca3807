"""A lesson's starting point: a new sandbox seeded from the lesson's scenario.

The nodes register as their kubelets would (with the capacities the lesson
gives them, so a scheduling lesson can have a small node and a big one), the
scenario's manifests are applied with kubectl, and the control loops run in
fast-forward until the cluster has settled — all through the API server, while
this process holds the cluster's reconciler lease so no server drives it at
the same time.

Many sandboxes of one scenario at once (a class switching to Hands-on) are
seeded once and restored from that one (cluster/snapshot.py) while its lease is
still held: the same starting state, without a fast-forward per student.
"""

from __future__ import annotations

import io
import random

from django.db import transaction

from cluster import snapshot
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster, join_node, node_manifest
from cluster.kubectl import cli
from cluster.models import Cluster
from cluster.reconciler import control, lease
from cluster.reconciler.driver import ClusterDriver
from web.lessons.catalog import Scenario

RESOURCE_KEYS = ("cpu", "memory", "pods")


class ScenarioError(RuntimeError):
    """The scenario's manifests did not apply; the message is kubectl's."""


def node_for(spec: dict, index: int, seed: int) -> dict:
    node = node_manifest(str(spec["name"]), index, seed)
    for key in RESOURCE_KEYS:
        if key in spec:
            node["status"]["capacity"][key] = node["status"]["allocatable"][key] = str(spec[key])
    node["metadata"]["labels"].update({str(k): str(v) for k, v in (spec.get("labels") or {}).items()})
    if spec.get("taints"):
        node["spec"]["taints"] = [dict(t) for t in spec["taints"]]
    return node


def seed_cluster(scenario: Scenario, name: str, owner_session: str = "", seed: int | None = None) -> Cluster:
    """A new cluster named `name` in the scenario's starting state."""
    return seed_clusters(scenario, [(name, owner_session)], seed)[0]


def seed_clusters(scenario: Scenario, owners: list[tuple[str, str]], seed: int | None = None) -> list[Cluster]:
    """New clusters in the scenario's starting state, one per (name, owner session): the first seeded,
    the others restored from it before anything else may drive it."""
    seed = random.SystemRandom().randrange(2**31) if seed is None else seed
    (name, owner_session), *others = owners
    with transaction.atomic():
        cluster = create_cluster(name, nodes=0, seed=seed, owner_session=owner_session, sandbox=True)
        api = APIServer(cluster, client="kubeadm")
        for index, spec in enumerate(scenario.nodes, start=1):
            join_node(api, node_for(spec, index, seed))
    holder = lease.new_holder_id("scenario")
    lease.try_acquire(cluster.pk, holder)
    try:
        if scenario.manifests.strip():
            _apply(cluster, scenario.manifests)
        if scenario.settle:
            ClusterDriver(cluster).fast_forward()
        if scenario.step_mode:
            control.set_mode(Cluster.objects.get(pk=cluster.pk), "step")
        copies = [snapshot.restore(cluster, other, other_owner) for other, other_owner in others]
    finally:
        lease.release(cluster.pk, holder)
    return [Cluster.objects.get(pk=cluster.pk), *copies]


def _apply(cluster: Cluster, manifests: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(
        APIServer(cluster, client="kubectl"),
        ["apply", "-f", "-"],
        stdin=io.StringIO(manifests),
        stdout=out,
        stderr=err,
        local_files=False,
    )
    if code != 0:
        raise ScenarioError(err.getvalue())
