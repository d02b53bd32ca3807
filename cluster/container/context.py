"""What a container's process sees, assembled as the kubelet and containerd assemble it.

- Its filesystem: the image's files, its own writable layer (one per container
  instance), the pod's volumes at their mountPaths (emptyDir per pod, a
  PersistentVolume's files by PV, hostPath by node and path, configMap / secret /
  downwardAPI projected read-only), and the files the kubelet writes (/etc/hosts,
  /etc/hostname, /etc/resolv.conf).
- Its environment (kubelet_pods.go makeEnvironmentVariables): the image's ENV, HOSTNAME,
  the Service links of its namespace (`WEB_SERVICE_HOST`, … for Services that existed
  when it started, unless enableServiceLinks is false), then envFrom, then env with
  `$(VAR)` references and valueFrom (fieldRef, resourceFieldRef, configMapKeyRef,
  secretKeyRef). A missing ConfigMap, Secret or key that is not optional stops the
  container from being created: CreateContainerConfigError, with the kubelet's message.
- Its command: the image's ENTRYPOINT/CMD replaced by the container's command/args as
  Kubernetes defines it, with `$(VAR)` expanded and `$$` escaping a `$`.

ConfigMap, Secret and downwardAPI volumes (directly or as `projected` sources) follow later
changes: the kubelet's periodic pod sync projects them again (refresh_volumes; its schedule is
cluster/kubelet_volumes.py's) and rewrites a volume only when its files changed, as AtomicWriter
does. What is read once, at container start, stays as it was: the environment (env, envFrom and
the Service links), and a file or directory mounted with `subPath` (the kubelet bind-mounts the
path it resolves to then, and AtomicWriter swaps new content in beside it: PinnedLayer). An
immutable ConfigMap or Secret is not watched once read (watch_based_manager.go), so the kubelet
keeps its content even if it is deleted and created again; a deleted mutable one that is not
optional makes the remount fail and the files stay as they were.

Simplified: subPathExpr, file modes and AtomicWriter's layout (the `..data` symlink to a
timestamped directory, each key a symlink into it) are not modelled, the container filesystem
having no links; a projected service-account token is a JWT with the claims kube-apiserver puts
in it but a signature of the simulation's own, and is not rotated; a projected volume with an
immutable source that was deleted or replaced since is left as it is, its other sources too.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field

import orjson

from cluster.apiserver.errors import StatusError, go_quote
from cluster.apiserver.server import APIServer
from cluster.container.fs import ContainerFS, Layer, Mount
from cluster.container.shell import Host
from cluster.models import Cluster, RuntimeState
from cluster.quantity import parse as parse_quantity
from cluster.registry import Image, image_config

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PROJECTED = ("configMap", "secret", "downwardAPI", "projected")
KINDS = ("configMap", "secret", "downwardAPI")  # what a volume or a projected volume's source projects


class ConfigError(Exception):
    """CreateContainerConfigError: what the container's env or volumes refer to is missing."""


@dataclass(frozen=True)
class Names:
    """Where a container instance keeps its writable layer and its log."""

    uid: str
    container: str
    attempt: int

    @property
    def key(self) -> str:
        return f"{self.uid}/{self.container}/{self.attempt}"


# -- the command ---------------------------------------------------------------------------------
def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion): unknown names stay as written."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)

    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)", replace, text)


def command_line(spec: dict, image: Image, env: dict[str, str]) -> list[str]:
    """ENTRYPOINT + CMD, as the container's command and args override them."""
    command, args = spec.get("command"), spec.get("args")
    if command:
        words = list(command) + list(args or [])
    elif args is not None:
        words = list(image.entrypoint) + list(args)
    else:
        words = list(image.entrypoint) + list(image.cmd)
    return [expand(str(w), env) for w in words]


# -- the environment -----------------------------------------------------------------------------
def environment(
    api: APIServer, pod: dict, spec: dict, image: Image, node: dict | None = None, started: str | None = None
) -> dict[str, str]:
    """The process's environment; ConfigError when a reference cannot be resolved."""
    env = {
        "PATH": PATH,
        **dict(image.env),
        "HOSTNAME": pod["metadata"]["name"],
        "HOME": "/root" if image.user == "root" else f"/home/{image.user}",
    }
    if (pod.get("spec") or {}).get("enableServiceLinks", True) is not False:
        env.update(service_links(api, pod["metadata"].get("namespace", "default"), started))
    else:
        env.update(service_links(api, pod["metadata"].get("namespace", "default"), started, only_master=True))
    namespace = pod["metadata"].get("namespace", "default")
    for source in spec.get("envFrom") or []:
        env.update(_env_from(api, namespace, source))
    for var in spec.get("env") or []:
        value = _env_value(api, pod, spec, var, env, node)
        if value is not None:
            env[var["name"]] = value
    return env


