"""The simulated sh and the registry's catalogue, command by command, as busybox, dash and containerd answer."""

from __future__ import annotations

import pytest

from cluster.container import pid1, shell
from cluster.container.fs import ContainerFS, Layer
from cluster.container.programs_tools import pi_digits
from cluster.registry import PullError, app_version, canonical, image_config, parse_image, resolve

T0 = 1_700_000_000.0


def host(image: str = "busybox:1.36", files: dict[str, str] | None = None) -> shell.Host:
    fs = ContainerFS(Layer(None, "", "", entries={}), dict(files or {}), [])
    return shell.Host(fs, image_config(image), "web-1", pod_ip="10.244.1.5")


def sh(script: str, image: str = "busybox:1.36", stdin: str = "") -> tuple[int, str, str]:
    return shell.run_instant(host(image), ["sh", "-c", script], {"HOME": "/root", "PATH": "/bin"}, T0, stdin)


@pytest.mark.parametrize(
    "script, out",
    [
        ("echo a; echo b && echo c || echo never", "a\nb\nc\n"),
        ("false || echo recovered; true && echo chained", "recovered\nchained\n"),
        ("x=5; echo $((x*2+1)) ${#x} ${Y:-some default} ${x:+set}", "11 1 some default set\n"),
        ("echo 'single $HOME' \"double $HOME\" \\$escaped", "single $HOME double /root $escaped\n"),
        ("for i in 1 2 3; do echo $i; done", "1\n2\n3\n"),
        ("for i in a b c; do if [ $i = b ]; then continue; fi; echo $i; done", "a\nc\n"),
        ("i=0; while true; do i=$((i+1)); if [ $i -ge 3 ]; then break; fi; done; echo $i", "3\n"),
        ("i=0; until [ $i -ge 2 ]; do i=$((i+1)); done; echo $i", "2\n"),
        ("case web-1 in db-*) echo db;; web-*|api-*) echo web;; esac", "web\n"),
        ("echo $(echo nested $(echo deeper)) `echo back`", "nested deeper back\n"),
        ('set -- a \'b c\'; echo $#; for x in "$@"; do echo "<$x>"; done', "2\n<a>\n<b c>\n"),
        ("echo $((10/3)) $((-7/2)) $((7%3)) $((2>1)) $((1&&0))", "3 -3 1 1 0\n"),
        ("printf '%s=%d\\n' a 1 b 2", "a=1\nb=2\n"),
        ("echo -n no-newline; echo", "no-newline\n"),
        ("echo hello | tr a-z A-Z | sed 's/L/_/g'", "HE__O\n"),
        ("echo a b c | awk '{print $3, $1}'; echo x:y | cut -d: -f2", "c a\ny\n"),
        ("printf 'b\\na\\nb\\n' | sort | uniq -c", "      1 a\n      2 b\n"),
        ("mkdir -p /a/b && echo one > /a/b/f && echo two >> /a/b/f && cat /a/b/f && wc -l < /a/b/f", "one\ntwo\n2\n"),
        ("touch /tmp/x; [ -f /tmp/x ] && echo yes; rm /tmp/x; [ -e /tmp/x ] || echo gone", "yes\ngone\n"),
        ("cd /tmp && pwd && echo hi > rel && cat /tmp/rel", "/tmp\nhi\n"),
        ("hostname; hostname -i; cat /etc/hostname 2>/dev/null || echo none", "web-1\n10.244.1.5\nnone\n"),
        ("sh -c 'exit 4'; echo inner=$?", "inner=4\n"),
        ("read a b; echo got $a and $b", "got x and y\n"),
        ("date +%Y-%m-%d", "2023-11-14\n"),
    ],
)
def test_scripts_run_as_sh_runs_them(script: str, out: str) -> None:
    assert sh(script, stdin="x y\n") == (0, out, "")


@pytest.mark.parametrize(
    "script, image, expected",
    [
        ("cat /tmp/healthy", "busybox", (1, "", "cat: can't open '/tmp/healthy': No such file or directory\n")),
        ("cat /tmp/healthy", "debian", (1, "", "cat: /tmp/healthy: No such file or directory\n")),
        ("rm /nope", "busybox", (1, "", "rm: can't remove '/nope': No such file or directory\n")),
        ("rm /nope", "ubuntu", (1, "", "rm: cannot remove '/nope': No such file or directory\n")),
        ("nosuch", "busybox", (127, "", "sh: nosuch: not found\n")),
        ("nosuch", "debian", (127, "", "sh: 1: nosuch: not found\n")),
        ("curl http://web", "busybox", (127, "", "sh: curl: not found\n")),
        ("echo x > /no/dir/file", "busybox", (1, "", "sh: can't create /no/dir/file: nonexistent directory\n")),
        ("echo x > /no/dir/file", "debian", (2, "", "sh: 1: cannot create /no/dir/file: Directory nonexistent\n")),
        ("sleep abc", "busybox", (1, "", "sleep: invalid number 'abc'\n")),
        ("exit 7", "busybox", (7, "", "")),
        ("ls /nope", "debian", (2, "", "ls: cannot access '/nope': No such file or directory\n")),
    ],
)
def test_failures_are_worded_as_the_images_userland_words_them(
    script: str, image: str, expected: tuple[int, str, str]
) -> None:
    assert sh(script, image) == expected


