"""API server write throughput, against raw bulk inserts into the same database.

Creates a cluster, then through `APIServer` in-process (each request its own
transaction, as a real client's would be): creates N pods, lists them with a
label selector that matches half, and updates each once (a merge patch of one
label). Then, in the same run and the same database, bulk-inserts the very same
Entry + Revision rows into another cluster (bulk_create in batches, one
transaction) as the ceiling a store write could reach, and prints the ratio.

A fresh temporary SQLite file is used unless DATABASE_URL is set (then two
clusters named bench-* are created there and deleted afterwards).

Usage: .venv/bin/python bench/apiserver.py [--pods 10000] [--profile] [--keep-db]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MERGE_PATCH = "application/merge-patch+json"
BATCH = 500


def setup_django() -> str:
    """Configure Django on a fresh SQLite file (or DATABASE_URL) and migrate it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    # Measured as deployed: DEBUG on would also log every SQL statement.
    os.environ.setdefault("DJANGO_DEBUG", "0")
    where = os.environ.get("DATABASE_URL", "")
    if not where:
        folder = tempfile.mkdtemp(prefix="kubeclass-bench-")
        os.environ["SQLITE_PATH"] = where = str(Path(folder) / "bench.sqlite3")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return where


def pod_manifest(i: int) -> dict:
    """A pod as a ReplicaSet would create it: labels, an owner, one container with requests."""
    tier = "front" if i % 2 == 0 else "back"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"web-{i:05d}",
            "namespace": "default",
            "labels": {"app": "web", "tier": tier, "pod-template-hash": "7c5ddbdf54"},
            "annotations": {"kubeclass.io/bench": "true"},
        },
        "spec": {
            "containers": [
                {
                    "name": "nginx",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                    "imagePullPolicy": "IfNotPresent",
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                }
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
        },
    }


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def create_pods(api, count: int) -> None:
    for i in range(count):
        api.create("pods", "default", pod_manifest(i))


def update_pods(api, count: int) -> None:
    for i in range(count):
        api.patch("pods", "default", f"web-{i:05d}", {"metadata": {"labels": {"version": "v2"}}}, MERGE_PATCH)


def created_rows(source) -> list[tuple[str, str, str, str]]:
    """What the API server wrote for each pod it created: key, prefix, namespace and stored JSON."""
    from cluster.models import Revision

    # only the bench's own pods: a new cluster also runs kube-system's (static pods, coredns)
    return list(
        Revision.objects.filter(cluster=source, prefix="/registry/pods/", namespace="default", version=1)
        .order_by("revision")
        .values_list("key", "prefix", "namespace", "value")
    )


def raw_bulk_insert(target, rows: list[tuple[str, str, str, str]]) -> int:
    """The same Entry + Revision rows, bulk-inserted into `target` in one transaction."""
    from django.db import transaction

    from cluster.models import Cluster, Entry, Revision

    start = Cluster.objects.filter(pk=target.pk).values_list("revision", flat=True).get()
    with transaction.atomic():
        for offset in range(0, len(rows), BATCH):
            chunk = rows[offset : offset + BATCH]
            entries, history = [], []
            for n, (key, prefix, namespace, value) in enumerate(chunk, start=start + offset + 1):
                entries.append(
                    Entry(
                        cluster=target,
                        key=key,
                        prefix=prefix,
                        namespace=namespace,
                        create_revision=n,
                        mod_revision=n,
                        version=1,
                        value=value,
                    )
                )
                history.append(
                    Revision(
                        cluster=target,
                        revision=n,
                        type=Revision.PUT,
                        key=key,
                        prefix=prefix,
                        namespace=namespace,
                        create_revision=n,
                        version=1,
                        value=value,
                    )
                )
            Entry.objects.bulk_create(entries)
            Revision.objects.bulk_create(history)
        Cluster.objects.filter(pk=target.pk).update(revision=start + len(rows))
    return len(rows)


