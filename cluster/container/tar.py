"""`tar`: GNU tar (Debian-based images) and busybox tar, reading and writing real tar archives.

`kubectl cp` is made of it: local → pod runs `tar -xmf - -C DIR` through `kubectl exec -i`
with a tar archive (Go's archive/tar) on stdin; pod → local runs `tar cf - PATH` and
unpacks what comes out on stdout. So stdin and stdout carry bytes here: the shell's
pipes are text, and the streaming layer (cluster/apiserver/streams) passes bytes in and
out as UTF-8 with `surrogateescape`, which this tool turns back into the exact bytes.

Understood: `-c`/`--create`, `-x`/`--extract`, `-t`/`--list`, `-f FILE` (`-` is
stdin/stdout; a path is a file in the container), `-C DIR`, `-v`, `-z`, and the
options kubectl and scripts pass that change nothing here (`-m`, `-o`, `-p`,
`--no-same-owner`, `--no-same-permissions`); old-style bundles (`tar cf - /x`) too.
Member names lose a leading `/` with GNU tar's notice (`tar: Removing leading `/' from
member names`, on stderr, which kubectl cp prints), `..` members are refused.

Simplified: files are text (fs.py), so a member whose bytes are not UTF-8 is refused
with a message instead of being stored; no symlinks, hard links, devices, owners or
modes (members are written root-owned, 0644/0755); extracted files get the container's
virtual time as mtime (as with `-m`), so they never lose to an older stamp.
"""

from __future__ import annotations

import gzip
import zlib
import io
import posixpath
import tarfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cluster.container.fs import MESSAGES, ContainerFS, FsError, resolve_path
from cluster.container.shell import Res

if TYPE_CHECKING:
    from cluster.container.shell import Shell

ENCODING = ("utf-8", "surrogateescape")  # how bytes travel through the shell's text pipes
MAX_ARCHIVE_BYTES = 4 * 1024 * 1024  # a bigger archive would not fit a container layer anyway
NO_OPS = {"m", "o", "p", "v"}
LONG_NO_OPS = {
    "--no-same-owner",
    "--no-same-permissions",
    "--same-owner",
    "--preserve-permissions",
    "--touch",
    "--overwrite",
    "--verbose",
    "--numeric-owner",
    "--warning=no-timestamp",
}
LONG_MODES = {"--create": "c", "--extract": "x", "--get": "x", "--list": "t"}


@dataclass
class Options:
    mode: str = ""
    archive: str = ""
    directory: str = ""
    gzip: bool = False
    verbose: bool = False
    names: list[str] = field(default_factory=list)
    error: str = ""


