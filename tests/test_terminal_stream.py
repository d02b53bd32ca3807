"""The page terminal's stream: kubectl's output as it comes, a line of the protocol for each line of output."""

from __future__ import annotations

import pytest

from web.terminal import frames


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
