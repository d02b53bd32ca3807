"""A script inside a container cannot take the server down: what a process may hold and how much it may do.

Each row is something a learner (or someone trying to break a class server) can type after `kubectl exec`.
Before cluster/container/limits.py, the first one made the server's memory double until the kernel killed
the whole server, and a backtracking pattern kept it busy for good. The tests run under a ceiling on the
address space and a watchdog, so a regression fails here instead of taking the machine with it.
"""

from __future__ import annotations

import faulthandler
import resource

import pytest

from cluster.container import limits, shell
from cluster.container.fs import ContainerFS, Layer
from cluster.registry import image_config
from tests.container_sim import Sim

T0 = 1_700_000_000.0
ENV = {"HOME": "/root", "PATH": "/bin"}
NOTE = shell.STILL_RUNNING
THREE_TO_THE_256 = (pow(3, 256, 1 << 64) ^ (1 << 63)) - (1 << 63)  # 3 squared eight times, in 64-bit two's complement


@pytest.fixture(autouse=True)
def ceiling():
    """MemoryError past 2 GiB more than the test process has now; a stack dump and exit after 120 s."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * resource.getpagesize()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (mapped + (2 << 30), hard))
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def host(memory_limit: int = 0, exec_mode: bool = True) -> shell.Host:
    fs = ContainerFS(Layer(None, "", "", entries={}), {}, [])
    return shell.Host(fs, image_config("busybox:1.36"), "web-1", exec_mode=exec_mode, memory_limit=memory_limit)


def kubectl_exec(script: str, memory_limit: int = 0) -> tuple[int, str, str]:
    """`kubectl exec web -- sh -c SCRIPT`: (exit code, stdout, stderr)."""
    return shell.run_instant(host(memory_limit), ["sh", "-c", script], ENV, T0)


@pytest.mark.parametrize(
    "script, memory_limit",
    [
        ("x=aaaaaaaaaa; while true; do x=$x$x; done", 4 << 20),  # doubles: 10 B, 20 B, … 5 MiB
        ('x=$(seq 1000); while true; do x="$x $x a"; done', 8 << 20),
        ("x=$(seq 10000); echo $x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x", 1 << 20),
        ("x=$(seq 10000); set -- $x $x $x $x $x $x $x $x $x $x $x $x $x $x $x $x $x $x $x $x $x $x $x $x", 1 << 19),
    ],
)
def test_a_process_that_outgrows_its_memory_is_oom_killed(script: str, memory_limit: int) -> None:
    assert kubectl_exec(script, memory_limit) == (137, "", "")


def test_a_doubling_loop_without_a_limit_meets_the_oom_killer_before_the_end_of_its_budget() -> None:
    """8 MiB, below the 20 MiB of writing an advance allows: the learner sees what a node would do, 137."""
    assert kubectl_exec("x=a; while true; do x=$x$x; done") == (137, "", "")
    assert kubectl_exec("x=aaaaaaaaaa; while true; do x=$x$x; done") == (137, "", "")


def test_a_container_that_grows_a_little_at_every_step_is_oom_killed_in_the_end() -> None:
    """The main process grows by 4 KiB a virtual second: no single advance sees much, the count after each does."""
    state = shell.new_state(["sh", "-c", 'while true; do x="$x$(seq 1000)"; sleep 1; done'], ENV, T0)
    box = host(memory_limit=1 << 20, exec_mode=False)
    for second in range(10, 600, 10):
        shell.advance(state, box, T0 + second)
        box.budget = [shell.BUDGET]
        if not shell.running(state):
            break
    assert state["exit"]["code"] == 137 and state["exit"]["reason"] == "OOMKilled"
    assert T0 + 200 < state["exit"]["at"] < T0 + 300  # about 1 MiB / 3.9 KB a second


@pytest.mark.parametrize(
    "script, out",
    [
        # printf streams its output; the simulation keeps at most what a process may hold.
        ("printf '%999999999d' 1 | wc -c", f"{limits.FIELD_MAX}\n"),
        ("seq 1000000000000 | wc -l", "100000\n"),  # as many lines as seq ever gives here
        # intmax_t: 64 bits that wrap, shifts modulo 64, as dash and busybox compute on x86-64.
        (
            "echo $((1<<64)) $((1<<63)) $((9223372036854775807+1)) $((1<<100000000))",
            "1 -9223372036854775808 -9223372036854775808 1\n",
        ),
        ("x=3; i=0; while [ $i -lt 8 ]; do x=$((x*x)); i=$((i+1)); done; echo $x", f"{THREE_TO_THE_256}\n"),
        # RE2, linear in the text: a pattern that makes a backtracking engine try every way round.
        ("echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! | sed -E 's/(a|a)*$/x/'", "a" * 40 + "!x\n"),
        ("echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | grep 'a*a*a*a*a*a*a*a*a*a*a*b' || echo no", "no\n"),
        ("echo 'GET /healthz' | grep -E '^(GET|POST) /(health|ready)z$'", "GET /healthz\n"),
        ("echo 'web-1 web-2' | sed 's/web-\\([0-9]\\)/[&:\\1]/g'", "[web-1:1] [web-2:2]\n"),
        # Trimming stays quick where sh is quick: the first cut that matches ends the search.
        ("x=$(seq 20000); y=${x#1}; z=${x%%\n*}; echo ${#x} ${#y} $z", "108893 108892 1\n"),
        (
            "p=/usr/local/bin/app.tar.gz; echo ${p##*/} ${p%/*} ${p%%.*} ${p#*.}",
            "app.tar.gz /usr/local/bin /usr/local/bin/app tar.gz\n",
        ),
    ],
)
def test_hostile_commands_give_sh_s_answer_without_the_server_paying_for_it(script: str, out: str) -> None:
    assert kubectl_exec(script) == (0, out, "")


@pytest.mark.parametrize(
    "script",
    [
        "while true; do :; done",
        "while true; do seq 100000 > /dev/null; done",  # a megabyte a turn: stopped by the bytes, not the turns
        'x=$(seq 100000); echo "${x%%*9}"',  # every cut of 588 KB tried: hours of matching
        'x=\'eval "$x"\'; eval "$x"',
        'x=\'sh -c "$x"\'; sh -c "$x"',
        "x=$(seq 100000); for i in $x $x $x $x $x $x $x $x; do y=$(echo $i); done",
    ],
)
def test_an_exec_that_never_ends_is_stopped_and_says_so(script: str) -> None:
    box = host()
    code, out, err = shell.run_instant(box, ["sh", "-c", script], ENV, T0)
    assert (code, err) == (130, NOTE)
    assert box.budget[0] <= 0


def test_patterns_and_scripts_beyond_what_is_kept_are_refused() -> None:
    code, _, err = kubectl_exec("case x in $(printf '%5000s' | tr ' ' a)) echo matched;; esac; echo after")
    assert code == 0 and "pattern too long" in err
    code, _, err = kubectl_exec("""eval "$(printf '%200000s')"; echo after""")
    assert "Argument list too long" in err


@pytest.mark.parametrize(
    "script, err",
    [
        (
            """eval "$(printf '(%.0s' $(seq 3000)) echo hi $(printf ')%.0s' $(seq 3000))"; echo after""",
            "nested too deeply",
        ),
        (
            """eval "$(printf '{ %.0s' $(seq 3000)) echo hi; $(printf '}; %.0s' $(seq 3000))"; echo after""",
            "nested too deeply",
        ),
        (
            """eval "$(printf 'echo $(%.0s' $(seq 3000)) hi $(printf ')%.0s' $(seq 3000))"; echo after""",
            "subshells nested too deeply",
        ),
    ],
)
def test_scripts_nested_thousands_deep_are_an_error_not_a_crash(script: str, err: str) -> None:
    code, out, stderr = kubectl_exec(script)
    assert code == 0 and out.endswith("after\n") and f"sh: {err}\n" in stderr


def test_an_arithmetic_error_is_the_scripts_not_the_servers() -> None:
    """It was raised out of the shell: `kubectl exec` answered "Internal error occurred"."""
    assert kubectl_exec("echo $((3**3)); echo after") == (0, "after\n", "sh: arithmetic syntax error\n")


def test_a_file_that_keeps_growing_fills_its_layer_not_the_server() -> None:
    code, out, err = kubectl_exec("x=$(seq 10000); while true; do echo $x >> /tmp/f || break; done; wc -c < /tmp/f")
    assert code == 0 and int(out) <= 1 << 20
    assert err.startswith("sh: can't create /tmp/f: No space left on device\n")


# -- as the kubelet runs a container's process, seen through kubectl ---------------------------------------------------
@pytest.fixture
def sim(cluster) -> Sim:
    from cluster import clock

    clock.set_speed(cluster, 0.0)
    return Sim(cluster)


def test_a_shell_loop_that_doubles_a_variable_is_oom_killed_and_the_server_is_not(sim: Sim) -> None:
    """The server holds every sandbox's processes: the script's memory stops at its container's limit."""
    sim.apply("""
apiVersion: v1
kind: Pod
metadata: {name: grower}
spec:
  containers:
  - name: grower
    image: busybox:1.36
    resources:
      limits: {memory: "8Mi"}
    command: ["sh", "-c", "x=a; while true; do x=$x$x; sleep 1; done"]
""")
    sim.wait(60)
    last = sim.container("grower")
    terminated = last["lastState"].get("terminated") or last["state"].get("terminated")
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)
    assert sim.status_column("grower") == "Running"  # restarted; an exec of the same loop goes the same way
    exec_doubling = sim.run("exec", "grower", "--", "sh", "-c", "x=a; while true; do x=$x$x; done")
    assert exec_doubling == (137, "", "command terminated with exit code 137\n")


def test_a_busy_loop_runs_at_the_simulated_nodes_pace(sim: Sim) -> None:
    """A container's processes earn limits.RATE units of work a virtual second: a `while true` loop is throttled,
    as on a busy node, instead of running 20,000 commands at every sync (200 such pods took the server's cores)."""
    sim.ok("create", "deployment", "counter", "--image=busybox:1.36", "--", "sh", "-c",
           "i=0; while true; do i=$((i+1)); echo $i > /tmp/n; done")  # fmt: skip
    sim.wait(60)
    first = int(sim.ok("exec", "deploy/counter", "--", "cat", "/tmp/n"))
    sim.wait(60)
    second = int(sim.ok("exec", "deploy/counter", "--", "cat", "/tmp/n"))
    # An iteration is four instructions (test, assignment, redirect, jump): a minute buys RATE * 60 / 4 of them.
    assert 0 < second - first <= limits.RATE * 60 / 4 + limits.FLOOR
    assert second - first >= limits.RATE * 60 / 4 / 2  # throttled, not stopped
