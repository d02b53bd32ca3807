"""A container's filesystem: the image's files, a writable layer, and the pod's volumes mounted on top.

As containerd sets it up with overlayfs: the image's layers are read-only, each
container gets its own writable upper layer (a restarted container starts with a
fresh one, so what it wrote is gone), and the kubelet bind-mounts volumes at their
mountPaths — an emptyDir lives as long as the pod and is shared by every container
that mounts it, a PersistentVolume's files outlive the pod, configMap and secret
volumes are read-only. The kubelet also writes /etc/hosts, /etc/hostname and
/etc/resolv.conf for every container.

Each writable layer is a `RuntimeState` row (scope `rootfs` or `volume`) holding
`{path: {"t": "f"|"d"|"w", "c": content, "m": virtual mtime}}` ("w" is overlayfs'
whiteout for a deleted image file). A write stamped earlier than the entry it
replaces is dropped, so a container's process catching up on its virtual time
never undoes a newer `kubectl exec` write.

Simplified: no permissions, owners, links or special files; file contents are text;
each layer holds at most MAX_LAYER_BYTES (a write past it fails with ENOSPC, where a
real node would run out of disk much later).
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass, field

from cluster.models import Cluster, RuntimeState

MAX_LAYER_BYTES = 1 << 20
STANDARD_DIRS = frozenset(
    {
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/media",
        "/mnt",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",
        "/usr",
        "/usr/bin",
        "/usr/lib",
        "/usr/local",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/share",
        "/var",
        "/var/lib",
        "/var/log",
        "/var/run",
        "/var/tmp",
    }
)


class FsError(Exception):
    """An errno the shell reports: ENOENT, EISDIR, ENOTDIR, EEXIST, EROFS, ENOSPC, ENOTEMPTY, EBUSY, ENAMETOOLONG."""

    def __init__(self, errno: str, path: str) -> None:
        super().__init__(errno)
        self.errno, self.path = errno, path


MESSAGES = {
    "ENOENT": "No such file or directory",
    "EISDIR": "Is a directory",
    "ENOTDIR": "Not a directory",
    "EEXIST": "File exists",
    "EROFS": "Read-only file system",
    "ENOSPC": "No space left on device",
    "ENOTEMPTY": "Directory not empty",
    "EBUSY": "Resource busy",
    "ENAMETOOLONG": "File name too long",
}
PATH_MAX, NAME_MAX = 4096, 255  # Linux's limits on a path and on one of its names: nothing deeper can be made


class Layer:
    """One writable (or read-only) layer kept in a RuntimeState row, loaded on first use."""

    def __init__(
        self, cluster: Cluster | None, scope: str, name: str, read_only: bool = False, entries: dict | None = None
    ) -> None:
        self.cluster, self.scope, self.name, self.read_only = cluster, scope, name, read_only
        self._entries = entries
        self.dirty = False

    @property
    def entries(self) -> dict[str, dict]:
        if self._entries is None:
            row = None
            if self.cluster is not None:
                row = (
                    RuntimeState.objects.filter(cluster=self.cluster, scope=self.scope, name=self.name)
                    .values_list("data", flat=True)
                    .first()
                )
            self._entries = dict(row or {})
        return self._entries

    def size(self) -> int:
        return sum(len(e.get("c", "")) for e in self.entries.values())

    def save(self) -> None:
        if not self.dirty or self.cluster is None or self.read_only:
            return
        RuntimeState.objects.update_or_create(
            cluster=self.cluster, scope=self.scope, name=self.name, defaults={"data": self.entries}
        )
        self.dirty = False


@dataclass
class Mount:
    path: str  # mountPath
    layer: Layer
    sub_path: str = ""
    read_only: bool = False


@dataclass
class ContainerFS:
    """The tree one container sees."""

    upper: Layer
    image_files: dict[str, str] = field(default_factory=dict)
    mounts: list[Mount] = field(default_factory=list)
    image_dirs: set[str] = field(default_factory=set)
    dry: bool = False  # a look at what would happen: nothing is saved
    journal: list | None = None  # when a list: every change is also written down, to be replayed elsewhere

    def __post_init__(self) -> None:
        self.mounts.sort(key=lambda m: len(m.path), reverse=True)
        paths = tuple(sorted(set(self.image_files) | {m.path for m in self.mounts} | set(self.image_dirs)))
        self.image_dirs = set(_directories(paths)) | self.image_dirs | {m.path for m in self.mounts}

    # -- where a path lives -----------------------------------------------------------
    def _locate(self, path: str) -> tuple[Layer, str, Mount | None]:
        for mount in self.mounts:
            if path == mount.path or path.startswith(mount.path.rstrip("/") + "/"):
                inner = "/" + path[len(mount.path) :].lstrip("/")
                if mount.sub_path:
                    inner = posixpath.normpath("/" + mount.sub_path + inner)
                return mount.layer, inner, mount
        return self.upper, path, None

    def _entry(self, path: str) -> dict | None:
        layer, inner, mount = self._locate(path)
        found = layer.entries.get(inner)
        if found is not None:
            return None if found["t"] == "w" else found
        if mount is not None:
            return {"t": "d"} if inner == "/" or self._has_children(layer, inner) else None
        if path in self.image_files:
            return {"t": "f", "c": self.image_files[path], "m": 0.0}
        if path in self.image_dirs or self._has_children(layer, inner):
            return {"t": "d"}
        return None

    @staticmethod
    def _has_children(layer: Layer, inner: str) -> bool:
        prefix = inner.rstrip("/") + "/"
        return any(p.startswith(prefix) and e["t"] != "w" for p, e in layer.entries.items())

    # -- reading ------------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        return self._entry(path) is not None

    def is_dir(self, path: str) -> bool:
        entry = self._entry(path)
        return entry is not None and entry["t"] == "d"

    def is_file(self, path: str) -> bool:
        entry = self._entry(path)
        return entry is not None and entry["t"] == "f"

    def read(self, path: str) -> str:
        entry = self._entry(path)
        if entry is None:
            raise FsError("ENOTDIR" if self._under_file(path) else "ENOENT", path)
        if entry["t"] == "d":
            raise FsError("EISDIR", path)
        return entry.get("c", "")

    def mtime(self, path: str) -> float:
        entry = self._entry(path)
        return float((entry or {}).get("m", 0.0))

    def _under_file(self, path: str) -> bool:
        parent = posixpath.dirname(path)
        return parent != path and self.is_file(parent)

    def listdir(self, path: str) -> list[str]:
        if not self.is_dir(path):
            raise FsError("ENOTDIR" if self.exists(path) else "ENOENT", path)
        prefix = path.rstrip("/") + "/"
        known = [*self.image_files, *self.image_dirs, *(m.path for m in self.mounts)]
        names = {_child(p, prefix) for p in known if p.startswith(prefix) and p != prefix}
        layer, inner, _ = self._locate(path)
        inner_prefix = inner.rstrip("/") + "/"
        names |= {_child(p, inner_prefix) for p in layer.entries if p.startswith(inner_prefix)}
        return sorted(n for n in names if n and self.exists(prefix + n))

    # -- writing ------------------------------------------------------------------------
    def _writable(self, path: str) -> tuple[Layer, str]:
        if len(path) >= PATH_MAX or any(len(part) > NAME_MAX for part in path.split("/")):
            raise FsError("ENAMETOOLONG", path)
        layer, inner, mount = self._locate(path)
        if layer.read_only or (mount is not None and mount.read_only):
            raise FsError("EROFS", path)
        return layer, inner

    def write(self, path: str, text: str, at: float, append: bool = False) -> None:
        self.note("write", path, text, at, append)
        parent = posixpath.dirname(path)
        if not self.is_dir(parent):
            raise FsError("ENOTDIR" if self.exists(parent) else "ENOENT", path)
        if self.is_dir(path):
            raise FsError("EISDIR", path)
        layer, inner = self._writable(path)
        current = layer.entries.get(inner)
        if append:
            text = (self.read(path) if self.is_file(path) else "") + text
        elif current is not None and current.get("m", 0.0) > at:
            return  # a newer write already replaced this file
        if layer.size() - len((current or {}).get("c", "")) + len(text) > MAX_LAYER_BYTES:
            raise FsError("ENOSPC", path)
        layer.entries[inner] = {"t": "f", "c": text, "m": at}
        layer.dirty = True

    def touch(self, path: str, at: float) -> None:
        if self.exists(path):
            entry = self._entry(path) or {}
            if entry.get("t") == "f":
                self.write(path, entry.get("c", ""), at)
            return
        self.write(path, "", at)

    def mkdir(self, path: str, at: float, parents: bool = False) -> None:
        self.note("mkdir", path, at, parents)
        if self.exists(path):
            if parents and self.is_dir(path):
                return
            raise FsError("EEXIST", path)
        missing = [path]  # `path` and, under -p, each parent still to make, deepest first (a loop: paths run deep)
        while not self.is_dir(posixpath.dirname(missing[-1])):
            parent = posixpath.dirname(missing[-1])
            if not parents or self.exists(parent):
                raise FsError("ENOTDIR" if self.exists(parent) else "ENOENT", missing[-1])
            missing.append(parent)
        for directory in reversed(missing):
            layer, inner = self._writable(directory)
            layer.entries[inner] = {"t": "d", "m": at}
            layer.dirty = True

    def remove(self, path: str, at: float, recursive: bool = False) -> None:
        self.note("remove", path, at, recursive)
        entry = self._entry(path)
        if entry is None:
            raise FsError("ENOENT", path)
        if entry["t"] == "d" and not recursive:
            raise FsError("EISDIR", path)
        if any(m.path == path for m in self.mounts):
            raise FsError("EBUSY", path)
        layer, inner = self._writable(path)
        current = layer.entries.get(inner)
        if current is not None and current.get("m", 0.0) > at:
            return
        prefix = inner.rstrip("/") + "/"
        for key in [k for k in layer.entries if k.startswith(prefix)]:
            del layer.entries[key]
        shadowed = layer is self.upper and (path in self.image_files or path in self.image_dirs)
        if shadowed:
            layer.entries[inner] = {"t": "w", "m": at}
        else:
            layer.entries.pop(inner, None)
        layer.dirty = True

    def note(self, *change: object) -> None:
        if self.journal is not None:
            self.journal.append(change)

    def replay(self, journal: list) -> None:
        """Apply changes written down on another view of the same container (kubectl exec's)."""
        for op, *args in journal:
            try:
                getattr(self, op)(*args)
            except FsError:
                pass

    def save(self) -> None:
        if self.dry:
            return
        for layer in {id(m.layer): m.layer for m in self.mounts}.values():
            layer.save()
        self.upper.save()


@functools.lru_cache(maxsize=256)
def _child(path: str, prefix: str) -> str:
    """The name right under `prefix` on the way to `path`, found without copying the rest of a long path."""
    end = path.find("/", len(prefix))
    return path[len(prefix) : end if end >= 0 else len(path)]


def _directories(paths: tuple[str, ...]) -> frozenset[str]:
    """The standard directories and every parent of the given paths (the same few sets, again and again)."""
    dirs = set(STANDARD_DIRS)
    for path in paths:
        while path not in ("/", ""):
            path = posixpath.dirname(path)
            dirs.add(path)
    return frozenset(dirs)


def resolve_path(cwd: str, path: str) -> str:
    """An absolute, normalized path (`/tmp/../etc/` -> `/etc`)."""
    joined = path if path.startswith("/") else posixpath.join(cwd or "/", path)
    normal = posixpath.normpath(joined)
    return "/" + normal.lstrip("/") if normal != "/" else "/"