def _env_from(api: APIServer, namespace: str, source: dict) -> dict[str, str]:
    prefix = source.get("prefix", "")
    for kind, resource in (("configMapRef", "configmaps"), ("secretRef", "secrets")):
        ref = source.get(kind)
        if ref is None:
            continue
        data = _object_data(api, resource, namespace, ref.get("name", ""), bool(ref.get("optional")))
        return {
            prefix + k: v for k, v in (data or {}).items() if re.fullmatch(r"[-._a-zA-Z][-._a-zA-Z0-9]*", prefix + k)
        }
    return {}


def _env_value(api: APIServer, pod: dict, spec: dict, var: dict, env: dict[str, str], node: dict | None) -> str | None:
    if "valueFrom" not in var:
        return expand(str(var.get("value", "")), env)
    source = var["valueFrom"]
    namespace = pod["metadata"].get("namespace", "default")
    if "fieldRef" in source:
        return field_value(pod, source["fieldRef"].get("fieldPath", ""))
    if "resourceFieldRef" in source:
        return resource_value(spec, source["resourceFieldRef"], node)
    for kind, resource in (("configMapKeyRef", "configmaps"), ("secretKeyRef", "secrets")):
        ref = source.get(kind)
        if ref is None:
            continue
        optional = bool(ref.get("optional"))
        data = _object_data(api, resource, namespace, ref.get("name", ""), optional)
        if data is None:
            return None
        if ref.get("key") not in data:
            if optional:
                return None
            what = "ConfigMap" if resource == "configmaps" else "Secret"
            raise ConfigError(f"couldn't find key {ref.get('key')} in {what} {namespace}/{ref.get('name')}")
        return data[ref["key"]]
    return ""


def _object_data(api: APIServer, resource: str, namespace: str, name: str, optional: bool) -> dict | None:
    obj = _read_object(api, resource, namespace, name, optional)
    return None if obj is None else _data_of(resource, obj)


def _read_object(api: APIServer, resource: str, namespace: str, name: str, optional: bool) -> dict | None:
    try:
        return api.get(resource, namespace, name)
    except StatusError as err:
        if err.code != 404 or optional:
            return None
        raise ConfigError(f'{"configmap" if resource == "configmaps" else "secret"} "{name}" not found') from None


def _data_of(resource: str, obj: dict) -> dict:
    if resource == "secrets":
        data = {k: _b64(v) for k, v in (obj.get("data") or {}).items()}
        data.update(obj.get("stringData") or {})
        return data
    return {**(obj.get("data") or {}), **{k: _b64(v) for k, v in (obj.get("binaryData") or {}).items()}}


def _b64(value: str) -> str:
    try:
        return base64.b64decode(value).decode("utf-8", "replace")
    except (ValueError, TypeError):
        return ""


def field_value(pod: dict, path: str) -> str:
    meta, status, spec = pod["metadata"], pod.get("status") or {}, pod.get("spec") or {}
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.hostIP": status.get("hostIP", ""),
        "status.podIP": status.get("podIP", ""),
        "status.podIPs": ",".join(i.get("ip", "") for i in status.get("podIPs") or []),
        "status.hostIPs": ",".join(i.get("ip", "") for i in status.get("hostIPs") or []),
    }
    if path in simple:
        return simple[path]
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if match:
        return (meta.get(match.group(1)) or {}).get(match.group(2), "")
    if path in ("metadata.labels", "metadata.annotations"):
        # fieldpath.FormatMap: `key="value"` with the value Go-quoted (%q), one a line
        return "\n".join(f"{k}={go_quote(str(v))}" for k, v in sorted((meta.get(path.split(".")[1]) or {}).items()))
    return ""


