"""ConfigMap, Secret, downwardAPI and projected volumes: the files the kubelet writes for a pod, and rewrites.

The kubelet's MountVolume.SetUp writes each such volume's files when the pod starts (project_volumes; the
ServiceAccount admission plugin's kube-api-access-xxxxx among them: token, ca.crt, namespace). They follow
later changes: the kubelet's periodic pod sync projects them again (refresh_volumes; its schedule is
cluster/kubelet_volumes.py's) and rewrites a volume only when its files changed, as AtomicWriter does.
A file or directory mounted with `subPath` keeps what it was when the container started (the kubelet
bind-mounts the path it resolves to then, and AtomicWriter swaps new content in beside it: PinnedLayer).
An immutable ConfigMap or Secret is not watched once read (watch_based_manager.go), so the kubelet keeps
its content even if it is deleted and created again; a deleted mutable one that is not optional makes the
remount fail and the files stay as they were.

A volume's files are a RuntimeState row (scope `volume`, `<pod uid>/<volume>`) that the container
filesystems mount (cluster/container/fs.py).

Simplified: AtomicWriter's layout (the `..data` symlink to a timestamped directory, each key a symlink
into it) is not modelled, the container filesystem having no links; a projected service-account token is
a JWT with the claims kube-apiserver puts in it but a signature of the simulation's own, and is not
rotated; a projected volume with an immutable source that was deleted or replaced since is left as it is,
its other sources too.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

import orjson

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.container.fs import Layer
from cluster.container.sources import ConfigError, data_of, field_value, read_object
from cluster.models import Cluster, RuntimeState

PROJECTED = ("configMap", "secret", "downwardAPI", "projected")
KINDS = ("configMap", "secret", "downwardAPI")  # what a volume or a projected volume's source projects


class PinnedLayer(Layer):
    """A configMap, secret, downwardAPI or projected volume as a `subPath` mount sees it: the kubelet bind-mounts
    the file or directory the subPath resolves to when the container starts (pkg/volume/util/subpath), and
    AtomicWriter writes new content into a new timestamped directory beside it, so the container keeps what it
    started with. refresh_volumes writes that content down (`<uid>/<container>/<attempt>/<volume>`) when the
    volume first changes under the container; until then the volume's own files are the same."""

    def __init__(self, cluster: Cluster, name: str, live: Layer) -> None:
        super().__init__(cluster, "volume", name, read_only=True)
        self.live = live

    @property
    def entries(self) -> dict[str, dict]:
        if self._entries is None:
            pinned = read_volume(self.cluster.pk, self.name) if self.cluster is not None else None
            self._entries = self.live.entries if pinned is None else pinned
        return self._entries


@dataclass
class Projection:
    """What the kubelet keeps of a pod's projected volumes between its syncs."""

    #: each volume the periodic sync projects again (`updatable`): a digest of its files, to write only changes
    sums: dict[str, str] = field(default_factory=dict)
    #: `configmaps/<name>` or `secrets/<name>` -> uid of an immutable object read: the kubelet's object cache
    #: stops watching it (watch_based_manager.go) and keeps it as it was, deleted or created again or not
    immutable: dict[str, str] = field(default_factory=dict)


class _Cached(Exception):
    """The volume reads an immutable object the kubelet no longer watches, gone or replaced since: its cached
    copy has not changed, and neither has the volume."""


def updatable(volume: dict) -> bool:
    """A volume the periodic sync projects again: a configMap, secret or downwardAPI one, or a projected one with
    such a source — but not the ServiceAccount admission plugin's kube-api-access-xxxxx, whose CA bundle and
    namespace do not change here and whose token is not rotated."""
    if "projected" in volume and volume["name"].startswith("kube-api-access-"):
        return False
    return bool(_sources(volume))


def project_volumes(api: APIServer, pod: dict, node: dict | None = None) -> Projection:
    """The kubelet's MountVolume.SetUp for configMap, secret, downwardAPI and projected volumes (the
    ServiceAccount admission plugin's kube-api-access-xxxxx among them: token, ca.crt, namespace): write
    their files. ConfigError when a ConfigMap or Secret (or a key an item names) that is not optional is
    missing."""
    namespace = pod["metadata"].get("namespace", "default")
    projection = Projection()
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        files = _projection(api, pod, namespace, volume, node, projection.immutable)
        if files is None:
            continue
        write_volume(api.cluster.pk, f"{pod['metadata']['uid']}/{volume['name']}", _entries(files, 0.0))
        if updatable(volume):
            projection.sums[volume["name"]] = _digest(files, volume)
    return projection


