"""One scheduling cycle's outcome, as the dashboard's scheduler tab records it (cluster/scheduler/scheduler.py
describes the record's shape).

The Filter verdicts and the scores are kept as the cycle computed them, by the nodes' places in the snapshot;
`record` builds per-node records only for the nodes it keeps (at most RECORDED_NODES: the chosen one, the
highest totals, then the others by name).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import chain, compress, count, repeat
from operator import eq, gt
from typing import Iterator

import orjson

from cluster.scheduler import preemption
from cluster.scheduler.framework import CycleState, Plugin

RECORDED_NODES = 12


@dataclass
class Decision:
    """One scheduling cycle's outcome and what the plugins said about the nodes it looked at.

    Kept as the cycle computed it, by the nodes' places in the snapshot (which lists
    them by name): the Filter verdicts in the order the cycle took the nodes, a list of
    scores per score plugin. `record` builds the per-node records only for
    the nodes it keeps: a cycle in a big cluster looks at hundreds of nodes, and a
    record for each, or just reading each one's name, cost more than the cycle itself.
    """

    node: str | None = None
    message: str = ""
    #: where DefaultPreemption makes room for the pod, and the pods it evicts there
    nominated: preemption.Candidate | None = None
    state: CycleState = field(default_factory=CycleState)
    all_nodes: int = 0
    #: the snapshot's node names, in name order (the cache's list: shared, never changed)
    names: list[str] = field(default_factory=list)
    #: the place where the cycle began filtering, and what the Filter plugins said of each node it took, in
    #: turn (read only: the verdicts are shared with the reused answers)
    start: int = 0
    verdicts: list[dict[str, str]] = field(default_factory=list)
    #: the places of the scored nodes (the feasible ones, in turn; none when one alone was feasible), each
    #: score plugin's normalized scores of them in the order the plugins ran, and their weighted totals
    scored: list[int] = field(default_factory=list)
    scores: dict[str, list[int]] = field(default_factory=dict)
    totals: list[int] = field(default_factory=list)

    def record(self, plugins: list[Plugin]) -> str:
        weights = {p.name: p.weight for p in plugins if p.weight}
        evaluated = len(self.verdicts)
        kept = self._kept()
        data: dict = {
            "nodes": {self.names[place]: self._node_record(place, index) for place, index in kept},
            "weights": weights,
            "chosen": self.node,
        }
        if len(kept) < evaluated:
            data["omitted"] = evaluated - len(kept)
        if evaluated < self.all_nodes:
            data.update(evaluated=evaluated, of=self.all_nodes)
        return orjson.dumps(data).decode()  # compact, as json.dumps with separators=(",", ":"); a few times faster

    def _kept(self) -> list[tuple[int, int | None]]:
        """The nodes the record shows, as (place, index in `scored` or None): every node filtered, in turn; of
        more than RECORDED_NODES the chosen one, then the highest totals, then the nodes not scored, ties
        by name, listed by name (the order of their places)."""
        evaluated = len(self.verdicts)
        if evaluated <= RECORDED_NODES:
            order = dict(zip(self.scored, count()))
            return [(place, order.get(place)) for place in self._in_turn(evaluated)]
        kept: dict[int, int | None] = {}
        if self.node is not None:
            chosen = bisect_left(self.names, self.node)
            kept[chosen] = self.scored.index(chosen) if self.scored else None
        for _total, place, index in self._best(RECORDED_NODES):
            if len(kept) == RECORDED_NODES:
                break
            kept.setdefault(place, index)
        if len(kept) < RECORDED_NODES:
            scored = set(self.scored)
            unscored = (place for place in self._in_turn(evaluated) if place not in scored and place not in kept)
            kept.update(dict.fromkeys(heapq.nsmallest(RECORDED_NODES - len(kept), unscored)))
        return sorted(kept.items())

    def _best(self, wanted: int) -> list[tuple[int, int, int]]:
        """The `wanted` scored nodes with the highest totals, ties by place, as (-total, place, index).

        Often hundreds of nodes tie, so those at the lowest total taken are ranked by place alone."""
        if not self.totals:
            return []
        cut = sorted(self.totals, reverse=True)[min(wanted, len(self.totals)) - 1]
        best = list(compress(count(), map(gt, self.totals, repeat(cut))))
        tied = compress(count(), map(eq, self.totals, repeat(cut)))
        best += sorted(tied, key=self.scored.__getitem__)[: wanted - len(best)]
        return sorted((-self.totals[index], self.scored[index], index) for index in best)

    def _in_turn(self, taken: int) -> Iterator[int]:
        """The places of the first `taken` nodes filtered, in turn from `start` (wrapping)."""
        end = self.start + taken
        return chain(range(self.start, min(end, len(self.names))), range(max(0, end - len(self.names))))

    def _node_record(self, place: int, index: int | None) -> dict:
        """One node as the record shows it: its verdicts, and if it was scored (`index` in `scored`) its
        scores and total."""
        record: dict = {"filter": self.verdicts[(place - self.start) % len(self.names)]}
        if index is not None:
            if self.scores:
                record["score"] = {plugin: scores[index] for plugin, scores in self.scores.items()}
            record["total"] = self.totals[index]
        return record
