"""The container runtime behind the kubelet's CRI (containerd), on one node.

The kubelet calls RunPodSandbox, PullImage, CreateContainer, StartContainer and
StopContainer as it would over the CRI's gRPC socket; each call is a step
event. containerd keeps its sandboxes, containers and images on the node's
disk, so here they live in a `RuntimeState` row per node and survive a
restart of the process (level-triggered: the kubelet finds them again).

What runs inside a container is its process (cluster/container/shell.py): the
image's ENTRYPOINT/CMD or the pod's command and args, run as the image's programs
behave (cluster/container/programs.py) on the cluster's virtual clock; its state is
kept in the container's record (`proc`) between the kubelet's syncs. A process ends
by itself (exit status, `exit` time), or is stopped: SIGTERM (or the image's
STOPSIGNAL), which servers handle and a shell or sleep as PID 1 ignores, then
SIGKILL (137) when the grace period ends. The registry is cluster/registry.py; pull
durations come from the cluster's seed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import random

import orjson

from cluster.clock import parse_rfc3339, rfc3339
from cluster.models import Cluster, RuntimeState
from cluster.registry import (
    ImageRef,
    image_digest,
    missing_images,
    not_found_message,
    parse_image,  # noqa: F401
    set_image_missing,
)
from cluster.dbcursor import DriverCursor

__all__ = ["NodeRuntime", "ImageRef", "parse_image", "missing_images", "set_image_missing", "not_found_message"]


# -- one node's runtime -------------------------------------------------------------
NOT_READY = "SANDBOX_NOTREADY"  # the CRI's PodSandboxState of a stopped sandbox


class NoAddress(Exception):
    """host-local IPAM has no free address in the node's pod range."""


