"""Migration 0008 moves a server's existing Events out of each cluster's key count into their own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cluster", "0007_entry_lease")]
AFTER = [("cluster", "0008_event_key_count")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_existing_events_are_counted_apart_after_the_migration() -> None:
    latest = [key for key in MigrationExecutor(connection).loader.graph.leaf_nodes() if key[0] == "cluster"]
    try:
        old = migrate(BEFORE).loader.project_state(BEFORE).apps
        Cluster, Entry = old.get_model("cluster", "Cluster"), old.get_model("cluster", "Entry")
        busy = Cluster.objects.create(name="busy", token="t1", key_count=5)
        quiet = Cluster.objects.create(name="quiet", token="t2", key_count=2)
        rows = [(busy, "/registry/events/", 3), (busy, "/registry/pods/", 2), (quiet, "/registry/pods/", 2)]
        for cluster, prefix, count in rows:
            for n in range(count):
                Entry.objects.create(
                    cluster=cluster,
                    key=f"{prefix}default/{n}",
                    prefix=prefix,
                    namespace="default",
                    create_revision=n + 1,
                    mod_revision=n + 1,
                    version=1,
                    value="{}",
                )
        new = migrate(AFTER).loader.project_state(AFTER).apps.get_model("cluster", "Cluster")
        assert {c.name: (c.key_count, c.event_key_count) for c in new.objects.filter(name__in=["busy", "quiet"])} == {
            "busy": (2, 3),
            "quiet": (2, 0),
        }
    finally:
        migrate(latest)
