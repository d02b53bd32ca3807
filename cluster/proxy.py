"""kube-proxy in iptables mode (pkg/proxy/iptables), simulated: how a Service's traffic is spread.

For each Service port kube-proxy writes a KUBE-SVC-<hash> chain with one rule per
endpoint: rule i of n jumps to endpoint i's KUBE-SEP-<hash> chain with
`-m statistic --mode random --probability 1/(n-i)` and the last rule always
matches, so each endpoint gets 1/n of the new connections. Endpoints come from the
Service's EndpointSlices: the ready ones, or — when none is ready — the serving
terminating ones (so connections drain). A Service with no usable endpoint gets a
REJECT rule, which a client sees as "Connection refused". Chain names are
upstream's: `KUBE-SVC-` / `KUBE-SEP-` plus the first 16 base32 characters of a
SHA-256 over the service port name, protocol (and endpoint).

Each simulated request walks those rules with a random generator seeded from the
cluster seed, so a replay sends the same requests to the same pods; every request is
reported to the API server's observers as a "traffic" step (client → Service VIP →
rule → pod) and returned as hops, for the dashboard to animate.

Simplified: no real packets, conntrack or NAT; sessionAffinity ClientIP keeps one
client on one endpoint within a batch of requests; externalTrafficPolicy,
internalTrafficPolicy and topology hints are not applied.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field

from cluster.apiserver.server import APIServer
from cluster.labels import SERVICE_NAME


class ConnectionRefused(Exception):
    """What a client sees when the Service has no endpoint: iptables REJECTs the SYN."""


class UnknownService(Exception):
    """No Service answers at that name or address."""


@dataclass(frozen=True)
class Endpoint:
    ip: str
    port: int
    pod: str = ""
    node: str = ""

    def __str__(self) -> str:
        return f"{self.ip}:{self.port}"


@dataclass
class Traffic:
    """The outcome of a batch of requests: who answered how often, and every request's path."""

    service: str
    requests: int
    distribution: dict[str, int] = field(default_factory=dict)  # pod name -> requests served
    hops: list[dict] = field(default_factory=list)


def port_proto_hash(text: str, protocol: str) -> str:
    digest = hashlib.sha256((text + protocol.lower()).encode()).digest()
    return base64.b32encode(digest).decode()[:16]


def service_port_name(service: dict, port: dict) -> str:
    meta = service["metadata"]
    name = f"{meta['namespace']}/{meta['name']}"
    return f"{name}:{port['name']}" if port.get("name") else name


def svc_chain(service: dict, port: dict) -> str:
    return "KUBE-SVC-" + port_proto_hash(service_port_name(service, port), port.get("protocol") or "TCP")


def sep_chain(service: dict, port: dict, endpoint: Endpoint) -> str:
    text = service_port_name(service, port) + (port.get("protocol") or "TCP").lower() + str(endpoint)
    return "KUBE-SEP-" + base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


# -- which Service ------------------------------------------------------------------------
def resolve_target(api: APIServer, target: str, namespace: str = "default") -> tuple[dict, dict]:
    """`10.96.0.12:80`, `web`, `web:80` or `web.shop:80` -> (Service, its port)."""
    host, _, port_text = target.partition(":")
    services = api.list("services")["items"]
    if host.replace(".", "").isdigit():
        matches = [s for s in services if (s.get("spec") or {}).get("clusterIP") == host]
    else:
        name, _, other_namespace = host.partition(".")
        wanted_ns = other_namespace or namespace
        matches = [s for s in services if (s["metadata"]["name"], s["metadata"]["namespace"]) == (name, wanted_ns)]
    if not matches:
        raise UnknownService(f"no Service at {target}")
    service = matches[0]
    ports = (service.get("spec") or {}).get("ports") or []
    if port_text:
        ports = [p for p in ports if str(p.get("port")) == port_text or p.get("name") == port_text]
    if not ports:
        raise ConnectionRefused(f"{host}:{port_text or '?'}")
    return service, ports[0]


# -- which endpoints -------------------------------------------------------------------------
def service_endpoints(api: APIServer, service: dict, port: dict) -> list[Endpoint]:
    """The endpoints kube-proxy programs for one Service port, sorted by address."""
    meta = service["metadata"]
    slices = api.list("endpointslices", meta["namespace"], label_selector=f"{SERVICE_NAME}={meta['name']}")["items"]
    ready, terminating = [], []
    for obj in slices:
        number = next(
            (p.get("port") for p in obj.get("ports") or [] if (p.get("name") or "") == (port.get("name") or "")), None
        )
        if number is None:
            continue
        for ep in obj.get("endpoints") or []:
            conditions = ep.get("conditions") or {}
            endpoint = Endpoint(
                ep["addresses"][0], number, (ep.get("targetRef") or {}).get("name", ""), ep.get("nodeName", "")
            )
            if conditions.get("ready", True):
                ready.append(endpoint)
            elif conditions.get("serving") and conditions.get("terminating"):
                terminating.append(endpoint)
    return sorted(set(ready or terminating), key=lambda e: (e.ip, e.port))


