"""The control loops at scale: a Deployment fast-forwarded until every pod is Running and Ready.

Creates a cluster of --nodes nodes, applies a Deployment of --replicas replicas
through the API server, runs every component in fast-forward
(cluster/reconciler/driver.py) until all pods are Ready, and prints wall
seconds, pods/s, peak memory (ru_maxrss) and — measured in the same run on the
same database — the store writes per second the run made against raw bulk
inserts of as many rows. Step recording is off, as for a benchmark, unless
--record-steps turns it on (as a class runs: every hop a StepEvent row).

Usage: .venv/bin/python bench/reconcile.py [--nodes 1000] [--replicas 10000] [--record-steps]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(record_steps: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    os.environ["KUBECLASS_STEP_EVENTS"] = "1" if record_steps else "0"
    os.environ["DJANGO_DEBUG"] = "0"  # as a deployed server runs: no SQL query log
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="kubeclass-reconcile-")) / "db.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def deployment(replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.27",
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                        }
                    ]
                },
            },
        },
    }


def ready_pods(api: object) -> int:
    return sum(
        1
        for p in api.list("pods", "default")["items"]
        if any(c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions") or [])
    )


def raw_rows_per_second(rows: int) -> float:
    """Bulk inserts of `rows` Entry + Revision rows into another cluster, in one transaction."""
    from django.db import transaction

    from cluster.models import Cluster, Entry, Revision

    other = Cluster.objects.create(name="raw-baseline")
    value = '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{},"status":{}}'
    started = time.perf_counter()
    with transaction.atomic():
        for start in range(0, rows, 2000):
            batch = range(start, min(rows, start + 2000))
            Entry.objects.bulk_create(
                [
                    Entry(
                        cluster=other,
                        key=f"/registry/pods/default/p{i}",
                        prefix="/registry/pods/",
                        namespace="default",
                        create_revision=i + 1,
                        mod_revision=i + 1,
                        version=1,
                        value=value,
                    )
                    for i in batch
                ]
            )
            Revision.objects.bulk_create(
                [
                    Revision(
                        cluster=other,
                        revision=i + 1,
                        type="PUT",
                        key=f"/registry/pods/default/p{i}",
                        prefix="/registry/pods/",
                        namespace="default",
                        create_revision=i + 1,
                        version=1,
                        value=value,
                    )
                    for i in batch
                ]
            )
    return rows / (time.perf_counter() - started)


def run(nodes: int, replicas: int) -> None:
    from cluster import clock
    from cluster.apiserver.server import APIServer
    from cluster.bootstrap import create_cluster
    from cluster.reconciler.driver import ClusterDriver

    # No control-plane node or kube-system workloads: the figure is the Deployment's pods alone.
    cluster = create_cluster("bench", nodes=nodes, seed=1, object_limit=0, addons=False)
    clock.set_speed(cluster, 0)
    api = APIServer(cluster, client="kubectl")
    start_revision = api.current_revision()
    started = time.perf_counter()
    api.create("deployments", "default", deployment(replicas))
    driver = ClusterDriver(cluster)
    rounds = 0
    while ready_pods(api) < replicas and rounds < 200:
        driver.fast_forward(seconds=30, horizon=10)
        rounds += 1
    wall = time.perf_counter() - started
    ready = ready_pods(api)
    writes = api.current_revision() - start_revision
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    raw = raw_rows_per_second(max(writes, 1000))
    from cluster.models import StepEvent

    steps = StepEvent.objects.filter(cluster=cluster).count()
    print(
        f"reconcile: {nodes} nodes, {replicas} replicas, {steps} steps recorded, {ready} Ready in {wall:.1f} s wall "
        f"({ready / wall:.1f} pods/s), peak memory {peak_mib:.0f} MiB; {writes} store writes "
        f"({writes / wall:.0f}/s) vs raw bulk insert {raw:.0f} rows/s: ratio {100 * writes / wall / raw:.1f} %"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=10000)
    parser.add_argument("--record-steps", action="store_true", help="record every hop, as a class runs")
    args = parser.parse_args()
    setup_django(args.record_steps)
    run(args.nodes, args.replicas)


if __name__ == "__main__":
    main()
