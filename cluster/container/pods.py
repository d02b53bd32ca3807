"""A pod's containers as the runtime keeps them: their records, their processes at a given moment, their servers.

The node's container runtime record (RuntimeState scope `node`, cluster/runtime.py)
holds each container's process state as of the kubelet's last sync. The state at a
later moment is a pure function of it: run the processes forward on the virtual
clock (cluster/container/shell.py). The kubelet does that and saves the result;
readers — `kubectl logs`, `kubectl exec`, a request to a server — do it on a copy
and save nothing (their own writes, such as an exec's `touch`, go to the filesystem
rows, which are shared). The containers of one pod are run together in time order,
so a file one writes to a shared volume is there for the other.
"""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from cluster import dns, quantity
from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.container import limits, logs, programs_http, shell
from cluster.container.context import Names, make_host
from cluster.container.shell import Host
from cluster.models import Cluster, RuntimeState

TRAFFIC_AGENT = "kubeclass-traffic-panel"  # the dashboard's traffic panel, not a real client program


def pod_containers(pod: dict) -> list[dict]:
    """The pod's init containers (sidecars among them), its containers and its ephemeral containers: every one
    that can run."""
    spec = pod.get("spec") or {}
    return [c for key in ("initContainers", "containers", "ephemeralContainers") for c in spec.get(key) or []]


def node_data(cluster: Cluster, node: str) -> dict:
    """The node's runtime record as last saved (read-only)."""
    row = RuntimeState.objects.filter(cluster=cluster, scope="node", name=node).values_list("data", flat=True).first()
    return row or {}


def names_of(uid: str, container: str, record: dict) -> Names:
    return Names(uid, container, int(record.get("attempt", 0)))


@dataclass
class Running:
    """One container's process, advanced to a moment."""

    spec: dict
    record: dict
    state: dict
    host: Host
    output: list = field(default_factory=list)


def run_pod(
    api: APIServer, pod: dict, records: dict[str, dict], until: float, dry: bool, node: dict | None, steps: bool = False
) -> dict[str, Running]:
    """Advance the pod's running processes to `until`. Not dry: their records, files and logs are saved."""
    from cluster.container.net import Net

    uid = pod["metadata"]["uid"]
    runs: dict[str, Running] = {}
    budget = [shell.BUDGET]
    layers: dict = {}  # one object per volume, so what one container writes the others read
    for spec in pod_containers(pod):
        record = records.get(spec["name"])
        if not record or record.get("state") != "running" or not record.get("proc"):
            continue
        state = record["proc"] if not dry else copy.deepcopy(record["proc"])
        if shell.next_time(state) > until and (state.get("block") or {}).get("kind") != "tail":
            continue
        host = make_host(api, pod, spec, names_of(uid, spec["name"], record), node, dry=dry, layers=layers)
        host.budget = budget
        host.net = Net(
            api,
            host.namespace,
            f"{host.namespace}/{pod['metadata']['name']}",
            host.pod_ip,
            steps=steps,
            record=not dry,
            resolver=dns.pod_dns(pod),
        )
        runs[spec["name"]] = Running(spec, record, state, host)
    if not runs:
        return runs
    behind = until - min(float(r.state["t"]) for r in runs.values())  # since the processes last ran
    budget[0] = limits.budget_for(behind, shell.BUDGET)
    shell.advance_all([(r.state, r.host) for r in runs.values()], until)
    for run in runs.values():
        run.output, run.host.out = run.host.out, []
        if not dry:
            run.host.fs.save()
            logs.append(api.cluster, names_of(uid, run.spec["name"], run.record).key, run.output)
    return runs


# -- servers answering requests ------------------------------------------------------------------------
class Answer(NamedTuple):
    """A server's answer to one request, and the seconds it took to give it."""

    status: int | None  # None: not an HTTP server
    body: str
    seconds: float
    cpu: int  # millicore-seconds the server burned on it


def serving_seconds(spec: dict, block: dict) -> float:
    """How long the server in container `spec` works on one request: its CPU cost at the speed the container's
    CPU limit allows (one request runs on one thread, so at most one core)."""
    cost = programs_http.request_cpu(block)
    if not cost:
        return 0.0
    limit = ((spec.get("resources") or {}).get("limits") or {}).get("cpu")
    try:
        cores = min(1000, quantity.millicores(limit)) if limit is not None else 1000
    except ValueError:
        cores = 1000
    return cost / max(cores, 1)


