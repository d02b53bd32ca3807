"""The commands a simulated shell runs: sh's builtins, the userland the image ships, its programs.

Lookup order as sh's: builtins (cd, export, exit, trap, read, wait, test, echo, …),
then the PATH — the tools of the image's userland (busybox applets in busybox and
alpine, GNU coreutils in Debian-based images, nothing in distroless ones, see
TOOLSETS), then the programs the image ships (cluster/container/programs.py). A
name that is nowhere is `sh: X: not found` (127), worded as the image's shell
words it (busybox ash, Debian's dash, bash). Messages of the tools are the ones
busybox or GNU coreutils print.

A tool that exists but that kubeclass does not simulate (vi, top, dpkg, …) does
nothing and exits 0 in a container's script; in `kubectl exec` it says so on stderr.
An image the catalogue does not know has every tool, and its programs run as
servers until stopped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

from cluster.container import limits, packages, programs, signals
from cluster.container.coreutils import UTILITIES
from cluster.container.fs import FsError, resolve_path
from cluster.container.shell import SHELLS, Res
from cluster.container.shlexer import ShellSyntaxError

if TYPE_CHECKING:
    from cluster.container.shell import Shell

BUSYBOX = frozenset(
    """sh ash cat echo sleep ls mkdir rmdir rm touch date env printenv hostname head tail tee grep egrep