def resource_value(spec: dict, ref: dict, node: dict | None) -> str:
    """limits.cpu etc., rounded up to the divisor; a missing limit is the node's allocatable."""
    resource = ref.get("resource", "")
    kind, _, name = resource.partition(".")
    value = ((spec.get("resources") or {}).get(kind) or {}).get(name)
    if value is None and kind == "limits":
        value = ((node or {}).get("status") or {}).get("allocatable", {}).get(name)
    if value is None:
        return "0"
    amount = parse_quantity(str(value))
    divisor = parse_quantity(str(ref.get("divisor", "1")))
    quotient = amount / divisor if divisor else amount
    whole = int(quotient) if quotient == int(quotient) else int(quotient) + 1
    return str(whole)


def service_links(api: APIServer, namespace: str, started: str | None, only_master: bool = False) -> dict[str, str]:
    """{SVC}_SERVICE_HOST, {SVC}_PORT_80_TCP, … for the Services that existed when the container started."""
    services = [s for s in api.list("services", namespace)["items"]] if not only_master else []
    if namespace != "default" or only_master:
        services += [s for s in api.list("services", "default")["items"] if s["metadata"]["name"] == "kubernetes"]
    env: dict[str, str] = {}
    for service in sorted(services, key=lambda s: s["metadata"]["name"]):
        created = service["metadata"].get("creationTimestamp", "")
        ip = (service.get("spec") or {}).get("clusterIP", "")
        if (started and created and created > started) or not ip or ip == "None":
            continue
        env.update(_links_for(service["metadata"]["name"], ip, (service.get("spec") or {}).get("ports") or []))
    return env


def _links_for(name: str, ip: str, ports: list[dict]) -> dict[str, str]:
    prefix = name.upper().replace("-", "_")
    if not ports:
        return {}
    first = ports[0]
    env = {f"{prefix}_SERVICE_HOST": ip, f"{prefix}_SERVICE_PORT": str(first.get("port"))}
    env[f"{prefix}_PORT"] = f"{(first.get('protocol') or 'TCP').lower()}://{ip}:{first.get('port')}"
    for port in ports:
        protocol = port.get("protocol") or "TCP"
        if port.get("name"):
            env[f"{prefix}_SERVICE_PORT_{port['name'].upper().replace('-', '_')}"] = str(port.get("port"))
        key = f"{prefix}_PORT_{port.get('port')}_{protocol}"
        env[key] = f"{protocol.lower()}://{ip}:{port.get('port')}"
        env[f"{key}_PROTO"], env[f"{key}_PORT"], env[f"{key}_ADDR"] = protocol.lower(), str(port.get("port")), ip
    return env