class NodeRuntime:
    """containerd on one node: sandboxes, containers and images, kept in the database."""

    def __init__(self, cluster: Cluster, node: str) -> None:
        self.cluster = cluster
        self.node = node
        self.row, _ = RuntimeState.objects.get_or_create(
            cluster=cluster, scope="node", name=node, defaults={"data": _empty()}
        )
        self.data = self.row.data
        self.dirty = False

    def save(self) -> None:
        if not self.dirty:
            return
        self.row.data = self.data
        # Raw SQL and orjson: a kubelet saves after most pod syncs, and the ORM's
        # save (JSON encoding, query compilation) cost more than the sync itself.
        with DriverCursor() as cursor:
            cast = "::jsonb" if cursor.vendor == "postgresql" else ""
            cursor.execute(
                f"UPDATE {RuntimeState._meta.db_table} SET data = %s{cast} WHERE id = %s",
                [orjson.dumps(self.data).decode(), self.row.pk],
            )
        self.dirty = False

    def power_off(self) -> None:
        """The machine stops: every sandbox and container is gone; pulled images stay on disk."""
        self.data["sandboxes"], self.data["containers"], self.data["pulls"] = {}, {}, {}
        self.dirty = True
        self.save()

    # -- sandboxes ----------------------------------------------------------
    def sandbox(self, uid: str) -> dict | None:
        return self.data["sandboxes"].get(uid)

    def sandboxes(self) -> dict[str, dict]:
        return dict(self.data["sandboxes"])

    def run_pod_sandbox(self, uid: str, pod_key: str, pod_cidr: str, now: dt.datetime, host_ip: str = "") -> dict:
        """A sandbox with the lowest free address of the node's pod range; NoAddress when every one is held by
        a sandbox that is still ready (a stopped one gave its address back, as CNI DEL does).

        `host_ip`: a hostNetwork pod's sandbox shares the node's network namespace; no CNI plugin runs,
        and the pod's address is the node's."""
        ip = host_ip or self._free_address(pod_cidr)
        sandbox = {"id": self.sandbox_id(uid), "ip": ip, "pod": pod_key, "created": rfc3339(now)}
        self.data["sandboxes"][uid] = sandbox
        self.dirty = True
        return sandbox

    def _free_address(self, pod_cidr: str) -> str:
        taken = {s["ip"] for s in self.data["sandboxes"].values() if s.get("state") != NOT_READY}
        network = ipaddress.ip_network(pod_cidr or "10.244.0.0/24", strict=False)
        # .1 is the node's bridge; pods get the lowest free address from .2 on, as host-local IPAM does.
        ip = next((str(a) for i, a in enumerate(network.hosts()) if i >= 1 and str(a) not in taken), None)
        if ip is None:
            hosts = list(network.hosts())
            raise NoAddress(f"no IP addresses available in range set: {hosts[0]}-{hosts[-1]}")
        return ip

    def sandbox_id(self, uid: str) -> str:
        return _id(self.cluster, "sandbox", uid)

    def stop_pod_sandbox(self, uid: str) -> None:
        """StopPodSandbox: the pod's network is torn down and its address goes back to the range; the sandbox
        stays, NOTREADY, until the pod is removed (its last address stays in the pod's status)."""
        sandbox = self.data["sandboxes"].get(uid)
        if sandbox is not None and sandbox.get("state") != NOT_READY:
            sandbox["state"] = NOT_READY
            self.dirty = True

    def remove_pod_sandbox(self, uid: str) -> None:
        self.data["sandboxes"].pop(uid, None)
        for key in [k for k in self.data["containers"] if k.startswith(uid + "/")]:
            del self.data["containers"][key]
        self.data.get("mounts", {}).pop(uid, None)
        self.dirty = True
        forget_pod(self.cluster, uid)

    # -- images -----------------------------------------------------------
    def image(self, ref: ImageRef) -> dict | None:
        return self.data["images"].get(ref.full)

    def images(self) -> dict[str, dict]:
        return self.data["images"]

    def pull(self, ref: ImageRef) -> dict | None:
        return self.data["pulls"].get(ref.full)

    def start_pull(self, ref: ImageRef, size: int, now: dt.datetime, cached: bool) -> dict:
        rng = random.Random(f"{self.cluster.seed}:{self.node}:{ref.full}:{self.data['pull_count']}")
        self.data["pull_count"] += 1
        # A cached image still asks the registry for the manifest (imagePullPolicy Always): a fraction of a second.
        seconds = round(rng.uniform(0.3, 0.9), 3) if cached else round(size / rng.uniform(25e6, 60e6) + 0.4, 3)
        pull = {
            "started": rfc3339(now),
            "seconds": seconds,
            "ready_at": (now + dt.timedelta(seconds=seconds)).isoformat(),
            "size": size,
        }
        self.data["pulls"][ref.full] = pull
        self.dirty = True
        return pull

    def finish_pull(self, ref: ImageRef) -> dict:
        pull = self.data["pulls"].pop(ref.full)
        self.data["images"][ref.full] = {
            "repository": ref.repository,
            "tag": ref.tag,
            "size": pull["size"],
            "id": image_digest(ref),
        }
        self.dirty = True
        return pull

    # -- containers ---------------------------------------------------------
    def container(self, uid: str, name: str) -> dict | None:
        return self.data["containers"].get(f"{uid}/{name}")

    def create_container(self, uid: str, name: str, ref: ImageRef, attempt: int) -> dict:
        record = {
            "id": _id(self.cluster, "container", uid, name, attempt),
            "image": ref.full,
            "imageID": f"{ref.repository}@{image_digest(ref)}",
            "state": "created",
            "attempt": attempt,
            "key": f"{uid}/{name}/{attempt}",
        }
        self.data["containers"][f"{uid}/{name}"] = record
        self.dirty = True
        return record

    def start_container(self, record: dict, now: dt.datetime, proc: dict) -> None:
        record.update(state="running", startedAt=rfc3339(now), t0=now.timestamp(), proc=proc)
        self.dirty = True

    def fail_start(self, record: dict, now: dt.datetime, message: str) -> None:
        """StartContainer failed (the command cannot be run): exit code 128, reason StartError."""
        record.update(
            state="exited",
            startedAt="1970-01-01T00:00:00Z",
            finishedAt=rfc3339(now),
            exitCode=128,
            reason="StartError",
            message=message,
        )
        self.dirty = True

    def stop_container(self, record: dict, at: dt.datetime, exit_code: int, reason: str, signal: str = "") -> None:
        """Schedule the process's end (SIGTERM handled, or SIGKILL when the grace period runs out)."""
        record.update(exits_at=at.isoformat(), exit_code=exit_code, exit_reason=reason, stopping=True)
        if signal:
            record["signal"] = {"at": at.timestamp(), "name": signal}
        self.dirty = True

    def signalled(self, record: dict, at: dt.datetime, exit_code: int, signal: str) -> None:
        """The process ended at `at` on a signal it handles, sent from an exec (cluster/container/signals.py); not a
        stop by the kubelet, so the pod's restartPolicy decides what follows."""
        record.update(exits_at=at.isoformat(), exit_code=exit_code, exit_reason="")
        record["signal"] = {"at": at.timestamp(), "name": signal}
        self.dirty = True

    def reap(self, record: dict, now: dt.datetime) -> bool:
        """Mark the process exited if its time has come (containerd's task exit event)."""
        if record["state"] != "running":
            return False
        ending = process_end(record)
        if ending is None or ending[0] > now:
            return False
        ends, code, reason = ending
        record.update(
            state="exited",
            finishedAt=rfc3339(ends),
            exitCode=code,
            reason=reason or ("Completed" if code == 0 else "Error"),
        )
        self.dirty = True
        return True

    def kill(self, record: dict, now: dt.datetime, exit_code: int, reason: str) -> None:
        record.update(exits_at=now.isoformat(), exit_code=exit_code, exit_reason=reason)
        self.reap(record, now)


