"""Cluster DNS (CoreDNS's kubernetes plugin), simulated, and the resolver a pod uses.

Records, in the cluster domain cluster.local:
- `<svc>.<ns>.svc.cluster.local` A → the Service's clusterIP; for a headless
  Service (clusterIP None) → the addresses of its ready endpoints (all of them when
  it publishes not-ready addresses); for an ExternalName Service a CNAME;
- `<hostname>.<svc>.<ns>.svc.cluster.local` → an endpoint with that hostname;
- `<a-b-c-d>.<ns>.pod.cluster.local` → a.b.c.d (CoreDNS's `pods insecure` mode).
A pod with dnsPolicy ClusterFirst gets the kube-dns Service's IP as nameserver,
the search path `<ns>.svc.cluster.local svc.cluster.local cluster.local` and
`ndots:5`, so `web` and `web.default` resolve like `web.default.svc.cluster.local`.
Unknown cluster names are NXDOMAIN.

A pod's own resolver settings are the kubelet's (`pod_dns`, GetPodDNS): ClusterFirst as above;
Default (and ClusterFirst on the host's network) the node's /etc/resolv.conf — on a kind node,
Docker's embedded DNS reached at the docker network's gateway; None nothing but the pod's
dnsConfig, which is also merged into the others. containerd writes them as /etc/resolv.conf.
A pod asks its first nameserver: the cluster DNS answers as above, the node's resolver knows
nothing of cluster.local, any other address does not answer.

Simplified: the simulated cluster has no upstream resolver, so dotted names outside
cluster.local fail with SERVFAIL (single labels are NXDOMAIN, as the root says); no SRV records; PTR
records (`reverse`) for Services' clusterIPs and their endpoints' addresses only; the node's
resolver does not know the nodes' names either; a nameserver that does not answer fails at once
(a real resolver waits for its timeouts).
"""

from __future__ import annotations

from dataclasses import dataclass

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.labels import SERVICE_NAME

CLUSTER_DOMAIN = "cluster.local"
DNS_SERVICE_IP = "10.96.0.10"  # kubelet's --cluster-dns, the kube-dns Service in kube-system
NDOTS = 5
NODE_NAMESERVER = "172.18.0.1"  # a kind node's resolv.conf: Docker's DNS, at the docker network's gateway


class NXDomain(Exception):
    """No such name."""


class ServFail(Exception):
    """The server could not answer (no upstream resolver in a simulated cluster)."""


class Unreachable(ServFail):
    """No nameserver answered (`;; connection timed out; no servers could be reached`)."""


@dataclass(frozen=True)
class PodDNS:
    """A pod's resolver settings, as the kubelet hands them to the runtime."""

    servers: tuple[str, ...]
    searches: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    @property
    def ndots(self) -> int:
        """resolv.conf's ndots (1 when not set)."""
        for option in reversed(self.options):
            name, _, value = option.partition(":")
            if name == "ndots" and value.isdigit():
                return min(int(value), 15)
        return 1

    @property
    def server(self) -> str:
        """The nameserver the stub resolver asks first (the loopback one when none is set)."""
        return self.servers[0] if self.servers else "127.0.0.1"

    def resolv_conf(self) -> str:
        """/etc/resolv.conf as containerd writes it: search, nameserver, options."""
        text = f"search {' '.join(self.searches)}\n" if self.searches else ""
        text += "".join(f"nameserver {server}\n" for server in self.servers)
        return text + (f"options {' '.join(self.options)}\n" if self.options else "")


NODE_RESOLV = PodDNS((NODE_NAMESERVER,), (), ("ndots:0",))


def cluster_first(namespace: str) -> PodDNS:
    return PodDNS((DNS_SERVICE_IP,), tuple(search_path(namespace)), (f"ndots:{NDOTS}",))