def test_sleep_moves_the_process_along_the_virtual_clock() -> None:
    where = host("registry.k8s.io/busybox:1.27.2")
    state = shell.new_state(["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"], {}, T0)
    shell.advance(state, where, T0 + 29)
    assert where.fs.is_file("/tmp/healthy") and shell.next_time(state) == T0 + 30
    shell.advance(state, where, T0 + 30)
    assert not where.fs.exists("/tmp/healthy") and state["exit"] is None
    assert shell.predict_exit(state, where, T0 + 86400) == T0 + 630
    shell.advance(state, where, T0 + 630)
    assert state["exit"] == {"at": T0 + 630, "code": 0}


def test_a_shell_as_pid_1_ignores_sigterm_and_a_server_or_a_trap_handles_it() -> None:
    assert pid1.signal_term(shell.new_state(["sh", "-c", "sleep 600"], {}, T0)) == (False, 137)
    trapped = shell.new_state(["sh", "-c", "trap 'exit 0' TERM; sleep 600"], {}, T0)
    shell.advance(trapped, host(), T0)
    assert pid1.signal_term(trapped) == (True, 0)
    served = shell.new_state(["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"], {}, T0)
    shell.advance(served, host("nginx:1.27"), T0)
    assert served["pid1"] == "nginx" and served["listen"]["80"]["name"] == "nginx"
    assert pid1.signal_term(served) == (True, 0)


def test_a_busy_loop_is_fast_forwarded_instead_of_hanging() -> None:
    state = shell.new_state(["sh", "-c", "while true; do :; done"], {}, T0)
    shell.advance(state, host(), T0 + 5)
    assert state["exit"] is None and shell.next_time(state) > T0 + 5


def test_pi_has_the_digits_perl_prints() -> None:
    assert pi_digits(50) == "3.1415926535897932384626433832795028841971693993751"
    assert pi_digits(2000).endswith("4780275901")  # …5900|99…: rounded up


# -- the registry ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "image",
    [
        "nginx:1.14.2",
        "nginx:1.16.1",
        "nginx:1.7.9",
        "nginx",
        "busybox:1.28",
        "registry.k8s.io/busybox",
        "k8s.gcr.io/hpa-example",
        "perl:5.34.0",
        "registry.k8s.io/e2e-test-images/agnhost:2.40",
        "redis:5.0.4",
        "httpd:2.4",
        "gcr.io/google-samples/hello-app:1.0",
        "polinux/stress",
        "curlimages/curl:8.11.1",
        "mysql:5.6",
        "python:3.12-slim",
        "node:20-alpine",
        "postgres:17",
        "quay.io/example/anything:v9",
        "nginx@sha256:" + "0" * 64,
    ],
)
def test_real_images_and_tags_pull(db, cluster, image: str) -> None:
    assert resolve(cluster, parse_image(image)) > 0


@pytest.mark.parametrize(
    "image, message",
    [
        (
            "nginx:1.161",
            'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/'
            'nginx:1.161": failed to resolve reference "docker.io/library/nginx:1.161": docker.io/library/'
            "nginx:1.161: not found",
        ),
        ("busybox:1.99", "docker.io/library/busybox:1.99: not found"),
        ("registry.k8s.io/pause:9.9", "registry.k8s.io/pause:9.9: not found"),
        ("ngnix", "pull access denied, repository does not exist or may require authorization"),
        ("python:3.12-windowsservercore-ltsc2022", "no match for platform in manifest: not found"),
    ],
)
def test_a_reference_the_registry_does_not_have_fails_as_containerd_says(db, cluster, image: str, message: str) -> None:
    with pytest.raises(PullError) as failure:
        resolve(cluster, parse_image(image))
    assert message in str(failure.value)


@pytest.mark.parametrize(
    ("image", "served_by", "base"),
    [
        ("k8s.gcr.io/busybox", "registry.k8s.io/busybox", "busybox"),
        ("gcr.io/google-containers/busybox", "registry.k8s.io/busybox", "busybox"),  # the Debug Services page's
        ("gcr.io/google_containers/pause:3.1", "registry.k8s.io/pause", "none"),
        ("gcr.io/google-samples/hello-app:1.0", "gcr.io/google-samples/hello-app", "none"),  # not an alias
    ],
)
def test_the_old_registries_of_kubernetes_images_serve_the_same_images(image: str, served_by: str, base: str) -> None:
    assert canonical(parse_image(image).repository) == served_by
    assert image_config(image).base == base


@pytest.mark.parametrize(
    "repository, tag, version",
    [
        ("docker.io/library/nginx", "1.27", "1.27.5"),
        ("docker.io/library/nginx", "1.14.2", "1.14.2"),
        ("docker.io/library/nginx", "1.25-alpine", "1.25.5"),
        ("docker.io/library/redis", "5.0.4", "5.0.4"),
    ],
)
def test_a_tag_carries_its_programs_version(repository: str, tag: str, version: str) -> None:
    assert app_version(repository, tag) == version


def test_an_image_config_is_the_images_entrypoint_and_cmd() -> None:
    nginx = image_config("nginx:1.27")
    assert (nginx.entrypoint, nginx.cmd, nginx.ports, nginx.stopsignal) == (
        ("/docker-entrypoint.sh",),
        ("nginx", "-g", "daemon off;"),
        (80,),
        "SIGQUIT",
    )
    assert image_config("k8s.gcr.io/busybox").repository == "registry.k8s.io/busybox"
    assert image_config("php:8.3-apache").cmd == ("apache2-foreground",)
    assert not image_config("ghcr.io/me/app:v1").known
