"""How a simulated server answers an HTTP request, and the access-log line it writes for it.

nginx, httpd, apache, busybox httpd and `python -m http.server` serve files from the container's
filesystem (nginx from /usr/share/nginx/html), the first four with their own 403 and 404 pages,
python with a directory listing where there is no index.html; agnhost's
liveness answers /healthz with 200 for ten seconds, then 500; netexec, serve-hostname, hello-app,
http-echo, whoami and echoserver answer as those images do. A request from a kubelet probe carries
PROBE_AGENT as its User-Agent.

php-apache (the HPA walkthrough's image) burns CPU for every request: `request_cpu`, which the
request's client waits for (cluster/container/pods.py) and metrics-server counts (cluster/metrics.py).

Simplified: GET only; no headers beyond the User-Agent, no keep-alive, no Range.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from typing import Callable

from cluster.container.fs import FsError
from cluster.container.programs_banners import nginx_stamp

PROBE_AGENT = "kube-probe/1.32"
# CPU one request costs its server, in millicore-seconds: the HPA walkthrough's php-apache (index.php adds a
# million square roots) keeps a core busy for 50 ms; every other server here answers at no cost worth counting.
HPA_EXAMPLE_REQUEST_CPU = 50


def request_cpu(block: dict) -> int:
    """Millicore-seconds of CPU the server burns to answer one request."""
    args = block.get("args") or {}
    return (
        HPA_EXAMPLE_REQUEST_CPU if block.get("name") in ("httpd", "apache") and args.get("php") == "hpa-example" else 0
    )


def respond(
    block: dict, path: str, fs: object, t: float, hostname: str, client: str, agent: str
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
        return 200, (
            f"Hostname: {hostname}\nIP: 127.0.0.1\nIP: {args.get('ip', '')}\nRemoteAddr: {client}:54312\n"
            f"GET {path} HTTP/1.1\nHost: {args.get('ip', '')}\nUser-Agent: {agent}\nAccept: */*\n\n"
        )
    if name == "echoserver":
        return 200, _echo(args, path, client, agent)
    if name in ("redis-server", "postgres", "mysqld", "mariadbd", "etcd", "stress", "pause", "memcached"):
        return None, ""
    return 200, ""


def _static(
    fs: object, root: str, route: str, error: Callable[[int], tuple[int, str]], index_missing: int
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
    return (
        f'<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Directory listing for '
        f"{route}</title>\n</head>\n<body>\n<h1>Directory listing for {route}</h1>\n<hr>\n<ul>\n{items}</ul>\n"
        f"<hr>\n</body>\n</html>\n"
    )


def _nginx_error(args: dict) -> Callable[[int], tuple[int, str]]:
    version = args.get("version", "1.27.5")
    titles = {403: "403 Forbidden", 404: "404 Not Found"}

    def page(code: int) -> tuple[int, str]:
        title = titles.get(code, f"{code}")
        return code, (
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>"
            f"\r\n<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
        )

    return page


HTTPD_ERRORS = {
    404: '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
    "</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n",
    403: '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>403 Forbidden</title>\n'
    "</head><body>\n<h1>Forbidden</h1>\n<p>You don't have permission to access this resource.</p>\n"
    "</body></html>\n",
}
BUSYBOX_404 = (
    "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\n"
    "The requested URL was not found\n</BODY></HTML>\n"
)


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
    return (
        f"\n\nHostname: echoserver\n\nPod Information:\n\t-no pod information available-\n\n"
        f"Server values:\n\tserver_version=nginx: 1.13.3 - lua: 10008\n\nRequest Information:\n"
        f"\tclient_address={client}\n\tmethod=GET\n\treal path={path}\n\tquery=\n\trequest_version=1.1\n"
        f"\trequest_scheme=http\n\trequest_uri=http://{ip}:8080{path}\n\nRequest Headers:\n\taccept=*/*\n"
        f"\thost={ip}:8080\n\tuser-agent={agent}\n\nRequest Body:\n\t-no body in request-\n\n"
    )


def access_line(
    block: dict, t: float, client: str, path: str, status: int, size: int, agent: str
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
        return "stderr", f"{nginx_stamp(t)} Serving request: {path}"
    return None
