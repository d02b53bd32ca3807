"""The userland's file tools as the simulation runs them: busybox applets and GNU coreutils.

cat, touch, rm, rmdir, mkdir, ls, tee and cp/mv on the container's simulated filesystem
(cluster/container/fs.py), with the messages busybox or GNU coreutils print, chosen by
the image's userland (Shell.host.dialect); the helpers the text tools in coreutils.py share.

Simplified: only the options listed in each function are understood.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cluster.container.fs import FsError, resolve_path
from cluster.container.shell import Res

if TYPE_CHECKING:
    from cluster.container.shell import Shell


# -- files ------------------------------------------------------------------------------------------
def _gnu(sh: Shell) -> bool:
    return sh.host.dialect != "busybox"


def _cannot(sh: Shell) -> str:
    return "cannot" if _gnu(sh) else "can't"


def _path(sh: Shell, name: str) -> str:
    return resolve_path(sh.state["cwd"], name)


def u_cat(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    names = [a for a in argv[1:] if a != "-" and not a.startswith("-")] if len(argv) > 1 else []
    if not names:
        if stdin is None and sh.stdin_text is None and sh.host.stdin_open and "argv" in sh.frame["code"]:
            return Res(block={"kind": "stdin"})
        return Res(0, stdin if stdin is not None else (sh.stdin_text or ""))
    out, err, status = [], [], 0
    for name in names:
        try:
            out.append(sh.host.fs.read(_path(sh, name)))
        except FsError as e:
            status = 1
            if e.errno == "EISDIR":
                err.append(f"cat: {name}: Is a directory\n" if _gnu(sh) else "cat: read error: Is a directory\n")
            elif _gnu(sh):
                err.append(f"cat: {name}: {_text(e)}\n")
            else:
                err.append(f"cat: can't open '{name}': {_text(e)}\n")
    return Res(status, "".join(out), "".join(err))


def u_touch(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    err, status = [], 0
    for name in [a for a in argv[1:] if not a.startswith("-")]:
        try:
            sh.host.fs.touch(_path(sh, name), sh.t)
        except FsError as e:
            status = 1
            err.append(f"touch: cannot touch '{name}': {_text(e)}\n" if _gnu(sh) else f"touch: {name}: {_text(e)}\n")
    return Res(status, err="".join(err))


def u_rm(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and a != "-")
    force, recursive = "f" in flags, "r" in flags or "R" in flags
    err, status = [], 0
    for name in [a for a in argv[1:] if not a.startswith("-")]:
        try:
            sh.host.fs.remove(_path(sh, name), sh.t, recursive)
        except FsError as e:
            if e.errno == "ENOENT" and force:
                continue
            status = 1
            if e.errno == "EISDIR" and not _gnu(sh):
                err.append(f"rm: '{name}' is a directory\n")
            else:
                err.append(f"rm: {_cannot(sh)} remove '{name}': {_text(e)}\n")
    return Res(status, err="".join(err))


def u_mkdir(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    parents = any(a.startswith("-") and "p" in a for a in argv[1:])
    err, status = [], 0
    for name in [a for a in argv[1:] if not a.startswith("-")]:
        try:
            sh.host.fs.mkdir(_path(sh, name), sh.t, parents)
        except FsError as e:
            status = 1
            err.append(f"mkdir: {_cannot(sh)} create directory '{name}': {_text(e)}\n")
    return Res(status, err="".join(err))


def u_rmdir(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    err, status = [], 0
    for name in [a for a in argv[1:] if not a.startswith("-")]:
        path = _path(sh, name)
        try:
            if sh.host.fs.listdir(path):
                raise FsError("ENOTEMPTY", path)
            sh.host.fs.remove(path, sh.t, recursive=True)
        except FsError as e:
            status = 1
            err.append(
                f"rmdir: failed to remove '{name}': {_text(e)}\n" if _gnu(sh) else f"rmdir: '{name}': {_text(e)}\n"
            )
    return Res(status, err="".join(err))


def u_ls(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and a != "-")
    names = sorted(a for a in argv[1:] if not a.startswith("-") or a == "-") or ["."]
    err, status, files, dirs = [], 0, [], []
    for name in names:
        path = _path(sh, name)
        if not sh.host.fs.is_dir(path) and not sh.host.fs.is_file(path):
            status = 2 if _gnu(sh) else 1
            e = FsError("ENOENT", path)
            err.append(f"ls: cannot access '{name}': {_text(e)}\n" if _gnu(sh) else f"ls: {name}: {_text(e)}\n")
        elif sh.host.fs.is_dir(path) and "d" not in flags:
            dirs.append((name, path))
        else:
            files.append((name, path))  # a file, or a directory itself under -d: listed by the name given
    blocks = []
    if files:
        blocks.append(_long_of(sh, files) if "l" in flags else "".join(f"{name}\n" for name, _ in files))
    for name, path in dirs:
        blocks += _listings(sh, name, path, flags, headed=len(names) > 1 or "R" in flags)
    return Res(status, "\n".join(blocks), "".join(err))


def _listings(sh: Shell, name: str, path: str, flags: str, headed: bool) -> list[str]:
    """One directory's listing; under -R, then each of its subdirectories', depth first, each under its name
    (a stack, not recursion: a path may be two thousand directories deep)."""
    blocks: list[str] = []
    pending = [(name, path)]
    while pending:
        name, path = pending.pop()
        entries = sh.host.fs.listdir(path)
        shown = [".", "..", *entries] if "a" in flags else entries
        listing = "".join(f"{e}\n" for e in shown) if "l" not in flags else _long(sh, path, shown)
        blocks.append(f"{name}:\n{listing}" if headed or blocks else listing)
        if "R" in flags:
            subdirectories = [e for e in entries if sh.host.fs.is_dir(resolve_path(path, e))]
            pending += [(f"{name.rstrip('/')}/{e}", resolve_path(path, e)) for e in reversed(subdirectories)]
    return blocks


def _long(sh: Shell, path: str, entries: list[str]) -> str:
    return _long_of(sh, [(entry, resolve_path(path, entry)) for entry in entries])


def _long_of(sh: Shell, named: list[tuple[str, str]]) -> str:
    """`ls -l` lines: each (shown name, full path)."""
    lines = []
    for shown, full in named:
        is_dir = sh.host.fs.is_dir(full)
        size = 4096 if is_dir else len(sh.host.fs.read(full)) if sh.host.fs.is_file(full) else 0
        stamp = dt.datetime.fromtimestamp(sh.host.fs.mtime(full) or sh.t, dt.timezone.utc).strftime("%b %d %H:%M")
        mode = ("drwxrwxrwt" if full in ("/tmp", "/var/tmp") else "drwxr-xr-x") if is_dir else "-rw-r--r--"
        lines.append(f"{mode}    1 root     root    {size:>8} {stamp} {shown}\n")
    return "".join(lines)


def u_tee(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    append = any(a in ("-a", "--append") for a in argv[1:])
    text = stdin or ""
    for name in [a for a in argv[1:] if not a.startswith("-")]:
        failure = sh.write_file(name, text, append)
        if failure:
            return Res(1, text, failure.replace(sh.error("").rstrip("\n").rstrip(": "), "tee"))
    return Res(0, text)


def u_cp(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    names = [a for a in argv[1:] if not a.startswith("-")]
    if len(names) != 2:
        return Res(1, err="cp: missing file operand\n")
    source, target = _path(sh, names[0]), _path(sh, names[1])
    if sh.host.fs.is_dir(target):
        target = resolve_path(target, names[0].rsplit("/", 1)[-1])
    try:
        sh.host.fs.write(target, sh.host.fs.read(source), sh.t)
        if argv[0].endswith("mv"):
            sh.host.fs.remove(source, sh.t)
    except FsError as e:
        verb = "mv" if argv[0].endswith("mv") else "cp"
        return Res(1, err=f"{verb}: {_cannot(sh)} stat '{names[0]}': {_text(e)}\n")
    return Res(0)


def _text(err: FsError) -> str:
    from cluster.container.fs import MESSAGES

    return MESSAGES.get(err.errno, err.errno)
