"""Image references as kubectl accepts them client-side (the distribution library's ReferenceRegexp)."""

from __future__ import annotations

import pytest

from cluster.kubectl import imageref

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("reference", "valid"),
    [
        ("nginx", True),
        ("nginx:1.27", True),
        ("registry.k8s.io/pause:3.9", True),
        ("localhost:5000/team/app:v1.0-rc_2", True),
        (f"busybox@{DIGEST}", True),
        (f"docker.io/library/busybox:1.36@{DIGEST}", True),
        ("My.Registry.io/app", True),  # a domain may have capitals, a path may not
        ("UP:per", False),
        ("Bad Image", False),
        ("nginx:", False),
        (":1.27", False),
        ("team//app", False),
        ("-nginx", False),
        ("busybox@sha256:abc", False),  # a digest has at least 32 hex digits
        ("nginx:" + "x" * 129, False),  # a tag has at most 128 characters
        ("ngınx", False),  # only ASCII
    ],
)
def test_a_reference_is_valid_as_distribution_reads_it(reference: str, valid: bool) -> None:
    assert imageref.valid(reference) is valid
