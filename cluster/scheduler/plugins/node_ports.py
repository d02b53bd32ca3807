"""The NodePorts filter plugin (plugins/nodeports): a hostPort can be bound once per node.

A wanted (hostIP, protocol, hostPort) conflicts with one in use on the node when the
protocol and port are equal and either IP is 0.0.0.0 or both IPs are the same.
"""

from __future__ import annotations

from cluster.scheduler.framework import (
    SKIP,
    CycleState,
    HostPort,
    NodeInfo,
    Plugin,
    Status,
    host_ports,
    success,
    unschedulable,
)

ERR_REASON = "node(s) didn't have free ports for the requested pod ports"
ANY_IP = "0.0.0.0"


def conflicts(wanted: HostPort, used: HostPort) -> bool:
    (ip, protocol, port), (other_ip, other_protocol, other_port) = wanted, used
    if (protocol, port) != (other_protocol, other_port):
        return False
    return ip == ANY_IP or other_ip == ANY_IP or ip == other_ip


class NodePorts(Plugin):
    name = "NodePorts"

    def pre_filter(self, state: CycleState, pod: dict) -> Status:
        wanted = host_ports(pod)
        if not wanted:
            return Status(SKIP)
        state["NodePorts"] = wanted
        return success()

    def filter(self, state: CycleState, pod: dict, node: NodeInfo) -> Status:
        for wanted in state.get("NodePorts", []):
            if any(conflicts(wanted, used) for used in node.used_ports):
                return unschedulable(ERR_REASON)
        return success()