def pod_dns(pod: dict) -> PodDNS:
    """GetPodDNS: the policy's settings (getPodDNSType), then the pod's dnsConfig appended (appendDNSConfig)."""
    spec = pod.get("spec") or {}
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    if policy == "None":
        base = PodDNS(())
    elif policy == "ClusterFirstWithHostNet" or (policy == "ClusterFirst" and not spec.get("hostNetwork")):
        base = cluster_first(pod["metadata"].get("namespace") or "default")
    else:
        base = NODE_RESOLV
    config = spec.get("dnsConfig") or {}
    if not isinstance(config, dict) or not config:
        return base
    servers = _unique([*base.servers, *[str(s) for s in config.get("nameservers") or []]])
    searches = _unique([*base.searches, *[str(s) for s in config.get("searches") or []]])
    options: dict[str, str] = {}
    for option in base.options:
        name, _, value = option.partition(":")
        options[name] = value
    for option in config.get("options") or []:
        if isinstance(option, dict) and option.get("name"):
            options[str(option["name"])] = str(option.get("value") or "")
    merged = tuple(f"{name}:{value}" if value else name for name, value in options.items())
    return PodDNS(tuple(servers), tuple(searches), merged)


def _unique(values: list[str]) -> list[str]:
    """omitDuplicates: the first of each, in order."""
    return list(dict.fromkeys(values))


@dataclass(frozen=True)
class Answer:
    name: str  # the fully qualified name that answered
    addresses: tuple[str, ...] = ()
    cname: str = ""


def search_path(namespace: str) -> list[str]:
    return [f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN]


def candidates(name: str, namespace: str, conf: PodDNS | None = None) -> list[str]:
    """The names the stub resolver tries, in order (resolv.conf search with ndots)."""
    conf = conf or cluster_first(namespace)
    if name.endswith("."):
        return [name.rstrip(".")]
    searched = [f"{name}.{domain}" for domain in conf.searches]
    return [name, *searched] if name.count(".") >= conf.ndots else [*searched, name]


def resolve(api: APIServer, name: str, namespace: str = "default", conf: PodDNS | None = None) -> Answer:
    """What a pod in `namespace` with these resolver settings (ClusterFirst by default) gets for `name`."""
    conf = conf or cluster_first(namespace)
    if conf.server not in (DNS_SERVICE_IP, NODE_NAMESERVER):
        raise Unreachable(name)
    tried_outside = False
    for fqdn in candidates(name.lower(), namespace, conf):
        if conf.server == NODE_NAMESERVER:  # the node's resolver knows nothing of the cluster's names
            tried_outside = tried_outside or "." in fqdn
            continue
        if not fqdn.endswith("." + CLUSTER_DOMAIN):
            tried_outside = tried_outside or "." in fqdn  # a single label is NXDOMAIN upstream too
            continue
        answer = lookup(api, fqdn)
        if answer is not None:
            return answer
    if tried_outside and not name.rstrip(".").endswith(CLUSTER_DOMAIN):
        raise ServFail(name)
    raise NXDomain(name)


def lookup(api: APIServer, fqdn: str) -> Answer | None:
    """The authoritative answer for one name under cluster.local (None: NXDOMAIN)."""
    labels = fqdn[: -len(CLUSTER_DOMAIN) - 1].split(".")
    if not all(labels):
        return None  # an empty label (`.svc.cluster.local`, `a..b`) names nothing
    if len(labels) == 3 and labels[2] == "pod":
        address = labels[0].replace("-", ".")
        return Answer(fqdn, (address,)) if is_ipv4(address) else None
    if len(labels) == 3 and labels[2] == "svc":
        return _service_answer(api, fqdn, labels[1], labels[0])
    if len(labels) == 4 and labels[3] == "svc":
        answer = _service_answer(api, fqdn, labels[2], labels[1])
        if answer is None:
            return None
        named = [ip for ip, hostname in _endpoints(api, labels[2], labels[1]) if hostname == labels[0]]
        return Answer(fqdn, tuple(named)) if named else None
    return None


