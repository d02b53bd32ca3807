"""`manage.py simulate --cluster NAME (--until-settled | --seconds N)`: fast-forward the control loops.

Runs every component in this process on a frozen virtual clock that jumps to
the next due timer whenever nothing is ready (cluster/reconciler/driver.py),
holding the cluster's reconciler lease meanwhile so that no server drives the
cluster at the same time.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cluster import clock
from cluster.models import Cluster
from cluster.reconciler import lease
from cluster.reconciler.driver import ClusterDriver


class Command(BaseCommand):
    help = "Run a cluster's control loops in fast-forward on virtual time."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--cluster", required=True)
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument(
            "--until-settled",
            action="store_true",
            help="run until no work is left and nothing happened for --horizon seconds",
        )
        group.add_argument("--seconds", type=float, help="run this many seconds of virtual time")
        parser.add_argument(
            "--horizon",
            type=float,
            default=60.0,
            help="virtual seconds without activity that count as settled (default 60)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        cluster = Cluster.objects.filter(name=opts["cluster"]).first()
        if cluster is None:
            raise CommandError(f'cluster "{opts["cluster"]}" not found')
        seconds = opts["seconds"]
        if seconds is not None and seconds < 0:
            raise CommandError("--seconds must not be negative")
        holder = lease.new_holder_id("simulate")
        if not lease.try_acquire(cluster.pk, holder):
            raise CommandError(
                f'cluster "{cluster.name}" is driven by {lease.holder_of(cluster.pk)}; '
                "stop that server or set its mode to fast-forward from the dashboard"
            )
        started = time.perf_counter()
        try:
            driver = ClusterDriver(cluster)
            summary = driver.fast_forward(seconds=seconds, horizon=float(opts["horizon"]))
        finally:
            lease.release(cluster.pk, holder)
        wall = time.perf_counter() - started
        state = "settled" if summary.settled else "stopped"
        self.stdout.write(
            f"{state} after {summary.virtual_seconds:g}s of virtual time: {summary.units} "
            f"reconciles in {wall:.2f}s; cluster time {clock.rfc3339(driver.now())}"
        )
