"""The page terminal's stream: kubectl's output as it comes, a line of the protocol for each line of output, and
which commands are streamed."""

from __future__ import annotations

import pytest

from web.terminal import frames, streams, with_request_timeout


@pytest.mark.parametrize(
    ("kind", "text", "sent"),
    [
        ("out", "NAME   READY\nweb    1/1\n", [b"out|NAME   READY\n", b"out|web    1/1\n"]),
        ("out", "OK!OK!", [b"out+|OK!OK!\n"]),  # an attach's output with no newline yet: the line goes on
        ("out", "OK!\nOK!", [b"out|OK!\n", b"out+|OK!\n"]),
        ("err", "error: timed out\n", [b"err|error: timed out\n"]),
        ("out", "\n", [b"out|\n"]),  # an empty line is still a line
        ("end", "0", [b"end|0\n"]),
    ],
)
def test_each_line_is_a_frame_and_a_line_still_to_come_says_so(kind: str, text: str, sent: list[bytes]) -> None:
    assert frames(kind, text) == sent


@pytest.mark.parametrize(
    ("argv", "streamed"),
    [
        (["get", "pods", "-w"], True),
        (["get", "pods"], False),
        (["run", "x", "-it", "--image=busybox"], True),
        (["run", "x", "--image=busybox"], False),
        (["debug", "web", "-it", "--image=busybox"], True),
        (["debug", "web", "--attach", "--image=busybox", "--", "echo", "hi"], True),
        (["debug", "web", "--image=busybox", "--", "sleep", "60"], False),
        (["logs", "-f", "web"], True),
        (["rollout", "status", "deploy/web"], True),
    ],
)
def test_commands_that_wait_for_what_a_container_prints_are_streamed(argv: list[str], streamed: bool) -> None:
    assert streams(argv) is streamed


@pytest.mark.parametrize(
    ("argv", "bounded"),
    [
        (["get", "pods", "-w"], ["get", "pods", "-w", "--request-timeout=600s"]),
        # among kubectl's flags: after `--` it would become part of the container's command
        (
            ["run", "x", "-i", "--image=busybox", "--", "sh"],
            ["run", "x", "-i", "--image=busybox", "--request-timeout=600s", "--", "sh"],
        ),
        (
            ["debug", "node/w", "-i", "--image=busybox", "--", "ps"],
            ["debug", "node/w", "-i", "--image=busybox", "--request-timeout=600s", "--", "ps"],
        ),
        (["get", "pods", "-w", "--request-timeout=5s"], ["get", "pods", "-w", "--request-timeout=5s"]),
        (
            ["run", "x", "-i", "--image=busybox", "--", "sh", "--timeout=1"],
            ["run", "x", "-i", "--image=busybox", "--request-timeout=600s", "--", "sh", "--timeout=1"],
        ),
    ],
)
def test_a_streamed_command_is_bounded_among_kubectls_flags(argv: list[str], bounded: list[str]) -> None:
    assert with_request_timeout(argv) == bounded
