"""The servers images run: web servers, redis, etcd and Kubernetes' test and example images.

Each reads the flags and configuration a learner would change — nginx's `listen` lines in
/etc/nginx/conf.d, redis's `port` in its config file, agnhost's `--http-port` — and answers
`server(...)`: it listens on its ports until it is stopped. A program that daemonizes without its
foreground flag (nginx without `daemon off`, httpd without -DFOREGROUND) exits 0 at once, as the
container's process would. How they answer HTTP is cluster/container/programs_http.py's.

Simplified: configuration files are not parsed beyond `listen`/`port`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cluster.container.fs import FsError
from cluster.container.programs_banners import redis_stamp
from cluster.container.programs_base import Program, abs_path, flag_int, make_res, server

if TYPE_CHECKING:
    from cluster.container.shell import Res, Shell


def prog_nginx(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    args = " ".join(argv[1:])
    version = sh.host.image.version or "1.27.5"
    if "-v" in argv[1:] or "-V" in argv[1:]:
        return make_res(status=0, err=f"nginx version: nginx/{version}\n")
    if "-t" in argv[1:]:
        return make_res(
            status=0,
            err="nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
            "nginx: configuration file /etc/nginx/nginx.conf test is successful\n",
        )
    if "-s" in argv[1:]:
        return make_res(status=0)  # a signal to the running master: not delivered (see kubectl exec)
    if "daemon off" not in args:
        return make_res(status=0)  # nginx daemonizes: the process the container started exits at once
    return server(
        "nginx",
        _nginx_ports(sh),
        {"version": version, "cpus": sh.host.cpus, "kernel": sh.host.kernel, "alpine": sh.host.image.base == "alpine"},
    )


def _nginx_ports(sh: Shell) -> list[int]:
    """The ports the server blocks `listen` on: the image's default.conf says 80 unless a file replaced it."""
    ports: list[int] = []
    fs = sh.host.fs
    if not fs.upper.entries and not any(m.path.startswith("/etc/nginx") for m in fs.mounts):
        return [80]
    for directory in ("/etc/nginx/conf.d",):
        try:
            names = fs.listdir(directory)
        except FsError:
            names = []
        for name in names:
            if name.endswith(".conf"):
                try:
                    text = fs.read(f"{directory}/{name}")
                except FsError:
                    continue
                ports += [int(p) for p in re.findall(r"^\s*listen\s+(?:[\d.]+:)?(\d+)", text, re.M)]
    return sorted(set(ports)) or [80]


