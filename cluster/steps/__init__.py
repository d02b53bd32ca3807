"""Step events: every hop a request sets off, recorded so the dashboard can show it.

In Kubernetes these hops are real network calls; kubeclass runs them in one
process and writes each one down as a `StepEvent` row, in the same transaction
as the etcd write it belongs to. One concept a module:

- hops.py: `Hop` (who → whom, verb, object, etcd key and revision, message id
  and parameters, diff) and how a request, write, watch delivery, connection or
  CRI call becomes one (`object_ref`, `watch_hop`, `runtime_hop`, ...).
- recorder.py: the API server's `Recorder`, buffering hops and inserting them
  with raw SQL (`write_hops`); `enabled`, `record`, `because`, `flush`, `disable`.
- sink.py: `StepSink`, where a reconciler batch's hops wait to be inserted
  together just before it commits.
- catalogue.py, catalogue_workloads.py: the messages, id → (English, Korean)
  (`MESSAGES`); the workload controllers' reasons (`because`) in the second.
- diffs.py: an object's changed leaf paths, old → new (`diff`).
- queries.py: reading steps back: `since`, `between`, `as_dict`, `explain`,
  `visible_until`, `history`, `prune`.

The names importers use are re-exported here: `from cluster import steps`, then
`steps.because(api, ...)`, `steps.since(cluster, seq)`.

Simplified: see each module's docstring.
"""

from __future__ import annotations

from cluster.steps.catalogue import MESSAGES
from cluster.steps.diffs import MAX_DIFF_ENTRIES, MAX_VALUE_CHARS, diff
from cluster.steps.hops import (
    APISERVER,
    ETCD,
    HTTP_VERBS,
    RUNTIME,
    Hop,
    object_ref,
    request_hop,
    runtime_hop,
    traffic_hop,
    watch_hop,
    write_hop,
)
from cluster.steps.queries import (
    as_dict,
    as_dicts,
    between,
    component_id,
    explain,
    history,
    prune,
    since,
    visible_until,
)
from cluster.steps.recorder import Recorder, because, disable, enabled, flush, record, recorder_of, write_hops

__all__ = [
    "APISERVER",
    "ETCD",
    "HTTP_VERBS",
    "MAX_DIFF_ENTRIES",
    "MAX_VALUE_CHARS",
    "MESSAGES",
    "RUNTIME",
    "Hop",
    "Recorder",
    "as_dict",
    "as_dicts",
    "between",
    "because",
    "component_id",
    "diff",
    "disable",
    "enabled",
    "explain",
    "flush",
    "history",
    "object_ref",
    "prune",
    "record",
    "recorder_of",
    "request_hop",
    "runtime_hop",
    "since",
    "traffic_hop",
    "visible_until",
    "watch_hop",
    "write_hop",
    "write_hops",
]
