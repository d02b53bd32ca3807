"""`manage.py cluster create|list|delete|reset|ensure|token|kubeconfig NAME`, and `cluster gc`."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cluster import idle
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.bootstrap import create_cluster, reset_cluster
from cluster.kubeconfig import kubeconfig_yaml
from cluster.models import Cluster


class Command(BaseCommand):
    help = "Create, list, delete or reset simulated clusters; print a cluster's token or kubeconfig."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "action", choices=["create", "list", "delete", "reset", "ensure", "token", "kubeconfig", "gc"]
        )
        parser.add_argument("name", nargs="?")
        parser.add_argument("--nodes", type=int, default=None)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--object-limit",
            type=int,
            default=None,
            help="the most live objects the cluster may hold (default KUBECLASS_OBJECT_LIMIT; 0 for no limit)",
        )
        parser.add_argument(
            "--quota",
            default=None,
            metavar="NAME=QUANTITY,...",
            help="give the cluster a sandbox's ResourceQuota and LimitRange, with these hard "
            "values in place of the sandbox's (e.g. pods=500,services=100)",
        )
        parser.add_argument("--server", default=None, help="the API's https URL (default KUBECLASS_API_URL)")

    def handle(self, *args: Any, **opts: Any) -> None:
        action, name = opts["action"], opts["name"]
        if action == "list":
            for each in Cluster.objects.order_by("name"):
                nodes = each.entries.filter(prefix="/registry/minions/").count()
                self.stdout.write(f"{each.name}\tnodes={nodes}\trevision={each.revision}\tseed={each.seed}")
            return
        if action == "gc":
            self._gc()
            return
        if not name:
            raise CommandError(f"cluster {action} needs a NAME")
        if action in ("create", "ensure"):
            self._create(str(name), opts, exist_ok=action == "ensure")
            return
        cluster = Cluster.objects.filter(name=name).first()
        if cluster is None:
            raise CommandError(f'cluster "{name}" not found')
        if action == "delete":
            cluster.delete()
            self.stdout.write(f'cluster "{name}" deleted')
        elif action == "reset":
            reset_cluster(cluster, opts["nodes"])
            self.stdout.write(f'cluster "{name}" reset')
        elif action == "token":
            self.stdout.write(cluster.token)
        else:
            server = str(opts["server"] or settings.KUBECLASS_API_URL)
            cert = settings.KUBECLASS_TLS_DIR / "apiserver.crt"
            ca_pem = cert.read_bytes() if cert.exists() else None
            self.stdout.write(kubeconfig_yaml(cluster, server, ca_pem), ending="")

    def _gc(self) -> None:
        """What the server does on its own: delete abandoned sandboxes, expire old Events, compact every
        cluster's history."""
        for name in idle.collect():
            self.stdout.write(f'cluster "{name}" deleted: unused for {settings.KUBECLASS_SANDBOX_DAYS:g} days')
        expired = 0
        for c in Cluster.objects.all():
            while revoked := APIServer(c).expire_leases():
                expired += revoked
        self.stdout.write(f"events expired: {expired}")
        removed = sum(APIServer(c).compact(settings.KUBECLASS_HISTORY_REVISIONS) for c in Cluster.objects.all())
        self.stdout.write(f"history compacted: {removed} old revisions removed")

    def _create(self, name: str, opts: dict, exist_ok: bool) -> None:
        if Cluster.objects.filter(name=name).exists():
            if exist_ok:
                self.stdout.write(f'cluster "{name}" already exists')
                return
            raise CommandError(f'cluster "{name}" already exists')
        nodes = opts["nodes"] if opts["nodes"] is not None else 3
        if nodes < 1 or nodes > 5000:
            raise CommandError("--nodes must be between 1 and 5000")
        limit = opts["object_limit"]
        if limit is not None and int(limit) < 0:
            raise CommandError("--object-limit must be 0 (no limit) or more")
        quota = _parse_quota(str(opts["quota"])) if opts["quota"] is not None else None
        try:
            create_cluster(
                name,
                nodes=nodes,
                seed=int(opts["seed"]),
                quota=quota,
                object_limit=None if limit is None else int(limit),
            )
        except StatusError as err:
            raise CommandError(err.message) from err
        self.stdout.write(f'cluster "{name}" created with {nodes} nodes')


def _parse_quota(text: str) -> dict[str, str]:
    """`pods=500,services=100` → {"pods": "500", "services": "100"} (the API server validates the values)."""
    quota = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise CommandError(f"--quota: {item!r} is not NAME=QUANTITY")
        quota[name.strip()] = value.strip()
    return quota
