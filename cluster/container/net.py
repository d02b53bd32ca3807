"""The network as a container sees it: nslookup, wget, curl and ping against the simulated cluster.

Names resolve through the cluster DNS (cluster/dns.py: the pod's search path, as
/etc/resolv.conf says); a connection to a Service's clusterIP goes through kube-proxy's
rules (cluster/proxy.py) to one endpoint; a connection to a pod IP goes straight to
that pod. Whether anything answers is the target pod's business: a container of that
pod must have a process listening on the port (the pod shares one network namespace),
else the connection is refused — a Service whose targetPort nothing listens on is
refused too, as for real. The answering server writes its access-log line.

`ping` to a pod IP is answered; a Service's clusterIP is virtual (only kube-proxy's
rules for its ports exist), so pings to it get no reply — a classic surprise.

A connection to a node's address on a NodePort goes through kube-proxy's rules too, from
any pod to any node; on another port it reaches the hostNetwork pod that declares it.

A client waits while the server works on its request: php-apache's CPU per request at the speed its
CPU limit allows (cluster/container/pods.py); the client counts that work for metrics-server
(cluster/container/requestload.py).

Simplified: only HTTP GET/HEAD; no other timing (every other reply takes no virtual time, a
ping one virtual second per packet); nothing outside the cluster is reachable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cluster import dns, proxy
from cluster.container import requestload

if TYPE_CHECKING:
    from cluster.apiserver.server import APIServer
    from cluster.container.shell import Res, Shell

USER_AGENTS = {"wget": "Wget", "curl": "curl/8.11.1"}


class Refused(Exception):
    """Nothing listens there (or a Service has no endpoint): RST, 'Connection refused'."""


class Unreachable(Exception):
    """No route: the address is not in the cluster."""


@dataclass
class Reply:
    status: int | None  # None: the server does not speak HTTP
    body: str
    address: str  # the address connected to
    seconds: float = 0.0  # how long the server worked on it (php-apache's CPU per request)
    cpu: int = 0  # millicore-seconds it burned doing so
    # Who carries that work: "service/<ns>/<name>" when kube-proxy's rules picked the pod, else "pod/<ns>/<name>".
    loaded: str = ""


@dataclass(frozen=True)
class Route:
    """Where a connection lands: a pod's port, and the Service whose rules sent it there, if any."""

    pod: str  # <namespace>/<name>
    port: int
    service: str = ""  # <namespace>/<name>


