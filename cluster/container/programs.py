"""The programs images ship, as the simulation runs them: servers, entrypoints, one-shot tools.

Each program gets its argv and environment and answers like the real one where a
learner would notice: nginx, httpd and redis-server print their real start-up lines
and listen until stopped; the official images' docker-entrypoint.sh scripts do
their checks (postgres and mysql refuse to start without a password, exit 1) and
exec the server; `perl -Mbignum=bpi -wle 'print bpi(2000)'` prints π (the Job
example); agnhost's `liveness` answers /healthz with 200 for ten seconds, then 500.

Start-up lines are not stored: a process records `[time, program, args]` and the log
reader expands it (banner_lines), as the program would print them at that time.
Servers answer HTTP (respond) from the container's filesystem where they serve
files (nginx from /usr/share/nginx/html), and write an access-log line per request.

Simplified: configuration files are not parsed beyond `listen`/`port`; a program the
simulation does not know runs as the image says — a server until stopped (an unknown
image's program, or an image's own server) or exits 0 at once (a REPL without a
terminal).
"""
from __future__ import annotations

import datetime as dt
import posixpath
import re
from typing import TYPE_CHECKING, Callable

from cluster.container.fs import FsError

if TYPE_CHECKING:
    from cluster.container.shell import Res, Shell
    from cluster.registry import Image

Program = Callable[["Shell", list[str], "str | None", dict], "Res"]
PROBE_AGENT = "kube-probe/1.32"
def _res(**kw: object) -> Res:
    from cluster.container.shell import Res
    return Res(**kw)  # type: ignore[arg-type]


def server(name: str, ports: list[int], args: dict | None = None, banner: bool = True) -> Res:
    """A program that listens on `ports` until it is stopped."""
    args = dict(args or {})
    return _res(block={"kind": "server", "name": name, "args": args}, listen={p: name for p in ports},
                banner=[name, args] if banner else None, pid1=name)


def handles_sigterm(pid1: str) -> tuple[bool, int]:
    """(whether PID 1 exits on SIGTERM, its exit code). sh, sleep and tail have no handler: as PID 1
    the signal is ignored and the kubelet's SIGKILL ends them when the grace period is over (137)."""
    if pid1 in ("sh", "bash", "ash", "dash", "sleep", "tail", "cat", "exec", "zsh", "stress", "perl"):
        return False, 137
    return True, 0


# -- looking a program up -----------------------------------------------------------------------------
def lookup(image: Image, base: str, name: str) -> Program | None:
    if base in PROGRAMS:
        return PROGRAMS[base]
    if not image.known or base in _GENERIC_SERVERS or _is_image_main(image, base):
        return _generic_server
    return None


def ships(image: Image, base: str) -> bool:
    return _is_image_main(image, base) or (base in PROGRAMS and base in {t.rsplit("/", 1)[-1] for t in image.tools})


def _is_image_main(image: Image, base: str) -> bool:
    mains = [c for c in (image.entrypoint[:1] + image.cmd[:1])]
    return any(m.rsplit("/", 1)[-1] == base for m in mains)


