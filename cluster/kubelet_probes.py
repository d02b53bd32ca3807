"""The kubelet's prober (pkg/kubelet/prober): startup, liveness and readiness probes against the process model.

A worker per probe runs every periodSeconds from the container's start; it does
nothing until initialDelaySeconds have passed. Each check:
- exec: the command runs in the container (cluster/container/shell.py run_instant,
  against its filesystem at that moment); exit 0 passes, anything else fails with
  the command's output as the message (`cat: can't open '/tmp/healthy': No such file
  or directory`); a command still running after timeoutSeconds fails.
- httpGet: succeeds on a 200-399 answer from a process of the pod listening on the
  port (named ports resolve through the container's ports); `HTTP probe failed with
  statuscode: 500`, or `dial tcp IP:PORT: connect: connection refused` when nothing
  listens.
- tcpSocket and grpc: succeed while something listens on the port.
failureThreshold consecutive failures make a liveness (or startup) probe kill the
container ("Container X failed liveness probe, will be restarted"), and the probe is
on hold until the container restarts; readiness needs successThreshold successes to
turn ready and failureThreshold failures to turn unready. Liveness and readiness wait
for a startup probe to succeed. Every failure is an `Unhealthy` event.

A probe whose outcome depends on time or on files (exec, agnhost's liveness server, a
server of files such as nginx, whose files a `kubectl exec` may change) is run at each
period — the kubelet wakes for it; one against a server whose answer only depends on it
running (tcpSocket, grpc, an application server) answers the same until the process
changes, so it is run when the kubelet syncs — until it fails once: from then on it runs
at each period until it succeeds again or reaches failureThreshold, so a single failure
never flips readiness and failureThreshold × periodSeconds passes before a liveness kill.
The fault annotation `kubeclass.io/fail-probes` still fails a probe on purpose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

KINDS = ("startup", "liveness", "readiness")
FIELDS = {"startup": "startupProbe", "liveness": "livenessProbe", "readiness": "readinessProbe"}
DEFAULT_PERIOD = 10
MAX_CATCH_UP = 60


@dataclass
class Verdict:
    ok: bool
    message: str = ""
    volatile: bool = False  # may change with time alone


@dataclass
class ProbeResults:
    """What the prober decided for one container during one sync."""

    ready: bool = False
    started: bool = True
    kill: str = ""  # "liveness" or "startup" when the container must be restarted
    kill_at: float = 0.0
    wakes: list[float] = field(default_factory=list)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (type, reason, message)


def probe_of(spec: dict, kind: str) -> dict | None:
    return spec.get(FIELDS[kind])


def period(probe: dict) -> float:
    return float(probe.get("periodSeconds") or DEFAULT_PERIOD)


def times(probe: dict, started: float, after: float, until: float) -> list[float]:
    """The moments in (after, until] at which the worker checks, from the container's start."""
    step = period(probe)
    first = started + math.ceil(float(probe.get("initialDelaySeconds") or 0) / step) * step
    if until < first:
        return []
    k0 = 0 if after < first else math.floor((after - first) / step) + 1
    k1 = math.floor((until - first) / step + 1e-9)
    return [first + k * step for k in range(max(k0, k1 - MAX_CATCH_UP + 1), k1 + 1)]


def next_time(probe: dict, started: float, after: float) -> float:
    step = period(probe)
    first = started + math.ceil(float(probe.get("initialDelaySeconds") or 0) / step) * step
    if after < first:
        return first
    return first + (math.floor((after - first) / step + 1e-9) + 1) * step


def is_volatile(probe: dict) -> bool:
    return bool(probe.get("exec"))


@dataclass
class ProbeState:
    """The worker's memory, kept in the container's record."""

    data: dict

    def of(self, kind: str) -> dict:
        return self.data.setdefault(kind, {"last": None, "fails": 0, "oks": 0, "result": None})


def evaluate(
    kind: str, probe: dict, record: dict, at: float, check: Callable[[dict, float], Verdict], results: ProbeResults
) -> None:
    """One check of one probe at time `at`: counts, events, and the consequence."""
    state = ProbeState(record.setdefault("probes", {})).of(kind)
    if state.get("hold"):
        return
    verdict = check(probe, at)
    state["last"] = at
    state["volatile"] = verdict.volatile or is_volatile(probe)
    threshold = int(probe.get("failureThreshold") or 3)
    if verdict.ok:
        state["oks"], state["fails"] = state["oks"] + 1, 0
        if state["result"] is not True and state["oks"] >= int(probe.get("successThreshold") or 1):
            state["result"] = True
        return
    state["fails"], state["oks"] = state["fails"] + 1, 0
    results.events.append(("Warning", "Unhealthy", f"{kind.capitalize()} probe failed: {verdict.message}"))
    if state["fails"] >= threshold:
        state["result"] = False
        if kind in ("liveness", "startup"):
            state["hold"] = True
            results.kill, results.kill_at = kind, at
    elif state["result"] is None and kind == "readiness":
        state["result"] = False


def result(record: dict, kind: str) -> bool | None:
    return ((record.get("probes") or {}).get(kind) or {}).get("result")


def last_checked(record: dict, kind: str) -> float | None:
    return ((record.get("probes") or {}).get(kind) or {}).get("last")
