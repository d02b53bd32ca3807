"""Step events: every hop a request sets off, recorded so the dashboard can show it.

In Kubernetes these hops are real network calls — kubectl's HTTP request to
kube-apiserver, kube-apiserver's gRPC write to etcd, the watch stream to each
informer, the kubelet's CRI calls to containerd. kubeclass runs them in one
process, so this module writes each one down as a `StepEvent`: who → whom,
the verb, the object, the etcd key and revision, a translatable explanation
(a message id and its parameters) and the object's diff.

Hops are buffered per APIServer and written in one insert together with the
etcd write they belong to (inside the same transaction, so a rolled-back
request leaves no step behind). Recording can be turned off for a process
with KUBECLASS_STEP_EVENTS=0 (the benchmarks) or for one APIServer with
`disable(api)`.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection, transaction

from cluster import notify
from cluster.korean import format_map as korean_format
from cluster.models import Cluster, ReconcilerLease, StepEvent
from cluster.steps_workloads import MESSAGES as WORKLOAD_MESSAGES

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer

APISERVER = "kube-apiserver"
ETCD = "etcd"
RUNTIME = "containerd"
MAX_DIFF_ENTRIES = 40
MAX_VALUE_CHARS = 80
HTTP_VERBS = {"create": "POST", "update": "PUT", "patch": "PATCH", "delete": "DELETE"}

# message id → (English, Korean); parameters are filled in with str.format. In the Korean templates a
# field may carry a particle pair, "{source:이/가}", "{key:을/를}": cluster.korean picks the shape that
# fits how the filled-in name ends (kubelet/worker-1이, kube-apiserver가).
MESSAGES: dict[str, tuple[str, str]] = {
    "request.create": ("{source} asks kube-apiserver to create {object}; it is authenticated, defaulted, "
                       "admitted and validated first.",
                       "{source:이/가} kube-apiserver에 {object} 생성을 요청합니다. 요청은 먼저 인증, 기본값 적용, "
                       "어드미션, 검증을 거칩니다."),
    "request.update": ("{source} sends kube-apiserver a new version of {object}.",
                       "{source:이/가} kube-apiserver에 {object}의 새 버전을 보냅니다."),
    "request.patch": ("{source} asks kube-apiserver to patch {object}.",
                      "{source:이/가} kube-apiserver에 {object} 패치를 요청합니다."),
    "request.delete": ("{source} asks kube-apiserver to delete {object}.",
                       "{source:이/가} kube-apiserver에 {object} 삭제를 요청합니다."),
    "request.binding": ("{source} binds {object} to a node: a POST to the pod's binding subresource sets "
                        "spec.nodeName.",
                        "{source:이/가} {object:을/를} 노드에 바인딩합니다. 포드의 binding 하위 리소스에 POST하면 "
                        "spec.nodeName이 정해집니다."),
    "etcd.put": ("kube-apiserver stores {key} in etcd; the cluster's revision becomes {revision}.",
                 "kube-apiserver가 {key:을/를} etcd에 저장합니다. 클러스터의 리비전은 {revision:이/가} 됩니다."),
    "etcd.delete": ("kube-apiserver deletes {key} from etcd at revision {revision}.",
                    "kube-apiserver가 etcd에서 {key:을/를} 삭제합니다. 이때 리비전은 {revision}입니다."),
    "watch.ADDED": ("kube-apiserver tells {target}, which watches {resource}, that {object} was added.",
                    "{resource:을/를} 감시(watch)하는 {target}에 kube-apiserver가 {object:이/가} 추가되었다고 "
                    "알립니다."),
    "watch.MODIFIED": ("kube-apiserver tells {target}, which watches {resource}, that {object} changed.",
                       "{resource:을/를} 감시(watch)하는 {target}에 kube-apiserver가 {object:이/가} 바뀌었다고 "
                       "알립니다."),
    "watch.DELETED": ("kube-apiserver tells {target}, which watches {resource}, that {object} was deleted.",
                      "{resource:을/를} 감시(watch)하는 {target}에 kube-apiserver가 {object:이/가} 삭제되었다고 "
                      "알립니다."),
    "cri.RunPodSandbox": ("The kubelet on {node} asks the container runtime for the pod's sandbox: its "
                          "network namespace and IP {ip}.",
                          "{node}의 kubelet이 컨테이너 런타임에 포드 샌드박스(네트워크 네임스페이스와 IP {ip})를 "
                          "요청합니다."),
    "cri.PullImage": ("The kubelet on {node} asks the container runtime to pull image {image}.",
                      "{node}의 kubelet이 컨테이너 런타임에 이미지 {image:을/를} 받아 오라고 요청합니다."),
    "cri.CreateContainer": ("The kubelet on {node} asks the container runtime to create container {container}.",
                            "{node}의 kubelet이 컨테이너 런타임에 컨테이너 {container} 생성을 요청합니다."),
    "cri.StartContainer": ("The kubelet on {node} asks the container runtime to start container {container}.",
                           "{node}의 kubelet이 컨테이너 런타임에 컨테이너 {container} 시작을 요청합니다."),
    "cri.StopContainer": ("The kubelet on {node} asks the container runtime to stop container {container} "
                          "(SIGTERM, then SIGKILL after {grace}s).",
                          "{node}의 kubelet이 컨테이너 런타임에 컨테이너 {container} 중지를 요청합니다"
                          "(먼저 SIGTERM, {grace}초 뒤에 SIGKILL)."),
    "cri.StopPodSandbox": ("The kubelet on {node} asks the container runtime to tear down the pod's sandbox.",
                           "{node}의 kubelet이 컨테이너 런타임에 포드 샌드박스 정리를 요청합니다."),
    "proxy.traffic": ("{client} connects to {service} at {vip}; kube-proxy's rule {rule} sends the connection "
                      "to {endpoint} (pod {pod} on {node}).",
                      "{client:이/가} {vip}에 있는 {service}에 연결합니다. kube-proxy 규칙 {rule}에 따라 이 연결은 "
                      "{endpoint:으로/로} 갑니다(노드 {node}의 포드 {pod})."),
    "proxy.refused": ("{client} connects to {service} at {vip}; the Service has no ready endpoint, so "
                      "kube-proxy's rules reject the connection.",
                      "{client:이/가} {vip}에 있는 {service}에 연결하려 하지만, 준비된 엔드포인트가 없어서 "
                      "kube-proxy 규칙이 연결을 거부합니다."),
    "proxy.rules": ("kube-proxy on {node} rewrites its rules for {object}: {detail}",
                    "{node}의 kube-proxy가 {object}에 대한 규칙을 다시 씁니다: {detail}"),
    # A workload controller's reason for its request (`because`), in place of the generic request text.
    **WORKLOAD_MESSAGES,
}


def enabled() -> bool:
    return os.environ.get("KUBECLASS_STEP_EVENTS", "1") not in ("0", "false", "no")


@dataclass
class Hop:
    source: str
    target: str
    verb: str
    object: str
    message_id: str
    params: dict
    key: str = ""
    revision: int | None = None
    diff: list = field(default_factory=list)


class Recorder:
    """The step log of one APIServer instance: buffers hops, writes them with the next etcd write."""

    def __init__(self, api: APIServer) -> None:
        self.api = api
        self.buffer: list[Hop] = []
        self.enabled = True
        # In-process components probe (update, then create on 404) and repeat idempotent writes;
        # their requests that wrote nothing are left out. A user's rejected request is kept.
        self.elide_unwritten = api.hooks.elide_unwritten
        self.reason: tuple[str, dict] | None = None  # why a controller sends its next request (`because`)

    @property
    def source(self) -> str:
        host = self.api.hooks.host
        return f"{self.api.client}/{host}" if host else self.api.client

    def observe(self, kind: str, detail: dict) -> None:
        if not self.enabled:
            return
        if kind == "request":
            if self.elide_unwritten and self.buffer and self.buffer[-1].message_id.startswith("request."):
                self.buffer.pop()  # a component's request that changed nothing (a no-op or a 404 probe)
            hop = request_hop(self.source, detail)
            if self.reason is not None:
                hop.message_id, extra = self.reason
                hop.params = {**hop.params, **extra}
                self.reason = None
            self.buffer.append(hop)
        elif kind == "write":
            write = write_hop(detail)
            if self.buffer and self.buffer[-1].message_id.startswith("request.") and \
                    self.buffer[-1].verb == "POST" and self.buffer[-1].object.endswith("-"):
                self.buffer[-1].object = self.buffer[-1].params["object"] = write.object  # generateName
            self.buffer.append(write)
            self.flush()
        elif kind == "traffic":
            self.buffer.append(traffic_hop(detail))
            self.flush()

    def hop(self, hop: Hop) -> None:
        if self.enabled:
            self.buffer.append(hop)

    def flush(self) -> None:
        if self.elide_unwritten and self.buffer and self.buffer[-1].message_id.startswith("request."):
            self.buffer.pop()
        if not self.buffer:
            return
        hops, self.buffer = self.buffer, []
        write_hops(self.api.cluster, self.api.now(), hops)


_STEP_TABLE = StepEvent._meta.db_table
_COLUMNS = "cluster_id, seq, time, source, target, verb, object, key, revision, message_id, params, diff"
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def write_hops(cluster: Cluster, moment: dt.datetime, hops: list[Hop]) -> None:
    """Append hops with the next sequence numbers; raw SQL, as this runs with every API write."""
    jsonb = "::jsonb" if connection.vendor == "postgresql" else ""
    when = connection.ops.adapt_datetimefield_value(moment)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # SQLite's IMMEDIATE transactions are serialized already
            cursor.execute("SELECT id FROM cluster_cluster WHERE id = %s FOR UPDATE", [cluster.pk])
        cursor.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {_STEP_TABLE} WHERE cluster_id = %s", [cluster.pk])
        (last,) = cursor.fetchone()
        cursor.executemany(
            f"INSERT INTO {_STEP_TABLE} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            f"%s{jsonb}, %s{jsonb})",
            [(cluster.pk, last + i, when, h.source, h.target, h.verb, h.object[:400], h.key[:400], h.revision,
              h.message_id, _dumps(h.params), _dumps(h.diff)) for i, h in enumerate(hops, start=1)])
    notify.cluster_changed(cluster.pk)


def recorder_of(api: APIServer) -> Recorder | None:
    """The API server's step recorder (it makes one when step events are on), unless disabled."""
    recorder = api.recorder
    return recorder if recorder is not None and recorder.enabled else None