def warm_up(api) -> None:
    """One request of each kind first, as a running server has had: compiled schemas, cached lookups."""
    api.create("pods", "default", {**pod_manifest(0), "metadata": {"name": "warm-up", "labels": {"app": "x"}}})
    api.patch("pods", "default", "warm-up", {"metadata": {"labels": {"version": "v2"}}}, MERGE_PATCH)
    api.delete("pods", "default", "warm-up")


def validation_cost(api, count: int) -> tuple[float, float]:
    """Seconds spent in schema checks and validation for `count` creates and updates, outside the store."""
    from cluster.apiserver import strategy
    from cluster.apiserver.resources import lookup

    rt = lookup("pods")
    manifests = [pod_manifest(i) for i in range(count)]
    start = time.perf_counter()
    for obj in manifests:
        strategy.check_unknown_fields(rt, obj, "Strict")
        strategy.validate_create(rt, obj)
    creates = time.perf_counter() - start
    olds = [api.get("pods", "default", f"web-{i:05d}") for i in range(count)]
    news = [{**old, "metadata": {**old["metadata"], "labels": {"version": "v3"}}} for old in olds]
    start = time.perf_counter()
    for new, old in zip(news, olds):
        strategy.check_unknown_fields(rt, new, "Strict")
        strategy.validate_update(rt, new, old, "")
    return creates, time.perf_counter() - start


def profiled(fn, *args) -> tuple[float, str]:
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.runcall(fn, *args)
    elapsed = time.perf_counter() - start
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(18)
    return elapsed, out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--profile", action="store_true", help="profile creates and updates with cProfile")
    parser.add_argument("--keep-db", action="store_true", help="leave the temporary database behind")
    args = parser.parse_args()
    where = setup_django()

    from django.conf import settings
    from django.db import connection

    from cluster.apiserver.server import APIServer
    from cluster.bootstrap import create_cluster
    from cluster.models import Cluster

    suffix = f"{os.getpid()}-{int(time.time())}"
    cluster = create_cluster(f"bench-{suffix}", nodes=3, seed=7, object_limit=0)
    raw_target = create_cluster(f"bench-raw-{suffix}", nodes=3, seed=7, object_limit=0)
    api = APIServer(cluster, client="bench")
    n = args.pods
    try:
        warm_up(api)
        if args.profile:
            create_s, create_report = profiled(create_pods, api, n)
        else:
            create_s, _ = timed(create_pods, api, n)
        list_s, listed = timed(api.list, "pods", "default", "tier=front")
        if args.profile:
            update_s, update_report = profiled(update_pods, api, n)
        else:
            update_s, _ = timed(update_pods, api, n)
        raw_s, raw_rows = timed(raw_bulk_insert, raw_target, created_rows(cluster))
        sample = min(n, 2000)
        check_create, check_update = (s * n / sample for s in validation_cost(api, sample))
    finally:
        Cluster.objects.filter(pk__in=[cluster.pk, raw_target.pk]).delete()

    creates, updates, raw = n / create_s, n / update_s, raw_rows / raw_s
    if args.profile:
        print("-- profile: creates --\n" + create_report)
        print("-- profile: updates --\n" + update_report)
    print(
        f"database: {connection.vendor} ({where if connection.vendor == 'sqlite' else 'DATABASE_URL'}), "
        f"DEBUG={settings.DEBUG}; a raw row is one object's Entry + Revision, as one API write adds"
    )
    print(
        f"validation and schema checks: {check_create / n * 1e6:.0f} µs per create "
        f"({100 * check_create / create_s:.1f} % of the create time), {check_update / n * 1e6:.0f} µs per update "
        f"({100 * check_update / update_s:.1f} % of the update time)"
    )
    print(
        f"apiserver: {n} creates {creates:.0f}/s, {n} updates {updates:.0f}/s, "
        f"list ({len(listed['items'])} of {n} by label) {list_s:.2f} s; "
        f"raw bulk insert {raw:.0f} rows/s; ratio {100 * creates / raw:.1f} %"
    )
    if not args.keep_db and connection.vendor == "sqlite":
        connection.close()
        for path in Path(where).parent.glob("bench.sqlite3*"):
            path.unlink()
        Path(where).parent.rmdir()


if __name__ == "__main__":
    main()
