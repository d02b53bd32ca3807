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

from django.db import transaction

from cluster.clock import wall_now
from cluster.models import ReconcilerLease

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
        expired = lease.renew_time is None or \
            lease.renew_time + dt.timedelta(seconds=lease.duration_seconds) <= now
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