def record(api: APIServer, hop: Hop) -> None:
    """Add a hop that is not an API request (a watch delivery, a CRI call, a kube-proxy rule update)."""
    recorder = recorder_of(api)
    if recorder is not None:
        recorder.hop(hop)


def because(api: APIServer, message_id: str, **params: object) -> None:
    """Explain the component's next request with `message_id` (a controller's reason) instead of the generic text."""
    recorder = recorder_of(api)
    if recorder is not None:
        recorder.reason = (message_id, {k: str(v) for k, v in params.items()})


def flush(api: APIServer) -> None:
    recorder = recorder_of(api)
    if recorder is not None:
        recorder.flush()


def disable(api: APIServer) -> None:
    recorder = api.recorder
    if recorder is not None:
        recorder.enabled = False
        recorder.buffer.clear()


# -- building hops ------------------------------------------------------------
def object_ref(resource: str, namespace: str, name: str, subresource: str = "") -> str:
    ref = f"{resource}/{namespace}/{name}" if namespace else f"{resource}/{name}"
    return f"{ref}/{subresource}" if subresource else ref


def request_hop(source: str, detail: dict) -> Hop:
    rt, verb, sub = detail["resource"], detail["verb"], detail["subresource"]
    ref = object_ref(rt.plural, detail["namespace"] if rt.namespaced else "", detail["name"], sub)
    if sub == "binding":  # the sentence names the pod being bound, not its subresource
        pod = object_ref(rt.plural, detail["namespace"], detail["name"])
        return Hop(source, APISERVER, HTTP_VERBS[verb], ref, "request.binding", {"source": source, "object": pod})
    return Hop(source, APISERVER, HTTP_VERBS[verb], ref, f"request.{verb}", {"source": source, "object": ref})


