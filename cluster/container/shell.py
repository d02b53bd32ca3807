"""The process inside a container: a small, safe sh that runs on the cluster's virtual clock.

A container runs its command + args (after the kubelet's `$(VAR)` expansion) as
the image's ENTRYPOINT/CMD rules say. When that command is a shell (`sh -c '…'`,
`/bin/bash -c`), its script is parsed (cluster/container/shparse.py), compiled to a flat
program (shcompile.py) and run here, its words expanded as sh expands them (shexpand.py);
otherwise the program runs as one command. Everything runs against the container's
simulated filesystem (cluster/container/fs.py) — nothing ever runs on the host.

Time is virtual: `sleep 30` moves the process's clock 30 seconds ahead, and the
process only runs up to the moment the caller asks for (`advance`), so a script's
state can be saved in the database mid-sleep and resumed later — the kubelet
advances it when it syncs the pod, `kubectl logs` looks ahead on a copy. Every
other command takes no time. A server program (nginx, redis-server, …) or
`sleep infinity` / `tail -f` blocks the process until it is stopped.

The state is a JSON dict: a stack of frames (script or argv, position, for-loop
state), variables, the last status, the directory, traps, what it is blocked on,
the ports it listens on, who is PID 1, and the exit when it ends.

Simplified: no real concurrency inside a container (`cmd &` runs at once, without
waiting for any sleep in it; a background server keeps listening), pipes pass the
whole output along, command substitution and `kubectl exec` take no virtual time,
and a loop that runs more than BUDGET commands in one advance is fast-forwarded
(its output in the skipped stretch is not kept). What a process may hold and how much
work a KiB costs: cluster/container/limits.py.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cluster.container import limits
from cluster.container.fs import ContainerFS, FsError, resolve_path
from cluster.container.shcompile import compile_argv, compile_script
from cluster.container.shexpand import Expander, glob_matcher
from cluster.container.shlexer import ShellSyntaxError

if TYPE_CHECKING:
    from cluster.container.net import Net
    from cluster.registry import Image

BUDGET = 20_000  # commands one advance may run before the process is fast-forwarded
SHELLS = {"sh", "ash", "bash", "dash", "zsh"}
FOREVER = math.inf


@dataclass
class Host:
    """What a process runs on: its container's filesystem, image, names and network."""

    fs: ContainerFS
    image: Image
    hostname: str
    namespace: str = "default"
    pod_ip: str = ""
    stdin_open: bool = False
    net: Net | None = None
    exec_mode: bool = False  # `kubectl exec`: an unsimulated tool says so on stderr
    out: list = field(default_factory=list)  # [time, "stdout"|"stderr", text]
    budget: list = field(default_factory=lambda: [BUDGET])
    meter: list = field(default_factory=lambda: [0])  # bytes produced since the process's memory was last counted
    depth: int = 0  # subshells and $(…) this one runs inside
    pod: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict)
    cpus: int = 2
    kernel: str = "6.1.0-kubeclass"
    memory_limit: int = 0  # bytes; 0: no limit
    command: list = field(default_factory=list)  # what PID 1 was started with (ps)
    signals: list = field(default_factory=list)  # what an exec's `kill 1` sent PID 1 (cluster/container/signals.py)

    @property
    def dialect(self) -> str:
        """busybox (ash, busybox applets), dash (Debian's sh, GNU tools) or bash (GNU tools)."""
        return "busybox" if self.image.base in ("busybox", "alpine") else "dash"


@dataclass
class Res:
    """How one command ended: status, output, and how long it took (or what it blocks on)."""

    status: int = 0
    out: str = ""
    err: str = ""
    seconds: float = 0.0
    block: dict | None = None
    exit: bool = False  # the shell itself exits (exit, exec'd program ended)
    push: dict | None = None  # a nested shell to run in a new frame (sh -c inside a script)
    listen: dict = field(default_factory=dict)  # port -> server name
    banner: list | None = None  # a program's start-up lines, expanded by the log reader
    pid1: str = ""  # the program that now handles PID 1's signals (exec nginx …)
    reason: str = ""  # why the process ended, when not by itself (OOMKilled)


# -- starting and advancing ---------------------------------------------------------------
def new_state(argv: list[str], env: dict[str, str], t: float, workdir: str = "/", pid1: str = "") -> dict:
    """A process about to run `argv` at virtual time `t`."""
    return {
        "frames": [{"code": {"argv": list(argv)}, "pc": 0, "loops": [], "args": list(argv[:1]), "proc": True}],
        "vars": dict(env),
        "st": 0,
        "cwd": workdir or "/",
        "traps": {},
        "t": t,
        "block": None,
        "listen": {},
        "pid1": pid1 or (argv[0].rsplit("/", 1)[-1] if argv else ""),
        "exit": None,
        "banners": [],
        "bg": 0,
    }


