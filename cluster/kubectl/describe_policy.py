"""kubectl's describer for policy/v1 PodDisruptionBudgets (pkg/describe: describePodDisruptionBudgetV1)."""

from __future__ import annotations

from cluster.apiserver.selectors import format_label_selector
from cluster.kubectl.cli import Context
from cluster.kubectl.describe_format import PrefixWriter, describe_events, events_for


def describe_pdb(ctx: Context, pdb: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, spec, status = pdb["metadata"], pdb.get("spec") or {}, pdb.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("minAvailable") is not None:
        w.write(0, f"Min available:\t{spec['minAvailable']}\n")
    elif spec.get("maxUnavailable") is not None:
        w.write(0, f"Max unavailable:\t{spec['maxUnavailable']}\n")
    if spec.get("selector") is not None:
        w.write(0, f"Selector:\t{format_label_selector(spec['selector'])}\n")
    else:
        w.write(0, "Selector:\t<unset>\n")
    w.write(0, "Status:\n")
    w.write(2, f"Allowed disruptions:\t{status.get('disruptionsAllowed', 0)}\n")
    w.write(2, f"Current:\t{status.get('currentHealthy', 0)}\n")
    w.write(2, f"Desired:\t{status.get('desiredHealthy', 0)}\n")
    w.write(2, f"Total:\t{status.get('expectedPods', 0)}\n")
    if show_events:
        describe_events(w, events_for(ctx.api, pdb), ctx.api.now())


POLICY_DESCRIBERS = {"PodDisruptionBudget": describe_pdb}