def write_hop(detail: dict) -> Hop:
    rt, key, revision = detail["resource"], detail["key"], detail["revision"]
    deleting = detail["object"] is None
    obj = detail["old"] if deleting else detail["object"]
    meta = obj.get("metadata", {}) if obj else {}
    ref = object_ref(rt.plural, meta.get("namespace", ""), meta.get("name", ""))
    return Hop(APISERVER, ETCD, "DELETE" if deleting else "PUT", ref, "etcd.delete" if deleting else "etcd.put",
               {"key": key, "revision": revision}, key=key, revision=revision,
               diff=diff(detail["old"], detail["object"]))


def watch_hop(target: str, resource: str, event_type: str, obj: dict, revision: int) -> Hop:
    meta = obj.get("metadata", {})
    ref = object_ref(resource, meta.get("namespace", ""), meta.get("name", ""))
    return Hop(APISERVER, target, event_type, ref, f"watch.{event_type}",
               {"target": target, "resource": resource, "object": ref}, revision=revision)


def traffic_hop(detail: dict) -> Hop:
    """One simulated connection through kube-proxy's rules (reported by cluster/proxy.py)."""
    params = {k: str(v) for k, v in detail.items() if v is not None}
    message_id = "proxy.traffic" if detail.get("endpoint") else "proxy.refused"
    return Hop(str(detail.get("client", "client")), f"pod/{detail.get('pod') or detail.get('endpoint')}",
               "CONNECT", f"services/{detail.get('service', '')}", message_id, params)


