"""Running the probes of one pod during a kubelet sync (the prober's workers, pkg/kubelet/prober/worker.go).

The rules are cluster/kubelet_probes.py's; this runs them against the pod as the
runtime has it at each moment a probe is due: the pod's processes are advanced to
that moment first (PodSync.catch_up), so `cat /tmp/healthy` at second 35 sees the file
the script removed at second 30. A failure decided at a moment kills the container
then, not when the kubelet happened to look.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import TYPE_CHECKING, Iterator

from cluster import kubelet_probes as probes
from cluster.container import commands, programs_http, shell
from cluster.container.context import Names, make_host
from cluster.events import NORMAL
from cluster.registry import image_config

if TYPE_CHECKING:
    from cluster.kubelet_pods import PodSync

MAX_ROUNDS = 500
# Servers whose answer changes with time (agnhost's liveness) or with the files they serve (which a
# `kubectl exec` can change behind the kubelet's back): their probes run at every period.
FILE_SERVERS = frozenset({"agnhost-liveness", "nginx", "httpd", "apache", "busybox-httpd", "python-http"})


class Checker:
    def __init__(self, sync: PodSync) -> None:
        self.sync = sync
        self.specs = {c["name"]: c for c in sync.all_specs()}  # ephemeral ones too: no probes, but a network

    # -- when ---------------------------------------------------------------------------
    def active(self, record: dict, spec: dict) -> list[str]:
        """The probes the worker runs now: startup until it succeeds, then liveness and readiness."""
        if record.get("state") != "running" or record.get("stopping"):
            return []
        kinds = [k for k in probes.KINDS if probes.probe_of(spec, k)]
        if "startup" in kinds and probes.result(record, "startup") is not True:
            return ["startup"]
        return [k for k in kinds if k != "startup"]

    def next_check(self, record: dict, spec: dict, kind: str, now: float) -> float | None:
        probe = probes.probe_of(spec, kind)
        state = (record.get("probes") or {}).get(kind) or {}
        if probe is None or state.get("hold"):
            return None
        started, last = self.started(record), state.get("last")
        catch_up_from = now - probes.MAX_CATCH_UP * probes.period(probe)
        after = max(last if last is not None else -math.inf, catch_up_from)
        steady = (
            state.get("result") is True
            and not state.get("fails")
            and not state.get("volatile")
            and not self.faulted(kind)
        )
        if steady:
            moments = probes.times(probe, started, after, now)
            return moments[-1] if moments else None
        return probes.next_time(probe, started, after if after > -math.inf else started - 1e-9)

    def due(self, records: dict[str, dict], now: float) -> Iterator[float]:
        """The moments up to `now` at which a probe is due, earliest first; computed one at a time,
        since each check can change what is due next (a startup probe's success starts liveness)."""
        for _ in range(MAX_ROUNDS):
            moment = self.next_due(records, now)
            if moment is None:
                return
            yield moment

    def next_due(self, records: dict[str, dict], now: float) -> float | None:
        best = None
        for name, record in records.items():
            for kind in self.active(record, self.specs[name]):
                moment = self.next_check(record, self.specs[name], kind, now)
                if moment is not None and moment <= now and (best is None or moment < best):
                    best = moment
        return best

    def started(self, record: dict) -> float:
        return float(
            record.get("t0")
            or dt.datetime.strptime(record["startedAt"][:19], "%Y-%m-%dT%H:%M:%S")
            .replace(tzinfo=dt.timezone.utc)
            .timestamp()
        )

    def faulted(self, kind: str) -> bool:
        return kind in self.sync.pod_faults.get("fail-probes", ())

    # -- checking -------------------------------------------------------------------------
    def run_due(self, records: dict[str, dict], moment: float) -> None:
        for name, record in records.items():
            spec = self.specs[name]
            for kind in self.active(record, spec):
                if self.next_check(record, spec, kind, moment) != moment:
                    continue
                results = probes.ProbeResults()
                probe = probes.probe_of(spec, kind)
                assert probe is not None  # active() lists only the kinds the spec has a probe for
                probes.evaluate(kind, probe, record, moment, functools.partial(self.check, spec, record), results)
                self.sync.runtime.dirty = True
                for type_, reason, message in results.events:
                    self.sync.event(type_, reason, message, name)
                if results.kill:
                    self.kill(spec, record, results.kill, moment)

    def kill(self, spec: dict, record: dict, kind: str, moment: float) -> None:
        name = spec["name"]
        self.sync.event(NORMAL, "Killing", f"Container {name} failed {kind} probe, will be restarted", name)
        probe = probes.probe_of(spec, kind) or {}
        grace = probe.get("terminationGracePeriodSeconds") or self.sync.pod["spec"].get(
            "terminationGracePeriodSeconds", 30
        )
        self.sync.stop(spec, record, int(grace), at=dt.datetime.fromtimestamp(moment, dt.timezone.utc))

    def check(self, spec: dict, record: dict, probe: dict, at: float) -> probes.Verdict:
        kind = next(k for k in probes.KINDS if probes.probe_of(spec, k) is probe)
        if self.faulted(kind):
            from cluster.kubelet_pods import probe_failure

            return probes.Verdict(False, probe_failure(probe, 500 if kind == "liveness" else 503), volatile=True)
        if probe.get("exec"):
            return self.exec_check(spec, record, probe, at)
        ip = (self.sync.runtime.sandbox(self.sync.uid) or {}).get("ip", "")
        port = resolve_port(
            spec, (probe.get("httpGet") or probe.get("tcpSocket") or probe.get("grpc") or {}).get("port")
        )
        found = self.listener(port)
        if probe.get("httpGet"):
            return self.http_check(probe["httpGet"], ip, port, found, at)
        if found is None:
            if probe.get("grpc"):
                return probes.Verdict(
                    False, f'timeout: failed to connect service "{ip}:{port}" within 1s: context deadline exceeded'
                )
            return probes.Verdict(False, f"dial tcp {ip}:{port}: connect: connection refused")
        return probes.Verdict(True)

    def exec_check(self, spec: dict, record: dict, probe: dict, at: float) -> probes.Verdict:
        command = [str(w) for w in (probe["exec"].get("command") or [])]
        host = make_host(
            self.sync.api,
            self.sync.pod,
            spec,
            Names(self.sync.uid, spec["name"], record["attempt"]),
            self.sync.node,
            ip=(self.sync.runtime.sandbox(self.sync.uid) or {}).get("ip", ""),
        )
        env = dict((record.get("proc") or {}).get("vars") or {}) or dict(image_config(spec["image"]).env)
        runner = shell.Shell(shell.new_state(command or ["sh"], env, at), host)
        if not command or commands.missing_executable(runner, command[0]):
            return probes.Verdict(
                False,
                f"rpc error: code = Unknown desc = failed to exec in container: failed to "
                f'start exec "{record["id"]}": OCI runtime exec failed: exec failed: unable '
                f'to start container process: exec: "{command[0] if command else ""}": '
                f"executable file not found in $PATH: unknown",
                volatile=True,
            )
        code, out, err = shell.run_instant(host, command, env, at, cwd=image_config(spec["image"]).workdir)
        host.fs.save()
        return probes.Verdict(code == 0, out + err, volatile=True)

    def http_check(self, get: dict, ip: str, port: int, found: tuple | None, at: float) -> probes.Verdict:
        path = get.get("path") or "/"
        scheme = (get.get("scheme") or "HTTP").lower()
        url = f"{scheme}://{ip}:{port}{path}"
        if found is None:
            return probes.Verdict(False, f'Get "{url}": dial tcp {ip}:{port}: connect: connection refused')
        block, fs, hostname = found
        status, _ = programs_http.respond(block, path, fs, at, hostname, _bridge(ip), programs_http.PROBE_AGENT)
        volatile = block.get("name") in FILE_SERVERS  # its answer changes with time or with its files
        if status is None:
            return probes.Verdict(False, f'Get "{url}": EOF', volatile)
        if 200 <= status < 400:
            return probes.Verdict(True, volatile=volatile)
        return probes.Verdict(False, f"HTTP probe failed with statuscode: {status}", volatile)

    def listener(self, port: int) -> tuple[dict, object, str] | None:
        """The server a process of this pod runs on `port` (the pod's containers share its network)."""
        for name, spec in self.specs.items():
            record = self.sync.runtime.container(self.sync.uid, name)
            proc = (record or {}).get("proc") or {}
            if not record or record["state"] != "running" or proc.get("exit") is not None:
                continue
            block = (proc.get("listen") or {}).get(str(port))
            if block is not None:
                host = make_host(
                    self.sync.api,
                    self.sync.pod,
                    spec,
                    Names(self.sync.uid, name, record["attempt"]),
                    self.sync.node,
                    dry=True,
                )
                return block, host.fs, host.hostname
        return None

    # -- results -------------------------------------------------------------------------------
    def readiness(self, spec: dict, record: dict) -> tuple[bool, bool]:
        """(ready, started) as the status manager reports them; the next probe moments are woken for."""
        now = self.sync.now.timestamp()
        for kind in self.active(record, spec):
            moment = self._upcoming(record, spec, kind, now)
            if moment is not None:
                self.sync.wake_at(dt.datetime.fromtimestamp(moment, dt.timezone.utc))
        started = probes.probe_of(spec, "startup") is None or probes.result(record, "startup") is True
        if not started or record.get("state") != "running":
            return False, started
        if probes.probe_of(spec, "readiness") is None:
            return True, True
        return probes.result(record, "readiness") is True, True

    def _upcoming(self, record: dict, spec: dict, kind: str, now: float) -> float | None:
        probe = probes.probe_of(spec, kind)
        state = (record.get("probes") or {}).get(kind) or {}
        if probe is None or state.get("hold"):
            return None
        steady = (
            state.get("result") is True
            and not state.get("fails")
            and not state.get("volatile")
            and not self.faulted(kind)
        )
        if steady:
            return None
        return probes.next_time(probe, self.started(record), now)


def resolve_port(spec: dict, port: object) -> int:
    """A probe's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    text = str(port or "")
    for declared in spec.get("ports") or []:
        if declared.get("name") == text:
            return int(declared.get("containerPort", 0))
    return int(text) if text.isdigit() else 0


def _bridge(ip: str) -> str:
    """The node's bridge address on the pod's subnet, where the kubelet's probes come from."""
    return ip.rsplit(".", 1)[0] + ".1" if ip.count(".") == 3 else ip