def u_tar(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    opts = _parse(argv[1:])
    gnu = sh.host.dialect != "busybox"
    if opts.error:
        return Res(
            2 if gnu else 1,
            err=f"tar: {opts.error}\n" + ("Try 'tar --help' or 'tar --usage' for more information.\n" if gnu else ""),
        )
    if not opts.mode:
        return Res(
            2 if gnu else 1,
            err="tar: You must specify one of the '-Acdtrux', '--delete' or "
            "'--test-label' options\nTry 'tar --help' or 'tar --usage' for more "
            "information.\n"
            if gnu
            else "tar: need at least one option\n",
        )
    cwd = sh.state["cwd"]
    if opts.directory:
        cwd = resolve_path(cwd, opts.directory)
        if not sh.host.fs.is_dir(cwd):
            return Res(
                2 if gnu else 1,
                err=f"tar: {opts.directory}: Cannot open: No such file or directory\n"
                f"tar: Error is not recoverable: exiting now\n"
                if gnu
                else f"tar: can't change directory to '{opts.directory}': No such file or directory\n",
            )
    if opts.mode == "c":
        return _create(sh, opts, cwd, gnu)
    data = _read_archive(sh, opts, stdin)
    if isinstance(data, Res):
        return data
    return _extract(sh, opts, cwd, gnu, data)


def _parse(args: list[str]) -> Options:
    opts = Options()
    pending: list[str] = []  # letters waiting for their value (old-style `cf ARCHIVE`)
    i = 0
    if args and not args[0].startswith("-"):
        pending = [c for c in args[0] if c in "fC"]
        _letters(opts, args[0].replace("f", "").replace("C", ""))
        i = 1
    while i < len(args):
        arg = args[i]
        if pending:
            _value(opts, pending.pop(0), arg)
        elif arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if name in LONG_MODES:
                opts.mode = LONG_MODES[name]
            elif name in ("--file", "--directory"):
                if not eq:
                    i += 1
                    value = args[i] if i < len(args) else ""
                _value(opts, "f" if name == "--file" else "C", value)
            elif name in ("--gzip", "--gunzip", "--ungzip"):
                opts.gzip = True
            elif name not in LONG_NO_OPS and not name.startswith("--warning"):
                opts.error = f"unrecognized option '{arg}'"
        elif arg.startswith("-") and arg != "-":
            letters = arg[1:]
            for j, letter in enumerate(letters):
                if letter in "fC":
                    rest = letters[j + 1 :]
                    if rest:
                        _value(opts, letter, rest)
                    else:
                        i += 1
                        _value(opts, letter, args[i] if i < len(args) else "")
                    break
                _letters(opts, letter)
        else:
            opts.names.append(arg)
        i += 1
    if pending:
        opts.error = "option requires an argument -- 'f'"
    return opts


def _letters(opts: Options, letters: str) -> None:
    for letter in letters:
        if letter in "cxt":
            opts.mode = letter
        elif letter == "z":
            opts.gzip = True
        elif letter == "v":
            opts.verbose = True
        elif letter not in NO_OPS:
            opts.error = f"invalid option -- '{letter}'"


def _value(opts: Options, letter: str, value: str) -> None:
    if letter == "f":
        opts.archive = value
    else:
        opts.directory = value


# -- creating ---------------------------------------------------------------------------------------
def _create(sh: Shell, opts: Options, cwd: str, gnu: bool) -> Res:
    if not opts.names:
        return Res(
            2 if gnu else 1,
            err="tar: Cowardly refusing to create an empty archive\nTry 'tar --help' or "
            "'tar --usage' for more information.\n"
            if gnu
            else "tar: empty archive\n",
        )
    buffer = io.BytesIO()
    err, failed, stripped, listed = [], False, False, []
    fs = sh.host.fs
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT if gnu else tarfile.USTAR_FORMAT) as tar:
        for name in opts.names:
            path = resolve_path(cwd, name)
            member = posixpath.normpath(name).lstrip("/") if name.startswith("/") else posixpath.normpath(name)
            if name.startswith("/") and not stripped:
                stripped = True
                err.append(
                    "tar: Removing leading `/' from member names\n"
                    if gnu
                    else "tar: removing leading '/' from member names\n"
                )
            if not fs.exists(path):
                failed = True
                err.append(
                    f"tar: {name}: Cannot stat: No such file or directory\n"
                    if gnu
                    else f"tar: {name}: No such file or directory\n"
                )
                continue
            for inner, arcname in _walk(fs, path, member or "."):
                _add(tar, fs, inner, arcname)
                listed.append(arcname)
    data = buffer.getvalue()
    if opts.gzip:
        data = gzip.compress(data, mtime=0)
    if opts.verbose:
        err.insert(0, "".join(f"{n}\n" for n in listed))
    status = (2 if gnu else 1) if failed else 0
    if failed and gnu:
        err.append("tar: Exiting with failure status due to previous errors\n")
    if opts.archive in ("", "-"):
        if "argv" in sh.frame["code"]:
            # Run as the exec'd command itself (kubectl cp: no shell, so no redirection): its notices reach stderr
            # before the archive is written, as GNU tar writes them, so a reader of stdout that stops at the
            # end of the archive still sees them; the closing summary comes at exit.
            early, late = (
                [e for e in err if not e.startswith("tar: Exiting")],
                [e for e in err if e.startswith("tar: Exiting")],
            )
            if early:
                sh.host.out.append([sh.t, "stderr", "".join(early)])
            err = late
        return Res(status, out=data.decode(*ENCODING), err="".join(err))
    try:
        fs.write(resolve_path(cwd, opts.archive), data.decode(*ENCODING), sh.t)
    except FsError as e:
        return Res(2 if gnu else 1, err=f"tar: {opts.archive}: Cannot open: {MESSAGES.get(e.errno, e.errno)}\n")
    return Res(status, err="".join(err))


def _walk(fs: ContainerFS, path: str, arcname: str) -> list[tuple[str, str]]:
    """(path, member name) of `path` and, for a directory, everything under it, parents first."""
    found = [(path, arcname)]
    if fs.is_dir(path):
        for child in fs.listdir(path):
            found += _walk(fs, posixpath.join(path, child), posixpath.join(arcname, child))
    return found


def _add(tar: tarfile.TarFile, fs: ContainerFS, path: str, arcname: str) -> None:
    info = tarfile.TarInfo(arcname)
    info.mtime = int(fs.mtime(path))
    info.uname = info.gname = "root"
    if fs.is_dir(path):
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
        return
    content = fs.read(path).encode(*ENCODING)
    info.size, info.mode = len(content), 0o644
    tar.addfile(info, io.BytesIO(content))


