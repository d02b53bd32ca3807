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

ConfigMap, Secret, downwardAPI and projected volumes — their files, how they follow later changes,
and a `subPath` mount's pinned view — are cluster/container/projection.py's; the objects and the pod
fields that the environment and those volumes read are cluster/container/sources.py's.

Simplified: subPathExpr and file modes are not modelled.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from cluster import dns
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.container.fs import ContainerFS, Layer, Mount
from cluster.container.projection import PROJECTED, PinnedLayer
from cluster.container.shell import Host
from cluster.container.sources import ConfigError, field_value, object_data, resource_value
from cluster.models import Cluster
from cluster.quantity import parse as parse_quantity
from cluster.registry import Image, image_config

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


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
        "HOSTNAME": pod_hostname(pod),
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
        data = object_data(api, resource, namespace, ref.get("name", ""), bool(ref.get("optional")))
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
        data = object_data(api, resource, namespace, ref.get("name", ""), optional)
        if data is None:
            return None
        if ref.get("key") not in data:
            if optional:
                return None
            what = "ConfigMap" if resource == "configmaps" else "Secret"
            raise ConfigError(f"couldn't find key {ref.get('key')} in {what} {namespace}/{ref.get('name')}")
        return data[ref["key"]]
    return ""


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


def pod_hostname(pod: dict) -> str:
    """The container's hostname: the pod's name or spec.hostname; a pod on the host's network shares the
    node's UTS namespace, so the node's name (what `kubectl debug node/…` shows)."""
    spec = pod.get("spec") or {}
    if spec.get("hostNetwork") and spec.get("nodeName"):
        return str(spec["nodeName"])
    return str(spec.get("hostname") or pod["metadata"]["name"])


# -- the filesystem -------------------------------------------------------------------------------
def kubelet_files(pod: dict, ip: str) -> dict[str, str]:
    """/etc/hosts, /etc/hostname and /etc/resolv.conf, as the kubelet writes them for a pod."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    namespace = meta.get("namespace", "default")
    hostname = pod_hostname(pod)
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
    resolv = dns.pod_dns(pod).resolv_conf()  # the kubelet's settings for the pod's dnsPolicy and dnsConfig
    return {"/etc/hosts": hosts, "/etc/hostname": hostname + "\n", "/etc/resolv.conf": resolv}


ROOT_MOUNTS = (
    "overlay / overlay rw,relatime,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs,"
    "upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/2/fs,"
    "workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/2/work 0 0\n"
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    "tmpfs /dev tmpfs rw,nosuid,size=65536k,mode=755 0 0\n"
    "devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666 0 0\n"
    "mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec,relatime 0 0\n"
    "sysfs /sys sysfs ro,nosuid,nodev,noexec,relatime 0 0\n"
    "cgroup /sys/fs/cgroup cgroup2 ro,nosuid,nodev,noexec,relatime 0 0\n"
)
NODE_DISK = "/dev/vda1"  # the node's disk, where the kubelet keeps the pod's files (illustrative name)


def proc_mounts(pod: dict, spec: dict) -> str:
    """/proc/mounts as runc sets a container up: the image's overlay, the kernel's filesystems, the files the
    kubelet writes (bind mounts from its disk), then each volumeMount. A Secret or projected volume (the
    service-account token) is a tmpfs; an emptyDir is a directory on the node's disk unless its medium is
    Memory; a configMap, hostPath or local PersistentVolume is on the node's disk too."""
    lines = [ROOT_MOUNTS]
    for path in ("/etc/hosts", spec.get("terminationMessagePath") or "/dev/termination-log", "/etc/hostname",
                 "/etc/resolv.conf"):  # fmt: skip
        lines.append(f"{NODE_DISK} {path} ext4 rw,relatime 0 0\n")
    lines.append("shm /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k 0 0\n")
    volumes = {v["name"]: v for v in (pod.get("spec") or {}).get("volumes") or []}
    for mount in spec.get("volumeMounts") or []:
        volume = volumes.get(mount.get("name"), {})
        read_only = bool(mount.get("readOnly")) or any(k in volume for k in PROJECTED)
        mode = "ro" if read_only else "rw"
        memory = (volume.get("emptyDir") or {}).get("medium") == "Memory"
        if memory or "secret" in volume or "projected" in volume:
            lines.append(f"tmpfs {mount.get('mountPath', '')} tmpfs {mode},relatime 0 0\n")
        else:
            lines.append(f"{NODE_DISK} {mount.get('mountPath', '')} ext4 {mode},relatime 0 0\n")
    return "".join(lines)


# What a kind node's root holds before anything writes to it: the top of its Debian tree, and the few files
# that say which machine this is. Simplified: the directories are empty but for these files.
NODE_ROOT_DIRS = "bin boot dev etc home kind lib lib64 media mnt opt proc root run sbin srv sys tmp usr var".split()
NODE_OS_RELEASE = (
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
    'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
)


class NodeRootLayer(Layer):
    """The node's root filesystem, as a hostPath of `/` shows it: kept like any hostPath volume, and starting
    from the node's own top-level directories and /etc/hostname and /etc/os-release."""

    def __init__(self, cluster: Cluster, node: str) -> None:
        super().__init__(cluster, "volume", f"host/{node}/")
        self.node = node

    @property
    def entries(self) -> dict[str, dict]:
        if self._entries is None and not super().entries:
            self._entries = {f"/{d}": {"t": "d", "m": 0.0} for d in NODE_ROOT_DIRS}
            self._entries["/etc/hostname"] = {"t": "f", "c": self.node + "\n", "m": 0.0}
            self._entries["/etc/os-release"] = {"t": "f", "c": NODE_OS_RELEASE, "m": 0.0}
        return super().entries


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
        path = volume["hostPath"].get("path", "")
        if posixpath.normpath(path or "/") == "/":  # `kubectl debug node/…` mounts the node's root at /host
            return NodeRootLayer(cluster, node)
        return Layer(cluster, "volume", f"host/{node}{path}")
    return Layer(cluster, "volume", f"{uid}/{name}", read_only=any(k in volume for k in PROJECTED))


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
    files = {**dict(image.files), **kubelet_files(pod, ip), "/proc/mounts": proc_mounts(pod, spec)}
    upper = Layer(api.cluster, "rootfs", names.key, entries={} if fresh else None)
    dirs = {image.workdir, *image.dirs} - {""}
    return ContainerFS(upper, files, mounts, dirs, dry=dry)


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
        hostname=pod_hostname(pod),
        namespace=pod["metadata"].get("namespace", "default"),
        pod_ip=ip,
        stdin_open=bool(spec.get("stdin")),
        pod=pod,
        spec=spec,
        cpus=int(parse_quantity(str(capacity.get("cpu", "2")))) or 2,
        kernel=info.get("kernelVersion", "6.1.0-kubeclass"),
        memory_limit=int(parse_quantity(str(limit))) if limit else 0,
    )