def refresh_volumes(
    api: APIServer, pod: dict, node: dict | None, known: Projection, pinned: dict[str, list[str]], at: float
) -> list[str]:
    """The remount of a periodic sync (the volume manager's MarkRemountRequired, then MountVolume.SetUp again
    for each volume whose plugin RequiresRemount): project every `updatable` volume again and write it only
    when its files changed (AtomicWriter.Write's shouldWritePayload); `known` is brought up to date. `pinned`:
    per volume, the running container instances (`uid/name/attempt`) that mount it with subPath, whose view
    is written down before the volume changes (PinnedLayer). The SetUp errors, one per volume that failed:
    its files stay as they were."""
    namespace = pod["metadata"].get("namespace", "default")
    errors = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = volume["name"]
        if not updatable(volume) or _only_cached(volume, known.immutable):
            continue
        try:
            files = _projection(api, pod, namespace, volume, node, known.immutable, tokens=False) or {}
        except ConfigError as err:
            errors.append(str(err))
            continue
        except _Cached:
            continue
        digest = _digest(files, volume)
        if known.sums.get(name) == digest:
            continue
        row = f"{pod['metadata']['uid']}/{name}"
        tokens = _token_paths(volume)
        before = (read_volume(api.cluster.pk, row) or {}) if pinned.get(name) or tokens else {}
        entries = _entries(files, at)
        entries.update({p: e for p, e in before.items() if p.lstrip("/") in tokens})  # the token is kept
        for container in pinned.get(name, []):
            write_volume(api.cluster.pk, f"{container}/{name}", before, replace=False)
        write_volume(api.cluster.pk, row, entries)
        known.sums[name] = digest
    return errors


def _entries(files: dict[str, str], at: float) -> dict[str, dict]:
    return {"/" + path.lstrip("/"): {"t": "f", "c": text, "m": at} for path, text in files.items()}


