"""The work a client's requests cause on their servers, kept by the client's process as metrics-server will see it.

A real php-apache burns CPU for every request it answers, and metrics-server reads that CPU
from the server's cgroup. Here the server has no process of its own running per request, so the
client keeps the account: each request a process sends adds the server's CPU cost
(cluster/container/programs_http.py's `request_cpu`) to a per-second bucket in the process's
state, under what carried it — a Service, whose ready pods kube-proxy spreads the requests over,
or one pod. cluster/metrics.py turns the last `WINDOW` seconds of those buckets into millicores.

Simplified: the window ends at the process's own clock (a loop's state is saved every 10
virtual seconds, cluster/kubelet_start.py), so the newest seconds are read a little late; a
request's cost lands in the second it was sent.
"""

from __future__ import annotations

WINDOW = 15.0  # seconds: metrics-server's --metric-resolution, the span one usage sample covers


def charge(state: dict, carrier: str, millicore_seconds: int, t: float) -> None:
    """Count one request's server work at time t; buckets older than two windows are dropped."""
    if millicore_seconds <= 0:
        return
    buckets = state.setdefault("load", {}).setdefault(carrier, [])
    second = int(t)
    if buckets and buckets[-1][0] == second:
        buckets[-1][1] += millicore_seconds
        return
    buckets.append([second, millicore_seconds])
    while buckets and buckets[0][0] <= second - 2 * WINDOW:
        buckets.pop(0)


def millicores(state: dict, now: float) -> dict[str, int]:
    """What each carrier's servers burn on this process's requests: the work of the last WINDOW whole seconds
    before the process's clock (or now, once it has ended), over the window's length."""
    ended = state.get("exit") is not None or state.get("block") is not None
    end = int(now if ended else min(now, float(state.get("t", now))))  # the second still under way is not whole
    usage = {}
    for carrier, buckets in (state.get("load") or {}).items():
        work = sum(cost for second, cost in buckets if end - WINDOW <= second < end)
        if work:
            usage[carrier] = round(work / WINDOW)
    return usage
