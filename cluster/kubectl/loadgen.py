"""`kubectl load-generator start|stop SERVICE [--qps N]`: a kubeclass verb, not a kubectl one.

Upstream's HPA walkthrough runs `kubectl run load-generator --image=busybox ... wget
http://php-apache` in a loop; kubeclass runs no containers, so this verb stands in
for that pod: it records the load on the Service (cluster/metrics.py turns it into
CPU usage on the Service's ready pods) until it is stopped. Real kubectl has no
such command, and the output says so.
"""

from __future__ import annotations

from cluster.kubectl.cli import Context, verb
from cluster.metrics import CPU_PER_REQUEST, start_load, stop_load

USAGE = "usage: kubectl load-generator start|stop SERVICE [--qps N] (a kubeclass simulation command)"
DEFAULT_QPS = 10


@verb("load-generator")
def load_generator(ctx: Context, args: list[str]) -> int:
    try:
        action, service, qps = _parse(args)
    except ValueError as err:
        ctx.stderr.write(f"error: {err}\n")
        return 1
    if action == "start":
        start_load(ctx.api, ctx.namespace, service, qps)
        ctx.stdout.write(
            f"service/{service} load generator started: {qps} requests/s, about "
            f"{qps * CPU_PER_REQUEST}m of CPU spread over its ready pods (kubeclass simulation)\n"
        )
    else:
        stop_load(ctx.api, ctx.namespace, service)
        ctx.stdout.write(f"service/{service} load generator stopped (kubeclass simulation)\n")
    return 0


def _parse(args: list[str]) -> tuple[str, str, int]:
    positional, qps = [], DEFAULT_QPS
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--qps" or arg.startswith("--qps="):
            value = arg.partition("=")[2] if "=" in arg else (args[i] if i < len(args) else "")
            i += 0 if "=" in arg else 1
            try:
                qps = int(value)
            except ValueError:
                raise ValueError(f'invalid argument "{value}" for "--qps" flag') from None
        elif arg.startswith("-"):
            raise ValueError(f"unknown flag: {arg}")
        else:
            positional.append(arg)
    if len(positional) != 2 or positional[0] not in ("start", "stop"):
        raise ValueError(USAGE)
    kind, _, name = positional[1].rpartition("/")
    if kind not in ("", "svc", "service", "services"):
        raise ValueError(f"a load generator sends requests to a Service, not to {positional[1]}")
    if qps < 1:
        raise ValueError(f"--qps must be at least 1, got {qps}")
    return positional[0], name, qps
