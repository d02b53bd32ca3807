"""The image registry the simulated containerd pulls from (Docker Hub, registry.k8s.io, gcr.io, …).

containerd normalizes a reference (docker.io/library/ for short names, :latest
when untagged), asks the registry for the manifest, and fails a pull of a
reference the registry does not have. The kubelet passes containerd's error on
in its `Failed` event and the container's waiting message:

- a tag that does not exist (`nginx:1.161`): `rpc error: code = NotFound desc = failed
  to pull and unpack image "docker.io/library/nginx:1.161": failed to resolve reference
  "docker.io/library/nginx:1.161": docker.io/library/nginx:1.161: not found`
- a Docker Hub repository that does not exist (`ngnix`): Docker Hub answers 401, which
  containerd reports as `pull access denied, repository does not exist or may require
  authorization: server message: insufficient_scope: authorization failed`.

What exists is data: cluster/images/catalogue.yaml (repositories, their tags and
image config) and cluster/images/tags.json (every tag the official-images library
published for the repositories it lists). Docker Hub's library namespace is a
closed list, so a misspelt short name fails as it does for real.

Simplified: a repository the catalogue does not know outside the library namespace
(`myorg/app`, `ghcr.io/me/app:v1`) is assumed to exist with every tag, and its
containers run as long-running servers — the registry cannot know your private
images. `kubectl fault image NAME missing` makes any repository answer "not found".
Windows-only tags are left out of tags.json; pulling one on these Linux nodes fails
as containerd does: `no match for platform in manifest`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cluster.models import Cluster, RuntimeState

DATA = Path(__file__).resolve().parent / "images"
LIBRARY = "docker.io/library/"
WINDOWS_TAG = re.compile(r"windowsservercore|nanoserver|ltsc20\d\d")
UNKNOWN_SIZE_RANGE = (20_000_000, 120_000_000)


@dataclass(frozen=True)
class ImageRef:
    repository: str  # docker.io/library/nginx
    tag: str
    digest: str = ""

    @property
    def full(self) -> str:
        return f"{self.repository}@{self.digest}" if self.digest else f"{self.repository}:{self.tag}"


@dataclass(frozen=True)
class Image:
    """One image's config as the catalogue gives it (after a tag variant is applied)."""

    repository: str
    tag: str
    size: int
    known: bool  # False: a repository the catalogue does not know (run as a server)
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    workdir: str = "/"
    user: str = "root"
    base: str = "debian"
    tools: frozenset[str] = frozenset()
    ports: tuple[int, ...] = ()
    stopsignal: str = "SIGTERM"
    files: tuple[tuple[str, str], ...] = ()
    version: str = ""
    dirs: tuple[str, ...] = ()  # empty directories the image ships (nginx's /var/log/nginx)

    @property
    def name(self) -> str:
        """The repository's last path element: nginx, busybox, agnhost."""
        return self.repository.rsplit("/", 1)[-1]


@dataclass
class Catalogue:
    repositories: dict[str, dict] = field(default_factory=dict)
    library: frozenset[str] = frozenset()
    aliases: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # repository -> space-separated tags


def parse_image(image: str) -> ImageRef:
    """Normalize like containerd (docker.io/library/ for short names, :latest when untagged)."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    tag = ""
    if ":" in name[slash + 1 :]:
        name, tag = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if not rest:
        name = f"{LIBRARY}{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return ImageRef(name, tag or ("" if digest else "latest"), digest)


def image_digest(ref: ImageRef) -> str:
    return "sha256:" + hashlib.sha256(f"{ref.repository}:{ref.tag}".encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load((DATA / "catalogue.yaml").read_text(), Loader=loader)  # noqa: S506 - a safe loader
    tags = json.loads((DATA / "tags.json").read_text())
    return Catalogue(
        raw["repositories"], frozenset(raw["library"]), raw.get("aliases") or {}, raw.get("texts") or {}, tags
    )


def canonical(repository: str) -> str:
    """k8s.gcr.io/pause (and gcr.io/google-containers/pause, the registry behind it) is served by
    registry.k8s.io/pause: an alias names a registry host, or a host and the path under it."""
    for prefix, target in catalogue().aliases.items():
        if repository.startswith(prefix + "/"):
            return target + repository[len(prefix) :]
    return repository


@functools.lru_cache(maxsize=512)
def tag_set(repository: str) -> frozenset[str] | None:
    """The repository's tags, or None when any tag is accepted."""
    entry = catalogue().repositories.get(repository) or {}
    tags = entry.get("tags", "any")
    if tags == "library":
        return frozenset(catalogue().tags.get(repository, "").split())
    if isinstance(tags, list):
        return frozenset(str(t) for t in tags)
    return None


