"""The container runtime behind the kubelet's CRI (containerd), and the image registry.

The kubelet calls RunPodSandbox, PullImage, CreateContainer, StartContainer and
StopContainer as it would over the CRI's gRPC socket; each call is a step
event. containerd keeps its sandboxes, containers and images on the node's
disk, so here they live in a `RuntimeState` row per node and survive a
restart of the process (level-triggered: the kubelet finds them again).

What runs inside a container is simulated from its image and command line:
servers (nginx, httpd, redis, …) run until stopped and exit on SIGTERM within
a second; a shell image without a command (busybox, alpine, ubuntu) exits 0
at once, as it does without a terminal; `sleep N` runs N seconds; `exit N`
exits N. A shell as PID 1 ignores SIGTERM, so it is SIGKILLed (137) when the
grace period ends. Pull durations and sizes come from the cluster's seed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import random
import re
from dataclasses import dataclass

import orjson

from cluster.clock import parse_rfc3339, rfc3339
from cluster.models import Cluster, RuntimeState
from cluster.store import DriverCursor

# Compressed sizes as a registry reports them (linux/amd64), for "Image size: … bytes".
CATALOGUE: dict[str, int] = {
    "docker.io/library/nginx": 72_099_501,
    "docker.io/library/busybox": 2_155_536,
    "docker.io/library/httpd": 58_118_512,
    "docker.io/library/redis": 45_906_287,
    "docker.io/library/alpine": 3_623_844,
    "docker.io/library/ubuntu": 29_754_290,
    "docker.io/library/debian": 48_494_272,
    "docker.io/library/python": 412_347_905,
    "docker.io/library/postgres": 153_820_441,
    "docker.io/library/mysql": 170_478_923,
    "docker.io/library/node": 398_713_592,
    "docker.io/library/memcached": 32_431_006,
    "docker.io/library/traefik": 52_019_287,
    "docker.io/traefik/whoami": 3_187_532,
    "docker.io/curlimages/curl": 9_873_217,
    "docker.io/hashicorp/http-echo": 3_410_672,
    "registry.k8s.io/hpa-example": 176_289_090,
    "registry.k8s.io/pause": 320_368,
    "registry.k8s.io/echoserver": 46_233_580,
    "registry.k8s.io/e2e-test-images/agnhost": 51_104_245,
    "registry.k8s.io/busybox": 675_870,
}
# Images whose default command is a shell: without a terminal it exits 0 at once.
SHELL_IMAGES = {"docker.io/library/busybox", "docker.io/library/alpine", "docker.io/library/ubuntu",
                "docker.io/library/debian", "docker.io/library/python", "docker.io/library/node",
                "registry.k8s.io/busybox", "docker.io/curlimages/curl"}
FOREVER = None
SERVER_STOP_SECONDS = 1.0


@dataclass(frozen=True)
class ImageRef:
    repository: str  # docker.io/library/nginx
    tag: str
    digest: str = ""

    @property
    def full(self) -> str:
        return f"{self.repository}@{self.digest}" if self.digest else f"{self.repository}:{self.tag}"


def parse_image(image: str) -> ImageRef:
    """Normalize like containerd (docker.io/library/ for short names, :latest when untagged)."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    tag = ""
    if ":" in name[slash + 1:]:
        name, tag = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if not rest:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return ImageRef(name, tag or ("" if digest else "latest"), digest)


def image_digest(ref: ImageRef) -> str:
    return "sha256:" + hashlib.sha256(f"{ref.repository}:{ref.tag}".encode()).hexdigest()


# -- the registry -------------------------------------------------------------
def _registry_row(cluster: Cluster) -> RuntimeState:
    row, _ = RuntimeState.objects.get_or_create(cluster=cluster, scope="registry", name="",
                                                defaults={"data": {"missing": []}})
    return row


def set_image_missing(cluster: Cluster, image: str, missing: bool) -> str:
    """Fault injection: make the registry answer "not found" for a repository (any tag), or stop."""
    repository = parse_image(image).repository
    row = _registry_row(cluster)
    names = set(row.data.get("missing", []))
    (names.add if missing else names.discard)(repository)
    row.data = {"missing": sorted(names)}
    row.save(update_fields=["data"])
    return repository


def missing_images(cluster: Cluster) -> set[str]:
    row = RuntimeState.objects.filter(cluster=cluster, scope="registry", name="").first()
    return set(row.data.get("missing", [])) if row else set()


def resolve(cluster: Cluster, ref: ImageRef) -> int | None:
    """The image's size if the registry has it, else None (not found)."""
    if ref.repository in missing_images(cluster):
        return None
    return CATALOGUE.get(ref.repository)


def not_found_message(ref: ImageRef) -> str:
    """containerd's error for an unknown reference, as the kubelet passes it on."""
    full = ref.full
    return (f'rpc error: code = NotFound desc = failed to pull and unpack image "{full}": failed to resolve '
            f'reference "{full}": {full}: not found')


