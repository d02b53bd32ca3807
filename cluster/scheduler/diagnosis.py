"""Why a pod fits nowhere: framework.FitError's message and DefaultPreemption's verdict.

The message kube-scheduler puts in the FailedScheduling event and the PodScheduled
condition is `0/N nodes are available: <reasons>.` where each distinct reason is
prefixed with the number of nodes that gave it and the list is sorted as strings
(so "10 ..." sorts before "2 ..."), as upstream's sortReasonsHistogram does. A
PreFilter rejection prints its own message instead of per-node reasons. The
PostFilter plugin (DefaultPreemption) appends `preemption: 0/N nodes are available:
...` when preemption cannot help: nodes rejected as unresolvable count as
`Preemption is not helpful for scheduling`, nodes where no lower-priority pod could
be evicted as `No preemption victims found for incoming pod`.

Simplified: kubeclass never evicts. Where upstream would find victims and nominate
the node, the message has no preemption part (as upstream's) but no pod is preempted.
"""

from __future__ import annotations

from cluster.scheduler.framework import Status

NO_NODE_AVAILABLE = "0/{} nodes are available"
ERR_NO_NODES = "no nodes available to schedule pods"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


def fit_error(
    num_nodes: int,
    statuses: dict[str, Status],
    absent: Status | None = None,
    pre_filter_msg: str = "",
    post_filter_msg: str = "",
) -> str:
    """FitError.Error(): `0/N nodes are available: <PreFilterMsg | reasons>. <PostFilterMsg>`."""
    message = NO_NODE_AVAILABLE.format(num_nodes) + ":"
    if pre_filter_msg:
        message += f" {pre_filter_msg}."
    else:
        histogram: dict[str, int] = {}
        for status in statuses.values():
            for reason in status.reasons:
                histogram[reason] = histogram.get(reason, 0) + 1
        if absent is not None and len(statuses) < num_nodes:
            for reason in absent.reasons:
                histogram[reason] = histogram.get(reason, 0) + num_nodes - len(statuses)
        counted = sorted(f"{count} {reason}" for reason, count in histogram.items())
        if counted:
            message += f" {', '.join(counted)}."
    if post_filter_msg:
        message += f" {post_filter_msg}"
    return message


def priority(pod: dict) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)