# -- pulling -------------------------------------------------------------------------
class PullError(Exception):
    """containerd's answer to a failed pull, as the kubelet reports it."""


def _registry_row(cluster: Cluster) -> RuntimeState:
    row, _ = RuntimeState.objects.get_or_create(
        cluster=cluster, scope="registry", name="", defaults={"data": {"missing": []}}
    )
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


def resolve(cluster: Cluster, ref: ImageRef) -> int:
    """The image's compressed size if the registry has the reference; PullError if not."""
    repository = canonical(ref.repository)
    if ref.repository in missing_images(cluster):
        raise PullError(not_found_message(ref))
    if repository.startswith(LIBRARY) and repository[len(LIBRARY) :] not in catalogue().library:
        raise PullError(access_denied_message(ref))
    if ref.digest:
        return image_size(repository)
    if WINDOWS_TAG.search(ref.tag):
        raise PullError(
            f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref.full}": '
            f"no match for platform in manifest: not found"
        )
    tags = tag_set(repository)
    if tags is not None and ref.tag not in tags:
        raise PullError(not_found_message(ref))
    return image_size(repository)


def image_size(repository: str) -> int:
    entry = catalogue().repositories.get(repository)
    if entry and "size" in entry:
        return int(entry["size"])
    low, high = UNKNOWN_SIZE_RANGE  # an image the catalogue does not know: a size of its own, always the same
    return low + int(hashlib.sha256(repository.encode()).hexdigest()[:8], 16) % (high - low)


def not_found_message(ref: ImageRef) -> str:
    """containerd's error for a reference whose manifest the registry does not have."""
    full = ref.full
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{full}": failed to resolve reference '
        f'"{full}": {full}: not found'
    )


def access_denied_message(ref: ImageRef) -> str:
    """containerd's error when Docker Hub refuses a repository that does not exist."""
    full = ref.full
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{full}": failed to resolve reference '
        f'"{full}": pull access denied, repository does not exist or may require authorization: server message: '
        f"insufficient_scope: authorization failed"
    )


# -- the image config ------------------------------------------------------------------
@functools.lru_cache(maxsize=1024)
def image_config(image: str) -> Image:
    """The config of the image a container names (its tag variant applied)."""
    ref = parse_image(image)
    repository = canonical(ref.repository)
    entry = catalogue().repositories.get(repository)
    if entry is None:
        return Image(repository, ref.tag, image_size(repository), known=False)
    entry = _with_variant(entry, ref.tag)
    version = app_version(repository, ref.tag)
    env = tuple(
        (k, str(v).replace("{version}", version).replace("{major}", version.split(".")[0]))
        for k, v in (entry.get("env") or {}).items()
    )
    texts = catalogue().texts
    return Image(
        repository,
        ref.tag,
        image_size(repository),
        True,
        tuple(entry.get("entrypoint") or ()),
        tuple(entry.get("cmd") or ()),
        env,
        entry.get("workdir", "/"),
        entry.get("user", "root"),
        entry.get("base", "debian"),
        frozenset(entry.get("tools") or ()),
        tuple(entry.get("ports") or ()),
        entry.get("stopsignal", "SIGTERM"),
        tuple((path, texts.get(name, "")) for path, name in (entry.get("files") or {}).items()),
        version,
        tuple(entry.get("dirs") or ()),
    )


def _with_variant(entry: dict, tag: str) -> dict:
    words = set(tag.split("-"))
    for variant, changes in (entry.get("variants") or {}).items():
        if variant in words or any(w.startswith(variant) for w in words):
            return {**entry, **changes}
    return entry


def app_version(repository: str, tag: str) -> str:
    """The program version a tag carries: nginx:1.27 -> 1.27.5 (its newest patch), latest -> the newest."""
    tags = tag_set(repository) or frozenset()
    head = tag.split("-", 1)[0]
    releases = [t for t in tags if re.fullmatch(r"\d+(\.\d+)+", t)]
    if re.fullmatch(r"\d+(\.\d+){2,}", head):
        return head
    if re.fullmatch(r"\d+(\.\d+)?", head):
        matching = [t for t in releases if t.startswith(head + ".")]
        return max(matching, key=_version_key) if matching else head
    if head == "stable" and releases:
        even = [t for t in releases if len(t.split(".")) > 1 and int(t.split(".")[1]) % 2 == 0]
        return max(even or releases, key=_version_key)
    return max(releases, key=_version_key) if releases else ""


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))