def serving_state(name: str, ports: list[int], t: float, workdir: str = "/") -> dict:
    """The process of an image whose program the simulation does not know: a server, until stopped."""
    state = new_state([], {}, t, workdir, pid1=name)
    state["frames"] = []
    state["block"] = {"kind": "server", "name": name, "args": {"generic": True}}
    state["listen"] = {str(p): {"name": name, "args": {"generic": True}, "since": t} for p in ports}
    return state


def running(state: dict) -> bool:
    return state.get("exit") is None


def next_time(state: dict) -> float:
    """When the process next does something (math.inf: blocked until stopped, or ended)."""
    if state.get("exit") is not None or state.get("block") is not None:
        return FOREVER
    return float(state["t"])


def advance(state: dict, host: Host, until: float) -> None:
    """Run the process's commands that happen up to `until` (its output goes to host.out)."""
    advance_all([(state, host)], until)


def advance_all(procs: list[tuple[dict, Host]], until: float) -> None:
    """Several processes sharing volumes: run them in time order, so one sees what another wrote.

    The hosts share one budget; when it runs out, whatever is still due skips to just after `until`.
    """
    budget = procs[0][1].budget if procs else [0]
    while True:
        ready = [(next_time(s), i) for i, (s, _) in enumerate(procs) if next_time(s) <= until]
        if not ready:
            break
        if budget[0] <= 0:
            for state, _ in procs:
                if next_time(state) <= until:
                    state["t"] = math.nextafter(until, FOREVER)
            break
        moment, index = min(ready)
        state, host = procs[index]
        shell = Shell(state, host)
        while next_time(state) == moment and budget[0] > 0:
            shell.step()
        for other, other_host in procs:
            _follow(other, other_host, moment)
    for state, host in procs:
        _follow(state, host, until)
        if running(state):
            Shell(state, host).count_memory()  # what it grew by in small steps, advance after advance


def _follow(state: dict, host: Host, until: float) -> None:
    """`tail -f FILE` as PID 1's command: what was appended to the file shows up in its output."""
    block = state.get("block") or {}
    if block.get("kind") != "tail" or state.get("exit") is not None:
        return
    try:
        text = host.fs.read(block["path"])
    except FsError:
        return
    if len(text) < block["pos"]:
        block["pos"] = 0
    if len(text) > block["pos"]:
        host.out.append([until, "stdout", text[block["pos"] :]])
        block["pos"] = len(text)


def predict_exit(state: dict, host: Host, horizon: float, budget: int = 2000) -> float | None:
    """When the process would exit if nothing outside it changed (looked at on a copy, offline);
    None if not before `horizon` or within the look-ahead budget."""
    probe = copy.deepcopy(state)
    look = dataclasses.replace(host, fs=_scratch(host.fs), net=None, out=[], budget=[budget])
    advance(probe, look, horizon)
    ended = probe.get("exit")
    return float(ended["at"]) if ended else None


def _scratch(fs: ContainerFS) -> ContainerFS:
    """A copy of the filesystem whose writes go nowhere."""
    from cluster.container.fs import Layer, Mount

    upper = Layer(None, "", "", entries=copy.deepcopy(fs.upper.entries))
    mounts = [
        Mount(m.path, Layer(None, "", "", m.layer.read_only, copy.deepcopy(m.layer.entries)), m.sub_path, m.read_only)
        for m in fs.mounts
    ]
    return ContainerFS(upper, fs.image_files, mounts, fs.image_dirs, dry=True)


def run_instant(
    host: Host, argv: list[str], env: dict[str, str], t: float, stdin: str = "", cwd: str = "/"
) -> tuple[int, str, str]:
    """A command run beside the container's process (kubectl exec, an exec probe): (status, stdout, stderr)."""
    state = new_state(argv, env, t, cwd, pid1="exec")
    shell = Shell(state, host)
    shell.stdin_text = stdin
    out: list[str] = []
    err: list[str] = []
    host.out = []
    while state.get("exit") is None and state.get("block") is None and host.budget[0] > 0:
        state["t"] = t  # no virtual time passes during an exec
        shell.step()
    code = state["exit"]["code"] if state.get("exit") else 0
    if host.exec_mode and state.get("exit") is None and state.get("block") is None:
        # A real shell would still be running; kubectl exec ends as if the learner pressed Ctrl-C.
        host.out.append([t, "stderr", STILL_RUNNING])
        code = 130
    for _, stream, text in host.out:
        (out if stream == "stdout" else err).append(text)
    return code, "".join(out), "".join(err)