def iptables_rules(service: dict, port: dict, endpoints: list[Endpoint]) -> list[str]:
    """The KUBE-SVC chain as `iptables-save` would print it."""
    chain, comment = svc_chain(service, port), service_port_name(service, port)
    if not endpoints:
        ip = (service.get("spec") or {}).get("clusterIP")
        return [
            f"-A KUBE-SERVICES -d {ip}/32 -p {(port.get('protocol') or 'TCP').lower()} -m comment --comment "
            f'"{comment} has no endpoints" -m {(port.get("protocol") or "TCP").lower()} --dport {port["port"]} '
            f"-j REJECT --reject-with icmp-port-unreachable"
        ]
    rules = []
    for i, endpoint in enumerate(endpoints):
        remaining = len(endpoints) - i
        statistic = "" if remaining == 1 else f" -m statistic --mode random --probability {1 / remaining:.10f}"
        rules.append(
            f'-A {chain} -m comment --comment "{comment} -> {endpoint}"{statistic} '
            f"-j {sep_chain(service, port, endpoint)}"
        )
    return rules


def pick(endpoints: list[Endpoint], rng: random.Random) -> int:
    """Walk the KUBE-SVC rules: rule i matches with probability 1/(n-i); the last always matches."""
    for i in range(len(endpoints) - 1):
        if rng.random() < 1 / (len(endpoints) - i):
            return i
    return len(endpoints) - 1


# -- requests -----------------------------------------------------------------------------
def send_requests(
    api: APIServer,
    target: str,
    count: int,
    namespace: str = "default",
    client: str = "client",
    salt: object = "",
    deliver: bool = True,
) -> Traffic:
    """Send `count` new connections to a Service; ConnectionRefused when it has no endpoint.
    With `deliver`, each request reaches its pod's server, which logs it (cluster/container/pods.py)."""
    service, port = resolve_target(api, target, namespace)
    endpoints = service_endpoints(api, service, port)
    vip = f"{(service.get('spec') or {}).get('clusterIP')}:{port['port']}"
    if not endpoints:
        _report(
            api,
            {
                "client": client,
                "service": service_port_name(service, port),
                "vip": vip,
                "result": "Connection refused",
                "rule": iptables_rules(service, port, [])[0],
            },
        )
        raise ConnectionRefused(vip)
    meta = service["metadata"]
    rng = random.Random(
        f"{api.cluster.seed}:kube-proxy:{meta['namespace']}/{meta['name']}:{port['port']}:"
        f"{api.current_revision()}:{salt}"
    )
    rules = iptables_rules(service, port, endpoints)
    sticky = (service.get("spec") or {}).get("sessionAffinity") == "ClientIP"
    traffic = Traffic(service_port_name(service, port), count, {e.pod or str(e): 0 for e in endpoints})
    chosen: int | None = None
    for number in range(count):
        index = chosen if sticky and chosen is not None else pick(endpoints, rng)
        chosen = index
        endpoint = endpoints[index]
        traffic.distribution[endpoint.pod or str(endpoint)] += 1
        hop = {
            "request": number + 1,
            "client": client,
            "service": traffic.service,
            "vip": vip,
            "rule": rules[index],
            "endpoint": str(endpoint),
            "pod": endpoint.pod,
            "node": endpoint.node,
        }
        traffic.hops.append(hop)
        _report(api, hop)
    if deliver:
        from cluster.container.pods import deliver as deliver_requests

        deliver_requests(api, traffic)
    return traffic


def _report(api: APIServer, detail: dict) -> None:
    """Hand the request to whoever records step events (the dashboard's step engine)."""
    api.report("traffic", detail)


def connect(
    api: APIServer, target: str, namespace: str = "default", client: str = "client", salt: object = ""
) -> Endpoint | None:
    """One connection; the endpoint that answered (None if it was refused)."""
    try:
        hop = send_requests(api, target, 1, namespace, client, salt, deliver=False).hops[0]
    except ConnectionRefused:
        return None
    address, _, port = hop["endpoint"].rpartition(":")
    return Endpoint(address, int(port), hop["pod"], hop["node"])
