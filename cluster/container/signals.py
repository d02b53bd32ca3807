"""A signal sent to a container's main process from `kubectl exec` (`kill 1`, `kill -TERM 1`).

On a node, `kill` in an exec'd shell is a kill(2) inside the container's PID namespace. The main
process is PID 1 there, and the kernel delivers a signal to a namespace's init only if that process
installed a handler for it — SIGKILL and SIGSTOP from inside never reach it. redis and nginx handle
SIGTERM and exit (status 0); a shell or `sleep` as PID 1 has no handler, so nothing happens. When the
process exits, containerd reports it, the kubelet's PLEG sees it at its next relist and the pod's
restartPolicy decides: the documentation's "Configure a Pod to Use a Volume for Storage" kills redis
this way and watches the container restart with its emptyDir still there.

Here the exec notes the signal in a RuntimeState row (scope `signal`, one per container instance,
named by its runtime key `<pod uid>/<container>/<attempt>`); the cluster's driver hands the rows to
the node's kubelet each PLEG relist period (cluster/reconciler/driver.py), and the kubelet ends the
process at the moment it was signalled (cluster/kubelet_pods.py). A row is removed with the pod's
other runtime rows, or once the kubelet has taken it.

Simplified: signals to other processes (the exec's own shell, `ps`) do nothing but succeed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.models import Cluster, RuntimeState

SCOPE = "signal"
UNCATCHABLE = frozenset({"KILL", "STOP"})  # never delivered to a PID namespace's init from inside it
NUMBERS = {
    "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9, "USR1": 10,
    "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18,
    "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26,
    "PROF": 27, "WINCH": 28, "POLL": 29, "PWR": 30, "SYS": 31,
}  # fmt: skip
NAMES = {number: name for name, number in NUMBERS.items()}


@dataclass(frozen=True)
class Signal:
    """A signal for the main process of one container instance, sent at virtual time `at`."""

    key: str  # the runtime's key of the container instance: <pod uid>/<container>/<attempt>
    node: str
    at: float
    name: str  # without SIG: "TERM", "INT", "QUIT"

    @property
    def uid(self) -> str:
        return self.key.split("/", 1)[0]


def signal_name(word: str) -> str | None:
    """`TERM`, `SIGTERM`, `term` or `15` as a name without SIG; None for what kill would not know."""
    if word.isdigit():
        return NAMES.get(int(word))
    name = word.upper().removeprefix("SIG")
    return name if name in NUMBERS else None


def send(cluster: Cluster, signal: Signal) -> None:
    """The exec sent `signal` to the container's PID 1 (the latest one counts, as they arrive together)."""
    RuntimeState.objects.update_or_create(
        cluster=cluster,
        scope=SCOPE,
        name=signal.key,
        defaults={"data": {"node": signal.node, "at": signal.at, "name": signal.name}},
    )


def pending(cluster: Cluster) -> list[Signal]:
    """Every signal no kubelet has taken yet."""
    rows = RuntimeState.objects.filter(cluster=cluster, scope=SCOPE).values_list("name", "data")
    return [Signal(name, str(data["node"]), float(data["at"]), str(data["name"])) for name, data in rows]


def taken(cluster: Cluster, signals: list[Signal]) -> None:
    RuntimeState.objects.filter(cluster=cluster, scope=SCOPE, name__in=[s.key for s in signals]).delete()