class Net:
    """One container's view of the cluster network."""

    def __init__(
        self,
        api: APIServer,
        namespace: str,
        client: str,
        client_ip: str,
        steps: bool = True,
        record: bool = True,
        own_files: tuple[str, object] | None = None,
        resolver: dns.PodDNS | None = None,
    ) -> None:
        self.api, self.namespace, self.client, self.client_ip = api, namespace, client, client_ip
        self.resolver = resolver or dns.cluster_first(namespace)  # the pod's resolv.conf (dns.pod_dns)
        self.steps = steps  # report each connection to the dashboard as a traffic step (kube-proxy's rules)
        self.record = record  # let the server write its access log
        # (container, its files as this process sees them): a server in that container of this very pod reads
        # them, so what a `kubectl exec` wrote is served before the exec ends and its writes are saved.
        self.own_files = own_files
        self._answers: dict[tuple[str, int, str], Reply | Exception] = {}  # a loop asking again: same answer
        self._names: dict[str, str | Exception] = {}

    def resolve(self, host: str) -> str:
        if dns.is_ipv4(host):
            return host
        if host in ("localhost", "ip6-localhost"):
            return "127.0.0.1"
        if host not in self._names:
            try:
                self._names[host] = dns.resolve(self.api, host, self.namespace, self.resolver).addresses[0]
            except (dns.NXDomain, dns.ServFail, IndexError) as err:
                self._names[host] = err
        answer = self._names[host]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, host: str, port: int, path: str, agent: str, t: float) -> Reply:
        """One request. Within one run of a process (a kubelet sync, a look at its log) a request it repeats
        is answered from the first one's reply, and only the first is logged by the server."""
        key = (host, port, path)
        if key not in self._answers:
            try:
                self._answers[key] = self._get(host, port, path, agent, t)
            except (Refused, Unreachable, dns.NXDomain, dns.ServFail) as err:
                self._answers[key] = err
        answer = self._answers[key]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _get(self, host: str, port: int, path: str, agent: str, t: float) -> Reply:
        address = self.resolve(host)
        client = self.client_ip
        if address == "127.0.0.1":  # the pod's own network namespace: the server sees the loopback address
            address = self.client_ip
            client = "127.0.0.1"
        to = self.route(address, port)
        from cluster.container import pods

        own = self.own_files if to.pod == self.client else None
        answer = pods.http(
            self.api, self.namespace, to.pod, to.port, path, client, agent, t, log_request=self.record, own=own
        )
        loaded = f"service/{to.service}" if to.service else f"pod/{to.pod}"
        return Reply(answer.status, answer.body, address, answer.seconds, answer.cpu, loaded)

    def route(self, address: str, port: int) -> Route:
        """The pod and port that a connection to address:port reaches; Refused or Unreachable."""
        services = self.api.list("services")["items"]
        by_ip = [s for s in services if (s.get("spec") or {}).get("clusterIP") == address]
        if by_ip:
            return self._through_service(by_ip[0], address, port)
        if address in self._node_addresses():
            node_port = self._node_port(services, port)
            if node_port is not None:  # kube-proxy answers a NodePort on every node's address
                service, service_port = node_port
                return self._through_service(service, service["spec"]["clusterIP"], service_port)
        running = [
            p
            for p in self.api.list("pods")["items"]
            if (p.get("status") or {}).get("podIP") == address and (p.get("status") or {}).get("phase") == "Running"
        ]
        if running:  # hostNetwork pods share their node's address: the one that declares the port, if any
            pod = next((p for p in running if port in _declared_ports(p)), running[0])
            return Route(f"{pod['metadata']['namespace']}/{pod['metadata']['name']}", port)
        raise Unreachable(address)

    def _node_addresses(self) -> set[str]:
        return {
            a.get("address", "")
            for node in self.api.list("nodes")["items"]
            for a in (node.get("status") or {}).get("addresses") or []
            if a.get("type") == "InternalIP"
        }

    @staticmethod
    def _node_port(services: list[dict], port: int) -> tuple[dict, int] | None:
        """The Service (NodePort or LoadBalancer) that allocated `port` as a node port, and its own port."""
        for service in services:
            spec = service.get("spec") or {}
            if spec.get("type") not in ("NodePort", "LoadBalancer") or not spec.get("clusterIP"):
                continue
            for entry in spec.get("ports") or []:
                if entry.get("nodePort") == port:
                    return service, int(entry.get("port", 0))
        return None

    def _through_service(self, service: dict, address: str, port: int) -> Route:
        meta = service["metadata"]
        if self.steps:
            try:
                endpoint = proxy.connect(
                    self.api, f"{address}:{port}", meta["namespace"], self.client, salt=self.client
                )
            except (proxy.ConnectionRefused, proxy.UnknownService):
                endpoint = None
        else:
            endpoint = self._quiet_pick(service, port)
        if endpoint is None:
            raise Refused(address)
        return Route(f"{meta['namespace']}/{endpoint.pod}", endpoint.port, f"{meta['namespace']}/{meta['name']}")

    def _quiet_pick(self, service: dict, port: int) -> proxy.Endpoint | None:
        ports = [p for p in (service.get("spec") or {}).get("ports") or [] if p.get("port") == port]
        if not ports:
            return None
        endpoints = proxy.service_endpoints(self.api, service, ports[0])
        return endpoints[random.Random(self.client).randrange(len(endpoints))] if endpoints else None


def _declared_ports(pod: dict) -> set[int]:
    return {
        int(p.get("containerPort", 0))
        for c in (pod.get("spec") or {}).get("containers") or []
        for p in c.get("ports") or []
    }


