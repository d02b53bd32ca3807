"""What a program prints when it starts and when it is stopped, at the moment it does.

Start-up lines are not stored: a process records `[time, program, args]` and the log reader expands
it (`banner_lines`) as the program would print it at that time — nginx's entrypoint and notices by
its version, redis's start-up by its version and config, httpd's and apache's AH00558 and
"resuming normal operations" notices, the example images' one line. `stop_lines` is what nginx and
redis print on SIGTERM or SIGQUIT.

Simplified: process ids and build strings are the images' usual ones; nginx starts one worker per
CPU of the node.
"""

from __future__ import annotations

import datetime as dt
import re


def redis_stamp(t: float, role: str) -> str:
    moment = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    return f"1:{role} {moment.strftime('%d %b %Y %H:%M:%S')}.{moment.microsecond // 1000:03d}"


def nginx_stamp(t: float) -> str:
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
        return _httpd_banner(
            args, t, "httpd", f"Apache/{args.get('version', '2.4.62')} (Unix)", "mpm_event", "'httpd -D FOREGROUND'"
        )
    if name == "apache":
        php = "PHP/5.6.40" if args.get("php") in ("hpa-example",) else "PHP/8.3.14"
        return _httpd_banner(
            args, t, "apache2", f"Apache/2.4.62 (Debian) {php}", "mpm_prefork", "'apache2 -D FOREGROUND'"
        )
    if name == "python-http" and args.get("unbuffered"):
        port = args.get("port", 8000)
        return [(t, "stdout", f"Serving HTTP on 0.0.0.0 port {port} (http://0.0.0.0:{port}/) ...")]
    if name == "hello-app":
        return [(t, "stderr", f"{nginx_stamp(t)} Server listening on port {args.get('port', 8080)}")]
    if name == "http-echo":
        return [(t, "stderr", f"{nginx_stamp(t)} [INFO] server is listening on :{args.get('port', 5678)}")]
    if name == "whoami":
        return [(t, "stdout", f"{nginx_stamp(t)} Starting up on port {args.get('port', 80)}")]
    if name == "agnhost-netexec":
        return [
            (
                t,
                "stderr",
                f"I{dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime('%m%d %H:%M:%S.%f')}"
                f"       1 log.go:245] Started HTTP server on port {args.get('port', 8080)}",
            ),
            (
                t,
                "stderr",
                f"I{dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime('%m%d %H:%M:%S.%f')}"
                f"       1 log.go:245] Started UDP server on port  {args.get('udp', 8081)}",
            ),
        ]
    if name == "pause":
        return []
    return []


def _nginx_banner(args: dict, t: float) -> list[tuple[float, str, str]]:
    version = args.get("version", "1.27.5")
    v = _version_tuple(version)
    lines: list[tuple[float, str, str]] = []
    if args.get("entrypoint") and v >= (1, 19):
        scripts = (
            ["10-listen-on-ipv6-by-default.sh"]
            + (["15-local-resolvers.envsh"] if v >= (1, 25) else [])
            + ["20-envsubst-on-templates.sh"]
            + (["30-tune-worker-processes.sh"] if v >= (1, 21) else [])
        )
        out = [
            "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
            "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
        ]
        for script in scripts:
            verb = "Sourcing" if script.endswith(".envsh") else "Launching"
            out.append(f"/docker-entrypoint.sh: {verb} /docker-entrypoint.d/{script}")
            if script.startswith("10-"):
                out += [
                    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
                    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
                ]
        out.append("/docker-entrypoint.sh: Configuration complete; ready for start up")
        lines += [(t, "stdout", line) for line in out]
    if v < (1, 21):
        return lines  # the images before 1.21 log at the "warn" level: nothing more at start-up
    stamp = nginx_stamp(t)
    gcc = (
        "gcc 13.2.1 20240309 (Alpine 13.2.1_git20240309)"
        if args.get("alpine")
        else "gcc 14.2.0 (Debian 14.2.0-19) "
        if v >= (1, 28)
        else "gcc 12.2.0 (Debian 12.2.0-14) "
        if v >= (1, 23, 4)
        else "gcc 10.2.1 20210110 (Debian 10.2.1-6) "
    )
    notices = [
        'using the "epoll" event method',
        f"nginx/{version}",
        f"built by {gcc}",
        f"OS: Linux {args.get('kernel', '6.1.0-kubeclass')}",
        "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
        "start worker processes",
    ]
    first_worker = 29 if v >= (1, 25) else 31
    notices += [f"start worker process {first_worker + i}" for i in range(int(args.get("cpus", 2)))]
    return lines + [(t, "stderr", f"{stamp} [notice] 1#1: {n}") for n in notices]


