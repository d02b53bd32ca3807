"""Reading step events back: as the dashboard renders them, as a replay compares them, and pruning.

`since` gives the steps after a sequence number (`between` a range of them), each as `as_dict` renders it
with its explanation in the page's language (`explain` fills the catalogue's
template with the step's parameters) and its diff (a create's or a delete's is
read back from etcd's history, `as_dicts`: hops.py leaves it out of the row); in step mode only
up to the last step "next" revealed (`visible_until`). `history` is what a replay must reproduce;
`prune` forgets the steps of writes the store has compacted away.

Simplified: a message id missing from the catalogue explains itself as the
object's name, and a template its parameters do not fit falls back to the
English text as written.
"""

from __future__ import annotations

from typing import Iterable

from cluster.korean import format_map as korean_format
from cluster.models import Cluster, ReconcilerLease, Revision, StepEvent
from cluster.steps.catalogue import MESSAGES
from cluster.steps.diffs import diff
from cluster.store import decode_value


def explain(step: StepEvent, lang: str = "en") -> str:
    english, korean = MESSAGES.get(step.message_id, ("{object}", "{object}"))
    values = _Defaulting(step.params, step)
    try:
        if lang.startswith("ko"):
            return korean_format(korean, values)
        return english.format_map(values)
    except (KeyError, ValueError, IndexError):
        return english


class _Defaulting(dict):
    def __init__(self, params: dict, step: StepEvent) -> None:
        super().__init__({"source": step.source, "target": step.target, "object": step.object, **params})

    def __missing__(self, key: str) -> str:
        return ""


def component_id(name: str) -> str:
    """A stable id for the dashboard's boxes: `kubelet/worker-1` → `kubelet-worker-1`."""
    return name.replace("/", "-")


def as_dict(step: StepEvent, lang: str = "en", whole: list | None = None) -> dict:
    """The step as the dashboard renders it; `whole`: for a create's or a delete's write, the diff of the whole
    object as etcd's history holds it (hops.py leaves those out of the row)."""
    return {
        "seq": step.seq,
        "time": step.time.isoformat(),
        "from": step.source,
        "to": step.target,
        "from_id": component_id(step.source),
        "to_id": component_id(step.target),
        "verb": step.verb,
        "object": step.object,
        "key": step.key,
        "revision": step.revision,
        "explanation": explain(step, lang),
        "message_id": step.message_id,
        "params": step.params,
        "diff": step.diff if step.diff is not None else (whole or []),
    }


def as_dicts(cluster: Cluster, rows: Iterable[StepEvent], lang: str = "en") -> list[dict]:
    """Steps as `as_dict` renders them; the diffs of creates and deletes read back from etcd's history in one query
    (a PUT's row holds the created object, a DELETE's the object as it was last)."""
    steps = list(rows)
    wanted = [s.revision for s in steps if s.diff is None and s.revision is not None]
    history = Revision.objects.filter(cluster=cluster, revision__in=wanted) if wanted else Revision.objects.none()
    whole = {
        revision: diff(None, decode_value(value)) if kind == Revision.PUT else diff(decode_value(value), None)
        for revision, kind, value in history.values_list("revision", "type", "value")
    }
    # A revision compacted away between the step's pruning and this read shows no diff.
    return [as_dict(s, lang, whole.get(s.revision or 0)) for s in steps]


def visible_until(cluster: Cluster) -> int | None:
    """In step mode the dashboard sees steps only up to the last one revealed by "next"."""
    lease = ReconcilerLease.objects.filter(cluster=cluster).values_list("mode", "revealed_seq").first()
    if lease and lease[0] == "step":
        return lease[1]
    return None


def since(cluster: Cluster, last_seq: int, limit: int = 200, lang: str = "en") -> list[dict]:
    """Step events after `last_seq`, oldest first, as the dashboard renders them."""
    rows = StepEvent.objects.filter(cluster=cluster, seq__gt=last_seq)
    until = visible_until(cluster)
    if until is not None:
        rows = rows.filter(seq__lte=until)
    return as_dicts(cluster, rows.order_by("seq")[:limit], lang)


def between(cluster: Cluster, first: int, before: int, limit: int = 2000, lang: str = "en") -> list[dict]:
    """The steps from `first` up to, not including, `before`, oldest first (a page that shows only later ones
    fetches them to walk back further)."""
    rows = StepEvent.objects.filter(cluster=cluster, seq__gte=first, seq__lt=before)
    return as_dicts(cluster, rows.order_by("seq")[:limit], lang)


def history(cluster: Cluster) -> list[tuple]:
    """Every step as a comparable tuple (what a replay must reproduce)."""
    return list(
        StepEvent.objects.filter(cluster=cluster)
        .order_by("seq")
        .values_list("seq", "source", "target", "verb", "object", "key", "revision", "message_id")
    )


def prune(cluster: Cluster, compacted: int) -> int:
    """Forget the steps of writes older than `compacted` (and the hops around them), with the history."""
    first_kept = (
        StepEvent.objects.filter(cluster=cluster, revision__gt=compacted)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    if first_kept is None:
        return 0
    removed, _ = StepEvent.objects.filter(cluster=cluster, seq__lt=first_kept).delete()
    return removed