def _url(text: str) -> tuple[str, int, str]:
    parts = urlsplit(text if "://" in text else f"http://{text}")
    return (
        parts.hostname or "",
        parts.port or (443 if parts.scheme == "https" else 80),
        (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
    )


def _res(**kw: object) -> Res:
    from cluster.container.shell import Res

    return Res(**kw)  # type: ignore[arg-type]


def u_nslookup(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    names = [a for a in argv[1:] if not a.startswith("-")]
    if not names:
        return _res(status=1, err="nslookup: a name to look up is required\n")
    if sh.host.net is None:
        return _res(status=0)
    if _old_busybox(sh):
        return _busybox_nslookup(sh, names[0])
    code, out = dns.nslookup(sh.host.net.api, names[0], sh.host.namespace, sh.host.net.resolver)
    return _res(status=code, out=out)


def _old_busybox(sh: Shell) -> bool:
    """busybox up to 1.28 (the documentation's busybox:1.28) has the libc resolver's nslookup; so has every tag of
    registry.k8s.io/busybox (1.24 and 1.27: `latest` among them) and of radial/busyboxplus (built in 2014)."""
    image = sh.host.image
    if image.repository in ("registry.k8s.io/busybox", "docker.io/radial/busyboxplus"):
        return True
    if image.name != "busybox":
        return False
    parts = image.tag.split(".")
    return len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit() and (int(parts[0]), int(parts[1])) <= (1, 28)


def _busybox_nslookup(sh: Shell, name: str) -> Res:
    """busybox 1.28's nslookup: the server and each address with its reverse name; a failure on stderr."""
    net = sh.host.net
    assert net is not None  # nslookup looks only when the container is online
    kube_dns = f" kube-dns.kube-system.svc.{dns.CLUSTER_DOMAIN}" if net.resolver.server == dns.DNS_SERVICE_IP else ""
    server = f"Server:    {net.resolver.server}\nAddress 1: {net.resolver.server}{kube_dns}\n\n"
    api = net.api
    try:
        found = (name,) if dns.is_ipv4(name) else dns.addresses(api, name, sh.host.namespace, net.resolver).addresses
    except (dns.NXDomain, dns.ServFail):
        return _res(status=1, out=server, err=f"nslookup: can't resolve '{name}'\n")
    if not found:
        return _res(status=1, out=server, err=f"nslookup: can't resolve '{name}'\n")
    # the libc resolver's getnameinfo: each address with its PTR name, when it has one
    named = [(ip, dns.reverse(api, ip)) for ip in found]
    lines = "".join(
        f"Address {i}: {ip} {ptr}\n" if ptr else f"Address {i}: {ip}\n" for i, (ip, ptr) in enumerate(named, start=1)
    )
    return _res(status=0, out=server + f"Name:      {name}\n" + lines)


def _fetch(sh: Shell, target: str, agent: str) -> tuple[Reply | None, str, str, int]:
    """(reply, host, address, port) or an error kind in place of the reply."""
    host, port, path = _url(target)
    net = sh.host.net
    if net is None:  # offline: the kubelet's look-ahead on a copy (shell.predict_exit) foresees every request answered
        return Reply(200, "", host), host, host, port  # at once; one that takes longer is found at the next relist
    try:
        address = net.resolve(host)
    except (dns.NXDomain, dns.ServFail, IndexError):
        return None, host, "", port
    try:
        reply = net.get(host, port, path, agent, sh.t)
    except Refused:
        return Reply(-1, "", address), host, address, port
    except Unreachable:
        return Reply(-2, "", address), host, address, port
    requestload.charge(sh.state, reply.loaded, reply.cpu, sh.t)
    return reply, host, address, port


def u_wget(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    args = argv[1:]
    urls = [a for a in args if not a.startswith("-") and a not in _values(args, ("-O", "-T", "-U", "--timeout"))]
    if not urls:
        return _res(
            status=1,
            err="BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\n"
            "Usage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n",
        )
    quiet = any(a.startswith("-") and not a.startswith("--") and "q" in a for a in args)
    output = _option(args, "-O")
    reply, host, address, port = _fetch(sh, urls[-1], USER_AGENTS["wget"])
    if reply is None:
        return _res(status=1, err=f"wget: bad address '{host}'\n")
    if reply.status == -1:
        return _res(
            status=1,
            err=("" if quiet else f"Connecting to {host} ({address}:{port})\n")
            + f"wget: can't connect to remote host ({address}): Connection refused\n",
        )
    if reply.status in (-2, None):
        text = (
            "wget: download timed out\n"
            if reply.status == -2
            else "wget: error getting response: Connection reset by peer\n"
        )
        return _res(status=1, err=text)
    wait = reply.seconds  # the client waits while the server works on its request
    chatter = "" if quiet else f"Connecting to {host} ({address}:{port})\n"
    if reply.status >= 400:
        reasons = {403: "Forbidden", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}
        return _res(
            seconds=wait,
            status=1,
            err=chatter + f"wget: server returned error: HTTP/1.1 {reply.status} {reasons.get(reply.status, '')}\n",
        )
    if "--spider" in args:
        return _res(seconds=wait, status=0, err=chatter + ("" if quiet else "remote file exists\n"))
    if output in ("-", "/dev/stdout"):
        return _res(
            seconds=wait,
            status=0,
            out=reply.body,
            err=""
            if quiet
            else chatter + "writing to stdout\n"
            f"-                    100% |********************************|   {len(reply.body)}  0:00:00 ETA\n"
            "written to stdout\n",
        )
    name = output or (
        urlsplit(urls[-1] if "://" in urls[-1] else "http://" + urls[-1]).path.rsplit("/", 1)[-1] or "index.html"
    )
    failure = sh.write_file(name, reply.body, False)
    if failure:
        return _res(seconds=wait, status=1, err=chatter + f"wget: can't open '{name}': No such file or directory\n")
    return _res(
        seconds=wait,
        status=0,
        err=""
        if quiet
        else chatter + f"saving to '{name}'\n{name:<20} 100% |"
        f"********************************|   {len(reply.body)}  0:00:00 ETA\n'{name}' saved\n",
    )


def u_curl(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    args = argv[1:]
    urls = _curl_urls(args)
    if not urls:
        return _res(status=2, err="curl: try 'curl --help' or 'curl --manual' for more information\n")
    silent = any(a in ("-s", "--silent", "-sS", "-fsSL", "-sL", "-fs", "-sf") for a in args)
    reply, host, address, port = _fetch(sh, urls[-1], USER_AGENTS["curl"])
    if reply is None:
        return _res(
            status=6, err="" if silent and "-S" not in " ".join(args) else f"curl: (6) Could not resolve host: {host}\n"
        )
    if reply.status == -1:
        return _res(
            status=7, err=f"curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server\n"
        )
    if reply.status == -2:
        return _res(
            status=28,
            err=f"curl: (28) Failed to connect to {host} port {port} after 130001 ms: Couldn't connect to server\n",
        )
    if reply.status is None:
        return _res(status=52, err="curl: (52) Empty reply from server\n")
    wait = reply.seconds  # the client waits while the server works on its request
    if any(a in ("-f", "--fail", "-fsSL", "-fs", "-sf") for a in args) and reply.status >= 400:
        return _res(seconds=wait, status=22, err=f"curl: (22) The requested URL returned error: {reply.status}\n")
    body = reply.body
    written = _option(args, "-w")
    if written:
        body = "" if "-o" in args else body
        body += written.replace("%{http_code}", str(reply.status)).replace("\\n", "\n")
    out_file = _option(args, "-o")
    if out_file and out_file != "/dev/null":
        failure = sh.write_file(out_file, reply.body, False)
        return _res(seconds=wait, status=23 if failure else 0, err=failure)
    if out_file == "/dev/null":
        return _res(seconds=wait, status=0, out=body if written else "")
    return _res(seconds=wait, status=0, out=body)


def u_ping(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    args = argv[1:]
    targets = [a for a in args if not a.startswith("-") and a not in _values(args, ("-c", "-W", "-w"))]
    if not targets:
        return _res(status=1, err="ping: usage error: Destination address required\n")
    count = int(_option(args, "-c") or "4")
    net, host = sh.host.net, targets[-1]
    if net is None:
        return _res(status=0, seconds=count)
    try:
        address = net.resolve(host)
    except (dns.NXDomain, dns.ServFail, IndexError):
        return _res(status=1, err=f"ping: bad address '{host}'\n")
    answers = _pingable(net, address)
    out = f"PING {host} ({address}): 56 data bytes\n"
    out += "".join(f"64 bytes from {address}: seq={i} ttl=63 time=0.080 ms\n" for i in range(count)) if answers else ""
    out += (
        f"\n--- {host} ping statistics ---\n{count} packets transmitted, {count if answers else 0} packets "
        f"received, {0 if answers else 100}% packet loss\n"
    )
    if answers:
        out += "round-trip min/avg/max = 0.080/0.080/0.080 ms\n"
    return _res(status=0 if answers else 1, out=out, seconds=float(count))


def _pingable(net: Net, address: str) -> bool:
    if address == net.client_ip:
        return True
    try:
        net.route(address, 0)
    except (Refused, Unreachable):
        return False
    return not any((s.get("spec") or {}).get("clusterIP") == address for s in net.api.list("services")["items"])


def _option(args: list[str], name: str) -> str:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name) and len(arg) > len(name) and not arg.startswith("--") and name != "-w":
            return arg[len(name) :]
        if name == "-O" and arg.startswith("-") and not arg.startswith("--") and arg.endswith("O-"):
            return "-"
    return ""


# curl's options that take an argument (curl --help all): what follows one is its value, not a URL
CURL_VALUE_OPTIONS = frozenset(
    "-A --user-agent -b --cookie -c --cookie-jar -d --data --data-ascii --data-binary --data-raw --data-urlencode "
    "-e --referer -E --cert --cert-type --cacert --capath --ciphers --connect-timeout --connect-to -F --form "
    "--form-string -H --header -K --config --key --key-type --limit-rate --local-port -m --max-time --max-redirs "
    "--max-filesize --noproxy -o --output --output-dir -r --range --resolve --retry --retry-delay --retry-max-time "
    "-T --upload-file -u --user -U --proxy-user -w --write-out -x --proxy -X --request -y --speed-time "
    "-Y --speed-limit -z --time-cond --interface --unix-socket --url --json".split()
)


def _curl_urls(args: list[str]) -> list[str]:
    """The URLs among curl's arguments, wherever they stand: options may come before or after them."""
    urls, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg in CURL_VALUE_OPTIONS:
            if arg == "--url" and i + 1 < len(args):
                urls.append(args[i + 1])
            i += 2
            continue
        if not arg.startswith("-") or arg == "-":
            urls.append(arg)
        i += 1
    return urls


def _values(args: list[str], options: tuple[str, ...]) -> set[str]:
    return {args[i + 1] for i, a in enumerate(args) if a in options and i + 1 < len(args)}
