"""`manage.py controlplane`: the control loops in a process of their own.

On a real cluster kube-controller-manager, kube-scheduler and every kubelet are
separate programs that talk to kube-apiserver; kubeclass runs all of them as
one reconciler (cluster/reconciler/service.py), by default inside the server's
process. This command runs that same reconciler alone, so that a server started
with `KUBECLASS_RECONCILER=0` answers the API and the pages on one core while
the control loops work on the other: a request no longer waits behind a busy
cluster's reconcile work.

It takes clusters by the same leases as a server's reconciler (several may run;
each cluster has one driver at a time) and tells the dashboards of its steps
through the channel layer, so it needs one that reaches other processes: Redis
(`REDIS_URL`). SIGTERM or Ctrl-C gives its clusters up at once, for another
process to take over.
"""

from __future__ import annotations

import asyncio
import signal

from django.core.management.base import BaseCommand, CommandError

from cluster.reconciler import wakeup
from cluster.reconciler.service import Reconciler


class Command(BaseCommand):
    help = "Run the controllers, the scheduler and the kubelets of every cluster, apart from the API server."

    def handle(self, *args: object, **opts: object) -> None:
        if wakeup.shared_layer() is None:
            raise CommandError(
                "the channel layer is in-memory: the dashboards in the server's process would never hear of "
                "this process's steps. Set REDIS_URL for the server and for this command."
            )
        reconciler = Reconciler()
        self.stdout.write(f"kubeclass: control plane running as {reconciler.holder}")
        asyncio.run(self.run(reconciler))
        self.stdout.write("kubeclass: control plane stopped, its clusters released")

    async def run(self, reconciler: Reconciler) -> None:
        loop = asyncio.get_running_loop()

        def stop() -> None:
            reconciler.stopping = True
            wakeup.wake_here()  # end the current sleep now, not after it

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop)
        await reconciler.run()