def http(
    api: APIServer,
    namespace: str,
    pod_key: str,
    port: int,
    path: str,
    client: str,
    agent: str,
    t: float,
    log_request: bool = True,
    own: tuple[str, object] | None = None,
) -> Answer:
    """A request to a pod's port: the server's answer, or net.Refused when nothing listens there. `own`: a
    container of the pod and its files as the asking process sees them (not yet saved)."""
    from cluster.container.net import Refused

    ns, _, name = pod_key.partition("/")
    try:
        pod = api.get("pods", ns or namespace, name)
    except StatusError:
        raise Refused(pod_key) from None
    found = listener(api, pod, port, t)
    if found is None:
        raise Refused(pod_key)
    spec, record, block, host = found
    files = own[1] if own is not None and own[0] == spec["name"] else host.fs
    status, body = programs_http.respond(block, path, files, t, host.hostname, client, agent)
    if log_request and status is not None:
        line = programs_http.access_line(block, t, client, path, status, len(body.encode()), agent)
        if line is not None:
            key = names_of(pod["metadata"]["uid"], spec["name"], record).key
            logs.append(api.cluster, key, [[t, line[0], line[1] + "\n"]])
    return Answer(status, body, serving_seconds(spec, block), programs_http.request_cpu(block))


_asking: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("asking", default=frozenset())


def listener(api: APIServer, pod: dict, port: int, t: float) -> tuple[dict, dict, dict, Host] | None:
    """(container spec, record, server, host) of the process listening on `port` in the pod at time t."""
    node = (pod.get("spec") or {}).get("nodeName", "")
    data = node_data(api.cluster, node) if node else {}
    uid = pod["metadata"]["uid"]
    records = {c["name"]: (data.get("containers") or {}).get(f"{uid}/{c['name']}") for c in pod_containers(pod)}
    runs: dict = {}
    if uid not in _asking.get():
        # Bring the pod's processes up to t, which may run a container's own request to the pod (a sidecar's
        # `wget localhost`): that inner request sees the processes as last recorded instead of running them
        # again, which would recurse without end.
        asking = _asking.set(_asking.get() | {uid})
        try:
            runs = run_pod(api, pod, {k: v for k, v in records.items() if v}, t, dry=True, node=None)
        finally:
            _asking.reset(asking)
    for spec in pod_containers(pod):
        record = records.get(spec["name"])
        if not record or record.get("state") != "running" or not record.get("proc"):
            continue
        state = runs[spec["name"]].state if spec["name"] in runs else record["proc"]
        if state.get("exit") is not None:
            continue
        block = (state.get("listen") or {}).get(str(port))
        if block is not None:
            host = (
                runs[spec["name"]].host
                if spec["name"] in runs
                else make_host(api, pod, spec, names_of(uid, spec["name"], record), None, dry=True)
            )
            return spec, record, block, host
    return None


def moment(value: str | float | None) -> float:
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    return dt.datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc).timestamp()


def deliver(api: APIServer, traffic: object) -> None:
    """Requests sent through kube-proxy from outside any pod (the traffic panel): each endpoint's server
    answers `GET /` and logs one access line per request. Their source is the node's bridge address, as
    traffic that kube-proxy masquerades arrives."""
    by_pod: dict[tuple[str, str, int], int] = {}
    namespace = traffic.service.partition("/")[0]  # type: ignore[attr-defined]
    for hop in traffic.hops:  # type: ignore[attr-defined]
        address, _, number = hop["endpoint"].rpartition(":")
        by_pod[(hop["pod"], address, int(number))] = by_pod.get((hop["pod"], address, int(number)), 0) + 1
    t = api.now().timestamp()
    for (name, address, number), count in by_pod.items():
        try:
            pod = api.get("pods", namespace, name)
        except StatusError:
            continue
        found = listener(api, pod, number, t)
        if found is None:
            continue
        spec, record, block, host = found
        client = address.rsplit(".", 1)[0] + ".1"
        status, body = programs_http.respond(block, "/", host.fs, t, host.hostname, client, TRAFFIC_AGENT)
        line = (
            programs_http.access_line(block, t, client, "/", status or 0, len(body.encode()), TRAFFIC_AGENT)
            if status is not None
            else None
        )
        if line is not None:
            entry = [t, line[0], line[1] + "\n"]
            logs.append(
                api.cluster,
                names_of(pod["metadata"]["uid"], spec["name"], record).key,
                [entry] * min(count, logs.MAX_LINES),
            )
