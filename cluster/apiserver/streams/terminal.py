"""`kubectl exec -it POD -- sh`: an interactive shell over the stream, and the terminal it runs on.

With `-t` kubectl puts the local terminal in raw mode and sends every keystroke;
the container's pseudo-terminal does the line editing. LineDiscipline is that
terminal's canonical mode: it echoes what is typed, erases with Backspace and
Ctrl-U, turns Enter into a line, Ctrl-C into an interrupt and Ctrl-D on an empty
line into end of input, swallows escape sequences (arrow keys), and the output
side maps `\\n` to `\\r\\n` (onlcr). Without `-t` (`kubectl exec -i POD -- sh <
script`) there is no echo and no prompt, and lines are read as a shell reads a pipe.

InteractiveShell is the shell reading those lines: each complete command runs as
`kubectl exec` runs one (cluster/kubectl/exec.py), in the same variables, directory
and last status as the one before, so `cd /tmp`, `X=1` and `echo $?` carry over.
The prompt is the image's shell's (busybox ash `/ # `, dash `# `, bash
`root@POD:/# `); a command that is not finished yet (`if …` without `fi`, an open
quote) asks for more with `> `.

Simplified: no job control, history or completion; a command that would block (a
server in the foreground, `read`, `sleep infinity`) returns at once; a nested
interactive shell (`sh` typed at the prompt) reads end-of-input and exits.
"""

from __future__ import annotations

import codecs
import posixpath

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.apiserver.streams import location
from cluster.container import shell
from cluster.container.context import command_line
from cluster.container.shcompile import compile_script
from cluster.container.shlexer import ShellSyntaxError
from cluster.kubectl.exec import prepare_exec
from cluster.registry import image_config

MARK = "KUBECLASS_TTY_STATUS_"  # assigned after each line: present only when the line did not `exit`
MAX_LINE = 64 * 1024
INTERRUPTED = 130


class Gone(Exception):
    """The pod or its container went away while the shell ran (its processes were killed)."""


def interactive(command: tuple[str, ...] | list[str]) -> bool:
    """Whether the command is a shell that reads its commands from stdin (`sh`, `bash -il`, `/bin/sh -i`)."""
    if not command or posixpath.basename(command[0]) not in shell.SHELLS:
        return False
    return all(arg.startswith("-") and "c" not in arg for arg in command[1:])


def container_shell(spec: dict) -> tuple[str, ...] | None:
    """The container's own command when it is a shell reading its stdin (`kubectl run -it … -- sh`, or an
    image whose CMD is `sh`, with `stdin: true`); None for any other process."""
    if not spec.get("stdin"):
        return None
    command = tuple(command_line(spec, image_config(spec["image"]), {}))
    return command if interactive(command) else None


