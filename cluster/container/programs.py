"""The programs images ship, as the simulation runs them: which program a name runs, and PID 1's signals.

Each program gets its argv and environment and answers like the real one where a
learner would notice: nginx, httpd and redis-server print their real start-up lines
and listen until stopped; the official images' docker-entrypoint.sh scripts do
their checks (postgres and mysql refuse to start without a password, exit 1) and
exec the server; `perl -Mbignum=bpi -wle 'print bpi(2000)'` prints π (the Job
example); agnhost's `liveness` answers /healthz with 200 for ten seconds, then 500.

This module is the table (PROGRAMS) and the lookup. The programs are the entrypoints
(cluster/container/programs_entrypoints.py), the servers (programs_servers.py) and the one-shot
tools (programs_tools.py), over what they share (programs_base.py). Their start-up and shut-down
lines are programs_banners.py's, their answers to HTTP and access-log lines programs_http.py's.

Simplified: a program the simulation does not know runs as the image says — a server until
stopped (an unknown image's program, or an image's own server) or exits 0 at once (a REPL
without a terminal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cluster.container.programs_base import Program, make_res, server
from cluster.container.programs_entrypoints import prog_entrypoint, prog_tini
from cluster.container.programs_servers import (
    prog_agnhost,
    prog_apache,
    prog_etcd,
    prog_hello_app,
    prog_http_echo,
    prog_httpd,
    prog_liveness_server,
    prog_nginx,
    prog_pause,
    prog_redis,
    prog_run_sh,
    prog_serve_hostname,
    prog_whoami,
    simple_server,
)
from cluster.container.programs_tools import (
    prog_hello_world,
    prog_node,
    prog_perl,
    prog_php,
    prog_python,
    prog_repl,
    prog_stress,
)

if TYPE_CHECKING:
    from cluster.container.shell import Res, Shell
    from cluster.registry import Image


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
        return make_res(status=0)
    return server(argv[0].rsplit("/", 1)[-1], list(image.ports), {"generic": True}, banner=False)


_GENERIC_SERVERS = {
    "caddy",
    "traefik",
    "registry",
    "memcached",
    "mongod",
    "rabbitmq-server",
    "catalina.sh",
    "cassandra",
    "zkServer.sh",
    "influxd",
    "consul",
    "vault",
    "haproxy",
    "eswrapper",
    "kibana-docker",
    "jenkins.sh",
    "nats-server",
    "fluentd",
    "php-fpm",
    "mysqld",
    "mariadbd",
    "postgres",
}
PROGRAMS: dict[str, Program] = {
    "docker-entrypoint.sh": prog_entrypoint,
    "entrypoint.sh": prog_entrypoint,
    "docker-php-entrypoint": prog_entrypoint,
    "docker-entrypoint": prog_entrypoint,
    "tini": prog_tini,
    "nginx": prog_nginx,
    "nginx-debug": prog_nginx,
    "httpd": prog_httpd,
    "httpd-foreground": prog_httpd,
    "apache2-foreground": prog_apache,
    "redis-server": prog_redis,
    "perl": prog_perl,
    "perl5": prog_perl,
    "python": prog_python,
    "python3": prog_python,
    "node": prog_node,
    "irb": prog_repl,
    "jshell": prog_repl,
    "zsh": prog_repl,
    "agnhost": prog_agnhost,
    "server": prog_liveness_server,
    "pause": prog_pause,
    "serve_hostname": prog_serve_hostname,
    "goproxy": simple_server("goproxy", 8080),
    "hello-app": prog_hello_app,
    "http-echo": prog_http_echo,
    "whoami": prog_whoami,
    "run.sh": prog_run_sh,
    "hello": prog_hello_world,
    "stress": prog_stress,
    "etcd": prog_etcd,
    "test-webserver": simple_server("test-webserver", 80),
    "postgres": simple_server("postgres", 5432),
    "mysqld": simple_server("mysqld", 3306),
    "mariadbd": simple_server("mariadbd", 3306),
    "php": prog_php,
}