fgrep sed awk cut sort uniq wc true false test [ [[ expr seq yes id whoami uname kill killall ps top free df du mount
umount find xargs tr basename dirname readlink realpath sync stat timeout watch dd base64 md5sum sha1sum sha256sum
sha512sum gzip gunzip zcat tar unzip less more vi nohup usleep printf ln cp mv chmod chown chgrp nc telnet wget
nslookup ping ping6 traceroute ifconfig ip route netstat hexdump od xxd bc dc cal clear reset which uptime nproc pwd
pidof pgrep pkill nice renice su passwd adduser addgroup hwclock mknod mkfifo mktemp sum cksum comm diff patch cmp
fold split tac rev nl paste install truncate shuf strings time arp hostid logger logname users who last lsof sysctl
dmesg httpd tftp crond crontab fuser setsid chroot busybox""".split()
)
GNU = frozenset(
    """sh bash cat echo sleep ls mkdir rmdir rm touch date env printenv hostname head tail tee grep egrep
fgrep sed awk cut sort uniq wc true false test [ expr seq yes id whoami uname kill find xargs tr basename dirname
readlink realpath sync stat timeout dd base64 md5sum sha1sum sha256sum sha512sum gzip gunzip zcat tar ln cp mv chmod
chown chgrp printf nohup pwd nproc mktemp install truncate shuf tac nl od paste split fold comm cmp diff cksum sum
df du mount umount su login hostid logname users who getent tty stty nice chroot mknod mkfifo which""".split()
)
TOOLSETS = {
    "busybox": BUSYBOX,
    "alpine": BUSYBOX | {"apk"},
    "debian": (GNU - {"kill"}) | {"dash", "apt", "apt-get", "dpkg"},  # /bin/kill comes with procps, not installed
    "gnu": GNU | {"yum", "dnf", "microdnf", "rpm", "ps"},
    "none": frozenset(),
}
SHELL_ONLY = {
    ":",
    "cd",
    "export",
    "exit",
    "unset",
    "set",
    "shift",
    "exec",
    "trap",
    "wait",
    "read",
    "eval",
    ".",
    "source",
    "local",
    "break",
    "continue",
    "return",
    "command",
    "type",
    "umask",
    "ulimit",
    "readonly",
}
ALSO_BINARIES = {"echo", "printf", "test", "[", "true", "false", "pwd", "kill"}


def dispatch(sh: Shell, argv: list[str], stdin: str | None, env: dict[str, str], nestable: bool) -> Res:
    name = argv[0]
    base = name.rsplit("/", 1)[-1]
    scripted = "argv" not in sh.frame["code"]
    if scripted and (name in SHELL_ONLY or name in ALSO_BINARIES):
        return BUILTINS[name](sh, argv, stdin, env, nestable)
    if not available(sh, name):
        bash = sh.host.dialect != "busybox" and sh.shell_name() == "bash"
        return Res(127, err=sh.error(f"{name}: command not found" if bash else f"{name}: not found"))
    if base in SHELLS:
        return run_shell(sh, argv, stdin, env, nestable)
    if base in programs.PROGRAMS and programs.ships(sh.host.image, base):
        return programs.PROGRAMS[base](sh, argv, stdin, {**sh.state["vars"], **env})  # the image's own /whoami
    if base in ALSO_BINARIES:
        return BUILTINS[base](sh, argv, stdin, env, nestable)
    if base in UTILITIES:
        return UTILITIES[base](sh, argv, stdin)
    program = programs.lookup(sh.host.image, base, name)
    if program is not None:
        return program(sh, argv, stdin, {**sh.state["vars"], **env})
    return unsimulated(sh, argv)


def available(sh: Shell, name: str) -> bool:
    """Whether `name` is on the image's PATH (or is a file the container has)."""
    image = sh.host.image
    if not image.known:
        return True
    base = name.rsplit("/", 1)[-1]
    userland = TOOLSETS.get(image.base, GNU)
    if (
        name in userland
        or base in userland
        or name in image.tools
        or base in image.tools
        or programs.ships(image, base)
    ):
        return True
    if "/" in name:
        return sh.host.fs.is_file(resolve_path(sh.state["cwd"], name))
    return packages.on_path(sh, base)  # installed since the container started (`apt-get install procps`)


def missing_executable(sh: Shell, name: str) -> bool:
    """A container's command, or a `kubectl exec` command, that the runtime cannot start."""
    return name in SHELL_ONLY or not available(sh, name)


def unsimulated(sh: Shell, argv: list[str]) -> Res:
    if sh.host.exec_mode:
        return Res(0, err=f"(kubeclass: {argv[0]} exists in this image but is not simulated; it did nothing)\n")
    return Res(0)


# -- shells ---------------------------------------------------------------------------------
def run_shell(sh: Shell, argv: list[str], stdin: str | None, env: dict[str, str], nestable: bool) -> Res:
    """`sh -c SCRIPT [NAME ARGS…]`, `sh FILE [ARGS…]`, or an interactive sh reading its stdin."""
    flags, rest = [], argv[1:]
    while rest and rest[0].startswith("-") and rest[0] not in ("-", "--"):
        flags.append(rest.pop(0))
    if rest[:1] == ["--"]:
        rest.pop(0)
    if any("c" in f for f in flags):
        if not rest:
            return Res(2, err=sh.error("-c requires an argument"))
        source, args = rest[0], (rest[1:2] or [argv[0]]) + rest[2:]
    elif rest:
        path = resolve_path(sh.state["cwd"], rest[0])
        try:
            source, args = sh.host.fs.read(path), rest
        except FsError:
            return Res(
                127 if sh.host.dialect == "busybox" else 2,
                err=f"{argv[0].rsplit('/', 1)[-1]}: can't open '{rest[0]}': No such file or directory\n"
                if sh.host.dialect == "busybox"
                else sh.error(f"cannot open {rest[0]}: No such file"),
            )
    elif stdin is not None or sh.stdin_text is not None:
        source, args = stdin if stdin is not None else sh.stdin_text or "", [argv[0]]
    elif sh.host.stdin_open:
        return Res(block={"kind": "stdin"})
    else:
        return Res(0)  # no terminal, no input: sh reads end-of-file and exits
    frame = {"code": {"sh": source}, "pc": 0, "loops": [], "args": args, "proc": True}
    if nestable:
        try:
            from cluster.container.shcompile import compile_script

            compile_script(source)
        except Exception as err:  # noqa: BLE001 - a syntax error is the nested shell's, status 2
            return Res(2, err=sh.error(str(err)))
        return Res(push=frame)
    from cluster.container.shcompile import compile_script

    try:
        code = compile_script(source)
    except Exception as err:  # noqa: BLE001
        return Res(2, err=sh.error(str(err)))
    saved = sh.frame["args"]
    sh.frame["args"] = args
    try:
        return sh.run_nested_code(code, stdin or "")
    finally:
        sh.frame["args"] = saved


# -- builtins -----------------------------------------------------------------------------------
def b_true(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    return Res(0 if argv[0] != "false" else 1)


def b_exit(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    code = sh.state["st"]
    if len(argv) > 1:
        if not argv[1].lstrip("-").isdigit():
            return Res(2, err=sh.error(f"exit: Illegal number: {argv[1]}"), exit=True)
        code = int(argv[1])
    return Res(code & 0xFF, exit=True)


def b_export(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    args = [a for a in argv[1:] if not a.startswith("-")]
    if not args:
        return Res(0, "".join(f"export {k}='{v}'\n" for k, v in sorted(sh.state["vars"].items())))
    for arg in args:
        name, eq, value = arg.partition("=")
        if eq:
            sh.state["vars"][name] = value
        else:
            sh.state["vars"].setdefault(name, sh.state["vars"].get(name, ""))
    return Res(0)


def b_unset(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    for name in argv[1:]:
        sh.state["vars"].pop(name, None)
    return Res(0)


def b_set(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    if len(argv) == 1:
        return Res(0, "".join(f"{k}='{v}'\n" for k, v in sorted(sh.state["vars"].items())))
    if "--" in argv:
        sh.frame["args"] = sh.frame["args"][:1] + argv[argv.index("--") + 1 :]
    return Res(0)  # -e, -x, -u and -o options are accepted and not applied


def b_shift(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    count = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1
    args = sh.frame["args"]
    if count > len(args) - 1:
        return Res(1, err=sh.error("shift: can't shift that many"))
    sh.frame["args"] = args[:1] + args[1 + count :]
    return Res(0)


def b_cd(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    target = argv[1] if len(argv) > 1 else sh.state["vars"].get("HOME", "/")
    path = resolve_path(sh.state["cwd"], target)
    if not sh.host.fs.is_dir(path):
        if sh.host.dialect == "busybox":
            return Res(1, err=sh.error(f"cd: can't cd to {target}: No such file or directory"))
        return Res(2, err=sh.error(f"cd: can't cd to {target}"))
    sh.state["cwd"] = path
    return Res(0)


def b_pwd(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    return Res(0, sh.state["cwd"] + "\n")


def b_exec(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    if len(argv) == 1:
        return Res(0)
    res = dispatch(sh, argv[1:], stdin, env, nestable)
    if res.status == 127 and not available(sh, argv[1]):
        return Res(127, err=sh.error(f"exec: {argv[1]}: not found"), exit=True)
    res.pid1 = res.pid1 or argv[1].rsplit("/", 1)[-1]
    if res.push is None and res.block is None:
        res.exit = True
    return res


def b_trap(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    if len(argv) < 3:
        return Res(0)
    action = argv[1]
    for signal in argv[2:]:
        name = {"15": "TERM", "SIGTERM": "TERM", "2": "INT", "SIGINT": "INT", "0": "EXIT"}.get(signal, signal)
        if action == "-":
            sh.state["traps"].pop(name, None)
        else:
            sh.state["traps"][name] = action
    return Res(0)


def b_wait(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    if sh.state.get("listen") and "argv" not in sh.frame["code"]:
        return Res(block={"kind": "wait"})  # a background server never ends
    return Res(0)


def b_read(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    names = [a for a in argv[1:] if not a.startswith("-")] or ["REPLY"]
    text = stdin if stdin is not None else sh.stdin_text
    if text is None:
        return Res(block={"kind": "stdin"}) if sh.host.stdin_open else Res(1)
    if not text:
        return Res(1)
    line = text.split("\n", 1)[0]
    values = line.split(None, len(names) - 1)
    for i, name in enumerate(names):
        sh.state["vars"][name] = values[i] if i < len(values) else ""
    return Res(0)


def b_eval(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    from cluster.container.shcompile import compile_script

    source = " ".join(argv[1:])
    try:
        code = compile_script(source)  # compiled (and kept) before the frame runs: a syntax error is eval's, status 2
    except ShellSyntaxError as err:
        return Res(2, err=sh.error(str(err)))
    if nestable:
        return Res(push={"code": {"sh": source}, "pc": 0, "loops": [], "args": sh.frame["args"]})
    return sh.run_nested_code(code, stdin or "")


def b_source(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    if len(argv) < 2:
        return Res(2, err=sh.error(f"{argv[0]}: filename argument required"))
    try:
        source = sh.host.fs.read(resolve_path(sh.state["cwd"], argv[1]))
    except FsError:
        return Res(2, err=sh.error(f"{argv[0]}: can't open {argv[1]}"), exit=True)
    return b_eval(sh, ["eval", source], stdin, env, nestable)


def b_command(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    names = [a for a in argv[1:] if not a.startswith("-")]
    if argv[1:2] in (["-v"], ["-V"]) or argv[0] == "type":
        found = [n for n in names if n in SHELL_ONLY or n in ALSO_BINARIES or available(sh, n)]
        out = "".join(n + "\n" if n in SHELL_ONLY else f"/usr/bin/{n}\n" if "/" not in n else n + "\n" for n in found)
        return Res(0 if len(found) == len(names) else 1, out)
    return dispatch(sh, names, stdin, env, nestable) if names else Res(0)


def b_noop(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    return Res(0)


def b_echo(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    args, newline, escapes = argv[1:], True, sh.host.dialect == "dash" and "argv" not in sh.frame["code"]
    while args and re.fullmatch(r"-[neE]+", args[0]):
        flags = args.pop(0)
        newline = newline and "n" not in flags
        escapes = (escapes or "e" in flags) and "E" not in flags
    text = " ".join(args)
    if escapes:
        text, stop = _escapes(text)
        newline = newline and not stop
    return Res(0, text + ("\n" if newline else ""))


def b_printf(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    if len(argv) < 2:
        return Res(
            1,
            err="printf: usage: printf format [arguments]\n"
            if sh.host.dialect == "bash"
            else "printf: missing format\n"
            if sh.host.dialect == "busybox"
            else sh.error("printf: usage: printf format [arg ...]"),
        )
    fmt, args, out = argv[1], argv[2:], []
    while True:
        text, used = _format(fmt, args)
        out.append(text)
        args = args[used:]
        if not args or not used:
            break
    return Res(0, "".join(out))


def b_test(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            return Res(2, err=sh.error("[: missing ]") if sh.host.dialect != "busybox" else "sh: missing ]\n")
        args = args[:-1]
    try:
        return Res(0 if _test(sh, args) else 1)
    except ValueError as err:
        return Res(2, err=sh.error(f"{argv[0]}: {err}"))


def b_kill(sh: Shell, argv: list[str], stdin: str | None, env: dict, nestable: bool) -> Res:
    """`kill [-s SIG | -SIG | -N] PID…` from an exec: PID 1 is the container's main process (or, in an ephemeral
    container, its target's); cluster/container/signals.py delivers the signal. A container's own script
    signals nothing (simplified)."""
    args = argv[1:]
    name = "TERM"
    if args[:1] == ["-s"] and len(args) > 1:
        name, args = args[1], args[2:]
    elif args and args[0].startswith("-") and len(args[0]) > 1 and args[0] != "--":
        name, args = args[0][1:], args[1:]  # -9, -TERM, -SIGTERM
    args = args[1:] if args[:1] == ["--"] else args
    signal = signals.signal_name(name)
    if signal is None:
        return Res(1, err=_kill_error(sh, "bad signal", name))
    if not args:
        usage = "kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]"
        return Res(2, err=sh.error(usage))
    status, err = 0, ""
    for pid in args:
        if pid == "1" and sh.host.exec_mode:
            sh.host.signals.append(signal)
        elif pid != "1":
            status, err = 1, err + _kill_error(sh, "no process", pid)
    return Res(status, err=err)


def _kill_error(sh: Shell, problem: str, word: str) -> str:
    """What busybox's, dash's and bash's kill print for an unknown signal or a PID with no process."""
    bad_signal = problem == "bad signal"
    if sh.host.dialect == "busybox":
        return sh.error(f"bad signal name '{word}'" if bad_signal else f"can't kill pid {word}: No such process")
    if sh.shell_name() == "bash":
        missing = f"kill: ({word}) - No such process"
        return sh.error(f"kill: {word}: invalid signal specification" if bad_signal else missing)
    return sh.error(f"kill: invalid signal number or name: {word}" if bad_signal else "kill: No such process")


BUILTINS: dict[str, Callable[..., Res]] = {
    ":": b_true,
    "true": b_true,
    "false": b_true,
    "exit": b_exit,
    "export": b_export,
    "readonly": b_export,
    "local": b_export,
    "unset": b_unset,
    "set": b_set,
    "shift": b_shift,
    "cd": b_cd,
    "pwd": b_pwd,
    "exec": b_exec,
    "trap": b_trap,
    "wait": b_wait,
    "read": b_read,
    "eval": b_eval,
    ".": b_source,
    "source": b_source,
    "command": b_command,
    "type": b_command,
    "umask": b_noop,
    "ulimit": b_noop,
    "break": b_noop,
    "continue": b_noop,
    "return": b_noop,
    "echo": b_echo,
    "printf": b_printf,
    "test": b_test,
    "[": b_test,
    "kill": b_kill,
}


def _escapes(text: str) -> tuple[str, bool]:
    """echo's backslash escapes; True when `\\c` stops the output."""
    stop = "\\c" in text
    text = text.split("\\c", 1)[0]
    table = {"\\n": "\n", "\\t": "\t", "\\\\": "\\", "\\a": "\a", "\\b": "\b", "\\r": "\r", "\\v": "\v", "\\f": "\f"}
    return re.sub(r"\\[ntabrvf\\]", lambda m: table[m.group(0)], text), stop


def _format(fmt: str, args: list[str]) -> tuple[str, int]:
    out, used, i = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c == "\\" and i + 1 < len(fmt):
            out.append(_escapes(fmt[i : i + 2])[0])
            i += 2
            continue
        if c == "%" and i + 1 < len(fmt):
            spec = re.match(r"%([-0 +#]*\d*(?:\.\d+)?)([sdifxXoc%])", fmt[i:])
            if spec:
                conv = spec.group(2)
                if conv == "%":
                    out.append("%")
                else:
                    arg = args[used] if used < len(args) else ""
                    used += 1
                    out.append(_convert(spec.group(1), conv, arg))
                i += len(spec.group(0))
                continue
        out.append(c)
        i += 1
    return "".join(out), used


def _convert(flags: str, conv: str, arg: str) -> str:
    # A width or precision is cut to limits.FIELD_MAX: `%999999999d` would make the server build a gigabyte.
    flags = re.sub(r"\d+", lambda m: str(min(int(m.group(0)), limits.FIELD_MAX)), flags)
    if conv in "dioxX":
        try:
            number = int(arg or "0")
        except ValueError:
            number = 0
        return ("%" + flags + ("d" if conv == "i" else conv)) % number
    if conv == "f":
        try:
            return ("%" + flags + "f") % float(arg or "0")
        except ValueError:
            return ("%" + flags + "f") % 0.0
    if conv == "c":
        return arg[:1]
    return ("%" + flags + "s") % arg


def _test(sh: Shell, args: list[str]) -> bool:
    if not args:
        return False
    if args[0] == "!":
        return not _test(sh, args[1:])
    if "-a" in args[1:-1] or "-o" in args[1:-1]:
        op = "-o" if "-o" in args[1:-1] else "-a"
        at = args.index(op, 1)
        left, right = _test(sh, args[:at]), _test(sh, args[at + 1 :])
        return (left or right) if op == "-o" else (left and right)
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        return _unary(sh, args[0], args[1])
    if len(args) == 3:
        return _binary(args[0], args[1], args[2])
    raise ValueError("too many arguments" if sh.host.dialect != "busybox" else "syntax error")


def _unary(sh: Shell, op: str, operand: str) -> bool:
    fs, path = sh.host.fs, resolve_path(sh.state["cwd"], operand)
    checks = {
        "-z": lambda: operand == "",
        "-n": lambda: operand != "",
        "-e": lambda: fs.exists(path),
        "-f": lambda: fs.is_file(path),
        "-d": lambda: fs.is_dir(path),
        "-s": lambda: fs.is_file(path) and fs.read(path) != "",
        "-r": lambda: fs.exists(path),
        "-w": lambda: fs.exists(path),
        "-x": lambda: fs.exists(path),
        "-L": lambda: False,
        "-h": lambda: False,
    }
    if op not in checks:
        raise ValueError(f"{op}: unexpected operator")
    return bool(checks[op]())


def _binary(left: str, op: str, right: str) -> bool:
    if op in ("=", "=="):
        return left == right
    if op == "!=":
        return left != right
    numeric = {
        "-eq": int.__eq__,
        "-ne": int.__ne__,
        "-lt": int.__lt__,
        "-le": int.__le__,
        "-gt": int.__gt__,
        "-ge": int.__ge__,
    }
    if op in numeric:
        try:
            return bool(numeric[op](int(left), int(right)))
        except ValueError:
            raise ValueError(f"Illegal number: {left if not left.lstrip('-').isdigit() else right}") from None
    raise ValueError(f"{op}: unexpected operator")
