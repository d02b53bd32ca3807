"""Routing: which component loops hear a watch event, what a loop's watch lists, and delivery.

Upstream every controller registers event handlers on the shared informers of
the resources it needs (client-go's sharedIndexInformer, whose sharedProcessor
hands each event to every handler), and the kubelet runs informers of its own
with a field selector (`spec.nodeName=<node>` for pods, `metadata.name=<node>`
for its Node). Here one shared watch feeds every loop: `Routes` sends an event
to the loops that watch its resource, in turn order, applying a loop's field
selector at delivery instead of in the API server. `deliver` is a handler's
OnAdd/OnUpdate/OnDelete: the component observes the event, maps it to work-queue
keys, and the delivery is recorded as a step (kube-apiserver → component).
`relist` is the initial list a new informer hands its handlers.

Simplified: handlers run synchronously, in revision order, with no buffer per
handler; only the two field selectors above are understood.
"""

from __future__ import annotations

from typing import Callable

from cluster import steps
from cluster.apiserver.server import APIServer, WatchEvent
from cluster.informers import SharedInformers
from cluster.reconciler.component_loop import ComponentLoop


class Routes:
    """The loops that watch each resource: every event, or the events whose field selector matches."""

    def __init__(self, order: list[ComponentLoop]) -> None:
        self.plain: dict[str, list[ComponentLoop]] = {}
        self.selected: dict[str, dict[str, dict[str, list[ComponentLoop]]]] = {}
        for loop in order:
            for resource in loop.component.watches:
                selector = loop.selector(resource)
                if selector is None:
                    self.plain.setdefault(resource, []).append(loop)
                else:
                    field, value = selector
                    by_value = self.selected.setdefault(resource, {}).setdefault(field, {})
                    by_value.setdefault(value, []).append(loop)

    def listeners(self, resource: str, obj: dict) -> list[ComponentLoop]:
        """The loops whose watch of `resource` sees `obj`, in turn order."""
        loops = self.plain.get(resource, [])
        selected = self.selected.get(resource)
        if not selected:
            return loops
        for field, by_value in selected.items():
            value = obj["metadata"]["name"] if field == "metadata.name" else (obj.get("spec") or {}).get("nodeName")
            if value in by_value:
                loops = sorted(loops + by_value[value], key=lambda loop: loop.position)
        return loops


def deliver(
    api: APIServer, loop: ComponentLoop, resource: str, event: WatchEvent, relist: Callable[[ComponentLoop], None]
) -> None:
    """Hand one event to one loop: it observes it and queues its keys; a paused loop queues none."""
    was_paused = loop.paused
    loop.component.observe(resource, event)
    keys = loop.component.keys_for(resource, event)
    if loop.component.wants_relist:
        relist(loop)
    if not keys or was_paused or loop.paused:
        return
    steps.record(api, steps.watch_hop(loop.name, resource, event.type, event.object, event.revision))
    for key in keys:
        loop.enqueue(key)


def watched(informers: SharedInformers, loop: ComponentLoop, resource: str) -> list[dict]:
    """What the loop's watch of `resource` lists: every object, a node's objects, or one named object."""
    selector = loop.selector(resource)
    informer = informers.informers[resource]
    if selector is None:
        return list(informer.items.values())
    if selector[0] == "spec.nodeName":
        return list(informer.by_index("spec.nodeName", selector[1]))
    obj = informer.items.get(selector[1])
    return [obj] if obj is not None else []


def relist(informers: SharedInformers, loop: ComponentLoop, revision: int) -> None:
    """Queue every object the loop watches, as its informer's initial list would."""
    for resource in loop.component.watches:
        for obj in watched(informers, loop, resource):
            event = WatchEvent("ADDED", obj, revision)
            loop.component.observe(resource, event)
            for key in loop.component.keys_for(resource, event):
                loop.enqueue(key)
    loop.component.wants_relist = False  # this was the relist it asked for, if it asked