def runtime_hop(node: str, call: str, ref: str, **params: object) -> Hop:
    return Hop(f"kubelet/{node}", f"{RUNTIME}/{node}", call, ref, f"cri.{call}",
               {"node": node, "object": ref, **{k: str(v) for k, v in params.items()}})


# -- diffs --------------------------------------------------------------------
_IGNORED = {"metadata.resourceVersion", "metadata.managedFields"}


def _flatten(value: object, prefix: str, out: dict[str, object]) -> None:
    if isinstance(value, dict) and value:
        for k in sorted(value):
            _flatten(value[k], f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            _flatten(item, f"{prefix}[{i}]", out)
    elif prefix and prefix not in _IGNORED:
        out[prefix] = value


def _short(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"


def diff(old: dict | None, new: dict | None) -> list[dict]:
    """The changed leaf paths, old → new (at most MAX_DIFF_ENTRIES, in path order)."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    _flatten(old or {}, "", before)
    _flatten(new or {}, "", after)
    changed = [p for p in sorted(set(before) | set(after)) if before.get(p, None) != after.get(p, None)]
    return [{"path": p, "old": _short(before.get(p)), "new": _short(after.get(p))}
            for p in changed[:MAX_DIFF_ENTRIES]]


# -- reading ------------------------------------------------------------------
def explain(step: StepEvent, lang: str = "en") -> str:
    english, korean = MESSAGES.get(step.message_id, ("{object}", "{object}"))
    values = _Defaulting(step.params, step)
    try:
        if lang.startswith("ko"):
            return korean_format(korean, values)
        return english.format_map(values)
    except (KeyError, ValueError, IndexError):
        return english


class _Defaulting(dict):
    def __init__(self, params: dict, step: StepEvent) -> None:
        super().__init__({"source": step.source, "target": step.target, "object": step.object, **params})

    def __missing__(self, key: str) -> str:
        return ""


def component_id(name: str) -> str:
    """A stable id for the dashboard's boxes: `kubelet/worker-1` → `kubelet-worker-1`."""
    return name.replace("/", "-")


def as_dict(step: StepEvent, lang: str = "en") -> dict:
    return {"seq": step.seq, "time": step.time.isoformat(), "from": step.source, "to": step.target,
            "from_id": component_id(step.source), "to_id": component_id(step.target), "verb": step.verb,
            "object": step.object, "key": step.key, "revision": step.revision,
            "explanation": explain(step, lang), "message_id": step.message_id, "params": step.params,
            "diff": step.diff}


def visible_until(cluster: Cluster) -> int | None:
    """In step mode the dashboard sees steps only up to the last one revealed by "next"."""
    lease = ReconcilerLease.objects.filter(cluster=cluster).values_list("mode", "revealed_seq").first()
    if lease and lease[0] == "step":
        return lease[1]
    return None


def since(cluster: Cluster, last_seq: int, limit: int = 200, lang: str = "en") -> list[dict]:
    """Step events after `last_seq`, oldest first, as the dashboard renders them."""
    rows = StepEvent.objects.filter(cluster=cluster, seq__gt=last_seq)
    until = visible_until(cluster)
    if until is not None:
        rows = rows.filter(seq__lte=until)
    return [as_dict(s, lang) for s in rows.order_by("seq")[:limit]]


def history(cluster: Cluster) -> list[tuple]:
    """Every step as a comparable tuple (what a replay must reproduce)."""
    return list(StepEvent.objects.filter(cluster=cluster).order_by("seq").values_list(
        "seq", "source", "target", "verb", "object", "key", "revision", "message_id"))


def prune(cluster: Cluster, compacted: int) -> int:
    """Forget the steps of writes older than `compacted` (and the hops around them), with the history."""
    first_kept = (StepEvent.objects.filter(cluster=cluster, revision__gt=compacted).order_by("seq")
                  .values_list("seq", flat=True).first())
    if first_kept is None:
        return 0
    removed, _ = StepEvent.objects.filter(cluster=cluster, seq__lt=first_kept).delete()
    return removed