def prog_httpd(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    if sh.host.image.base in ("busybox", "alpine") and sh.host.image.name != "httpd":
        return _busybox_httpd(sh, argv)
    if argv[0].endswith("httpd") and "-DFOREGROUND" not in argv and "FOREGROUND" not in argv:
        return make_res(status=0)  # httpd without -DFOREGROUND forks into the background
    return server("httpd", [80], {"version": sh.host.image.version or "2.4.62", "ip": sh.host.pod_ip})


def _busybox_httpd(sh: Shell, argv: list[str]) -> Res:
    port, home, foreground = 80, sh.state["cwd"], "-f" in argv
    for i, arg in enumerate(argv):
        if arg == "-p" and i + 1 < len(argv):
            port = int(argv[i + 1].rsplit(":", 1)[-1])
        if arg == "-h" and i + 1 < len(argv):
            home = argv[i + 1]
    if not foreground:
        return make_res(status=0)
    return server("busybox-httpd", [port], {"home": home}, banner=False)


def prog_apache(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    return server("apache", list(sh.host.image.ports or [80]), {"ip": sh.host.pod_ip, "php": sh.host.image.name})


def prog_redis(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    args = argv[1:]
    config = args[0] if args and not args[0].startswith("-") else ""
    port = 6379
    stamp = redis_stamp(sh.t, "C")
    version = sh.host.image.version or "7.4.2"
    if config:
        try:
            text = sh.host.fs.read(abs_path(sh, config))
        except FsError as err:
            reason = "No such file or directory" if err.errno == "ENOENT" else "Is a directory"
            return make_res(
                status=1, err=f"{stamp} # Fatal error, can't open config file '{config}': {reason}\n", exit=True
            )
        port = int((re.findall(r"^\s*port\s+(\d+)", text, re.M) or [port])[-1])
    if "--port" in args and args.index("--port") + 1 < len(args):
        port = int(args[args.index("--port") + 1])
    return server("redis-server", [port], {"version": version, "config": config, "port": port})


# -- Kubernetes' test and example images ---------------------------------------------------------------
def prog_agnhost(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    args = argv[1:]
    sub = args[0] if args else ""
    if sub == "liveness":
        return server("agnhost-liveness", [8080], {"since": sh.t}, banner=False)
    if sub == "netexec":
        port = flag_int(args, "--http-port", 8080)
        udp = flag_int(args, "--udp-port", 8081)
        return server("agnhost-netexec", [port], {"port": port, "udp": udp})
    if sub == "serve-hostname":
        return server("agnhost-serve-hostname", [flag_int(args, "--port", 9376)], {}, banner=False)
    if sub == "test-webserver":
        return server("test-webserver", [flag_int(args, "--port", 80)], {}, banner=False)
    if sub == "pause":
        return server("pause", [], {}, banner=True)
    if sub == "entrypoint-tester":
        return make_res(status=0, out=" ".join(args) + "\n")
    if not sub or sub in ("-h", "--help", "help"):
        return make_res(
            status=0,
            out="agnhost is an extendable CLI that behaves and outputs the same expected "
            "content, no matter the underlying OS.\n",
        )
    return make_res(status=1, err=f'Error: unknown command "{sub}" for "agnhost"\nRun \'agnhost --help\' for usage.\n')


def prog_serve_hostname(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """The serve_hostname test image (the Debug Services page's backend): its hostname over HTTP on -port."""
    port = next((int(a.split("=", 1)[1]) for a in argv[1:] if a.lstrip("-").startswith("port=")), 9376)
    return server("agnhost-serve-hostname", [port], {}, banner=False)


def prog_liveness_server(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    return server("agnhost-liveness", [8080], {"since": sh.t}, banner=False)


def prog_pause(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    return server("pause", [], {}, banner=False)


def prog_hello_app(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    port = int(env.get("PORT", "8080") or 8080)
    version = (sh.host.image.tag.split("-")[0] + ".0") if sh.host.image.tag[:1].isdigit() else "1.0.0"
    return server("hello-app", [port], {"port": port, "version": version})


def prog_http_echo(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    text = next((a.split("=", 1)[1] for a in argv[1:] if a.startswith(("-text=", "--text="))), None)
    if text is None and "-text" in argv:
        at = argv.index("-text")
        text = argv[at + 1] if at + 1 < len(argv) else None
    if text is None:
        return make_res(status=127, err="Missing -text option!\n")
    listen = next((a.split("=", 1)[1] for a in argv[1:] if a.startswith(("-listen=", "--listen="))), ":5678")
    port = int(listen.rsplit(":", 1)[-1] or 5678)
    return server("http-echo", [port], {"text": text, "port": port})


def prog_whoami(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    port = flag_int(argv[1:], "--port", int(env.get("WHOAMI_PORT_NUMBER", "80") or 80))
    return server("whoami", [port], {"port": port, "ip": sh.host.pod_ip})


def prog_run_sh(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    if sh.host.image.name == "echoserver":
        return server("echoserver", [8080], {"ip": sh.host.pod_ip})
    return server("redis-server", [6379], {"version": "6.0.5", "config": "", "port": 6379, "replica": True})


def prog_etcd(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """etcd: clients on 2379, peers on 2380, and (--listen-metrics-urls, as kubeadm sets it) the HTTP
    /metrics, /livez and /readyz endpoints its static pod's probes ask, on 2381."""
    res = server("etcd", [2379, 2380], {"version": sh.host.image.version}, banner=False)
    if any(a.startswith("--listen-metrics-urls=") and ":2381" in a for a in argv):
        res.listen[2381] = "etcd-metrics"
    return res


def simple_server(name: str, port: int) -> Program:
    def run(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
        return server(name, [port], {"version": sh.host.image.version}, banner=False)

    return run