STILL_RUNNING = "(kubeclass: still running after the simulation's budget of work; stopped here, as Ctrl-C would)\n"


# -- the shell itself ------------------------------------------------------------------------
class Shell(limits.Accounting, Expander):
    """Executes one instruction at a time of the process's top frame."""

    def __init__(self, state: dict, host: Host) -> None:
        self.state, self.host = state, host
        self.stdin_text: str | None = None

    @property
    def t(self) -> float:
        return float(self.state["t"])

    @property
    def frame(self) -> dict:
        return self.state["frames"][-1]

    def code(self, frame: dict) -> tuple:
        source = frame["code"]
        if "sh" in source:
            return compile_script(source["sh"])
        return compile_argv(tuple(source["argv"]))

    def step(self) -> None:
        """One instruction. A process that needs more memory than it may have is OOM-killed; one operation
        that costs more than the advance has left is tried again in the next."""
        frame, pc = self.frame, self.frame["pc"]
        try:
            self.instruction()
        except limits.OutOfMemory:
            self.oom_kill()
        except limits.OutOfWork:
            frame["pc"] = pc
            self.host.budget[0] = 0
        except ShellSyntaxError as err:  # found while running (a pattern too long to match): sh says so, goes on
            self.emit(Res(2, err=self.error(str(err))))
            self.state["st"] = 2
        except RecursionError:  # the last guard: a shell whose stack overflows dies of SIGSEGV, 128 + 11
            self.kill(139)

    def instruction(self) -> None:
        self.host.budget[0] -= 1
        frame = self.frame
        try:
            code = self.code(frame)
        except ShellSyntaxError as err:  # a frame whose script cannot be compiled ends at once, status 2
            self.emit(Res(2, err=self.error(str(err))))
            self.end_frame(2)
            return
        ins = code[frame["pc"]]
        op = ins[0]
        frame["pc"] += 1
        if op == "run":
            self.run(ins[1], ins[2])
        elif op == "jmp":
            frame["pc"] = ins[1]
        elif op in ("jz", "jnz"):
            if (self.state["st"] == 0) == (op == "jz"):
                frame["pc"] = ins[1]
        elif op == "status":
            self.state["st"] = ins[1]
        elif op == "not":
            self.state["st"] = 0 if self.state["st"] else 1
        else:
            self.control(op, ins)

    def control(self, op: str, ins: tuple) -> None:
        frame = self.frame
        if op == "for":
            words = self.expand_words(ins[2]) if ins[2] is not None else frame["args"][1:]
            frame["loops"].append({"items": words, "i": 0})
        elif op == "next":
            loop = frame["loops"][-1]
            if loop["i"] < len(loop["items"]):
                self.state["vars"][ins[1]] = loop["items"][loop["i"]]
                loop["i"] += 1
            else:
                frame["loops"].pop()
                frame["pc"] = ins[2]
        elif op == "pop":
            del frame["loops"][-ins[1] :]
        elif op == "case":
            subject = self.expand_one(ins[1])
            frame["pc"] = ins[3]
            for patterns, target in ins[2]:
                if any(glob_matcher(self.expand_one(p))(subject) for p in patterns):
                    frame["pc"] = target
                    break
            self.state["st"] = 0
        elif op == "end":
            self.end_frame(self.state["st"])

    def oom_kill(self) -> None:
        """The kernel's OOM killer: the whole process ends at once (SIGKILL), 128 + 9."""
        self.kill(137, "OOMKilled")

    def kill(self, status: int, reason: str = "") -> None:
        del self.state["frames"][1:]
        self.state["block"] = None
        self.state["vars"] = {}
        self.end_frame(status, reason)

    def end_frame(self, status: int, reason: str = "") -> None:
        frames = self.state["frames"]
        frames.pop()
        self.state["st"] = status
        if not frames:
            self.state["exit"] = {"at": self.t, "code": status & 0xFF}
            if reason:
                self.state["exit"]["reason"] = reason

    def exit(self, status: int, reason: str = "") -> None:
        """`exit`: leave the shell process this frame belongs to (a nested `sh -c` is a process of its own)."""
        frames = self.state["frames"]
        while len(frames) > 1 and not frames[-1].get("proc"):
            frames.pop()
        self.end_frame(status, reason)

    # -- running a pipeline -------------------------------------------------------------------
    def run(self, pipe: tuple, background: bool) -> None:
        try:
            res = self.pipeline(pipe, background)
        except ShellSyntaxError as err:
            res = Res(2, err=self.error(str(err)))
        self.emit(res)
        for port, name in res.listen.items():
            self.state["listen"][str(port)] = {
                "name": name,
                "args": (res.block or {}).get("args") or {},
                "since": self.t,
            }
        if res.banner:
            self.state["banners"].append([self.t, *res.banner])
        if background:
            self.state["st"], self.state["bg"] = 0, self.state.get("bg", 0) + 1
            return
        self.state["st"] = res.status
        if res.pid1 and len(self.state["frames"]) == 1:
            self.state["pid1"] = res.pid1
        if res.push is not None:
            self.state["frames"].append(res.push)
        elif res.exit:
            if res.seconds:  # `exec sleep 30`: the process the shell became runs its time, then exits
                self.state["t"] = self.t + res.seconds
            self.exit(res.status, res.reason)
        elif res.block is not None:
            self.state["block"] = res.block
            self.frame["pc"] -= 1  # blocked in this command until stopped
        elif res.seconds:
            self.state["t"] = self.t + res.seconds

    def emit(self, res: Res) -> None:
        if res.out:
            self.host.out.append([self.t, "stdout", res.out])
        if res.err:
            self.host.out.append([self.t, "stderr", res.err])

    def pipeline(self, pipe: tuple, background: bool) -> Res:
        negate, commands = pipe[1], pipe[2]
        if len(commands) == 1:
            res = self.command(commands[0], None, top=not background)
        else:
            res, stdin, seconds = Res(), "", 0.0
            for command in commands:
                res = self.command(command, stdin, top=False)
                stdin, seconds = res.out, max(seconds, res.seconds)
                if command is not commands[-1]:
                    self.emit(Res(err=res.err))
            res.seconds, res.push = seconds, None
        if negate:
            res.status = 0 if res.status else 1
        return res

    def command(self, node: tuple, stdin: str | None, top: bool) -> Res:
        if node[0] != "simple":
            return self.subshell(node, stdin)
        from cluster.container import commands

        _, assigns, words, redirs = node
        argv = self.expand_words(words)
        values = []
        for name, word in assigns:
            if word and word[0][0] == "array":
                values += self.array_values(name, word[0][1])
            else:
                values.append((name, self.expand_one(word)))
        if not argv:
            self.state["vars"].update(values)
            return Res(self.state.get("subst_status", 0))
        env = dict(values)
        io = self.redirections(redirs)
        if isinstance(io, Res):
            return io
        if io.get(0) is not None:
            stdin = io[0]
        res = commands.dispatch(self, argv, stdin, env, nestable=top and not io and stdin is None)
        self.charge(len(stdin or "") + len(res.out) + len(res.err))
        return self.apply_redirections(res, io)

    def subshell(self, node: tuple, stdin: str | None) -> Res:
        """A compound command inside a pipeline: run to completion at once."""
        from cluster.container.shcompile import Compiler

        compiler = Compiler()
        compiler.compound(node)
        compiler.emit("end")
        return self.run_nested_code(tuple(tuple(i) for i in compiler.code), stdin or "")

    def run_nested_code(self, code: tuple, stdin: str) -> Res:
        """A subshell: a copy of this shell's variables, traps and directory, not of its frames and loops."""
        if self.host.depth >= limits.NESTING:
            return Res(2, err=self.error("subshells nested too deeply"))
        parent = self.state
        self.charge(len(parent["vars"]) * 64)  # copying the variables is work too
        state = {
            **parent,
            "vars": dict(parent["vars"]),
            "traps": dict(parent.get("traps") or {}),
            "listen": dict(parent.get("listen") or {}),
            "banners": [],
            "frames": [{"code": {"compiled": True}, "pc": 0, "loops": [], "args": self.frame["args"]}],
            "exit": None,
            "block": None,
        }
        host = dataclasses.replace(self.host, stdin_open=False, out=[], depth=self.host.depth + 1)
        shell = _Compiled(state, host, code)
        shell.stdin_text = stdin
        while state.get("exit") is None and state.get("block") is None and host.budget[0] > 0:
            state["t"] = self.t
            shell.step()
        out = "".join(text for _, stream, text in host.out if stream == "stdout")
        err = "".join(text for _, stream, text in host.out if stream == "stderr")
        return Res(state["exit"]["code"] if state.get("exit") else 0, out, err)

    def capture(self, source: str) -> str:
        """$(…): the output of a command list, trailing newlines removed; it takes no virtual time."""
        try:
            res = self.run_nested_code(compile_script(source), "")
        except ShellSyntaxError as err:
            self.host.out.append([self.t, "stderr", self.error(str(err))])
            return ""
        if res.err:
            self.host.out.append([self.t, "stderr", res.err])
        self.state["subst_status"] = res.status
        return res.out.rstrip("\n")

    # -- redirections --------------------------------------------------------------------------
    def redirections(self, redirs: tuple) -> dict | Res:
        io: dict = {}
        for op, fd, word in redirs:
            target = self.expand_one(word)
            if op in (">&", "<&"):
                io[fd] = ("dup", int(target) if target.isdigit() else 1)
            elif op == "<":
                path = resolve_path(self.state["cwd"], target)
                try:
                    io[0] = self.host.fs.read(path)
                except FsError as err:
                    return Res(1 if self.host.dialect == "busybox" else 2, err=self.cannot_open(target, err))
            elif op == "&>":
                io[1] = io[2] = ("file", target, False)
            else:
                io[fd] = ("file", target, op == ">>")
        return io

    def apply_redirections(self, res: Res, io: dict) -> Res:
        streams = {1: res.out, 2: res.err}
        res.out, res.err = "", ""
        sinks: dict[int, Any] = {1: "stdout", 2: "stderr"}  # "stdout", "stderr" or ("file", path, append)
        for fd in (1, 2):
            spec = io.get(fd)
            if isinstance(spec, tuple) and spec[0] == "dup":
                sinks[fd] = sinks.get(spec[1], "stdout")
            elif isinstance(spec, tuple):
                sinks[fd] = spec
        for fd in (1, 2):
            text, sink = streams[fd], sinks[fd]
            if sink == "stdout":
                res.out += text
            elif sink == "stderr":
                res.err += text
            else:
                failure = self.write_file(sink[1], text, sink[2])
                if failure:
                    return Res(1 if self.host.dialect == "busybox" else 2, err=failure)
        return res

    def write_file(self, target: str, text: str, append: bool) -> str:
        if target == "/dev/null":
            return ""
        if target in ("/dev/stdout", "/proc/self/fd/1", "/dev/stderr", "/proc/self/fd/2"):
            stream = "stdout" if target.endswith(("stdout", "/1")) else "stderr"
            self.host.out.append([self.t, stream, text])
            return ""
        path = resolve_path(self.state["cwd"], target)
        try:
            self.host.fs.write(path, text, self.t, append)
        except FsError as err:
            return self.cannot_create(target, err)
        return ""

    # -- messages in the shell's own words -------------------------------------------------------
    def shell_name(self) -> str:
        """The program running this script (`sh`, `bash`, `ash`…), as it names itself in its messages."""
        name = self.frame["args"][0] if self.state["frames"] else "sh"
        return (name or "sh").rsplit("/", 1)[-1]

    def error(self, text: str) -> str:
        name = self.shell_name()
        if self.host.dialect == "busybox" or name not in ("sh", "dash", "bash"):
            return f"{name if name in SHELLS else 'sh'}: {text}\n"
        if name == "bash":  # `bash -c` counts lines; at an interactive prompt bash names no line
            return f"bash: {text}\n" if self.state.get("interactive") else f"bash: line 1: {text}\n"
        return f"{name}: 1: {text}\n"

    def cannot_create(self, target: str, err: FsError) -> str:
        if self.host.dialect == "busybox":
            reason = "nonexistent directory" if err.errno == "ENOENT" else _errno_text(err)
            return self.error(f"can't create {target}: {reason}")
        reason = "Directory nonexistent" if err.errno == "ENOENT" else _errno_text(err)
        return self.error(f"cannot create {target}: {reason}")

    def cannot_open(self, target: str, err: FsError) -> str:
        if self.host.dialect == "busybox":
            return self.error(f"can't open '{target}': {_errno_text(err)}")
        return self.error(f"cannot open {target}: {_errno_text(err)}")


class _Compiled(Shell):
    """A shell running an already-compiled program (a compound command in a pipeline)."""

    def __init__(self, state: dict, host: Host, program: tuple) -> None:
        super().__init__(state, host)
        self.program = program

    def code(self, frame: dict) -> tuple:
        if frame["code"].get("compiled"):
            return self.program
        return super().code(frame)


def _errno_text(err: FsError) -> str:
    from cluster.container.fs import MESSAGES

    return MESSAGES.get(err.errno, err.errno)