def _redis_banner(args: dict, t: float) -> list[tuple[float, str, str]]:
    version = args.get("version", "7.4.2")
    modern = _version_tuple(version) >= (7,)
    mark = "*" if modern else "#"
    lines = [
        f"{redis_stamp(t, 'C')} {mark} oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
        f"{redis_stamp(t, 'C')} {mark} Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, "
        f"just started",
    ]
    if args.get("config"):
        lines.append(f"{redis_stamp(t, 'C')} {mark} Configuration loaded")
    else:
        lines.append(
            f"{redis_stamp(t, 'C')} # Warning: no config file specified, using the default config. In "
            f"order to specify a config file use redis-server /path/to/redis.conf"
        )
    later = t + 0.001
    lines += [
        f"{redis_stamp(later, 'M')} * monotonic clock: POSIX clock_gettime",
        f"{redis_stamp(later, 'M')} * Running mode=standalone, port={args.get('port', 6379)}.",
        f"{redis_stamp(later, 'M')} * Server initialized",
        f"{redis_stamp(later, 'M')} * Ready to accept connections" + (" tcp" if modern else ""),
    ]
    return [(t if i < 3 else later, "stdout", line) for i, line in enumerate(lines)]


def _httpd_banner(
    args: dict, t: float, program: str, server_text: str, mpm: str, command: str
) -> list[tuple[float, str, str]]:
    ip = args.get("ip") or "127.0.0.1"
    notice = (
        f"AH00558: {program}: Could not reliably determine the server's fully qualified domain name, using "
        f"{ip}. Set the 'ServerName' directive globally to suppress this message"
    )
    moment = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    stamp = moment.strftime("%a %b %d %H:%M:%S.%f %Y")
    tid = " [pid 1:tid 1]" if program == "httpd" else " [pid 1]"
    return [
        (t, "stderr", notice),
        (t, "stderr", notice),
        (
            t,
            "stderr",
            f"[{stamp}] [{mpm}:notice]{tid} AH00489: {server_text} configured -- resuming normal operations"
            if program == "httpd"
            else f"[{stamp}] [{mpm}:notice]{tid} AH00163: {server_text} configured -- resuming normal operations",
        ),
        (t, "stderr", f"[{stamp}] [core:notice]{tid} AH00094: Command line: {command}"),
    ]


def stop_lines(name: str, args: dict, t: float, signal: str) -> list[tuple[float, str, str]]:
    """What a server prints when the kubelet stops it."""
    if name == "nginx":
        stamp = nginx_stamp(t)
        number = {"SIGQUIT": 3, "SIGTERM": 15}.get(signal, 15)
        what = "gracefully shutting down" if signal == "SIGQUIT" else "exiting"
        lines = [f"{stamp} [notice] 1#1: signal {number} ({signal}) received, shutting down"]
        lines += [f"{stamp} [notice] {29 + i}#{29 + i}: {what}" for i in range(int(args.get("cpus", 2)))]
        lines += [f"{stamp} [notice] 1#1: exit"]
        return [(t, "stderr", line) for line in lines]
    if name == "redis-server":
        return [
            (t, "stdout", f"1:signal-handler ({int(t)}) Received SIGTERM scheduling shutdown..."),
            (t, "stdout", f"{redis_stamp(t, 'M')} * User requested shutdown..."),
            (t, "stdout", f"{redis_stamp(t, 'M')} * Saving the final RDB snapshot before exiting."),
            (t, "stdout", f"{redis_stamp(t, 'M')} * DB saved on disk"),
            (t, "stdout", f"{redis_stamp(t, 'M')} # Redis is now ready to exit, bye bye..."),
        ]
    return []
