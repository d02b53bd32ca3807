"""kubectl's describer for scheduling.k8s.io/v1 PriorityClasses (pkg/describe: describePriorityClass).

Its annotations are one line, `key=value` pairs joined by commas as labels.FormatLabels writes them.
"""

from __future__ import annotations

from cluster.kubectl.cli import Context
from cluster.kubectl.describe_format import PrefixWriter, describe_events, events_for, go_bool


def describe_priority_class(ctx: Context, pc: dict, w: PrefixWriter, show_events: bool) -> None:
    annotations = pc["metadata"].get("annotations") or {}
    w.write(0, f"Name:\t{pc['metadata']['name']}\n")
    w.write(0, f"Value:\t{pc.get('value', 0)}\n")
    w.write(0, f"GlobalDefault:\t{go_bool(pc.get('globalDefault'))}\n")
    w.write(0, f"PreemptionPolicy:\t{pc.get('preemptionPolicy') or 'PreemptLowerPriority'}\n")
    w.write(0, f"Description:\t{pc.get('description', '')}\n")
    w.write(0, f"Annotations:\t{','.join(f'{k}={v}' for k, v in sorted(annotations.items())) or '<none>'}\n")
    if show_events:
        describe_events(w, events_for(ctx.api, pc), ctx.api.now())


SCHEDULING_DESCRIBERS = {"PriorityClass": describe_priority_class}
