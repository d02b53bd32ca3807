"""The pods a ReplicaSet sync looks at (FilterPodsByOwner) and the counts its status reports.

Upstream's sync lists the ReplicaSet's pods and its namespace's orphans from
the informer's controller-UID index, filters the active ones, claims them and
counts ready and available replicas, on every sync. Here each ReplicaSet keeps
that view between syncs and brings it up to date from the informer's journal
of pod changes, so a sync costs what changed rather than what exists (a
ReplicaSet of 10,000 replicas syncs thousands of times while it scales up).
Without a journal (a sync outside the reconciler, or after a relist) the view
is built again from a listing; both give the same pods and the same counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cluster import podutil
from cluster.controllers.controller_utils import controller_of, is_pod_active, is_pod_ready, selector_matches
from cluster.informers import Lister


@dataclass(frozen=True)
class PodFacts:
    """What a sync needs to know of one pod version, for one ReplicaSet."""

    active: bool
    owned: bool  # its controller reference names this ReplicaSet
    matches: bool  # its labels match the ReplicaSet's selector
    labeled: bool  # it carries every label of the template
    ready: bool
    ready_since: dt.datetime | None

    @property
    def claimed(self) -> bool:
        return self.active and self.owned and self.matches


def compute_facts(rs: dict, pod: dict) -> PodFacts:
    template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    labels = pod["metadata"].get("labels") or {}
    ready = is_pod_ready(pod)
    since = podutil.ready_since(pod) if ready else None
    return PodFacts(
        active=is_pod_active(pod),
        owned=(controller_of(pod) or {}).get("uid") == rs["metadata"]["uid"],
        matches=selector_matches(rs["spec"].get("selector"), labels),
        labeled=all(labels.get(k) == v for k, v in template_labels.items()),
        ready=ready,
        ready_since=since,
    )


def spec_stamp(rs: dict) -> str:
    """The facts depend on the ReplicaSet's uid, selector and template: its spec, so its generation."""
    return f"{rs['metadata']['uid']}/{rs['metadata'].get('generation')}"


class ReplicaSetPods:
    """One ReplicaSet's candidate pods with running counts of the claimed, labeled and ready ones."""

    def __init__(self, rs: dict, position: int) -> None:
        self.uid, self.namespace, self.stamp = rs["metadata"]["uid"], rs["metadata"]["namespace"], spec_stamp(rs)
        self.position = position  # how far into the pod informer's journal this view is
        self.entries: dict[str, tuple[dict, PodFacts]] = {}
        self.others: dict[str, dict] = {}  # active candidates not (yet) claimed: orphans, or ours not matching
        self.claimed = self.labeled = self.ready = 0

    def put(self, rs: dict, pod: dict) -> None:
        name = pod["metadata"]["name"]
        self.drop(name)
        facts = compute_facts(rs, pod)
        self.entries[name] = (pod, facts)
        self._count(name, pod, facts, 1)

    def drop(self, name: str) -> None:
        entry = self.entries.pop(name, None)
        if entry is not None:
            self._count(name, entry[0], entry[1], -1)

    def _count(self, name: str, pod: dict, facts: PodFacts, sign: int) -> None:
        if facts.claimed:
            self.claimed += sign
            self.labeled += sign * facts.labeled
            self.ready += sign * facts.ready
        elif facts.active:
            if sign > 0:
                self.others[name] = pod
            else:
                self.others.pop(name, None)

    def follow(self, rs: dict, key: str, pod: dict | None) -> None:
        """Apply one journal entry: the pod `key` appeared, changed or went away."""
        namespace, _, name = key.partition("/")
        if namespace != self.namespace:
            return
        owner = (controller_of(pod) or {}).get("uid", "") if pod is not None else ""
        if pod is None or (owner and owner != self.uid):
            self.drop(name)
        else:
            self.put(rs, pod)

    def claimed_pods(self) -> list[dict]:
        return [pod for pod, facts in self.entries.values() if facts.claimed]

    def ready_since(self) -> list[dt.datetime | None]:
        return [facts.ready_since for _pod, facts in self.entries.values() if facts.claimed and facts.ready]


def current_pods(rs: dict, lister: Lister, known: ReplicaSetPods | None) -> ReplicaSetPods:
    """The ReplicaSet's view, followed from the journal when `known` is still good, else listed afresh."""
    if known is not None and known.stamp == spec_stamp(rs):
        changes, position = lister.changes_since("pods", known.position)
        if changes is not None:
            for key, pod in {key: pod for key, _old_node, pod in changes}.items():
                known.follow(rs, key, pod)
            known.position = position
            return known
    _none, position = lister.changes_since("pods", -1)  # where the journal ends, before the listing
    view = ReplicaSetPods(rs, position)
    for pod in lister.owned_or_orphans("pods", view.namespace, view.uid):
        view.put(rs, pod)
    return view
