"""kubectl's describers for ResourceQuota and LimitRange, and the quota sections of a Namespace (pkg/describe).

Simplified: a LimitRange item's resources are listed in name order (kubectl
walks a Go map, so its order varies from run to run).
"""

from __future__ import annotations

from cluster.kubectl.cli import Context
from cluster.kubectl.describe_format import PrefixWriter

COLUMNS = "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n"
RULE = "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n"


def describe_quota(ctx: Context, quota: dict, w: PrefixWriter, show_events: bool) -> None:
    meta, status = quota["metadata"], quota.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, "Resource\tUsed\tHard\n")
    w.write(0, "--------\t----\t----\n")
    _quota_rows(w, 0, status)


def _quota_rows(w: PrefixWriter, level: int, status: dict) -> None:
    hard, used = status.get("hard") or {}, status.get("used") or {}
    for name in sorted(hard):
        w.write(level, f"{name}\t{used.get(name, '0')}\t{hard[name]}\n")


def describe_limitrange(ctx: Context, limits: dict, w: PrefixWriter, show_events: bool) -> None:
    meta = limits["metadata"]
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, COLUMNS)
    w.write(0, RULE)
    _limit_rows(w, limits, "")


def _limit_rows(w: PrefixWriter, limits: dict, prefix: str) -> None:
    for item in (limits.get("spec") or {}).get("limits") or []:
        fields = ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")
        names = sorted({name for f in fields for name in (item.get(f) or {})})
        for name in names:
            values = [str((item.get(f) or {}).get(name, "-")) for f in fields]
            w.write(0, f"{prefix}{item.get('type', '')}\t{name}\t" + "\t".join(values) + "\n")


def namespace_sections(ctx: Context, namespace: str, w: PrefixWriter) -> None:
    """DescribeResourceQuotas and DescribeLimitRanges, as `kubectl describe namespace` ends."""
    quotas = sorted(ctx.api.list("resourcequotas", namespace)["items"], key=lambda q: q["metadata"]["name"])
    w.write(0, "\n")
    if not quotas:
        w.write(0, "No resource quota.\n")
    else:
        w.write(0, "Resource Quotas\n")
        for quota in quotas:
            w.write(1, f"Name:\t{quota['metadata']['name']}\n")
            w.write(1, "Resource\tUsed\tHard\n")
            w.write(1, "--------\t---\t---\n")
            _quota_rows(w, 1, quota.get("status") or {})
    ranges = ctx.api.list("limitranges", namespace)["items"]
    w.write(0, "\n")
    if not ranges:
        w.write(0, "No LimitRange resource.\n")
        return
    w.write(0, "Resource Limits\n " + COLUMNS)
    w.write(0, " " + RULE)
    for limits in ranges:
        _limit_rows(w, limits, " ")
