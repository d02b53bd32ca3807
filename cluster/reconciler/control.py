"""The dashboard's controls over how a cluster's loops run: mode, speed, next step.

Modes (kept on the cluster's ReconcilerLease row, so every process agrees):
- `realtime`: the virtual clock runs at the cluster's speed (×0.25 … ×16);
  loops react to every watch event and timers fire when due. Speed 0 is
  "paused": the clock and the loops stand still.
- `step`: the clock is frozen and the dashboard shows steps only up to
  `revealed_seq`. Each "next" reveals one more recorded step; when every
  recorded step is already shown, the driver runs one unit of work (one watch
  delivery round plus one reconcile, jumping the clock to the next timer if
  nothing is ready) and its hops are then revealed one at a time. Requests a
  user sends meanwhile are served at once (kubectl cannot wait), but their
  hops, too, are revealed one "next" at a time.
- `fast-forward`: the holder runs until settled on a frozen clock, then
  returns to realtime.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Max

from cluster import clock, notify
from cluster.models import Cluster, ReconcilerLease, StepEvent
from cluster.reconciler import wakeup
from cluster.reconciler.driver import ClusterDriver

MODES = ("realtime", "step", "fast-forward")
MIN_SPEED, MAX_SPEED = 0.25, 16.0


def settings_of(cluster: Cluster) -> ReconcilerLease:
    row, _ = ReconcilerLease.objects.get_or_create(cluster=cluster)
    return row


def last_seq(cluster: Cluster) -> int:
    return StepEvent.objects.filter(cluster=cluster).aggregate(m=Max("seq"))["m"] or 0


def set_mode(cluster: Cluster, mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    row = settings_of(cluster)
    if mode == "step":
        clock.set_speed(cluster, 0.0)
        row.revealed_seq, row.steps_wanted = last_seq(cluster), 0
    elif row.mode == "step" and cluster.speed == 0:
        clock.set_speed(cluster, 1.0)
    row.mode = mode
    row.save(update_fields=["mode", "revealed_seq", "steps_wanted"])
    notify.cluster_changed(cluster.pk)  # every page of the cluster shows the mode (a paused one writes nothing else)
    return mode


def set_speed(cluster: Cluster, speed: float) -> float:
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"speed must be between {MIN_SPEED:g} and {MAX_SPEED:g}")
    clock.set_speed(cluster, speed)
    notify.cluster_changed(cluster.pk)
    return speed


def pause(cluster: Cluster) -> None:
    clock.set_speed(cluster, 0.0)
    notify.cluster_changed(cluster.pk)


def next_step(cluster: Cluster) -> None:
    """Ask for one more step (step mode); the driving process answers within its next cycle."""
    settings_of(cluster)
    ReconcilerLease.objects.filter(cluster=cluster).update(steps_wanted=F("steps_wanted") + 1)
    transaction.on_commit(wakeup.wake)


def serve_steps(driver: ClusterDriver, max_units: int = 50) -> int:
    """Step mode, in the driving process: reveal or produce one step per "next" asked for."""
    cluster = driver.cluster
    with transaction.atomic():
        if driver.fence is not None:
            driver.fence()
        row = ReconcilerLease.objects.select_for_update().get(cluster=cluster)
        wanted, revealed = row.steps_wanted, row.revealed_seq
        served = units = 0
        while served < wanted and units <= max_units:
            if last_seq(cluster) > revealed:
                revealed += 1
                served += 1
                continue
            if not driver.step_once():
                served = wanted  # nothing left to do: the asks are spent
                break
            units += 1
        ReconcilerLease.objects.filter(pk=row.pk).update(revealed_seq=revealed, steps_wanted=F("steps_wanted") - served)
        if served:
            notify.cluster_changed(cluster.pk)  # the pages show the revealed step now, not at their next poll
    return served
