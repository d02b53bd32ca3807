"""Which process drives a cluster: leader election on a database row.

kube-controller-manager runs on every control-plane node but only the holder
of the `kube-controller-manager` Lease works; the others wait to take over.
Here each process (a Daphne worker, `manage.py simulate`) has a holder id;
the holder renews every 5 s, and a lease not renewed for 15 s may be taken.
Lease times are wall-clock: a frozen virtual clock must not keep a dead
holder's lease alive.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket

from django.db import connection, transaction

from cluster.clock import wall_now
from cluster.models import ReconcilerLease, ReconcilerWorker

LEASE_DURATION = 15
RENEW_PERIOD = 5.0
RETRY_PERIOD = 2.0


def new_holder_id(kind: str = "reconciler") -> str:
    return f"{kind}-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def try_acquire(cluster_id: int, holder: str, now: dt.datetime | None = None) -> bool:
    """Take or renew the lease; False while another holder's lease is still valid."""
    now = now or wall_now()
    with transaction.atomic():
        lease, _ = ReconcilerLease.objects.select_for_update().get_or_create(cluster_id=cluster_id)
        expired = lease.renew_time is None or lease.renew_time + dt.timedelta(seconds=lease.duration_seconds) <= now
        if lease.holder and lease.holder != holder and not expired:
            return False
        if lease.holder != holder:
            lease.transitions += 1 if lease.holder else 0
            lease.holder, lease.acquire_time = holder, now
        lease.renew_time = now
        lease.duration_seconds = LEASE_DURATION
        lease.save()
    return True


def release(cluster_id: int, holder: str) -> None:
    """Give the lease up at once (a clean shutdown), so another process need not wait 15 s."""
    ReconcilerLease.objects.filter(cluster_id=cluster_id, holder=holder).update(holder="", renew_time=None)


def holder_of(cluster_id: int) -> str:
    lease = ReconcilerLease.objects.filter(cluster_id=cluster_id).first()
    if lease is None or not lease.holder or lease.renew_time is None:
        return ""
    if lease.renew_time + dt.timedelta(seconds=lease.duration_seconds) <= wall_now():
        return ""
    return lease.holder


class LeaseLost(RuntimeError):
    """This process no longer holds the cluster's lease: it must not write for it."""


def assert_held(cluster_id: int, holder: str) -> None:
    """Fencing: inside a batch's transaction, before its first write, check the lease is still ours.

    On PostgreSQL the row is locked FOR SHARE, so a takeover (an UPDATE of the row)
    waits until this batch has committed and the next batch sees it; on SQLite the
    batch's IMMEDIATE transaction already excludes every other writer.
    """
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT holder, renew_time, duration_seconds FROM {ReconcilerLease._meta.db_table} "
            f"WHERE cluster_id = %s{lock}",
            [cluster_id],
        )
        row = cursor.fetchone()
    if row is None or row[0] != holder:
        raise LeaseLost(f"cluster {cluster_id} is driven by {row[0] if row else 'nobody'} now")
    renewed = row[1]
    if isinstance(renewed, str):  # SQLite hands back text from a raw query
        renewed = dt.datetime.fromisoformat(renewed)
    if renewed.tzinfo is None:
        renewed = renewed.replace(tzinfo=dt.timezone.utc)
    if renewed + dt.timedelta(seconds=row[2]) <= wall_now():
        raise LeaseLost(f"the lease of cluster {cluster_id} expired")


def heartbeat(holder: str) -> None:
    """Say this process is alive (ReconcilerWorker), so the others count it when sharing clusters."""
    ReconcilerWorker.objects.update_or_create(holder=holder, defaults={"heartbeat": wall_now()})


def forget_worker(holder: str) -> None:
    ReconcilerWorker.objects.filter(holder=holder).delete()


def fair_share(clusters: int, now: dt.datetime | None = None) -> int:
    """How many clusters each live worker should drive: the clusters over the live workers, rounded up."""
    cutoff = (now or wall_now()) - dt.timedelta(seconds=LEASE_DURATION)
    workers = max(1, ReconcilerWorker.objects.filter(heartbeat__gt=cutoff).count())
    return -(-clusters // workers)