class InteractiveShell:
    """An interactive sh in a container, one command line at a time."""

    def __init__(self, namespace: str, pod: str, container: str, command: tuple[str, ...], tty: bool) -> None:
        self.namespace, self.pod, self.container, self.tty = namespace, pod, container, tty
        self.argv0 = posixpath.basename(command[0]) if command else "sh"
        self.command = list(command)
        self.vars: dict[str, str] = {}
        self.cwd = "/"
        self.status = 0
        self.hostname = ""
        self.dialect = "busybox"
        self.killed = False  # ended by SIGKILL with its container's PID 1: no farewell

    def start(self, api: APIServer) -> None:
        """Look at the container once (ExecError when it has no such shell)."""
        target = prepare_exec(api, self._pod(api), self.container, self.command)
        self.vars = dict(target.env)
        if self.tty:
            self.vars.setdefault("TERM", "xterm")  # containerd sets it for an exec with a terminal
        self.cwd, self.hostname, self.dialect = target.cwd, target.host.hostname, target.host.dialect

    def _pod(self, api: APIServer) -> dict:
        try:
            return api.get("pods", self.namespace, self.pod)
        except StatusError:
            raise Gone() from None

    def prompt(self, continuation: bool = False) -> str:
        if continuation:
            return "> "
        home = self.vars.get("HOME", "/root")
        where = "~" + self.cwd[len(home) :] if home != "/" and (self.cwd + "/").startswith(home + "/") else self.cwd
        if self.argv0 == "bash":
            return f"root@{self.hostname}:{where}# "
        if self.dialect == "busybox":
            return f"{where} # "
        return "# "

    def complete(self, source: str) -> bool:
        """Whether `source` is a whole command (or a syntax error, which is whole too)."""
        try:
            compile_script(source)
        except ShellSyntaxError as err:
            return "end of file" not in str(err) and "unterminated" not in str(err)
        except IndexError:
            return False  # the parser ran off the end of the input: more is to come
        return True

    def run(self, api: APIServer, source: str) -> tuple[list[tuple[str, str]], bool]:
        """Run one command line: ([(stream, text)…] in the order written, whether the shell exited)."""
        try:
            compile_script(source)
        except (ShellSyntaxError, IndexError) as err:
            self.status = 2
            text = str(err) if isinstance(err, ShellSyntaxError) else "syntax error: unexpected end of file"
            return [("stderr", self._syntax_error(text))], False
        pod = self._pod(api)
        if not location.running(api, pod, self.container):
            raise Gone()
        target = prepare_exec(api, pod, self.container, self.command)
        host = target.host
        state = shell.new_state([self.argv0], self.vars, target.now, self.cwd)
        state["frames"] = [
            {"code": {"sh": f"{source}\n{MARK}=$?"}, "pc": 0, "loops": [], "args": [self.argv0], "proc": True}
        ]
        state["st"] = self.status
        state["interactive"] = True
        state["tty"] = self.tty
        state["exec_command"] = " ".join(self.command)  # what `ps` shows for this shell
        runner = shell.Shell(state, host)
        host.out = []
        while state.get("exit") is None and state.get("block") is None and host.budget[0] > 0:
            state["t"] = target.now  # a command takes no virtual time, as in kubectl exec
            runner.step()
        killed = target.persist()
        written = [(stream, text) for _, stream, text in host.out]
        if killed:  # `kill 1` ended the container's PID 1: the kernel kills the shell too (SIGKILL, 137)
            self.status, self.killed = 137, True
            return written, True
        if state.get("exit") is None and state.get("block") is None:  # the budget ran out: back to the prompt
            written.append(("stderr", shell.STILL_RUNNING))
            state["vars"][MARK] = "130"
        variables = dict(state["vars"])
        mark = variables.pop(MARK, None)
        self.vars, self.cwd = variables, state.get("cwd", self.cwd)
        if mark is None and state.get("exit") is not None:
            self.status = int(state["exit"]["code"])
            return written, True
        self.status = int(mark) if str(mark or "0").isdigit() else 0
        return written, False

    def _syntax_error(self, text: str) -> str:
        if self.argv0 == "bash":
            return f"bash: {text}\n"
        if self.dialect == "busybox":
            return f"{self.argv0}: {text}\n"
        return f"{self.argv0}: 1: {text[0].upper() + text[1:]}\n"

    def farewell(self) -> str:
        """What the shell prints when it leaves on `exit` or Ctrl-D (bash says so)."""
        return "exit\n" if self.tty and self.argv0 == "bash" and not self.killed else ""


class LineDiscipline:
    """The terminal between the keyboard and the shell: canonical mode, with echo when it is a tty."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.line = ""
        self.escape = ""  # an escape sequence being swallowed
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        """Keystrokes (or piped input) → events: ("echo", text), ("line", text), ("interrupt", ""), ("eof", "")."""
        events: list[tuple[str, str]] = []
        for char in self.decoder.decode(data):
            if not self.tty:
                if char == "\n":
                    events.append(("line", self.line))
                    self.line = ""
                elif len(self.line) < MAX_LINE:
                    self.line += char
                continue
            if self.escape:
                self.escape += char
                if len(self.escape) > 1 and (char.isalpha() or char == "~") or len(self.escape) > 8:
                    self.escape = ""
                continue
            if char == "\x1b":
                self.escape = char
            elif char in "\r\n":
                events += [("echo", "\r\n"), ("line", self.line)]
                self.line = ""
            elif char in "\x7f\b":
                if self.line:
                    self.line = self.line[:-1]
                    events.append(("echo", "\b \b"))
            elif char == "\x15":
                events.append(("echo", "\b \b" * len(self.line)))
                self.line = ""
            elif char == "\x03":
                events += [("echo", "^C\r\n"), ("interrupt", "")]
                self.line = ""
            elif char == "\x04" and not self.line:
                events.append(("eof", ""))
            elif (char == "\t" or char >= " ") and len(self.line) < MAX_LINE:
                self.line += char
                events.append(("echo", char))
        return events

    def end(self) -> list[tuple[str, str]]:
        """The input ended (v5's CLOSE signal): what is left is a last line."""
        events = [("line", self.line)] if self.line else []
        self.line = ""
        return events + [("eof", "")]


def onlcr(text: str) -> str:
    """A terminal's output translation: each newline also returns the carriage."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")
