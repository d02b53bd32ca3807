"""The userland's tools as the simulation runs them: busybox applets and GNU coreutils, the parts scripts use.

cat, touch, rm, mkdir, ls, tee, cp/mv, head, tail (`-f` follows a file), wc, grep,
cut, sort, uniq, tr, sed (`s/…/…/`), awk (`{print $N}`), seq, basename, dirname, expr,
sleep (virtual seconds), date, hostname, printenv/env, id, whoami, uname, nproc, ps, and
the network tools (cluster/container/net.py); the file tools' code is in fileutils.py.
Each one's messages are the ones busybox or GNU coreutils print, chosen by the image's
userland (Shell.host.dialect).

Simplified: only the options listed in each function are understood; grep matches a
pattern with nested repetition literally (a regular expression could take exponential
time); sed and awk know only the one-liners named above.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Callable

from cluster.container import net, nodeprocs, packages, procps, regex, tar
from cluster.container.fileutils import (
    _gnu,
    _path,
    _text,
    u_cat,
    u_cp,
    u_ls,
    u_mkdir,
    u_rm,
    u_rmdir,
    u_tee,
    u_touch,
)
from cluster.container.fs import FsError
from cluster.container.shell import Res

if TYPE_CHECKING:
    from cluster.container.shell import Shell

Command = Callable[["Shell", list[str], "str | None"], Res]


# -- text ---------------------------------------------------------------------------------------------
def _inputs(sh: Shell, argv: list[str], stdin: str | None, skip_values: tuple[str, ...] = ()) -> tuple[list, str]:
    names, i = [], 1
    while i < len(argv):
        arg = argv[i]
        if arg in skip_values:
            i += 2
            continue
        if not arg.startswith("-") or arg == "-":
            names.append(arg)
        i += 1
    if not names:
        return [stdin or ""], ""
    texts, err = [], ""
    for name in names:
        try:
            texts.append(sh.host.fs.read(_path(sh, name)))
        except FsError as e:
            err += f"{argv[0]}: {name}: {_text(e)}\n" if _gnu(sh) else f"{argv[0]}: can't open '{name}': {_text(e)}\n"
    return texts, err


def _count(argv: list[str], default: int) -> int:
    for i, arg in enumerate(argv[1:], start=1):
        if arg == "-n" and i + 1 < len(argv):
            return int(argv[i + 1].lstrip("+") or default)
        if re.fullmatch(r"-n?\d+", arg):
            return int(arg.lstrip("-n"))
    return default


def u_head(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    texts, err = _inputs(sh, argv, stdin, ("-n", "-c"))
    count = _count(argv, 10)
    return Res(1 if err else 0, "".join("".join(t.splitlines(keepends=True)[:count]) for t in texts), err)


def u_tail(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    texts, err = _inputs(sh, argv, stdin, ("-n", "-c", "-s"))
    count = _count(argv, 10)
    out = "".join("".join(t.splitlines(keepends=True)[-count:]) if count else "" for t in texts)
    follow = any(
        a in ("-f", "-F", "--follow") or (a.startswith("-") and "f" in a.lower() and "n" not in a) for a in argv[1:]
    )
    names = [a for a in argv[1:] if not a.startswith("-") and not a.isdigit()]
    if follow and names:
        path = _path(sh, names[-1])
        size = len(texts[-1]) if texts and not err else 0
        return Res(0, out, err, block={"kind": "tail", "path": path, "pos": size})
    return Res(1 if err else 0, out, err)


def u_rev(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    """rev (util-linux, busybox): each line's characters in reverse order."""
    texts, err = _inputs(sh, argv, stdin)
    out = "".join(
        line.rstrip("\n")[::-1] + ("\n" if line.endswith("\n") else "")
        for text in texts
        for line in text.splitlines(keepends=True)
    )
    return Res(1 if err else 0, out, err)


