"""The etcd-like store, kept in the database.

Simulates etcd's MVCC key space as kube-apiserver uses it: keys such as
`/registry/pods/default/web`, one revision counter per cluster that grows by one
with every write, and per key a create revision, a mod revision and a version.
Every write is appended to `Revision` (etcd's history), so the key space can be
read as it was at any past revision until it is compacted; `Entry` holds only
the newest value of each live key so that gets and lists stay cheap.

A key may be attached to a lease: kube-apiserver writes every Event with one of
--event-ttl, and etcd's lessor deletes the key when the lease expires
(`Entry.lease_expiry`, `Store.expired`).

Simplified: one key per revision (kube-apiserver never writes more than one key
in a transaction either, and here a lease's expiry deletes its keys one revision
each); a lease is its expiry on the key itself, with no ID, TTL or keep-alive.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


def new_token() -> str:
    return secrets.token_urlsafe(32)


def default_object_limit() -> int:
    return settings.KUBECLASS_OBJECT_LIMIT


class Cluster(models.Model):
    """One simulated cluster: a student's sandbox or the class's demo."""

    name = models.SlugField(max_length=63, unique=True)
    token = models.CharField(max_length=64, default=new_token, unique=True)
    seed = models.BigIntegerField(default=0)
    revision = models.BigIntegerField(default=0)
    compact_revision = models.BigIntegerField(default=0)
    # etcd bounds its size with --quota-backend-bytes; kubeclass bounds a cluster by its live keys.
    # key_count moves with every create and delete; object_limit 0 means unbounded. Events are
    # counted apart (event_key_count, against KUBECLASS_EVENT_LIMIT), as in an etcd of their own.
    key_count = models.BigIntegerField(default=0)
    event_key_count = models.BigIntegerField(default=0)
    object_limit = models.IntegerField(default=default_object_limit)
    owner_session = models.CharField(max_length=64, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The virtual clock: now = virtual_anchor + (wall now - wall_anchor) * speed.
    # speed 1 runs with the wall clock; 0 freezes time (step mode, tests).
    virtual_anchor = models.DateTimeField(null=True)
    wall_anchor = models.DateTimeField(null=True)
    speed = models.FloatField(default=1.0)
    # Idle clusters sleep (cluster/idle.py): their clock stops and no process drives them until
    # someone opens them or calls their API again.
    last_active = models.DateTimeField(null=True)  # wall time of the last page, socket or API call
    sleeping_since = models.DateTimeField(null=True)
    speed_before_sleep = models.FloatField(null=True)

    def __str__(self) -> str:
        return self.name


class Entry(models.Model):
    """The newest value of one live key, as etcd's key index points to it."""

    # No index of its own: the unique (cluster, key) index starts with it.
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="entries", db_index=False)
    key = models.CharField(max_length=400)
    prefix = models.CharField(max_length=120)
    namespace = models.CharField(max_length=63, blank=True, default="")
    create_revision = models.BigIntegerField()
    mod_revision = models.BigIntegerField()
    version = models.BigIntegerField()
    value = models.TextField()
    # The expiry of the lease the key was last written with, in milliseconds of the cluster's virtual
    # Unix time; null for a key without one (every key but Events). Each write sets it anew, as a Put
    # attaches the lease it names (or none).
    lease_expiry = models.BigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "key"], name="entry_unique_key")]
        indexes = [
            models.Index(fields=["cluster", "prefix", "namespace"], name="entry_prefix"),
            # Only keys with a lease: the lessor's "which have expired" is one seek, and no
            # other write pays for it.
            models.Index(
                fields=["cluster", "lease_expiry"], name="entry_lease", condition=models.Q(lease_expiry__isnull=False)
            ),
        ]


class Revision(models.Model):
    """One write in a cluster's history: a PUT of a new value, or a DELETE.

    For a DELETE, `value` keeps the object as it was last, which is what a
    watch needs to send with its DELETED event (etcd's prev_kv).
    """

    PUT = "PUT"
    DELETE = "DELETE"

    # No index of its own: the unique (cluster, revision) index starts with it.
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="history", db_index=False)
    revision = models.BigIntegerField()
    type = models.CharField(max_length=6)
    key = models.CharField(max_length=400)
    prefix = models.CharField(max_length=120)
    namespace = models.CharField(max_length=63, blank=True, default="")
    create_revision = models.BigIntegerField()
    version = models.BigIntegerField()
    value = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "revision"], name="revision_unique")]
        # Every history row is written once and each index costs a B-tree insert per
        # write; (cluster, key) would be a random one. Reads by key (time travel,
        # compaction) scan by revision and group, which this and the unique index serve.
        indexes = [models.Index(fields=["cluster", "prefix", "revision"], name="revision_prefix")]


class StepEvent(models.Model):
    """One hop a request sets off: who told whom what, about which object.

    `message_id` and `params` make the explanation translatable (cluster/steps/catalogue.py
    holds each message in English and Korean); `diff` lists the changed paths old → new.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="steps")
    seq = models.BigIntegerField()
    time = models.DateTimeField()  # virtual time
    source = models.CharField(max_length=120)
    target = models.CharField(max_length=120)
    verb = models.CharField(max_length=60)
    object = models.CharField(max_length=400, blank=True, default="")
    key = models.CharField(max_length=400, blank=True, default="")
    revision = models.BigIntegerField(null=True)
    message_id = models.CharField(max_length=60)
    params = models.JSONField(default=dict)
    diff = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "seq"], name="step_unique_seq")]


class ReconcilerLease(models.Model):
    """Who drives a cluster's control loops (kube-controller-manager's leader election lease)."""

    cluster = models.OneToOneField(Cluster, on_delete=models.CASCADE, related_name="reconciler_lease")
    holder = models.CharField(max_length=120, blank=True, default="")
    acquire_time = models.DateTimeField(null=True)
    renew_time = models.DateTimeField(null=True)  # wall time: leases outlive a paused virtual clock
    duration_seconds = models.IntegerField(default=15)
    transitions = models.IntegerField(default=0)
    # How the holder drives the cluster: realtime, step or fast-forward (see cluster/reconciler/).
    mode = models.CharField(max_length=20, default="realtime")
    # Step mode: the dashboard shows steps up to `revealed_seq`; each "next" asks for one more.
    revealed_seq = models.BigIntegerField(default=0)
    steps_wanted = models.IntegerField(default=0)


class ReconcilerWorker(models.Model):
    """A process that can drive clusters, and when it last said it is alive (to share clusters fairly)."""

    holder = models.CharField(max_length=120, unique=True)
    heartbeat = models.DateTimeField()


class RuntimeState(models.Model):
    """State that lives outside the Kubernetes API: a node's container runtime, the image registry.

    containerd keeps its sandboxes, containers and images on the node's disk, so
    a kubelet restart finds them again; this row is that disk.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="runtime_states")
    scope = models.CharField(max_length=20)  # "node" or "registry"
    name = models.CharField(max_length=253, blank=True, default="")
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "scope", "name"], name="runtime_unique")]
