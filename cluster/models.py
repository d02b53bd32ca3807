"""The etcd-like store, kept in the database.

Simulates etcd's MVCC key space as kube-apiserver uses it: keys such as
`/registry/pods/default/web`, one revision counter per cluster that grows by one
with every write, and per key a create revision, a mod revision and a version.
Every write is appended to `Revision` (etcd's history), so the key space can be
read as it was at any past revision until it is compacted; `Entry` holds only
the newest value of each live key so that gets and lists stay cheap.

Simplified: one key per revision (kube-apiserver never writes more than one key
in a transaction either), and no leases on keys.
"""
from __future__ import annotations

import secrets

from django.db import models


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Cluster(models.Model):
    """One simulated cluster: a student's sandbox or the class's demo."""

    name = models.SlugField(max_length=63, unique=True)
    token = models.CharField(max_length=64, default=new_token, unique=True)
    seed = models.BigIntegerField(default=0)
    revision = models.BigIntegerField(default=0)
    compact_revision = models.BigIntegerField(default=0)
    owner_session = models.CharField(max_length=64, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The virtual clock: now = virtual_anchor + (wall now - wall_anchor) * speed.
    # speed 1 runs with the wall clock; 0 freezes time (step mode, tests).
    virtual_anchor = models.DateTimeField(null=True)
    wall_anchor = models.DateTimeField(null=True)
    speed = models.FloatField(default=1.0)

    def __str__(self) -> str:
        return self.name


class Entry(models.Model):
    """The newest value of one live key, as etcd's key index points to it."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=400)
    prefix = models.CharField(max_length=120)
    namespace = models.CharField(max_length=63, blank=True, default="")
    create_revision = models.BigIntegerField()
    mod_revision = models.BigIntegerField()
    version = models.BigIntegerField()
    value = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "key"], name="entry_unique_key")]
        indexes = [models.Index(fields=["cluster", "prefix", "namespace"], name="entry_prefix")]


class Revision(models.Model):
    """One write in a cluster's history: a PUT of a new value, or a DELETE.

    For a DELETE, `value` keeps the object as it was last, which is what a
    watch needs to send with its DELETED event (etcd's prev_kv).
    """

    PUT = "PUT"
    DELETE = "DELETE"

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="history")
    revision = models.BigIntegerField()
    type = models.CharField(max_length=6)
    key = models.CharField(max_length=400)
    prefix = models.CharField(max_length=120)
    namespace = models.CharField(max_length=63, blank=True, default="")
    create_revision = models.BigIntegerField()
    version = models.BigIntegerField()
    value = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "revision"], name="revision_unique")
        ]
        indexes = [
            models.Index(fields=["cluster", "prefix", "revision"], name="revision_prefix"),
            models.Index(fields=["cluster", "key", "revision"], name="revision_key"),
        ]