def _generic_server(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """A program the simulation does not know: it runs as the image says."""
    image = sh.host.image
    if image.known and image.base != "none" and not image.ports and not _is_image_main(image, argv[0].rsplit("/")[-1]):
        return _res(status=0)
    return server(argv[0].rsplit("/", 1)[-1], list(image.ports), {"generic": True}, banner=False)


# -- entrypoints --------------------------------------------------------------------------------------
def prog_entrypoint(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """The official images' docker-entrypoint.sh: checks, then `exec "$@"`."""
    from cluster.container.commands import dispatch
    image, args = sh.host.image.name, argv[1:]
    first = args[0] if args else ""
    if image in ("redis", "memcached", "traefik", "curl", "node", "php", "mongo", "cassandra") and \
            (first.startswith("-") or first.endswith(".conf")):
        args = [{"redis": "redis-server", "memcached": "memcached", "traefik": "traefik", "curl": "curl",
                 "node": "node", "php": "php", "mongo": "mongod", "cassandra": "cassandra"}[image], *args]
    if image == "postgres" and args[:1] == ["postgres"]:
        refused = _postgres_check(sh, env)
        if refused is not None:
            return refused
    if image in ("mysql", "mariadb") and args[:1] and args[0] in ("mysqld", "mariadbd"):
        refused = _mysql_check(sh, env, image)
        if refused is not None:
            return refused
    if not args and image == "fluentd":  # fluentd_elasticsearch's entrypoint.sh: `exec fluentd $FLUENTD_ARGS`
        args = ["fluentd", *env.get("FLUENTD_ARGS", "").split()]
    if not args:
        return _res(status=0)
    res = dispatch(sh, args, stdin, env, nestable=True)
    if image == "nginx" and args[0] in ("nginx", "nginx-debug") and res.banner and not env.get(
            "NGINX_ENTRYPOINT_QUIET_LOGS"):
        res.banner[1]["entrypoint"] = True
    res.pid1 = res.pid1 or args[0].rsplit("/", 1)[-1]
    if res.block is None and res.push is None:
        res.exit = True
    return res


def prog_tini(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    from cluster.container.commands import dispatch
    args = argv[argv.index("--") + 1:] if "--" in argv else argv[1:]
    if not args:
        return _res(status=1, err="[FATAL tini (1)] No program to execute\n")
    res = dispatch(sh, args, stdin, env, nestable=True)
    if res.block is None and res.push is None:
        res.exit = True
    return res


def _postgres_check(sh: Shell, env: dict) -> Res | None:
    data = env.get("PGDATA", "/var/lib/postgresql/data")
    if sh.host.fs.is_file(f"{data}/PG_VERSION"):
        return None
    if env.get("POSTGRES_PASSWORD") or env.get("POSTGRES_HOST_AUTH_METHOD") == "trust":
        try:
            sh.host.fs.mkdir(data, sh.t, parents=True)
            sh.host.fs.write(f"{data}/PG_VERSION", sh.host.image.version.split(".")[0] + "\n", sh.t)
        except FsError:
            pass
        return None
    return _res(status=1, err=(
        "Error: Database is uninitialized and superuser password is not specified.\n"
        "       You must specify POSTGRES_PASSWORD to a non-empty value for the\n"
        '       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".\n\n'
        '       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all\n'
        "       connections without a password. This is *not* recommended.\n\n"
        '       See PostgreSQL documentation about "trust":\n'
        "       https://www.postgresql.org/docs/current/auth-trust.html\n"), exit=True)


def _mysql_check(sh: Shell, env: dict, image: str) -> Res | None:
    if sh.host.fs.is_dir("/var/lib/mysql/mysql"):
        return None
    names: tuple[str, ...] = ("MYSQL_ROOT_PASSWORD", "MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD")
    if image == "mariadb":
        names += tuple(n.replace("MYSQL_", "MARIADB_") for n in names)
    if any(env.get(n) for n in names):
        try:
            sh.host.fs.mkdir("/var/lib/mysql/mysql", sh.t, parents=True)
        except FsError:
            pass
        return None
    stamp = dt.datetime.fromtimestamp(sh.t, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00:00")
    product = "MySQL Server" if image == "mysql" else "MariaDB Server"
    wanted = "MYSQL" if image == "mysql" else "MARIADB"
    return _res(status=1, out=f"{stamp} [Note] [Entrypoint]: Entrypoint script for {product} "
                              f"{sh.host.image.version} started.\n",
                err=f"{stamp} [ERROR] [Entrypoint]: Database is uninitialized and password option is not specified\n"
                    f"    You need to specify one of the following as an environment variable:\n"
                    f"    - {wanted}_ROOT_PASSWORD\n    - {wanted}_ALLOW_EMPTY_PASSWORD\n"
                    f"    - {wanted}_RANDOM_ROOT_PASSWORD\n", exit=True)


# -- web servers --------------------------------------------------------------------------------------
def prog_nginx(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    args = " ".join(argv[1:])
    version = sh.host.image.version or "1.27.5"
    if "-v" in argv[1:] or "-V" in argv[1:]:
        return _res(status=0, err=f"nginx version: nginx/{version}\n")
    if "-t" in argv[1:]:
        return _res(status=0, err="nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
                                  "nginx: configuration file /etc/nginx/nginx.conf test is successful\n")
    if "-s" in argv[1:]:
        return _res(status=0)  # a signal to the running master: not delivered (see kubectl exec)
    if "daemon off" not in args:
        return _res(status=0)  # nginx daemonizes: the process the container started exits at once
    return server("nginx", _nginx_ports(sh), {"version": version, "cpus": sh.host.cpus, "kernel": sh.host.kernel,
                                              "alpine": sh.host.image.base == "alpine"})


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
        return _res(status=0)  # httpd without -DFOREGROUND forks into the background
    return server("httpd", [80], {"version": sh.host.image.version or "2.4.62", "ip": sh.host.pod_ip})


def _busybox_httpd(sh: Shell, argv: list[str]) -> Res:
    port, home, foreground = 80, sh.state["cwd"], "-f" in argv
    for i, arg in enumerate(argv):
        if arg == "-p" and i + 1 < len(argv):
            port = int(argv[i + 1].rsplit(":", 1)[-1])
        if arg == "-h" and i + 1 < len(argv):
            home = argv[i + 1]
    if not foreground:
        return _res(status=0)
    return server("busybox-httpd", [port], {"home": home}, banner=False)


def prog_apache(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    return server("apache", list(sh.host.image.ports or [80]), {"ip": sh.host.pod_ip, "php": sh.host.image.name})


def prog_redis(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    args = argv[1:]
    config = args[0] if args and not args[0].startswith("-") else ""
    port = 6379
    stamp = _redis_stamp(sh.t, "C")
    version = sh.host.image.version or "7.4.2"
    if config:
        try:
            text = sh.host.fs.read(_abs(sh, config))
        except FsError as err:
            reason = "No such file or directory" if err.errno == "ENOENT" else "Is a directory"
            return _res(status=1, err=f"{stamp} # Fatal error, can't open config file '{config}': {reason}\n",
                        exit=True)
        port = int((re.findall(r"^\s*port\s+(\d+)", text, re.M) or [port])[-1])
    if "--port" in args and args.index("--port") + 1 < len(args):
        port = int(args[args.index("--port") + 1])
    return server("redis-server", [port], {"version": version, "config": config, "port": port})


def prog_perl(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    script = " ".join(a for a in argv[1:] if not a.startswith("-") or a.startswith("-e"))
    flags = " ".join(argv[1:])
    match = re.search(r"bpi\((\d+)\)", flags)
    if match:
        digits = min(int(match.group(1)), 20000)
        return _res(status=0, out=pi_digits(digits) + ("\n" if "l" in flags else ""), seconds=digits / 1000)
    match = re.search(r"""print\s*\(?\s*(["'])(.*?)\1""", flags)
    if match:
        text = match.group(2).replace("\\n", "\n")
        return _res(status=0, out=text + ("\n" if re.search(r"-\w*l", flags) else ""))
    if argv[1:2] == ["-de0"] or not script:
        return _res(block={"kind": "stdin"}) if sh.host.stdin_open else _res(status=0)
    return _res(status=0)


def pi_digits(count: int) -> str:
    """π to `count` significant digits, rounded like Math::BigFloat (Machin's formula, integers only)."""
    extra = 10
    scale = 10 ** (count + extra)

    def arctan_inverse(x: int) -> int:
        total, term, n, sign = 0, scale // x, 1, 1
        while term:
            total += sign * (term // n)
            term //= x * x
            n += 2
            sign = -sign
        return total

    pi = 4 * (4 * arctan_inverse(5) - arctan_inverse(239))
    rounded = (pi + 5 * 10 ** (extra - 1)) // 10 ** extra
    text = str(rounded)
    return text[0] + "." + text[1:count]


def prog_python(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    args = argv[1:]
    unbuffered = "-u" in args or bool(env.get("PYTHONUNBUFFERED"))
    args = [a for a in args if a != "-u"]
    if args[:2] == ["-m", "http.server"]:
        port = next((int(a) for a in args[2:] if a.isdigit()), 8000)
        return server("python-http", [port], {"port": port, "unbuffered": unbuffered, "home": sh.state["cwd"]})
    if args[:1] == ["-c"] and len(args) > 1:
        printed = re.findall(r"""print\(\s*(["'])(.*?)\1\s*\)""", args[1])
        return _res(status=0, out="".join(text + "\n" for _, text in printed))
    if args and not args[0].startswith("-"):
        if not sh.host.fs.is_file(_abs(sh, args[0])):
            path = _abs(sh, args[0])
            return _res(status=2, err=f"{argv[0].rsplit('/', 1)[-1]}: can't open file '{path}': [Errno 2] "
                                      f"No such file or directory\n")
        return _res(status=0)
    return _res(block={"kind": "stdin"}) if sh.host.stdin_open else _res(status=0)


def prog_node(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    args = argv[1:]
    if args[:1] in (["-e"], ["--eval"], ["-p"]) and len(args) > 1:
        printed = re.findall(r"""console\.log\(\s*(["'`])(.*?)\1\s*\)""", args[1])
        return _res(status=0, out="".join(text + "\n" for _, text in printed))
    if args and not args[0].startswith("-"):
        path = _abs(sh, args[0])
        if not sh.host.fs.is_file(path) and not sh.host.fs.is_file(path + ".js"):
            version = sh.host.image.version or "22.12.0"
            return _res(status=1, err=(
                "node:internal/modules/cjs/loader:1228\n  throw err;\n  ^\n\n"
                f"Error: Cannot find module '{path}'\n"
                "    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)\n"
                "    at Module._load (node:internal/modules/cjs/loader:1051:27)\n"
                "    at node:internal/main/run_main_module:28:49 {\n"
                "  code: 'MODULE_NOT_FOUND',\n  requireStack: []\n}\n\n"
                f"Node.js v{version}\n"))
        return _res(status=0)
    return _res(block={"kind": "stdin"}) if sh.host.stdin_open else _res(status=0)


def prog_repl(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """irb, jshell, php -a, zsh, perl5 -de0: read from the terminal; without one they read EOF and exit 0."""
    return _res(block={"kind": "stdin"}) if sh.host.stdin_open else _res(status=0)


# -- Kubernetes' test and example images ---------------------------------------------------------------
def prog_agnhost(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    args = argv[1:]
    sub = args[0] if args else ""
    if sub == "liveness":
        return server("agnhost-liveness", [8080], {"since": sh.t}, banner=False)
    if sub == "netexec":
        port = _flag_int(args, "--http-port", 8080)
        udp = _flag_int(args, "--udp-port", 8081)
        return server("agnhost-netexec", [port], {"port": port, "udp": udp})
    if sub == "serve-hostname":
        return server("agnhost-serve-hostname", [_flag_int(args, "--port", 9376)], {}, banner=False)
    if sub == "test-webserver":
        return server("test-webserver", [_flag_int(args, "--port", 80)], {}, banner=False)
    if sub == "pause":
        return server("pause", [], {}, banner=True)
    if sub == "entrypoint-tester":
        return _res(status=0, out=" ".join(args) + "\n")
    if not sub or sub in ("-h", "--help", "help"):
        return _res(status=0, out="agnhost is an extendable CLI that behaves and outputs the same expected "
                                  "content, no matter the underlying OS.\n")
    return _res(status=1, err=f'Error: unknown command "{sub}" for "agnhost"\n'
                              "Run 'agnhost --help' for usage.\n")


def _flag_int(args: list[str], name: str, default: int) -> int:
    for i, arg in enumerate(args):
        if arg.startswith(name + "="):
            return int(arg.split("=", 1)[1])
        if arg == name and i + 1 < len(args):
            return int(args[i + 1])
    return default


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
        return _res(status=127, err="Missing -text option!\n")
    listen = next((a.split("=", 1)[1] for a in argv[1:] if a.startswith(("-listen=", "--listen="))), ":5678")
    port = int(listen.rsplit(":", 1)[-1] or 5678)
    return server("http-echo", [port], {"text": text, "port": port})


def prog_whoami(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    port = _flag_int(argv[1:], "--port", int(env.get("WHOAMI_PORT_NUMBER", "80") or 80))
    return server("whoami", [port], {"port": port, "ip": sh.host.pod_ip})


def prog_run_sh(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    if sh.host.image.name == "echoserver":
        return server("echoserver", [8080], {"ip": sh.host.pod_ip})
    return server("redis-server", [6379], {"version": "6.0.5", "config": "", "port": 6379, "replica": True})


def prog_hello_world(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    return _res(status=0, out=HELLO_FROM_DOCKER)


def prog_stress(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """stress (polinux/stress, progrium/stress): memory hogs past the container's limit are OOM-killed."""
    args = argv[1:]
    vm = _flag_int(args, "--vm", 0) or _flag_int(args, "-m", 0)
    size = next((args[i + 1] for i, a in enumerate(args) if a == "--vm-bytes" and i + 1 < len(args)), "256M")
    cpu = _flag_int(args, "--cpu", 0) or _flag_int(args, "-c", 0)
    timeout = next((args[i + 1] for i, a in enumerate(args) if a in ("--timeout", "-t") and i + 1 < len(args)), "")
    line = f"stress: info: [1] dispatching hogs: {cpu} cpu, 0 io, {vm} vm, 0 hdd\n"
    wanted = vm * _bytes(size)
    limit = sh.host.memory_limit
    if limit and wanted > limit:
        return _res(status=137, out=line, seconds=1.0, exit=True, reason="OOMKilled")
    if timeout:
        seconds = float(re.sub(r"[^\d.]", "", timeout) or 0) * {"m": 60, "h": 3600}.get(timeout[-1:], 1)
        return _res(status=0, out=line + f"stress: info: [1] successful run completed in {int(seconds)}s\n",
                    seconds=seconds)
    return _res(out=line, block={"kind": "server", "name": "stress", "args": {}}, pid1="stress")


def prog_vish_stress(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    args = argv[1:]
    total = next((a.split("=", 1)[1] for a in args if a.startswith("-mem-total=")), "")
    if not total and "-mem-total" in args and args.index("-mem-total") + 1 < len(args):
        total = args[args.index("-mem-total") + 1]
    limit = sh.host.memory_limit
    if total and limit and _bytes(total) > limit:
        return _res(status=137, seconds=2.0, exit=True, reason="OOMKilled")
    return _res(block={"kind": "server", "name": "stress", "args": {}}, pid1="stress")


def _bytes(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)[Bb]?", text.strip())
    if not match:
        return 0
    base = 1024 if match.group(3) or match.group(2) else 1
    power = "KMGT".find(match.group(2)) + 1 if match.group(2) else 0
    factor = base ** power if match.group(3) else (1024 ** power)  # stress's M means MiB
    return int(float(match.group(1)) * factor)


def _abs(sh: Shell, path: str) -> str:
    from cluster.container.fs import resolve_path
    return resolve_path(sh.state["cwd"], path)


def prog_etcd(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """etcd: clients on 2379, peers on 2380, and (--listen-metrics-urls, as kubeadm sets it) the HTTP
    /metrics, /livez and /readyz endpoints its static pod's probes ask, on 2381."""
    res = server("etcd", [2379, 2380], {"version": sh.host.image.version}, banner=False)
    if any(a.startswith("--listen-metrics-urls=") and ":2381" in a for a in argv):
        res.listen[2381] = "etcd-metrics"
    return res


def _simple_server(name: str, port: int) -> Program:
    def run(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
        return server(name, [port], {"version": sh.host.image.version}, banner=False)
    return run


_GENERIC_SERVERS = {"caddy", "traefik", "registry", "memcached", "mongod", "rabbitmq-server", "catalina.sh",
                    "cassandra", "zkServer.sh", "influxd", "consul", "vault", "haproxy", "eswrapper",
                    "kibana-docker", "jenkins.sh", "nats-server", "fluentd", "php-fpm", "mysqld", "mariadbd",
                    "postgres"}
PROGRAMS: dict[str, Program] = {
    "docker-entrypoint.sh": prog_entrypoint, "entrypoint.sh": prog_entrypoint,
    "docker-php-entrypoint": prog_entrypoint, "docker-entrypoint": prog_entrypoint, "tini": prog_tini,
    "nginx": prog_nginx, "nginx-debug": prog_nginx, "httpd": prog_httpd, "httpd-foreground": prog_httpd,
    "apache2-foreground": prog_apache, "redis-server": prog_redis, "perl": prog_perl, "perl5": prog_perl,
    "python": prog_python, "python3": prog_python, "node": prog_node, "irb": prog_repl, "jshell": prog_repl,
    "zsh": prog_repl, "agnhost": prog_agnhost, "server": prog_liveness_server, "pause": prog_pause,
    "goproxy": _simple_server("goproxy", 8080), "hello-app": prog_hello_app, "http-echo": prog_http_echo,
    "whoami": prog_whoami, "run.sh": prog_run_sh, "hello": prog_hello_world, "stress": prog_stress,
    "etcd": prog_etcd, "test-webserver": _simple_server("test-webserver", 80),
    "postgres": _simple_server("postgres", 5432), "mysqld": _simple_server("mysqld", 3306),
    "mariadbd": _simple_server("mariadbd", 3306),
}


def _php(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    return prog_repl(sh, argv, stdin, env) if "-a" in argv or len(argv) == 1 else _res(status=0)


PROGRAMS["php"] = _php

HELLO_FROM_DOCKER = """
Hello from Docker!
This message shows that your installation appears to be working correctly.

To generate this message, Docker took the following steps:
 1. The Docker client contacted the Docker daemon.
 2. The Docker daemon pulled the "hello-world" image from the Docker Hub.
    (amd64)
 3. The Docker daemon created a new container from that image which runs the
    executable that produces the output you are currently reading.
 4. The Docker daemon streamed that output to the Docker client, which sent it
    to your terminal.

To try something more ambitious, you can run an Ubuntu container with:
 $ docker run -it ubuntu bash

Share images, automate workflows, and more with a free Docker ID:
 https://hub.docker.com/

For more examples and ideas, visit:
 https://docs.docker.com/get-started/

"""


# -- start-up and shut-down lines ----------------------------------------------------------------------
def _redis_stamp(t: float, role: str) -> str:
    moment = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    return f"1:{role} {moment.strftime('%d %b %Y %H:%M:%S')}.{moment.microsecond // 1000:03d}"


def _nginx_stamp(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y/%m/%d %H:%M:%S")


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3]) or (0,)


def banner_lines(name: str, args: dict, t: float) -> list[tuple[float, str, str]]:
    """What a program prints when it starts: (time, stream, line)."""
    if name == "nginx":
        return _nginx_banner(args, t)
    if name == "redis-server":
        return _redis_banner(args, t)
    if name == "httpd":
        return _httpd_banner(args, t, "httpd", f"Apache/{args.get('version', '2.4.62')} (Unix)",
                             "mpm_event", "'httpd -D FOREGROUND'")
    if name == "apache":
        php = "PHP/5.6.40" if args.get("php") in ("hpa-example",) else "PHP/8.3.14"
        return _httpd_banner(args, t, "apache2", f"Apache/2.4.62 (Debian) {php}", "mpm_prefork",
                             "'apache2 -D FOREGROUND'")
    if name == "python-http" and args.get("unbuffered"):
        port = args.get("port", 8000)
        return [(t, "stdout", f"Serving HTTP on 0.0.0.0 port {port} (http://0.0.0.0:{port}/) ...")]
    if name == "hello-app":
        return [(t, "stderr", f"{_nginx_stamp(t)} Server listening on port {args.get('port', 8080)}")]
    if name == "http-echo":
        return [(t, "stderr", f"{_nginx_stamp(t)} [INFO] server is listening on :{args.get('port', 5678)}")]
    if name == "whoami":
        return [(t, "stdout", f"{_nginx_stamp(t)} Starting up on port {args.get('port', 80)}")]
    if name == "agnhost-netexec":
        return [(t, "stderr", f"I{dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime('%m%d %H:%M:%S.%f')}"
                              f"       1 log.go:245] Started HTTP server on port {args.get('port', 8080)}"),
                (t, "stderr", f"I{dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime('%m%d %H:%M:%S.%f')}"
                              f"       1 log.go:245] Started UDP server on port  {args.get('udp', 8081)}")]
    if name == "pause":
        return []
    return []


def _nginx_banner(args: dict, t: float) -> list[tuple[float, str, str]]:
    version = args.get("version", "1.27.5")
    v = _version_tuple(version)
    lines: list[tuple[float, str, str]] = []
    if args.get("entrypoint") and v >= (1, 19):
        scripts = ["10-listen-on-ipv6-by-default.sh"] + (["15-local-resolvers.envsh"] if v >= (1, 25) else []) + \
                  ["20-envsubst-on-templates.sh"] + (["30-tune-worker-processes.sh"] if v >= (1, 21) else [])
        out = ["/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
               "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/"]
        for script in scripts:
            verb = "Sourcing" if script.endswith(".envsh") else "Launching"
            out.append(f"/docker-entrypoint.sh: {verb} /docker-entrypoint.d/{script}")
            if script.startswith("10-"):
                out += ["10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
                        "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in "
                        "/etc/nginx/conf.d/default.conf"]
        out.append("/docker-entrypoint.sh: Configuration complete; ready for start up")
        lines += [(t, "stdout", line) for line in out]
    if v < (1, 21):
        return lines  # the images before 1.21 log at the "warn" level: nothing more at start-up
    stamp = _nginx_stamp(t)
    gcc = ("gcc 13.2.1 20240309 (Alpine 13.2.1_git20240309)" if args.get("alpine") else
           "gcc 14.2.0 (Debian 14.2.0-19) " if v >= (1, 28) else "gcc 12.2.0 (Debian 12.2.0-14) " if v >= (1, 23, 4)
           else "gcc 10.2.1 20210110 (Debian 10.2.1-6) ")
    notices = ['using the "epoll" event method', f"nginx/{version}", f"built by {gcc}",
               f"OS: Linux {args.get('kernel', '6.1.0-kubeclass')}", "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
               "start worker processes"]
    first_worker = 29 if v >= (1, 25) else 31
    notices += [f"start worker process {first_worker + i}" for i in range(int(args.get("cpus", 2)))]
    return lines + [(t, "stderr", f"{stamp} [notice] 1#1: {n}") for n in notices]


def _redis_banner(args: dict, t: float) -> list[tuple[float, str, str]]:
    version = args.get("version", "7.4.2")
    modern = _version_tuple(version) >= (7,)
    mark = "*" if modern else "#"
    lines = [f"{_redis_stamp(t, 'C')} {mark} oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
             f"{_redis_stamp(t, 'C')} {mark} Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, "
             f"just started"]
    if args.get("config"):
        lines.append(f"{_redis_stamp(t, 'C')} {mark} Configuration loaded")
    else:
        lines.append(f"{_redis_stamp(t, 'C')} # Warning: no config file specified, using the default config. In "
                     f"order to specify a config file use redis-server /path/to/redis.conf")
    later = t + 0.001
    lines += [f"{_redis_stamp(later, 'M')} * monotonic clock: POSIX clock_gettime",
              f"{_redis_stamp(later, 'M')} * Running mode=standalone, port={args.get('port', 6379)}.",
              f"{_redis_stamp(later, 'M')} * Server initialized",
              f"{_redis_stamp(later, 'M')} * Ready to accept connections" + (" tcp" if modern else "")]
    return [(t if i < 3 else later, "stdout", line) for i, line in enumerate(lines)]


def _httpd_banner(args: dict, t: float, program: str, server_text: str, mpm: str, command: str
                  ) -> list[tuple[float, str, str]]:
    ip = args.get("ip") or "127.0.0.1"
    notice = (f"AH00558: {program}: Could not reliably determine the server's fully qualified domain name, using "
              f"{ip}. Set the 'ServerName' directive globally to suppress this message")
    moment = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    stamp = moment.strftime("%a %b %d %H:%M:%S.%f %Y")
    tid = " [pid 1:tid 1]" if program == "httpd" else " [pid 1]"
    return [(t, "stderr", notice), (t, "stderr", notice),
            (t, "stderr", f"[{stamp}] [{mpm}:notice]{tid} AH00489: {server_text} configured -- resuming normal "
                          f"operations" if program == "httpd" else
             f"[{stamp}] [{mpm}:notice]{tid} AH00163: {server_text} configured -- resuming normal operations"),
            (t, "stderr", f"[{stamp}] [core:notice]{tid} AH00094: Command line: {command}")]


def stop_lines(name: str, args: dict, t: float, signal: str) -> list[tuple[float, str, str]]:
    """What a server prints when the kubelet stops it."""
    if name == "nginx":
        stamp = _nginx_stamp(t)
        number = {"SIGQUIT": 3, "SIGTERM": 15}.get(signal, 15)
        what = "gracefully shutting down" if signal == "SIGQUIT" else "exiting"
        lines = [f"{stamp} [notice] 1#1: signal {number} ({signal}) received, shutting down"]
        lines += [f"{stamp} [notice] {29 + i}#{29 + i}: {what}" for i in range(int(args.get("cpus", 2)))]
        lines += [f"{stamp} [notice] 1#1: exit"]
        return [(t, "stderr", line) for line in lines]
    if name == "redis-server":
        return [(t, "stdout", f"1:signal-handler ({int(t)}) Received SIGTERM scheduling shutdown..."),
                (t, "stdout", f"{_redis_stamp(t, 'M')} * User requested shutdown..."),
                (t, "stdout", f"{_redis_stamp(t, 'M')} * Saving the final RDB snapshot before exiting."),
                (t, "stdout", f"{_redis_stamp(t, 'M')} * DB saved on disk"),
                (t, "stdout", f"{_redis_stamp(t, 'M')} # Redis is now ready to exit, bye bye...")]
    return []


# -- answering requests ---------------------------------------------------------------------------------
def respond(block: dict, path: str, fs: object, t: float, hostname: str, client: str, agent: str
            ) -> tuple[int | None, str]:
    """(HTTP status, body) of a server's answer to `GET path`; status None: not an HTTP server."""
    name, args = block.get("name", ""), block.get("args") or {}
    route = path.split("?", 1)[0] or "/"
    if name == "nginx":
        return _static(fs, "/usr/share/nginx/html", route, _nginx_error(args), index_missing=403)
    if name in ("httpd", "apache"):
        if args.get("php") == "hpa-example":
            return 200, "OK!"
        root = "/usr/local/apache2/htdocs" if name == "httpd" else "/var/www/html"
        return _static(fs, root, route, lambda code: (code, HTTPD_ERRORS.get(code, "")), index_missing=403)
    if name == "busybox-httpd":
        return _static(fs, args.get("home", "/"), route, lambda code: (code, BUSYBOX_404), index_missing=404)
    if name == "python-http":
        return _static(fs, args.get("home", "/"), route, lambda code: (code, ""), index_missing=200)
    if name == "agnhost-liveness":
        return _agnhost_liveness(route, t - float(args.get("since", t)))
    if name in ("agnhost-serve-hostname",):
        return 200, hostname
    if name == "agnhost-netexec":
        return _netexec(route, path, hostname, client, t)
    if name == "hello-app":
        return 200, f"Hello, world!\nVersion: {args.get('version', '1.0.0')}\nHostname: {hostname}\n"
    if name == "http-echo":
        return 200, args.get("text", "") + "\n"
    if name == "whoami":
        return 200, (f"Hostname: {hostname}\nIP: 127.0.0.1\nIP: {args.get('ip', '')}\nRemoteAddr: {client}:54312\n"
                     f"GET {path} HTTP/1.1\nHost: {args.get('ip', '')}\nUser-Agent: {agent}\nAccept: */*\n\n")
    if name == "echoserver":
        return 200, _echo(args, path, client, agent)
    if name in ("redis-server", "postgres", "mysqld", "mariadbd", "etcd", "stress", "pause", "memcached"):
        return None, ""
    return 200, ""


def _static(fs: object, root: str, route: str, error: Callable[[int], tuple[int, str]], index_missing: int
            ) -> tuple[int, str]:
    base = posixpath.normpath("/" + root.strip("/"))
    target = posixpath.normpath(base + "/" + route.lstrip("/"))
    if target != base and not target.startswith(base.rstrip("/") + "/"):
        return error(404)
    try:
        if fs.is_dir(target):  # type: ignore[attr-defined]
            for index in ("index.html", "index.htm"):
                if fs.is_file(target.rstrip("/") + "/" + index):  # type: ignore[attr-defined]
                    return 200, fs.read(target.rstrip("/") + "/" + index)  # type: ignore[attr-defined]
            return error(index_missing) if index_missing != 200 else (200, _listing(fs, target, route))
        return 200, fs.read(target)  # type: ignore[attr-defined]
    except FsError:
        return error(404)


def _listing(fs: object, target: str, route: str) -> str:
    names = fs.listdir(target)  # type: ignore[attr-defined]
    items = "".join(f'<li><a href="{n}">{n}</a></li>\n' for n in names)
    return (f"<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Directory listing for "
            f"{route}</title>\n</head>\n<body>\n<h1>Directory listing for {route}</h1>\n<hr>\n<ul>\n{items}</ul>\n"
            f"<hr>\n</body>\n</html>\n")


def _nginx_error(args: dict) -> Callable[[int], tuple[int, str]]:
    version = args.get("version", "1.27.5")
    titles = {403: "403 Forbidden", 404: "404 Not Found"}

    def page(code: int) -> tuple[int, str]:
        title = titles.get(code, f"{code}")
        return code, (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>"
                      f"\r\n<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n")
    return page


HTTPD_ERRORS = {
    404: '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
         "</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n",
    403: '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>403 Forbidden</title>\n'
         "</head><body>\n<h1>Forbidden</h1>\n<p>You don't have permission to access this resource.</p>\n"
         "</body></html>\n"}
BUSYBOX_404 = ("<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\n"
               "The requested URL was not found\n</BODY></HTML>\n")


def _agnhost_liveness(route: str, age: float) -> tuple[int, str]:
    if route == "/healthz":
        return (500, f"error: {age:g}") if age > 10 else (200, "ok")
    if route == "/started":
        return 200, f"{age:g}s"
    return 404, "404 page not found\n"


def _netexec(route: str, path: str, hostname: str, client: str, t: float) -> tuple[int, str]:
    if route == "/hostname":
        return 200, hostname
    if route == "/clientip":
        return 200, f"{client}:54312"
    if route == "/echo":
        return 200, path.split("msg=", 1)[1].split("&")[0] if "msg=" in path else ""
    if route == "/healthz":
        return 200, ""
    return 200, f"NOW: {dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime('%Y-%m-%d %H:%M:%S.%f')} +0000 UTC"


def _echo(args: dict, path: str, client: str, agent: str) -> str:
    ip = args.get("ip", "")
    return (f"\n\nHostname: echoserver\n\nPod Information:\n\t-no pod information available-\n\n"
            f"Server values:\n\tserver_version=nginx: 1.13.3 - lua: 10008\n\nRequest Information:\n"
            f"\tclient_address={client}\n\tmethod=GET\n\treal path={path}\n\tquery=\n\trequest_version=1.1\n"
            f"\trequest_scheme=http\n\trequest_uri=http://{ip}:8080{path}\n\nRequest Headers:\n\taccept=*/*\n"
            f"\thost={ip}:8080\n\tuser-agent={agent}\n\nRequest Body:\n\t-no body in request-\n\n")


def access_line(block: dict, t: float, client: str, path: str, status: int, size: int, agent: str
                ) -> tuple[str, str] | None:
    """(stream, line) the server logs for one request, or None if it logs none."""
    name = block.get("name", "")
    moment = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    clf = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
    if name == "nginx":
        return "stdout", f'{client} - - [{clf}] "GET {path} HTTP/1.1" {status} {size} "-" "{agent}" "-"'
    if name == "httpd":
        return "stdout", f'{client} - - [{clf}] "GET {path} HTTP/1.1" {status} {size}'
    if name == "apache":
        return "stdout", f'{client} - - [{clf}] "GET {path} HTTP/1.1" {status} {size + 200} "-" "{agent}"'
    if name == "python-http":
        stamp = moment.strftime("%d/%b/%Y %H:%M:%S")
        return "stderr", f'{client} - - [{stamp}] "GET {path} HTTP/1.1" {status} -'
    if name == "hello-app":
        return "stderr", f"{_nginx_stamp(t)} Serving request: {path}"
    return None