def _digest(files: dict[str, str], volume: dict) -> str:
    tokens = _token_paths(volume)
    kept = {path: text for path, text in files.items() if path.lstrip("/") not in tokens}
    return hashlib.blake2b(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def _token_paths(volume: dict) -> set[str]:
    sources = (volume.get("projected") or {}).get("sources") or []
    return {
        (s["serviceAccountToken"].get("path") or "token").lstrip("/") for s in sources if "serviceAccountToken" in s
    }


def _sources(volume: dict) -> list[tuple[str, dict]]:
    """A volume's configMap, secret and downwardAPI sources, as (kind, source)."""
    if "projected" in volume:
        return [(k, s[k]) for s in volume["projected"].get("sources") or [] for k in KINDS if k in s]
    return [(k, volume[k]) for k in KINDS if k in volume]


def _only_cached(volume: dict, immutable: dict[str, str]) -> bool:
    """Every source is an immutable object read before: nothing the kubelet still watches, nothing to read."""
    keys = []
    for kind, source in _sources(volume):
        if kind == "downwardAPI":
            return False
        keys.append(f"{kind.lower()}s/{source.get('name', source.get('secretName'))}")
    return bool(keys) and all(key in immutable for key in keys)


def read_volume(cluster_id: int, name: str) -> dict | None:
    row = RuntimeState.objects.filter(cluster_id=cluster_id, scope="volume", name=name).values_list("data", flat=True)
    found = row.first()
    return None if found is None else dict(found)


def write_volume(cluster_id: int, name: str, entries: dict, replace: bool = True) -> None:
    """One INSERT … ON CONFLICT DO UPDATE with the driver's cursor (every pod mounts its API access volume,
    so this runs once per pod start and the ORM's update_or_create cost more than the write); with
    `replace` False a row already there is kept."""
    from cluster.dbcursor import DriverCursor

    table = RuntimeState._meta.db_table
    conflict = "DO UPDATE SET data = excluded.data" if replace else "DO NOTHING"
    with DriverCursor() as cursor:
        cast = "::jsonb" if cursor.vendor == "postgresql" else ""
        cursor.execute(
            f"INSERT INTO {table} (cluster_id, scope, name, data) VALUES (%s, 'volume', %s, %s{cast}) "
            f"ON CONFLICT (cluster_id, scope, name) {conflict}",
            [cluster_id, name, orjson.dumps(entries).decode()],
        )


def _projection(
    api: APIServer,
    pod: dict,
    namespace: str,
    volume: dict,
    node: dict | None = None,
    immutable: dict[str, str] | None = None,
    tokens: bool = True,
) -> dict[str, str] | None:
    """A volume's files by path; `tokens` False leaves out the serviceAccountToken sources (a remount keeps
    the token the volume has)."""
    name = volume["name"]
    if "configMap" in volume or "secret" in volume:
        kind = "configMap" if "configMap" in volume else "secret"
        source = volume[kind]
        return _object_files(
            api,
            namespace,
            name,
            kind,
            source,
            source.get("name") if kind == "configMap" else source.get("secretName"),
            immutable,
        )
    if "downwardAPI" in volume:
        return _downward_files(pod, volume["downwardAPI"])
    if "projected" in volume:  # projected.go: every source's files in one directory
        files: dict[str, str] = {}
        for source in volume["projected"].get("sources") or []:
            if "configMap" in source or "secret" in source:
                kind = "configMap" if "configMap" in source else "secret"
                files.update(
                    _object_files(api, namespace, name, kind, source[kind], source[kind].get("name"), immutable)
                )
            elif "downwardAPI" in source:
                files.update(_downward_files(pod, source["downwardAPI"]))
            elif "serviceAccountToken" in source and tokens:
                token = source["serviceAccountToken"]
                files[token.get("path", "token")] = service_account_token(
                    api, pod, int(token.get("expirationSeconds") or 3600), token.get("audience") or "", node
                )
        return files
    return None


def _object_files(
    api: APIServer,
    namespace: str,
    volume: str,
    kind: str,
    source: dict,
    name: str | None,
    immutable: dict[str, str] | None = None,
) -> dict[str, str]:
    """A configMap or secret volume (or projected source): a file per key, or per item. `immutable`: the
    immutable objects read before (_Cached when one is gone or replaced), and where to note one read now."""
    resource = "configmaps" if kind == "configMap" else "secrets"
    optional = bool(source.get("optional"))
    cached = (immutable or {}).get(f"{resource}/{name}")
    try:
        obj = read_object(api, resource, namespace, name or "", optional)
    except ConfigError:
        if cached is not None:
            raise _Cached from None
        raise ConfigError(
            f'MountVolume.SetUp failed for volume "{volume}" : {kind.lower()} "{name}" not found'
        ) from None
    uid = (obj or {}).get("metadata", {}).get("uid", "")
    if cached is not None and uid != cached:
        raise _Cached
    if obj is not None and obj.get("immutable") and immutable is not None:
        immutable[f"{resource}/{name}"] = uid
    data = data_of(resource, obj) if obj is not None else {}
    if not source.get("items"):
        return dict(data)
    files = {}
    for item in source["items"]:
        if item.get("key") not in data:
            if optional:
                continue
            raise ConfigError(
                f'MountVolume.SetUp failed for volume "{volume}" : {kind.lower()} references '
                f"non-existent {'config' if kind == 'configMap' else 'secret'} key: {item.get('key')}"
            )
        files[item.get("path") or item["key"]] = data[item["key"]]
    return files


def _downward_files(pod: dict, source: dict) -> dict[str, str]:
    return {
        item["path"]: field_value(pod, (item.get("fieldRef") or {}).get("fieldPath", ""))
        for item in source.get("items") or []
        if item.get("fieldRef")
    }


def service_account_token(
    api: APIServer, pod: dict, expiration: int, audience: str = "", node: dict | None = None
) -> str:
    """The bound service account token the kubelet asks for (TokenRequest) and writes to the projected volume:
    a JWT with kube-apiserver's claims (audience, expiry, issuer, the pod, its node and its ServiceAccount).

    Simplified: signed with a key of the simulation's own, not verifiable with the cluster's CA; the kubelet
    does not rotate it at 80 % of its lifetime."""
    import hashlib
    import json
    import uuid

    meta, spec = pod["metadata"], pod.get("spec") or {}
    namespace, account = meta.get("namespace", "default"), spec.get("serviceAccountName") or "default"
    issued = int(api.now().timestamp())
    issuer = "https://kubernetes.default.svc.cluster.local"
    seed = f"{api.cluster.seed}:{api.cluster.name}:{meta.get('uid')}"
    node_name = spec.get("nodeName", "")
    node_uid = (node or {}).get("metadata", {}).get("uid") or _uid_of(api, "nodes", None, node_name)
    sa_uid = _uid_of(api, "serviceaccounts", namespace, account)  # "" where ServiceAccounts are not served
    claims = {
        "aud": [audience or issuer],
        "exp": issued + expiration,
        "iat": issued,
        "iss": issuer,
        "jti": str(uuid.UUID(hashlib.md5(seed.encode()).hexdigest())),  # noqa: S324 - an id, not security
        "kubernetes.io": {
            "namespace": namespace,
            "node": {"name": node_name, "uid": node_uid},
            "pod": {"name": meta.get("name", ""), "uid": meta.get("uid", "")},
            "serviceaccount": {"name": account, "uid": sa_uid},
            "warnafter": issued + min(expiration, 3600),
        },
        "nbf": issued,
        "sub": f"system:serviceaccount:{namespace}:{account}",
    }
    header = {"alg": "RS256", "kid": hashlib.sha256(f"{api.cluster.seed}:kid".encode()).hexdigest()[:43]}

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    signing = (
        f"{b64(json.dumps(header, separators=(',', ':')).encode())}."
        f"{b64(json.dumps(claims, separators=(',', ':')).encode())}"
    )
    signature = b"".join(hashlib.sha256(f"{seed}:{signing}:{i}".encode()).digest() for i in range(8))
    return f"{signing}.{b64(signature)}"


def _uid_of(api: APIServer, resource: str, namespace: str | None, name: str) -> str:
    try:
        return api.get(resource, namespace, name)["metadata"].get("uid", "") if name else ""
    except StatusError:
        return ""
