"""What every program module shares: a program's signature, its answer, and the helpers they all use.

A program (cluster/container/programs.py looks one up) is called with the shell that runs it, its
argv, its stdin and its environment, and answers a Res (cluster/container/shell.py): its status and
output, or what it blocks on. A server answers `server(...)`: it blocks, listens on its ports and
records its start-up lines (cluster/container/programs_banners.py expands them when logs are read).

Simplified: a program's flags are read as far as the simulation needs them (`flag_int`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from cluster.container.shell import Res, Shell

Program = Callable[["Shell", list[str], "str | None", dict], "Res"]


def make_res(**kw: object) -> Res:
    """A Res, imported when a program answers (cluster/container/shell.py imports the programs)."""
    from cluster.container.shell import Res

    return Res(**kw)  # type: ignore[arg-type]


def server(name: str, ports: list[int], args: dict | None = None, banner: bool = True) -> Res:
    """A program that listens on `ports` until it is stopped."""
    args = dict(args or {})
    return make_res(
        block={"kind": "server", "name": name, "args": args},
        listen={p: name for p in ports},
        banner=[name, args] if banner else None,
        pid1=name,
    )


def flag_int(args: list[str], name: str, default: int) -> int:
    for i, arg in enumerate(args):
        if arg.startswith(name + "="):
            return int(arg.split("=", 1)[1])
        if arg == name and i + 1 < len(args):
            return int(args[i + 1])
    return default


def abs_path(sh: Shell, path: str) -> str:
    from cluster.container.fs import resolve_path

    return resolve_path(sh.state["cwd"], path)
