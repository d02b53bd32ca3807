"""The three ways to run a cluster's loops: realtime ticks, step mode and fast-forward.

kube-controller-manager knows one: its loops run as events and timers come, on
the wall clock. Here they run on the cluster's virtual clock (cluster/clock.py),
so the clock can also stand still while the loops do one unit at a time (step
mode; control.py reveals its steps one "next" at a time), or jump to the next
due timer whenever nothing is ready (fast-forward: minutes of a cluster's life
in moments, as the tests, the lessons and `manage.py simulate` use it). Which
mode a cluster is in is kept on its lease row (control.py); service.py calls
these through the driver.

Each function takes the driver as a `Driven`: its poll, timers, turns and batches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from cluster import clock
from cluster.models import Cluster


class Driven(Protocol):
    """What the modes ask of a driver (cluster/reconciler/driver.py)."""

    cluster: Cluster
    last_activity: dt.datetime  # the last unit that wrote something besides heartbeats and Events

    def now(self) -> dt.datetime: ...
    def poll(self) -> int: ...
    def fire_timers(self) -> None: ...
    def run_one(self) -> bool: ...
    def drain(self, max_units: int) -> int: ...
    def next_due(self) -> dt.datetime | None: ...
    def has_work(self) -> bool: ...


@dataclass
class RunSummary:
    units: int = 0
    virtual_seconds: float = 0.0
    settled: bool = False


def advance_to(driver: Driven, moment: dt.datetime) -> None:
    """Move the (frozen) virtual clock forward to `moment`; never back."""
    clock.advance(driver.cluster, max(0.0, (moment - driver.now()).total_seconds()))


def fast_forward(driver: Driven, seconds: float | None, horizon: float, max_units: int) -> RunSummary:
    """Run on a frozen clock, jumping it to the next due timer whenever nothing is ready.

    With `seconds`, stop when that much virtual time has passed; without,
    stop once settled: no work is ready and nothing but heartbeats happened
    for `horizon` virtual seconds.
    """
    cluster = driver.cluster
    speed = cluster.speed if cluster.virtual_anchor is not None else 1.0
    clock.set_speed(cluster, 0.0)
    start = driver.now()
    end = start + dt.timedelta(seconds=seconds) if seconds is not None else None
    driver.last_activity = start
    summary = RunSummary()
    try:
        while summary.units < max_units:
            summary.units += driver.drain(max_units - summary.units)
            if summary.units >= max_units:
                break  # out of units with work still ready: not settled, whatever the timers say
            due = driver.next_due()
            if due is None or (end is not None and due > end):
                if end is not None:
                    advance_to(driver, end)
                    summary.units += driver.drain(max_units - summary.units)
                summary.settled = not driver.has_work()
                break
            if end is None and (due - driver.last_activity).total_seconds() > horizon:
                summary.settled = True
                break
            advance_to(driver, due)
    finally:
        summary.virtual_seconds = (driver.now() - start).total_seconds()
        clock.set_speed(cluster, speed)
    return summary


def refresh_clock(cluster: Cluster) -> None:
    """Read the clock's anchors and speed again: another process (the page's controls) may have set them."""
    fresh = Cluster.objects.filter(pk=cluster.pk).values("virtual_anchor", "wall_anchor", "speed").first()
    if fresh:
        for field, value in fresh.items():
            setattr(cluster, field, value)


def tick(driver: Driven, max_units: int) -> float:
    """Realtime: work until idle (bounded); the wall seconds until the next timer is due."""
    refresh_clock(driver.cluster)
    driver.drain(max_units)
    due = driver.next_due()
    if due is None or driver.cluster.speed <= 0:
        return float("inf")
    return max(0.0, (due - driver.now()).total_seconds() / driver.cluster.speed)


def step_once(driver: Driven) -> bool:
    """Step mode: one unit of work; with nothing ready, jump the (frozen) clock to the next timer."""
    refresh_clock(driver.cluster)
    driver.poll()
    driver.fire_timers()
    if driver.run_one():
        return True
    due = driver.next_due()
    if due is None:
        return False
    advance_to(driver, due)
    driver.fire_timers()
    return driver.run_one()