# -- the filesystem -------------------------------------------------------------------------------
def kubelet_files(pod: dict, ip: str) -> dict[str, str]:
    """/etc/hosts, /etc/hostname and /etc/resolv.conf, as the kubelet writes them for a pod."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    name, namespace = meta["name"], meta.get("namespace", "default")
    hostname = spec.get("hostname") or name
    fqdn = (
        f"{hostname}.{spec['subdomain']}.{namespace}.svc.cluster.local\t{hostname}"
        if spec.get("subdomain")
        else hostname
    )
    hosts = (
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
        + (f"{ip}\t{fqdn}\n" if ip else "")
    )
    for alias in spec.get("hostAliases") or []:
        aliases = "\t".join(alias.get("hostnames") or [])
        hosts += f"\n# Entries added by HostAliases.\n{alias.get('ip')}\t" + aliases + "\n"
    resolv = (
        f"search {namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\n"
        f"options ndots:5\n"
    )
    return {"/etc/hosts": hosts, "/etc/hostname": hostname + "\n", "/etc/resolv.conf": resolv}


def volume_layer(api: APIServer, pod: dict, volume: dict) -> Layer:
    """Where one of the pod's volumes keeps its files: a claim's are its PersistentVolume's, so they
    outlive the pod (and a new claim bound to a new volume starts empty)."""
    cluster = api.cluster
    uid, name = pod["metadata"]["uid"], volume["name"]
    if "persistentVolumeClaim" in volume:
        claim = volume["persistentVolumeClaim"].get("claimName", "")
        namespace = pod["metadata"].get("namespace", "default")
        try:
            bound = (api.get("persistentvolumeclaims", namespace, claim).get("spec") or {}).get("volumeName")
        except StatusError:
            bound = None
        key = f"pv/{bound}" if bound else f"pvc/{namespace}/{claim}"
        return Layer(cluster, "volume", key, read_only=bool(volume["persistentVolumeClaim"].get("readOnly")))
    if "hostPath" in volume:
        node = (pod.get("spec") or {}).get("nodeName", "")
        return Layer(cluster, "volume", f"host/{node}{volume['hostPath'].get('path', '')}")
    return Layer(cluster, "volume", f"{uid}/{name}", read_only=any(k in volume for k in PROJECTED))


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
            pinned = _read_volume(self.cluster.pk, self.name) if self.cluster is not None else None
            self._entries = self.live.entries if pinned is None else pinned
        return self._entries


def container_fs(
    api: APIServer,
    pod: dict,
    spec: dict,
    image: Image,
    names: Names,
    ip: str,
    dry: bool = False,
    layers: dict[str, Layer] | None = None,
    fresh: bool = False,
) -> ContainerFS:
    """The container's tree; `layers` shares the pod's volumes between the containers of one run;
    `fresh`: a container being created, whose writable layer is still empty."""
    volumes = {v["name"]: v for v in (pod.get("spec") or {}).get("volumes") or []}
    mounts = []
    layers = {} if layers is None else layers
    for mount in spec.get("volumeMounts") or []:
        volume = volumes.get(mount.get("name"))
        if volume is None:
            continue
        if volume["name"] not in layers:
            layers[volume["name"]] = volume_layer(api, pod, volume)
        layer = layers[volume["name"]]
        if mount.get("subPath") and any(k in volume for k in PROJECTED):
            layer = PinnedLayer(api.cluster, f"{names.key}/{volume['name']}", layer)
        mounts.append(
            Mount(
                mount.get("mountPath", "/"),
                layer,
                mount.get("subPath", ""),
                bool(mount.get("readOnly")) or layer.read_only,
            )
        )
    files = {**dict(image.files), **kubelet_files(pod, ip)}
    upper = Layer(api.cluster, "rootfs", names.key, entries={} if fresh else None)
    return ContainerFS(upper, files, mounts, {image.workdir} if image.workdir else set(), dry=dry)


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
        _write_volume(api.cluster.pk, f"{pod['metadata']['uid']}/{volume['name']}", _entries(files, 0.0))
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
        before = (_read_volume(api.cluster.pk, row) or {}) if pinned.get(name) or tokens else {}
        entries = _entries(files, at)
        entries.update({p: e for p, e in before.items() if p.lstrip("/") in tokens})  # the token is kept
        for container in pinned.get(name, []):
            _write_volume(api.cluster.pk, f"{container}/{name}", before, replace=False)
        _write_volume(api.cluster.pk, row, entries)
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


def _read_volume(cluster_id: int, name: str) -> dict | None:
    row = RuntimeState.objects.filter(cluster_id=cluster_id, scope="volume", name=name).values_list("data", flat=True)
    found = row.first()
    return None if found is None else dict(found)


def _write_volume(cluster_id: int, name: str, entries: dict, replace: bool = True) -> None:
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
        obj = _read_object(api, resource, namespace, name or "", optional)
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
    data = _data_of(resource, obj) if obj is not None else {}
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


# -- putting it together ----------------------------------------------------------------------------
def make_host(
    api: APIServer,
    pod: dict,
    spec: dict,
    names: Names,
    node: dict | None,
    dry: bool = False,
    ip: str = "",
    layers: dict[str, Layer] | None = None,
    fresh: bool = False,
) -> Host:
    image = image_config(spec["image"])
    ip = ip or (pod.get("status") or {}).get("podIP", "")
    capacity = ((node or {}).get("status") or {}).get("capacity") or {}
    limit = ((spec.get("resources") or {}).get("limits") or {}).get("memory")
    info = ((node or {}).get("status") or {}).get("nodeInfo") or {}
    return Host(
        fs=container_fs(api, pod, spec, image, names, ip, dry, layers, fresh),
        image=image,
        hostname=(pod.get("spec") or {}).get("hostname") or pod["metadata"]["name"],
        namespace=pod["metadata"].get("namespace", "default"),
        pod_ip=ip,
        stdin_open=bool(spec.get("stdin")),
        pod=pod,
        spec=spec,
        cpus=int(parse_quantity(str(capacity.get("cpu", "2")))) or 2,
        kernel=info.get("kernelVersion", "6.1.0-kubeclass"),
        memory_limit=int(parse_quantity(str(limit))) if limit else 0,
    )