# -- extracting and listing ---------------------------------------------------------------------------
def _read_archive(sh: Shell, opts: Options, stdin: str | None) -> bytes | Res:
    gnu = sh.host.dialect != "busybox"
    if opts.archive in ("", "-"):
        text = stdin if stdin is not None else (sh.stdin_text or "")
    else:
        try:
            text = sh.host.fs.read(resolve_path(sh.state["cwd"], opts.archive))
        except FsError as e:
            return Res(
                2 if gnu else 1,
                err=f"tar: {opts.archive}: Cannot open: {MESSAGES.get(e.errno, e.errno)}\n"
                + ("tar: Error is not recoverable: exiting now\n" if gnu else ""),
            )
    data = text.encode(*ENCODING)
    if len(data) > MAX_ARCHIVE_BYTES:
        return Res(2 if gnu else 1, err="tar: archive too large for this simulated container\n")
    if opts.gzip or data[:2] == b"\x1f\x8b":
        try:
            data = _gunzip(data)
        except ArchiveTooLarge:
            return Res(2 if gnu else 1, err="tar: archive too large for this simulated container\n")
        except (OSError, EOFError, zlib.error):
            return Res(
                2 if gnu else 1,
                err="gzip: stdin: not in gzip format\ntar: Child returned status 1\n"
                "tar: Error is not recoverable: exiting now\n"
                if gnu
                else "tar: invalid magic\n",
            )
    return data


class ArchiveTooLarge(Exception):
    """The archive unpacks to more than MAX_ARCHIVE_BYTES."""


def _gunzip(data: bytes) -> bytes:
    """gzip's payload, refusing one that unpacks past MAX_ARCHIVE_BYTES: 4 MiB of gzip can hold 4 GiB of zeros."""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflate.decompress(data, MAX_ARCHIVE_BYTES + 1)
    if len(out) > MAX_ARCHIVE_BYTES:
        raise ArchiveTooLarge
    if not inflate.eof:
        raise EOFError("compressed file ended before the end-of-stream marker was reached")
    return out


def _extract(sh: Shell, opts: Options, cwd: str, gnu: bool, data: bytes) -> Res:
    if not data.strip(b"\0"):
        return Res(0)  # an empty archive (or nothing at all on stdin)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            members = [(m, _content(tar, m)) for m in tar.getmembers()]
    except tarfile.TarError:
        return Res(
            2 if gnu else 1,
            err="tar: This does not look like a tar archive\ntar: Exiting with failure status due to previous errors\n"
            if gnu
            else "tar: invalid tar magic\n",
        )
    wanted = [posixpath.normpath(n).lstrip("/") for n in opts.names]
    out, err, failed = [], [], False
    fs, t = sh.host.fs, sh.t
    for member, content in members:
        name = posixpath.normpath(member.name).lstrip("/")
        if wanted and not any(name == w or name.startswith(w + "/") for w in wanted):
            continue
        if opts.mode == "t" or opts.verbose:
            out.append(member.name + ("/" if member.isdir() and not member.name.endswith("/") else "") + "\n")
        if opts.mode == "t":
            continue
        if name == ".." or name.startswith("../") or "/../" in name:
            failed = True
            err.append(
                f"tar: {member.name}: Member name contains '..'\n"
                if gnu
                else f"tar: {member.name}: skipping: path contains '..'\n"
            )
            continue
        problem = _extract_one(member, content, fs, posixpath.join(cwd, name) if name != "." else cwd, t)
        if problem:
            failed = True
            err.append(f"tar: {member.name}: {problem}\n")
    if failed and gnu:
        err.append("tar: Exiting with failure status due to previous errors\n")
    return Res((2 if gnu else 1) if failed else 0, out="".join(out), err="".join(err))


def _content(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    raw = tar.extractfile(member) if member.isfile() else None
    return raw.read() if raw is not None else b""


def _extract_one(member: tarfile.TarInfo, content: bytes, fs: ContainerFS, path: str, t: float) -> str:
    """Write one member; '' or what went wrong, in GNU tar's words."""
    try:
        if member.isdir():
            fs.mkdir(path, t, parents=True)
            return ""
        if not member.isfile():
            return "Cannot create: links and special files are not simulated (kubeclass keeps files and directories)"
        parent = posixpath.dirname(path)
        if not fs.is_dir(parent):
            fs.mkdir(parent, t, parents=True)
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return "Cannot write: binary contents are not simulated (kubeclass keeps text files)"
        fs.write(path, text, t)
    except FsError as e:
        verb = "Cannot mkdir" if member.isdir() else "Cannot open"
        return f"{verb}: {MESSAGES.get(e.errno, e.errno)}"
    return ""
