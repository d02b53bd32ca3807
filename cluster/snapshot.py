"""A new cluster restored from another's snapshot: how a class's sandboxes start from one seeded cluster.

Seeding a lesson's sandbox runs the whole bootstrap and the scenario's fast-forward (a few hundred
reconciles); thirty students switching to Hands-on at once would wait for thirty of them. Training
platforms start learners' clusters from one prepared image instead, and so does kubeclass: one sandbox
is seeded, the others are restored from it.

Simulates `etcdctl snapshot restore` of the source's etcd into a new cluster whose machines were imaged
from the source's at the same moment: the copy gets the source's key space and history (`Entry`,
`Revision`, the revision counter and compaction point), its nodes' container runtimes (`RuntimeState`:
the running containers, pulled images, volumes), its step log and its virtual clock, so the copy is the
source as it stood at that revision, and from then on a cluster of its own. What makes a cluster
reachable is its own: a new name and token, its owner; the lease starts free, in the source's mode.

Simplified: a real restore would also keep the source's certificates and service-account signing key;
here each cluster signs with its own token, so a token a pod of the source was given before the copy
carries the source's key id. Names and uids made before the copy are the same in both clusters (as
after a real restore); those made after differ, as each cluster draws from its own name.
"""

from __future__ import annotations

from django.db import connection, models, transaction

from cluster.models import Cluster, Entry, ReconcilerLease, Revision, RuntimeState, StepEvent

# The rows that make up a cluster's state, copied as they are but for the cluster they belong to.
COPIED: tuple[type[models.Model], ...] = (Entry, Revision, RuntimeState, StepEvent)
CLUSTER_FIELDS = (
    "seed",
    "revision",
    "compact_revision",
    "key_count",
    "event_key_count",
    "object_limit",
    "virtual_anchor",
    "wall_anchor",
    "speed",
)
LEASE_FIELDS = ("mode", "revealed_seq", "steps_wanted")


def restore(source: Cluster, name: str, owner_session: str = "") -> Cluster:
    """A new cluster `name`, owned by `owner_session`, in the state `source` is in now.

    Call it while no process drives `source` (its reconciler lease held by the caller), as an etcd
    snapshot is taken of a member at one revision: on PostgreSQL the source's row is locked for the
    copy, so a request writing to the source waits for it; SQLite's write transaction excludes one anyway.
    """
    with transaction.atomic():
        frozen = Cluster.objects.select_for_update().get(pk=source.pk)
        copy = Cluster.objects.create(
            name=name, owner_session=owner_session, **{f: getattr(frozen, f) for f in CLUSTER_FIELDS}
        )
        with connection.cursor() as cursor:
            for model in COPIED:
                cursor.execute(_copy_rows(model), [copy.pk, frozen.pk])
        lease = ReconcilerLease.objects.filter(cluster=frozen).first()
        if lease is not None:
            ReconcilerLease.objects.create(cluster=copy, **{f: getattr(lease, f) for f in LEASE_FIELDS})
    return copy


def _copy_rows(model: type[models.Model]) -> str:
    """INSERT … SELECT of one cluster's rows of `model` under another cluster id, in one statement."""
    names = [f.column for f in model._meta.concrete_fields if not f.primary_key and f.name != "cluster"]
    columns = ", ".join(connection.ops.quote_name(name) for name in names if name)
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} (cluster_id, {columns}) SELECT %s, {columns} FROM {table} WHERE cluster_id = %s"  # noqa: S608 - names from the models, values bound
