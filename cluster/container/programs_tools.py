"""The one-shot programs images run: interpreters, hello-world and the stress tools.

`perl -Mbignum=bpi -wle 'print bpi(2000)'` prints π (the Job example), `python -c 'print("x")'`
and `node -e 'console.log("x")'` print what they print, a script that is not there fails as the
interpreter says; `python -m http.server` serves the directory. A REPL (irb, jshell, php -a, zsh,
perl -de0) reads the terminal and, without one, EOF: it exits 0. stress's memory hogs past the
container's limit are OOM-killed (137).

Simplified: a script's code is not run: only literal prints are recognised.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cluster.container.programs_base import abs_path, flag_int, make_res, server

if TYPE_CHECKING:
    from cluster.container.shell import Res, Shell


def prog_perl(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    script = " ".join(a for a in argv[1:] if not a.startswith("-") or a.startswith("-e"))
    flags = " ".join(argv[1:])
    match = re.search(r"bpi\((\d+)\)", flags)
    if match:
        digits = min(int(match.group(1)), 20000)
        return make_res(status=0, out=pi_digits(digits) + ("\n" if "l" in flags else ""), seconds=digits / 1000)
    match = re.search(r"""print\s*\(?\s*(["'])(.*?)\1""", flags)
    if match:
        text = match.group(2).replace("\\n", "\n")
        return make_res(status=0, out=text + ("\n" if re.search(r"-\w*l", flags) else ""))
    if argv[1:2] == ["-de0"] or not script:
        return make_res(block={"kind": "stdin"}) if sh.host.stdin_open else make_res(status=0)
    return make_res(status=0)


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
    rounded = (pi + 5 * 10 ** (extra - 1)) // 10**extra
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
        return make_res(status=0, out="".join(text + "\n" for _, text in printed))
    if args and not args[0].startswith("-"):
        if not sh.host.fs.is_file(abs_path(sh, args[0])):
            path = abs_path(sh, args[0])
            return make_res(
                status=2,
                err=f"{argv[0].rsplit('/', 1)[-1]}: can't open file '{path}': [Errno 2] No such file or directory\n",
            )
        return make_res(status=0)
    return make_res(block={"kind": "stdin"}) if sh.host.stdin_open else make_res(status=0)


def prog_node(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    args = argv[1:]
    if args[:1] in (["-e"], ["--eval"], ["-p"]) and len(args) > 1:
        printed = re.findall(r"""console\.log\(\s*(["'`])(.*?)\1\s*\)""", args[1])
        return make_res(status=0, out="".join(text + "\n" for _, text in printed))
    if args and not args[0].startswith("-"):
        path = abs_path(sh, args[0])
        if not sh.host.fs.is_file(path) and not sh.host.fs.is_file(path + ".js"):
            version = sh.host.image.version or "22.12.0"
            return make_res(
                status=1,
                err=(
                    "node:internal/modules/cjs/loader:1228\n  throw err;\n  ^\n\n"
                    f"Error: Cannot find module '{path}'\n"
                    "    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)\n"
                    "    at Module._load (node:internal/modules/cjs/loader:1051:27)\n"
                    "    at node:internal/main/run_main_module:28:49 {\n"
                    "  code: 'MODULE_NOT_FOUND',\n  requireStack: []\n}\n\n"
                    f"Node.js v{version}\n"
                ),
            )
        return make_res(status=0)
    return make_res(block={"kind": "stdin"}) if sh.host.stdin_open else make_res(status=0)


def prog_repl(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """irb, jshell, php -a, zsh, perl5 -de0: read from the terminal; without one they read EOF and exit 0."""
    return make_res(block={"kind": "stdin"}) if sh.host.stdin_open else make_res(status=0)


def prog_hello_world(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    return make_res(status=0, out=HELLO_FROM_DOCKER)


def prog_stress(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """stress (polinux/stress, progrium/stress): memory hogs past the container's limit are OOM-killed.

    vish/stress ships another program at /stress, with Go flags (`-cpus 2`, `-mem-total 150Mi`)."""
    if argv[0] == "/stress":
        return prog_vish_stress(sh, argv, stdin, env)
    args = argv[1:]
    vm = flag_int(args, "--vm", 0) or flag_int(args, "-m", 0)
    size = next((args[i + 1] for i, a in enumerate(args) if a == "--vm-bytes" and i + 1 < len(args)), "256M")
    cpu = flag_int(args, "--cpu", 0) or flag_int(args, "-c", 0)
    timeout = next((args[i + 1] for i, a in enumerate(args) if a in ("--timeout", "-t") and i + 1 < len(args)), "")
    line = f"stress: info: [1] dispatching hogs: {cpu} cpu, 0 io, {vm} vm, 0 hdd\n"
    wanted = vm * stress_bytes(size)
    limit = sh.host.memory_limit
    if limit and wanted > limit:
        return make_res(status=137, out=line, seconds=1.0, exit=True, reason="OOMKilled")
    if timeout:
        seconds = float(re.sub(r"[^\d.]", "", timeout) or 0) * {"m": 60, "h": 3600}.get(timeout[-1:], 1)
        return make_res(
            status=0, out=line + f"stress: info: [1] successful run completed in {int(seconds)}s\n", seconds=seconds
        )
    # what its hogs hold while they run, for metrics-server (cluster/metrics.py): each --cpu worker and each
    # --vm worker that does not hang between allocations keeps a core busy; the vm workers hold their bytes
    burning = cpu + (0 if flag_int(args, "--vm-hang", 0) else vm)
    load = {"cpu": 1000 * burning, "memory": wanted} if burning or wanted else {}
    return make_res(out=line, block={"kind": "server", "name": "stress", "args": load}, pid1="stress")


def prog_vish_stress(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    """vish/stress: burns `-cpus` and allocates `-mem-total` (Go flags); over the memory limit it is OOM-killed."""
    args = argv[1:]
    total = next((a.split("=", 1)[1] for a in args if a.startswith("-mem-total=")), "")
    if not total and "-mem-total" in args and args.index("-mem-total") + 1 < len(args):
        total = args[args.index("-mem-total") + 1]
    limit = sh.host.memory_limit
    if total and limit and stress_bytes(total) > limit:
        return make_res(status=137, seconds=2.0, exit=True, reason="OOMKilled")
    cpus = next((a.split("=", 1)[1] for a in args if a.startswith("-cpus=")), "")
    if not cpus and "-cpus" in args and args.index("-cpus") + 1 < len(args):
        cpus = args[args.index("-cpus") + 1]
    load = {"cpu": 1000 * int(cpus) if cpus.isdigit() else 0, "memory": stress_bytes(total) if total else 0}
    return make_res(block={"kind": "server", "name": "stress", "args": load}, pid1="stress")


def prog_php(sh: Shell, argv: list[str], stdin: str | None, env: dict) -> Res:
    return prog_repl(sh, argv, stdin, env) if "-a" in argv or len(argv) == 1 else make_res(status=0)


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


def stress_bytes(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)[Bb]?", text.strip())
    if not match:
        return 0
    base = 1024 if match.group(3) or match.group(2) else 1
    power = "KMGT".find(match.group(2)) + 1 if match.group(2) else 0
    factor = base**power if match.group(3) else (1024**power)  # stress's M means MiB
    return int(float(match.group(1)) * factor)