# -- what a container's process does ---------------------------------------------
def run_length(image: str, command: list[str] | None, args: list[str] | None) -> tuple[float | None, int]:
    """How long the main process runs (None: until stopped) and the exit code it ends with."""
    words = [str(w) for w in (command or []) + (args or [])]
    if not words:
        return (1.0, 0) if parse_image(image).repository in SHELL_IMAGES else (FOREVER, 0)
    line = " ".join(words)
    if re.search(r"while\s+true|sleep\s+inf|tail\s+-f", line):
        return FOREVER, 0
    exit_match = re.search(r"\bexit\s+(\d+)", line)
    sleep_match = re.search(r"\bsleep\s+(\d+(?:\.\d+)?)", line)
    seconds = float(sleep_match.group(1)) if sleep_match else 1.0
    return max(seconds, 1.0), int(exit_match.group(1)) if exit_match else 0


def ignores_sigterm(image: str, command: list[str] | None) -> bool:
    """A shell or sleep as PID 1 has no SIGTERM handler: it is killed when the grace period ends."""
    return bool(command) or parse_image(image).repository in SHELL_IMAGES


# -- one node's runtime -------------------------------------------------------------
class NodeRuntime:
    """containerd on one node: sandboxes, containers and images, kept in the database."""

    def __init__(self, cluster: Cluster, node: str) -> None:
        self.cluster = cluster
        self.node = node
        self.row, _ = RuntimeState.objects.get_or_create(
            cluster=cluster, scope="node", name=node, defaults={"data": _empty()})
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
            cursor.execute(f"UPDATE {RuntimeState._meta.db_table} SET data = %s{cast} WHERE id = %s",
                           [orjson.dumps(self.data).decode(), self.row.pk])
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

    def run_pod_sandbox(self, uid: str, pod_key: str, pod_cidr: str, now: dt.datetime) -> dict:
        taken = {s["ip"] for s in self.data["sandboxes"].values()}
        network = ipaddress.ip_network(pod_cidr or "10.244.0.0/24", strict=False)
        # .1 is the node's bridge; pods get the lowest free address from .2 on, as host-local IPAM does.
        ip = next(str(a) for i, a in enumerate(network.hosts()) if i >= 1 and str(a) not in taken)
        sandbox = {"id": _id(self.cluster, "sandbox", uid), "ip": ip, "pod": pod_key, "created": rfc3339(now)}
        self.data["sandboxes"][uid] = sandbox
        self.dirty = True
        return sandbox

    def remove_pod_sandbox(self, uid: str) -> None:
        self.data["sandboxes"].pop(uid, None)
        for key in [k for k in self.data["containers"] if k.startswith(uid + "/")]:
            del self.data["containers"][key]
        self.dirty = True

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
        pull = {"started": rfc3339(now), "seconds": seconds,
                "ready_at": (now + dt.timedelta(seconds=seconds)).isoformat(), "size": size}
        self.data["pulls"][ref.full] = pull
        self.dirty = True
        return pull

    def finish_pull(self, ref: ImageRef) -> dict:
        pull = self.data["pulls"].pop(ref.full)
        self.data["images"][ref.full] = {"repository": ref.repository, "tag": ref.tag, "size": pull["size"],
                                        "id": image_digest(ref)}
        self.dirty = True
        return pull

    # -- containers ---------------------------------------------------------
    def container(self, uid: str, name: str) -> dict | None:
        return self.data["containers"].get(f"{uid}/{name}")

    def create_container(self, uid: str, name: str, ref: ImageRef, attempt: int) -> dict:
        record = {"id": _id(self.cluster, "container", uid, name, attempt), "image": ref.full,
                  "imageID": f"{ref.repository}@{image_digest(ref)}", "state": "created", "attempt": attempt}
        self.data["containers"][f"{uid}/{name}"] = record
        self.dirty = True
        return record

    def start_container(self, record: dict, now: dt.datetime, runs_for: float | None, exit_code: int) -> None:
        record.update(state="running", startedAt=rfc3339(now), exit_code=exit_code,
                      exits_at=None if runs_for is None else (now + dt.timedelta(seconds=runs_for)).isoformat())
        self.dirty = True

    def stop_container(self, record: dict, at: dt.datetime, exit_code: int, reason: str) -> None:
        """Schedule the process's end (SIGTERM handled, or SIGKILL when the grace period runs out)."""
        record.update(exits_at=at.isoformat(), exit_code=exit_code, exit_reason=reason, stopping=True)
        self.dirty = True

    def reap(self, record: dict, now: dt.datetime) -> bool:
        """Mark the process exited if its time has come (containerd's task exit event)."""
        if record["state"] != "running" or not record.get("exits_at"):
            return False
        ends = dt.datetime.fromisoformat(record["exits_at"])
        if ends > now:
            return False
        code = record.get("exit_code", 0)
        reason = record.get("exit_reason") or ("Completed" if code == 0 else "Error")
        record.update(state="exited", finishedAt=rfc3339(ends), exitCode=code, reason=reason)
        self.dirty = True
        return True

    def kill(self, record: dict, now: dt.datetime, exit_code: int, reason: str) -> None:
        record.update(exits_at=now.isoformat(), exit_code=exit_code, exit_reason=reason)
        self.reap(record, now)


def _empty() -> dict:
    return {"sandboxes": {}, "containers": {}, "images": {}, "pulls": {}, "pull_count": 0}


def _id(cluster: Cluster, *parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in (cluster.seed, cluster.name, *parts)).encode()).hexdigest()


def exits_at(record: dict) -> dt.datetime | None:
    value = record.get("exits_at")
    return dt.datetime.fromisoformat(value) if value else None


def started_at(record: dict) -> dt.datetime:
    return parse_rfc3339(record["startedAt"])