def process_end(record: dict) -> tuple[dt.datetime, int, str] | None:
    """When and how the container's main process ends, as known now: stopped or killed (exits_at),
    or ended by itself (its process state's exit), whichever comes first."""
    forced = None
    if record.get("exits_at"):
        forced = (
            dt.datetime.fromisoformat(record["exits_at"]),
            int(record.get("exit_code", 0)),
            record.get("exit_reason", ""),
        )
    ended = (record.get("proc") or {}).get("exit")
    if ended is not None:
        own = (
            dt.datetime.fromtimestamp(float(ended["at"]), dt.timezone.utc),
            int(ended["code"]),
            ended.get("reason", ""),
        )
        if forced is None or own[0] <= forced[0]:
            return own
    return forced


def forget_pod(cluster: Cluster, uid: str) -> None:
    """A removed pod's container layers and logs go; so do its emptyDir and projected volumes."""
    RuntimeState.objects.filter(
        cluster=cluster, scope__in=("log", "rootfs", "volume", "stdin", "signal"), name__startswith=uid + "/"
    ).delete()


def _empty() -> dict:
    return {"sandboxes": {}, "containers": {}, "images": {}, "pulls": {}, "pull_count": 0}


def _id(cluster: Cluster, *parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in (cluster.seed, cluster.name, *parts)).encode()).hexdigest()


def exits_at(record: dict) -> dt.datetime | None:
    """When the kubelet should look at the container again to find it exited: its known end, or the
    exit its process is predicted to reach."""
    ending = process_end(record)
    predicted = (record.get("proc") or {}).get("predicted")
    candidates = [ending[0]] if ending else []
    if predicted is not None:
        candidates.append(dt.datetime.fromtimestamp(float(predicted), dt.timezone.utc))
    return min(candidates) if candidates else None


def started_at(record: dict) -> dt.datetime:
    return parse_rfc3339(record["startedAt"])