def u_tac(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    texts, err = _inputs(sh, argv, stdin)
    lines = [line if line.endswith("\n") else line + "\n" for t in texts for line in t.splitlines(keepends=True)]
    return Res(1 if err else 0, "".join(reversed(lines)), err)


def u_wc(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    texts, err = _inputs(sh, argv, stdin)
    text = "".join(texts)
    counts = {"l": text.count("\n"), "w": len(text.split()), "c": len(text.encode())}
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-")) or "lwc"
    values = [counts[f] for f in "lwc" if f in flags]
    width = 1 if len(values) == 1 else 7
    return Res(0, " ".join(f"{v:>{width}}" for v in values) + "\n", err)


def u_grep(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and not a.startswith("--"))
    rest = [a for a in argv[1:] if not a.startswith("-")]
    if not rest:
        return Res(
            2,
            err="Usage: grep [OPTIONS] PATTERN [FILE]...\n"
            if not _gnu(sh)
            else "Usage: grep [OPTION]... PATTERNS [FILE]...\n",
        )
    pattern, files = rest[0], rest[1:]
    texts, err = _inputs(sh, ["grep", *files], stdin)
    extended = "E" in flags or argv[0] == "egrep"
    matcher = _matcher(pattern, "i" in flags, "F" in flags or argv[0] == "fgrep", extended)
    lines = [line for t in texts for line in t.splitlines()]
    hits = [line for line in lines if bool(matcher(line)) != ("v" in flags)]
    if "q" in flags:
        return Res(0 if hits else 1)
    out = f"{len(hits)}\n" if "c" in flags else "".join(f"{h}\n" for h in hits)
    return Res(0 if hits else (2 if err else 1), out, err)


def _matcher(pattern: str, ignore_case: bool, fixed: bool, extended: bool) -> Callable[[str], object]:
    """-F: a fixed string; else a basic (-E: extended) regular expression, matched by RE2
    (cluster/container/regex.py). One RE2 cannot compile (a backreference) is looked for as a string."""
    if fixed:
        needle = pattern.lower() if ignore_case else pattern
        return lambda line: needle in (line.lower() if ignore_case else line)
    try:
        compiled = regex.Regex(pattern if extended else regex.basic(pattern), ignore_case)
    except regex.BadRegex:
        return lambda line: pattern in line
    return compiled.search


def u_seq(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    try:
        numbers = [int(a) for a in argv[1:]]
    except ValueError:
        return Res(
            1,
            err=f"seq: invalid number '{argv[-1]}'\n"
            if not _gnu(sh)
            else f"seq: invalid floating point argument: '{argv[-1]}'\n",
        )
    first, step, last = (
        (1, 1, numbers[0])
        if len(numbers) == 1
        else (numbers[0], 1, numbers[1])
        if len(numbers) == 2
        else tuple(numbers[:3])
        if len(numbers) >= 3
        else (1, 1, 0)
    )
    if len(numbers) >= 3:
        first, step, last = numbers[0], numbers[1], numbers[2]
    values = range(first, last + (1 if step > 0 else -1), step) if step else []
    return Res(0, "".join(f"{v}\n" for v in values[:100_000]))  # a slice of a range: nothing else is made


def u_basename(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    if len(argv) < 2:
        return Res(1, err="basename: missing operand\n")
    name = argv[1].rstrip("/").rsplit("/", 1)[-1] or "/"
    if len(argv) > 2 and name.endswith(argv[2]) and name != argv[2]:
        name = name[: -len(argv[2])]
    return Res(0, name + "\n")


def u_dirname(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    if len(argv) < 2:
        return Res(1, err="dirname: missing operand\n")
    path = argv[1].rstrip("/")
    return Res(0, (path.rsplit("/", 1)[0] or "/" if "/" in path else ".") + "\n")


def u_expr(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    args = argv[1:]
    if len(args) == 3 and args[1] in ("+", "-", "*", "/", "%", "<", ">", "=", "!=", "<=", ">="):
        try:
            a, b = int(args[0]), int(args[2])
            value = {
                "+": a + b,
                "-": a - b,
                "*": a * b,
                "/": int(a / b) if b else None,
                "%": a % b if b else None,
                "<": int(a < b),
                ">": int(a > b),
                "=": int(a == b),
                "!=": int(a != b),
                "<=": int(a <= b),
                ">=": int(a >= b),
            }[args[1]]
        except (ValueError, ZeroDivisionError):
            return Res(2, err="expr: non-integer argument\n")
        if value is None:
            return Res(2, err="expr: division by zero\n")
        return Res(0 if value else 1, f"{value}\n")
    if len(args) == 1:
        return Res(0 if args[0] not in ("", "0") else 1, args[0] + "\n")
    return Res(2, err="expr: syntax error\n")


# -- the system -------------------------------------------------------------------------------------
def u_sleep(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    total = 0.0
    if len(argv) < 2:
        return Res(
            1,
            err="sleep: missing operand\n"
            if _gnu(sh)
            else "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: sleep [N]...\n",
        )
    for arg in argv[1:]:
        if arg in ("infinity", "inf"):
            return Res(block={"kind": "sleep"})
        match = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", arg)
        if not match:
            return Res(
                1,
                err=f"sleep: invalid time interval '{arg}'\nTry 'sleep --help' for more information.\n"
                if _gnu(sh)
                else f"sleep: invalid number '{arg}'\n",
            )
        total += float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return Res(0, seconds=total)


def u_date(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    moment = dt.datetime.fromtimestamp(sh.t, dt.timezone.utc)
    fmt = next((a[1:] for a in argv[1:] if a.startswith("+")), None)
    if fmt is None:
        return Res(0, moment.strftime("%a %b ") + f"{moment.day:>2}" + moment.strftime(" %H:%M:%S UTC %Y") + "\n")
    fmt = fmt.replace("%N", f"{moment.microsecond * 1000:09d}").replace("%s", str(int(sh.t)))
    return Res(0, moment.strftime(fmt) + "\n")


def u_hostname(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    if "-i" in argv[1:]:
        return Res(0, sh.host.pod_ip + ("\n" if not _gnu(sh) else " \n"))
    return Res(0, sh.host.hostname + "\n")


def u_printenv(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    env = sh.state["vars"]
    names = [a for a in argv[1:] if not a.startswith("-") and "=" not in a]
    if argv[0].endswith("env") and not argv[0].endswith("printenv") and names:
        assignments = dict(a.split("=", 1) for a in argv[1:] if "=" in a and not a.startswith("-"))
        at = argv.index(names[0])
        from cluster.container.commands import dispatch

        return dispatch(sh, argv[at:], stdin, assignments, nestable=False)
    if names:
        found = [env[n] for n in names if n in env]
        return Res(0 if len(found) == len(names) else 1, "".join(f"{v}\n" for v in found))
    return Res(0, "".join(f"{k}={v}\n" for k, v in env.items()))


def _identity(sh: Shell) -> tuple[int, int, list[int]] | None:
    """(uid, gid, groups) a securityContext runs the container's processes as (runAsUser, runAsGroup, fsGroup,
    supplementalGroups: the container's over the pod's); None when it sets neither user nor group."""
    pod_sc = ((sh.host.pod or {}).get("spec") or {}).get("securityContext") or {}
    ctr_sc = (sh.host.spec or {}).get("securityContext") or {}
    user = ctr_sc.get("runAsUser", pod_sc.get("runAsUser"))
    group = ctr_sc.get("runAsGroup", pod_sc.get("runAsGroup"))
    if user is None and group is None:
        return None
    uid = int(user) if user is not None else (0 if sh.host.image.user == "root" else 100)
    gid = int(group) if group is not None else 0  # without runAsGroup: the image's group for root, else 0
    extra = [int(g) for g in [pod_sc.get("fsGroup"), *(pod_sc.get("supplementalGroups") or [])] if g is not None]
    if uid == 0 and not _gnu(sh):
        extra.append(10)  # root is in wheel in busybox's /etc/group
    return uid, gid, sorted({gid, *extra})


_KNOWN_IDS = {0: "root", 10: "wheel"}


def _named(number: int, sh: Shell) -> str:
    name = _KNOWN_IDS.get(number) if number == 0 or not _gnu(sh) else None
    return f"{number}({name})" if name else str(number)


def u_id(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    identity = _identity(sh)
    if identity is not None:
        uid, gid, groups = identity
        names = ",".join(_named(g, sh) for g in groups)
        return Res(0, f"uid={_named(uid, sh)} gid={_named(gid, sh)} groups={names}\n")
    user = sh.host.image.user
    if user == "root":
        return Res(0, "uid=0(root) gid=0(root) groups=0(root)" + (",10(wheel)" if not _gnu(sh) else "") + "\n")
    return Res(
        0, f"uid=100({user}) gid=101({user.replace('_user', '_group')}) groups=101({user.replace('_user', '_group')})\n"
    )


def process_user(sh: Shell) -> str:
    """ps's USER column: the name the uid has in the image, else the number."""
    identity = _identity(sh)
    if identity is None:
        return sh.host.image.user
    return "root" if identity[0] == 0 else str(identity[0])


def u_whoami(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    identity = _identity(sh)
    if identity is not None and identity[0] != 0:
        uid = identity[0]
        text = f"whoami: cannot find name for user ID {uid}\n" if _gnu(sh) else f"whoami: unknown uid {uid}\n"
        return Res(1, err=text)
    return Res(0, ("root" if identity is not None else sh.host.image.user) + "\n")


def u_uname(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    if any(a in ("-m", "-p", "-i") for a in argv[1:]):
        return Res(0, "x86_64\n")
    if "-n" in argv[1:]:
        return Res(0, sh.host.hostname + "\n")
    if "-a" in argv[1:]:
        return Res(0, f"Linux {sh.host.hostname} {sh.host.kernel} #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n")
    if "-r" in argv[1:]:
        return Res(0, sh.host.kernel + "\n")
    return Res(0, "Linux\n")


def u_nproc(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    return Res(0, f"{sh.host.cpus}\n")


def u_ps(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    own = sh.host.spec or {}
    command = (_pid1(own)[1] if own.get("image") else " ".join(sh.host.command)) or sh.state.get("pid1", "sh")
    target = _target_process(sh)
    me = process_user(sh)
    host = nodeprocs.host_processes(sh)
    if _gnu(sh):
        shell_line = sh.state.get("exec_command") or sh.state.get("pid1", "sh")
        exec_shell = (me, str(shell_line)) if sh.state.get("interactive") else None
        return procps.listing(sh, argv, target or (me, command), exec_shell, host)
    if host is not None:  # hostPID: the node's processes, then this one
        rows = [*host, (host[-1][0] + 17, me, f"ps {' '.join(argv[1:])}".rstrip())]
        return Res(0, "PID   USER     TIME  COMMAND\n" + "".join(f"{p:>5} {u:<8} 0:00 {c}\n" for p, u, c in rows))
    if target is not None:  # an ephemeral container in its target's process namespace: the target is PID 1
        user, target_command = target
        rows = [(1, user, target_command), (7, me, command)]
    else:
        rows = [(1, me, command)]
    rows.append((42, me, f"ps {' '.join(argv[1:])}".rstrip()))
    table = "".join(f"{pid:>5} {user:<8} 0:00 {cmd}\n" for pid, user, cmd in rows)
    return Res(0, "PID   USER     TIME  COMMAND\n" + table)


def _pid1(spec: dict, env: dict[str, str] | None = None) -> tuple[str, str]:
    """(user, command line) of a container's first process, as its spec and image start it (`$(VAR)` expanded
    from `env`)."""
    from cluster.container.context import command_line
    from cluster.registry import image_config

    image = image_config(spec["image"])
    words = command_line(spec, image, env or {})
    if len(words) == 3 and words[0].rsplit("/", 1)[-1] in ("sh", "ash", "dash", "bash") and words[1] == "-c":
        script = words[2].strip()
        if script and not any(c in script for c in ";&|\n()`$<>'\"\\"):
            return image.user, script  # `sh -c 'sleep 1h'`: the shell execs its one command, which becomes PID 1
    return image.user, " ".join(words)


def _target_process(sh: Shell) -> tuple[str, str] | None:
    """(user, command line) of the process whose namespace an ephemeral container joined (`kubectl debug --target`)."""
    target = (sh.host.spec or {}).get("targetContainerName")
    spec = next((c for c in (sh.host.pod or {}).get("spec", {}).get("containers") or [] if c["name"] == target), None)
    return _pid1(spec) if target and spec is not None else None


def u_cut(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    args = argv[1:]
    delim = next((a[2:] or args[i + 1] for i, a in enumerate(args) if a.startswith("-d")), "\t")
    fields = next((a[2:] or args[i + 1] for i, a in enumerate(args) if a.startswith("-f")), "")
    chars = next((a[2:] or args[i + 1] for i, a in enumerate(args) if a.startswith("-c")), "")
    texts, err = _inputs(
        sh, ["cut"] + [a for a in args if not a.startswith("-") and a not in (delim, fields, chars)], stdin
    )
    wanted = _ranges(fields or chars)
    out = []
    for line in "".join(texts).splitlines():
        if fields:
            parts = line.split(delim)
            out.append(delim.join(parts[i] for i in wanted if i < len(parts)) if len(parts) > 1 else line)
        else:
            out.append("".join(line[i] for i in wanted if i < len(line)))
    return Res(1 if err else 0, "".join(o + "\n" for o in out), err)


def _ranges(spec: str) -> list[int]:
    picked: list[int] = []
    for part in spec.split(","):
        if "-" in part:
            low, _, high = part.partition("-")
            picked += range(int(low or 1) - 1, int(high or 1000))
        elif part.isdigit():
            picked.append(int(part) - 1)
    return picked


def u_sort(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    texts, err = _inputs(sh, argv, stdin)
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    lines = "".join(texts).splitlines()
    key = (
        (lambda x: float(x.split()[0]) if x.split() and x.split()[0].lstrip("-").replace(".", "", 1).isdigit() else 0.0)
        if "n" in flags
        else None
    )
    lines = sorted(lines, key=key, reverse="r" in flags)
    if "u" in flags:
        lines = list(dict.fromkeys(lines))
    return Res(0, "".join(line + "\n" for line in lines), err)


def u_uniq(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    texts, err = _inputs(sh, argv, stdin)
    out, previous, count = [], None, 0
    counting = "-c" in argv[1:]
    for line in [*"".join(texts).splitlines(), None]:
        if line == previous:
            count += 1
            continue
        if previous is not None:
            out.append(f"{count:>7} {previous}" if counting else previous)
        previous, count = line, 1
    return Res(0, "".join(o + "\n" for o in out), err)


def u_tr(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    args = [a for a in argv[1:] if not a.startswith("-")]
    text = stdin or ""
    if "-d" in argv[1:] and args:
        return Res(0, "".join(c for c in text if c not in _charset(args[0])))
    if len(args) < 2:
        return Res(1, err="tr: missing operand\n")
    source, target = _charset(args[0]), _charset(args[1])
    target = target + target[-1:] * (len(source) - len(target))
    return Res(0, text.translate(str.maketrans(source, target[: len(source)])))


def _charset(spec: str) -> str:
    classes = {
        "[:lower:]": "abcdefghijklmnopqrstuvwxyz",
        "[:upper:]": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "[:digit:]": "0123456789",
        "[:space:]": " \t\n",
    }
    for name, chars in classes.items():
        spec = spec.replace(name, chars)
    return re.sub(
        r"(.)-(.)",
        lambda m: "".join(chr(c) for c in range(ord(m.group(1)), ord(m.group(2)) + 1)),
        spec.replace("\\n", "\n"),
    )


def u_sed(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    """sed 's/old/new/[g]' (and -n with p), the substitution scripts in pods use; a basic expression
    unless -E or -r."""
    extended = any(a in ("-E", "-r", "--regexp-extended") for a in argv[1:])
    args = [a for a in argv[1:] if a not in ("-e", "-n", "-E", "-r", "--regexp-extended")]
    if not args:
        return Res(1, err="Usage: sed [-inrE] [-f FILE]... [-e CMD]... [FILE]...\n")
    script, files = args[0], args[1:]
    match = re.fullmatch(r"s(.)(.*?)\1(.*?)\1(g?)", script)
    texts, err = _inputs(sh, ["sed", *files], stdin)
    if not match:
        return Res(
            0, "".join(texts), err + ("" if script in ("p", "") else "(kubeclass: only sed's s/…/…/ is simulated)\n")
        )
    pattern, replacement, flags = match.group(2), match.group(3), match.group(4)
    try:
        compiled = regex.Regex(pattern if extended else regex.basic(pattern))
    except regex.BadRegex:
        return Res(1, err=f"sed: bad regex '{pattern}'\n")
    out = "".join(  # sed edits a line without its newline ($ is the end of the line)
        compiled.sub(replacement, line.rstrip("\n"), count=0 if flags else 1) + line[len(line.rstrip("\n")) :]
        for line in "".join(texts).splitlines(keepends=True)
    )
    return Res(0, out, err)


def u_awk(sh: Shell, argv: list[str], stdin: str | None) -> Res:
    """awk '{print $N, …}' with -F, the one-liner scripts in pods use."""
    args = argv[1:]
    separator = None
    if args and args[0].startswith("-F"):
        separator = args[0][2:] or (args[1] if len(args) > 1 else " ")
        args = args[1:] if args[0][2:] else args[2:]
    if not args:
        return Res(2, err="usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]\n")
    program, files = args[0], args[1:]
    match = re.fullmatch(r"\s*\{\s*print\s*(.*?)\s*;?\s*\}\s*", program)
    texts, err = _inputs(sh, ["awk", *files], stdin)
    if not match:
        return Res(0, "", err + "(kubeclass: only awk's {print $N} is simulated)\n")
    picks = [p.strip() for p in match.group(1).split(",")] if match.group(1) else ["$0"]
    out = []
    for line in "".join(texts).splitlines():
        fields = line.split(separator) if separator else line.split()
        values = [
            line
            if p == "$0"
            else fields[int(p[1:]) - 1]
            if p[1:].isdigit() and 0 < int(p[1:]) <= len(fields)
            else ""
            if p.startswith("$")
            else p.strip('"')
            for p in picks
        ]
        out.append(" ".join(values))
    return Res(0, "".join(o + "\n" for o in out), err)


UTILITIES: dict[str, Command] = {
    "cat": u_cat,
    "touch": u_touch,
    "rm": u_rm,
    "mkdir": u_mkdir,
    "rmdir": u_rmdir,
    "ls": u_ls,
    "tee": u_tee,
    "cp": u_cp,
    "mv": u_cp,
    "head": u_head,
    "tail": u_tail,
    "wc": u_wc,
    "grep": u_grep,
    "egrep": u_grep,
    "fgrep": u_grep,
    "seq": u_seq,
    "basename": u_basename,
    "dirname": u_dirname,
    "expr": u_expr,
    "sleep": u_sleep,
    "date": u_date,
    "hostname": u_hostname,
    "printenv": u_printenv,
    "env": u_printenv,
    "id": u_id,
    "whoami": u_whoami,
    "uname": u_uname,
    "nproc": u_nproc,
    "ps": u_ps,
    "apt-get": packages.apt_get,
    "apt": packages.apt_get,
    "apk": packages.apk,
    "rev": u_rev,
    "tac": u_tac,
    "cut": u_cut,
    "sort": u_sort,
    "uniq": u_uniq,
    "tr": u_tr,
    "sed": u_sed,
    "awk": u_awk,
    "wget": net.u_wget,
    "curl": net.u_curl,
    "nslookup": net.u_nslookup,
    "ping": net.u_ping,
    "tar": tar.u_tar,  # cluster/container/tar.py: real tar bytes, for kubectl cp
}
