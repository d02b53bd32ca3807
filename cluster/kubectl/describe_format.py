"""The building blocks of `kubectl describe` output (kubectl's pkg/describe/describe.go).

A PrefixWriter indents by two spaces a level and feeds a tabwriter configured
as kubectl's tabbedString does (min width 0, padding 2), so `Name:\\tweb`
lines align per block exactly as on a real cluster. Labels, annotations,
tolerations, containers, volumes, the pod template and the Events table are
written with kubectl's words and spacing. Simplified: quantities are printed
as written in the object rather than re-canonicalised (`0.5` stays `0.5`,
kubectl would print `500m`), and terminal escape sequences are not escaped.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TextIO

from cluster import clock
from cluster.apiserver.printing import human_duration
from cluster.kubectl.tabwriter import TabWriter

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ANNOTATION_LEN = 140


class _GoTabWriter(TabWriter):
    """Go's text/tabwriter proper: unlike kubectl get's fork, a column may shrink between blocks."""

    def _remember(self, column: int, width: int) -> int:
        return width


class PrefixWriter:
    def __init__(self, out: TextIO) -> None:
        self.tab = _GoTabWriter(out, min_width=0, padding=2)

    def write(self, level: int, text: str) -> None:
        self.tab.write("  " * level + text)

    def line(self, text: str = "") -> None:
        self.tab.write(text + "\n")

    def flush(self) -> None:
        self.tab.flush()


def rfc1123z(timestamp: str | None) -> str:
    """Go's time.RFC1123Z layout: `Mon, 02 Jan 2006 15:04:05 -0700`."""
    if not timestamp:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    moment = clock.parse_rfc3339(timestamp).astimezone(dt.timezone.utc)
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def go_bool(value: object) -> str:
    return "true" if value else "false"


def labels_multiline(w: PrefixWriter, title: str, labels: dict | None, indent: str = "", inner: str = "\t") -> None:
    w.write(0, f"{indent}{title}:{inner}")
    if not labels:
        w.line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, indent + inner)
        w.write(0, f"{key}={labels[key]}\n")


