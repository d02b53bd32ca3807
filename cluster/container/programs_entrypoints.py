"""The official images' entrypoints: docker-entrypoint.sh's checks, then `exec "$@"`, and tini.

redis, memcached, traefik, curl, node, php, mongo and cassandra's entrypoints put the program in
front of arguments that are only flags or a config file; postgres refuses to initialize a database
without POSTGRES_PASSWORD (or trust), mysql and mariadb without one of their root-password
variables, each exiting 1 with the image's own message; nginx's entrypoint runs the
/docker-entrypoint.d scripts (their lines are its start-up lines); fluentd_elasticsearch's runs
`fluentd $FLUENTD_ARGS`. tini runs what follows `--`.

Simplified: the checks only look for the variables and the data directory (PG_VERSION,
/var/lib/mysql/mysql), which they create; no database is initialized.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cluster.container.fs import FsError
from cluster.container.programs_base import make_res

if TYPE_CHECKING:
    from cluster.container.shell import Res, Shell


def prog_entrypoint(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """The official images' docker-entrypoint.sh: checks, then `exec "$@"`."""
    from cluster.container.commands import dispatch

    image, args = sh.host.image.name, argv[1:]
    first = args[0] if args else ""
    if image in ("redis", "memcached", "traefik", "curl", "node", "php", "mongo", "cassandra") and (
        first.startswith("-") or first.endswith(".conf")
    ):
        args = [
            {
                "redis": "redis-server",
                "memcached": "memcached",
                "traefik": "traefik",
                "curl": "curl",
                "node": "node",
                "php": "php",
                "mongo": "mongod",
                "cassandra": "cassandra",
            }[image],
            *args,
        ]
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
        return make_res(status=0)
    res = dispatch(sh, args, stdin, env, nestable=True)
    if (
        image == "nginx"
        and args[0] in ("nginx", "nginx-debug")
        and res.banner
        and not env.get("NGINX_ENTRYPOINT_QUIET_LOGS")
    ):
        res.banner[1]["entrypoint"] = True
    res.pid1 = res.pid1 or args[0].rsplit("/", 1)[-1]
    if res.block is None and res.push is None:
        res.exit = True
    return res


def prog_tini(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    from cluster.container.commands import dispatch

    args = argv[argv.index("--") + 1 :] if "--" in argv else argv[1:]
    if not args:
        return make_res(status=1, err="[FATAL tini (1)] No program to execute\n")
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
    return make_res(
        status=1,
        err=(
            "Error: Database is uninitialized and superuser password is not specified.\n"
            "       You must specify POSTGRES_PASSWORD to a non-empty value for the\n"
            '       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".\n\n'
            '       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all\n'
            "       connections without a password. This is *not* recommended.\n\n"
            '       See PostgreSQL documentation about "trust":\n'
            "       https://www.postgresql.org/docs/current/auth-trust.html\n"
        ),
        exit=True,
    )


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
    return make_res(
        status=1,
        out=f"{stamp} [Note] [Entrypoint]: Entrypoint script for {product} {sh.host.image.version} started.\n",
        err=f"{stamp} [ERROR] [Entrypoint]: Database is uninitialized and password option is not "
        "specified\n"
        f"    You need to specify one of the following as an environment variable:\n"
        f"    - {wanted}_ROOT_PASSWORD\n    - {wanted}_ALLOW_EMPTY_PASSWORD\n"
        f"    - {wanted}_RANDOM_ROOT_PASSWORD\n",
        exit=True,
    )