def is_ipv4(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def _service_answer(api: APIServer, fqdn: str, namespace: str, name: str) -> Answer | None:
    try:
        service = api.get("services", namespace, name)
    except StatusError as err:
        if err.code == 404:
            return None
        raise
    spec = service.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return Answer(fqdn, cname=spec.get("externalName", ""))
    if spec.get("clusterIP") and spec["clusterIP"] != "None":
        return Answer(fqdn, (spec["clusterIP"],))
    addresses = sorted({ip for ip, _hostname in _endpoints(api, namespace, name)})
    return Answer(fqdn, tuple(addresses)) if addresses else None


def _endpoints(api: APIServer, namespace: str, service: str) -> list[tuple[str, str]]:
    """(address, hostname) of the ready endpoints in the Service's EndpointSlices."""
    found = []
    for obj in api.list("endpointslices", namespace, label_selector=f"{SERVICE_NAME}={service}")["items"]:
        for endpoint in obj.get("endpoints") or []:
            if (endpoint.get("conditions") or {}).get("ready", True):
                found += [(ip, endpoint.get("hostname", "")) for ip in endpoint.get("addresses") or []]
    return found


def reverse(api: APIServer, ip: str) -> str | None:
    """The PTR answer for an address (the kubernetes plugin's reverse zones), None when there is none: a
    Service's clusterIP is `<svc>.<ns>.svc.cluster.local`; an endpoint's address is
    `<hostname, else the address with dashes>.<svc>.<ns>.svc.cluster.local`."""
    for service in api.list("services", None)["items"]:
        if (service.get("spec") or {}).get("clusterIP") == ip:
            meta = service["metadata"]
            return f"{meta['name']}.{meta['namespace']}.svc.{CLUSTER_DOMAIN}"
    for endpoint_slice in api.list("endpointslices", None)["items"]:
        meta = endpoint_slice["metadata"]
        owner = (meta.get("labels") or {}).get(SERVICE_NAME)
        for endpoint in endpoint_slice.get("endpoints") or []:
            if owner and ip in (endpoint.get("addresses") or []):
                host = endpoint.get("hostname") or ip.replace(".", "-")
                return f"{host}.{owner}.{meta['namespace']}.svc.{CLUSTER_DOMAIN}"
    return None


def addresses(api: APIServer, name: str, namespace: str = "default", conf: PodDNS | None = None) -> Answer:
    """What a client's resolver ends with: the addresses behind `name`, an ExternalName's CNAME followed
    (CoreDNS answers the target's A records with it when the target is a cluster name)."""
    answer = resolve(api, name, namespace, conf)
    if answer.cname:
        target = resolve(api, answer.cname.rstrip("."), namespace, conf)
        return Answer(answer.name, target.addresses, answer.cname)
    return answer


def nslookup(api: APIServer, name: str, namespace: str = "default", conf: PodDNS | None = None) -> tuple[int, str]:
    """bind9's nslookup as run in a pod: (exit code, output)."""
    conf = conf or cluster_first(namespace)
    header = f"Server:\t\t{conf.server}\nAddress:\t{conf.server}#53\n\n"
    try:
        answer = resolve(api, name, namespace, conf)
    except Unreachable:
        return 1, ";; connection timed out; no servers could be reached\n\n"
    except NXDomain:
        return 1, header + f"** server can't find {name}: NXDOMAIN\n\n"
    except ServFail:
        return 1, header + f"** server can't find {name}: SERVFAIL\n\n"
    if answer.cname:  # CoreDNS answers a cluster target's addresses with the CNAME
        lines = f"{answer.name}\tcanonical name = {answer.cname}.\n"
        try:
            target = resolve(api, answer.cname.rstrip("."), namespace, conf)
        except (NXDomain, ServFail):
            return 0, header + lines + "\n"
        lines += "".join(f"Name:\t{target.name}\nAddress: {ip}\n" for ip in target.addresses)
        return 0, header + lines + "\n"
    lines = "".join(f"Name:\t{answer.name}\nAddress: {ip}\n" for ip in answer.addresses)
    return 0, header + lines + "\n"