def annotations_multiline(w: PrefixWriter, title: str, annotations: dict | None) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k != LAST_APPLIED)
    if not keys:
        w.line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = str((annotations or {})[key]).removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for part in value.split("\n"):
                cut = part[: MAX_ANNOTATION_LEN - 2] + "..." if len(part) > MAX_ANNOTATION_LEN - 2 else part
                w.write(0, f"\t  {cut}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def tolerations_multiline(w: PrefixWriter, title: str, tolerations: list | None, indent: str = "") -> None:
    w.write(0, f"{indent}{title}:\t")
    if not tolerations:
        w.line("<none>")
        return
    for i, tol in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        if i:
            w.write(0, indent + "\t")
        text = tol.get("key", "")
        if tol.get("value"):
            text += f"={tol['value']}"
        if tol.get("effect"):
            text += f":{tol['effect']}"
        if tol.get("operator") == "Exists" and not tol.get("value"):
            text += " op=Exists" if tol.get("key") or tol.get("effect") else "op=Exists"
        if tol.get("tolerationSeconds") is not None:
            text += f" for {tol['tolerationSeconds']}s"
        w.write(0, text + "\n")


def taints_multiline(w: PrefixWriter, title: str, taints: list | None) -> None:
    w.write(0, f"{title}:\t")
    if not taints:
        w.line("<none>")
        return
    ordered = sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    for i, taint in enumerate(ordered):
        if i:
            w.write(0, "\t")
        value = f"={taint['value']}" if taint.get("value") else ""
        w.write(0, f"{taint.get('key', '')}{value}:{taint.get('effect', '')}\n")


# -- containers -------------------------------------------------------------
def describe_containers(
    w: PrefixWriter, label: str, containers: list | None, statuses: list | None, space: str = ""
) -> None:
    containers = containers or []
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    for container in containers:
        status = by_name.get(container.get("name"))
        _basic_info(w, container, status, space)
        _command(w, container)
        if status is not None:
            _state(w, "State", status.get("state") or {})
            if (status.get("lastState") or {}).get("terminated"):
                _state(w, "Last State", status["lastState"])
            w.write(2, f"Ready:\t{'True' if status.get('ready') else 'False'}\n")
            w.write(2, f"Restart Count:\t{status.get('restartCount', 0)}\n")
        describe_resources(w, container.get("resources") or {}, 2)
        _probes(w, container)
        _env(w, container)
        _mounts(w, container)


def _basic_info(w: PrefixWriter, container: dict, status: dict | None, space: str) -> None:
    w.write(1, f"{' ' if space else ''}{container.get('name', '')}:\n")
    if status is not None:
        w.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
    w.write(2, f"Image:\t{container.get('image', '')}\n")
    if status is not None:
        w.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
    ports = container.get("ports") or []
    port_text = ", ".join(f"{p.get('containerPort', 0)}/{p.get('protocol', '')}" for p in ports)
    host_text = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol', '')}" for p in ports)
    w.write(2, f"Ports:\t{port_text}\n" if "," in port_text else f"Port:\t{port_text or '<none>'}\n")
    w.write(2, f"Host Ports:\t{host_text}\n" if "," in host_text else f"Host Port:\t{host_text or '<none>'}\n")


def _command(w: PrefixWriter, container: dict) -> None:
    for title, key in (("Command", "command"), ("Args", "args")):
        if container.get(key):
            w.write(2, f"{title}:\n")
            for word in container[key]:
                for part in str(word).split("\n"):
                    w.write(3, f"{part}\n")


def _state(w: PrefixWriter, title: str, state: dict) -> None:
    if state.get("running") is not None:
        w.write(2, f"{title}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(state['running'].get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{title}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        done = state["terminated"]
        w.write(2, f"{title}:\tTerminated\n")
        if done.get("reason"):
            w.write(3, f"Reason:\t{done['reason']}\n")
        if done.get("message"):
            w.write(3, f"Message:\t{done['message']}\n")
        w.write(3, f"Exit Code:\t{done.get('exitCode', 0)}\n")
        if done.get("signal", 0) > 0:
            w.write(3, f"Signal:\t{done['signal']}\n")
        w.write(3, f"Started:\t{rfc1123z(done.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{rfc1123z(done.get('finishedAt'))}\n")
    else:
        w.write(2, f"{title}:\tWaiting\n")


def describe_resources(w: PrefixWriter, resources: dict, level: int) -> None:
    for title, key in (("Limits", "limits"), ("Requests", "requests")):
        values = resources.get(key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{values[name]}\n")


def _probes(w: PrefixWriter, container: dict) -> None:
    for title, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"), ("Startup", "startupProbe")):
        if container.get(key):
            w.write(2, f"{title}:\t{describe_probe(container[key])}\n")


def describe_probe(probe: dict) -> str:
    attrs = (
        f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s "
        f"period={probe.get('periodSeconds', 10)}s #success={probe.get('successThreshold', 1)} "
        f"#failure={probe.get('failureThreshold', 3)}"
    )
    if probe.get("exec"):
        return f"exec {probe['exec'].get('command', [])} {attrs}".replace("'", "").replace(",", "")
    if probe.get("httpGet"):
        get = probe["httpGet"]
        scheme = get.get("scheme", "HTTP").lower()
        host = get.get("host", "")
        return f"http-get {scheme}://{host}:{get.get('port')}{get.get('path', '')} {attrs}"
    if probe.get("tcpSocket"):
        return f"tcp-socket {probe['tcpSocket'].get('host', '')}:{probe['tcpSocket'].get('port')} {attrs}"
    if probe.get("grpc"):
        return f"grpc <pod>:{probe['grpc'].get('port')} {probe['grpc'].get('service', '')} {attrs}"
    return f"unknown {attrs}"


def _env(w: PrefixWriter, container: dict) -> None:
    env = container.get("env") or []
    w.write(2, f"Environment:{'' if env else chr(9) + '<none>'}\n")
    for item in env:
        source = item.get("valueFrom")
        if source is None:
            for i, part in enumerate(str(item.get("value", "")).split("\n")):
                w.write(3, f"{item['name']}:\t{part}\n" if i == 0 else f"\t{part}\n")
        elif source.get("fieldRef"):
            ref = source["fieldRef"]
            w.write(3, f"{item['name']}:\t ({ref.get('apiVersion', '')}:{ref.get('fieldPath', '')})\n")
        elif source.get("resourceFieldRef"):
            w.write(3, f"{item['name']}:\t ({source['resourceFieldRef'].get('resource', '')})\n")
        elif source.get("secretKeyRef"):
            ref = source["secretKeyRef"]
            w.write(
                3,
                f"{item['name']}:\t<set to the key '{ref.get('key')}' in secret '{ref.get('name')}'>\t"
                f"Optional: {go_bool(ref.get('optional'))}\n",
            )
        elif source.get("configMapKeyRef"):
            ref = source["configMapKeyRef"]
            w.write(
                3,
                f"{item['name']}:\t<set to the key '{ref.get('key')}' of config map '{ref.get('name')}'>\t"
                f"Optional: {go_bool(ref.get('optional'))}\n",
            )


def _mounts(w: PrefixWriter, container: dict) -> None:
    mounts = container.get("volumeMounts") or []
    w.write(2, f"Mounts:{'' if mounts else chr(9) + '<none>'}\n")
    for mount in sorted(mounts, key=lambda m: m.get("mountPath", "")):
        flags = ["ro" if mount.get("readOnly") else "rw"]
        if mount.get("subPath"):
            flags.append(f'path="{mount["subPath"]}"')
        w.write(3, f"{mount.get('mountPath')} from {mount.get('name')} ({','.join(flags)})\n")


# -- volumes and the pod template ------------------------------------------
VOLUME_LINES = {
    "hostPath": lambda v: (
        "HostPath (bare host directory volume)",
        [("Path", v.get("path", "")), ("HostPathType", v["type"] if v.get("type") is not None else "<none>")],
    ),
    "emptyDir": lambda v: (
        "EmptyDir (a temporary directory that shares a pod's lifetime)",
        [("Medium", v.get("medium", "")), ("SizeLimit", v.get("sizeLimit") or "<unset>")],
    ),
    "secret": lambda v: (
        "Secret (a volume populated by a Secret)",
        [("SecretName", v.get("secretName", "")), ("Optional", go_bool(v.get("optional")))],
    ),
    "configMap": lambda v: (
        "ConfigMap (a volume populated by a ConfigMap)",
        [("Name", v.get("name", "")), ("Optional", go_bool(v.get("optional")))],
    ),
    "persistentVolumeClaim": lambda v: (
        "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
        [("ClaimName", v.get("claimName", "")), ("ReadOnly", go_bool(v.get("readOnly")))],
    ),
    "projected": lambda v: (
        "Projected (a volume that contains injected data from multiple sources)",
        _projected_sources(v),
    ),
}


def _optional_pointer(value: object) -> str:
    """A *bool printed with %v: <nil> when unset (kubectl would print the pointer's address otherwise)."""
    return "<nil>" if value is None else go_bool(value)


def _projected_sources(volume: dict) -> list[tuple[str, object]]:
    """printProjectedVolumeSource: one or two lines per source, in the volume's order."""
    lines: list[tuple[str, object]] = []
    for source in volume.get("sources") or []:
        if source.get("secret") is not None:
            lines += [
                ("SecretName", source["secret"].get("name", "")),
                ("SecretOptionalName", _optional_pointer(source["secret"].get("optional"))),
            ]
        elif source.get("downwardAPI") is not None:
            lines.append(("DownwardAPI", "true"))
        elif source.get("configMap") is not None:
            lines += [
                ("ConfigMapName", source["configMap"].get("name", "")),
                ("ConfigMapOptional", _optional_pointer(source["configMap"].get("optional"))),
            ]
        elif source.get("serviceAccountToken") is not None:
            lines.append(("TokenExpirationSeconds", source["serviceAccountToken"].get("expirationSeconds", 3600)))
    return lines


def describe_volumes(w: PrefixWriter, volumes: list | None, space: str = "") -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for volume in volumes:
        w.write(1, f"{' ' if space else ''}{volume.get('name')}:\n")
        kind = next((k for k in VOLUME_LINES if volume.get(k) is not None), None)
        if kind is None:
            w.write(2, "<unknown>\n")
            continue
        title, fields = VOLUME_LINES[kind](volume[kind])
        w.write(2, f"Type:\t{title}\n" + "".join(f"    {name}:\t{value}\n" for name, value in fields))


def describe_pod_template(w: PrefixWriter, template: dict | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    labels_multiline(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        annotations_multiline(w, "  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        describe_containers(w, "Init Containers", spec["initContainers"], None, "  ")
    describe_containers(w, "Containers", spec.get("containers"), None, "  ")
    describe_volumes(w, spec.get("volumes"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    tolerations_multiline(w, "  Tolerations", spec.get("tolerations"))  # printPodTolerationsMultiline


# -- events -----------------------------------------------------------------
def describe_events(w: PrefixWriter, events: list[dict] | None, now: dt.datetime) -> None:
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.flush()
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for event in sorted(events, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or ""):
        first = human_duration(now, event.get("eventTime") or event.get("firstTimestamp"))
        series = event.get("series")
        if series:
            interval = f"{human_duration(now, series.get('lastObservedTime'))} (x{series.get('count')} over {first})"
        elif event.get("count", 1) > 1:
            interval = f"{human_duration(now, event.get('lastTimestamp'))} (x{event['count']} over {first})"
        else:
            interval = first
        source = (event.get("source") or {}).get("component") or event.get("reportingComponent", "")
        w.write(
            1,
            f"{event.get('type', '')}\t{event.get('reason', '')}\t{interval}\t{source}\t"
            f"{str(event.get('message', '')).strip()}\n",
        )


def events_for(api: APIServer, obj: dict) -> list[dict]:
    """searchEvents: the core/v1 Events whose involvedObject is this object (by name, namespace, uid)."""
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    listed = api.list("events", namespace)["items"]
    uid, kind = meta.get("uid"), obj.get("kind")
    found = []
    for event in listed:
        ref = event.get("involvedObject") or {}
        if ref.get("name") != meta.get("name") or (ref.get("kind") and kind and ref["kind"] != kind):
            continue
        if ref.get("uid") and uid and ref["uid"] != uid and ref["uid"] != meta.get("name"):
            continue
        found.append(event)
    return found
